#!/usr/bin/env bash
# bench/scaling.sh [PACKETS] [RUNS]
#
# How pcap-rca's cost per packet grows with the number of flows alive at once,
# next to the floor program's (benches/floor.rs: pcap-parser walk, etherparse,
# 5-tuple HashMap), which slows too, from cache misses alone. Three synthetic
# captures of the same PACKETS packets with K = 1,000, 100,000 and 1,000,000
# TCP connections open at once (`bench/make-synthetic.py alive K PACKETS OUT`:
# round-robin, each flow touched once every K packets; its doc says what each K
# gets). Target: pcap-rca's slowdown from the first K to the last stays within
# 1.5x of the floor's ("growth ratio" <= 1.5).
#
#   PACKETS    packets per capture, default 3000000 (at least 3 x the largest K:
#              every flow gets its handshake; at 3000000 the 1 M capture is
#              handshakes only, see make-synthetic.py)
#   RUNS       runs per tool and K, default 5; the table shows medians
#   KS         flow counts, default "1000 100000 1000000" (growth: first to last)
#   SCALE_DIR  where the captures are made if missing, default
#              $HOME/.cache/pcap-rca-bench/scale (alive-K-PACKETS.pcap; about
#              100-120 bytes per packet; 3 x 3,000,000 packets: 0.9 GB, ~10 s each)
#   PCAP_RCA   binary to time (default $CARGO_TARGET_DIR/release/pcap-rca,
#              CARGO_TARGET_DIR defaulting to $HOME/.cache/pcap-rca-target;
#              built with `cargo build --release` only if it is missing)
#   FLOOR      floor program (default .../release/examples/floor; built with
#              `cargo build --release --example floor` only if it is missing)
#
# Example: nice -n 10 bash bench/scaling.sh            (3 M packets, 5 runs)
#          nice -n 10 bash bench/scaling.sh 300000 1   (a quick check)
#
# For each K the page cache is warmed with the capture, then pcap-rca
# (`analyze --threads 1 --format json`) and the floor run in alternation RUNS
# times. Each run is measured like bench/compare.sh does: wall time from the
# bash microsecond clock ($EPOCHREALTIME) around /usr/bin/time -f '%e %M'
# (peak RSS KiB). ns/packet is that wall time over the packets: it includes
# process start, pcap-rca's detectors and report, and freeing the flow table
# (the time a user waits). The first run's output is checked: both tools must
# see K flows and PACKETS packets. Run it niced if others share the machine;
# the load average is printed before and after.
set -euo pipefail
export LC_ALL=C

usage() { echo "usage: $0 [PACKETS] [RUNS]" >&2; exit 2; }
[ $# -le 2 ] || usage
PACKETS=${1:-3000000}
RUNS=${2:-5}
case $PACKETS in ''|*[!0-9]*) usage ;; esac
case $RUNS in ''|*[!0-9]*) usage ;; esac
[ "$RUNS" -ge 1 ] || usage
read -r -a KS <<<"${KS:-1000 100000 1000000}"
[ ${#KS[@]} -ge 2 ] || { echo "KS needs at least two flow counts" >&2; exit 2; }
for k in "${KS[@]}"; do
    case $k in ''|*[!0-9]*) echo "bad K: $k" >&2; exit 2 ;; esac
    [ "$PACKETS" -ge $((3 * k)) ] || { echo "PACKETS must be at least 3 x K ($((3 * k)))" >&2; exit 2; }
done

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/pcap-rca-target}
PCAP_RCA=${PCAP_RCA:-$CARGO_TARGET_DIR/release/pcap-rca}
FLOOR=${FLOOR:-$CARGO_TARGET_DIR/release/examples/floor}
SCALE_DIR=${SCALE_DIR:-$HOME/.cache/pcap-rca-bench/scale}

# --- tools -------------------------------------------------------------------
[ -x /usr/bin/time ] || { echo "need /usr/bin/time (apt-get install time)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "need python3 (to make the captures)" >&2; exit 1; }
if [ ! -x "$PCAP_RCA" ]; then
    echo "building pcap-rca (cargo build --release) -> $PCAP_RCA" >&2
    (cd "$REPO" && nice -n 10 cargo build --release --quiet) >&2
    [ -x "$PCAP_RCA" ] || { echo "no binary at $PCAP_RCA after the build" >&2; exit 1; }
fi
if [ ! -x "$FLOOR" ]; then
    echo "building the floor (cargo build --release --example floor) -> $FLOOR" >&2
    (cd "$REPO" && nice -n 10 cargo build --release --quiet --example floor) >&2
    [ -x "$FLOOR" ] || { echo "no floor program at $FLOOR after the build" >&2; exit 1; }
fi

# --- captures ------------------------------------------------------------------
mkdir -p "$SCALE_DIR"
capture() { echo "$SCALE_DIR/alive-$1-$PACKETS.pcap"; }
for k in "${KS[@]}"; do
    f=$(capture "$k")
    [ -s "$f" ] && continue
    echo "making $f" >&2
    t0=$EPOCHREALTIME
    python3 "$REPO/bench/make-synthetic.py" alive "$k" "$PACKETS" "$f.tmp"
    mv "$f.tmp" "$f"
    awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "  made in %.1f s\n", b - a }' >&2
