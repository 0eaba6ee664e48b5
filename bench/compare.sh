#!/usr/bin/env bash
# bench/compare.sh [-n RUNS] CAPTURE...      (or, as before: CAPTURE RUNS)
#
# Times pcap-rca against a "floor" program and against tshark / tcpdump on
# the same capture files. The tools run in alternation (run 1 of every tool
# on every capture, then run 2, ...) so page cache and CPU state are shared
# fairly; the page cache is warmed first. Give the big-download capture and
# the busy one (../shared/bench) together: one run measures both, and the
# last table checks the targets on each (one thread at >= 50% of the floor's
# speed, two threads >= 1.7x one, peak RSS <= 256 MiB). Each run is measured with
# /usr/bin/time -f '%e %M' (elapsed seconds, peak RSS KiB); as %e only has
# 10 ms resolution, the elapsed time in the table is the bash microsecond
# clock ($EPOCHREALTIME) around /usr/bin/time. The table shows medians (and the
# fastest and slowest run beside them: on a loaded host the spread says how far to
# trust a ratio); the targets are judged on the medians.
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

usage() { echo "usage: $0 [-n RUNS] CAPTURE...   (or: $0 CAPTURE RUNS)" >&2; exit 2; }
RUNS=5
if [ "${1:-}" = -n ]; then
    [ $# -ge 2 ] || usage
    RUNS=$2
    shift 2
elif [ $# -eq 2 ] && [ ! -e "$2" ] && [[ $2 =~ ^[0-9]+$ ]]; then
    RUNS=$2                      # the old form: CAPTURE RUNS
    set -- "$1"
fi
[ $# -ge 1 ] || usage
case $RUNS in ''|*[!0-9]*) usage ;; esac
[ "$RUNS" -ge 1 ] || usage
CAPTURES=("$@")
for c in "${CAPTURES[@]}"; do
    [ -r "$c" ] || { echo "cannot read $c" >&2; exit 1; }
done

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

size_bytes() { stat -L -c %s "$1"; }
size_mb() { awk -v b="$(size_bytes "$1")" 'BEGIN { printf "%.1f", b / 1e6 }'; }

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
for c in "${CAPTURES[@]}"; do
    echo "- capture: $c, $(size_mb "$c") MB, $(capinfos -c -M "$c" 2>/dev/null | awk -F: '/Number of packets/ { gsub(/ /, "", $2); print $2 }') packets"
done
echo "- runs per tool and capture: $RUNS (alternating), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# --- runs ----------------------------------------------------------------------
for c in "${CAPTURES[@]}"; do
    cat "$c" >/dev/null   # warm the page cache
done
for ((r = 1; r <= RUNS; r++)); do
  for ci in "${!CAPTURES[@]}"; do
    CAPTURE=${CAPTURES[ci]}
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
        echo "$fine $rss $e" >>"$TMP/res.$ci.$i"
        printf '  run %d/%d %-14s %-22s %s s (time %%e: %s), %s KiB\n' "$r" "$RUNS" "$(basename "$CAPTURE")" "$name" "$fine" "$e" "$rss" >&2
    done
  done
done

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

declare -A SEC RSS
TARGETS=()
for ci in "${!CAPTURES[@]}"; do
CAPTURE=${CAPTURES[ci]}
SEC=()
RSS=()
echo "## Results: $(basename "$CAPTURE") ($(size_mb "$CAPTURE") MB)"
echo
echo "| tool | median s | min-max s | MB/s | median peak RSS MiB |"
echo "| --- | ---: | ---: | ---: | ---: |"
for i in "${!TOOLS[@]}"; do
    name=${TOOLS[i]%%|*}
    s=$(cut -d' ' -f1 "$TMP/res.$ci.$i" | median)
    m=$(cut -d' ' -f2 "$TMP/res.$ci.$i" | median)
    lo=$(cut -d' ' -f1 "$TMP/res.$ci.$i" | sort -g | head -1)
    hi=$(cut -d' ' -f1 "$TMP/res.$ci.$i" | sort -g | tail -1)
    SEC[$name]=$s
    RSS[$name]=$m
    awk -v n="$name" -v s="$s" -v lo="$lo" -v hi="$hi" -v m="$m" -v b="$(size_bytes "$CAPTURE")" 'BEGIN {
        printf "| %s | %.3f | %.3f-%.3f | %s | %.1f |\n", n, s, lo, hi, (s > 0 ? sprintf("%.0f", b / 1e6 / s) : "inf"), m / 1024 }'
done
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
echo
# the targets of this capture, for the last table
t1=${SEC["pcap-rca --threads 1"]} t2=${SEC["pcap-rca --threads 2"]} fl=${SEC[floor]:-}
rss=$(printf '%s\n' "${RSS["pcap-rca --threads 1"]}" "${RSS["pcap-rca --threads 2"]}" | sort -g | tail -1)
TARGETS+=("$(awk -v c="$(basename "$CAPTURE")" -v t1="$t1" -v t2="$t2" -v fl="$fl" -v rss="$rss" 'BEGIN {
    speed = (fl != "" && t1 > 0) ? sprintf("%.0f%% %s", 100 * fl / t1, (fl / t1 >= 0.5 ? "(met)" : "(not met)")) : "n/a"
    scale = (t2 > 0) ? sprintf("%.2fx %s", t1 / t2, (t1 / t2 >= 1.7 ? "(met)" : "(not met)")) : "n/a"
    mem = sprintf("%.0f MiB %s", rss / 1024, (rss / 1024 <= 256 ? "(met)" : "(not met)"))
    printf "| %s | %s | %s | %s |", c, speed, scale, mem }')")
done

echo "## Targets"
echo
echo "| capture | 1 thread, % of the floor's speed (>= 50%) | 2 threads / 1 thread (>= 1.7x) | peak RSS (<= 256 MiB) |"
echo "| --- | ---: | ---: | ---: |"
printf '%s\n' "${TARGETS[@]}"
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
