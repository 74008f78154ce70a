//! Tunnels: from an outer IP payload to the inner packet's IP header.
//!
//! Handles IP in IP (4, 41), GRE (RFC 2784/2890 and PPTP's enhanced GRE; EtherTypes, TEB,
//! ERSPAN types I–III, PPP), and over UDP by destination or source port: VXLAN (4789), Geneve
//! (6081) and GTP-U (2152, G-PDU messages). The inner frame goes back through `link.rs` (Ethernet,
//! VLAN, PPP…), so the TCP segment reported is the innermost one.
//!
//! It must not parse IP or TCP headers and must not allocate. Unknown tunnels are "not TCP",
//! never an error.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

use super::link::{self, be16, L3};
use super::{DecodeError, LinkLayer};

const UDP: u8 = 17;
const GRE: u8 = 47;
const IPIP: u8 = 4;
const IPV6_IN_IP: u8 = 41;

const VXLAN_PORT: u16 = 4789;
const GENEVE_PORT: u16 = 6081;
const GTPU_PORT: u16 = 2152;

const GRE_TEB: u16 = 0x6558;
const GRE_ERSPAN_2: u16 = 0x88be;
const GRE_ERSPAN_3: u16 = 0x22eb;
const GRE_PPP: u16 = 0x880b;

/// GTP-U extension headers followed before giving up.
const MAX_GTP_EXTENSIONS: usize = 8;

/// Opens the payload of IP protocol `proto`: the inner packet, `NotIp` when it is not a tunnel
/// this module knows.
pub(crate) fn open(proto: u8, payload: &[u8]) -> Result<L3<'_>, DecodeError> {
    match proto {
        IPIP | IPV6_IN_IP => Ok(L3::Ip(payload)),
        GRE => gre(payload),
        UDP => udp(payload),
        _ => Ok(L3::NotIp),
    }
}

fn truncated(layer: LinkLayer) -> DecodeError {
    DecodeError::LinkTruncated(layer)
}

fn gre(p: &[u8]) -> Result<L3<'_>, DecodeError> {
    let bad = truncated(LinkLayer::Gre);
    let flags = be16(p, 0).ok_or(bad)?;
    let proto = be16(p, 2).ok_or(bad)?;
    let version = flags & 0x7;
    let (checksum, routing, key, seq) = (
        flags & 0x8000 != 0,
        flags & 0x4000 != 0,
        flags & 0x2000 != 0,
        flags & 0x1000 != 0,
    );
    let mut len = 4;
    match version {
        0 => {
            if routing {
                return Ok(L3::NotIp); // RFC 1701 source routing: obsolete, not followed
            }
            len += 4 * (usize::from(checksum) + usize::from(key) + usize::from(seq));
        }
        1 => {
            // PPTP (RFC 2637): key always present, then sequence and acknowledgment numbers.
            let ack = flags & 0x0080 != 0;
            len += 4 + 4 * (usize::from(seq) + usize::from(ack));
        }
        _ => return Ok(L3::NotIp),
    }
    let rest = p.get(len..).ok_or(bad)?;
    match proto {
        GRE_TEB => link::ethernet(rest),
        GRE_ERSPAN_2 if !seq => link::ethernet(rest), // type I: no ERSPAN header
        GRE_ERSPAN_2 => {
            let inner = rest.get(8..).ok_or(truncated(LinkLayer::Erspan))?;
            link::ethernet(inner)
        }
        GRE_ERSPAN_3 => {
            let hdr = rest.get(..12).ok_or(truncated(LinkLayer::Erspan))?;
            let optional = hdr.get(11).is_some_and(|b| b & 1 == 1);
            let skip = if optional { 20 } else { 12 };
            let inner = rest.get(skip..).ok_or(truncated(LinkLayer::Erspan))?;
            link::ethernet(inner)
        }
        GRE_PPP => link::ppp(rest),
        et => link::ether(et, rest),
    }
}

fn udp(p: &[u8]) -> Result<L3<'_>, DecodeError> {
    let bad = truncated(LinkLayer::Udp);
    let sport = be16(p, 0).ok_or(bad)?;
    let dport = be16(p, 2).ok_or(bad)?;
    let body = p.get(8..).ok_or(bad)?;
    let port = |n: u16| dport == n || sport == n;
    if port(VXLAN_PORT) {
        // flags(1, I bit 0x08) reserved(3) VNI(3) reserved(1), then Ethernet.
        let hdr = body.get(..8).ok_or(truncated(LinkLayer::Vxlan))?;
        if hdr.first().is_some_and(|f| f & 0x08 == 0) {
            return Ok(L3::NotIp);
        }
        let inner = body.get(8..).ok_or(truncated(LinkLayer::Vxlan))?;
        return link::ethernet(inner);
    }
    if port(GENEVE_PORT) {
        // ver/optlen(1) flags(1) protocol(2) VNI(3) reserved(1) options(optlen * 4).
        let bad = truncated(LinkLayer::Geneve);
        let first = *body.first().ok_or(bad)?;
        if first >> 6 != 0 {
            return Ok(L3::NotIp);
        }
        let opt_len = usize::from(first & 0x3f) * 4;
        let proto = be16(body, 2).ok_or(bad)?;
        let inner = body.get(8 + opt_len..).ok_or(bad)?;
        return link::ether(proto, inner);
    }
    if port(GTPU_PORT) {
        return gtpu(body);
    }
    Ok(L3::NotIp)
}

/// GTP-U (3GPP TS 29.281): flags(1) type(1) length(2) TEID(4), then sequence(2) N-PDU(1)
/// next-extension(1) when any of E/S/PN is set, then extension headers; G-PDU (type 0xff)
/// messages carry an IP packet.
fn gtpu(p: &[u8]) -> Result<L3<'_>, DecodeError> {
    let bad = truncated(LinkLayer::GtpU);
    let flags = *p.first().ok_or(bad)?;
    let msg_type = *p.get(1).ok_or(bad)?;
    if flags >> 5 != 1 || flags & 0x10 == 0 || msg_type != 0xff {
        return Ok(L3::NotIp); // not GTPv1-U, or a signalling message
    }
    let mut at = 8;
    if flags & 0x07 != 0 {
        let mut next = *p.get(11).ok_or(bad)?;
        at = 12;
        let mut n = 0;
        while next != 0 {
            n += 1;
            if n > MAX_GTP_EXTENSIONS {
                return Ok(L3::NotIp);
            }
            let units = usize::from(*p.get(at).ok_or(bad)?);
            if units == 0 {
                return Err(bad);
            }
            let len = units * 4;
            next = *p.get(at + len - 1).ok_or(bad)?;
            at += len;
        }
    }
    let inner = p.get(at..).ok_or(bad)?;
    Ok(match inner.first().map(|b| b >> 4) {
        Some(4 | 6) => L3::Ip(inner),
        _ => L3::NotIp,
    })
}
