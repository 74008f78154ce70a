//! Work-arounds for etherparse 0.21.0 (see `crates.md` §3). Upgrading etherparse means reading
//! this file: each function names the behaviour it avoids and has a canary test that fails once
//! upstream changes it.
//!
//! Only IPv6 fragment lookup lives here. It must not keep state or allocate.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

/// The IPv6 Fragment header of a packet and the fragment data after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Fragment<'a> {
    /// Next header of the fragmentable part (the same in every fragment).
    pub next_header: u8,
    /// Byte offset of `data` in the reassembled fragmentable part.
    pub offset: usize,
    /// M flag: more fragments follow.
    pub more: bool,
    /// Identification.
    pub id: u32,
    /// The fragment data, up to the end given by the IPv6 payload length.
    pub data: &'a [u8],
}

/// What [`ipv6_fragment`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ipv6FragmentLookup<'a> {
    /// A Fragment header, and all the data its packet claims.
    Found(Ipv6Fragment<'a>),
    /// No Fragment header before the first non-extension header (or an unknown one).
    NotFound,
    /// The packet ends inside an extension header.
    HeaderTruncated,
    /// The packet is shorter than its payload length says (cut by the snaplen).
    DataTruncated,
}

const HOP_BY_HOP: u8 = 0;
const ROUTING: u8 = 43;
const FRAGMENT: u8 = 44;
const AUTH: u8 = 51;
const DEST_OPTS: u8 = 60;

/// Walks the extension headers of the IPv6 packet `ip` (starting at its fixed header) to the
/// Fragment header, and stops there.
///
/// Work-around for etherparse 0.21.0 `Ipv6ExtensionsSlice::from_slice_lax`
/// (`src/net/ipv6_exts_slice.rs`), which keeps parsing extension headers *after* a Fragment
/// header that fragments the payload: in a non-first fragment whose next header is Destination
/// Options it reads fragment data as a header, so `LaxIpSlice`'s payload and `ip_number` are
/// wrong there. No upstream issue found. Canary:
/// `canary_lax_slicer_parses_headers_inside_fragment_data`.
pub fn ipv6_fragment(ip: &[u8]) -> Ipv6FragmentLookup<'_> {
    use Ipv6FragmentLookup as L;
    let (Some(&hi), Some(&lo), Some(&first_next)) = (ip.get(4), ip.get(5), ip.get(6)) else {
        return L::HeaderTruncated;
    };
    let end = 40 + usize::from(u16::from_be_bytes([hi, lo]));
    let truncated = ip.len() < end;
    let packet = ip.get(..end).unwrap_or(ip);
    let mut next = first_next;
    let mut at = 40usize;
    for _ in 0..16 {
        match next {
            HOP_BY_HOP | ROUTING | DEST_OPTS | AUTH => {
                let (Some(&nh), Some(&l)) = (packet.get(at), packet.get(at + 1)) else {
                    return L::HeaderTruncated;
                };
                let l = usize::from(l);
                at += if next == AUTH {
                    (l + 2) * 4
                } else {
                    (l + 1) * 8
                };
                next = nh;
            }
            FRAGMENT => {
                let Some(h) = packet.get(at..at + 8) else {
                    return L::HeaderTruncated;
                };
                let (Some(&nh), Some(&o1), Some(&o2)) = (h.first(), h.get(2), h.get(3)) else {
                    return L::HeaderTruncated;
                };
                let Some(id) = h.get(4..8).and_then(|b| <[u8; 4]>::try_from(b).ok()) else {
                    return L::HeaderTruncated;
                };
                if truncated {
                    return L::DataTruncated;
                }
                let off_flags = u16::from_be_bytes([o1, o2]);
                return L::Found(Ipv6Fragment {
                    next_header: nh,
                    offset: usize::from(off_flags >> 3) * 8,
                    more: off_flags & 1 == 1,
                    id: u32::from_be_bytes(id),
                    data: packet.get(at + 8..).unwrap_or(&[]),
                });
            }
            _ => return L::NotFound,
        }
    }
    L::NotFound
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IPv6 packet: fixed header, then `payload` (which starts with extension headers).
    fn ipv6(next: u8, payload: &[u8]) -> Vec<u8> {
        let mut b = vec![0x60, 0, 0, 0];
        b.extend((payload.len() as u16).to_be_bytes());
        b.push(next);
        b.push(64);
        b.extend([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        b.extend([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        b.extend(payload);
        b
    }

    /// A non-first fragment (offset 1208, last) whose fragmentable part starts with Destination
    /// Options; its data happens to look like an extension header followed by TCP.
    fn non_first_fragment() -> Vec<u8> {
        let mut p = vec![DEST_OPTS, 0];
        p.extend(((1208u16 / 8) << 3).to_be_bytes());
        p.extend(0x1234_5678u32.to_be_bytes());
        p.extend([6, 0, 1, 4, 0, 0, 0, 0]); // fragment data, not a header
        p.extend([0xab; 24]);
        ipv6(FRAGMENT, &p)
    }

    #[test]
    fn finds_the_fragment_header_and_stops() {
        let pkt = non_first_fragment();
        let Ipv6FragmentLookup::Found(f) = ipv6_fragment(&pkt) else {
            panic!("not found")
        };
        assert_eq!(
            (f.next_header, f.offset, f.more, f.id),
            (DEST_OPTS, 1208, false, 0x1234_5678)
        );
        assert_eq!(f.data.len(), 32);
        assert_eq!(f.data[0], 6);
        assert_eq!(ipv6_fragment(&pkt[..60]), Ipv6FragmentLookup::DataTruncated);
        assert_eq!(
            ipv6_fragment(&pkt[..44]),
            Ipv6FragmentLookup::HeaderTruncated
        );
        assert_eq!(
            ipv6_fragment(&ipv6(6, &[0; 20])),
            Ipv6FragmentLookup::NotFound
        );
        // Behind a hop-by-hop header.
        let mut hbh = vec![FRAGMENT, 0, 1, 4, 0, 0, 0, 0];
        hbh.extend(&pkt[40..]);
        let behind = ipv6(HOP_BY_HOP, &hbh);
        let Ipv6FragmentLookup::Found(f) = ipv6_fragment(&behind) else {
            panic!("not found")
        };
        assert_eq!(f.data.len(), 32);
    }

    #[test]
    fn canary_lax_slicer_parses_headers_inside_fragment_data() {
        // When this fails, etherparse stopped at the Fragment header: ip.rs may use its
        // payload for IPv6 fragments and this work-around can go.
        let pkt = non_first_fragment();
        let Ok((etherparse::LaxIpSlice::Ipv6(v6), _)) = etherparse::LaxIpSlice::from_slice(&pkt)
        else {
            panic!("did not slice")
        };
        assert!(v6.is_payload_fragmented());
        assert_eq!(v6.payload().ip_number, etherparse::IpNumber::TCP);
        assert_eq!(v6.payload().payload.len(), 24);
    }
}
