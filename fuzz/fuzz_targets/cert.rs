//! The certificate layer: arbitrary DER, alone and as a chain of pieces.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = tlsnoop::tls::cert::certificate_info(data, 1);
    let pieces: Vec<&[u8]> = data.chunks(data.len() / 3 + 1).collect();
    let chain = tlsnoop::tls::cert::chain_info(&pieces, 1);
    assert_eq!(chain.len(), pieces.len());
});
