#!/usr/bin/env python3
"""Makes a large capture from the real handshakes in testdata/real/ for memory and speed runs.

Usage: benches/gen_big.py OUT.pcap SIZE_MB [--open N]

Every TCP flow of every Ethernet/IPv4 capture in testdata/real/ is replicated with rewritten
addresses (10.0.0.0/8 clients, 172.16.0.0/12 servers) and ports, and N copies (default 200) are
interleaved packet by packet so that hundreds of flows are open at once. Checksums are not
recomputed (tlsnoop and tshark do not verify them). Timestamps increase by 1 ms per packet (so capture-time timeouts behave as on a real link).
The output is a classic microsecond pcap, Ethernet link type.
"""
import glob
import os
import struct
import sys


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic not in (0xA1B2C3D4, 0xA1B23C4D):
        return []
    linktype = struct.unpack("<I", data[20:24])[0]
    if linktype != 1:
        return []
    pkts, off = [], 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        pkts.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return pkts


def flows_of(pkts):
    """Groups IPv4/TCP packets by connection, in capture order."""
    flows = {}
    for p in pkts:
        if len(p) < 34 or p[12:14] != b"\x08\x00" or p[23] != 6:
            continue
        ihl = (p[14] & 0x0F) * 4
        t = 14 + ihl
        src, dst = p[26:30], p[30:34]
        sp, dp = p[t:t + 2], p[t + 2:t + 4]
        key = tuple(sorted([(src, sp), (dst, dp)]))
        flows.setdefault(key, []).append((p, t))
    return list(flows.values())


def main():
    out, size_mb = sys.argv[1], int(sys.argv[2])
    open_n = int(sys.argv[sys.argv.index("--open") + 1]) if "--open" in sys.argv else 200
    here = os.path.dirname(os.path.abspath(__file__))
    templates = []
    for path in sorted(glob.glob(os.path.join(here, "..", "testdata", "real", "*.pcap"))):
        templates.extend(flows_of(read_pcap(path)))
    if not templates:
        sys.exit("no Ethernet/IPv4 TCP flows found in testdata/real/")
    limit = size_mb * 1024 * 1024
    written, ts, copy = 24, 1_700_000_000 * 1_000_000, 0
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        active = []
        while written < limit:
            while len(active) < open_n:
                tmpl = templates[copy % len(templates)]
                p0, t0 = tmpl[0]
                first_src = p0[26:30] + p0[t0:t0 + 2]
                c_ip = struct.pack(">I", 0x0A000000 | (copy % 0xFFFFFF))
                s_ip = struct.pack(">I", 0xAC100000 | (copy % 0xFFFFF))
                c_port = struct.pack(">H", 1024 + copy % 60000)
                active.append([tmpl, 0, first_src, c_ip, s_ip, c_port])
                copy += 1
            nxt = []
            for st in active:
                tmpl, i, first_src, c_ip, s_ip, c_port = st
                p, t = tmpl[i]
                b = bytearray(p)
                from_client = p[26:30] + p[t:t + 2] == first_src
                if from_client:
                    b[26:30], b[30:34], b[t:t + 2] = c_ip, s_ip, c_port
                else:
                    b[26:30], b[30:34], b[t + 2:t + 4] = s_ip, c_ip, c_port
                ts += 1000
                f.write(struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000, len(b), len(b)))
                f.write(b)
                written += 16 + len(b)
                st[1] += 1
                if st[1] < len(tmpl):
                    nxt.append(st)
            active = nxt
    print(f"{out}: {written} bytes, {copy} flows")


if __name__ == "__main__":
    main()
