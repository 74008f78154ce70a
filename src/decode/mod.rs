//! Frame → TCP segment: link layers, IPv4/IPv6 (with extension headers), tunnels and IP
//! fragment reassembly.
//!
//! Owns the link-layer table (`link.rs`), the IP layer (`ip.rs`, on etherparse's lax slicers, so a
//! snaplen-cut packet still yields what was captured), tunnel decapsulation (`tunnel.rs`: IP in
//! IP, GRE, ERSPAN, VXLAN, Geneve, GTP-U; the TCP segment reported is the innermost one) and the
//! bounded fragment pool (`defrag.rs`), plus the counters in [`DecodeStats`].
//!
//! It must not keep any state except the fragment pool and reusable buffers, must not allocate
//! per packet, must not verify checksums (some captures have rewritten addresses), and must not
//! know anything about TCP connections or TLS. Nothing from the wire may panic here.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod defrag;
mod fast;
mod ip;
mod link;
mod tunnel;

pub use self::defrag::DefragLimits;
pub use self::link::supports;

use crate::capture::{Frame, LinkType};
use std::fmt;
use std::net::{IpAddr, SocketAddr};

/// The TCP flags tlsnoop looks at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpFlags {
    /// SYN: connection open.
    pub syn: bool,
    /// ACK: the acknowledgment number is valid.
    pub ack: bool,
    /// FIN: the sender has finished sending.
    pub fin: bool,
    /// RST: connection reset.
    pub rst: bool,
    /// PSH: push.
    pub psh: bool,
}

/// A decoded TCP segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpSegment<'a> {
    /// Sender address and port.
    pub src: SocketAddr,
    /// Receiver address and port.
    pub dst: SocketAddr,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number (meaningful when `flags.ack`).
    pub ack: u32,
    /// Flags.
    pub flags: TcpFlags,
    /// The payload bytes that were captured.
    pub payload: &'a [u8],
    /// Payload cut short by the snaplen (`payload.len() < wire_payload_len`).
    pub truncated: bool,
    /// Bytes of TCP payload that the IP header says exist (`>= payload.len()`). When the IP
    /// length field is unusable (0, as with TSO captures) it is estimated from the frame's
    /// original length.
    pub wire_payload_len: u32,
}

/// What a frame turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded<'a> {
    /// A TCP segment.
    Tcp(TcpSegment<'a>),
    /// IP but not TCP (UDP, ICMP…), or not IP (ARP, LLDP…).
    NotTcp,
    /// An IP fragment, held until its datagram completes.
    FragmentHeld,
    /// Link type we cannot decode.
    UnsupportedLink(LinkType),
    /// Claimed to be IP/TCP but malformed or cut before the TCP header.
    Malformed(DecodeError),
}

/// A link-layer or tunnel header a frame can be cut inside of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkLayer {
    /// Ethernet II.
    Ethernet,
    /// 802.1Q / 802.1ad VLAN tag.
    Vlan,
    /// 802.2 LLC / SNAP.
    Llc,
    /// PPPoE session header.
    Pppoe,
    /// PPP header.
    Ppp,
    /// MPLS label stack.
    Mpls,
    /// Linux cooked capture v1.
    LinuxSll,
    /// Linux cooked capture v2.
    LinuxSll2,
    /// BSD NULL / OpenBSD LOOP address family.
    NullLoop,
    /// Cisco MetaData (SGT) header, EtherType 0x8909.
    CiscoMetadata,
    /// UDP header (of a tunnel).
    Udp,
    /// GRE header.
    Gre,
    /// ERSPAN header (inside GRE).
    Erspan,
    /// VXLAN header.
    Vxlan,
    /// Geneve header.
    Geneve,
    /// GTP-U header.
    GtpU,
}

