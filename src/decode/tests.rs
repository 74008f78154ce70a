//! Decoder tests on packets built in code (checksums left zero: they are never verified).

use super::*;
use crate::capture::{Frame, LinkType};
use crate::record::Timestamp;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

const A4: [u8; 4] = [192, 0, 2, 1];
const B4: [u8; 4] = [198, 51, 100, 7];
const A6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const B6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
const HELLO: &[u8] = b"\x16\x03\x01\x00\x05hello";

fn tcp(sport: u16, dport: u16, seq: u32, ack: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend(sport.to_be_bytes());
    b.extend(dport.to_be_bytes());
    b.extend(seq.to_be_bytes());
    b.extend(ack.to_be_bytes());
    b.push(5 << 4);
    b.push(flags);
    b.extend(65535u16.to_be_bytes());
    b.extend([0xde, 0xad]); // wrong checksum on purpose
    b.extend([0, 0]);
    b.extend(payload);
    b
}

const PSH_ACK: u8 = 0x18;
const SYN: u8 = 0x02;

fn ipv4_frag(proto: u8, id: u16, offset8: u16, more: bool, payload: &[u8]) -> Vec<u8> {
    let total = (20 + payload.len()) as u16;
    let mut b = vec![0x45, 0];
    b.extend(total.to_be_bytes());
    b.extend(id.to_be_bytes());
    b.extend((offset8 | if more { 0x2000 } else { 0 }).to_be_bytes());
    b.push(64);
    b.push(proto);
    b.extend([0xbe, 0xef]); // wrong header checksum
    b.extend(A4);
    b.extend(B4);
    b.extend(payload);
    b
}

fn ipv4(proto: u8, payload: &[u8]) -> Vec<u8> {
    ipv4_frag(proto, 1, 0, false, payload)
}

fn ipv6(next: u8, payload: &[u8]) -> Vec<u8> {
    let mut b = vec![0x60, 0, 0, 0];
    b.extend((payload.len() as u16).to_be_bytes());
    b.push(next);
    b.push(64);
    b.extend(A6);
    b.extend(B6);
    b.extend(payload);
    b
}

fn eth(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut b = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
    b.extend(ethertype.to_be_bytes());
    b.extend(payload);
    b
}

fn vlan(tpid: u16, id: u16, inner: u16, payload: &[u8]) -> (u16, Vec<u8>) {
    let mut b = Vec::new();
    b.extend(id.to_be_bytes());
    b.extend(inner.to_be_bytes());
    b.extend(payload);
    (tpid, b)
}

fn frame(link: u32, data: &[u8]) -> Frame<'_> {
    Frame {
        number: 1,
        ts: Timestamp::new(1_700_000_000, 0),
        link: LinkType(link),
        data,
        orig_len: data.len() as u32,
        chunk: None,
    }
}

fn at(link: u32, data: &[u8], secs: i64) -> Frame<'_> {
    Frame {
        ts: Timestamp::new(secs, 0),
        ..frame(link, data)
    }
}

/// The TCP segment every link-type test carries.
fn segment4() -> Vec<u8> {
    ipv4(6, &tcp(40000, 443, 1000, 2000, PSH_ACK, HELLO))
}

fn segment6() -> Vec<u8> {
    ipv6(6, &tcp(40000, 443, 1000, 2000, PSH_ACK, HELLO))
}

fn expect_tcp(d: &mut Decoder, f: &Frame<'_>, v6: bool) {
    let (src, dst) = if v6 {
        (
            SocketAddr::new(Ipv6Addr::from(A6).into(), 40000),
            SocketAddr::new(Ipv6Addr::from(B6).into(), 443),
        )
    } else {
        (
            SocketAddr::new(Ipv4Addr::from(A4).into(), 40000),
            SocketAddr::new(Ipv4Addr::from(B4).into(), 443),
        )
    };
    let want = Decoded::Tcp(TcpSegment {
        src,
        dst,
        seq: 1000,
        ack: 2000,
        flags: TcpFlags {
            ack: true,
            psh: true,
            ..TcpFlags::default()
        },
        payload: HELLO,
        truncated: false,
        wire_payload_len: HELLO.len() as u32,
    });
    assert_eq!(d.decode(f), want, "link {:?}", f.link);
}

fn decoder() -> Decoder {
    Decoder::new(DefragLimits::default())
}

#[test]
fn ethernet_ipv4_and_ipv6() {
    let mut d = decoder();
    expect_tcp(&mut d, &frame(1, &eth(0x0800, &segment4())), false);
    expect_tcp(&mut d, &frame(1, &eth(0x86dd, &segment6())), true);
    assert_eq!(d.stats().tcp_segments, 2);
}

