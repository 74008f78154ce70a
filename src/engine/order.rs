//! Flow ids, settled in one place: ids follow each flow's [`OrderKey`], its first frame.
//!
//! A flow's key is the frame of its first packet, except for a flow that stayed without a sign
//! of TLS for more than [`UNDETERMINED_TIMEOUT_SECS`] of capture time after its first packet:
//! its key is the frame in which TLS was found (payload after a long silence). Either way the
//! key depends on the flow's own packets only, so the order is the same however the flows are
//! spread over worker threads.
//!
//! Two halves:
//! * [`Tracker`], one per flow table, hands each finished TLS record on at once with its key,
//!   and knows its table's *watermark*: no record still to come from that table has a smaller
//!   key. A flow holds the watermark back while it could still become a TLS flow with its first
//!   frame as key: until it is known to be TLS and finished, known not to be TLS, or silent for
//!   the timeout.
//! * [`Merge`] collects keyed records from any number of tables and releases them, numbered
//!   1, 2, …, once every table's watermark has passed them. Records are therefore written as
//!   flows finish and memory does not grow with the number of flows.
//!
//! Live capture does not use either: a record is released and numbered the moment its
//! handshake is decided, so that output never waits on another connection.

use crate::record::{Negotiation, Timestamp};
use std::collections::{BTreeMap, VecDeque};

/// Capture seconds after which a flow that showed no TLS no longer holds back later flows.
pub const UNDETERMINED_TIMEOUT_SECS: i64 = 10;

/// Where a flow's record goes in the output: by input, then by frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Not known yet whether it carries TLS.
    Open,
    /// Carries TLS; its record is not finished.
    Tls,
}

/// One flow table's half: keys of flows that hold the watermark, and finished records.
#[derive(Default)]
pub struct Tracker {
    /// Flows that may still hold the watermark, by key (creation order, so keys only grow).
    queue: BTreeMap<OrderKey, (State, Timestamp)>,
    /// Finished records not yet taken, with their keys, in the order they finished.
    done: VecDeque<(OrderKey, Negotiation)>,
}

fn expired(first: Timestamp, now: Timestamp) -> bool {
    now.secs.saturating_sub(first.secs) > UNDETERMINED_TIMEOUT_SECS
}

impl Tracker {
    /// Registers a new flow by its key (its first frame) and first-packet time.
    pub fn open(&mut self, key: OrderKey, first: Timestamp) {
        self.queue.insert(key, (State::Open, first));
    }

    /// The flow of `key` (first packet at `first`) is found to carry TLS at frame `at`, time
    /// `now`; returns its key from now on: `at` when it was silent past the timeout.
    pub fn tls(
        &mut self,
        key: OrderKey,
        first: Timestamp,
        at: OrderKey,
        now: Timestamp,
    ) -> OrderKey {
        if expired(first, now) {
            self.queue.remove(&key);
            self.queue.insert(at, (State::Tls, now));
            return at;
        }
        match self.queue.get_mut(&key) {
            Some(slot) => slot.0 = State::Tls,
            None => {
                self.queue.insert(key, (State::Tls, first));
            }
        }
        key
    }

    /// The flow of `key` finished: with its record, or `None` when it is not reported (not TLS).
    pub fn finish(&mut self, key: OrderKey, rec: Option<Negotiation>) {
        self.queue.remove(&key);
        if let Some(r) = rec {
            self.done.push_back((key, r));
        }
    }

    /// Finished records with their keys, in the order they finished.
    pub fn take_done(&mut self) -> impl Iterator<Item = (OrderKey, Negotiation)> + '_ {
        self.done.drain(..)
    }

    /// No record still to come from this table has a smaller key than the one returned.
    /// `now` is the capture time reached (flows silent past the timeout stop holding the
    /// watermark back) and `next` the key of the next frame.
    pub fn watermark(&mut self, now: Timestamp, next: OrderKey) -> OrderKey {
        while let Some(entry) = self.queue.first_entry() {
            let (state, first) = *entry.get();
            if state == State::Open && expired(first, now) {
                entry.remove();
            } else {
                return (*entry.key()).min(next);
            }
        }
        next
    }

    /// Forgets every flow (end of an input: all of them are finished).
    pub fn clear(&mut self) {
        self.queue.clear();
    }
}

/// Releases keyed items from several tables in key order, numbering them.
pub struct Merge<T> {
    waiting: BTreeMap<(OrderKey, usize, u64), T>,
    marks: Vec<OrderKey>,
    arrivals: u64,
    next_id: u64,
}

impl<T> Merge<T> {
    /// A merge of `tables` tables, none of which has passed anything yet.
    pub fn new(tables: usize) -> Self {
        Merge {
            waiting: BTreeMap::new(),
            marks: vec![OrderKey::default(); tables.max(1)],
            arrivals: 0,
            next_id: 0,
        }
    }

