#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, made from testdata/ (python3 stdlib only).

    python3 fuzz/seeds.py OUTDIR

writes OUTDIR/pipeline, OUTDIR/tls_stream, OUTDIR/reassembler, OUTDIR/cert and OUTDIR/decode,
each in the
input format of its target (see fuzz/harness/*.rs):

- pipeline: the capture files of testdata/real and testdata/crafted as they are;
- tls_stream: each TCP connection of testdata/real as the TLS layer sees it, in chunks of one
  control byte (bit 0: direction, bits 2-7: length / 4) and up to 252 bytes;
- reassembler: each connection's client direction as reassembler operations (a 4-byte SYN
  sequence number, then op 0 = push seq payload, op 2 = the server's ACK);
- cert: the DER certificates of testdata/certs;
- decode: the frames of each Ethernet capture of testdata/real (link type 1, then each frame as a
  2-byte big-endian length and its bytes), up to 64 KiB.

Plus testdata/fuzz-regressions/TARGET for each. The fuzz corpora themselves (fuzz/corpus/) are
not in git; .ci/run calls this for its short fuzz run.
"""

import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.path.join(HERE, "..", "testdata")


def packets(path):
    """(ts, frame bytes) of a little- or big-endian classic pcap with Ethernet frames."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] == b"\xd4\xc3\xb2\xa1":
        e = "<"
    elif data[:4] == b"\xa1\xb2\xc3\xd4":
        e = ">"
    else:
        return
    if struct.unpack(e + "I", data[20:24])[0] != 1:
        return
    off = 24
    while off + 16 <= len(data):
        caplen = struct.unpack(e + "I", data[off + 8 : off + 12])[0]
        yield data[off + 16 : off + 16 + caplen]
        off += 16 + caplen


def tcp(frame):
    """(src, dst, seq, ack, flags, payload) of an Ethernet/IPv4/TCP frame, else None."""
    if len(frame) < 54 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
        return None
    ihl = (frame[14] & 15) * 4
    total = struct.unpack(">H", frame[16:18])[0]
    t = 14 + ihl
    sport, dport, seq, ack = struct.unpack(">HHII", frame[t : t + 12])
    doff = (frame[t + 12] >> 4) * 4
    payload = frame[t + doff : 14 + total]
    src = (frame[26:30], sport)
    dst = (frame[30:34], dport)
    return src, dst, seq, ack, frame[t + 13], payload


def connections(path):
    """Per connection (keyed by its first packet's direction): the packets in order."""
    conns = {}
    for frame in packets(path):
        p = tcp(frame)
        if p is None:
            continue
        src, dst = p[0], p[1]
        key = (src, dst) if (dst, src) not in conns else (dst, src)
        conns.setdefault(key, []).append(p)
    return conns


def tls_stream(conn):
    client = conn[0][0]
    out = bytearray()
    left = {0: b"", 1: b""}
    for src, _dst, _seq, _ack, _flags, payload in conn:
        if not payload:
            continue
        d = 0 if src == client else 1
        data = left[d] + payload
        cut = len(data) - len(data) % 4
        left[d] = data[cut:]
        for i in range(0, cut, 252):
            piece = data[i : min(i + 252, cut)]
            out.append((len(piece) // 4) << 2 | d)
            out += piece
    return bytes(out)


def reassembler(conn):
    client = conn[0][0]
    out = bytearray()
    syn = next((seq for src, _d, seq, _a, flags, _p in conn if src == client and flags & 2), None)
    if syn is None:
        return None
    out += struct.pack(">I", syn)
    for src, _dst, seq, ack, flags, payload in conn:
        if src == client:
            start = seq + (1 if flags & 2 else 0)
            for i in range(0, len(payload), 255):
                piece = payload[i : i + 255]
                out += bytes([0]) + struct.pack(">I", (start + i) & 0xFFFFFFFF)
                out += bytes([len(piece)]) + piece
        elif flags & 0x10:
            out += bytes([2]) + struct.pack(">I", ack) + bytes([0])
    out += bytes([3, 0, 0, 0, 0, 0])
    return bytes(out)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    outdir = sys.argv[1]
    targets = ["pipeline", "tls_stream", "reassembler", "cert", "decode"]
    for t in targets:
        os.makedirs(os.path.join(outdir, t), exist_ok=True)
        regressions = os.path.join(TESTDATA, "fuzz-regressions", t)
        if os.path.isdir(regressions):
            for name in sorted(os.listdir(regressions)):
                shutil.copy(os.path.join(regressions, name), os.path.join(outdir, t, name))
    counts = dict.fromkeys(targets, 0)
    for d in ["real", "crafted"]:
        for name in sorted(os.listdir(os.path.join(TESTDATA, d))):
            path = os.path.join(TESTDATA, d, name)
            if not name.endswith((".pcap", ".pcapng", ".gz")):
                continue
            shutil.copy(path, os.path.join(outdir, "pipeline", f"{d}-{name}"))
            counts["pipeline"] += 1
            if d != "real":
                continue
            seed = bytearray(struct.pack("<I", 1))
            for frame in packets(path) or []:
                if len(seed) + 2 + len(frame) > 65536:
                    break
                seed += struct.pack(">H", len(frame)) + frame
            if len(seed) > 4:
                with open(os.path.join(outdir, "decode", name), "wb") as f:
                    f.write(seed)
                counts["decode"] += 1
            for i, conn in enumerate(connections(path).values()):
                for t, make in [("tls_stream", tls_stream), ("reassembler", reassembler)]:
                    seed = make(conn)
                    if seed:
                        with open(os.path.join(outdir, t, f"{name}-{i}"), "wb") as f:
                            f.write(seed)
                        counts[t] += 1
    for root, _dirs, files in os.walk(os.path.join(TESTDATA, "certs")):
        for name in sorted(files):
            if name.endswith(".der"):
                shutil.copy(os.path.join(root, name), os.path.join(outdir, "cert", name))
                counts["cert"] += 1
    print("seeds:", ", ".join(f"{t} {n}" for t, n in counts.items()))


if __name__ == "__main__":
    main()
