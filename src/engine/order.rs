//! Output order and ids, settled in one place: flows are released in order of their first
//! packet, once no earlier-starting flow can still be pending, and numbered 1, 2, … as they go.

use crate::record::Negotiation;
use std::collections::BTreeMap;

enum Slot {
    Open,
    Done(Box<Negotiation>),
    Dropped,
}

/// Holds finished records until every earlier-starting flow is finished too.
#[derive(Default)]
pub struct Orderer {
    slots: BTreeMap<u64, Slot>,
    next_id: u64,
}

impl Orderer {
    /// Registers a new flow by its creation sequence number (increasing).
    pub fn open(&mut self, seq: u64) {
        self.slots.insert(seq, Slot::Open);
    }

    /// Marks a flow finished: with its record, or `None` when it is not reported (not TLS).
    pub fn finish(&mut self, seq: u64, rec: Option<Negotiation>) {
        let slot = match rec {
            Some(r) => Slot::Done(Box::new(r)),
            None => Slot::Dropped,
        };
        self.slots.insert(seq, slot);
    }

    /// Releases, in order, every record no open flow precedes; gives each its id.
    pub fn release(&mut self, out: &mut dyn FnMut(Negotiation)) {
        while let Some(entry) = self.slots.first_entry() {
            match entry.get() {
                Slot::Open => break,
                Slot::Dropped => {
                    entry.remove();
                }
                Slot::Done(_) => {
                    if let Slot::Done(mut r) = entry.remove() {
                        self.next_id += 1;
                        r.id = self.next_id;
                        out(*r);
                    }
                }
            }
        }
    }
}
