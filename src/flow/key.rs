//! The flow key: the same for both directions of a TCP connection.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;

/// The hasher of the flow tables: foldhash, seeded at random per table. SipHash (std's default)
/// was a visible share of a run; foldhash is several times faster and still keyed, so crafted
/// addresses cannot aim at one bucket without knowing the seed.
pub type FlowHasher = foldhash::fast::RandomState;

/// A map keyed by connection.
pub type FlowMap<V> = HashMap<FlowKey, V, FlowHasher>;

/// A set of connections.
pub type FlowSet = HashSet<FlowKey, FlowHasher>;

/// A TCP connection's address pair, ordered so both directions give the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    lo: SocketAddr,
    hi: SocketAddr,
}

impl FlowKey {
    /// The key of a segment from `src` to `dst`.
    pub fn of(src: SocketAddr, dst: SocketAddr) -> Self {
        if src <= dst {
            FlowKey { lo: src, hi: dst }
        } else {
            FlowKey { lo: dst, hi: src }
        }
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
    }
}