#[test]
fn vlan_qinq_and_deep_tag_stacks() {
    let mut d = decoder();
    let (t, inner) = vlan(0x8100, 10, 0x0800, &segment4());
    expect_tcp(&mut d, &frame(1, &eth(t, &inner)), false);
    // 802.1ad outer + 802.1Q inner.
    let (t1, i1) = vlan(0x8100, 20, 0x86dd, &segment6());
    let (t2, i2) = vlan(0x88a8, 30, t1, &i1);
    expect_tcp(&mut d, &frame(1, &eth(t2, &i2)), true);
    // Old QinQ 0x9100, and five tags (more than etherparse's three).
    let (mut t, mut p) = vlan(0x9100, 1, 0x0800, &segment4());
    expect_tcp(&mut d, &frame(1, &eth(t, &p)), false);
    for id in 2..6 {
        (t, p) = vlan(0x8100, id, t, &p);
    }
    expect_tcp(&mut d, &frame(1, &eth(t, &p)), false);
    // A tag cut short.
    let f = eth(0x8100, &[0, 1]);
    assert_eq!(
        d.decode(&frame(1, &f)),
        Decoded::Malformed(DecodeError::LinkTruncated(LinkLayer::Vlan))
    );
}

#[test]
fn linux_sll_and_sll2() {
    let mut d = decoder();
    let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0];
    sll.extend(0x0800u16.to_be_bytes());
    sll.extend(segment4());
    expect_tcp(&mut d, &frame(113, &sll), false);

    let mut sll2 = Vec::new();
    sll2.extend(0x86ddu16.to_be_bytes()); // protocol
    sll2.extend([0, 0]); // reserved
    sll2.extend(3u32.to_be_bytes()); // ifindex
    sll2.extend(1u16.to_be_bytes()); // ARPHRD_ETHER
    sll2.push(4); // outgoing
    sll2.push(6);
    sll2.extend([2, 0, 0, 0, 0, 1, 0, 0]);
    sll2.extend(segment6());
    expect_tcp(&mut d, &frame(276, &sll2), true);
    // VLAN inside SLL2.
    let (t, inner) = vlan(0x8100, 5, 0x0800, &segment4());
    let mut tagged = sll2[..20].to_vec();
    tagged[..2].copy_from_slice(&t.to_be_bytes());
    tagged.extend(inner);
    expect_tcp(&mut d, &frame(276, &tagged), false);
    assert_eq!(
        d.decode(&frame(276, &sll2[..19])),
        Decoded::Malformed(DecodeError::LinkTruncated(LinkLayer::LinuxSll2))
    );
}

#[test]
fn raw_ip_link_types() {
    let mut d = decoder();
    for link in [101, 12, 14, 228] {
        expect_tcp(&mut d, &frame(link, &segment4()), false);
    }
    for link in [101, 229] {
        expect_tcp(&mut d, &frame(link, &segment6()), true);
    }
    assert_eq!(
        d.decode(&frame(101, &[0x50, 0, 0])),
        Decoded::Malformed(DecodeError::BadIpVersion(5))
    );
    assert_eq!(
        d.decode(&frame(101, &[])),
        Decoded::Malformed(DecodeError::IpMissing)
    );
}

#[test]
fn null_and_loop_in_either_byte_order() {
    let mut d = decoder();
    for (af, v6) in [(2u32, false), (24, true), (28, true), (30, true)] {
        for bytes in [af.to_le_bytes(), af.to_be_bytes()] {
            let mut f = bytes.to_vec();
            f.extend(if v6 { segment6() } else { segment4() });
            expect_tcp(&mut d, &frame(0, &f), v6);
            expect_tcp(&mut d, &frame(108, &f), v6);
        }
    }
    let mut other = 7u32.to_le_bytes().to_vec();
    other.extend(segment4());
    assert_eq!(d.decode(&frame(0, &other)), Decoded::NotTcp);
}

#[test]
fn ppp_pppoe_mpls_and_snap() {
    let mut d = decoder();
    // PPP without address/control (as in the corpus), IPv6.
    let mut ppp = vec![0x00, 0x57];
    ppp.extend(segment6());
    expect_tcp(&mut d, &frame(9, &ppp), true);
    // PPP in HDLC framing, IPv4, compressed protocol field.
    let mut hdlc = vec![0xff, 0x03, 0x21];
    hdlc.extend(segment4());
    expect_tcp(&mut d, &frame(50, &hdlc), false);
    // PPPoE session carrying PPP IPv4.
    let seg = segment4();
    let mut pppoe = vec![0x11, 0x00, 0x12, 0x34];
    pppoe.extend(((seg.len() + 2) as u16).to_be_bytes());
    pppoe.extend(0x0021u16.to_be_bytes());
    pppoe.extend(&seg);
    expect_tcp(&mut d, &frame(1, &eth(0x8864, &pppoe)), false);
    // Two MPLS labels, then IPv6.
    let mut mpls = vec![0x00, 0x01, 0x00, 0x40, 0x00, 0x02, 0x01, 0x40];
    mpls.extend(segment6());
    expect_tcp(&mut d, &frame(1, &eth(0x8847, &mpls)), true);
    // 802.3 + LLC/SNAP with an IPv4 EtherType.
    let mut snap = vec![0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00];
    snap.extend(segment4());
    let len = snap.len() as u16;
    expect_tcp(&mut d, &frame(1, &eth(len, &snap)), false);
}

