#!/usr/bin/env python3
"""Makes a large, realistic benchmark capture from the real captures in testdata/real/.

Usage: benches/gen_bench.py OUT.pcap [--size 1.69G] [--seed 6] [--open 500] [--step-us 1000]
                            [--flow-bytes 16250] [--bulk-share X] [--plain-share 0.01]
                            [--clients 30000] [--servers 4000]

Every TCP flow of every Ethernet/IPv4 capture in testdata/real/ is a template. Templates come
in three classes, by file name:

  small  every other capture: one handshake (complete, failed, resumed, reset, unanswered ...)
         and at most a line or a small page of data, 0.7-10 KB and 6-37 packets;
  bulk   bulk_*.pcap: a TLS connection carrying 200-330 KB in 1448-byte segments, 205-333 packets;
  plain  plain_*.pcap: TCP that is not TLS (HTTP), 110 KB.

A share of the flows is copied from plain templates (--plain-share) and from bulk ones
(--bulk-share, by default computed so that the mean flow is --flow-bytes long, like the
reference capture of issue 6: 1.69 GB, 2.93 M packets, ~104 k flows, ~103 k of them TLS), the
rest from small ones. The shares are exact: every block of 1000 new flows holds the right
number of each class in a shuffled order, and each class deals its templates like a deck of
cards (each once, in a shuffled order, then reshuffled), so every template is copied about
equally often. The copy gets a client address from a pool of --clients in 10.0.0.0/8 with the
client's next ephemeral port, a server from a pool of --servers in 172.16.0.0/12 on port 443
(TLS) or 80 (plain), random initial sequence numbers per direction (seq/ack rewritten), fixed
MAC addresses, and a correct IPv4 header checksum (TCP checksums are left as captured: on lo
they are not computed anyway). --open copies are in progress at any time; the packets are
interleaved in rounds, each round taking the next packet of every open flow in a shuffled
order, and the clock advances by an exponentially distributed gap with a mean of --step-us per
packet. So two packets of a flow are about --open x --step-us apart (0.5 s by default) and at
most two rounds (2 x --open packets) apart: no flow sits idle long enough to reach a
capture-time timeout that its template does not have (the summary prints the longest gap).
The clock starts at the first timestamp of the newest template, so certificate dates relate to
the capture time as in the real captures (no certificate is younger than the clock). New flows
are started until the planned size is reached; the open ones are then finished, so every flow
is complete.

The output is a classic microsecond pcap (little-endian, DLT_EN10MB, snaplen 262144). Same
arguments and same testdata/real/ -> the same bytes (random.Random(seed)). Python stdlib only.
"""
import argparse
import glob
import os
import random
import struct
import sys
import time

M32 = 0xFFFFFFFF
MAC_CLIENT_SIDE = bytes.fromhex("020000000001")
MAC_SERVER_SIDE = bytes.fromhex("020000000002")


def read_pcap(path):
    """[(ts_us, orig_len, data)] of a classic Ethernet pcap, [] for anything else."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    for endian in "<>":
        magic = struct.unpack(endian + "I", data[:4])[0]
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            break
    else:
        return []
    nano = magic == 0xA1B23C4D
    if struct.unpack(endian + "I", data[20:24])[0] & 0xFFFF != 1:
        return []
    hdr = struct.Struct(endian + "IIII")
    pkts, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = hdr.unpack_from(data, off)
        ts = sec * 1_000_000 + (frac // 1000 if nano else frac)
        pkts.append((ts, orig, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return pkts


def sum16(b):
    s = sum(struct.unpack(">%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


class Template:
    """One TCP connection of a real capture, prepared for fast copying."""

    def __init__(self, name, cls, pkts):
        self.name, self.cls = name, cls
        self.first_ts = pkts[0][0]
        # client = sender of the first SYN without ACK, else of the first packet
        client = None
        for _, _, p, t in pkts:
            if p[t + 13] & 0x12 == 0x02:
                client = p[26:30] + p[t:t + 2]
                break
        if client is None:
            p, t = pkts[0][2], pkts[0][3]
            client = p[26:30] + p[t:t + 2]
        p0 = pkts[0][2]
        # the ones'-complement sum of the two addresses: the same in both directions
        self.addr_sum = sum16(p0[26:34])
        self.packets = []   # (record bytes with a blank 16-byte header, from_client, tcp offset, seq, ack, has_ack, ip checksum)
        for _, orig, p, t in pkts:
            from_client = p[26:30] + p[t:t + 2] == client
            eth = (MAC_SERVER_SIDE + MAC_CLIENT_SIDE) if from_client else (MAC_CLIENT_SIDE + MAC_SERVER_SIDE)
            rec = bytes(8) + struct.pack("<II", len(p), orig) + eth + p[12:]
            seq, ack = struct.unpack_from(">II", p, t + 4)
            ipck = struct.unpack_from(">H", p, 24)[0]
            self.packets.append((rec, from_client, 16 + t, seq, ack, bool(p[t + 13] & 0x10), ipck))
        self.bytes = sum(len(x[0]) for x in self.packets)


def templates_of(path):
    """Groups a capture's IPv4/TCP packets by connection, in capture order."""
    stem = os.path.basename(path)[:-len(".pcap")]
    cls = "bulk" if stem.startswith("bulk_") else "plain" if stem.startswith("plain_") else "small"
    flows = {}
    for ts, orig, p in read_pcap(path):
        if len(p) < 34 or p[12:14] != b"\x08\x00" or p[14] >> 4 != 4 or p[23] != 6:
            continue
        t = 14 + (p[14] & 0x0F) * 4
        if len(p) < t + 20 or struct.unpack_from(">H", p, 20)[0] & 0x3FFF:
            continue   # short, or an IP fragment
        key = tuple(sorted([(p[26:30], p[t:t + 2]), (p[30:34], p[t + 2:t + 4])]))
        flows.setdefault(key, []).append((ts, orig, p, t))
    out = []
    for i, pkts in enumerate(flows.values()):
        name = stem if len(flows) == 1 else "%s#%d" % (stem, i + 1)
        out.append(Template(name, cls, pkts))
    return out


