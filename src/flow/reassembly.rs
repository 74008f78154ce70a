//! TCP stream reassembly for one direction of a connection: sequence numbers in, ordered bytes out.
//!
//! In-order payload is handed on at once as a borrowed slice (no copy). Only segments that arrive
//! ahead of a hole are copied, into a bounded map keyed by stream offset. Retransmissions and
//! overlaps are trimmed (the first copy wins, whether it was delivered or is still held: held
//! segments never overlap); while `keep_recent` is on, the last delivered bytes and the frames
//! that carried them are kept so that a retransmission carrying *different* bytes is reported
//! with the frame whose copy was kept. A hole becomes a
//! [`StreamEvent::Gap`] when the peer acknowledges past it, when the out-of-order budget is spent,
//! or when the stream is flushed at its end. Sequence numbers are compared with wrapping
//! arithmetic, so a stream may cross 2^32.
//!
//! This module knows nothing of TLS and never prints.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

use std::collections::{BTreeMap, VecDeque};

/// What the reassembler tells the layer above.
#[derive(Debug, PartialEq, Eq)]
pub enum StreamEvent<'a> {
    /// The next bytes of the stream, in order.
    Data {
        /// The bytes.
        bytes: &'a [u8],
        /// Frame that carried them.
        frame: u64,
    },
    /// Bytes that were never captured: the stream skips `len` bytes.
    Gap {
        /// Number of bytes missing.
        len: u64,
        /// The frame whose data follows the hole (or the frame that revealed it).
        before_frame: u64,
        /// Stream offset of the first missing byte.
        offset: u64,
        /// The hole was given up on because the bytes held after it went over the limit
        /// (`max_pending` of [`Reassembler::push`]), not because of an ACK or the stream's end.
        over_limit: bool,
    },
    /// A retransmission whose bytes differ from the copy already delivered; the first copy was kept.
    Conflict {
        /// Frame of the differing retransmission.
        frame: u64,
        /// Frame whose copy was kept, when known.
        kept_frame: Option<u64>,
        /// Number of overlapping bytes that differ.
        len: usize,
    },
}

#[derive(Debug)]
struct Pending {
    data: Vec<u8>,
    frame: u64,
}

/// Bytes a held segment costs beyond its payload (map entry, allocation), counted in
/// [`Reassembler::pending_bytes`] so that many tiny segments cannot hold far more memory than
/// the limit says (measured: about 110 bytes per held 1-byte segment).
pub const HELD_SEGMENT_COST: usize = 128;

/// How much delivered data is kept to compare retransmissions with.
const RECENT_WINDOW: usize = 16 * 1024;
/// Frames remembered for the bytes kept to compare retransmissions with (the oldest are
/// forgotten first: a conflict there is still reported, without the frame of the kept copy).
const MAX_RECENT_FRAMES: usize = 64;
/// A peer acknowledgement further ahead than this is taken as bogus, not as a capture hole.
const MAX_ACK_JUMP: u64 = 16 * 1024 * 1024;

/// Reassembles one direction of a TCP connection.
#[derive(Debug, Default)]
pub struct Reassembler {
    /// Sequence number of stream offset 0; `None` until the SYN or the first data is seen.
    base: Option<u32>,
    /// Offset of the next byte to deliver.
    delivered: u64,
    pending: BTreeMap<u64, Pending>,
    pending_bytes: usize,
    /// Offset of the FIN, once seen (it takes one sequence number).
    fin_offset: Option<u64>,
    keep_recent: bool,
    /// The last delivered bytes, while `keep_recent` (boxed: most connections in a big table
    /// never deliver any, and each costs a pointer).
    recent: Option<Box<Recent>>,
}

/// Delivered bytes kept to compare retransmissions with.
#[derive(Debug, Default)]
struct Recent {
    bytes: Vec<u8>,
    /// Stream offset of `bytes[0]`.
    start: u64,
    /// Frames that carried `bytes`: (stream offset of the first byte, frame), in offset order,
    /// at most [`MAX_RECENT_FRAMES`]; bytes before the first entry have no frame.
    frames: VecDeque<(u64, u64)>,
}

