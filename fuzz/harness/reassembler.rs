//! TCP reassembly: a sequence of segments with arbitrary sequence numbers, payloads and ACKs.
//! Checks that the bytes delivered never exceed what was pushed and the held bytes stay bounded.
//!
//! Shared by the cargo-fuzz target `fuzz/fuzz_targets/reassembler.rs` and the regression test that
//! runs every file of `testdata/fuzz-regressions/` (tests/it/hostile.rs).

use tlsnoop::flow::reassembly::{Reassembler, StreamEvent};

/// One fuzz input.
pub fn run(data: &[u8]) {
    let mut r = Reassembler::new();
    let limit = 4096;
    let mut pushed = 0usize;
    let mut delivered = 0usize;
    let mut rest = data;
    let mut frame = 0;
    if let [a, b, c, d, tail @ ..] = rest {
        r.syn(u32::from_be_bytes([*a, *b, *c, *d]));
        rest = tail;
    }
    while let [op, a, b, c, d, n, tail @ ..] = rest {
        frame += 1;
        let seq = u32::from_be_bytes([*a, *b, *c, *d]);
        let len = usize::from(*n).min(tail.len());
        let (payload, r2) = tail.split_at(len);
        let mut out = |e: StreamEvent<'_>| {
            if let StreamEvent::Data { bytes, .. } = e {
                delivered += bytes.len();
            }
        };
        match op % 4 {
            0 | 1 => {
                pushed += payload.len();
                r.push(seq, payload, frame, limit, &mut out);
            }
            2 => r.peer_ack(seq, frame, &mut out),
            _ => r.flush(&mut out),
        }
        assert!(
            r.pending_bytes() <= limit,
            "held {} bytes",
            r.pending_bytes()
        );
        assert!(delivered <= pushed, "delivered {delivered} of {pushed}");
        rest = r2;
    }
}
