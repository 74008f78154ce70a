//! The IP layer: IPv4 and IPv6 with extension headers, on etherparse's lax slicer (a packet cut
//! by the snaplen still yields the bytes that were captured), down to the start of the TCP
//! header, or to a fragment for the pool.
//!
//! It must not parse TCP (that is `mod.rs`), must not verify checksums, and must not allocate.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

use super::defrag::{FragKey, Fragment};
use super::DecodeError;
use etherparse::err::ipv6_exts::{HeaderError as ExtError, HeaderSliceError as ExtSliceError};
use etherparse::{IpNumber, LaxIpSlice};
use std::net::IpAddr;

const TCP: u8 = 6;
const HOP_BY_HOP: u8 = 0;
const ROUTING: u8 = 43;
const FRAGMENT: u8 = 44;
const AUTH: u8 = 51;
const DEST_OPTS: u8 = 60;

/// Extension headers followed before giving up.
const MAX_EXTENSIONS: usize = 16;

/// What an IP packet carries.
#[derive(Debug)]
pub(crate) enum Net<'a> {
    /// TCP, from its header on.
    Tcp {
        src: IpAddr,
        dst: IpAddr,
        /// TCP header and captured payload.
        tcp: &'a [u8],
        /// TCP length (header and payload) per the IP header; `None` when the IP length field
        /// is unusable (0 with TSO, IPv6 jumbograms).
        wire_len: Option<usize>,
    },
    /// A fragment of a datagram that may carry TCP.
    Fragment(Fragment<'a>),
    /// Not TCP (or a fragment of a datagram that cannot be TCP).
    Other,
}

fn ext_error(e: &ExtSliceError) -> DecodeError {
    match e {
        ExtSliceError::Len(_) => DecodeError::ExtensionTruncated,
        ExtSliceError::Content(ExtError::HopByHopNotAtStart) => DecodeError::HopByHopNotFirst,
        ExtSliceError::Content(ExtError::IpAuth(_)) => DecodeError::AuthHeaderInvalid,
    }
}

/// Parses the IP header(s) at the start of `ip`.
pub(crate) fn parse(ip: &[u8]) -> Result<Net<'_>, DecodeError> {
    use etherparse::err::ip::{HeaderError, LaxHeaderSliceError};
    let version = ip.first().ok_or(DecodeError::IpMissing)? >> 4;
    let truncated = if version == 4 {
        DecodeError::Ipv4Truncated
    } else {
        DecodeError::Ipv6Truncated
    };
    let (slice, stop) = LaxIpSlice::from_slice(ip).map_err(|e| match e {
        LaxHeaderSliceError::Len(_) => truncated,
        LaxHeaderSliceError::Content(HeaderError::UnsupportedIpVersion { version_number }) => {
            DecodeError::BadIpVersion(version_number)
        }
        LaxHeaderSliceError::Content(HeaderError::Ipv4HeaderLengthSmallerThanHeader { ihl }) => {
            DecodeError::Ipv4HeaderLength { ihl }
        }
    })?;
    match &slice {
        LaxIpSlice::Ipv4(v4) => {
            let h = v4.header();
            let src = IpAddr::V4(h.source_addr());
            let dst = IpAddr::V4(h.destination_addr());
            let header_len = h.slice().len();
            let total = usize::from(h.total_len());
            if h.is_fragmenting_payload() {
                // The fragmented data starts right after the IPv4 header (an AH, if any, is
                // part of it and is skipped after reassembly).
                let proto = h.protocol().0;
                if proto != TCP && proto != AUTH {
                    return Ok(Net::Other);
                }
                if total < header_len {
                    return Err(DecodeError::FragmentTruncated);
                }
                let data = ip
                    .get(header_len..total)
                    .ok_or(DecodeError::FragmentTruncated)?;
                return Ok(Net::Fragment(Fragment {
                    key: FragKey {
                        src,
                        dst,
                        id: u32::from(h.identification()),
                        proto,
                    },
                    offset: usize::from(h.fragments_offset().value()) * 8,
                    more: h.more_fragments(),
                    data,
                }));
            }
            if let Some((e, _)) = &stop {
                return Err(ext_error(e));
            }
            let p = v4.payload();
            if p.ip_number != IpNumber::TCP {
                return Ok(Net::Other);
            }
            let auth_len = v4.extensions().auth.map_or(0, |a| a.slice().len());
            let wire_len =
                (total >= header_len).then(|| total.saturating_sub(header_len + auth_len));
            Ok(Net::Tcp {
                src,
                dst,
                tcp: p.payload,
                wire_len,
            })
        }
        LaxIpSlice::Ipv6(v6) => {
            let h = v6.header();
            let src = IpAddr::V6(h.source_addr());
            let dst = IpAddr::V6(h.destination_addr());
            if v6.is_payload_fragmented() {
                return ipv6_fragment(ip, src, dst);
            }
            if let Some((e, _)) = &stop {
                return Err(ext_error(e));
            }
            let p = v6.payload();
            if p.ip_number != IpNumber::TCP {
                return Ok(Net::Other);
            }
            let plen = usize::from(h.payload_length());
            let exts = v6.extensions().slice().len();
            let wire_len = (plen != 0).then(|| plen.saturating_sub(exts));
            Ok(Net::Tcp {
                src,
                dst,
                tcp: p.payload,
                wire_len,
            })
        }
    }
}

