#!/usr/bin/env python3
"""testdata/crafted/gen.py - build the crafted edge-case captures in testdata/crafted/.

Usage:  python3 testdata/crafted/gen.py        (no root, stdlib only - no scapy needed)

The TLS bytes are NOT invented: they are the TCP payloads of real captures made by
testdata/make.sh (mostly real/openssl_tls12_ecdhe_rsa.pcap), replayed over a freshly
synthesised TCP connection with fixed addresses, ports, ISNs, IP ids and timestamps,
then cut, reordered, re-framed or re-encapsulated.  Output is deterministic: running
the script twice gives byte-identical files (as long as the real/ captures are the
same).  one_sided_client_only / one_sided_server_only are not replayed at all: they
are real/openssl_tls12_ecdhe_rsa.pcap filtered to one direction, byte for byte.
Only exception to "not invented": sslv2_hello's ClientHello was hand-built,
but it is the exact byte string make.sh sent to a real OpenSSL server, and the
server's reply is real.

Addresses used (documentation ranges):
    flow A  client 192.0.2.10:51000 (02:00:00:00:00:01) -> server 198.51.100.20:443 (02:00:00:00:00:02)
    flow B  client 192.0.2.11:51001                     -> server 198.51.100.21:443   (pcapng_two_links, interleaved_flows)
    IPv6    client [2001:db8::10]:51000 -> server [2001:db8::20]:443
Timestamps: first packet at 1700000000.000000 (2023-11-14 22:13:20 UTC), +1 ms per packet.
TCP: client ISN 0x10000000, server ISN 0x20000000, 20-byte headers (SYNs carry MSS 1460),
window 65535, every data segment is ACKed by the peer with a pure ACK.
"""
import gzip
import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REAL = os.path.join(HERE, "..", "real")
OUT = HERE

BASE_TS_NS = 1_700_000_000 * 10**9
STEP_NS = 1_000_000

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
LINKTYPE_LINUX_SLL2 = 276

MAC_C = bytes.fromhex("020000000001")
MAC_S = bytes.fromhex("020000000002")


