#!/usr/bin/env bash
# bench/compare.sh CAPTURE [RUNS]
#
# Times pcap-rca against a "floor" program and against tshark / tcpdump on
# the same capture file. The tools run in alternation (run 1 of every tool,
# then run 2 of every tool, ...) so page cache and CPU state are shared
# fairly; the page cache is warmed first. Each run is measured with
# /usr/bin/time -f '%e %M' (elapsed seconds, peak RSS KiB); as %e only has
# 10 ms resolution, the elapsed time in the table is the bash microsecond
# clock ($EPOCHREALTIME) around /usr/bin/time. The table shows medians.
#
#   RUNS       default 5
#   PCAP_RCA   binary to time (default $CARGO_TARGET_DIR/release/pcap-rca,
#              CARGO_TARGET_DIR defaulting to $HOME/.cache/pcap-rca-target;
#              built with `cargo build --release` only if it is missing)
#   FLOOR      floor program (default .../release/examples/floor, from
#              `cargo build --release --example floor`; skipped if absent)
#
# Run it niced if others share the machine: nice -n 10 bash bench/compare.sh F
# (everything is niced alike, so the comparison stays fair; the load average
# printed before and after tells whether something else was competing).
set -euo pipefail
export LC_ALL=C

usage() { echo "usage: $0 CAPTURE [RUNS]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
CAPTURE=$1
RUNS=${2:-5}
case $RUNS in ''|*[!0-9]*) usage ;; esac
[ "$RUNS" -ge 1 ] || usage
[ -r "$CAPTURE" ] || { echo "cannot read $CAPTURE" >&2; exit 1; }

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/pcap-rca-target}
PCAP_RCA=${PCAP_RCA:-$CARGO_TARGET_DIR/release/pcap-rca}
FLOOR=${FLOOR:-$CARGO_TARGET_DIR/release/examples/floor}