done

TMP=$(mktemp -d /tmp/pcap-rca-scaling.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# name|command (the capture is appended)
TOOLS=(
    "floor|$FLOOR"
    "pcap-rca|$PCAP_RCA analyze --threads 1 --format json"
)

# --- machine -------------------------------------------------------------------
echo "## Machine"
echo
echo "- nproc: $(nproc)"
echo "- CPU: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
echo "- memory: $(free -g | awk '/^Mem:/ { print $2 }') GiB total (free -g)"
echo "- kernel: $(uname -r)"
echo "- pcap-rca: $PCAP_RCA (built $(date -r "$PCAP_RCA" '+%F %T'))"
echo "- floor: $FLOOR (built $(date -r "$FLOOR" '+%F %T'))"
echo "- captures: $SCALE_DIR/alive-{$(IFS=,; echo "${KS[*]}")}-$PACKETS.pcap"
echo "- runs per tool and K: $RUNS (alternating), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# check TOOL OUTPUT K: the first run saw K flows and PACKETS packets
check() {
    local got
    case $1 in
    floor) got=$(sed -n 's/^floor: \([0-9]*\) packets, [0-9]* bytes, \([0-9]*\) flows.*/\1 \2/p' "$2") ;;
    *) got=$(python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))["summary"]
print(s["packets"], s["flows"])' "$2") ;;
    esac
    if [ "$got" != "$PACKETS $3" ]; then
        echo "error: $1 saw '$got' (packets flows), expected '$PACKETS $3'" >&2
        exit 1
    fi
}

# --- runs ----------------------------------------------------------------------
for k in "${KS[@]}"; do
    f=$(capture "$k")
    cat "$f" >/dev/null   # warm the page cache
    for ((r = 1; r <= RUNS; r++)); do
        for i in "${!TOOLS[@]}"; do
            name=${TOOLS[i]%%|*}
            cmd=${TOOLS[i]#*|}
            t0=$EPOCHREALTIME
            # shellcheck disable=SC2086 # the command is split on purpose
            if ! /usr/bin/time -f '%e %M' -o "$TMP/t" $cmd "$f" >"$TMP/out" 2>"$TMP/err"; then
                echo "error: '$name' failed on K=$k (run $r):" >&2
                tail -5 "$TMP/err" >&2
                exit 1
            fi
            t1=$EPOCHREALTIME
            [ "$r" -gt 1 ] || check "$name" "$TMP/out" "$k"
            read -r e rss < <(tail -1 "$TMP/t")
            fine=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
            echo "$fine $rss $e" >>"$TMP/res.$k.$name"
            printf '  K=%-8s run %d/%d %-9s %s s (time %%e: %s), %s KiB\n' "$k" "$r" "$RUNS" "$name" "$fine" "$e" "$rss" >&2
        done
    done
done

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

declare -A NS RSS
for k in "${KS[@]}"; do
    for name in floor pcap-rca; do
        s=$(cut -d' ' -f1 "$TMP/res.$k.$name" | median)
        NS[$k.$name]=$(awk -v s="$s" -v p="$PACKETS" 'BEGIN { printf "%.1f", s * 1e9 / p }')
        RSS[$k.$name]=$(cut -d' ' -f2 "$TMP/res.$k.$name" | median)
    done
done
echo "## Results (medians)"
echo
echo "| flows alive | packets | floor ns/packet | pcap-rca ns/packet | pcap-rca / floor | floor peak RSS MiB | pcap-rca peak RSS MiB |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for k in "${KS[@]}"; do
    awk -v k="$k" -v p="$PACKETS" -v fn="${NS[$k.floor]}" -v rn="${NS[$k.pcap-rca]}" \
        -v fm="${RSS[$k.floor]}" -v rm="${RSS[$k.pcap-rca]}" 'BEGIN {
        printf "| %d | %d | %.0f | %.0f | %.2fx | %.1f | %.1f |\n", k, p, fn, rn, rn / fn, fm / 1024, rm / 1024 }'
done
echo
first=${KS[0]}
last=${KS[${#KS[@]} - 1]}
awk -v a="$first" -v b="$last" -v f0="${NS[$first.floor]}" -v f1="${NS[$last.floor]}" \
    -v r0="${NS[$first.pcap-rca]}" -v r1="${NS[$last.pcap-rca]}" 'BEGIN {
    fg = f1 / f0; rg = r1 / r0; g = rg / fg
    printf "| growth of ns/packet, %d -> %d flows | value |\n", a, b
    printf "| --- | ---: |\n"
    printf "| floor | %.2fx |\n", fg
    printf "| pcap-rca | %.2fx |\n", rg
    printf "| growth ratio (pcap-rca / floor; target <= 1.5) | %.2f (%s) |\n", g, (g <= 1.5 ? "within target" : "over target")
}'
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
