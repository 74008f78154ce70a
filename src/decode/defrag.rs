//! A bounded IP fragment pool: reassembles IPv4 and IPv6 datagrams that carry TCP.
//!
//! Written here rather than wrapping etherparse's `defrag::IpDefragPool`, because that pool is
//! documented as not OOM-safe, has no byte or datagram budget and no age order to evict by (its
//! `retain` walks a `HashMap`), and only takes a strict `SlicedPacket`, while this crate slices
//! laxly. This one bounds everything it holds:
//! - the bytes of all pending datagrams' buffers (`max_bytes`; the oldest datagram is evicted to
//!   make room, and a datagram that cannot fit alone is dropped),
//! - the pending datagrams (`max_datagrams`; the oldest is evicted),
//! - their age in capture time (`timeout_secs`),
//! - the holes and stored pieces per datagram ([`MAX_RANGES`], [`MAX_PIECES`]; more means a
//!   hostile pattern, and the datagram is dropped).
//!
//! Fragment bytes are stored compactly as received (a fragment at offset 60000 costs its own
//! length, not 60000 bytes) and put in order only when the datagram completes, into one reused
//! output buffer. Ages are kept in a FIFO of (slot, generation) in creation order, so eviction
//! never iterates a hash map. Overlapping fragments: the first copy of each byte wins. Slots and
//! buffers are recycled, so a steady stream of fragments does not allocate per packet.
//!
//! Outside `max_bytes`: at most `MAX_SPARE` recycled empty buffers, the small range lists kept
//! in freed slots, and the output buffer (each at most 64 KiB).
//!
//! It must not parse IP or TCP headers (`ip.rs` hands it fragments) and must not print.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

use super::{DecodeError, DecodeStats};
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

/// Bounds on IP fragment reassembly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefragLimits {
    /// Bytes buffered over all pending datagrams (default 4 MiB). When a fragment would exceed
    /// it, the oldest pending datagrams are evicted (counted in `datagrams_evicted`).
    pub max_bytes: usize,
    /// Datagrams pending at once (default 1024); the oldest is evicted to admit a new one.
    pub max_datagrams: usize,
    /// Capture-time seconds a datagram may wait for its missing fragments (default 30).
    pub timeout_secs: u64,
}

impl Default for DefragLimits {
    fn default() -> Self {
        DefragLimits::from(&crate::config::Limits::default())
    }
}

impl From<&crate::config::Limits> for DefragLimits {
    /// The fragment pool's share of the run's limits (`--max-fragment-bytes`,
    /// `--max-fragment-datagrams`, `--fragment-timeout`).
    fn from(l: &crate::config::Limits) -> Self {
        DefragLimits {
            max_bytes: l.max_fragment_bytes,
            max_datagrams: l.max_fragment_datagrams,
            timeout_secs: l.fragment_timeout_secs,
        }
    }
}

/// Largest reassembled datagram payload (the IPv4/IPv6 length fields are 16 bits).
const MAX_DATAGRAM: usize = 65_535;

/// Disjoint byte ranges (holes between them) a pending datagram may have.
pub(crate) const MAX_RANGES: usize = 64;

/// Stored pieces a pending datagram may have (a real one needs at most ~45).
pub(crate) const MAX_PIECES: usize = 256;

/// Recycled buffers kept for new datagrams (outside `max_bytes`; each at most `MAX_DATAGRAM`).
const MAX_SPARE: usize = 4;

/// Range and piece lists kept in a freed slot for reuse; longer ones are freed.
const KEEP_LIST: usize = 16;

/// Identifies the datagram a fragment belongs to (RFC 791 / RFC 8200).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct FragKey {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// IPv4 identification (16 bits) or IPv6 fragment identification.
    pub id: u32,
    /// IPv4 protocol, or the IPv6 Fragment header's next header.
    pub proto: u8,
}

/// One fragment, as `ip.rs` found it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fragment<'a> {
    pub key: FragKey,
    /// Byte offset of `data` in the datagram's payload.
    pub offset: usize,
    /// More fragments follow (MF flag).
    pub more: bool,
    pub data: &'a [u8],
}