impl fmt::Display for LinkLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LinkLayer::Ethernet => "Ethernet",
            LinkLayer::Vlan => "VLAN",
            LinkLayer::Llc => "LLC/SNAP",
            LinkLayer::Pppoe => "PPPoE",
            LinkLayer::Ppp => "PPP",
            LinkLayer::Mpls => "MPLS",
            LinkLayer::LinuxSll => "Linux SLL",
            LinkLayer::LinuxSll2 => "Linux SLL2",
            LinkLayer::NullLoop => "NULL/LOOP",
            LinkLayer::CiscoMetadata => "Cisco MetaData",
            LinkLayer::Udp => "UDP",
            LinkLayer::Gre => "GRE",
            LinkLayer::Erspan => "ERSPAN",
            LinkLayer::Vxlan => "VXLAN",
            LinkLayer::Geneve => "Geneve",
            LinkLayer::GtpU => "GTP-U",
        })
    }
}

/// Why a frame that claimed to carry IP/TCP could not be decoded. `Display` is short, for notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The frame ends inside a link-layer header.
    #[error("{0} header truncated")]
    LinkTruncated(LinkLayer),
    /// The frame ends before the first byte of the IP header.
    #[error("IP header missing")]
    IpMissing,
    /// The IP version nibble is neither 4 nor 6.
    #[error("not IPv4 or IPv6 (version {0})")]
    BadIpVersion(u8),
    /// The frame ends inside the IPv4 header.
    #[error("IPv4 header truncated")]
    Ipv4Truncated,
    /// IPv4 IHL under 5.
    #[error("IPv4 header length {ihl} is under the minimum of 5")]
    Ipv4HeaderLength {
        /// The IHL field (32-bit words).
        ihl: u8,
    },
    /// The frame ends inside the IPv6 header.
    #[error("IPv6 header truncated")]
    Ipv6Truncated,
    /// The frame ends inside an IP extension header (IPv6 options, AH).
    #[error("IP extension header truncated")]
    ExtensionTruncated,
    /// A hop-by-hop options header after the first extension header.
    #[error("IPv6 hop-by-hop header not first")]
    HopByHopNotFirst,
    /// An authentication header with an impossible length.
    #[error("IP authentication header invalid")]
    AuthHeaderInvalid,
    /// The frame ends inside the TCP header.
    #[error("TCP header truncated ({have} of {need} bytes)")]
    TcpTruncated {
        /// Bytes present.
        have: usize,
        /// Bytes the header needs.
        need: usize,
    },
    /// TCP data offset under 5.
    #[error("TCP data offset {0} is under the minimum of 5")]
    TcpDataOffset(u8),
    /// An IP fragment cut by the snaplen (it cannot be reassembled).
    #[error("IP fragment truncated")]
    FragmentTruncated,
    /// A fragment reaching past the 65535-byte maximum datagram.
    #[error("IP fragment ends past 65535 bytes")]
    FragmentTooLong,
    /// A fragment inside a tunnel whose outer datagram was itself reassembled (not supported).
    #[error("IP fragment inside a reassembled tunnel datagram")]
    NestedFragment,
}

/// Decoder counters. Merged over workers with `+=`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecodeStats {
    /// Frames decoded.
    pub frames: u64,
    /// TCP segments returned (reassembled datagrams count once).
    pub tcp_segments: u64,
    /// Frames that were not TCP (or not IP).
    pub not_tcp: u64,
    /// Frames of a link type this decoder does not know.
    pub unsupported_link: u64,
    /// Frames that claimed IP/TCP but were malformed or cut before the TCP header.
    pub malformed: u64,
    /// Frames whose captured length was shorter than their original length.
    pub truncated_frames: u64,
    /// TCP segments whose payload was cut short by the snaplen.
    pub truncated_segments: u64,
    /// IP fragments seen of datagrams that may carry TCP (TCP, UDP and IP tunnels); others are
    /// `not_tcp` at once.
    pub fragments_seen: u64,
    /// Datagrams reassembled from fragments.
    pub datagrams_reassembled: u64,
    /// Fragments discarded: by the pool limits, by timeout, at the end of input, or because
    /// they were inconsistent (overlapping ends, past 64 KiB, cut by the snaplen).
    pub fragments_dropped: u64,
    /// Pending datagrams evicted because the pool was full (`max_bytes` or `max_datagrams`).
    pub datagrams_evicted: u64,
    /// Of `datagrams_evicted`, those evicted (or refused) to keep within `max_bytes`.
    pub datagrams_evicted_for_bytes: u64,
    /// Pending datagrams dropped after `timeout_secs` of capture time.
    pub datagrams_timed_out: u64,
    /// Pending datagrams still incomplete at the end of input ([`Decoder::finish`]).
    pub datagrams_incomplete: u64,
}

