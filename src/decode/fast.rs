//! The fast path for the frame almost every capture is made of: Ethernet II, raw IP or Linux
//! cooked (SLL, SLL2) → IPv4 (options allowed, not a fragment) or IPv6 without extension headers
//! → a whole TCP header. The fixed header fields are read straight from the slice.
//!
//! Why not etherparse here, which the general path uses (`link.rs`, `ip.rs` on `LaxIpSlice`,
//! `tcp_segment` on `TcpSlice`): measured with callgrind on a 60 MB prefix of the benchmark
//! capture (120k Ethernet/IPv4/TCP frames), the general path costs about 410 instructions a frame
//! (its layers each build and return a large result, and the lax slicer keeps length-source
//! bookkeeping tlsnoop does not use); this one about 110. With `read -j2` this work runs on the
//! single reader thread that feeds the workers, so it bounds how far threads scale.
//!
//! The general path stays the reference: anything this does not take (VLAN and other link
//! headers, tunnels, fragments, IPv6 extension headers, AH, anything malformed or cut inside a
//! header) returns `None` and goes there. What it takes must decode exactly as the general path
//! decodes it; `tests.rs` (`fast_path_agrees_*`) and the `decode` fuzz target check that.
//!
//! It must not allocate, keep state or count anything (the caller counts).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

use super::{TcpFlags, TcpSegment};
use crate::capture::{Frame, LinkType};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

const ETH_IPV4: u16 = 0x0800;
const ETH_IPV6: u16 = 0x86dd;
const ARPHRD_NETLINK: u16 = 824;
const TCP: u8 = 6;

/// The TCP segment of `frame` when it is of the common kind described above; `None` sends the
/// frame to the general path.
#[inline(always)]
pub(crate) fn tcp<'a>(frame: &Frame<'a>) -> Option<TcpSegment<'a>> {
    let ip = ip_start(frame.link, frame.data)?;
    let (src, dst, tcp, wire_len) = match ip.first()? >> 4 {
        4 => ipv4(ip)?,
        6 => ipv6(ip)?,
        _ => return None,
    };
    // Bytes of this frame the snaplen cut off (used when the IP length field is unusable).
    let missing = u64::from(frame.orig_len).saturating_sub(frame.data.len() as u64);
    segment(src, dst, tcp, wire_len, missing)
}

/// The bytes after the link header, when it is one of the simple ones and says IP.
#[inline]
fn ip_start(link: LinkType, data: &[u8]) -> Option<&[u8]> {
    let is_ip = |et: u16| et == ETH_IPV4 || et == ETH_IPV6;
    match link {
        LinkType::ETHERNET => {
            let (h, rest) = data.split_first_chunk::<14>()?;
            is_ip(u16::from_be_bytes([h[12], h[13]])).then_some(rest)
        }
        LinkType::RAW
        | LinkType::DLT_RAW_12
        | LinkType::DLT_RAW_14
        | LinkType::IPV4
        | LinkType::IPV6 => Some(data),
        LinkType::LINUX_SLL => {
            let (h, rest) = data.split_first_chunk::<16>()?;
            let arphrd = u16::from_be_bytes([h[2], h[3]]);
            (arphrd != ARPHRD_NETLINK && is_ip(u16::from_be_bytes([h[14], h[15]]))).then_some(rest)
        }
        LinkType::LINUX_SLL2 => {
            let (h, rest) = data.split_first_chunk::<20>()?;
            let arphrd = u16::from_be_bytes([h[8], h[9]]);
            (arphrd != ARPHRD_NETLINK && is_ip(u16::from_be_bytes([h[0], h[1]]))).then_some(rest)
        }
        _ => None,
    }
}

/// Addresses, TCP bytes (up to the IP length when it is usable) and TCP length per the IP
/// header (`None` when the length field is unusable).
type Net<'a> = (IpAddr, IpAddr, &'a [u8], Option<usize>);

/// An IPv4 header whose protocol is TCP, not fragmenting (options are skipped).
#[inline]
fn ipv4(ip: &[u8]) -> Option<Net<'_>> {
    let h = ip.first_chunk::<20>()?;
    let header_len = usize::from(h[0] & 0x0f) * 4;
    // Protocol TCP (so no AH), MF clear and fragment offset 0.
    if header_len < 20 || h[9] != TCP || h[6] & 0x3f != 0 || h[7] != 0 {
        return None;
    }
    let after = ip.get(header_len..)?;
    let total = usize::from(u16::from_be_bytes([h[2], h[3]]));
    let (tcp, wire_len) = match total.checked_sub(header_len) {
        // A total length under the header length (0 with TSO): what was captured.
        None => (after, None),
        Some(len) => (after.get(..len).unwrap_or(after), Some(len)),
    };
    let src = Ipv4Addr::from([h[12], h[13], h[14], h[15]]);
    let dst = Ipv4Addr::from([h[16], h[17], h[18], h[19]]);
    Some((IpAddr::V4(src), IpAddr::V4(dst), tcp, wire_len))
}

/// An IPv6 header whose next header is TCP.
#[inline]
fn ipv6(ip: &[u8]) -> Option<Net<'_>> {
    let (h, after) = ip.split_first_chunk::<40>()?;
    if h[6] != TCP {
        return None;
    }
    let plen = usize::from(u16::from_be_bytes([h[4], h[5]]));
    let (tcp, wire_len) = if plen == 0 {
        // Jumbogram or TSO: what was captured.
        (after, None)
    } else {
        (after.get(..plen).unwrap_or(after), Some(plen))
    };
    let (src, dst) = (&h[8..24], &h[24..40]);
    let src = Ipv6Addr::from(<[u8; 16]>::try_from(src).ok()?);
    let dst = Ipv6Addr::from(<[u8; 16]>::try_from(dst).ok()?);
    Some((IpAddr::V6(src), IpAddr::V6(dst), tcp, wire_len))
}

/// The segment from a whole TCP header on; the same arithmetic as `super::tcp_segment`.
#[inline]
fn segment(
    src: IpAddr,
    dst: IpAddr,
    tcp: &[u8],
    wire_len: Option<usize>,
    missing: u64,
) -> Option<TcpSegment<'_>> {
    let h = tcp.first_chunk::<20>()?;
    let header_len = usize::from(h[12] >> 4) * 4;
    if header_len < 20 {
        return None;
    }
    let payload = tcp.get(header_len..)?;
    let captured = payload.len() as u64;
    let wire = match wire_len {
        Some(w) => (w.saturating_sub(header_len) as u64).max(captured),
        None => captured.saturating_add(missing),
    };
    let flags = h[13];
    Some(TcpSegment {
        src: SocketAddr::new(src, u16::from_be_bytes([h[0], h[1]])),
        dst: SocketAddr::new(dst, u16::from_be_bytes([h[2], h[3]])),
        seq: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
        ack: u32::from_be_bytes([h[8], h[9], h[10], h[11]]),
        flags: TcpFlags {
            fin: flags & 0x01 != 0,
            syn: flags & 0x02 != 0,
            rst: flags & 0x04 != 0,
            psh: flags & 0x08 != 0,
            ack: flags & 0x10 != 0,
        },
        payload,
        truncated: wire > captured,
        wire_payload_len: u32::try_from(wire).unwrap_or(u32::MAX),
    })
}
