//! The packet decoder alone: a link type, then frames (see fuzz/harness/decode.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../harness/decode.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::run(data));
