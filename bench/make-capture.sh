#!/usr/bin/env bash
# bench/make-capture.sh [OUT] [SIZE_MB]
#
# Builds a benchmark capture from REAL traffic between network namespaces
# that this script creates and removes again (trap on exit). Must run as root.
#
#   OUT      default $HOME/.cache/pcap-rca-bench/real.pcap
#   SIZE_MB  default 300: traffic stops once OUT has reached this size (MB =
#            10^6 bytes); downloads in flight then finish and tcpdump stops
#            1 s later, so OUT ends a few MB larger (300 -> ~305 MB)
#
# Environment knobs:
#   MAX_SECONDS  time limit of the traffic phase (default 600)
#   PARALLEL     concurrent client jobs (default 8)
#   LOSS_PER_MILLE  random drop of server->client TCP frames (default 4 = 0.4 %)
#
# Topology (prefix rcb-, subnet 10.60.0.0/24, no namespace has a default
# route, so nothing can leave the namespaces):
#
#   rcb-client  eth0 10.60.0.2/24                   curl / dig clients, tcpdump
#   rcb-server  eth0 10.60.0.5/24 + 10.60.0.53/24   nginx (:80 http, :443 TLS 1.2+1.3),
#                                                    dnsmasq on 10.60.0.53:53,
#                                                    :8444 filtered (DROP), :81 closed (RST)
#   rcb-br      br0 with ports vc (client) and vs (server); nftables drops
#               LOSS_PER_MILLE/1000 of the TCP frames coming from the server
#
# All veth ends have offloads off (no super-frames, real checksums).
# The script renices itself to 10: it shares the machine with compilers.
set -euo pipefail
export LC_ALL=C

OUT=${1:-$HOME/.cache/pcap-rca-bench/real.pcap}
SIZE_MB=${2:-300}
MAX_SECONDS=${MAX_SECONDS:-600}
PARALLEL=${PARALLEL:-8}
LOSS_PER_MILLE=${LOSS_PER_MILLE:-4}

NS_BR=rcb-br
NS_CLIENT=rcb-client
NS_SERVER=rcb-server
ALL_NS=("$NS_CLIENT" "$NS_SERVER" "$NS_BR")
CLIENT_IP=10.60.0.2
SERVER_IP=10.60.0.5
DNS_IP=10.60.0.53
FILTERED_PORT=8444
CLOSED_PORT=81

log() { printf '[make-capture %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"
case $SIZE_MB in ''|*[!0-9]*) die "SIZE_MB must be a positive integer" ;; esac
[ "$SIZE_MB" -gt 0 ] || die "SIZE_MB must be > 0"
for c in ip ethtool nft iptables nginx dnsmasq curl dig tcpdump capinfos openssl xargs ss; do
    command -v "$c" >/dev/null || die "missing $c (apt-get install nginx-light dnsmasq curl dnsutils tcpdump tshark openssl nftables iptables ethtool)"
done

renice -n 10 -p $$ >/dev/null 2>&1 || true

WORK=""
CAP_PID=""
DRIVER_PID=""

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
ns_exists() { ip netns list | awk '{print $1}' | grep -qx "$1"; }

# Kill every process in our namespaces (all started by this script), delete
# the namespaces and the temp dir. Safe to call twice, and before setup to
# remove leftovers of an interrupted run.
teardown() {
    local ns pid
    set +e
    if [ -n "$DRIVER_PID" ] && kill -0 "$DRIVER_PID" 2>/dev/null; then
        [ -n "$WORK" ] && touch "$WORK/stop"
        kill "$DRIVER_PID" 2>/dev/null
    fi
    if [ -n "$CAP_PID" ] && kill -0 "$CAP_PID" 2>/dev/null; then
        kill -INT "$CAP_PID"; wait "$CAP_PID" 2>/dev/null
    fi
    for ns in "${ALL_NS[@]}"; do
        ns_exists "$ns" || continue
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null; done
    done
    sleep 0.3
    for ns in "${ALL_NS[@]}"; do
        ns_exists "$ns" || continue
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
    for ns in "${ALL_NS[@]}"; do rm -rf "/etc/netns/$ns"; done
    rmdir /etc/netns 2>/dev/null
    if [ -n "$DRIVER_PID" ]; then wait "$DRIVER_PID" 2>/dev/null; DRIVER_PID=""; fi
    [ -n "$WORK" ] && rm -rf "$WORK"
    WORK=""
    set -e
}
trap teardown EXIT
trap 'exit 130' INT TERM