# --------------------------------------------------------------------------
# reading the real captures (classic pcap, Ethernet or Linux loopback)
# --------------------------------------------------------------------------
def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic == b"\xd4\xc3\xb2\xa1":
        e, ns = "<", False
    elif magic == b"\xa1\xb2\xc3\xd4":
        e, ns = ">", False
    elif magic == b"\x4d\x3c\xb2\xa1":
        e, ns = "<", True
    elif magic == b"\xa1\xb2\x3c\x4d":
        e, ns = ">", True
    else:
        raise ValueError("%s: not a classic pcap" % path)
    linktype = struct.unpack(e + "I", data[20:24])[0] & 0x0FFFFFFF
    assert linktype == LINKTYPE_ETHERNET, "expected Ethernet in %s" % path
    off, out = 24, []
    while off + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(e + "IIII", data[off:off + 16])
        out.append(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return out


def tcp_events(path):
    """Return the TCP events of the (first) connection in a real capture:
    list of (dir, payload, flags) with dir 'c' (client->server) or 's';
    flags a subset of {'F','R'}; SYN/SYN-ACK and pure ACKs are dropped.
    Retransmissions are not expected on lo."""
    frames = read_pcap(path)
    client = None
    ev = []
    for fr in frames:
        if struct.unpack(">H", fr[12:14])[0] != 0x0800:
            continue
        ip = fr[14:]
        ihl = (ip[0] & 15) * 4
        tot = struct.unpack(">H", ip[2:4])[0]
        if ip[9] != 6:
            continue
        tcp = ip[ihl:tot]
        sport, dport = struct.unpack(">HH", tcp[:4])
        doff = (tcp[12] >> 4) * 4
        flags = tcp[13]
        payload = tcp[doff:]
        if flags & 0x02:                       # SYN
            if not flags & 0x10 and client is None:
                client = sport
            continue
        if client is None:
            continue
        if client not in (sport, dport):
            break                              # second connection: stop
        d = "c" if sport == client else "s"
        fl = set()
        if flags & 0x01:
            fl.add("F")
        if flags & 0x04:
            fl.add("R")
        if payload or fl:
            ev.append((d, payload, fl))
    return ev


# --------------------------------------------------------------------------
# building packets
# --------------------------------------------------------------------------
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def ip6(a):
    import ipaddress
    return ipaddress.IPv6Address(a).packed


class Flow:
    """A synthetic TCP connection; produces L3 packets (bytes) with metadata."""

    def __init__(self, cip, sip, cport=51000, sport=443, v6=False,
                 isn_c=0x10000000, isn_s=0x20000000):
        self.v6 = v6
        self.addr = {"c": (ip6(cip) if v6 else ip4(cip), cport),
                     "s": (ip6(sip) if v6 else ip4(sip), sport)}
        self.isn = {"c": isn_c, "s": isn_s}
        self.nxt = {"c": isn_c, "s": isn_s}      # next seq to send
        self.got = {"c": [], "s": []}            # byte ranges received FROM dir
        self.ipid = {"c": 0x1000, "s": 0x5000}
        self.fin_seen = {"c": None, "s": None}
        self.pkts = []                           # list of dicts {dir, l3, desc}

    @staticmethod
    def other(d):
        return "s" if d == "c" else "c"

    def ack_for(self, d):
        """ack number that `d` sends = next contiguous seq from the peer."""
        o = self.other(d)
        a = self.isn[o] + (1 if self.syn_done else 0)
        for lo, hi in sorted(self.got[o]):
            if lo <= a < hi:
                a = hi
        # continue merging (ranges may be unsorted / overlapping)
        changed = True
        while changed:
            changed = False
            for lo, hi in self.got[o]:
                if lo <= a < hi:
                    a = hi
                    changed = True
        if self.fin_seen[o] is not None and a == self.fin_seen[o]:
            a += 1
        return a & 0xFFFFFFFF

    syn_done = False

    def tcp(self, d, seq, ack, flags, payload=b"", opts=b""):
        (sa, sp), (da, dp) = self.addr[d], self.addr[self.other(d)]
        hl = 20 + len(opts)
        hdr = struct.pack("!HHIIBBHHH", sp, dp, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                          (hl // 4) << 4, flags, 65535, 0, 0) + opts
        seg = hdr + payload
        if self.v6:
            pseudo = sa + da + struct.pack("!IxxxB", len(seg), 6)
        else:
            pseudo = sa + da + struct.pack("!xBH", 6, len(seg))
        c = csum(pseudo + seg)
        return seg[:16] + struct.pack("!H", c) + seg[18:]

    def ip(self, d, l4, ident=None, df=True, frag_off=0, mf=False):
        (sa, _), (da, _) = self.addr[d], self.addr[self.other(d)]
        if self.v6:
            return struct.pack("!IHBB", 6 << 28, len(l4), 6, 64) + sa + da + l4
        if ident is None:
            ident = self.ipid[d]
            self.ipid[d] += 1
        fl = (0x4000 if df else 0) | (0x2000 if mf else 0) | (frag_off // 8)
        h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), ident, fl, 64, 6, 0, sa, da)
        return h[:10] + struct.pack("!H", csum(h)) + h[12:] + l4

    def emit(self, d, l3, desc):
        self.pkts.append({"dir": d, "l3": l3, "desc": desc})

    # -- high level ----------------------------------------------------
    def handshake(self):
        mss = b"\x02\x04\x05\xb4"
        self.emit("c", self.ip("c", self.tcp("c", self.isn["c"], 0, 0x02, opts=mss)), "SYN")
        self.emit("s", self.ip("s", self.tcp("s", self.isn["s"], self.isn["c"] + 1, 0x12, opts=mss)), "SYN-ACK")
        self.nxt = {"c": self.isn["c"] + 1, "s": self.isn["s"] + 1}
        self.syn_done = True
        self.emit("c", self.ip("c", self.tcp("c", self.nxt["c"], self.ack_for("c"), 0x10)), "ACK")

    def data(self, d, payload, rel=None, desc="data", ack=True, push=True, record=True):
        """send payload from d. rel: explicit seq offset relative to ISN+1
        (for retransmissions / out-of-order), else the next seq."""
        seq = self.nxt[d] if rel is None else self.isn[d] + 1 + rel
        flags = 0x10 | (0x08 if push else 0)
        l4 = self.tcp(d, seq, self.ack_for(d), flags, payload)
        if record:
            self.got[d].append((seq, seq + len(payload)))
        self.nxt[d] = max(self.nxt[d], seq + len(payload))
        self.emit(d, self.ip(d, l4), desc)
        if ack:
            self.pure_ack(self.other(d))
        return l4

    def pure_ack(self, d):
        self.emit(d, self.ip(d, self.tcp(d, self.nxt[d], self.ack_for(d), 0x10)), "ACK")

    def fin(self, d):
        self.fin_seen[d] = self.nxt[d]
        self.emit(d, self.ip(d, self.tcp(d, self.nxt[d], self.ack_for(d), 0x11)), "FIN")
        self.nxt[d] += 1

    def rst(self, d):
        self.emit(d, self.ip(d, self.tcp(d, self.nxt[d], self.ack_for(d), 0x14)), "RST")

    def replay(self, events, skip_close=False):
        for d, payload, fl in events:
            if payload:
                self.data(d, payload)
            if "F" in fl and not skip_close:
                self.fin(d)
            if "R" in fl and not skip_close:
                self.rst(d)
        if not skip_close:
            # ACK the last FIN if nobody did
            if self.pkts and self.pkts[-1]["desc"] == "FIN":
                self.pure_ack(self.other(self.pkts[-1]["dir"]))


# --------------------------------------------------------------------------
# link layers
# --------------------------------------------------------------------------
def ethertype(l3):
    return 0x86DD if (l3[0] >> 4) == 6 else 0x0800


def eth(d, l3):
    src, dst = (MAC_C, MAC_S) if d == "c" else (MAC_S, MAC_C)
    return dst + src + struct.pack("!H", ethertype(l3)) + l3


def vlan(d, l3, vid=100):
    src, dst = (MAC_C, MAC_S) if d == "c" else (MAC_S, MAC_C)
    return dst + src + struct.pack("!HHH", 0x8100, vid, ethertype(l3)) + l3


def qinq(d, l3, outer=200, inner=100):
    src, dst = (MAC_C, MAC_S) if d == "c" else (MAC_S, MAC_C)
    return dst + src + struct.pack("!HHHHH", 0x88A8, outer, 0x8100, inner, ethertype(l3)) + l3


def sll(d, l3):
    # captured on the client with "-i any": client->server is OUTGOING (4), else HOST (0)
    ptype = 4 if d == "c" else 0
    src = MAC_C if d == "c" else MAC_S
    return struct.pack("!HHH", ptype, 1, 6) + src + b"\0\0" + struct.pack("!H", ethertype(l3)) + l3


def sll2(d, l3):
    ptype = 4 if d == "c" else 0
    src = MAC_C if d == "c" else MAC_S
    return struct.pack("!HHIHBB", ethertype(l3), 0, 2, 1, ptype, 6) + src + b"\0\0" + l3


def null_lo(d, l3):
    return struct.pack("<I", 2) + l3      # AF_INET in host (little-endian) order


def raw(d, l3):
    return l3


# --------------------------------------------------------------------------
# writers
# --------------------------------------------------------------------------
def write_pcap(name, linktype, frames, endian="<", nano=False, snaplen=262144):
    """frames: list of (ts_ns, bytes). Truncates to snaplen (caplen < origlen)."""
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = [struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)]
    for ts, b in frames:
        sec, ns = divmod(ts, 10**9)
        frac = ns if nano else ns // 1000
        cap = b[:snaplen]
        out.append(struct.pack(endian + "IIII", sec, frac, len(cap), len(b)) + cap)
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(b"".join(out))
    return path


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def pcapng_block(btype, body):
    body = pad4(body)
    ln = 12 + len(body)
    return struct.pack("<II", btype, ln) + body + struct.pack("<I", ln)


def pcapng_opt(code, val):
    return struct.pack("<HH", code, len(val)) + pad4(val)


def write_pcapng(name, interfaces, frames):
    """interfaces: list of (linktype, ifname); frames: list of (ts_ns, ifidx, bytes)."""
    shb_opts = pcapng_opt(4, b"tlsnoop testdata/crafted/gen.py") + pcapng_opt(0, b"")
    out = [pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + shb_opts)]
    for lt, ifname in interfaces:
        opts = pcapng_opt(2, ifname.encode()) + pcapng_opt(9, b"\x06") + pcapng_opt(0, b"")
        out.append(pcapng_block(1, struct.pack("<HHI", lt, 0, 262144) + opts))
    for ts, idx, b in frames:
        us = ts // 1000
        body = struct.pack("<IIIII", idx, us >> 32, us & 0xFFFFFFFF, len(b), len(b)) + pad4(b)
        out.append(pcapng_block(6, body))
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(b"".join(out))
    return path


