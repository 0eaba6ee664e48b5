#!/usr/bin/env bash
# Streaming memory check: pipes the benchmark capture TIMES times (time-shifted, ~10 GB with
# the default 33 x 305 MB) into `pcap-rca analyze -` and prints peak RSS and throughput.
# The capture never touches the disk, so the file size cannot hide in the page cache.
#   bench/stream-check.sh [CAPTURE] [TIMES]
set -euo pipefail
cd "$(dirname "$0")/.."
CAP=${1:-$HOME/.cache/pcap-rca-bench/real.pcap}
TIMES=${2:-33}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/pcap-rca-target}"
cargo build -q --release --example repeat --bin pcap-rca
T="$CARGO_TARGET_DIR/release"
bytes=$(( $(stat -c %s "$CAP") * TIMES ))
log=$(mktemp)
start=$(date +%s.%N)
"$T/examples/repeat" "$CAP" "$TIMES" | /usr/bin/time -v "$T/pcap-rca" analyze - >/dev/null 2>"$log"
end=$(date +%s.%N)
rss=$(awk '/Maximum resident/ {print $6}' "$log")
python3 - "$bytes" "$start" "$end" "$rss" <<'PY'
import sys
b, s, e, rss = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
print(f"streamed {b/1e9:.1f} GB in {e-s:.1f} s ({b/1e6/(e-s):.0f} MB/s), peak RSS {rss/1024:.0f} MiB")
PY
rm -f "$log"
