//! A bounded per-thread cache of decoded certificate chains.
//!
//! The same chain is sent on every connection to a server, and decoding it (X.509 parsing and
//! one RSA/ECDSA signature check per link) costs far more than the rest of a handshake. Chains
//! are keyed by their DER certificates in order (the bytes themselves, length-prefixed, so that
//! no crafted chain can pass for another: a SHA-256 of every chain was a sixth of a run); at most
//! [`MAX_CHAINS`] are kept, and the cache starts over when it is full (simple, and bounded
//! whatever the input).

use super::cert;
use crate::record::CertInfo;
use std::cell::RefCell;
use std::collections::HashMap;

/// Keys hashed with a per-process random seed (foldhash), compared byte for byte.
type Chains = HashMap<Vec<u8>, Vec<CertInfo>, foldhash::fast::RandomState>;

/// Chains kept per thread.
pub const MAX_CHAINS: usize = 1024;

thread_local! {
    static CHAINS: RefCell<Chains> = RefCell::new(Chains::default());
}

fn key(ders: &[&[u8]]) -> Vec<u8> {
    let mut k = Vec::with_capacity(ders.iter().map(|d| d.len() + 8).sum());
    for d in ders {
        k.extend_from_slice(&(d.len() as u64).to_be_bytes());
        k.extend_from_slice(d);
    }
    k
}

/// [`cert::chain_info`], cached: the facts of a chain depend only on its bytes.
pub fn chain_info(ders: &[&[u8]], frame: u64) -> Vec<CertInfo> {
    let k = key(ders);
    let cached = CHAINS.with(|c| c.borrow().get(&k).cloned());
    let mut chain = match cached {
        Some(c) => c,
        None => {
            let fresh = cert::chain_info(ders, frame);
            CHAINS.with(|c| {
                let mut c = c.borrow_mut();
                if c.len() >= MAX_CHAINS {
                    c.clear();
                }
                c.insert(k, fresh.clone());
            });
            fresh
        }
    };
    for c in &mut chain {
        c.frame = frame;
    }
    chain
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_chain_equals_fresh_one_with_this_frame() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/certs");
        let leaf = std::fs::read(dir.join("server-rsa.der")).unwrap();
        let int = std::fs::read(dir.join("intermediate.der")).unwrap();
        let ders: [&[u8]; 2] = [&leaf, &int];
        let first = chain_info(&ders, 6);
        let second = chain_info(&ders, 40);
        assert_eq!(first, cert::chain_info(&ders, 6));
        assert_eq!(second, cert::chain_info(&ders, 40));
        assert_eq!(second[0].issuer_index, Some(1));
    }
}
