//! Flow ids and the order records are written in, settled in one place.
//!
//! * **Ids** number TLS flows by their [`OrderKey`]: the frame of the first packet, except for a
//!   flow that stayed without a sign of TLS for more than [`UNDETERMINED_TIMEOUT_SECS`] of
//!   capture time or [`UNDETERMINED_FRAMES`] frames after its first packet, whose key is the
//!   frame in which TLS was found (payload after a long silence).
//! * **Records are written as flows end**, ordered by [`EndKey`]: the capture time the
//!   connection ended (the clock at its FIN/RST or new SYN, the moment its idle timeout ran out,
//!   or the end of the file), then the key.
//!
//! Both depend on each flow's own packets and the capture clock only, so output is the same
//! however flows are spread over worker threads. Two halves:
//! * [`Tracker`], one per flow table, passes on at once which flows turned out to be TLS and
//!   every finished record, and knows the table's id *watermark*: no TLS flow still to be found
//!   in that table has a smaller key. A flow holds it back while it could still turn out to be
//!   TLS under its first-frame key: until it is known to be TLS or not, or has been silent for
//!   the timeout (in capture time or in frames).
//! * [`Merge`] collects that from any number of tables, numbers TLS flows once every table's
//!   id watermark has passed them, and releases records in end order once every table's clock
//!   has passed them. Memory does not grow with the number of flows: a record waits at most
//!   until the flows before it have shown whether they are TLS.
//!
//! Live capture uses the tracker but not the merge: a record is released and numbered the
//! moment its handshake is decided, so that output never waits on another connection.

use crate::record::{Negotiation, Timestamp};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

/// Capture seconds after which a flow that showed no TLS no longer holds back later flows' ids.
pub const UNDETERMINED_TIMEOUT_SECS: i64 = 10;

/// A flow's place among flows: by input, then by frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct OrderKey {
    /// Input index (files are read in turn).
    pub input: usize,
    /// Frame number within the input.
    pub frame: u64,
}

impl OrderKey {
    /// The key after every frame of `input`.
    pub fn end_of(input: usize) -> Self {
        OrderKey {
            input,
            frame: u64::MAX,
        }
    }
}

/// A record's place in the output: by input, the capture time its connection ended, its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct EndKey {
    input: usize,
    at: Timestamp,
    key: OrderKey,
}

impl EndKey {
    /// The place of flow `key` that ended at capture time `at`.
    pub fn new(key: OrderKey, at: Timestamp) -> Self {
        EndKey {
            input: key.input,
            at,
            key,
        }
    }

    /// Before every record of `input` that ends at `at` or later.
    pub fn clock(input: usize, at: Timestamp) -> Self {
        EndKey {
            input,
            at,
            key: OrderKey::default(),
        }
    }

    /// After every record of `input`.
    pub fn end_of(input: usize) -> Self {
        EndKey {
            input,
            at: Timestamp::MAX,
            key: OrderKey::end_of(input),
        }
    }
}

/// Frames after which a flow that showed no TLS no longer holds back later flows' ids, however
/// little capture time they took: records finished meanwhile wait for their ids, so this bounds
/// what waits behind one silent connection on a busy link (100,000 whole connections within 2 s
/// behind one unanswered SYN had 539 MiB of records waiting; with this, a few MiB: 32,768
/// frames hold at most a few thousand finished connections). Frames, not bytes waiting: the
/// same for any number of threads.
pub const UNDETERMINED_FRAMES: u64 = 32_768;

/// More than the timeout lies between a flow's first packet (key `key`, time `first`) and the
/// capture's progress (time `now`, frame key `next`): more capture seconds, either way (the
/// clock is set back when a capture's time runs backwards: see `Frontend::clock_at`), or more
/// frames.
fn expired(key: OrderKey, first: Timestamp, next: OrderKey, now: Timestamp) -> bool {
    now.secs.saturating_sub(first.secs).saturating_abs() > UNDETERMINED_TIMEOUT_SECS
        || (next.input == key.input && next.frame.saturating_sub(key.frame) > UNDETERMINED_FRAMES)
}

