//! A bounded per-thread cache of decoded certificate chains.
//!
//! The same chain is sent on every connection to a server, and decoding it (X.509 parsing and
//! one RSA/ECDSA signature check per link) costs far more than the rest of a handshake. Chains
//! are keyed by their DER certificates in order, compared byte for byte, so that no crafted
//! chain can pass for another (a SHA-256 of every chain was a sixth of a run). A look-up hashes
//! each certificate's length and both ends where they lie in the handshake, and compares the
//! chain in full with the few kept under that hash: building an owned key of every chain's bytes
//! first had cost a copy and an allocation of a few kilobytes a flow. At most [`MAX_CHAINS`] are kept, and the cache starts
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
            // Each certificate's length, first bytes (its serial number is near the start)
            // and last bytes (its signature): hashing the whole DER was most of a look-up,
            // and chains are compared in full anyway. The length comes first, so no two
            // chains hash alike by their cut points alone.
            h.write_usize(d.len());
            let (head, tail) = (
                d.get(..HASHED_BYTES),
                d.get(d.len().saturating_sub(HASHED_BYTES)..),
            );
            head.unwrap_or(d).hash(&mut h);
            tail.unwrap_or(d).hash(&mut h);
        }
        h.finish()
    }
}

/// Chains kept per thread.
pub const MAX_CHAINS: usize = 1024;
/// Chains kept under one hash: chains crafted to share one (the same ends, other middles) are
/// decoded afresh rather than compared one by one with hundreds of others.
const MAX_BUCKET: usize = 4;
/// Bytes hashed at each end of a certificate.
const HASHED_BYTES: usize = 32;

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
                let bucket = c.by_hash.entry(hash).or_default();
                if bucket.len() >= MAX_BUCKET {
                    return;
                }
                bucket.push(Kept {
                    ders: ders.iter().map(|d| Box::<[u8]>::from(*d)).collect(),
                    info: fresh.clone(),
                });
                c.len += 1;
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

    #[test]
    fn chains_alike_at_both_ends_are_told_apart_and_bounded() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/certs");
        let leaf = std::fs::read(dir.join("server-rsa.der")).unwrap();
        // Certificates that differ only in the middle hash alike: all are still decoded as
        // themselves, and at most MAX_BUCKET of them are kept.
        let variants: Vec<Vec<u8>> = (0..MAX_BUCKET as u8 + 3)
            .map(|i| {
                let mut d = leaf.clone();
                let mid = d.len() / 2;
                d[mid] ^= i;
                d
            })
            .collect();
        let hash = CHAINS.with(|c| c.borrow().hash(&[&variants[0]]));
        for _ in 0..2 {
            for (i, v) in variants.iter().enumerate() {
                let ders: [&[u8]; 1] = [v];
                assert_eq!(CHAINS.with(|c| c.borrow().hash(&ders)), hash);
                assert_eq!(
                    chain_info(&ders, i as u64),
                    cert::chain_info(&ders, i as u64),
                    "{i}"
                );
            }
        }
        CHAINS.with(|c| {
            assert_eq!(
                c.borrow().by_hash.get(&hash).map(Vec::len),
                Some(MAX_BUCKET)
            )
        });
    }
}
