//! The flow key: the same for both directions of a TCP connection.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::net::{IpAddr, SocketAddr};

/// The hasher of the flow tables: foldhash, seeded at random per table. SipHash (std's default)
/// was a visible share of a run; foldhash is several times faster and still keyed, so crafted
/// addresses cannot aim at one bucket without knowing the seed.
pub type FlowHasher = foldhash::fast::RandomState;

/// A map keyed by connection.
pub type FlowMap<V> = HashMap<FlowKey, V, FlowHasher>;

/// A TCP connection's address pair, ordered so both directions give the same key.
///
/// Held as integers rather than two `SocketAddr`s: every packet hashes and compares one, and
/// hashing the two enums field by field was a visible share of a run. An address is two `u64`
/// (high half first, so keys order as the 128-bit numbers would) rather than a `u128`, whose
/// 16-byte alignment had made a key 80 bytes, most of it padding; it is 40, and the flow table's
/// entries and the timer heap's (moved on every push and pop) shrink with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FlowKey {
    /// The lower end's address (IPv4 in the low 32 bits).
    lo_ip: [u64; 2],
    /// The lower end's port.
    lo_port: u16,
    /// The higher end's address.
    hi_ip: [u64; 2],
    /// The higher end's port.
    hi_port: u16,
    /// Bit 0: the lower end is IPv6; bit 1: the higher end is (so an IPv4 address and the IPv6
    /// address with the same number differ).
    v6: u8,
}

fn end(a: SocketAddr) -> ((u128, u16), bool) {
    match a.ip() {
        IpAddr::V4(ip) => ((u128::from(u32::from(ip)), a.port()), false),
        IpAddr::V6(ip) => ((u128::from(ip), a.port()), true),
    }
}

/// An address as (high half, low half).
fn halves(ip: u128) -> [u64; 2] {
    [(ip >> 64) as u64, ip as u64]
}

impl FlowKey {
    /// The key of a segment from `src` to `dst`.
    pub fn of(src: SocketAddr, dst: SocketAddr) -> Self {
        let (s, s6) = end(src);
        let (d, d6) = end(dst);
        let ((lo, lo6), (hi, hi6)) = if (s6, s) <= (d6, d) {
            ((s, s6), (d, d6))
        } else {
            ((d, d6), (s, s6))
        };
        FlowKey {
            lo_ip: halves(lo.0),
            lo_port: lo.1,
            hi_ip: halves(hi.0),
            hi_port: hi.1,
            v6: u8::from(lo6) | (u8::from(hi6) << 1),
        }
    }
}

impl Hash for FlowKey {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        let [a, b] = self.lo_ip;
        let [c, d] = self.hi_ip;
        state.write_u64(a);
        state.write_u64(b);
        state.write_u64(c);
        state.write_u64(d);
        state.write_u64(
            u64::from(self.lo_port) | (u64::from(self.hi_port) << 16) | (u64::from(self.v6) << 32),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symmetric() {
        let a: SocketAddr = "10.0.0.1:443".parse().unwrap();
        let b: SocketAddr = "10.0.0.2:50000".parse().unwrap();
        assert_eq!(FlowKey::of(a, b), FlowKey::of(b, a));
        let c: SocketAddr = "[::1]:443".parse().unwrap();
        assert_ne!(FlowKey::of(a, b), FlowKey::of(a, c));
        // an IPv4 address and the IPv6 address with the same number are different ends
        let v4: SocketAddr = "0.0.0.1:443".parse().unwrap();
        let v6: SocketAddr = "[::1]:443".parse().unwrap();
        assert_ne!(FlowKey::of(v4, b), FlowKey::of(v6, b));
        assert_eq!(FlowKey::of(c, v6), FlowKey::of(v6, c));
        // ports count
        let b2: SocketAddr = "10.0.0.2:50001".parse().unwrap();
        assert_ne!(FlowKey::of(a, b), FlowKey::of(a, b2));
        // the high half of an IPv6 address counts
        let c2: SocketAddr = "[1::1]:443".parse().unwrap();
        assert_ne!(FlowKey::of(c, b), FlowKey::of(c2, b));
        assert_eq!(std::mem::size_of::<FlowKey>(), 40);
    }
}
