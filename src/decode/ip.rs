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

pub(crate) const TCP: u8 = 6;
const UDP: u8 = 17;
const GRE: u8 = 47;
const IPIP: u8 = 4;
const IPV6_IN_IP: u8 = 41;
const HOP_BY_HOP: u8 = 0;
const ROUTING: u8 = 43;
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
    /// A payload that may be a tunnel: UDP (from its header on), GRE, IP in IP.
    Inner { proto: u8, payload: &'a [u8] },
    /// Not TCP (or a fragment of a datagram that cannot be TCP).
    Other,
}

/// IP protocols that may carry a tunnel (see `tunnel.rs`).
pub(crate) fn is_tunnel(proto: u8) -> bool {
    matches!(proto, UDP | GRE | IPIP | IPV6_IN_IP)
}

/// IP protocols whose fragments are worth holding (the datagram may carry TCP).
fn worth_reassembling(proto: u8) -> bool {
    proto == TCP || proto == AUTH || is_tunnel(proto)
}

/// What an unfragmented IP payload of protocol `proto` is.
fn payload_net<'a>(
    proto: IpNumber,
    src: IpAddr,
    dst: IpAddr,
    payload: &'a [u8],
    wire_len: Option<usize>,
) -> Net<'a> {
    if proto == IpNumber::TCP {
        Net::Tcp {
            src,
            dst,
            tcp: payload,
            wire_len,
        }
    } else if is_tunnel(proto.0) {
        Net::Inner {
            proto: proto.0,
            payload,
        }
    } else {
        Net::Other
    }
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
                if !worth_reassembling(proto) {
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
            let auth_len = v4.extensions().auth.map_or(0, |a| a.slice().len());
            let wire_len =
                (total >= header_len).then(|| total.saturating_sub(header_len + auth_len));
            Ok(payload_net(p.ip_number, src, dst, p.payload, wire_len))
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
            let plen = usize::from(h.payload_length());
            let exts = v6.extensions().slice().len();
            let wire_len = (plen != 0).then(|| plen.saturating_sub(exts));
            Ok(payload_net(p.ip_number, src, dst, p.payload, wire_len))
        }
    }
}

/// An IPv6 fragment for the pool (see `compat::etherparse::ipv6_fragment` for why it is not
/// taken from etherparse's slice).
fn ipv6_fragment(ip: &[u8], src: IpAddr, dst: IpAddr) -> Result<Net<'_>, DecodeError> {
    use crate::compat::etherparse::{ipv6_fragment, Ipv6FragmentLookup as L};
    match ipv6_fragment(ip) {
        L::Found(f) if worth_reassembling(f.next_header) || f.next_header == DEST_OPTS => {
            Ok(Net::Fragment(Fragment {
                key: FragKey {
                    src,
                    dst,
                    id: f.id,
                    proto: f.next_header,
                },
                offset: f.offset,
                more: f.more,
                data: f.data,
            }))
        }
        L::Found(_) | L::NotFound => Ok(Net::Other),
        L::HeaderTruncated => Err(DecodeError::ExtensionTruncated),
        L::DataTruncated => Err(DecodeError::FragmentTruncated),
    }
}

/// In a reassembled datagram whose first header is `proto`, skips AH and IPv6 extension
/// headers; returns the next protocol and its bytes (`None` when a header is cut).
pub(crate) fn skip_extensions(mut proto: u8, mut data: &[u8]) -> Option<(u8, &[u8])> {
    for _ in 0..MAX_EXTENSIONS {
        match proto {
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
            _ => return Some((proto, data)),
        }
    }
    None
}
