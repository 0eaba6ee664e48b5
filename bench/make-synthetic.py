#!/usr/bin/env python3
"""Synthetic captures for memory and scale checks (not committed; made at bench/test time).

  make-synthetic.py flows N OUT      N distinct TCP flows: a SYN from a random source
                                     (10.0.0.0/8, random port) to 10.255.0.5:443, 50 us apart
  make-synthetic.py spread N OUT [GAP_US]
                                     N distinct TCP flows like `flows`, but GAP_US (default
                                     2000) apart: a flood that lasts hours, with few flows
                                     alive at any moment (5,000,000 flows 2 ms apart: 2.8 h,
                                     about 150,000 alive at once)
  make-synthetic.py scan N OUT       N SYNs from one source (10.9.9.9) to random hosts of
                                     10.64.0.0/10 and random ports, 2 ms apart: every flow
                                     goes to a server of its own (3,000,000: 1.7 h)
  make-synthetic.py longlived N OUT  8 connections that each stay open for the whole file:
                                     N data segments round-robin, acknowledged, 1 ms apart
  make-synthetic.py alive K P OUT    P packets (P >= 3K) over K TCP connections that are all
                                     open at once, 1 us apart (for bench/scaling.sh). Client i
                                     is 10.0.0.0/8 address i+1, port 40000 + i % 20000; server
                                     10.255.0.(1 + i % 4):443. Every packet touches the flow
                                     after the previous packet's (round-robin, stride K), so
                                     each flow is touched once per K packets:
                                       - a round of K SYNs, then K SYN-ACKs, then K ACKs (all
                                         K connections open after 3K packets);
                                       - then rounds of K client segments (PSH+ACK, 100 bytes,
                                         in order) alternating with rounds of K server ACKs,
                                         until P packets (the last round may be partial);
                                       - no FIN: every connection is still open at the end.
                                     Seq/ack numbers and IP/TCP checksums are correct. The mix
                                     differs with K only in the handshake share, 3K/P: with
                                     P = 3,000,000, K = 1,000 is 0.1% handshake and 99.9%
                                     data/ACK, K = 100,000 is 10% handshake, K = 1,000,000 is
                                     handshakes only (3 packets per flow, no data). A larger P
                                     narrows it (P = 30,000,000: 10% at 1 M). The longest gap
                                     between two packets of a flow is 2K us (2 s at 1 M),
                                     far below the 300 s TCP idle timeout.

Classic pcap, Ethernet, microseconds. Deterministic (fixed random seed).
"""
import random, struct, sys

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return (~s) & 0xFFFF