/// One flow table's half.
#[derive(Default)]
pub struct Tracker {
    /// Flows not yet known to be TLS or not, with their first-packet time, in key order (a
    /// table opens flows in frame order, so a new one goes at the back; few are open at once,
    /// since a flow leaves at its first payload, and a B-tree had cost more).
    open: VecDeque<(OrderKey, Timestamp)>,
    /// Keys of flows found to be TLS, not yet taken.
    tls: Vec<OrderKey>,
    /// Finished records, not yet taken.
    done: Vec<(EndKey, Negotiation)>,
}

impl Tracker {
    /// Registers a new flow by its key (its first frame) and first-packet time.
    pub fn open(&mut self, key: OrderKey, first: Timestamp) {
        match self.open.back() {
            Some(&(last, _)) if last >= key => {
                // Not seen from a table, which opens flows in frame order; kept sorted anyway.
                match self.open.binary_search_by_key(&key, |&(k, _)| k) {
                    Ok(at) => {
                        if let Some(e) = self.open.get_mut(at) {
                            e.1 = first;
                        }
                    }
                    Err(at) => self.open.insert(at, (key, first)),
                }
            }
            _ => self.open.push_back((key, first)),
        }
    }

    /// The flow of `key` (first packet at `first`) is found to carry TLS at frame `at`, capture
    /// clock `now`; returns its key from now on: `at` when it was silent past the timeout (in
    /// capture time or frames).
    pub fn tls(
        &mut self,
        key: OrderKey,
        first: Timestamp,
        at: OrderKey,
        now: Timestamp,
    ) -> OrderKey {
        self.close(key);
        let key = if expired(key, first, at, now) {
            at
        } else {
            key
        };
        self.tls.push(key);
        key
    }

    /// The flow of `key` is found not to carry TLS.
    pub fn not_tls(&mut self, key: OrderKey) {
        self.close(key);
    }

    /// The flow of `key` is no longer open.
    fn close(&mut self, key: OrderKey) {
        if let Ok(at) = self.open.binary_search_by_key(&key, |&(k, _)| k) {
            self.open.remove(at);
        }
    }

    /// The flow of `key`, found to be TLS before, ended at capture time `at` with this record.
    pub fn finish(&mut self, key: OrderKey, at: Timestamp, rec: Negotiation) {
        self.done.push((EndKey::new(key, at), rec));
    }

    /// No flow still to be found TLS in this table has a smaller key than the one returned.
    /// `now` is the capture clock reached (flows silent past the timeout stop holding it back)
    /// and `next` the key of the next frame.
    pub fn watermark(&mut self, now: Timestamp, next: OrderKey) -> OrderKey {
        while let Some(&(key, first)) = self.open.front() {
            if expired(key, first, next, now) {
                self.open.pop_front();
            } else {
                return key.min(next);
            }
        }
        next
    }

    /// Takes what is new, with the records mapped by `f` (analysed and rendered, say), and the
    /// table's marks at capture clock `now` with `next` the key of the next frame
    /// ([`OrderKey::end_of`] once the input has ended and every flow is finished).
    pub fn pass<T>(
        &mut self,
        now: Timestamp,
        next: OrderKey,
        f: &mut dyn FnMut(Negotiation) -> T,
    ) -> Passed<T> {
        let (ids, end) = if next.frame == u64::MAX {
            self.open.clear();
            (next, EndKey::end_of(next.input))
        } else {
            (self.watermark(now, next), EndKey::clock(next.input, now))
        };
        self.take(ids, end, f)
    }

    /// Takes what is new while an input ends step by step, every flow keyed below `upto`
    /// finished and every other still to be (see [`Tracker::pass`]). Its marks say that the
    /// table will find no TLS flow and end no flow below `upto`: all that is left ends with
    /// the input, in key order. A mark lower than the table's last (a flow open since long
    /// before the last frames) only makes the merge wait.
    pub fn pass_ending<T>(
        &mut self,
        upto: OrderKey,
        f: &mut dyn FnMut(Negotiation) -> T,
    ) -> Passed<T> {
        self.take(upto, EndKey::new(upto, Timestamp::MAX), f)
    }