#[test]
fn ipv6_extension_headers() {
    let mut d = decoder();
    let t = tcp(40000, 443, 1000, 2000, PSH_ACK, HELLO);
    // Hop-by-hop (8 bytes: next=TCP, len 0, PadN) then TCP.
    let mut hbh = vec![6, 0, 1, 4, 0, 0, 0, 0];
    hbh.extend(&t);
    expect_tcp(&mut d, &frame(101, &ipv6(0, &hbh)), true);
    // Hop-by-hop, routing (type 0 deprecated, but parsed), destination options, then TCP.
    let mut chain = vec![43, 0, 1, 4, 0, 0, 0, 0];
    chain.extend([60, 0, 4, 0, 0, 0, 0, 0]);
    chain.extend([6, 0, 1, 4, 0, 0, 0, 0]);
    chain.extend(&t);
    expect_tcp(&mut d, &frame(101, &ipv6(0, &chain)), true);
    // An extension header cut short.
    let cut = ipv6(0, &[6, 2, 1]);
    assert_eq!(
        d.decode(&frame(101, &cut)),
        Decoded::Malformed(DecodeError::ExtensionTruncated)
    );
}

#[test]
fn snaplen_cut_payload_is_kept_and_marked() {
    let mut d = decoder();
    let payload = vec![0x17; 1000];
    let pkt = eth(0x0800, &ipv4(6, &tcp(1, 2, 3, 4, PSH_ACK, &payload)));
    let cut = &pkt[..14 + 20 + 20 + 300];
    let f = Frame {
        orig_len: pkt.len() as u32,
        chunk: None,
        ..frame(1, cut)
    };
    let Decoded::Tcp(s) = d.decode(&f) else {
        panic!("not TCP")
    };
    assert!(s.truncated);
    assert_eq!(s.payload, &payload[..300]);
    assert_eq!(s.wire_payload_len, 1000);
    assert_eq!(d.stats().truncated_frames, 1);
    assert_eq!(d.stats().truncated_segments, 1);

    // Cut inside the TCP header, inside the IP header, inside Ethernet.
    assert_eq!(
        d.decode(&frame(1, &pkt[..14 + 20 + 12])),
        Decoded::Malformed(DecodeError::TcpTruncated { have: 12, need: 20 })
    );
    assert_eq!(
        d.decode(&frame(1, &pkt[..14 + 10])),
        Decoded::Malformed(DecodeError::Ipv4Truncated)
    );
    assert_eq!(
        d.decode(&frame(1, &pkt[..10])),
        Decoded::Malformed(DecodeError::LinkTruncated(LinkLayer::Ethernet))
    );
    let v6 = ipv6(6, &tcp(1, 2, 3, 4, PSH_ACK, &payload));
    let Decoded::Tcp(s) = d.decode(&frame(101, &v6[..40 + 20 + 10])) else {
        panic!("not TCP")
    };
    assert!(s.truncated);
    assert_eq!((s.payload.len(), s.wire_payload_len), (10, 1000));
    assert_eq!(d.stats().malformed, 3);
}

#[test]
fn ethernet_padding_is_not_payload() {
    let mut d = decoder();
    let mut f = eth(0x0800, &ipv4(6, &tcp(1, 2, 3, 0, SYN, &[])));
    f.resize(60, 0);
    let Decoded::Tcp(s) = d.decode(&frame(1, &f)) else {
        panic!("not TCP")
    };
    assert_eq!(s.payload, b"");
    assert!(s.flags.syn && !s.flags.ack);
    assert!(!s.truncated);
}

#[test]
fn zero_ip_length_uses_what_was_captured() {
    // TSO captures write total length 0.
    let mut d = decoder();
    let mut p = ipv4(6, &tcp(1, 2, 3, 4, PSH_ACK, &[9; 3000]));
    p[2] = 0;
    p[3] = 0;
    let Decoded::Tcp(s) = d.decode(&frame(101, &p)) else {
        panic!("not TCP")
    };
    assert_eq!(
        (s.payload.len(), s.wire_payload_len, s.truncated),
        (3000, 3000, false)
    );
    let f = Frame {
        orig_len: p.len() as u32 + 500,
        chunk: None,
        ..frame(101, &p)
    };
    let Decoded::Tcp(s) = d.decode(&f) else {
        panic!("not TCP")
    };
    assert_eq!(
        (s.payload.len(), s.wire_payload_len, s.truncated),
        (3000, 3500, true)
    );
}

#[test]
fn not_tcp_and_unsupported() {
    let mut d = decoder();
    let udp = ipv4(17, &[0, 53, 0, 53, 0, 8, 0, 0]);
    assert_eq!(d.decode(&frame(1, &eth(0x0800, &udp))), Decoded::NotTcp);
    assert_eq!(d.decode(&frame(1, &eth(0x0806, &[0; 28]))), Decoded::NotTcp);
    assert_eq!(
        d.decode(&frame(101, &ipv6(58, &[128, 0, 0, 0]))),
        Decoded::NotTcp
    );
    assert_eq!(
        d.decode(&frame(147, &[1, 2, 3])),
        Decoded::UnsupportedLink(LinkType(147))
    );
    assert!(supports(LinkType::LINUX_SLL2) && !supports(LinkType(147)));
    assert_eq!(d.stats().not_tcp, 3);
    assert_eq!(d.stats().unsupported_link, 1);
}