def stamp(pkts, link, start=0, step=STEP_NS, extra_ns=0):
    return [(BASE_TS_NS + start + i * step + extra_ns, link(p["dir"], p["l3"])) for i, p in enumerate(pkts)]


# --------------------------------------------------------------------------
# TLS helpers
# --------------------------------------------------------------------------
def records(buf):
    """split a byte string into complete TLS records (5-byte header + body)."""
    out, i = [], 0
    while i + 5 <= len(buf):
        ln = struct.unpack("!H", buf[i + 3:i + 5])[0]
        out.append(buf[i:i + 5 + ln])
        i += 5 + ln
    assert i == len(buf), "trailing partial record"
    return out


# --------------------------------------------------------------------------
# scenarios
# --------------------------------------------------------------------------
FILES = {}       # name -> description (printed at the end)


def new_flow_a(v6=False):
    if v6:
        return Flow("2001:db8::10", "2001:db8::20", 51000, 443, v6=True)
    return Flow("192.0.2.10", "198.51.100.20", 51000, 443)


def new_flow_b():
    return Flow("192.0.2.11", "198.51.100.21", 51001, 443, isn_c=0x30000000, isn_s=0x40000000)


def base_flow(ev, v6=False):
    f = new_flow_a(v6)
    f.handshake()
    f.replay(ev)
    return f