/// What became of a fragment.
#[derive(Debug)]
pub(crate) enum Insert<'a> {
    /// Kept (or dropped and counted); its datagram is not complete yet.
    Held,
    /// It completed its datagram: the reassembled payload, starting with header `proto`.
    Complete { proto: u8, data: &'a [u8] },
    /// Not kept (counted in `fragments_dropped`).
    Dropped(DecodeError),
}

/// Bytes stored for a datagram: `len` bytes at `at` in `Slot::data` belong at `offset`.
#[derive(Debug, Clone, Copy)]
struct Piece {
    offset: usize,
    len: usize,
    at: usize,
}

/// A pending datagram. Fragment bytes are appended compactly to `data` (memory follows the
/// bytes received, not their offsets) and put in order only when the datagram completes.
#[derive(Debug, Default)]
struct Slot {
    live: bool,
    generation: u64,
    key: Option<FragKey>,
    first_secs: i64,
    data: Vec<u8>,
    pieces: Vec<Piece>,
    /// Sorted, disjoint, non-adjacent `[start, end)` ranges received.
    have: Vec<(usize, usize)>,
    /// Payload length, known from the last fragment (MF clear).
    total: Option<usize>,
    fragments: u64,
}

impl Slot {
    /// Heap bytes this slot accounts for.
    fn footprint(&self) -> usize {
        self.data.capacity()
            + self.pieces.capacity() * std::mem::size_of::<Piece>()
            + self.have.capacity() * std::mem::size_of::<(usize, usize)>()
    }
}

/// The pool. See the module documentation for its bounds.
#[derive(Debug)]
pub(crate) struct Pool {
    limits: DefragLimits,
    index: HashMap<FragKey, usize>,
    slots: Vec<Slot>,
    free: Vec<usize>,
    order: VecDeque<(usize, u64)>,
    next_generation: u64,
    /// Sum of the footprints of live slots.
    held: usize,
    spare: Vec<Vec<u8>>,
    out: Vec<u8>,
}

impl Pool {
    pub fn new(limits: DefragLimits) -> Self {
        Pool {
            limits,
            index: HashMap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            order: VecDeque::new(),
            next_generation: 0,
            held: 0,
            spare: Vec::new(),
            out: Vec::new(),
        }
    }

    pub fn limits(&self) -> &DefragLimits {
        &self.limits
    }

    pub fn bytes_held(&self) -> usize {
        self.held
    }

    pub fn pending(&self) -> usize {
        self.index.len()
    }

    /// Drops every pending datagram (end of input).
    pub fn clear(&mut self, stats: &mut DecodeStats) {
        while let Some((slot, generation)) = self.order.pop_front() {
            if self.is_live(slot, generation) {
                stats.datagrams_incomplete += 1;
                self.release(slot, stats);
            }
        }
    }

    fn is_live(&self, slot: usize, generation: u64) -> bool {
        self.slots
            .get(slot)
            .is_some_and(|s| s.live && s.generation == generation)
    }

    /// Frees a slot, counting its fragments as dropped.
    fn release(&mut self, slot: usize, stats: &mut DecodeStats) {
        let Some(s) = self.slots.get_mut(slot) else {
            return;
        };
        if !s.live {
            return;
        }
        stats.fragments_dropped += s.fragments;
        self.held = self.held.saturating_sub(s.footprint());
        let buf = std::mem::take(&mut s.data);
        if let Some(k) = s.key.take() {
            self.index.remove(&k);
        }
        s.live = false;
        s.have.clear();
        s.pieces.clear();
        if s.have.capacity() > KEEP_LIST {
            s.have = Vec::new();
        }
        if s.pieces.capacity() > KEEP_LIST {
            s.pieces = Vec::new();
        }
        s.total = None;
        s.fragments = 0;
        self.free.push(slot);
        if buf.capacity() > 0 && self.spare.len() < MAX_SPARE && buf.capacity() <= MAX_DATAGRAM {
            let mut buf = buf;
            buf.clear();
            self.spare.push(buf);
        }
    }