no_offload() {
    local ns=$1 ifc=$2
    nsx "$ns" ethtool -K "$ifc" tso off gso off gro off tx off rx off >/dev/null 2>&1 ||
        nsx "$ns" ethtool -K "$ifc" tso off gso off gro off >/dev/null
    nsx "$ns" ethtool -K "$ifc" sg off >/dev/null 2>&1 || true
}

ns_base() {
    local ns=$1
    ip netns add "$ns"
    nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    nsx "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
    nsx "$ns" ip link set lo up
}

# add_host NS IP/24 MAC PORT : veth eth0 in NS, peer PORT on br0 in rcb-br
add_host() {
    local ns=$1 addr=$2 mac=$3 port=$4
    ns_base "$ns"
    ip link add "$port" netns "$NS_BR" type veth peer name eth0 netns "$ns"
    nsx "$ns" ip link set eth0 address "$mac"
    nsx "$ns" ip addr add "$addr" dev eth0
    no_offload "$ns" eth0
    no_offload "$NS_BR" "$port"
    nsx "$NS_BR" ip link set "$port" master br0
    nsx "$NS_BR" ip link set "$port" up
    nsx "$ns" ip link set eth0 up
}

wait_listen() {
    local ns=$1 proto=$2 addr=$3 port=$4 i flag=-Hltn
    [ "$proto" = udp ] && flag=-Hlun
    for i in $(seq 1 100); do
        nsx "$ns" ss $flag "src $addr:$port" | grep -q . && return 0
        sleep 0.1
    done
    die "nothing listening on $proto $addr:$port in $ns"
}

file_size() { stat -c %s "$1" 2>/dev/null || echo 0; }

# ---------------------------------------------------------------- setup
teardown
WORK=$(mktemp -d /tmp/rcb-bench.XXXXXX)
chmod 755 "$WORK"
mkdir -p "$(dirname "$OUT")"
OUT=$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")
rm -f "$OUT"

log "namespaces ${ALL_NS[*]} on 10.60.0.0/24"
ns_base "$NS_BR"
# no multicast snooping: the bridge would send IGMP reports from 0.0.0.0
nsx "$NS_BR" ip link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
nsx "$NS_BR" ip link set br0 up
add_host "$NS_CLIENT" "$CLIENT_IP/24" 02:00:0a:3c:00:02 vc
add_host "$NS_SERVER" "$SERVER_IP/24" 02:00:0a:3c:00:05 vs
nsx "$NS_SERVER" ip addr add "$DNS_IP/24" dev eth0
for ns in "${ALL_NS[@]}"; do
    if nsx "$ns" ip route show default | grep -q .; then die "unexpected default route in $ns"; fi
done
mkdir -p "/etc/netns/$NS_CLIENT"
printf 'nameserver %s\noptions attempts:1 timeout:2\n' "$DNS_IP" >"/etc/netns/$NS_CLIENT/resolv.conf"
printf '127.0.0.1 localhost\n' >"/etc/netns/$NS_CLIENT/hosts"

# filtered port (silently dropped) on the server; the closed port just has
# no listener, so the server's kernel answers RST.
if ! nsx "$NS_SERVER" iptables -A INPUT -p tcp --dport "$FILTERED_PORT" -j DROP 2>/dev/null; then
    nsx "$NS_SERVER" nft -f - <<NFT
table inet rcbfw {
    chain input { type filter hook input priority 0; policy accept; tcp dport $FILTERED_PORT drop; }
}
NFT
fi

# random loss on the wire, server -> client (no netem on this kernel)
if [ "$LOSS_PER_MILLE" -gt 0 ]; then
    nsx "$NS_BR" nft -f - <<NFT
table bridge rcbloss {
    chain lossy {
        type filter hook forward priority 0; policy accept;
        iifname "vs" ether type ip ip protocol tcp numgen random mod 1000 < $LOSS_PER_MILLE counter drop
    }
}
NFT
fi

# static files 1 KB .. 1 MB
mkdir -p "$WORK/www/f" "$WORK/nginx" "$WORK/tls"
SIZES=(1024 2048 4096 10240 32768 102400 262144 524288 1048576)
for s in "${SIZES[@]}"; do head -c "$s" /dev/urandom >"$WORK/www/f/$s.bin"; done
printf 'bench ok\n' >"$WORK/www/index.html"