def parse_size(s):
    units = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "KI": 2**10, "MI": 2**20, "GI": 2**30}
    s = s.strip().upper().rstrip("B")
    num = s.rstrip("KMGI")
    return int(float(num) * units[s[len(num):]])


def host_pool(rng, base, bits, n):
    """n distinct addresses in base/(32-bits), none ending in .0 or .255."""
    n = min(n, (1 << bits) // 2)
    seen, out = set(), []
    while len(out) < n:
        k = rng.randrange(1, 1 << bits)
        if k in seen or k & 0xFF in (0, 255):
            continue
        seen.add(k)
        out.append(struct.pack(">I", base | k))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--size", default="1.69G", help="planned file size: bytes, or with K/M/G (10^3..) or Ki/Mi/Gi (default 1.69G)")
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--open", type=int, default=500, help="flows in progress at any time (default 500)")
    ap.add_argument("--step-us", type=float, default=1000.0, help="mean gap between two packets of the capture, µs (default 1000)")
    ap.add_argument("--flow-bytes", type=float, default=16250.0, help="mean flow size in file bytes that the default bulk share aims at (default 16250)")
    ap.add_argument("--bulk-share", type=float, default=None, help="share of flows copied from bulk_* templates (default: from --flow-bytes)")
    ap.add_argument("--plain-share", type=float, default=0.01, help="share of flows copied from plain_* (not TLS) templates (default 0.01)")
    ap.add_argument("--clients", type=int, default=30000)
    ap.add_argument("--servers", type=int, default=4000)
    ap.add_argument("--templates", default=None, help="directory of template captures (default testdata/real/)")
    a = ap.parse_args()
    started = time.monotonic()

    here = os.path.dirname(os.path.abspath(__file__))
    tdir = a.templates or os.path.join(here, "..", "testdata", "real")
    templates = []
    for path in sorted(glob.glob(os.path.join(tdir, "*.pcap"))):
        templates.extend(templates_of(path))
    by_cls = {c: [t for t in templates if t.cls == c] for c in ("small", "bulk", "plain")}
    if not by_cls["small"]:
        sys.exit("no Ethernet/IPv4 TCP flows found in %s" % tdir)
    mean = {c: (sum(t.bytes for t in ts) / len(ts) if ts else 0.0) for c, ts in by_cls.items()}

    p_plain = a.plain_share if by_cls["plain"] else 0.0
    if a.bulk_share is not None:
        p_bulk = a.bulk_share
    elif by_cls["bulk"] and mean["bulk"] > mean["small"]:
        p_bulk = (a.flow_bytes - mean["small"] - p_plain * (mean["plain"] - mean["small"])) / (mean["bulk"] - mean["small"])
    else:
        p_bulk = 0.0
    p_bulk = max(0.0, min(p_bulk, 1.0 - p_plain)) if by_cls["bulk"] else 0.0
    shares = {"plain": p_plain, "bulk": p_bulk, "small": 1.0 - p_plain - p_bulk}

    rng = random.Random(a.seed)
    clients = host_pool(rng, 0x0A000000, 24, a.clients)
    servers = host_pool(rng, 0xAC100000, 20, a.servers)
    next_port = [rng.randrange(32768, 61000) for _ in clients]
    limit = parse_size(a.size)

    stats = {t.name: [0, 0, 0] for t in templates}   # flows, packets, bytes
    ts = max(t.first_ts for t in templates)
    t_start = ts
    planned = written = 24
    packets = flows = 0
    max_gap = 0
    pack_into = struct.pack_into
    expo = rng.expovariate
    lam = 1.0 / a.step_us

    BLOCK = 1000
    class_deck, template_decks = [], {c: [] for c in by_cls}

    def next_class():
        # the classes of the next BLOCK flows: exact counts (fractions carried over), shuffled
        if not class_deck:
            k = flows // BLOCK
            for c in ("plain", "bulk", "small"):
                n = int(shares[c] * BLOCK * (k + 1) + 1e-9) - int(shares[c] * BLOCK * k + 1e-9)
                class_deck.extend([c] * n)
            while len(class_deck) < BLOCK:   # rounding: the small class takes up the rest
                class_deck.append("small")
            del class_deck[BLOCK:]
            rng.shuffle(class_deck)
        return class_deck.pop()

    def next_template(cls):
        deck = template_decks[cls]
        if not deck:
            deck.extend(by_cls[cls])
            rng.shuffle(deck)
        return deck.pop()

    def new_flow():
        nonlocal planned, flows
        tmpl = next_template(next_class())
        cls = tmpl.cls
        ci = rng.randrange(len(clients))
        port = next_port[ci]
        next_port[ci] = port + 1 if port < 65535 else 1024
        c_ip, s_ip = clients[ci], servers[rng.randrange(len(servers))]
        s_port = 80 if cls == "plain" else 443
        # RFC 1624: HC' = ~(~HC + ~m + m'), m = the template's addresses, m' = the new ones
        delta = (~tmpl.addr_sum & 0xFFFF) + sum16(c_ip + s_ip)
        off_c, off_s = rng.getrandbits(32), rng.getrandbits(32)
        st = stats[tmpl.name]
        st[0] += 1
        st[1] += len(tmpl.packets)
        st[2] += tmpl.bytes
        planned += tmpl.bytes
        flows += 1
        # state: packets, next index, last ts, addressing for client->server and server->client
        return [tmpl.packets, 0, None, delta,
                (c_ip, s_ip, port, s_port, off_c, off_s),
                (s_ip, c_ip, s_port, port, off_s, off_c)]

    with open(a.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        buf = bytearray()
        active = []
        max_open = 0
        while True:
            while planned < limit and len(active) < a.open:
                active.append(new_flow())
            if not active:
                break
            max_open = max(max_open, len(active))
            rng.shuffle(active)
            nxt = []
            for st in active:
                pkts, i, last, delta, c2s, s2c = st
                rec, from_client, t, seq, ack, has_ack, ipck = pkts[i]
                src, dst, sp, dp, so, ao = c2s if from_client else s2c
                s = (~ipck & 0xFFFF) + delta
                s = (s & 0xFFFF) + (s >> 16)
                s = (s & 0xFFFF) + (s >> 16)
                ts += int(expo(lam)) + 1
                b = bytearray(rec)
                pack_into("<II", b, 0, ts // 1_000_000, ts % 1_000_000)
                pack_into(">H4s4s", b, 40, ~s & 0xFFFF, src, dst)
                pack_into(">HHII", b, t, sp, dp, (seq + so) & M32, (ack + ao) & M32 if has_ack else ack)
                buf += b
                if last is not None and ts - last > max_gap:
                    max_gap = ts - last
                i += 1
                if i < len(pkts):
                    st[1], st[2] = i, ts
                    nxt.append(st)
            packets += len(active)
            active = nxt
            if len(buf) >= 32 << 20:
                f.write(buf)
                written += len(buf)
                buf = bytearray()
        f.write(buf)
        written += len(buf)
    assert written == planned == os.path.getsize(a.out)
    elapsed = time.monotonic() - started

    cls_of = {t.name: t.cls for t in templates}
    tls = sum(v[0] for k, v in stats.items() if cls_of[k] != "plain")
    print("%s: %s bytes, %s packets, %s flows (%s TLS, %s not TLS); per flow %.1f KB, %.1f packets"
          % (a.out, f"{written:,}", f"{packets:,}", f"{flows:,}", f"{tls:,}", f"{flows - tls:,}",
             written / max(flows, 1) / 1000, packets / max(flows, 1)))
    print("capture time %d s from %s UTC; %d flows open at most; longest gap between two packets of a flow %.2f s; seed %d"
          % ((ts - t_start) / 1e6, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t_start / 1e6)),
             max_open, max_gap / 1e6, a.seed))
    for cls, label in (("small", "small (handshake, a line of data)"), ("bulk", "bulk TLS"), ("plain", "not TLS")):
        n = sum(v[0] for k, v in stats.items() if cls_of[k] == cls)
        by = sum(v[2] for k, v in stats.items() if cls_of[k] == cls)
        print("  %-34s %8s flows (%5.2f%%)  %15s bytes (%5.1f%%)  %2d templates"
              % (label, f"{n:,}", 100 * n / max(flows, 1), f"{by:,}", 100 * by / max(written, 1), len(by_cls[cls])))
    print("  %-44s %8s %11s %15s" % ("template", "flows", "packets", "bytes"))
    for t in sorted(templates, key=lambda t: ({"bulk": 0, "plain": 1, "small": 2}[t.cls], t.name)):
        v = stats[t.name]
        print("  %-44s %8s %11s %15s%s" % (t.name, f"{v[0]:,}", f"{v[1]:,}", f"{v[2]:,}",
                                             "  (not TLS)" if t.cls == "plain" else ""))
    print("written in %.1f s (%.0f MB/s)" % (elapsed, written / 1e6 / max(elapsed, 1e-9)))


if __name__ == "__main__":
    main()
