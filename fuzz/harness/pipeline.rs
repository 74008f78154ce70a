//! The whole pipeline: arbitrary bytes as a capture file, through the engine, analysis and JSON (the
//! hand-written record writer checked against serde_json).
//!
//! Shared by the cargo-fuzz target `fuzz/fuzz_targets/pipeline.rs` and the regression test that
//! runs every file of `testdata/fuzz-regressions/` (tests/it/hostile.rs).

use tlsnoop::analysis::{analyze, Context};
use tlsnoop::engine::{Engine, EngineOptions};
use tlsnoop::record::InputInfo;

/// One fuzz input.
pub fn run(data: &[u8]) {
    let mut engine = Engine::new(EngineOptions::default());
    let ctx = Context::default();
    let mut out = Vec::new();
    let mut emit = |mut n: tlsnoop::record::Negotiation| {
        analyze(&mut n, &ctx);
        // The hand-written record writer must write what serde_json writes.
        out.clear();
        tlsnoop::report::json_record::write_record(&n, &mut out);
        let serde = serde_json::to_vec(&n).expect("records serialize");
        assert_eq!(
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&serde),
            "json_record::write_record differs from serde_json"
        );
    };
    let mut info = InputInfo::default();
    engine.begin_input(0);
    let reader: Box<dyn std::io::Read> = Box::new(std::io::Cursor::new(data.to_vec()));
    let _ =
        tlsnoop::capture::read_capture_from(reader, &mut info, &mut |f| engine.frame(f, &mut emit));
    engine.end_input(&mut emit);
}