# self-signed certificate for the bench names
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$WORK/tls/server.key" -out "$WORK/tls/server.pem" -days 30 \
    -subj "/CN=www.bench.test" \
    -addext "subjectAltName=DNS:www.bench.test,DNS:cdn.bench.test,DNS:api.bench.test,IP:$SERVER_IP" \
    >/dev/null 2>&1 || die "openssl failed"

cat >"$WORK/nginx/nginx.conf" <<EOF
user root;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    default_type application/octet-stream;
    sendfile on;
    keepalive_timeout 5;
    ssl_session_cache off;
    ssl_session_tickets off;
    server {
        listen $SERVER_IP:80;
        server_name www.bench.test cdn.bench.test api.bench.test;
        root $WORK/www;
    }
    server {
        listen $SERVER_IP:443 ssl;
        server_name www.bench.test cdn.bench.test api.bench.test;
        ssl_certificate $WORK/tls/server.pem;
        ssl_certificate_key $WORK/tls/server.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        root $WORK/www;
    }
}
EOF
ip netns exec "$NS_SERVER" nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' \
    >"$WORK/nginx/stdout" 2>&1 &
wait_listen "$NS_SERVER" tcp "$SERVER_IP" 80
wait_listen "$NS_SERVER" tcp "$SERVER_IP" 443

# dnsmasq: three names -> the server; anything else under bench.test is
# NXDOMAIN (--local), AAAA for the three names is NODATA.
ip netns exec "$NS_SERVER" dnsmasq --keep-in-foreground --conf-file=/dev/null \
    --no-resolv --no-hosts --no-poll --user=root --group=root \
    --listen-address="$DNS_IP" --bind-interfaces --except-interface=lo \
    --host-record=www.bench.test,"$SERVER_IP" --host-record=cdn.bench.test,"$SERVER_IP" \
    --host-record=api.bench.test,"$SERVER_IP" --local=/bench.test/ --cache-size=0 \
    --pid-file="$WORK/dnsmasq.pid" >/dev/null 2>&1 &
wait_listen "$NS_SERVER" udp "$DNS_IP" 53

# ---------------------------------------------------------------- client jobs
# One job per line: KIND [ARGS]. The worker runs inside rcb-client.
cat >"$WORK/worker.sh" <<'EOF'
#!/usr/bin/env bash
# worker.sh WORKDIR KIND ARGS...
w=$1 kind=$2; shift 2
[ -e "$w/stop" ] && exit 0
# no -o: with several URLs curl writes every body to stdout, sent to /dev/null
exec >/dev/null
C=(curl -s --max-time 30 --http1.1)
case $kind in
http)  host=$1; shift; u=(); for s in "$@"; do u+=("http://$host/f/$s.bin"); done
       "${C[@]}" "${u[@]}" ;;
tls12) host=$1; shift; u=(); for s in "$@"; do u+=("https://$host/f/$s.bin"); done
       "${C[@]}" -k --tlsv1.2 --tls-max 1.2 "${u[@]}" ;;
tls13) host=$1; shift; u=(); for s in "$@"; do u+=("https://$host/f/$s.bin"); done
       "${C[@]}" -k --tlsv1.3 "${u[@]}" ;;
404)   "${C[@]}" "http://$1/missing/$RANDOM" ;;
dns)   dig +tries=1 +time=1 @"$1" "$2" "$3" >/dev/null ;;
filtered) "${C[@]}" --connect-timeout 3 "http://$1:$2/" ;;
closed)   "${C[@]}" "http://$1:$2/" ;;
esac
exit 0
EOF
chmod 755 "$WORK/worker.sh"