    /// Evicts the oldest live datagram other than `keep` (to make room for `keep`'s bytes when
    /// it is given, else for a new datagram); false when there is none.
    fn evict_oldest(&mut self, keep: Option<usize>, stats: &mut DecodeStats) -> bool {
        let mut skipped = None;
        while let Some((slot, generation)) = self.order.pop_front() {
            if !self.is_live(slot, generation) {
                continue;
            }
            if Some(slot) == keep {
                skipped = Some((slot, generation));
                continue;
            }
            stats.datagrams_evicted += 1;
            if keep.is_some() {
                stats.datagrams_evicted_for_bytes += 1;
            }
            self.release(slot, stats);
            if let Some(s) = skipped {
                self.order.push_front(s);
            }
            return true;
        }
        if let Some(s) = skipped {
            self.order.push_front(s);
        }
        false
    }

    /// Drops datagrams older than the timeout (the FIFO is in creation order).
    fn expire(&mut self, now: i64, stats: &mut DecodeStats) {
        let timeout = i64::try_from(self.limits.timeout_secs).unwrap_or(i64::MAX);
        while let Some(&(slot, generation)) = self.order.front() {
            if !self.is_live(slot, generation) {
                self.order.pop_front();
                continue;
            }
            let first = self.slots.get(slot).map_or(now, |s| s.first_secs);
            if now.saturating_sub(first) <= timeout {
                break;
            }
            self.order.pop_front();
            stats.datagrams_timed_out += 1;
            self.release(slot, stats);
        }
        // Completed datagrams leave stale FIFO entries behind a long-lived one: compact now and
        // then so the FIFO stays proportional to `max_datagrams`.
        if self.order.len() > 2 * self.limits.max_datagrams + 64 {
            let slots = &self.slots;
            self.order.retain(|&(slot, generation)| {
                slots
                    .get(slot)
                    .is_some_and(|s| s.live && s.generation == generation)
            });
        }
    }

