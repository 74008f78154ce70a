//! The certificate layer: arbitrary DER, alone and as a chain of pieces.
//!
//! Shared by the cargo-fuzz target `fuzz/fuzz_targets/cert.rs` and the regression test that
//! runs every file of `testdata/fuzz-regressions/` (tests/it/hostile.rs).

/// One fuzz input.
pub fn run(data: &[u8]) {
    let _ = tlsnoop::tls::cert::certificate_info(data, 1);
    let pieces: Vec<&[u8]> = data.chunks(data.len() / 3 + 1).collect();
    let chain = tlsnoop::tls::cert::chain_info(&pieces, 1);
    assert_eq!(chain.len(), pieces.len());
}
