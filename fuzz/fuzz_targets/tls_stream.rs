//! The TLS layer: arbitrary byte streams per direction, cut into chunks by the input itself.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../harness/tls_stream.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::run(data));
