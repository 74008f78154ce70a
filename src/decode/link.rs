//! Link layers: from a frame's first byte to the first byte of its IP header.
//!
//! Handles Ethernet II (any number of 802.1Q / 802.1ad / 0x9100 / 0x9200 tags, LLC/SNAP,
//! PPPoE session, MPLS, Cisco MetaData/SGT), Linux SLL and SLL2 (parsed here: etherparse has no SLL2 and its lax
//! slicer no SLL), raw IP (101, 12, 14, 228, 229), BSD NULL (address family in either byte
//! order) and LOOP, and PPP (9, 50).
//!
//! It must not look past the start of the IP header and must not allocate.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

use super::{DecodeError, LinkLayer};
use crate::capture::LinkType;

/// What is under the link header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum L3<'a> {
    /// Starts with an IP header (IPv4 or IPv6, decided by its version nibble).
    Ip(&'a [u8]),
    /// Something else (ARP, LLDP, STP, IPX…).
    NotIp,
    /// A link type this module does not know.
    Unsupported,
}

/// True for the link types the decoder strips (for an "unsupported link type" note).
pub fn supports(link: LinkType) -> bool {
    matches!(
        link,
        LinkType::NULL
            | LinkType::ETHERNET
            | LinkType::PPP
            | LinkType::DLT_RAW_12
            | LinkType::DLT_RAW_14
            | LinkType::PPP_HDLC
            | LinkType::RAW
            | LinkType::LOOP
            | LinkType::LINUX_SLL
            | LinkType::IPV4
            | LinkType::IPV6
            | LinkType::LINUX_SLL2
    )
}

const ETH_IPV4: u16 = 0x0800;
const ETH_IPV6: u16 = 0x86dd;
const ETH_VLAN: u16 = 0x8100;
const ETH_QINQ: u16 = 0x88a8;
const ETH_QINQ_OLD: u16 = 0x9100;
const ETH_QINQ_OLD2: u16 = 0x9200;
const ETH_PPPOE_SESSION: u16 = 0x8864;
const ETH_MPLS: u16 = 0x8847;
const ETH_MPLS_MULTICAST: u16 = 0x8848;
const ETH_CISCO_METADATA: u16 = 0x8909;
const ARPHRD_NETLINK: u16 = 824;

/// Tags and labels followed before giving up (each costs at least 4 bytes anyway).
const MAX_NESTING: usize = 16;

pub(crate) fn be16(b: &[u8], at: usize) -> Option<u16> {
    let a: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(u16::from_be_bytes(a))
}

/// Strips the link header of a frame of type `link`.
pub(crate) fn strip(link: LinkType, data: &[u8]) -> Result<L3<'_>, DecodeError> {
    match link {
        LinkType::ETHERNET => ethernet(data),
        LinkType::RAW
        | LinkType::DLT_RAW_12
        | LinkType::DLT_RAW_14
        | LinkType::IPV4
        | LinkType::IPV6 => Ok(L3::Ip(data)),
        LinkType::NULL | LinkType::LOOP => {
            let (hdr, rest) = data
                .split_at_checked(4)
                .ok_or(DecodeError::LinkTruncated(LinkLayer::NullLoop))?;
            let af: [u8; 4] = hdr
                .try_into()
                .map_err(|_| DecodeError::LinkTruncated(LinkLayer::NullLoop))?;
            // The family is in the writer's byte order (NULL) or big-endian (LOOP); accept
            // both orders for both. 2 = AF_INET; 24, 28, 30 = AF_INET6 on the BSDs and macOS.
            let is_ip = |v: u32| matches!(v, 2 | 24 | 28 | 30);
            if is_ip(u32::from_le_bytes(af)) || is_ip(u32::from_be_bytes(af)) {
                Ok(L3::Ip(rest))
            } else {
                Ok(L3::NotIp)
            }
        }
        LinkType::LINUX_SLL => {
            let (hdr, rest) = data
                .split_at_checked(16)
                .ok_or(DecodeError::LinkTruncated(LinkLayer::LinuxSll))?;
            let bad = DecodeError::LinkTruncated(LinkLayer::LinuxSll);
            if be16(hdr, 2).ok_or(bad)? == ARPHRD_NETLINK {
                return Ok(L3::NotIp);
            }
            ether(be16(hdr, 14).ok_or(bad)?, rest)
        }
        LinkType::LINUX_SLL2 => {
            // protocol(2) reserved(2) ifindex(4) arphrd(2) pkttype(1) addrlen(1) addr(8)
            let (hdr, rest) = data
                .split_at_checked(20)
                .ok_or(DecodeError::LinkTruncated(LinkLayer::LinuxSll2))?;
            let bad = DecodeError::LinkTruncated(LinkLayer::LinuxSll2);
            if be16(hdr, 8).ok_or(bad)? == ARPHRD_NETLINK {
                return Ok(L3::NotIp);
            }
            ether(be16(hdr, 0).ok_or(bad)?, rest)
        }
        LinkType::PPP | LinkType::PPP_HDLC => ppp(data),
        _ => Ok(L3::Unsupported),
    }
}