/// A TCP segment of `n` payload bytes split into IPv4 fragments of `piece` bytes (multiple of
/// 8): (offset in 8-byte units, more, bytes).
fn fragments(id: u16, n: usize, piece: usize) -> (Vec<u8>, Vec<Vec<u8>>) {
    let payload: Vec<u8> = (0..n).map(|i| (i % 251) as u8).collect();
    let seg = tcp(50000, 443, 7, 8, PSH_ACK, &payload);
    let mut out = Vec::new();
    let mut off = 0;
    while off < seg.len() {
        let end = (off + piece).min(seg.len());
        let more = end < seg.len();
        out.push(ipv4_frag(6, id, (off / 8) as u16, more, &seg[off..end]));
        off = end;
    }
    (payload, out)
}

#[test]
fn three_ipv4_fragments_reassemble_in_any_order() {
    for order in [[0, 1, 2], [2, 0, 1], [1, 2, 0], [2, 1, 0]] {
        let mut d = decoder();
        let (payload, frags) = fragments(77, 2900, 1000);
        assert_eq!(frags.len(), 3);
        for (k, &i) in order.iter().enumerate() {
            let f = eth(0x0800, &frags[i]);
            let fr = frame(1, &f);
            let got = d.decode(&fr);
            if k < 2 {
                assert_eq!(got, Decoded::FragmentHeld);
            } else {
                let Decoded::Tcp(s) = got else {
                    panic!("not TCP: {got:?}")
                };
                assert_eq!(s.payload, &payload[..]);
                assert_eq!(s.src, SocketAddr::new(Ipv4Addr::from(A4).into(), 50000));
                assert_eq!(s.dst.port(), 443);
                assert_eq!((s.seq, s.ack), (7, 8));
                assert!(!s.truncated);
                assert_eq!(s.wire_payload_len, 2900);
            }
        }
        assert_eq!(d.stats().fragments_seen, 3);
        assert_eq!(d.stats().datagrams_reassembled, 1);
        assert_eq!(d.stats().fragments_dropped, 0);
        assert_eq!(d.fragments_pending(), 0);
        assert_eq!(d.fragment_bytes_held(), 0);
    }
}

#[test]
fn duplicate_and_overlapping_fragments_first_copy_wins() {
    let mut d = decoder();
    let (payload, frags) = fragments(5, 1980, 1000);
    assert_eq!(frags.len(), 2);
    assert_eq!(d.decode(&frame(101, &frags[0])), Decoded::FragmentHeld);
    // A rewritten copy of fragment 1: its bytes must not replace the first copy.
    let mut evil = frags[0].clone();
    for b in &mut evil[20 + 40..] {
        *b = 0xee;
    }
    assert_eq!(d.decode(&frame(101, &evil)), Decoded::FragmentHeld);
    let Decoded::Tcp(s) = d.decode(&frame(101, &frags[1])) else {
        panic!("not TCP")
    };
    assert_eq!(s.payload, &payload[..]);
}

#[test]
fn non_tcp_fragments_are_not_held() {
    let mut d = decoder();
    // ICMP and ESP cannot carry TCP that tlsnoop could read (UDP can: tunnels).
    for proto in [1, 50] {
        let f = ipv4_frag(proto, 9, 0, true, &[0; 16]);
        assert_eq!(d.decode(&frame(101, &f)), Decoded::NotTcp);
    }
    assert_eq!(d.fragments_pending(), 0);
}

#[test]
fn cut_fragment_is_malformed() {
    let mut d = decoder();
    let (_, frags) = fragments(5, 2000, 1000);
    let f = Frame {
        orig_len: frags[0].len() as u32,
        chunk: None,
        ..frame(101, &frags[0][..500])
    };
    assert_eq!(
        d.decode(&f),
        Decoded::Malformed(DecodeError::FragmentTruncated)
    );
}

#[test]
fn ipv6_fragments_reassemble() {
    let mut d = decoder();
    let payload = vec![0x42; 1500];
    let seg = tcp(40000, 443, 1, 2, PSH_ACK, &payload);
    let (a, b) = seg.split_at(800);
    let frag_hdr = |off: usize, more: bool| {
        let mut h = vec![6, 0];
        h.extend((((off / 8) as u16) << 3 | u16::from(more)).to_be_bytes());
        h.extend(0xabcd_0001u32.to_be_bytes());
        h
    };
    let mut p1 = frag_hdr(0, true);
    p1.extend(a);
    let mut p2 = frag_hdr(800, false);
    p2.extend(b);
    // The second fragment arrives first, behind a hop-by-hop header.
    let mut hbh = vec![44, 0, 1, 4, 0, 0, 0, 0];
    hbh.extend(&p2);
    assert_eq!(d.decode(&frame(101, &ipv6(0, &hbh))), Decoded::FragmentHeld);
    let first = ipv6(44, &p1);
    let Decoded::Tcp(s) = d.decode(&frame(101, &first)) else {
        panic!("not TCP")
    };
    assert_eq!(s.payload, &payload[..]);
    assert_eq!(s.src, SocketAddr::new(Ipv6Addr::from(A6).into(), 40000));
}

