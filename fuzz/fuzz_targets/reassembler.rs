//! TCP reassembly: a sequence of segments with arbitrary sequence numbers, payloads and ACKs.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../harness/reassembler.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::run(data));