/// An Ethernet II frame (also inside VXLAN, GRE TEB and ERSPAN).
pub(crate) fn ethernet(data: &[u8]) -> Result<L3<'_>, DecodeError> {
    let (hdr, rest) = data
        .split_at_checked(14)
        .ok_or(DecodeError::LinkTruncated(LinkLayer::Ethernet))?;
    let et = be16(hdr, 12).ok_or(DecodeError::LinkTruncated(LinkLayer::Ethernet))?;
    ether(et, rest)
}

/// PPP: optional HDLC address/control (ff 03), then a 1- or 2-byte protocol (RFC 1661 §6.5).
pub(crate) fn ppp(data: &[u8]) -> Result<L3<'_>, DecodeError> {
    let bad = DecodeError::LinkTruncated(LinkLayer::Ppp);
    let data = data.strip_prefix(&[0xff, 0x03][..]).unwrap_or(data);
    let first = *data.first().ok_or(bad)?;
    let (proto, rest) = if first & 1 == 1 {
        (u16::from(first), data.get(1..).ok_or(bad)?)
    } else {
        let (p, r) = data.split_at_checked(2).ok_or(bad)?;
        (be16(p, 0).ok_or(bad)?, r)
    };
    Ok(match proto {
        0x0021 | 0x0057 => L3::Ip(rest),
        _ => L3::NotIp,
    })
}

/// Follows an EtherType through tags, LLC/SNAP, PPPoE, MPLS and Cisco MetaData to IP.
pub(crate) fn ether(mut et: u16, mut rest: &[u8]) -> Result<L3<'_>, DecodeError> {
    for _ in 0..MAX_NESTING {
        match et {
            ETH_IPV4 | ETH_IPV6 => return Ok(L3::Ip(rest)),
            ETH_VLAN | ETH_QINQ | ETH_QINQ_OLD | ETH_QINQ_OLD2 => {
                let (tag, r) = rest
                    .split_at_checked(4)
                    .ok_or(DecodeError::LinkTruncated(LinkLayer::Vlan))?;
                et = be16(tag, 2).ok_or(DecodeError::LinkTruncated(LinkLayer::Vlan))?;
                rest = r;
            }
            ETH_PPPOE_SESSION => {
                // ver/type(1) code(1) session(2) length(2), then the PPP protocol(2).
                let (hdr, r) = rest
                    .split_at_checked(8)
                    .ok_or(DecodeError::LinkTruncated(LinkLayer::Pppoe))?;
                let proto = be16(hdr, 6).ok_or(DecodeError::LinkTruncated(LinkLayer::Pppoe))?;
                return Ok(match proto {
                    0x0021 | 0x0057 => L3::Ip(r),
                    _ => L3::NotIp,
                });
            }
            ETH_MPLS | ETH_MPLS_MULTICAST => return mpls(rest),
            ETH_CISCO_METADATA => {
                // version(1) length(1) option(2) SGT(2), then the next EtherType (as Wireshark
                // and Arkime read it).
                let (hdr, r) = rest
                    .split_at_checked(8)
                    .ok_or(DecodeError::LinkTruncated(LinkLayer::CiscoMetadata))?;
                et = be16(hdr, 6).ok_or(DecodeError::LinkTruncated(LinkLayer::CiscoMetadata))?;
                rest = r;
            }
            len if len < 0x0600 => {
                // 802.3 length field: only LLC/SNAP with OUI 0 carries an EtherType.
                match rest.split_at_checked(8) {
                    Some((llc, r)) if llc.starts_with(&[0xaa, 0xaa, 0x03, 0, 0, 0]) => {
                        et = be16(llc, 6).ok_or(DecodeError::LinkTruncated(LinkLayer::Llc))?;
                        rest = r;
                    }
                    _ => return Ok(L3::NotIp),
                }
            }
            _ => return Ok(L3::NotIp),
        }
    }
    Ok(L3::NotIp)
}

/// MPLS label stack up to the bottom-of-stack bit; then IP if the version nibble says so.
fn mpls(mut rest: &[u8]) -> Result<L3<'_>, DecodeError> {
    for _ in 0..MAX_NESTING {
        let (label, r) = rest
            .split_at_checked(4)
            .ok_or(DecodeError::LinkTruncated(LinkLayer::Mpls))?;
        rest = r;
        let bottom = label.get(2).is_some_and(|b| b & 1 == 1);
        if bottom {
            return Ok(match rest.first().map(|b| b >> 4) {
                Some(4 | 6) => L3::Ip(rest),
                _ => L3::NotIp,
            });
        }
    }
    Ok(L3::NotIp)
}
