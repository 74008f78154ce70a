//! The flow key: the same for both directions of a TCP connection.

use std::net::SocketAddr;

/// A TCP connection's address pair, ordered so both directions give the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
