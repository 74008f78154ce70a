//! The TLS layer: arbitrary byte streams per direction, cut into chunks by the input itself.
//!
//! Shared by the cargo-fuzz target `fuzz/fuzz_targets/tls_stream.rs` and the regression test that
//! runs every file of `testdata/fuzz-regressions/` (tests/it/hostile.rs).

use tlsnoop::config::Limits;
use tlsnoop::record::{CloseKind, Endpoint, Negotiation, Sender, Timestamp};
use tlsnoop::tls::TlsFlow;

/// One fuzz input.
pub fn run(data: &[u8]) {
    let e = Endpoint {
        ip: std::net::Ipv4Addr::LOCALHOST.into(),
        port: 443,
    };
    let mut rec = Negotiation::new(0, 1, Timestamp::default(), e, e);
    let mut tls = TlsFlow::new(&Limits::default());
    // Each chunk: 1 control byte (direction, gap, length bits), then up to 255 bytes.
    let mut rest = data;
    let mut frame = 1;
    while let [ctl, tail @ ..] = rest {
        let from = if ctl & 1 == 0 {
            Sender::Client
        } else {
            Sender::Server
        };
        let len = usize::from(ctl >> 2).min(tail.len()) * 4;
        let (chunk, r) = tail.split_at(len.min(tail.len()));
        if ctl & 2 != 0 && chunk.len() < 3 {
            tls.gap(from, u64::from(*ctl), frame, &mut rec);
        } else {
            tls.data(from, chunk, frame, &mut rec);
        }
        rest = r;
        frame += 1;
    }
    tls.close(Sender::Client, CloseKind::Fin, frame, &mut rec);
    tls.finish(&mut rec);
    let _ = serde_json::to_vec(&rec).expect("serializes");
}