impl std::ops::AddAssign<&DecodeStats> for DecodeStats {
    fn add_assign(&mut self, o: &DecodeStats) {
        self.frames += o.frames;
        self.tcp_segments += o.tcp_segments;
        self.not_tcp += o.not_tcp;
        self.unsupported_link += o.unsupported_link;
        self.malformed += o.malformed;
        self.truncated_frames += o.truncated_frames;
        self.truncated_segments += o.truncated_segments;
        self.fragments_seen += o.fragments_seen;
        self.datagrams_reassembled += o.datagrams_reassembled;
        self.fragments_dropped += o.fragments_dropped;
        self.datagrams_evicted += o.datagrams_evicted;
        self.datagrams_evicted_for_bytes += o.datagrams_evicted_for_bytes;
        self.datagrams_timed_out += o.datagrams_timed_out;
        self.datagrams_incomplete += o.datagrams_incomplete;
    }
}

impl DecodeStats {
    /// Adds the fragment pool's limit hits to the run's counters.
    pub fn add_limits_hit(&self, hit: &mut crate::record::LimitsHit) {
        hit.max_fragment_bytes += self.datagrams_evicted_for_bytes;
        hit.max_fragment_datagrams += self
            .datagrams_evicted
            .saturating_sub(self.datagrams_evicted_for_bytes);
        hit.fragment_timeout += self.datagrams_timed_out;
    }

    /// Notes a user should see about fragment reassembly (empty when nothing was lost).
    pub fn notes(&self, limits: &DefragLimits) -> Vec<String> {
        let mut v = Vec::new();
        if self.fragments_dropped > 0 {
            let mut why = Vec::new();
            if self.datagrams_evicted > 0 {
                why.push(format!(
                    "{} evicted by the fragment pool limits ({}, {}; see --max-fragment-bytes, \
                     --max-fragment-datagrams)",
                    crate::names::count(self.datagrams_evicted, "datagram"),
                    crate::config::size(limits.max_bytes),
                    crate::names::count(limits.max_datagrams as u64, "datagram"),
                ));
            }
            if self.datagrams_timed_out > 0 {
                why.push(format!(
                    "{} incomplete after {} s (see --fragment-timeout)",
                    self.datagrams_timed_out, limits.timeout_secs
                ));
            }
            if self.datagrams_incomplete > 0 {
                why.push(format!(
                    "{} incomplete at the end of the capture",
                    self.datagrams_incomplete
                ));
            }
            let why = if why.is_empty() {
                "inconsistent fragments".to_string()
            } else {
                why.join("; ")
            };
            v.push(format!(
                "{} IP fragment{} not reassembled: {why}",
                self.fragments_dropped,
                if self.fragments_dropped == 1 { "" } else { "s" }
            ));
        }
        v
    }
}

/// Decodes frames down to TCP. Owns the bounded fragment pool and reusable buffers; one per
/// thread.
#[derive(Debug)]
pub struct Decoder {
    pool: defrag::Pool,
    stats: DecodeStats,
}

impl Decoder {
    /// A decoder whose fragment pool is bounded by `limits`.
    pub fn new(limits: DefragLimits) -> Self {
        Decoder {
            pool: defrag::Pool::new(limits),
            stats: DecodeStats::default(),
        }
    }

    /// Decodes one frame down to TCP. The returned slice may borrow the frame or the decoder's
    /// reassembly buffer (valid until the next call). (The frame itself need not outlive the
    /// result: only its data does.)
    #[inline]
    pub fn decode<'a>(&'a mut self, frame: &Frame<'a>) -> Decoded<'a> {
        match self.decode_fast(frame) {
            Some(seg) => Decoded::Tcp(seg),
            None => self.decode_general(frame),
        }
    }

