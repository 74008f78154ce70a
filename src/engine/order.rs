//! Flow ids, settled in one place: ids follow the order of each flow's first packet.
//!
//! A flow gets its id once it and every flow that started before it are *determined*: known to
//! carry TLS, or known not to (it closed, was found not to be TLS, or stayed without payload for
//! [`UNDETERMINED_TIMEOUT_SECS`] of capture time). A finished record waits only until its id is
//! known, then is released; records are therefore written as flows finish, and memory does not
//! grow with the number of flows. A flow that turns out to be TLS after its timeout (payload after
//! a long silence) gets the next free id when it does.
//!
//! Live capture uses [`Orderer::in_report_order`] instead: a record is released the moment it is
//! finished and ids follow that order, so that output never waits on another connection.

use crate::record::{Negotiation, Timestamp};
use std::collections::{BTreeMap, HashMap};

/// Capture seconds after which a flow that showed no TLS no longer holds back later flows' ids.
pub const UNDETERMINED_TIMEOUT_SECS: i64 = 10;

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    Tls,
    NotTls,
}

/// Assigns ids in first-packet order and releases finished records.
#[derive(Default)]
pub struct Orderer {
    /// Flows not yet given an id (or dropped), by creation sequence number.
    queue: BTreeMap<u64, (State, Timestamp)>,
    /// Ids given to flows still running.
    ids: HashMap<u64, u64>,
    /// Finished records waiting for their id.
    waiting: BTreeMap<u64, Box<Negotiation>>,
    next_id: u64,
    /// Ids in the order records are finished; nothing waits (live capture).
    report_order: bool,
    /// Report order: records finished and numbered, not yet passed on.
    ready: Vec<Negotiation>,
}

impl Orderer {
    /// An orderer that releases each record as soon as it is finished, numbering records in
    /// that order.
    pub fn in_report_order() -> Self {
        Orderer {
            report_order: true,
            ..Default::default()
        }
    }

    /// Registers a new flow by its creation sequence number (increasing) and first-packet time.
    pub fn open(&mut self, seq: u64, ts: Timestamp) {
        if self.report_order {
            return;
        }
        self.queue.insert(seq, (State::Open, ts));
    }

    /// The flow carries TLS.
    pub fn tls(&mut self, seq: u64) {
        if self.report_order {
            return;
        }
        match self.queue.get_mut(&seq) {
            Some(slot) => slot.0 = State::Tls,
            None if !self.ids.contains_key(&seq) => {
                // Timed out earlier: give it the next id now.
                self.next_id += 1;
                self.ids.insert(seq, self.next_id);
            }
            None => {}
        }
    }

    /// The flow finished: with its record, or `None` when it is not reported (not TLS).
    pub fn finish(&mut self, seq: u64, rec: Option<Negotiation>) {
        if self.report_order {
            if let Some(mut r) = rec {
                self.next_id += 1;
                r.id = self.next_id;
                self.ready.push(r);
            }
            return;
        }
        match rec {
            Some(r) => {
                self.tls(seq);
                self.waiting.insert(seq, Box::new(r));
            }
            None => {
                if let Some(slot) = self.queue.get_mut(&seq) {
                    slot.0 = State::NotTls;
                }
            }
        }
    }

    /// Gives ids to determined flows at the front of the queue and passes finished records
    /// that have an id to `out`. `now` is the current capture time (for the timeout); `None`
    /// at the end of an input, when every flow is determined.
    pub fn release(&mut self, now: Option<Timestamp>, out: &mut dyn FnMut(Negotiation)) {
        if self.report_order {
            for r in self.ready.drain(..) {
                out(r);
            }
            return;
        }
        while let Some(entry) = self.queue.first_entry() {
            let (state, ts) = *entry.get();
            let expired = now.is_some_and(|n| n.secs - ts.secs > UNDETERMINED_TIMEOUT_SECS);
            match state {
                State::Open if !expired => break,
                State::Open | State::NotTls => {
                    entry.remove();
                }
                State::Tls => {
                    let seq = *entry.key();
                    entry.remove();
                    self.next_id += 1;
                    self.ids.insert(seq, self.next_id);
                }
            }
        }
        let ready: Vec<u64> = self
            .waiting
            .keys()
            .copied()
            .filter(|s| self.ids.contains_key(s))
            .collect();
        for seq in ready {
            if let (Some(mut r), Some(id)) = (self.waiting.remove(&seq), self.ids.remove(&seq)) {
                r.id = id;
                out(*r);
            }
        }
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

    #[test]
    fn ids_follow_first_packet_order_even_when_flows_finish_out_of_order() {
        let mut o = Orderer::default();
        let mut got = Vec::new();
        o.open(0, ts(0));
        o.open(1, ts(0));
        o.open(2, ts(0));
        o.tls(0);
        o.finish(2, Some(rec()));
        o.release(Some(ts(1)), &mut |r| got.push(r.id));
        // Flow 1 is undetermined: flow 2's id is not known yet.
        assert!(got.is_empty());
        o.finish(1, None);
        o.release(Some(ts(1)), &mut |r| got.push(r.id));
        assert_eq!(got, vec![2]);
        o.finish(0, Some(rec()));
        o.release(None, &mut |r| got.push(r.id));
        assert_eq!(got, vec![2, 1]);
    }

    #[test]
    fn report_order_releases_at_once_and_numbers_in_that_order() {
        let mut o = Orderer::in_report_order();
        let mut got = Vec::new();
        o.open(0, ts(0));
        o.open(1, ts(0));
        o.tls(0);
        o.finish(1, Some(rec()));
        // Flow 0 is still open: flow 1 goes out anyway, with id 1.
        o.release(Some(ts(0)), &mut |r| got.push(r.id));
        assert_eq!(got, vec![1]);
        o.finish(0, Some(rec()));
        o.release(Some(ts(0)), &mut |r| got.push(r.id));
        assert_eq!(got, vec![1, 2]);
    }

    #[test]
    fn a_silent_flow_stops_holding_back_after_the_timeout() {
        let mut o = Orderer::default();
        let mut got = Vec::new();
        o.open(0, ts(0));
        o.open(1, ts(1));
        o.finish(1, Some(rec()));
        o.release(Some(ts(5)), &mut |r| got.push(r.id));
        assert!(got.is_empty());
        o.release(Some(ts(20)), &mut |r| got.push(r.id));
        assert_eq!(got, vec![1]);
        // The silent flow turns out to be TLS later: it gets the next id.
        o.tls(0);
        o.finish(0, Some(rec()));
        o.release(Some(ts(21)), &mut |r| got.push(r.id));
        assert_eq!(got, vec![1, 2]);
    }
}