#[test]
fn fragments_time_out_in_capture_time() {
    let mut d = decoder();
    let (_, frags) = fragments(1, 2000, 1000);
    assert_eq!(d.decode(&at(101, &frags[0], 100)), Decoded::FragmentHeld);
    // 31 s later another datagram's fragment arrives: the first datagram has expired.
    let (_, other) = fragments(2, 2000, 1000);
    assert_eq!(d.decode(&at(101, &other[0], 131)), Decoded::FragmentHeld);
    assert_eq!(d.stats().datagrams_timed_out, 1);
    assert_eq!(d.stats().fragments_dropped, 1);
    // Its last fragment now starts a new datagram that never completes.
    assert_eq!(d.decode(&at(101, &frags[1], 131)), Decoded::FragmentHeld);
    d.finish();
    assert_eq!(d.stats().datagrams_incomplete, 2);
    assert_eq!(d.stats().fragments_dropped, 3);
    assert_eq!(d.fragments_pending(), 0);
    assert_eq!(d.fragment_bytes_held(), 0);
    let notes = d.stats().notes(d.limits());
    assert_eq!(
        notes,
        vec![
            "3 IP fragments not reassembled: 1 incomplete after 30 s (see --fragment-timeout); \
             2 incomplete at the end of the capture"
        ]
    );
}

/// A small deterministic generator (no external crates).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn hostile_fragment_stream_stays_bounded() {
    let limits = DefragLimits::default();
    let mut d = Decoder::new(limits.clone());
    let mut rng = Lcg(1);
    let mut peak_bytes = 0;
    let mut peak_pending = 0;
    let mut buf = Vec::new();
    for i in 0..100_000u64 {
        // Never-completing fragments: MF set, random id, random offset up to 64 KiB, from a
        // few thousand sources.
        let id = rng.next() as u16;
        let off8 = (rng.next() % 8000) as u16;
        buf.clear();
        buf.extend(ipv4_frag(6, id, off8, true, &[0x41; 64]));
        let src = (rng.next() % 5000) as u16;
        buf[12..14].copy_from_slice(&src.to_be_bytes());
        let f = at(101, &buf, (i / 1000) as i64);
        assert_eq!(d.decode(&f), Decoded::FragmentHeld);
        peak_bytes = peak_bytes.max(d.fragment_bytes_held());
        peak_pending = peak_pending.max(d.fragments_pending());
    }
    assert!(peak_bytes <= limits.max_bytes, "{peak_bytes}");
    assert!(peak_pending <= limits.max_datagrams, "{peak_pending}");
    let s = d.stats().clone();
    assert_eq!(s.fragments_seen, 100_000);
    assert_eq!(s.datagrams_reassembled, 0);
    assert!(s.datagrams_evicted > 90_000, "{s:?}");
    assert_eq!(
        s.fragments_dropped + d.fragments_pending() as u64,
        100_000,
        "{s:?}"
    );
    d.finish();
    assert_eq!(d.stats().fragments_dropped, 100_000);
    assert_eq!(d.fragment_bytes_held(), 0);
}

#[test]
fn many_small_datagrams_hit_the_datagram_limit() {
    let limits = DefragLimits {
        max_bytes: 1 << 30,
        max_datagrams: 100,
        timeout_secs: 30,
    };
    let mut d = Decoder::new(limits);
    for id in 0..1000u16 {
        let f = ipv4_frag(6, id, 0, true, &[0; 8]);
        assert_eq!(d.decode(&frame(101, &f)), Decoded::FragmentHeld);
        assert!(d.fragments_pending() <= 100);
    }
    assert_eq!(d.stats().datagrams_evicted, 900);
    // The newest datagrams are still there and can complete (id 999 has bytes 0..8).
    let last = ipv4_frag(6, 999, 1, false, &tcp(1, 2, 3, 4, 0, &[])[8..]);
    assert!(matches!(d.decode(&frame(101, &last)), Decoded::Tcp(_)));
}

#[test]
fn decode_errors_read_well() {
    assert_eq!(
        DecodeError::LinkTruncated(LinkLayer::LinuxSll2).to_string(),
        "Linux SLL2 header truncated"
    );
    assert_eq!(
        DecodeError::Ipv4Truncated.to_string(),
        "IPv4 header truncated"
    );
    assert_eq!(
        DecodeError::TcpTruncated { have: 12, need: 20 }.to_string(),
        "TCP header truncated (12 of 20 bytes)"
    );
}