impl Recent {
    /// The frame that carried the delivered byte at stream offset `off`, when still known.
    fn frame_at(&self, off: u64) -> Option<u64> {
        let i = self.frames.partition_point(|&(o, _)| o <= off);
        let (_, f) = self.frames.get(i.checked_sub(1)?)?;
        Some(*f)
    }
}

impl Reassembler {
    /// A reassembler that keeps recent bytes to detect conflicting retransmissions.
    pub fn new() -> Self {
        Reassembler {
            keep_recent: true,
            ..Default::default()
        }
    }

    /// Stops keeping delivered bytes (once the handshake is over) and frees them.
    pub fn stop_keeping_recent(&mut self) {
        self.keep_recent = false;
        self.recent = None;
    }

    /// Bytes currently held for out-of-order segments, with [`HELD_SEGMENT_COST`] per segment.
    pub fn pending_bytes(&self) -> usize {
        self.pending_bytes
    }

    /// Bytes of memory held for comparing retransmissions (the kept bytes' allocation and
    /// their frames), while they are kept.
    pub fn recent_bytes(&self) -> usize {
        self.recent.as_deref().map_or(0, |r| {
            std::mem::size_of::<Recent>()
                + r.bytes.capacity()
                + r.frames.capacity() * std::mem::size_of::<(u64, u64)>()
        })
    }

    /// Offset of the next byte expected (bytes of stream delivered or skipped so far).
    pub fn offset(&self) -> u64 {
        self.delivered
    }

    /// True once the stream's start is known (SYN or first data seen).
    pub fn is_started(&self) -> bool {
        self.base.is_some()
    }

    /// True when a segment starting at `seq` would be delivered at once and nothing else would
    /// happen: the stream is in order, nothing is held, no FIN is known and recent bytes are
    /// not kept. Then [`Reassembler::advance`] may stand in for [`Reassembler::push`].
    pub fn is_next(&self, seq: u32) -> bool {
        self.pending.is_empty()
            && self.fin_offset.is_none()
            && !self.keep_recent
            && self.offset_of(seq) == Some(self.delivered as i64)
    }

    /// Moves past `len` in-order bytes without delivering them (see [`Reassembler::is_next`]).
    pub fn advance(&mut self, len: usize) {
        self.delivered += len as u64;
    }

    /// True when an acknowledgment of `ack` by the peer reveals nothing (it is not past what
    /// was delivered): [`Reassembler::peer_ack`] would do nothing.
    pub fn ack_is_old(&self, ack: u32) -> bool {
        self.offset_of(ack)
            .is_none_or(|off| off <= self.delivered as i64)
    }

    /// Records the SYN: data starts at `seq + 1`. A SYN after data started is ignored.
    pub fn syn(&mut self, seq: u32) {
        if self.base.is_none() {
            self.base = Some(seq.wrapping_add(1));
        }
    }

    /// Records the FIN at `seq` (after `len` payload bytes of the same segment).
    pub fn fin(&mut self, seq: u32, len: usize) {
        if let Some(off) = self.offset_of(seq) {
            if off >= 0 {
                self.fin_offset = Some(off as u64 + len as u64);
            }
        }
    }

    /// Stream offset of `seq`, relative to what has been delivered (may be negative: old data).
    fn offset_of(&self, seq: u32) -> Option<i64> {
        let base = self.base?;
        let next_seq = base.wrapping_add(self.delivered as u32);
        let delta = seq.wrapping_sub(next_seq) as i32;
        Some(self.delivered as i64 + i64::from(delta))
    }

