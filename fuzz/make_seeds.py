#!/usr/bin/env python3
"""Builds the committed fuzz seed corpora from the fixtures.

capture/, analyze/: whole capture files under 40 KB (synthetic edge cases and small real
captures). frame/: single frames cut from them, prefixed with the two bytes the `frame`
target reads (link-type selector, extra wire length).
Run from the repository root: python3 fuzz/make_seeds.py
"""
import glob, hashlib, os, struct

LINK_TYPES = [0, 1, 101, 108, 113, 228, 229, 276, 12, 239]
root = os.path.dirname(os.path.abspath(__file__))
fix = os.path.join(root, "..", "fixtures")

def write(target, data):
    d = os.path.join(root, "seeds", target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

files = sorted(glob.glob(os.path.join(fix, "synthetic", "*")) + glob.glob(os.path.join(fix, "*.pcap*")))
frames = 0
for path in files:
    if not os.path.isfile(path) or path.endswith((".py", ".tsv", ".md")):
        continue
    data = open(path, "rb").read()
    if len(data) <= 40_000:
        write("capture", data)
        write("analyze", data)
    # Cut frames from classic little-endian pcaps.
    if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") and frames < 400:
        lt = struct.unpack("<I", data[20:24])[0] & 0x0FFFFFFF
        if lt not in LINK_TYPES:
            continue
        off, n = 24, 0
        while off + 16 <= len(data) and n < 12:
            caplen = struct.unpack("<I", data[off + 8:off + 12])[0]
            body = data[off + 16:off + 16 + caplen]
            write("frame", bytes([LINK_TYPES.index(lt), 0]) + body)
            off += 16 + caplen
            n += 1
            frames += 1
# DNS payloads (UDP port 53, Ethernet/IPv4) and HTTP heads from the fixtures.
def ipv4_frames(data, proto):
    """Ethernet/IPv4 frames carrying IP protocol `proto` of a little-endian pcap, with the
    offset of their transport header."""
    if data[:4] != b"\xd4\xc3\xb2\xa1" or (struct.unpack("<I", data[20:24])[0] & 0xFFFF) != 1:
        return
    off = 24
    while off + 16 <= len(data):
        caplen = struct.unpack("<I", data[off + 8:off + 12])[0]
        fr = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        if len(fr) < 42 or fr[12:14] != b"\x08\x00" or fr[23] != proto:
            continue
        yield fr, 14 + (fr[14] & 15) * 4

def udp_dns(data):
    for fr, u in ipv4_frames(data, 17):
        sp, dp = struct.unpack(">HH", fr[u:u + 4])
        if 53 in (sp, dp):
            yield fr[u + 8:]

dns = 0
for path in files:
    if os.path.isfile(path) and path.endswith(".pcap"):
        for m in udp_dns(open(path, "rb").read()):
            if dns < 60:
                write("dns", m)
                dns += 1
for sample in [
    b"GET /health HTTP/1.1\r\nHost: fpdk.example\r\n\r\n",
    b"POST /invoice HTTP/1.1\r\nHost: fpdk.example:8081\r\nContent-Length: 5\r\n\r\nhello",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 120\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"fpdk\"\r\n\r\n",
]:
    write("http", bytes([len(sample) // 2]) + sample)
# Certificate chains from fixtures/certs (PEM -> DER), each DER behind a 2-byte length.
import base64, re
def pem_ders(path):
    text = open(path).read()
    return [base64.b64decode("".join(b.split()))
            for b in re.findall(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", text, re.S)]
certs = os.path.join(fix, "certs")
def blob(*names):
    out = b""
    for n in names:
        for der in pem_ders(os.path.join(certs, n)):
            out += struct.pack(">H", len(der)) + der
    return out
for chain in [("leaf-valid.pem", "intermediate.pem", "root.pem"),
              ("leaf-valid.pem", "intermediate-rekeyed.pem", "root.pem"),
              ("leaf-rsa1024.pem", "intermediate.pem"),
              ("leaf-selfsigned.pem",),
              ("sm2-sign-expired.pem", "sm2-enc-expired.pem", "sm2-root.pem")]:
    write("certs", blob(*chain))
# TLS: each direction's TCP payload of the TLS fixtures' first connection (Ethernet/IPv4
# pcaps), behind the one-byte cut the `tls` target reads.
def tcp_streams(data):
    streams = {}
    for fr, t in ipv4_frames(data, 6):
        if len(fr) < t + 20:
            continue
        sp, dp = struct.unpack(">HH", fr[t:t + 4])
        payload = fr[t + (fr[t + 12] >> 4) * 4:]
        if payload:
            streams.setdefault((sp, dp), b"")
            streams[(sp, dp)] += payload
    return streams
for path in sorted(glob.glob(os.path.join(fix, "tls*.pcap"))):
    for (sp, dp), payload in list(tcp_streams(open(path, "rb").read()).items())[:2]:
        write("tls", bytes([len(payload) % 251]) + payload[:20000])
print("seeds written")
