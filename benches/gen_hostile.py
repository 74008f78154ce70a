#!/usr/bin/env python3
"""benches/gen_hostile.py - captures that stress the flow table's memory, for peak-RSS runs.

Usage:  benches/gen_hostile.py KIND N OUT.pcap [--from CAPTURE]

KIND is one of:
  hellos   N connections, each SYN, SYN-ACK, ACK and a whole ClientHello (taken from CAPTURE,
           by default testdata/real/curl_tls13.pcap) that is never answered: a scanner, a server
           that is down, a one-sided capture. 4 frames each.
  open     N copies of CAPTURE's connection without its FIN and RST packets, each from its own
           client address: N established connections still open when the capture ends.
  syns     N SYNs from N client addresses, never answered.
  behind   one SYN that is never answered, then N copies of CAPTURE's whole connection (with its
           FIN): finished connections whose records could wait behind the silent one.

Every packet is 1 microsecond after the one before. Classic little-endian pcap, Ethernet, IPv4;
only addresses are rewritten (checksums are left as they were, which tlsnoop does not check).
The README's table under "Speed and memory" was made with N = 200,000 hellos, 100,000 open,
300,000 syns and 100,000 behind:

    benches/gen_hostile.py hellos 200000 ../bench/hellos.pcap
    /usr/bin/time -f %M target/release/tlsnoop read --format jsonl -q -j 1 ../bench/hellos.pcap -o /dev/null
"""
import argparse
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_FROM = os.path.join(HERE, "..", "testdata", "real", "curl_tls13.pcap")


def read_pcap(path):
    """(header, [frame bytes]) of a classic little-endian microsecond pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\xd4\xc3\xb2\xa1":
        sys.exit(f"{path}: not a little-endian microsecond pcap file")
    frames, off = [], 24
    while off + 16 <= len(data):
        incl = struct.unpack_from("<I", data, off + 8)[0]
        frames.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return data[:24], frames


def tcp_of(frame):
    """(IPv4 header offset, TCP header offset, payload offset) of an Ethernet/IPv4/TCP frame."""
    ip = 14
    tcp = ip + (frame[ip] & 15) * 4
    return ip, tcp, tcp + (frame[tcp + 12] >> 4) * 4


def client(i):
    """A distinct client address for copy i (10.64.0.0/10)."""
    return bytes([10, 64 | (i >> 16) & 63, (i >> 8) & 255, i & 255])


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def segment(src, dst, sport, dport, seq, ack, flags, payload=b""):
    """An Ethernet/IPv4/TCP frame with correct checksums."""
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + tcp


class Writer:
    def __init__(self, path, header):
        self.f = open(path, "wb")
        self.f.write(header)
        self.t = 0

    def frame(self, data):
        self.t += 1
        secs, usecs = 1_700_000_000 + self.t // 1_000_000, self.t % 1_000_000
        self.f.write(struct.pack("<IIII", secs, usecs, len(data), len(data)))
        self.f.write(data)


def copies(w, frames, n, keep=lambda fr: True):
    """n copies of `frames`, the first frame's source address replaced by each copy's client."""
    ip, _, _ = tcp_of(frames[0])
    original = frames[0][ip + 12:ip + 16]
    kept = [fr for fr in frames if keep(fr)]
    for i in range(n):
        new = client(i)
        for fr in kept:
            q = bytearray(fr)
            for at in (ip + 12, ip + 16):
                if q[at:at + 4] == original:
                    q[at:at + 4] = new
            w.frame(bytes(q))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("kind", choices=["hellos", "open", "syns", "behind"])
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--from", dest="src", default=DEFAULT_FROM, help="the real capture to copy")
    a = ap.parse_args()
    header, frames = read_pcap(a.src)
    w = Writer(a.out, header)
    server = bytes([192, 0, 2, 1])
    if a.kind == "hellos":
        hello = next(
            (fr[tcp_of(fr)[2]:] for fr in frames
             if fr[tcp_of(fr)[2]:tcp_of(fr)[2] + 1] == b"\x16" and fr[tcp_of(fr)[2] + 5] == 1),
            None,
        )
        if hello is None:
            sys.exit(f"{a.src}: no ClientHello in one segment")
        for i in range(a.n):
            c, port = client(i), 40000 + i % 20000
            w.frame(segment(c, server, port, 443, 1000, 0, 0x02))
            w.frame(segment(server, c, 443, port, 5000, 1001, 0x12))
            w.frame(segment(c, server, port, 443, 1001, 5001, 0x10))
            w.frame(segment(c, server, port, 443, 1001, 5001, 0x18, hello))
    elif a.kind == "open":
        copies(w, frames, a.n, keep=lambda fr: not fr[tcp_of(fr)[1] + 13] & 0x05)
    elif a.kind == "syns":
        for i in range(a.n):
            w.frame(segment(client(i), server, 40000 + i % 20000, 443, 1000, 0, 0x02))
    else:
        w.frame(segment(bytes([10, 200, 0, 1]), server, 39999, 443, 1000, 0, 0x02))
        copies(w, frames, a.n)
    w.f.close()
    print(f"{a.out}: {w.t} frames", file=sys.stderr)


if __name__ == "__main__":
    main()
