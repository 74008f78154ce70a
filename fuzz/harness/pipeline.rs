//! The whole pipeline: arbitrary bytes as a capture file, through the engine, analysis and JSON (the
//! hand-written record writer checked against serde_json); and the same bytes read as a file,
//! which is mapped into memory, checked to give the frames and notes of the stream.
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
    mapped_reads_as_streamed(data);
}

/// A frame as read, owned.
type Got = (
    u64,
    tlsnoop::record::Timestamp,
    tlsnoop::capture::LinkType,
    Vec<u8>,
    u32,
);

/// The input read as a mapped file, as a file inflated apart and as a stream gives the same.
fn mapped_reads_as_streamed(data: &[u8]) {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("tlsnoop-fuzz-{}-{n}", std::process::id()));
    std::fs::write(&path, data).expect("temporary file");
    let got = |frames: &mut Vec<Got>, f: &tlsnoop::capture::Frame<'_>| {
        frames.push((f.number, f.ts, f.link, f.data.to_vec(), f.orig_len));
    };
    let (mut mapped, mut streamed) = (Vec::new(), Vec::new());
    let (mut mapped_info, mut streamed_info) = (InputInfo::default(), InputInfo::default());
    let m = tlsnoop::capture::read_capture(&path.to_string_lossy(), &mut mapped_info, &mut |f| {
        got(&mut mapped, f)
    });
    // As a run with several threads reads it: a gzip-compressed file inflated apart.
    let (mut apart, mut apart_info) = (Vec::new(), InputInfo::default());
    let how = tlsnoop::capture::ReadOptions {
        inflate_apart: true,
        ..tlsnoop::capture::ReadOptions::MAPPED
    };
    let a = tlsnoop::capture::read_capture_until(
        &path.to_string_lossy(),
        how,
        &mut apart_info,
        &mut |f| {
            got(&mut apart, f);
            std::ops::ControlFlow::Continue(())
        },
    );
    std::fs::remove_file(&path).expect("temporary file removed");
    assert_eq!(format!("{m:?}"), format!("{a:?}"), "inflated apart: result");
    assert_eq!(format!("{mapped_info:?}"), format!("{apart_info:?}"));
    assert!(mapped == apart, "frames inflated apart differ");
    let reader: Box<dyn std::io::Read> = Box::new(std::io::Cursor::new(data.to_vec()));
    let s = tlsnoop::capture::read_capture_from(reader, &mut streamed_info, &mut |f| {
        got(&mut streamed, f)
    });
    assert_eq!(
        format!("{m:?}"),
        format!("{s:?}"),
        "mapped and streamed results"
    );
    assert_eq!(format!("{mapped_info:?}"), format!("{streamed_info:?}"));
    assert!(mapped == streamed, "mapped and streamed frames differ");
}