/// Decodes every frame of every capture under ../shared/captures: no panic, and a summary of
/// what could not be decoded. Run with `cargo test -- --ignored corpus`.
#[test]
#[ignore]
fn corpus_decodes_without_panic() {
    let root = &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/captures");
    if !root.exists() {
        eprintln!("SKIP: {} not present", root.display());
        return;
    }
    let mut files = Vec::new();
    crate::capture::testutil::walk(root, &mut files);
    files.sort();
    let mut total = DecodeStats::default();
    for path in files {
        let mut info = crate::record::InputInfo::default();
        let mut d = decoder();
        let mut errors: Vec<String> = Vec::new();
        let res = crate::capture::read_capture(&path.to_string_lossy(), &mut info, &mut |f| {
            if let Decoded::Malformed(e) = d.decode(f) {
                if errors.len() < 3 {
                    errors.push(format!("frame {}: {e}", f.number));
                }
            }
        });
        if res.is_err() {
            continue;
        }
        d.finish();
        let s = d.stats();
        if s.malformed > 0 || s.unsupported_link > 0 || s.fragments_dropped > 0 {
            eprintln!(
                "{}: {} malformed {:?}, {} unsupported link ({:?}), frags seen {} reassembled {} dropped {}",
                path.display(),
                s.malformed,
                errors,
                s.unsupported_link,
                info.link_types,
                s.fragments_seen,
                s.datagrams_reassembled,
                s.fragments_dropped
            );
        }
        total += s;
    }
    eprintln!("{total:?}");
    assert!(total.tcp_segments > 0);
    assert!(total.malformed * 100 < total.frames);
}

fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend(sport.to_be_bytes());
    b.extend(dport.to_be_bytes());
    b.extend(((8 + payload.len()) as u16).to_be_bytes());
    b.extend([0, 0]);
    b.extend(payload);
    b
}

#[test]
fn cisco_metadata_sgt() {
    let mut d = decoder();
    let mut cmd = vec![0x01, 0x01, 0x00, 0x01, 0x00, 0x02, 0x08, 0x00];
    cmd.extend(segment4());
    expect_tcp(&mut d, &frame(1, &eth(0x8909, &cmd)), false);
}

#[test]
fn ip_in_ip_and_gre() {
    let mut d = decoder();
    // IPv4 in IPv6 (4in6), IPv6 in IPv4 (6in4).
    expect_tcp(&mut d, &frame(101, &ipv6(4, &segment4())), false);
    expect_tcp(&mut d, &frame(101, &ipv4(41, &segment6())), true);
    // Plain GRE with a key, carrying IPv4.
    let mut gre = vec![0x20, 0x00, 0x08, 0x00, 0, 0, 0, 42];
    gre.extend(segment4());
    expect_tcp(&mut d, &frame(1, &eth(0x0800, &ipv4(47, &gre))), false);
    // GRE TEB (Ethernet inside), with checksum and sequence.
    let mut teb = vec![0x90, 0x00, 0x65, 0x58, 0, 0, 0, 0, 0, 0, 0, 1];
    teb.extend(eth(0x86dd, &segment6()));
    expect_tcp(&mut d, &frame(101, &ipv4(47, &teb)), true);
    // ERSPAN type II: GRE with sequence, 8-byte ERSPAN header, Ethernet with a VLAN tag.
    let (t, tagged) = vlan(0x8100, 9, 0x0800, &segment4());
    let mut erspan = vec![0x10, 0x00, 0x88, 0xbe, 0, 0, 0, 7];
    erspan.extend([0x10, 0x09, 0, 1, 0, 0, 0, 0]);
    erspan.extend(eth(t, &tagged));
    expect_tcp(&mut d, &frame(101, &ipv4(47, &erspan)), false);
    // Unknown GRE payload, and GRE with routing: not TCP.
    assert_eq!(
        d.decode(&frame(101, &ipv4(47, &[0, 0, 0x12, 0x34, 1]))),
        Decoded::NotTcp
    );
    assert_eq!(
        d.decode(&frame(101, &ipv4(47, &[0x40, 0, 8, 0, 0, 0, 0, 0]))),
        Decoded::NotTcp
    );
    assert_eq!(
        d.decode(&frame(101, &ipv4(47, &[0x20, 0]))),
        Decoded::Malformed(DecodeError::LinkTruncated(LinkLayer::Gre))
    );
}

#[test]
fn udp_tunnels() {
    let mut d = decoder();
    let mut vx = vec![0x08, 0, 0, 0, 0, 0, 0x64, 0];
    vx.extend(eth(0x0800, &segment4()));
    expect_tcp(
        &mut d,
        &frame(101, &ipv4(17, &udp(55555, 4789, &vx))),
        false,
    );
    let mut gen = vec![0x01, 0, 0x86, 0xdd, 0, 0, 0x64, 0, 1, 2, 3, 4];
    gen.extend(segment6());
    expect_tcp(
        &mut d,
        &frame(101, &ipv4(17, &udp(55555, 6081, &gen))),
        true,
    );
    // GTP-U G-PDU without and with an extension header (PDU session container).
    let inner = segment4();
    let mut g = vec![0x30, 0xff];
    g.extend((inner.len() as u16).to_be_bytes());
    g.extend([0, 0, 0, 1]);
    g.extend(&inner);
    expect_tcp(&mut d, &frame(101, &ipv4(17, &udp(2152, 2152, &g))), false);
    let mut ge = vec![0x34, 0xff];
    ge.extend(((inner.len() + 8) as u16).to_be_bytes());
    ge.extend([0, 0, 0, 1, 0, 0, 0, 0x85, 1, 0x10, 0x09, 0x00]);
    ge.extend(&inner);
    expect_tcp(&mut d, &frame(101, &ipv6(17, &udp(2152, 2152, &ge))), false);
    // Plain UDP (DNS) is not TCP; a GTP signalling message is not TCP.
    assert_eq!(
        d.decode(&frame(101, &ipv4(17, &udp(53, 53, &[0; 12])))),
        Decoded::NotTcp
    );
    assert_eq!(
        d.decode(&frame(
            101,
            &ipv4(
                17,
                &udp(2152, 2152, &[0x32, 1, 0, 4, 0, 0, 0, 0, 0, 1, 0, 0])
            )
        )),
        Decoded::NotTcp
    );
}