    /// The fast path of [`Decoder::decode`] alone: the segment of a frame of the common kind
    /// (Ethernet, raw IP or Linux cooked → IPv4 not fragmenting, or IPv6 without extension
    /// headers → TCP), counted as `decode` counts it. `None` for any other frame, which is then
    /// not counted: give it to [`Decoder::decode_general`]. Whenever this gives a segment,
    /// `decode_general` gives the same one (tests and the `decode` fuzz target check it).
    #[inline(always)]
    pub fn decode_fast<'f>(&mut self, frame: &Frame<'f>) -> Option<TcpSegment<'f>> {
        let seg = fast::tcp(frame)?;
        let stats = &mut self.stats;
        stats.frames += 1;
        if (frame.data.len() as u64) < u64::from(frame.orig_len) {
            stats.truncated_frames += 1;
        }
        stats.tcp_segments += 1;
        if seg.truncated {
            stats.truncated_segments += 1;
        }
        Some(seg)
    }

    /// [`Decoder::decode`] without its fast path: the general decoder (etherparse, every link
    /// layer, tunnels, fragments) for any frame.
    pub fn decode_general<'a>(&'a mut self, frame: &Frame<'a>) -> Decoded<'a> {
        let Decoder { pool, stats } = self;
        let out = decode_frame(pool, stats, frame);
        stats.frames += 1;
        if (frame.data.len() as u64) < u64::from(frame.orig_len) {
            stats.truncated_frames += 1;
        }
        match &out {
            Decoded::Tcp(t) => {
                stats.tcp_segments += 1;
                if t.truncated {
                    stats.truncated_segments += 1;
                }
            }
            Decoded::NotTcp => stats.not_tcp += 1,
            Decoded::FragmentHeld => {}
            Decoded::UnsupportedLink(_) => stats.unsupported_link += 1,
            Decoded::Malformed(_) => stats.malformed += 1,
        }
        out
    }

    /// Counters: fragments seen, datagrams reassembled, fragments dropped by limits/timeouts,
    /// truncated frames…
    pub fn stats(&self) -> &DecodeStats {
        &self.stats
    }

    /// The limits the fragment pool was built with.
    pub fn limits(&self) -> &DefragLimits {
        self.pool.limits()
    }

    /// Bytes the fragment pool holds now (always `<= limits().max_bytes`).
    pub fn fragment_bytes_held(&self) -> usize {
        self.pool.bytes_held()
    }

    /// Datagrams waiting for fragments now (always `<= limits().max_datagrams`).
    pub fn fragments_pending(&self) -> usize {
        self.pool.pending()
    }

    /// End of input: drops the datagrams still waiting for fragments and counts them in
    /// `datagrams_incomplete` / `fragments_dropped`.
    pub fn finish(&mut self) {
        self.pool.clear(&mut self.stats);
    }
}

fn decode_frame<'a>(
    pool: &'a mut defrag::Pool,
    stats: &mut DecodeStats,
    frame: &Frame<'a>,
) -> Decoded<'a> {
    let ip_bytes = match link::strip(frame.link, frame.data) {
        Ok(link::L3::Ip(b)) => b,
        Ok(link::L3::NotIp) => return Decoded::NotTcp,
        Ok(link::L3::Unsupported) => return Decoded::UnsupportedLink(frame.link),
        Err(e) => return Decoded::Malformed(e),
    };
    // Bytes of this frame the snaplen cut off (used when the IP length field is unusable).
    let missing = u64::from(frame.orig_len).saturating_sub(frame.data.len() as u64);
    walk(ip_bytes, missing, Some(pool), stats, frame.ts.secs)
}

/// IP headers and tunnels nested in one packet, at most.
const MAX_DEPTH: usize = 4;