def one_sided(src, dst, server_port, keep):
    """Copy a real classic pcap (Ethernet/IPv4/TCP), keeping only one direction of
    the TCP connection, byte for byte (file header and records unchanged).
    keep="client": packets TO server_port; keep="server": packets FROM it.
    Same bytes as:  tcpdump -r SRC -w DST 'tcp dst port P'  (resp. 'tcp src port P')."""
    with open(src, "rb") as f:
        data = f.read()
    assert data[:4] == b"\xd4\xc3\xb2\xa1", "little-endian microsecond pcap expected"
    out, off = [data[:24]], 24
    while off + 16 <= len(data):
        caplen = struct.unpack("<I", data[off + 8:off + 12])[0]
        rec = data[off:off + 16 + caplen]
        fr = rec[16:]
        off += 16 + caplen
        if struct.unpack(">H", fr[12:14])[0] != 0x0800 or fr[14 + 9] != 6:
            continue
        ihl = (fr[14] & 15) * 4
        sport, dport = struct.unpack(">HH", fr[14 + ihl:14 + ihl + 4])
        if (keep == "client" and dport == server_port) or (keep == "server" and sport == server_port):
            out.append(rec)
    with open(os.path.join(OUT, dst), "wb") as f:
        f.write(b"".join(out))


def main():
    ev12 = tcp_events(os.path.join(REAL, "openssl_tls12_ecdhe_rsa.pcap"))
    ev13 = tcp_events(os.path.join(REAL, "openssl_tls13.pcap"))
    evv2 = tcp_events(os.path.join(REAL, "openssl_sslv2_compat_hello.pcap"))
    ch = ev12[0][1]
    assert ev12[0][0] == "c" and ch[0] == 0x16 and ch[5] == 0x01, "first event must be the ClientHello"
    assert ev12[1][0] == "s" and ev12[1][1][5] == 0x02, "second event must be the server flight"
    rest = ev12[1:]

    # ---- reference: the plain replayed flow (Ethernet) ----------------
    f = base_flow(ev12)
    write_pcap("base_tls12.pcap", LINKTYPE_ETHERNET, stamp(f.pkts, eth))
    FILES["base_tls12.pcap"] = "plain replay of real/openssl_tls12_ecdhe_rsa.pcap (reference for all variants)"

    # ---- ch_split_3_ooo ------------------------------------------------
    f = new_flow_a()
    f.handshake()
    a, b = 80, 160
    f.data("c", ch[:a], rel=0, desc="CH part 1")
    f.data("c", ch[b:], rel=b, desc="CH part 3 (out of order)")
    f.data("c", ch[a:b], rel=a, desc="CH part 2")
    f.replay(rest)
    write_pcap("ch_split_3_ooo.pcap", LINKTYPE_ETHERNET, stamp(f.pkts, eth))

    # ---- record_split_2seg: the server flight split inside the Certificate record
    f = new_flow_a()
    f.handshake()
    f.data("c", ch)
    flight = rest[0][1]
    recs = records(flight)
    cut = len(recs[0]) + 300                # 300 bytes into the 2nd record (Certificate)
    f.data("s", flight[:cut], ack=False, push=False, desc="SH + first 295 bytes of Certificate record")
    f.data("s", flight[cut:], desc="rest of Certificate record + SKE + SHD")
    f.replay(rest[1:])
    write_pcap("record_split_2seg.pcap", LINKTYPE_ETHERNET, stamp(f.pkts, eth))

    # ---- hs_msg_split_2rec: ClientHello message split over two TLS records, one segment
    f = new_flow_a()
    f.handshake()
    hs = ch[5:]
    k = 100
    rec1 = ch[:3] + struct.pack("!H", k) + hs[:k]
    rec2 = ch[:3] + struct.pack("!H", len(hs) - k) + hs[k:]
    f.data("c", rec1 + rec2, desc="CH in two records")
    f.replay(rest)
    write_pcap("hs_msg_split_2rec.pcap", LINKTYPE_ETHERNET, stamp(f.pkts, eth))

    # ---- retrans_overlap: overlapping retransmission with identical bytes,
    #      plus an exact duplicate of the server flight
    f = new_flow_a()
    f.handshake()
    f.data("c", ch[:150], rel=0, ack=False, desc="CH bytes 0..150")
    f.data("c", ch[100:], rel=100, desc="CH bytes 100..end (50 bytes overlap, same content)")
    f.data("s", flight, rel=0, ack=False, desc="server flight")
    f.data("s", flight, rel=0, desc="server flight retransmitted (identical)")
    f.replay(rest[1:])
    write_pcap("retrans_overlap.pcap", LINKTYPE_ETHERNET, stamp(f.pkts, eth))

    # ---- retrans_conflict: same seq range re-sent with DIFFERENT bytes (SNI changed)
    f = new_flow_a()
    f.handshake()
    i = ch.index(b"server.test")
    end = i + len(b"server.test") + 10
    forged = ch[:i] + b"attack.test" + ch[i + 11:end]
    assert len(forged) == end
    f.data("c", ch[:end], rel=0, ack=False, desc="CH first part (original, SNI server.test)")
    f.data("c", forged, rel=0, ack=False, desc="same seq range, different bytes (SNI attack.test)")
    f.data("c", ch[end:], rel=end, desc="CH rest")
    f.replay(rest)
    write_pcap("retrans_conflict.pcap", LINKTYPE_ETHERNET, stamp(f.pkts, eth))

    # ---- sslv2_hello: SSLv2-compatible ClientHello + real TLS 1.0 reply
    assert evv2[0][1][0] == 0x80 and evv2[0][1][2] == 0x01
    f = new_flow_a()
    f.handshake()
    f.replay(evv2)
    write_pcap("sslv2_hello.pcap", LINKTYPE_ETHERNET, stamp(f.pkts, eth))

    # ---- midstream: drop SYN/SYN-ACK/ACK, the ClientHello and its ACK
    f = base_flow(ev12)
    idx = next(n for n, p in enumerate(f.pkts) if p["dir"] == "s" and p["desc"] == "data")
    write_pcap("midstream.pcap", LINKTYPE_ETHERNET, stamp(f.pkts[idx:], eth))

    # ---- link-layer variants of the base flow -------------------------
    f = base_flow(ev12)
    write_pcap("vlan.pcap", LINKTYPE_ETHERNET, stamp(f.pkts, vlan))
    write_pcap("qinq.pcap", LINKTYPE_ETHERNET, stamp(f.pkts, qinq))
    write_pcap("sll.pcap", LINKTYPE_LINUX_SLL, stamp(f.pkts, sll))
    write_pcap("sll2.pcap", LINKTYPE_LINUX_SLL2, stamp(f.pkts, sll2))
    write_pcap("raw_ipv4.pcap", LINKTYPE_RAW, stamp(f.pkts, raw))
    write_pcap("null_loopback.pcap", LINKTYPE_NULL, stamp(f.pkts, null_lo))
    write_pcap("nanosecond.pcap", LINKTYPE_ETHERNET, stamp(f.pkts, eth, extra_ns=123), nano=True)
    write_pcap("bigendian.pcap", LINKTYPE_ETHERNET, stamp(f.pkts, eth), endian=">")
    write_pcap("truncated_snaplen.pcap", LINKTYPE_ETHERNET, stamp(f.pkts, eth), snaplen=96)

    f6 = base_flow(ev12, v6=True)
    write_pcap("ipv6.pcap", LINKTYPE_ETHERNET, stamp(f6.pkts, eth))

    # ---- ipv4_fragments: the ClientHello packet split into 3 IP fragments
    f = base_flow(ev12)
    n = next(n for n, p in enumerate(f.pkts) if p["dir"] == "c" and p["desc"] == "data")
    l3 = f.pkts[n]["l3"]
    ident = struct.unpack("!H", l3[4:6])[0]
    l4 = l3[20:]
    pieces = [(0, l4[:96], True), (96, l4[96:192], True), (192, l4[192:], False)]
    frags = [{"dir": "c", "l3": f.ip("c", p, ident=ident, df=False, frag_off=o, mf=m), "desc": "frag"}
             for o, p, m in pieces]
    pk = f.pkts[:n] + frags + f.pkts[n + 1:]
    write_pcap("ipv4_fragments.pcap", LINKTYPE_ETHERNET, stamp(pk, eth))

    # ---- pcapng_two_links: flow A (TLS 1.2) on Ethernet, flow B (TLS 1.3) on raw IP
    fa = base_flow(ev12)
    fb = new_flow_b()
    fb.handshake()
    fb.replay(ev13)
    frames = [(BASE_TS_NS + i * 2 * STEP_NS, 0, eth(p["dir"], p["l3"])) for i, p in enumerate(fa.pkts)]
    frames += [(BASE_TS_NS + STEP_NS // 2 + i * 2 * STEP_NS, 1, p["l3"]) for i, p in enumerate(fb.pkts)]
    frames.sort(key=lambda x: x[0])
    write_pcapng("pcapng_two_links.pcapng", [(LINKTYPE_ETHERNET, "eth0"), (LINKTYPE_RAW, "tun0")], frames)

    # ---- interleaved_flows: the same two flows interleaved in one Ethernet pcap
    frames = [(ts, eth(p["dir"], p["l3"])) for ts, p in
              sorted([(BASE_TS_NS + i * 2 * STEP_NS, p) for i, p in enumerate(fa.pkts)] +
                     [(BASE_TS_NS + STEP_NS // 2 + i * 2 * STEP_NS, p) for i, p in enumerate(fb.pkts)],
                     key=lambda x: x[0])]
    write_pcap("interleaved_flows.pcap", LINKTYPE_ETHERNET, frames)

    # ---- gzip of the real TLS 1.3 capture (deterministic: mtime 0, no name)
    with open(os.path.join(REAL, "openssl_tls13.pcap"), "rb") as src:
        raw13 = src.read()
    with open(os.path.join(OUT, "openssl_tls13.pcap.gz"), "wb") as dst:
        with gzip.GzipFile(filename="", mode="wb", fileobj=dst, mtime=0, compresslevel=9) as g:
            g.write(raw13)

    # ---- one-sided captures: only one direction of the real TLS 1.2 flow, real
    #      addresses/ports/timestamps (127.0.0.1:58746 -> 127.0.0.1:4434), nothing re-synthesised
    src12 = os.path.join(REAL, "openssl_tls12_ecdhe_rsa.pcap")
    one_sided(src12, "one_sided_client_only.pcap", 4434, "client")
    one_sided(src12, "one_sided_server_only.pcap", 4434, "server")

    # ---- garbage_443: random bytes both ways on port 443
    rnd = random.Random(443)
    def junk(n):
        b = bytearray(rnd.getrandbits(8) for _ in range(n))
        b[0] = 0x5A                     # not a TLS content type, not an SSLv2 length byte
        return bytes(b)
    f = new_flow_a()
    f.handshake()
    f.data("c", junk(300))
    f.data("s", junk(200))
    f.data("c", junk(64))
    f.fin("c")
    f.fin("s")
    f.pure_ack("c")
    write_pcap("garbage_443.pcap", LINKTYPE_ETHERNET, stamp(f.pkts, eth))

    for fn in sorted(os.listdir(OUT)):
        if fn.endswith((".pcap", ".pcapng", ".gz")):
            print("%-28s %7d bytes" % (fn, os.path.getsize(os.path.join(OUT, fn))))


if __name__ == "__main__":
    main()