#[test]
fn fragmented_tunnel_reassembles_to_the_inner_segment() {
    let mut d = decoder();
    let mut gtp = vec![0x30, 0xff, 0, 0, 0, 0, 0, 1];
    let inner = ipv4(6, &tcp(40000, 443, 1000, 2000, PSH_ACK, HELLO));
    gtp.extend(&inner);
    let outer_payload = udp(2152, 2152, &gtp);
    let (a, b) = outer_payload.split_at(24);
    let f1 = ipv4_frag(17, 99, 0, true, a);
    let f2 = ipv4_frag(17, 99, 3, false, b);
    assert_eq!(d.decode(&frame(101, &f2)), Decoded::FragmentHeld);
    expect_tcp(&mut d, &frame(101, &f1), false);
    assert_eq!(d.stats().datagrams_reassembled, 1);
}

/// Decodes `frames` in turn with [`Decoder::decode`] (fast path first) and with
/// [`Decoder::decode_general`] (etherparse only): every result and the counters must be equal,
/// and whenever [`Decoder::decode_fast`] takes a frame its segment must be the general path's.
/// Returns how many frames the fast path took.
fn paths_agree<'a>(frames: impl IntoIterator<Item = Frame<'a>>) -> u64 {
    let (mut both, mut general) = (decoder(), decoder());
    // Sees only the frames the fast path takes (never fragments, so its pool stays empty).
    let (mut fast, mut check) = (decoder(), decoder());
    let mut taken = 0;
    for f in frames {
        if let Some(seg) = fast.decode_fast(&f) {
            taken += 1;
            assert_eq!(
                check.decode_general(&f),
                Decoded::Tcp(seg),
                "fast path differs on {:?} {:02x?} (orig_len {})",
                f.link,
                f.data,
                f.orig_len
            );
        }
        let a = both.decode(&f);
        let b = general.decode_general(&f);
        assert_eq!(
            a, b,
            "{:?} {:02x?} (orig_len {})",
            f.link, f.data, f.orig_len
        );
    }
    assert_eq!(fast.stats(), check.stats());
    both.finish();
    general.finish();
    assert_eq!(both.stats(), general.stats());
    taken
}

/// Every frame of every capture under testdata/, as captured and cut short at every length up
/// to 100 bytes (with its original length kept, as a snaplen cut leaves it).
#[test]
fn fast_path_agrees_on_every_testdata_frame() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let mut files = Vec::new();
    crate::capture::testutil::walk(&root, &mut files);
    files.retain(|p| p.to_string_lossy().contains(".pcap"));
    files.sort();
    assert!(!files.is_empty());
    let (mut frames, mut taken) = (0u64, 0u64);
    for path in files {
        let mut info = crate::record::InputInfo::default();
        let mut owned: Vec<(LinkType, Vec<u8>, u32)> = Vec::new();
        let _ = crate::capture::read_capture(&path.to_string_lossy(), &mut info, &mut |f| {
            owned.push((f.link, f.data.to_vec(), f.orig_len));
        });
        let mut all = Vec::new();
        for (i, (link, data, orig_len)) in owned.iter().enumerate() {
            let at = |data, orig_len| Frame {
                number: i as u64 + 1,
                ts: Timestamp::new(1_700_000_000 + i as i64, 0),
                link: *link,
                data,
                orig_len,
                chunk: None,
            };
            all.push(at(&data[..], *orig_len));
            for cut in 0..data.len().min(100) {
                all.push(at(&data[..cut], *orig_len));
            }
        }
        let mut probe = decoder();
        frames += owned.len() as u64;
        taken += all
            .iter()
            .filter(|f| f.data.len() == owned[f.number as usize - 1].1.len())
            .filter(|f| probe.decode_fast(f).is_some())
            .count() as u64;
        paths_agree(all);
    }
    // Most of the testdata frames are Ethernet/IPv4/TCP: the fast path must take them.
    assert!(frames > 1000 && taken > frames / 2, "{taken} of {frames}");
}