/// Decodes from an IP header down through tunnels to TCP. `pool` is `None` inside a datagram
/// that was itself reassembled (its inner fragments are not reassembled again).
fn walk<'a>(
    mut bytes: &'a [u8],
    missing: u64,
    mut pool: Option<&'a mut defrag::Pool>,
    stats: &mut DecodeStats,
    now: i64,
) -> Decoded<'a> {
    for _ in 0..MAX_DEPTH {
        match ip::parse(bytes) {
            Err(e) => return Decoded::Malformed(e),
            Ok(ip::Net::Other) => return Decoded::NotTcp,
            Ok(ip::Net::Tcp {
                src,
                dst,
                tcp,
                wire_len,
            }) => return tcp_segment(src, dst, tcp, wire_len, missing),
            Ok(ip::Net::Inner { proto, payload }) => match tunnel::open(proto, payload) {
                Ok(link::L3::Ip(inner)) => bytes = inner,
                Ok(_) => return Decoded::NotTcp,
                Err(e) => return Decoded::Malformed(e),
            },
            Ok(ip::Net::Fragment(frag)) => {
                stats.fragments_seen += 1;
                let Some(pool) = pool.take() else {
                    stats.fragments_dropped += 1;
                    return Decoded::Malformed(DecodeError::NestedFragment);
                };
                let (src, dst) = (frag.key.src, frag.key.dst);
                return match pool.insert(&frag, now, stats) {
                    defrag::Insert::Held => Decoded::FragmentHeld,
                    defrag::Insert::Dropped(e) => Decoded::Malformed(e),
                    defrag::Insert::Complete { proto, data } => {
                        match ip::skip_extensions(proto, data) {
                            Some((ip::TCP, tcp)) => {
                                let len = Some(tcp.len());
                                tcp_segment(src, dst, tcp, len, 0)
                            }
                            Some((proto, payload)) if ip::is_tunnel(proto) => {
                                match tunnel::open(proto, payload) {
                                    Ok(link::L3::Ip(inner)) => walk(inner, 0, None, stats, now),
                                    Ok(_) => Decoded::NotTcp,
                                    Err(e) => Decoded::Malformed(e),
                                }
                            }
                            _ => Decoded::NotTcp,
                        }
                    }
                };
            }
        }
    }
    Decoded::NotTcp
}

/// Builds the segment from the TCP header onwards. `wire_len` is the TCP length (header and
/// payload) the IP header gives, `None` when it gives none (then `missing` bytes cut by the
/// snaplen are assumed to be payload).
fn tcp_segment<'a>(
    src: IpAddr,
    dst: IpAddr,
    tcp: &'a [u8],
    wire_len: Option<usize>,
    missing: u64,
) -> Decoded<'a> {
    use etherparse::err::tcp::{HeaderError, HeaderSliceError};
    let t = match etherparse::TcpSlice::from_slice(tcp) {
        Ok(t) => t,
        Err(HeaderSliceError::Len(l)) => {
            return Decoded::Malformed(DecodeError::TcpTruncated {
                have: l.len,
                need: l.required_len,
            })
        }
        Err(HeaderSliceError::Content(HeaderError::DataOffsetTooSmall { data_offset })) => {
            return Decoded::Malformed(DecodeError::TcpDataOffset(data_offset))
        }
    };
    let payload = t.payload();
    let header_len = usize::from(t.data_offset()) * 4;
    let captured = payload.len() as u64;
    let wire = match wire_len {
        Some(w) => (w.saturating_sub(header_len) as u64).max(captured),
        None => captured.saturating_add(missing),
    };
    Decoded::Tcp(TcpSegment {
        src: SocketAddr::new(src, t.source_port()),
        dst: SocketAddr::new(dst, t.destination_port()),
        seq: t.sequence_number(),
        ack: t.acknowledgment_number(),
        flags: TcpFlags {
            syn: t.syn(),
            ack: t.ack(),
            fin: t.fin(),
            rst: t.rst(),
            psh: t.psh(),
        },
        payload,
        truncated: wire > captured,
        wire_payload_len: u32::try_from(wire).unwrap_or(u32::MAX),
    })
}

#[cfg(test)]
mod tests;
