//! A bounded per-thread cache of decoded certificate chains.
//!
//! The same chain is sent on every connection to a server, and decoding it (X.509 parsing and
//! one RSA/ECDSA signature check per link) costs far more than the rest of a handshake. Chains
//! are keyed by their DER certificates in order, compared byte for byte, so that no crafted
//! chain can pass for another (a SHA-256 of every chain was a sixth of a run). A look-up hashes
//! the certificates where they lie in the handshake and compares them with the chains kept under
//! that hash: building an owned key of every chain's bytes first had cost a copy and an
//! allocation of a few kilobytes a flow. At most [`MAX_CHAINS`] are kept, and the cache starts
//! over when it is full (simple, and bounded whatever the input).

use super::cert;
use crate::record::CertInfo;
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};

/// A kept chain: its certificates' DER, in order, and what was decoded from them.
struct Kept {
    ders: Vec<Box<[u8]>>,
    info: Vec<CertInfo>,
}

/// The chains kept on a thread, by a hash of their DER (with a per-process random seed,
/// foldhash): chains with the same hash share a bucket and are told apart by their bytes.
#[derive(Default)]
struct Chains {
    seed: foldhash::fast::RandomState,
    by_hash: HashMap<u64, Vec<Kept>, foldhash::fast::RandomState>,
    len: usize,
}

impl Chains {
    fn hash(&self, ders: &[&[u8]]) -> u64 {
        let mut h = self.seed.build_hasher();
        h.write_usize(ders.len());
        for d in ders {
            // `Hash` for a slice writes its length first, so no two chains hash alike by
            // their cut points alone.
            d.hash(&mut h);
        }
        h.finish()
    }
}

/// Chains kept per thread.
pub const MAX_CHAINS: usize = 1024;

thread_local! {
    static CHAINS: RefCell<Chains> = RefCell::new(Chains::default());
}

/// [`cert::chain_info`], cached: the facts of a chain depend only on its bytes.
pub fn chain_info(ders: &[&[u8]], frame: u64) -> Vec<CertInfo> {
    let same =
        |k: &&Kept| k.ders.len() == ders.len() && k.ders.iter().zip(ders).all(|(a, b)| **a == **b);
    let (hash, cached) = CHAINS.with(|c| {
        let c = c.borrow();
        let hash = c.hash(ders);
        let cached = c
            .by_hash
            .get(&hash)
            .and_then(|bucket| bucket.iter().find(same))
            .map(|k| k.info.clone());
        (hash, cached)
    });
    let mut chain = match cached {
        Some(c) => c,
        None => {
            let fresh = cert::chain_info(ders, frame);
            CHAINS.with(|c| {
                let mut c = c.borrow_mut();
                if c.len >= MAX_CHAINS {
                    c.by_hash.clear();
                    c.len = 0;
                }
                c.len += 1;
                c.by_hash.entry(hash).or_default().push(Kept {
                    ders: ders.iter().map(|d| Box::<[u8]>::from(*d)).collect(),
                    info: fresh.clone(),
                });
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

    #[test]
    fn chains_are_told_apart_by_their_bytes_and_cut_points() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/certs");
        let leaf = std::fs::read(dir.join("server-rsa.der")).unwrap();
        let int = std::fs::read(dir.join("intermediate.der")).unwrap();
        let both: Vec<u8> = [leaf.as_slice(), int.as_slice()].concat();
        // The same bytes cut differently, in another order, or one certificate alone.
        let chains: [Vec<&[u8]>; 5] = [
            vec![&leaf, &int],
            vec![&int, &leaf],
            vec![&leaf],
            vec![&both],
            vec![&both[..10], &both[10..]],
        ];
        for _ in 0..2 {
            for (i, ders) in chains.iter().enumerate() {
                assert_eq!(
                    chain_info(ders, 7 + i as u64),
                    cert::chain_info(ders, 7 + i as u64),
                    "chain {i}"
                );
            }
        }
        // Each chain was kept once, under its own bytes.
        CHAINS.with(|c| {
            let c = c.borrow();
            assert!(c.len >= chains.len());
            for ders in &chains {
                let hash = c.hash(ders);
                let found = c.by_hash.get(&hash).into_iter().flatten().filter(|k| {
                    k.ders.len() == ders.len() && k.ders.iter().zip(ders).all(|(a, b)| **a == **b)
                });
                assert_eq!(found.count(), 1);
            }
        });
    }
}