    /// What is new, with the records mapped by `f`, under the marks `ids` and `end`.
    fn take<T>(
        &mut self,
        ids: OrderKey,
        end: EndKey,
        f: &mut dyn FnMut(Negotiation) -> T,
    ) -> Passed<T> {
        Passed {
            tls: self.tls.drain(..).collect(),
            done: self.done.drain(..).map(|(e, r)| (e, f(r))).collect(),
            ids,
            end,
        }
    }
}

/// What one table passes to the [`Merge`] at one time.
#[derive(Debug)]
pub struct Passed<T> {
    /// Flows found to be TLS.
    pub tls: Vec<OrderKey>,
    /// Finished records.
    pub done: Vec<(EndKey, T)>,
    /// The table will find no TLS flow keyed below this.
    pub ids: OrderKey,
    /// The table will end no flow below this.
    pub end: EndKey,
}

/// A finished record in the merge's heap, ordered so that the one that ends first is on top
/// (ends are unique: they hold the flow's key).
struct Waiting<T> {
    end: EndKey,
    item: T,
}

impl<T> PartialEq for Waiting<T> {
    fn eq(&self, other: &Self) -> bool {
        self.end == other.end
    }
}

impl<T> Eq for Waiting<T> {}

impl<T> PartialOrd for Waiting<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> Ord for Waiting<T> {
    /// Reversed: `BinaryHeap` keeps the greatest on top.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.end.cmp(&self.end)
    }
}

/// Numbers TLS flows and releases records in end order, over several tables.
pub struct Merge<T> {
    /// TLS flows found, not yet numbered, the least on top (each is found once).
    tls: BinaryHeap<Reverse<OrderKey>>,
    /// Ids given to flows whose record is not out yet (foldhash: SipHash, std's default, was
    /// a visible share of releasing a record).
    ids: HashMap<OrderKey, u64, foldhash::fast::RandomState>,
    /// Finished records, the one that ends first on top (a heap: a record goes in once and
    /// comes out once, always the least, and a B-tree's insert and removal had cost three
    /// times as much).
    waiting: BinaryHeap<Waiting<T>>,
    /// Per table: no TLS flow with a smaller key will be found there.
    id_marks: Vec<OrderKey>,
    /// Per table: no record with a smaller end will come from there.
    end_marks: Vec<EndKey>,
    next_id: u64,
}

impl<T> Merge<T> {
    /// A merge of `tables` tables, none of which has passed anything yet.
    pub fn new(tables: usize) -> Self {
        Merge {
            tls: BinaryHeap::new(),
            ids: HashMap::default(),
            waiting: BinaryHeap::new(),
            id_marks: vec![OrderKey::default(); tables.max(1)],
            end_marks: vec![EndKey::default(); tables.max(1)],
            next_id: 0,
        }
    }

    /// A flow found to be TLS.
    fn tls(&mut self, key: OrderKey) {
        self.tls.push(Reverse(key));
    }

    /// A finished record.
    fn done(&mut self, end: EndKey, item: T) {
        self.waiting.push(Waiting { end, item });
    }

    /// Table `table` will find no TLS flow keyed below `ids` and end no flow below `end`.
    fn mark(&mut self, table: usize, ids: OrderKey, end: EndKey) {
        if let Some(m) = self.id_marks.get_mut(table) {
            *m = ids;
        }
        if let Some(m) = self.end_marks.get_mut(table) {
            *m = end;
        }
    }

    /// Takes what table `table` passed.
    pub fn accept(&mut self, table: usize, p: Passed<T>) {
        for k in p.tls {
            self.tls(k);
        }
        for (e, item) in p.done {
            self.done(e, item);
        }
        self.mark(table, p.ids, p.end);
    }