    /// Adds one segment's payload and emits what becomes deliverable.
    pub fn push(
        &mut self,
        seq: u32,
        payload: &[u8],
        frame: u64,
        max_pending: usize,
        out: &mut dyn FnMut(StreamEvent<'_>),
    ) {
        if payload.is_empty() {
            return;
        }
        if self.base.is_none() {
            // No SYN seen: pick the stream up at this segment.
            self.base = Some(seq);
        }
        let Some(off) = self.offset_of(seq) else {
            return;
        };
        let end = off + payload.len() as i64;
        if end <= self.delivered as i64 {
            self.compare_old(off, payload, frame, out);
            return;
        }
        let skip = (self.delivered as i64 - off).max(0) as usize;
        if skip > 0 {
            if let Some(old) = payload.get(..skip) {
                self.compare_old(off, old, frame, out);
            }
        }
        let Some(fresh) = payload.get(skip..) else {
            return;
        };
        let start = (off + skip as i64) as u64;
        if start == self.delivered {
            self.deliver(fresh, frame, frame, out);
            self.drain(Some(frame), out);
        } else {
            self.hold(start, fresh, frame, out);
            // Over the limit: give up on holes, oldest first, until what is held fits.
            while self.pending_bytes > max_pending && !self.pending.is_empty() {
                self.skip_hole(frame, true, out);
            }
        }
    }

    /// The peer acknowledged `ack`: bytes before it were sent, so a hole before it was lost by
    /// the capture, not by the network.
    pub fn peer_ack(&mut self, ack: u32, frame: u64, out: &mut dyn FnMut(StreamEvent<'_>)) {
        let Some(off) = self.offset_of(ack) else {
            return;
        };
        if off <= self.delivered as i64 {
            return;
        }
        let mut ack_off = off as u64;
        if let Some(fin) = self.fin_offset {
            if ack_off > fin {
                ack_off = fin; // the FIN's own sequence number is not data
            }
        }
        if ack_off <= self.delivered || ack_off - self.delivered > MAX_ACK_JUMP {
            return;
        }
        match self.pending.keys().next() {
            Some(&k) if k <= ack_off => self.skip_hole(frame, false, out),
            Some(_) | None => {
                let len = ack_off - self.delivered;
                out(StreamEvent::Gap {
                    len,
                    before_frame: frame,
                    offset: self.delivered,
                    over_limit: false,
                });
                self.delivered = ack_off;
                self.reset_recent();
                self.drain(Some(frame), out);
            }
        }
    }

    /// End of stream (FIN, RST or end of capture): whatever is held past a hole is delivered
    /// after a gap event.
    pub fn flush(&mut self, out: &mut dyn FnMut(StreamEvent<'_>)) {
        while !self.pending.is_empty() {
            let frame = self.pending.values().next().map_or(0, |p| p.frame);
            self.skip_hole(frame, false, out);
        }
    }

    /// Holds a segment that arrived ahead of a hole. First copy wins here too: only the bytes no
    /// held segment covers yet are stored, and covered bytes that differ are reported.
    fn hold(&mut self, start: u64, data: &[u8], frame: u64, out: &mut dyn FnMut(StreamEvent<'_>)) {
        let end = start + data.len() as u64;
        // Held segments that overlap [start, end), in offset order: the one starting before
        // `start` (if it reaches into it), then those starting inside.
        let before = self
            .pending
            .range(..start)
            .next_back()
            .filter(|(k, p)| **k + p.data.len() as u64 > start);
        let inside = self.pending.range(start..end);
        let mut pos = start;
        let mut fresh: Vec<(u64, u64)> = Vec::new();
        let mut differ = 0usize;
        let mut kept_frame = None;
        for (&k, p) in before.into_iter().chain(inside) {
            let p_end = k + p.data.len() as u64;
            if p_end <= pos {
                continue;
            }
            if k > pos {
                fresh.push((pos, k));
                pos = k;
            }
            let o_end = p_end.min(end);
            let new = data.get((pos - start) as usize..(o_end - start) as usize);
            let old = p.data.get((pos - k) as usize..(o_end - k) as usize);
            if let (Some(new), Some(old)) = (new, old) {
                let n = new.iter().zip(old).filter(|(a, b)| a != b).count();
                if n > 0 {
                    differ += n;
                    kept_frame.get_or_insert(p.frame);
                }
            }
            pos = o_end;
            if pos >= end {
                break;
            }
        }
        if pos < end {
            fresh.push((pos, end));
        }
        for (a, b) in fresh {
            if let Some(bytes) = data.get((a - start) as usize..(b - start) as usize) {
                self.pending_bytes += bytes.len() + HELD_SEGMENT_COST;
                self.pending.insert(
                    a,
                    Pending {
                        data: bytes.to_vec(),
                        frame,
                    },
                );
            }
        }
        if differ > 0 && self.keep_recent {
            out(StreamEvent::Conflict {
                frame,
                kept_frame,
                len: differ,
            });
        }
    }

    /// Skips the hole before the first held segment, then delivers what follows it.
    fn skip_hole(&mut self, frame: u64, over_limit: bool, out: &mut dyn FnMut(StreamEvent<'_>)) {
        if let Some((&k, p)) = self.pending.iter().next() {
            if k > self.delivered {
                out(StreamEvent::Gap {
                    len: k - self.delivered,
                    before_frame: p.frame,
                    offset: self.delivered,
                    over_limit,
                });
                self.delivered = k;
                self.reset_recent();
            }
        }
        self.drain(Some(frame), out);
    }

    /// Delivers held segments that have become contiguous. They are reported as carried by
    /// `trigger` (the frame whose arrival made them deliverable, as Wireshark reports a
    /// reassembled message), or by their own frame when `trigger` is `None` (flush).
    fn drain(&mut self, trigger: Option<u64>, out: &mut dyn FnMut(StreamEvent<'_>)) {
        while let Some(entry) = self.pending.first_entry() {
            let k = *entry.key();
            if k > self.delivered {
                break;
            }
            let p = entry.remove();
            self.pending_bytes -= p.data.len() + HELD_SEGMENT_COST;
            let skip = (self.delivered - k) as usize;
            if skip >= p.data.len() {
                self.compare_old(k as i64, &p.data, p.frame, out);
                continue;
            }
            if let (Some(old), Some(fresh)) = (p.data.get(..skip), p.data.get(skip..)) {
                self.compare_old(k as i64, old, p.frame, out);
                let shown = trigger.unwrap_or(p.frame).max(p.frame);
                self.deliver(fresh, shown, p.frame, out);
            }
        }
    }

    /// Hands `bytes` on as carried by `frame`; `carried_by` is the frame they came in (kept
    /// for conflict notes).
    fn deliver(
        &mut self,
        bytes: &[u8],
        frame: u64,
        carried_by: u64,
        out: &mut dyn FnMut(StreamEvent<'_>),
    ) {
        if self.keep_recent {
            let delivered = self.delivered;
            // Room for 256 bytes past the first delivery: a flight's next bytes (the client's
            // key exchange after its ClientHello, the server's Finished after its certificates)
            // then usually fit without a reallocation and its copy. On the first 300 MB of the
            // benchmark capture (cachegrind, `-j 1`): instructions 1,397.2 M -> 1,384.1 M, L1
            // data misses 26.42 M -> 25.58 M, last-level 12.60 M -> 12.26 M. It is counted
            // (`recent_bytes`): a capture of ClientHellos never answered holds 256 bytes more
            // for each (gen_hostile.py hellos 200000: peak RSS 179 -> 187 MiB).
            let r = self.recent.get_or_insert_with(|| {
                Box::new(Recent {
                    bytes: Vec::with_capacity(bytes.len() + 256),
                    start: 0,
                    frames: VecDeque::new(),
                })
            });
            if r.bytes.is_empty() {
                r.start = delivered;
                r.frames.clear();
            }
            if r.frames.back().map(|&(_, f)| f) != Some(carried_by) {
                r.frames.push_back((delivered, carried_by));
                if r.frames.len() > MAX_RECENT_FRAMES {
                    r.frames.pop_front();
                }
            }
            r.bytes.extend_from_slice(bytes);
            if r.bytes.len() > 2 * RECENT_WINDOW {
                let cut = r.bytes.len() - RECENT_WINDOW;
                r.bytes.drain(..cut);
                r.start += cut as u64;
                while r.frames.get(1).is_some_and(|&(o, _)| o <= r.start) {
                    r.frames.pop_front();
                }
            }
        }
        self.delivered += bytes.len() as u64;
        out(StreamEvent::Data { bytes, frame });
    }

    fn reset_recent(&mut self) {
        if let Some(r) = self.recent.as_mut() {
            r.bytes.clear();
            r.frames.clear();
            r.start = self.delivered;
        }
    }

    /// Compares already-delivered bytes at `off` with a retransmitted copy.
    fn compare_old(&self, off: i64, data: &[u8], frame: u64, out: &mut dyn FnMut(StreamEvent<'_>)) {
        let Some(recent) = self.recent.as_deref().filter(|_| self.keep_recent) else {
            return;
        };
        if off < 0 {
            return;
        }
        let off = off as u64;
        if off < recent.start {
            return;
        }
        let rel = (off - recent.start) as usize;
        let Some(kept) = recent.bytes.get(rel..) else {
            return;
        };
        let mut differ = 0;
        let mut first = None;
        for (i, (a, b)) in kept.iter().zip(data).enumerate() {
            if a != b {
                differ += 1;
                first.get_or_insert(i);
            }
        }
        if let Some(i) = first {
            out(StreamEvent::Conflict {
                frame,
                kept_frame: recent.frame_at(off + i as u64),
                len: differ,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Eq)]
    enum Ev {
        Data(Vec<u8>, u64),
        Gap(u64, u64),
        Conflict(u64, usize),
    }

    fn run(r: &mut Reassembler, segs: &[(u32, &[u8], u64)]) -> Vec<Ev> {
        let mut evs = Vec::new();
        for (seq, data, frame) in segs {
            r.push(*seq, data, *frame, 1 << 20, &mut |e| evs.push(conv(e)));
        }
        evs
    }

    fn conv(e: StreamEvent<'_>) -> Ev {
        match e {
            StreamEvent::Data { bytes, frame } => Ev::Data(bytes.to_vec(), frame),
            StreamEvent::Gap {
                len, before_frame, ..
            } => Ev::Gap(len, before_frame),
            StreamEvent::Conflict { frame, len, .. } => Ev::Conflict(frame, len),
        }
    }

    fn bytes(evs: &[Ev]) -> Vec<u8> {
        evs.iter()
            .filter_map(|e| match e {
                Ev::Data(d, _) => Some(d.clone()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    #[test]
    fn in_order_after_syn() {
        let mut r = Reassembler::new();
        r.syn(999);
        let evs = run(&mut r, &[(1000, b"abc", 2), (1003, b"def", 3)]);
        assert_eq!(
            evs,
            vec![Ev::Data(b"abc".to_vec(), 2), Ev::Data(b"def".to_vec(), 3)]
        );
    }

    #[test]
    fn out_of_order_segments_are_held_then_delivered() {
        let mut r = Reassembler::new();
        r.syn(0);
        let evs = run(&mut r, &[(1, b"aaa", 4), (7, b"ccc", 5), (4, b"bbb", 6)]);
        assert_eq!(
            evs,
            vec![
                Ev::Data(b"aaa".to_vec(), 4),
                Ev::Data(b"bbb".to_vec(), 6),
                Ev::Data(b"ccc".to_vec(), 6)
            ]
        );
        assert_eq!(r.pending_bytes(), 0);
    }

    #[test]
    fn retransmission_overlap_first_copy_wins() {
        let mut r = Reassembler::new();
        r.syn(0);
        let evs = run(&mut r, &[(1, b"abcd", 1), (3, b"cdef", 2)]);
        assert_eq!(bytes(&evs), b"abcdef");
        assert!(!evs.iter().any(|e| matches!(e, Ev::Conflict(..))));
    }

    #[test]
    fn retransmission_with_different_bytes_is_reported() {
        let mut r = Reassembler::new();
        r.syn(0);
        let evs = run(&mut r, &[(1, b"abcd", 1), (1, b"abXY", 7)]);
        assert_eq!(bytes(&evs), b"abcd");
        assert_eq!(evs.last(), Some(&Ev::Conflict(7, 2)));
    }

    #[test]
    fn held_copies_first_wins_and_differences_name_the_kept_frame() {
        /// A conflict as (frame, kept_frame, len).
        type Conflict = (u64, Option<u64>, usize);
        /// The bytes delivered and the conflicts.
        fn feed(segs: &[(u32, &[u8], u64)]) -> (Vec<u8>, Vec<Conflict>) {
            let mut r = Reassembler::new();
            r.syn(0);
            let (mut got, mut conflicts) = (Vec::new(), Vec::new());
            for (seq, data, frame) in segs {
                r.push(*seq, data, *frame, 1 << 20, &mut |e| match e {
                    StreamEvent::Data { bytes, .. } => got.extend_from_slice(bytes),
                    StreamEvent::Conflict {
                        frame,
                        kept_frame,
                        len,
                    } => conflicts.push((frame, kept_frame, len)),
                    StreamEvent::Gap { .. } => {}
                });
            }
            assert_eq!(r.pending_bytes(), 0);
            (got, conflicts)
        }
        // Same offset, ahead of a hole: the second copy is not kept and its difference reported.
        let (got, conflicts) = feed(&[(5, b"efgh", 4), (5, b"eXgY", 5), (1, b"abcd", 6)]);
        assert_eq!(got, b"abcdefgh");
        assert_eq!(conflicts, [(5, Some(4), 2)]);
        // A later copy that starts before a held one and covers it: only its new bytes are
        // held; the held first copy wins where they overlap.
        let (got, conflicts) = feed(&[(7, b"gh", 4), (4, b"dEfGH", 5), (1, b"abc", 6)]);
        assert_eq!(got, b"abcdEfgh");
        assert_eq!(conflicts, [(5, Some(4), 2)]);
        // A later copy inside a held one, and one spanning two held ones and the hole between.
        let (got, conflicts) = feed(&[
            (3, b"cdef", 4),
            (4, b"DE", 5),
            (9, b"ij", 6),
            (5, b"eFgHi", 7),
            (1, b"ab", 8),
        ]);
        // (`g` and `H` filled the hole: nothing was held there.)
        assert_eq!(got, b"abcdefgHij");
        assert_eq!(conflicts, [(5, Some(4), 2), (7, Some(4), 1)]);
        // After delivery: the kept copy's frame is the one that carried it, even when it was
        // delivered later (held, then released by frame 6).
        let (got, conflicts) = feed(&[(5, b"efgh", 4), (1, b"abcd", 6), (3, b"cdXf", 7)]);
        assert_eq!(got, b"abcdefgh");
        assert_eq!(conflicts, [(7, Some(4), 1)]);
    }

    #[test]
    fn sequence_wrap() {
        let mut r = Reassembler::new();
        r.syn(u32::MAX - 2);
        let evs = run(
            &mut r,
            &[(u32::MAX - 1, b"ab", 1), (0, b"cd", 2), (2, b"ef", 3)],
        );
        assert_eq!(bytes(&evs), b"abcdef");
    }

    #[test]
    fn out_of_order_across_wrap() {
        let mut r = Reassembler::new();
        r.syn(u32::MAX - 2);
        let evs = run(&mut r, &[(0, b"cd", 2), (u32::MAX - 1, b"ab", 1)]);
        assert_eq!(bytes(&evs), b"abcd");
    }

    #[test]
    fn hole_becomes_gap_on_flush() {
        let mut r = Reassembler::new();
        r.syn(0);
        let mut evs = run(&mut r, &[(1, b"ab", 1), (10, b"zz", 3)]);
        r.flush(&mut |e| evs.push(conv(e)));
        assert_eq!(
            evs,
            vec![
                Ev::Data(b"ab".to_vec(), 1),
                Ev::Gap(7, 3),
                Ev::Data(b"zz".to_vec(), 3)
            ]
        );
    }

    #[test]
    fn peer_ack_past_hole_reveals_gap() {
        let mut r = Reassembler::new();
        r.syn(0);
        let mut evs = run(&mut r, &[(1, b"ab", 1)]);
        r.peer_ack(20, 5, &mut |e| evs.push(conv(e)));
        assert_eq!(evs.last(), Some(&Ev::Gap(17, 5)));
        let more = run(&mut r, &[(20, b"x", 6)]);
        assert_eq!(more, vec![Ev::Data(b"x".to_vec(), 6)]);
    }

    #[test]
    fn ack_of_fin_is_not_a_gap() {
        let mut r = Reassembler::new();
        r.syn(0);
        let mut evs = run(&mut r, &[(1, b"ab", 1)]);
        r.fin(3, 0);
        r.peer_ack(4, 5, &mut |e| evs.push(conv(e)));
        assert_eq!(evs, vec![Ev::Data(b"ab".to_vec(), 1)]);
    }

    #[test]
    fn pending_budget_forces_gap() {
        let mut r = Reassembler::new();
        r.syn(0);
        let mut evs = Vec::new();
        r.push(1, b"a", 1, 4, &mut |e| evs.push(conv(e)));
        r.push(100, b"bbbbb", 2, 4, &mut |e| evs.push(conv(e)));
        assert_eq!(
            evs,
            vec![
                Ev::Data(b"a".to_vec(), 1),
                Ev::Gap(98, 2),
                Ev::Data(b"bbbbb".to_vec(), 2)
            ]
        );
        assert_eq!(r.pending_bytes(), 0);
    }

    /// (length, frame before, forced by the limit) of a gap event.
    fn gap_of(e: StreamEvent<'_>) -> Option<(u64, u64, bool)> {
        match e {
            StreamEvent::Gap {
                len,
                before_frame,
                over_limit,
                ..
            } => Some((len, before_frame, over_limit)),
            _ => None,
        }
    }

    #[test]
    fn held_segments_count_their_bookkeeping_and_the_limit_says_it_forced_a_gap() {
        let mut r = Reassembler::new();
        r.syn(0);
        let mut gaps = Vec::new();
        // One-byte segments, each after a one-byte hole: 129 bytes each against a limit of 300.
        for (i, frame) in (0..3u32).zip(10u64..) {
            r.push(2 + 2 * i, b"x", frame, 300, &mut |e| gaps.extend(gap_of(e)));
            assert!(r.pending_bytes() <= 300, "{}", r.pending_bytes());
        }
        assert_eq!(gaps, [(1, 10, true)]);
        assert_eq!(r.pending_bytes(), 2 * (1 + HELD_SEGMENT_COST));
        r.flush(&mut |e| gaps.extend(gap_of(e)));
        assert_eq!(gaps, [(1, 10, true), (1, 11, false), (1, 12, false)]);
        assert_eq!(r.pending_bytes(), 0);
    }

    #[test]
    fn midstream_pickup_without_syn() {
        let mut r = Reassembler::new();
        let evs = run(&mut r, &[(5000, b"hello", 9), (5005, b"!", 10)]);
        assert_eq!(bytes(&evs), b"hello!");
    }

    #[test]
    fn any_order_and_duplication_gives_same_bytes() {
        // A deterministic shuffle over every permutation of 4 segments, each sent twice.
        let segs: [(u32, &[u8]); 4] = [(1, b"abc"), (4, b"defg"), (8, b"hi"), (10, b"jklm")];
        let perms = [
            [0, 1, 2, 3],
            [3, 2, 1, 0],
            [1, 3, 0, 2],
            [2, 0, 3, 1],
            [0, 2, 1, 3],
        ];
        for p in perms {
            let mut r = Reassembler::new();
            r.syn(0);
            let mut all = Vec::new();
            for &i in p.iter().chain(p.iter()) {
                let (s, d) = segs[i];
                r.push(s, d, i as u64, 1 << 20, &mut |e| all.push(conv(e)));
            }
            assert_eq!(bytes(&all), b"abcdefghijklm", "order {p:?}");
        }
    }
}