/// Walks the IPv6 extension headers to the Fragment header and returns what follows it. Done by
/// hand because etherparse keeps parsing "extension headers" inside non-first fragments.
fn ipv6_fragment(ip: &[u8], src: IpAddr, dst: IpAddr) -> Result<Net<'_>, DecodeError> {
    let bad = DecodeError::ExtensionTruncated;
    let plen = usize::from(u16::from_be_bytes([
        *ip.get(4).ok_or(bad)?,
        *ip.get(5).ok_or(bad)?,
    ]));
    let end = 40 + plen;
    if ip.len() < end {
        return Err(DecodeError::FragmentTruncated);
    }
    let packet = ip.get(..end).ok_or(DecodeError::FragmentTruncated)?;
    let mut next = *packet.get(6).ok_or(bad)?;
    let mut at = 40usize;
    for _ in 0..MAX_EXTENSIONS {
        match next {
            HOP_BY_HOP | ROUTING | DEST_OPTS | AUTH => {
                let nh = *packet.get(at).ok_or(bad)?;
                let l = usize::from(*packet.get(at + 1).ok_or(bad)?);
                at += if next == AUTH {
                    (l + 2) * 4
                } else {
                    (l + 1) * 8
                };
                next = nh;
            }
            FRAGMENT => {
                let hdr = packet.get(at..at + 8).ok_or(bad)?;
                let proto = *hdr.first().ok_or(bad)?;
                let off_flags =
                    u16::from_be_bytes([*hdr.get(2).ok_or(bad)?, *hdr.get(3).ok_or(bad)?]);
                let id = u32::from_be_bytes(hdr.get(4..8).ok_or(bad)?.try_into().map_err(|_| bad)?);
                if !matches!(proto, TCP | AUTH | DEST_OPTS) {
                    return Ok(Net::Other);
                }
                let data = packet.get(at + 8..).ok_or(bad)?;
                return Ok(Net::Fragment(Fragment {
                    key: FragKey {
                        src,
                        dst,
                        id,
                        proto,
                    },
                    offset: usize::from(off_flags >> 3) * 8,
                    more: off_flags & 1 == 1,
                    data,
                }));
            }
            _ => return Ok(Net::Other),
        }
    }
    Ok(Net::Other)
}

/// In a reassembled datagram whose first header is `proto`, skips AH and IPv6 destination
/// options up to TCP; `None` when it is not TCP or a header is cut.
pub(crate) fn skip_to_transport(mut proto: u8, mut data: &[u8]) -> Option<&[u8]> {
    for _ in 0..MAX_EXTENSIONS {
        match proto {
            TCP => return Some(data),
            AUTH | DEST_OPTS | HOP_BY_HOP | ROUTING => {
                let nh = *data.first()?;
                let l = usize::from(*data.get(1)?);
                let len = if proto == AUTH {
                    (l + 2) * 4
                } else {
                    (l + 1) * 8
                };
                data = data.get(len..)?;
                proto = nh;
            }
            _ => return None,
        }
    }
    None
}