# --- tools -------------------------------------------------------------------
need_pkgs=()
[ -x /usr/bin/time ] || need_pkgs+=(time)
command -v tshark >/dev/null || need_pkgs+=(tshark)
command -v tcpdump >/dev/null || need_pkgs+=(tcpdump)
if [ ${#need_pkgs[@]} -gt 0 ]; then
    echo "installing ${need_pkgs[*]}" >&2
    if [ "$(id -u)" != 0 ]; then echo "need root to apt-get install ${need_pkgs[*]}" >&2; exit 1; fi
    export DEBIAN_FRONTEND=noninteractive
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >&2
fi
if [ ! -x "$PCAP_RCA" ]; then
    echo "building pcap-rca (cargo build --release) -> $PCAP_RCA" >&2
    (cd "$REPO" && nice -n 10 cargo build --release --quiet) >&2
    [ -x "$PCAP_RCA" ] || { echo "no binary at $PCAP_RCA after the build" >&2; exit 1; }
fi

# --- what to run ---------------------------------------------------------------
# name|command (the command's stdout goes to /dev/null)
TOOLS=(
    "pcap-rca --threads 1|$PCAP_RCA analyze --threads 1 --format json"
    "pcap-rca --threads 2|$PCAP_RCA analyze --threads 2 --format json"
)
if [ -x "$FLOOR" ]; then
    TOOLS+=("floor|$FLOOR")
else
    echo "note: no floor program at $FLOOR, skipping it" >&2
fi
TOOLS+=(
    "tshark -z expert|tshark -q -z expert -r"
    "tcpdump -nn -r|tcpdump -nn -r"
)

TMP=$(mktemp -d /tmp/pcap-rca-compare.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

size_bytes=$(stat -L -c %s "$CAPTURE")
size_mb=$(awk -v b="$size_bytes" 'BEGIN { printf "%.1f", b / 1e6 }')

# --- machine -------------------------------------------------------------------
echo "## Machine"
echo
echo "- nproc: $(nproc)"
echo "- CPU: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
echo "- memory: $(free -g | awk '/^Mem:/ { print $2 }') GiB total (free -g)"
echo "- kernel: $(uname -r)"
echo "- pcap-rca: $PCAP_RCA (built $(date -r "$PCAP_RCA" '+%F %T'))"
echo "- tshark: $(tshark -v 2>/dev/null | head -1)"
echo "- tcpdump: $(tcpdump --version 2>&1 | head -1)"
echo "- capture: $CAPTURE, $size_mb MB, $(capinfos -c -M "$CAPTURE" 2>/dev/null | awk -F: '/Number of packets/ { gsub(/ /, "", $2); print $2 }') packets"
echo "- runs per tool: $RUNS (alternating), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# --- runs ----------------------------------------------------------------------
cat "$CAPTURE" >/dev/null   # warm the page cache
for ((r = 1; r <= RUNS; r++)); do
    for i in "${!TOOLS[@]}"; do
        name=${TOOLS[i]%%|*}
        cmd=${TOOLS[i]#*|}
        # shellcheck disable=SC2086 # the command is split on purpose
        t0=$EPOCHREALTIME
        if ! /usr/bin/time -f '%e %M' -o "$TMP/t" $cmd "$CAPTURE" >/dev/null 2>"$TMP/err"; then
            echo "error: '$name' failed (run $r):" >&2
            grep -v '^Running as user "root"' "$TMP/err" | tail -5 >&2
            exit 1
        fi
        t1=$EPOCHREALTIME
        # %e has a 10 ms resolution: keep it, but use the microsecond wall
        # clock around /usr/bin/time (adds ~1 ms of fork/exec) for the table
        read -r e rss < <(tail -1 "$TMP/t")
        fine=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
        echo "$fine $rss $e" >>"$TMP/res.$i"
        printf '  run %d/%d %-22s %s s (time %%e: %s), %s KiB\n' "$r" "$RUNS" "$name" "$fine" "$e" "$rss" >&2
    done
done

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

declare -A SEC
echo "## Results"
echo
echo "| tool | median s | MB/s | median peak RSS MiB |"
echo "| --- | ---: | ---: | ---: |"
for i in "${!TOOLS[@]}"; do
    name=${TOOLS[i]%%|*}
    s=$(cut -d' ' -f1 "$TMP/res.$i" | median)
    m=$(cut -d' ' -f2 "$TMP/res.$i" | median)
    SEC[$name]=$s
    awk -v n="$name" -v s="$s" -v m="$m" -v b="$size_bytes" 'BEGIN {
        printf "| %s | %.3f | %s | %.1f |\n", n, s, (s > 0 ? sprintf("%.0f", b / 1e6 / s) : "inf"), m / 1024 }'
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# ratio LABEL NUM DEN EXPLANATION : NUM/DEN of the median times
ratio() {
    local label=$1 num=${SEC[$2]:-} den=${SEC[$3]:-} what=$4
    if [ -z "$num" ] || [ -z "$den" ]; then
        echo "| $label | n/a | $what |"
        return
    fi
    awk -v l="$label" -v a="$num" -v b="$den" -v w="$what" 'BEGIN {
        printf "| %s | %s | %s |\n", l, (b > 0 ? sprintf("%.2fx", a / b) : "n/a"), w }'
}
echo "| ratio (of median times) | value | meaning |"
echo "| --- | ---: | --- |"
ratio "pcap-rca 1 thread / floor" "pcap-rca --threads 1" floor "how many times the floor's time pcap-rca takes (1 = at the floor)"
ratio "pcap-rca 1 thread / 2 threads" "pcap-rca --threads 1" "pcap-rca --threads 2" "speed-up from the 2nd thread"
ratio "tshark / pcap-rca 2 threads" "tshark -z expert" "pcap-rca --threads 2" "how many times faster pcap-rca is than tshark"
ratio "tcpdump / pcap-rca 2 threads" "tcpdump -nn -r" "pcap-rca --threads 2" "how many times faster pcap-rca is than tcpdump"
