#!/usr/bin/env bash
# Writes every report pcap-rca makes of every bundled capture (fixtures, synthetic fixtures
# and, when present, the public corpus in ../shared/corpus) into DIR: JSON at one and two
# threads, and the text report. Run it before and after a refactor, then `diff -r` the two
# folders: a change that is meant to move code, not behaviour, shows no difference.
#
#   scripts/report-snapshot.sh /tmp/before        # on the old commit
#   scripts/report-snapshot.sh /tmp/after         # on the new one
#   diff -r /tmp/before /tmp/after
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/report-snapshot.sh DIR}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/pcap-rca-target}"
cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/pcap-rca"
mkdir -p "$out"
files=$(find fixtures -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.gz' -o -name '*.zst' \) | sort)
if [ -d ../shared/corpus ]; then
  files="$files $(find ../shared/corpus -type f \( -name '*.pcap' -o -name '*.pcapng' \) | sort)"
fi
n=0
for f in $files; do
  name=$(echo "$f" | sed 's|^\.\./shared/||; s|/|__|g')
  for t in 1 2; do
    "$bin" analyze --threads "$t" --format json "$f" >"$out/$name.t$t.json" 2>"$out/$name.t$t.err" || echo "exit $?" >>"$out/$name.t$t.err"
  done
  "$bin" analyze --threads 2 "$f" >"$out/$name.txt" 2>&1 || echo "exit $?" >>"$out/$name.txt"
  n=$((n + 1))
done
echo "$n captures -> $out"