def frame(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 0x50, flags, 65535, 0, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + ip + tcp

def fold(s):
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF

def alive(k, p, out):
    """`alive K P OUT` (see the module doc). Checksums are summed from the fields, not from
    the packed bytes: 3,000,000 frames take about a minute."""
    if k < 1 or p < 3 * k:
        sys.exit("alive: need K >= 1 and P >= 3K (every flow gets its handshake)")
    rechdr = struct.Struct("<IIII").pack
    hdr = struct.Struct("!14sBBHHHBBH4s4sHHIIBBHHH").pack
    eth = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00"
    payload = bytes(range(100))
    psum = sum(struct.unpack("!50H", payload))
    SYN, SYNACK, ACK, PSHACK = 0x02, 0x12, 0x10, 0x18
    # fixed IP header words: 0x4500, id 1, 0x4000 (DF), ttl 64 / proto 6; checksum 0
    ip_fixed = 0x4500 + 1 + 0x4000 + 0x4006
    t0 = 1_780_000_000 * 1_000_000
    n = 0
    servers = [(10 << 24) | (255 << 16) | s for s in (1, 2, 3, 4)]

    def isn(i, side):
        # deterministic, well-spread initial sequence numbers without per-flow state
        return ((i + 1) * 2654435761 + side * 0x9E3779B9) & 0xFFFFFFFF

    f = open(out, "wb", buffering=1 << 22)
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    buf = []

    def rec(src, dst, sport, dport, seq, ack, flags, data):
        nonlocal n
        tcplen = 20 + len(data)
        iplen = 20 + tcplen
        addr = (src >> 16) + (src & 0xFFFF) + (dst >> 16) + (dst & 0xFFFF)
        ipc = fold(ip_fixed + iplen + addr)
        tc = fold(addr + 6 + tcplen + sport + dport + (seq >> 16) + (seq & 0xFFFF)
                  + (ack >> 16) + (ack & 0xFFFF) + (0x5000 | flags) + 65535
                  + (psum if data else 0))
        t = t0 + n
        buf.append(rechdr(t // 1_000_000, t % 1_000_000, 14 + iplen, 14 + iplen))
        buf.append(hdr(eth, 0x45, 0, iplen, 1, 0x4000, 64, 6, ipc, src.to_bytes(4, "big"),
                       dst.to_bytes(4, "big"), sport, dport, seq, ack, 0x50, flags, 65535, tc, 0))
        if data:
            buf.append(data)
        n += 1
        if len(buf) >= 30000:
            f.write(b"".join(buf))
            buf.clear()

    def flow(i):
        return (10 << 24) | (i + 1), 40000 + i % 20000, servers[i % 4]

    for phase in range(3):
        for i in range(k):
            cli, cport, srv = flow(i)
            c, s = isn(i, 0), isn(i, 1)
            if phase == 0:
                rec(cli, srv, cport, 443, c, 0, SYN, b"")
            elif phase == 1:
                rec(srv, cli, 443, cport, s, (c + 1) & 0xFFFFFFFF, SYNACK, b"")
            else:
                rec(cli, srv, cport, 443, (c + 1) & 0xFFFFFFFF, (s + 1) & 0xFFFFFFFF, ACK, b"")
    r = 0
    while n < p:
        for i in range(k):
            if n >= p:
                break
            cli, cport, srv = flow(i)
            c, s = isn(i, 0), isn(i, 1)
            seq = (c + 1 + (r // 2) * 100) & 0xFFFFFFFF
            if r % 2 == 0:
                rec(cli, srv, cport, 443, seq, (s + 1) & 0xFFFFFFFF, PSHACK, payload)
            else:
                rec(srv, cli, 443, cport, (s + 1) & 0xFFFFFFFF, (seq + 100) & 0xFFFFFFFF, ACK, b"")
        r += 1
    f.write(b"".join(buf))
    f.close()

def main():
    if sys.argv[1] == "alive":
        return alive(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    mode, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    rnd = random.Random(7)
    t = 1_780_000_000 * 1_000_000
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        def rec(data):
            f.write(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(data), len(data)))
            f.write(data)
        server = bytes([10, 255, 0, 5])
        if mode in ("flows", "spread"):
            gap = 50 if mode == "flows" else int(sys.argv[4]) if len(sys.argv) > 4 else 2000
            for i in range(n):
                src = struct.pack("!I", (10 << 24) | rnd.randrange(1, 1 << 24))
                rec(frame(src, server, rnd.randrange(1024, 65535), 443, rnd.getrandbits(32), 0, 0x02))
                t += gap
        elif mode == "scan":
            scanner = bytes([10, 9, 9, 9])
            for i in range(n):
                dst = struct.pack("!I", (10 << 24) | (64 << 16) | rnd.randrange(0, 1 << 22))
                rec(frame(scanner, dst, 40000 + i % 20000, rnd.randrange(1, 65536), rnd.getrandbits(32), 0, 0x02))
                t += 2000
        elif mode == "longlived":
            conns = []
            for c in range(8):
                cli = bytes([10, 1, 0, 10 + c])
                cseq, sseq = rnd.getrandbits(32), rnd.getrandbits(32)
                rec(frame(cli, server, 40000 + c, 443, cseq, 0, 0x02)); t += 100
                rec(frame(server, cli, 443, 40000 + c, sseq, cseq + 1, 0x12)); t += 100
                rec(frame(cli, server, 40000 + c, 443, cseq + 1, sseq + 1, 0x10)); t += 100
                conns.append([cli, cseq + 1, sseq + 1])
            payload = b"x" * 512
            for i in range(n):
                c = conns[i % 8]
                rec(frame(c[0], server, 40000 + i % 8, 443, c[1], c[2], 0x18, payload))
                c[1] = (c[1] + len(payload)) & 0xFFFFFFFF
                t += 500
                rec(frame(server, c[0], 443, 40000 + i % 8, c[2], c[1], 0x10))
                t += 500
        else:
            sys.exit("mode: flows | spread | scan | longlived | alive")

main()