/// Frames with a TCP segment after each link layer the fast path takes.
fn fast_path_bases() -> Vec<(u32, Vec<u8>)> {
    let payload = b"\x17\x03\x03\x00\x10sixteen bytes...";
    let mut with_opts = tcp(40000, 443, 7, 9, PSH_ACK, payload);
    with_opts[12] = 8 << 4; // 12 bytes of options
    with_opts.splice(
        20..20,
        [2, 4, 5, 0xb4, 1, 1, 8, 10, 0, 0, 0, 1].iter().copied(),
    );
    let mut v4_opts = ipv4(6, &tcp(1, 2, 3, 4, SYN, &[]));
    v4_opts[0] = 0x46; // one word of IP options
    v4_opts.splice(20..20, [1, 1, 1, 0].iter().copied());
    let total = v4_opts.len() as u16;
    v4_opts[2..4].copy_from_slice(&total.to_be_bytes());
    let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0];
    sll.extend(segment4());
    let mut sll2 = vec![
        0x86, 0xdd, 0, 0, 0, 0, 0, 3, 0, 1, 4, 6, 2, 0, 0, 0, 0, 1, 0, 0,
    ];
    sll2.extend(segment6());
    vec![
        (1, eth(0x0800, &segment4())),
        (1, eth(0x86dd, &segment6())),
        (1, eth(0x0800, &ipv4(6, &with_opts))),
        (1, eth(0x86dd, &ipv6(6, &with_opts))),
        (1, eth(0x0800, &v4_opts)),
        (1, eth(0x0800, &ipv4(6, &tcp(1, 2, 3, 4, 0x3f, &[])))),
        (101, segment4()),
        (101, segment6()),
        (228, segment6()),
        (12, ipv4(6, &tcp(5, 6, u32::MAX, 0, 0x11, &[0; 40]))),
        (113, sll),
        (276, sll2),
    ]
}

/// Crafted edge cases: every base frame with each of its first 80 bytes set to values that
/// matter (version and IHL nibbles, flags, protocols, lengths), cut at every length, with a
/// longer original length, and with IP length fields from 0 to past the frame.
#[test]
fn fast_path_agrees_on_crafted_frames() {
    let mut variants: Vec<(u32, Vec<u8>, u32)> = Vec::new();
    for (link, base) in fast_path_bases() {
        let n = base.len() as u32;
        variants.push((link, base.clone(), n));
        variants.push((link, base.clone(), n + 1000));
        for cut in 0..base.len() {
            variants.push((link, base[..cut].to_vec(), n));
        }
        for at in 0..base.len().min(80) {
            for v in [
                0u8, 1, 4, 5, 6, 0x0f, 0x20, 0x3f, 0x40, 0x45, 0x4f, 0x50, 0x60, 0x80, 0xff,
            ] {
                let mut b = base.clone();
                b[at] = v;
                variants.push((link, b, n));
                let mut b = base.clone();
                b[at] ^= v;
                variants.push((link, b, n + 7));
            }
        }
        // The IPv4 total length / IPv6 payload length field, wherever the IP header starts.
        let ip_at = match link {
            1 => 14,
            113 => 16,
            276 => 20,
            _ => 0,
        };
        let len_at = if base[ip_at] >> 4 == 4 {
            ip_at + 2
        } else {
            ip_at + 4
        };
        for len in [0u16, 1, 19, 20, 39, 40, 41, 59, 60, 61, 80, 1500, u16::MAX] {
            for extra in [0usize, 30] {
                let mut b = base.clone();
                b[len_at..len_at + 2].copy_from_slice(&len.to_be_bytes());
                b.extend(std::iter::repeat_n(0xee, extra)); // padding after the packet
                let n = b.len() as u32;
                variants.push((link, b.clone(), n));
                variants.push((link, b, n + 100));
            }
        }
    }
    let frames = variants
        .iter()
        .enumerate()
        .map(|(i, (link, data, orig_len))| Frame {
            number: i as u64 + 1,
            ts: Timestamp::new(1_700_000_000, 0),
            link: LinkType(*link),
            data,
            orig_len: *orig_len,
            chunk: None,
        });
    let taken = paths_agree(frames);
    assert!(
        taken > variants.len() as u64 / 4,
        "{taken} of {}",
        variants.len()
    );
}

/// Frames the fast path must leave to the general one.
#[test]
fn fast_path_declines_what_it_does_not_handle() {
    let mut d = decoder();
    let (t, tagged) = vlan(0x8100, 5, 0x0800, &segment4());
    let (_, frags) = fragments(7, 3, 16);
    let mut hop = vec![6, 0, 1, 4, 0, 0, 0, 0];
    hop.extend(tcp(1, 2, 3, 4, PSH_ACK, HELLO));
    let declined: Vec<(u32, Vec<u8>)> = vec![
        (1, eth(t, &tagged)),
        (1, eth(0x0800, &frags[0])),
        (1, eth(0x0800, &frags[1])),
        (1, eth(0x86dd, &ipv6(0, &hop))),
        (1, eth(0x0800, &ipv4(17, &udp(1, 2, HELLO)))),
        (1, eth(0x0806, &[0; 28])),
        (0, [&2u32.to_le_bytes()[..], &segment4()].concat()),
        (9, segment4()),
    ];
    for (link, data) in &declined {
        assert_eq!(
            d.decode_fast(&frame(*link, data)),
            None,
            "{link} {data:02x?}"
        );
    }
    assert_eq!(d.stats(), &DecodeStats::default());
}
