//! The certificate layer: arbitrary DER, alone and as a chain of pieces.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../harness/cert.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::run(data));