    /// An item from table `table` with its key.
    pub fn push(&mut self, table: usize, key: OrderKey, item: T) {
        self.arrivals += 1;
        self.waiting.insert((key, table, self.arrivals), item);
    }

    /// Table `table` will send nothing with a key below `mark`.
    pub fn mark(&mut self, table: usize, mark: OrderKey) {
        if let Some(m) = self.marks.get_mut(table) {
            *m = mark;
        }
    }

    /// Items held back (for tests and memory accounting).
    pub fn held(&self) -> usize {
        self.waiting.len()
    }

    /// Passes every item below all tables' marks to `out` with its id, in key order.
    pub fn release<E>(&mut self, out: &mut dyn FnMut(u64, T) -> Result<(), E>) -> Result<(), E> {
        let low = self.marks.iter().copied().min().unwrap_or_default();
        while let Some(entry) = self.waiting.first_entry() {
            if entry.key().0 >= low {
                break;
            }
            let item = entry.remove();
            self.next_id += 1;
            out(self.next_id, item)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Endpoint;

    fn rec() -> Negotiation {
        let e = Endpoint {
            ip: "10.0.0.1".parse().unwrap(),
            port: 1,
        };
        Negotiation::new(0, 1, Timestamp::default(), e, e)
    }

    fn ts(secs: i64) -> Timestamp {
        Timestamp::new(secs, 0)
    }

    fn k(frame: u64) -> OrderKey {
        OrderKey { input: 0, frame }
    }

    /// Runs one tracker into a merge and returns the released (id, first frame) pairs.
    fn release(t: &mut Tracker, m: &mut Merge<u64>, now: i64, next: u64) -> Vec<(u64, u64)> {
        for (key, _) in t.take_done() {
            m.push(0, key, key.frame);
        }
        m.mark(0, t.watermark(ts(now), k(next)));
        let mut got = Vec::new();
        m.release::<()>(&mut |id, f| {
            got.push((id, f));
            Ok(())
        })
        .unwrap();
        got
    }

    #[test]
    fn ids_follow_first_packet_order_even_when_flows_finish_out_of_order() {
        let (mut t, mut m) = (Tracker::default(), Merge::new(1));
        t.open(k(1), ts(0));
        t.open(k(2), ts(0));
        t.open(k(3), ts(0));
        t.tls(k(1), ts(0), k(4), ts(0));
        t.finish(k(3), Some(rec()));
        // Flow 2 is undetermined: flow 3's id is not known yet.
        assert!(release(&mut t, &mut m, 1, 5).is_empty());
        t.finish(k(2), None);
        assert!(release(&mut t, &mut m, 1, 6).is_empty(), "flow 1 still runs");
        t.finish(k(1), Some(rec()));
        assert_eq!(release(&mut t, &mut m, 1, 7), vec![(1, 1), (2, 3)]);
    }

    #[test]
    fn a_silent_flow_stops_holding_back_after_the_timeout_and_is_keyed_where_tls_appeared() {
        let (mut t, mut m) = (Tracker::default(), Merge::new(1));
        t.open(k(1), ts(0));
        t.open(k(2), ts(1));
        let key2 = t.tls(k(2), ts(1), k(3), ts(1));
        t.finish(key2, Some(rec()));
        assert!(release(&mut t, &mut m, 5, 4).is_empty());
        assert_eq!(release(&mut t, &mut m, 20, 5), vec![(1, 2)]);
        // The silent flow turns out to be TLS at frame 9: that is its key.
        let key1 = t.tls(k(1), ts(0), k(9), ts(21));
        assert_eq!(key1, k(9));
        assert!(release(&mut t, &mut m, 21, 10).is_empty());
        t.finish(key1, Some(rec()));
        assert_eq!(release(&mut t, &mut m, 21, 11), vec![(2, 9)]);
    }

    #[test]
    fn late_tls_is_keyed_by_its_own_times_not_by_when_the_queue_was_looked_at() {
        // The same flow, with and without a watermark computed in between, gets the same key.
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

    #[test]
    fn merge_waits_for_every_table() {
        let mut m: Merge<&'static str> = Merge::new(2);
        m.push(1, k(5), "b");
        m.push(0, k(3), "a");
        m.mark(0, k(10));
        let mut got = Vec::new();
        fn take(m: &mut Merge<&'static str>, got: &mut Vec<(u64, &'static str)>) {
            m.release::<()>(&mut |id, s| {
                got.push((id, s));
                Ok(())
            })
            .unwrap();
        }
        take(&mut m, &mut got);
        assert_eq!(m.held(), 2, "table 1 has not passed anything");
        m.mark(1, k(4));
        take(&mut m, &mut got);
        assert_eq!(m.held(), 1);
        m.mark(1, OrderKey::end_of(0));
        take(&mut m, &mut got);
        assert_eq!(got, vec![(1, "a"), (2, "b")]);
    }
}