    /// Finds or creates the slot of `key`; `None` when the pool cannot hold any datagram.
    fn slot_for(&mut self, key: FragKey, now: i64, stats: &mut DecodeStats) -> Option<usize> {
        if let Some(&i) = self.index.get(&key) {
            return Some(i);
        }
        if self.limits.max_datagrams == 0 {
            return None;
        }
        while self.index.len() >= self.limits.max_datagrams {
            if !self.evict_oldest(None, stats) {
                return None;
            }
        }
        let i = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slots.push(Slot::default());
                self.slots.len() - 1
            }
        };
        // A recycled buffer is only taken when its capacity fits in the byte budget.
        let buf = match self.spare.pop() {
            Some(b) if self.held + b.capacity() <= self.limits.max_bytes => b,
            _ => Vec::new(),
        };
        let generation = self.next_generation;
        self.next_generation += 1;
        let s = self.slots.get_mut(i)?;
        s.data = buf;
        s.live = true;
        s.generation = generation;
        s.key = Some(key);
        s.first_secs = now;
        s.have.clear();
        s.pieces.clear();
        s.total = None;
        s.fragments = 0;
        self.held += s.footprint();
        self.index.insert(key, i);
        self.order.push_back((i, generation));
        Some(i)
    }

    /// Makes room for `extra` more heap bytes in slot `i`, evicting older datagrams; false
    /// when that is impossible (the caller drops the datagram).
    fn make_room(&mut self, i: usize, extra: usize, stats: &mut DecodeStats) -> bool {
        let own = self.slots.get(i).map_or(0, Slot::footprint);
        if own + extra > self.limits.max_bytes {
            return false;
        }
        while self.held + extra > self.limits.max_bytes {
            if !self.evict_oldest(Some(i), stats) {
                return false;
            }
        }
        true
    }

    /// Drops datagram `i` because of the fragment just received (counted with it).
    fn drop_datagram(&mut self, i: usize, stats: &mut DecodeStats) -> Insert<'_> {
        stats.fragments_dropped += 1;
        self.release(i, stats);
        Insert::Held
    }

    /// Adds a fragment received at capture time `now` (seconds).
    pub fn insert(&mut self, frag: &Fragment<'_>, now: i64, stats: &mut DecodeStats) -> Insert<'_> {
        self.expire(now, stats);
        let start = frag.offset;
        let end = start.saturating_add(frag.data.len());
        if end > MAX_DATAGRAM {
            stats.fragments_dropped += 1;
            return Insert::Dropped(DecodeError::FragmentTooLong);
        }
        if frag.data.is_empty() && frag.more {
            stats.fragments_dropped += 1;
            return Insert::Held;
        }
        let Some(i) = self.slot_for(frag.key, now, stats) else {
            stats.fragments_dropped += 1;
            return Insert::Held;
        };
        let Some(s) = self.slots.get(i) else {
            return Insert::Held;
        };
        // Consistency with what is known of the datagram's length.
        let max_have = s.have.last().map_or(0, |r| r.1);
        let inconsistent = match (frag.more, s.total) {
            (false, Some(t)) => t != end,
            (false, None) => max_have > end,
            (true, Some(t)) => end > t,
            (true, None) => false,
        };
        if inconsistent {
            // Conflicting ends: the datagram cannot be trusted; drop it whole.
            return self.drop_datagram(i, stats);
        }
        // The bytes of [start, end) not received yet (first copy wins).
        let mut new_bytes = 0usize;
        let mut gaps = 0usize;
        for_each_gap(&s.have, start, end, |a, b| {
            new_bytes += b - a;
            gaps += 1;
        });
        if s.pieces.len() + gaps > MAX_PIECES {
            return self.drop_datagram(i, stats);
        }
        // Grow the stores (doubling, bounded) after making room for the growth.
        let (len, cap) = (s.data.len(), s.data.capacity());
        let want_data = if len + new_bytes > cap {
            (len + new_bytes)
                .max(cap.saturating_mul(2))
                .min(MAX_DATAGRAM.max(len + new_bytes))
        } else {
            cap
        };
        let want_pieces = (s.pieces.len() + gaps).max(s.pieces.capacity());
        let want_have = (s.have.len() + 1).max(s.have.capacity());
        let extra = (want_data - cap)
            + (want_pieces - s.pieces.capacity()) * std::mem::size_of::<Piece>()
            + (want_have - s.have.capacity()) * std::mem::size_of::<(usize, usize)>();
        if extra > 0 && !self.make_room(i, extra, stats) {
            stats.datagrams_evicted += 1;
            stats.datagrams_evicted_for_bytes += 1;
            return self.drop_datagram(i, stats);
        }
        let Some(s) = self.slots.get_mut(i) else {
            return Insert::Held;
        };
        let before = s.footprint();
        s.data.reserve_exact(want_data - len);
        s.pieces.reserve_exact(want_pieces - s.pieces.len());
        s.have.reserve_exact(want_have - s.have.len());
        let Slot {
            data, pieces, have, ..
        } = s;
        for_each_gap(have, start, end, |a, b| {
            if let Some(bytes) = frag.data.get(a - start..b - start) {
                pieces.push(Piece {
                    offset: a,
                    len: bytes.len(),
                    at: data.len(),
                });
                data.extend_from_slice(bytes);
            }
        });
        add_range(have, start, end);
        self.held = (self.held + s.footprint()).saturating_sub(before);
        if s.have.len() > MAX_RANGES {
            return self.drop_datagram(i, stats);
        }
        s.fragments += 1;
        if !frag.more {
            s.total = Some(end);
        }
        let complete = s.total.is_some_and(|t| s.have.as_slice() == [(0, t)]);
        if !complete {
            return Insert::Held;
        }
        // Complete: put the pieces in order into `out`, then free the slot.
        s.pieces.sort_unstable_by_key(|p| p.offset);
        self.out.clear();
        for p in &s.pieces {
            if let Some(bytes) = s.data.get(p.at..p.at + p.len) {
                self.out.extend_from_slice(bytes);
            }
        }
        let total = s.total.unwrap_or(0);
        s.fragments = 0; // delivered, not dropped
        self.release(i, stats);
        if self.out.len() != total {
            // Cannot happen when the ranges cover [0, total); never hand out a wrong datagram.
            return Insert::Held;
        }
        stats.datagrams_reassembled += 1;
        Insert::Complete {
            proto: frag.key.proto,
            data: &self.out,
        }
    }
}