# gen_jobs ROUND N : N job lines; deterministic per round (seeded RANDOM)
gen_jobs() {
    local round=$1 n=$2 i k m sizes hosts=(www.bench.test cdn.bench.test api.bench.test)
    local names=(www.bench.test cdn.bench.test api.bench.test nope.bench.test img.bench.test)
    RANDOM=$((round * 7919 + 17))
    for ((i = 0; i < n; i++)); do
        if [ "$round" = 0 ] && [ "$i" -lt 4 ]; then
            # make sure even a small capture has the rare kinds
            case $i in
            0) echo "filtered $SERVER_IP $FILTERED_PORT" ;;
            1) echo "closed $SERVER_IP $CLOSED_PORT" ;;
            2) echo "tls12 www.bench.test 1024" ;;
            3) echo "tls13 www.bench.test 1024" ;;
            esac
            continue
        fi
        if ((i % 150 == 75)); then echo "filtered $SERVER_IP $FILTERED_PORT"; continue; fi
        if ((i % 60 == 30)); then echo "closed $SERVER_IP $CLOSED_PORT"; continue; fi
        if ((i % 40 == 20)); then echo "404 ${hosts[RANDOM % 3]}"; continue; fi
        k=$((RANDOM % 100))
        if ((k < 12)); then
            m=$((RANDOM % 2)); [ $m = 0 ] && m=A || m=AAAA
            echo "dns $DNS_IP ${names[RANDOM % ${#names[@]}]} $m"
            continue
        fi
        # 1..4 files per connection, small ones much more often than big ones
        sizes=""
        for ((m = 1 + RANDOM % 4; m > 0; m--)); do
            local r=$((RANDOM % 100)) s
            if ((r < 40)); then s=${SIZES[RANDOM % 3]}
            elif ((r < 70)); then s=${SIZES[3 + RANDOM % 2]}
            elif ((r < 90)); then s=${SIZES[5 + RANDOM % 2]}
            else s=${SIZES[7 + RANDOM % 2]}; fi
            sizes+=" $s"
        done
        if ((k < 50)); then echo "http ${hosts[RANDOM % 3]}$sizes"
        elif ((k < 75)); then echo "tls12 ${hosts[RANDOM % 3]}$sizes"
        else echo "tls13 ${hosts[RANDOM % 3]}$sizes"; fi
    done
}

# ---------------------------------------------------------------- capture
log "capture -> $OUT (stop at ${SIZE_MB} MB or ${MAX_SECONDS} s)"
ip netns exec "$NS_CLIENT" tcpdump -Z root -n -s 0 -B 65536 -i eth0 -w "$OUT" \
    2>"$WORK/tcpdump.err" &
CAP_PID=$!
for i in $(seq 1 50); do
    grep -q 'listening on' "$WORK/tcpdump.err" 2>/dev/null && break
    kill -0 "$CAP_PID" 2>/dev/null || { cat "$WORK/tcpdump.err" >&2; die "tcpdump failed"; }
    sleep 0.1
done
sleep 0.5

# Traffic driver: bounded batches of jobs, PARALLEL at a time, until the
# stop file appears (or a generous round limit).
(
    round=0
    while [ ! -e "$WORK/stop" ] && [ "$round" -lt 1000 ]; do
        gen_jobs "$round" 300 |
            ip netns exec "$NS_CLIENT" xargs -P "$PARALLEL" -L 1 "$WORK/worker.sh" "$WORK" || true
        round=$((round + 1))
    done
) &
DRIVER_PID=$!

limit_bytes=$((SIZE_MB * 1000 * 1000))
start=$SECONDS
reason="traffic generator finished"
while kill -0 "$DRIVER_PID" 2>/dev/null; do
    if [ "$(file_size "$OUT")" -ge "$limit_bytes" ]; then reason="size reached"; break; fi
    if [ $((SECONDS - start)) -ge "$MAX_SECONDS" ]; then reason="time limit"; break; fi
    sleep 0.1
done
log "stopping traffic: $reason after $((SECONDS - start)) s"
touch "$WORK/stop"
# running jobs finish (each is bounded by curl --max-time / dig +time)
for i in $(seq 1 150); do kill -0 "$DRIVER_PID" 2>/dev/null || break; sleep 0.2; done
if kill -0 "$DRIVER_PID" 2>/dev/null; then
    log "jobs still running after 30 s, killing them"
    for pid in $(ip netns pids "$NS_CLIENT"); do
        [ "$pid" = "$CAP_PID" ] || kill "$pid" 2>/dev/null || true
    done
fi
wait "$DRIVER_PID" 2>/dev/null || true
DRIVER_PID=""
sleep 1
kill -INT "$CAP_PID"
wait "$CAP_PID" 2>/dev/null || true
CAP_PID=""
grep -E 'captured|received|dropped' "$WORK/tcpdump.err" >&2 || true
nsx "$NS_BR" nft list table bridge rcbloss 2>/dev/null | grep -o 'counter packets [0-9]*' |
    sed 's/^/loss rule: /' >&2 || true

teardown
trap - EXIT

packets=$(capinfos -c -M "$OUT" | awk -F: '/Number of packets/ {gsub(/ /, "", $2); print $2}')
bytes=$(file_size "$OUT")
echo "capture: $OUT"
echo "packets: $packets"
awk -v b="$bytes" 'BEGIN { printf "size: %d bytes (%.1f MB)\n", b, b / 1e6 }'
