//! The packet decoder alone (link layers, tunnels, IPv4/IPv6, fragments, TCP): the first four
//! bytes are the link type (little-endian), then frames, each a 2-byte big-endian length and
//! its bytes, decoded in turn by one decoder, so that fragments and tunnels meet.
//!
//! Every frame the decoder's fast path takes (also with a longer original length, as a snaplen
//! cut leaves it) must decode to the same segment on the general path alone.
//!
//! Shared by the cargo-fuzz target `fuzz/fuzz_targets/decode.rs` and the regression test that
//! runs every file of `testdata/fuzz-regressions/` (tests/it/hostile.rs).

use tlsnoop::capture::{Frame, LinkType};
use tlsnoop::decode::{Decoded, Decoder, DefragLimits};
use tlsnoop::record::Timestamp;

/// One fuzz input.
pub fn run(data: &[u8]) {
    let [a, b, c, d, tail @ ..] = data else {
        return;
    };
    let mut rest = tail;
    let link = LinkType(u32::from_le_bytes([*a, *b, *c, *d]));
    let mut decoder = Decoder::new(DefragLimits::default());
    // Sees only frames the fast path takes (never fragments, so its pool stays empty).
    let (mut fast, mut general) = (
        Decoder::new(DefragLimits::default()),
        Decoder::new(DefragLimits::default()),
    );
    let mut number = 0u64;
    while let [hi, lo, tail @ ..] = rest {
        let len = usize::from(u16::from_be_bytes([*hi, *lo])).min(tail.len());
        let (bytes, next) = tail.split_at(len);
        number += 1;
        let frame = Frame {
            number,
            ts: Timestamp::new(number as i64, 0),
            link,
            data: bytes,
            orig_len: bytes.len() as u32,
            chunk: None,
        };
        for orig_len in [frame.orig_len, frame.orig_len.saturating_add(1000)] {
            let f = Frame { orig_len, ..frame };
            if let Some(seg) = fast.decode_fast(&f) {
                assert_eq!(
                    general.decode_general(&f),
                    Decoded::Tcp(seg),
                    "the fast path and the general path differ"
                );
            }
        }
        if let Decoded::Tcp(seg) = decoder.decode(&frame) {
            assert!(
                seg.payload.len() as u64 <= u64::from(seg.wire_payload_len),
                "captured payload longer than the wire payload"
            );
        }
        rest = next;
    }
    decoder.finish();
}