    /// Records held back.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.waiting.len()
    }

    /// Numbers the TLS flows every table has passed, then passes every record that every
    /// table's clock has passed to `out` with its id, in end order.
    pub fn release<E>(&mut self, out: &mut dyn FnMut(u64, T) -> Result<(), E>) -> Result<(), E> {
        let low_id = self.id_marks.iter().copied().min().unwrap_or_default();
        // A flow passed twice before it is numbered is numbered once (copies come off the heap
        // one after the other).
        let mut last = None;
        while let Some(&Reverse(k)) = self.tls.peek() {
            if k >= low_id {
                break;
            }
            self.tls.pop();
            if last == Some(k) {
                continue;
            }
            last = Some(k);
            self.next_id += 1;
            self.ids.insert(k, self.next_id);
        }
        let low_end = self.end_marks.iter().copied().min().unwrap_or_default();
        while let Some(top) = self.waiting.peek() {
            if top.end >= low_end {
                break;
            }
            // Its id waits for the flows before it to show whether they are TLS.
            let Some(id) = self.ids.remove(&top.end.key) else {
                break;
            };
            if let Some(w) = self.waiting.pop() {
                out(id, w.item)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(secs: i64) -> Timestamp {
        Timestamp::new(secs, 0)
    }

    fn k(frame: u64) -> OrderKey {
        OrderKey { input: 0, frame }
    }

    /// Passes one tracker's news to a merge at clock `now`, next frame `next`; returns the
    /// released (id, first frame) pairs.
    fn step(t: &mut Tracker, m: &mut Merge<u64>, now: i64, next: u64) -> Vec<(u64, u64)> {
        m.accept(0, t.pass(ts(now), k(next), &mut |r| r.first_frame));
        let mut got = Vec::new();
        m.release::<()>(&mut |id, f| {
            got.push((id, f));
            Ok(())
        })
        .unwrap();
        got
    }

    fn rec(first_frame: u64) -> Negotiation {
        let e = crate::record::Endpoint {
            ip: "10.0.0.1".parse().unwrap(),
            port: 1,
        };
        Negotiation::new(0, first_frame, Timestamp::default(), e, e)
    }

    #[test]
    fn ids_follow_first_packet_order_and_records_come_as_flows_end() {
        let (mut t, mut m) = (Tracker::default(), Merge::new(1));
        t.open(k(1), ts(0));
        t.open(k(2), ts(0));
        t.open(k(3), ts(0));
        t.tls(k(1), ts(0), k(4), ts(0));
        t.tls(k(3), ts(0), k(5), ts(0));
        t.finish(k(3), ts(1), rec(3));
        // Flow 2 is undetermined: flow 3's id is not known yet.
        assert!(step(&mut t, &mut m, 2, 6).is_empty());
        t.not_tls(k(2));
        // Flow 3 ended first, so it is written first, with id 2.
        assert_eq!(step(&mut t, &mut m, 2, 7), vec![(2, 3)]);
        t.finish(k(1), ts(3), rec(1));
        assert!(
            step(&mut t, &mut m, 3, 8).is_empty(),
            "clock 3 not passed yet"
        );
        assert_eq!(step(&mut t, &mut m, 4, 9), vec![(1, 1)]);
    }

    #[test]
    fn a_silent_flow_stops_holding_back_after_the_timeout_and_is_keyed_where_tls_appeared() {
        let (mut t, mut m) = (Tracker::default(), Merge::new(1));
        t.open(k(1), ts(0));
        t.open(k(2), ts(1));
        let key2 = t.tls(k(2), ts(1), k(3), ts(1));
        t.finish(key2, ts(2), rec(2));
        assert!(step(&mut t, &mut m, 5, 4).is_empty());
        assert_eq!(step(&mut t, &mut m, 20, 5), vec![(1, 2)]);
        // The silent flow turns out to be TLS at frame 9: that is its key.
        let key1 = t.tls(k(1), ts(0), k(9), ts(21));
        assert_eq!(key1, k(9));
        t.finish(key1, ts(22), rec(1));
        assert_eq!(step(&mut t, &mut m, 23, 11), vec![(2, 1)]);
    }

    #[test]
    fn a_silent_flow_stops_holding_back_after_as_many_frames_and_is_keyed_where_tls_appeared() {
        let (mut t, mut m) = (Tracker::default(), Merge::new(1));
        let f = UNDETERMINED_FRAMES;
        t.open(k(1), ts(0));
        t.open(k(2), ts(0));
        let key2 = t.tls(k(2), ts(0), k(3), ts(0));
        t.finish(key2, ts(0), rec(2));
        // All within one capture second: the silent flow of frame 1 holds flow 2 back while
        // the next frame is at most f frames after its first, not once it is f + 1 after.
        assert!(step(&mut t, &mut m, 1, 1 + f).is_empty());
        assert_eq!(step(&mut t, &mut m, 1, 2 + f), vec![(1, 2)]);
        // It turns out to be TLS at frame 5 + f: that is its key.
        let key1 = t.tls(k(1), ts(0), k(5 + f), ts(0));
        assert_eq!(key1, k(5 + f));
        // TLS found f frames after the first keeps the first frame's key, f + 1 after not.
        for (at, key) in [(1 + f, 1), (2 + f, 2 + f)] {
            let mut t = Tracker::default();
            t.open(k(1), ts(0));
            assert_eq!(t.tls(k(1), ts(0), k(at), ts(0)), k(key));
        }
    }

    #[test]
    fn late_tls_is_keyed_by_its_own_times_not_by_when_the_watermark_was_taken() {
        for look in [false, true] {
            let mut t = Tracker::default();
            t.open(k(1), ts(0));
            if look {
                t.watermark(ts(30), k(2));
            }
            assert_eq!(t.tls(k(1), ts(0), k(7), ts(30)), k(7));
            let mut t = Tracker::default();
            t.open(k(1), ts(0));
            if look {
                t.watermark(ts(5), k(2));
            }
            assert_eq!(t.tls(k(1), ts(0), k(7), ts(5)), k(1));
        }
    }

    /// What the merge releases now, as (id, item).
    fn released(m: &mut Merge<&'static str>) -> Vec<(u64, &'static str)> {
        let mut got = Vec::new();
        m.release::<()>(&mut |id, s| {
            got.push((id, s));
            Ok(())
        })
        .unwrap();
        got
    }

    #[test]
    fn merge_waits_for_every_table() {
        let mut m: Merge<&'static str> = Merge::new(2);
        m.tls(k(3));
        m.tls(k(5));
        m.done(EndKey::new(k(5), ts(1)), "b");
        m.done(EndKey::new(k(3), ts(2)), "a");
        m.mark(0, k(10), EndKey::clock(0, ts(10)));
        let mut got = Vec::new();
        got.extend(released(&mut m));
        assert_eq!(m.held(), 2, "table 1 has not passed anything");
        m.mark(1, k(4), EndKey::clock(0, ts(10)));
        got.extend(released(&mut m));
        assert_eq!(m.held(), 2, "flow 5 has no id until table 1 passes it");
        m.mark(1, k(6), EndKey::clock(0, ts(10)));
        got.extend(released(&mut m));
        assert_eq!(got, vec![(2, "b"), (1, "a")]);
    }

    #[test]
    fn a_flow_passed_twice_is_numbered_once_and_open_flows_stay_in_key_order() {
        let mut m: Merge<&'static str> = Merge::new(1);
        m.tls(k(3));
        m.tls(k(2));
        m.tls(k(3));
        m.done(EndKey::new(k(3), ts(1)), "c");
        m.done(EndKey::new(k(2), ts(2)), "b");
        m.mark(0, k(10), EndKey::clock(0, ts(10)));
        assert_eq!(released(&mut m), vec![(2, "c"), (1, "b")]);
        // Opened out of key order (no table does), the watermark is still the least open key.
        let mut t = Tracker::default();
        t.open(k(5), ts(0));
        t.open(k(2), ts(0));
        t.open(k(8), ts(0));
        assert_eq!(t.watermark(ts(0), k(9)), k(2));
        t.not_tls(k(2));
        assert_eq!(t.watermark(ts(0), k(9)), k(5));
        t.not_tls(k(5));
        t.not_tls(k(8));
        assert_eq!(t.watermark(ts(0), k(9)), k(9));
    }
}