/// Calls `f(a, b)` for each part `[a, b)` of `[start, end)` not covered by `have`.
fn for_each_gap(
    have: &[(usize, usize)],
    start: usize,
    end: usize,
    mut f: impl FnMut(usize, usize),
) {
    let mut pos = start;
    for &(a, b) in have {
        if b <= pos {
            continue;
        }
        if a >= end {
            break;
        }
        if a > pos {
            f(pos, a);
        }
        pos = pos.max(b);
        if pos >= end {
            return;
        }
    }
    if pos < end {
        f(pos, end);
    }
}

/// Adds `[start, end)` to the sorted range list, merging overlapping or adjacent ranges. Does
/// not allocate when the list has room for one more entry.
fn add_range(have: &mut Vec<(usize, usize)>, start: usize, end: usize) {
    if start >= end {
        return;
    }
    let at = have.partition_point(|&(a, _)| a < start);
    have.insert(at, (start, end));
    let mut w = 0usize;
    for r in 0..have.len() {
        let Some(&cur) = have.get(r) else { break };
        if w > 0 {
            if let Some(prev) = have.get_mut(w - 1) {
                if cur.0 <= prev.1 {
                    prev.1 = prev.1.max(cur.1);
                    continue;
                }
            }
        }
        if let Some(slot) = have.get_mut(w) {
            *slot = cur;
        }
        w += 1;
    }
    have.truncate(w);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gaps(have: &[(usize, usize)], start: usize, end: usize) -> Vec<(usize, usize)> {
        let mut v = Vec::new();
        for_each_gap(have, start, end, |a, b| v.push((a, b)));
        v
    }

    #[test]
    fn gaps_and_ranges() {
        let mut have = Vec::new();
        assert_eq!(gaps(&have, 8, 16), vec![(8, 16)]);
        add_range(&mut have, 8, 16);
        assert_eq!(gaps(&have, 0, 12), vec![(0, 8)]);
        add_range(&mut have, 0, 12);
        assert_eq!(have, vec![(0, 16)]);
        add_range(&mut have, 20, 24);
        assert_eq!(have, vec![(0, 16), (20, 24)]);
        assert_eq!(gaps(&have, 10, 30), vec![(16, 20), (24, 30)]);
        assert_eq!(gaps(&have, 0, 16), vec![]);
        add_range(&mut have, 16, 20);
        assert_eq!(have, vec![(0, 24)]);
    }

    fn key() -> FragKey {
        FragKey {
            src: IpAddr::from([10, 0, 0, 1]),
            dst: IpAddr::from([10, 0, 0, 2]),
            id: 1,
            proto: 6,
        }
    }

    #[test]
    fn first_copy_wins_and_order_is_restored() {
        let mut pool = Pool::new(DefragLimits::default());
        let mut st = DecodeStats::default();
        let f = |offset, more, data| Fragment {
            key: key(),
            offset,
            more,
            data,
        };
        assert!(matches!(
            pool.insert(&f(8, true, &[1; 8]), 0, &mut st),
            Insert::Held
        ));
        assert!(matches!(
            pool.insert(&f(0, true, &[2; 12]), 0, &mut st),
            Insert::Held
        ));
        match pool.insert(&f(16, false, &[3; 4]), 0, &mut st) {
            Insert::Complete { proto, data } => {
                assert_eq!(proto, 6);
                assert_eq!(
                    data,
                    &[2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 3, 3][..]
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(pool.bytes_held(), 0);
        assert_eq!(st.datagrams_reassembled, 1);
        assert_eq!(st.fragments_dropped, 0);
    }

    #[test]
    fn too_many_holes_drop_the_datagram() {
        let mut pool = Pool::new(DefragLimits::default());
        let mut st = DecodeStats::default();
        for i in 0..=MAX_RANGES {
            let f = Fragment {
                key: key(),
                offset: i * 16,
                more: true,
                data: &[1; 8],
            };
            let _ = pool.insert(&f, 0, &mut st);
        }
        assert_eq!(pool.pending(), 0);
        assert_eq!(st.fragments_dropped, MAX_RANGES as u64 + 1);
        assert_eq!(pool.bytes_held(), 0);
    }
}
