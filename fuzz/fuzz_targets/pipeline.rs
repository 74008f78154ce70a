//! The whole pipeline: arbitrary bytes as a capture file, through the engine, analysis and JSON.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../harness/pipeline.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::run(data));
