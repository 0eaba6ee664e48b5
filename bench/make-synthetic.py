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

def main():
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
            sys.exit("mode: flows | spread | scan | longlived")

main()
