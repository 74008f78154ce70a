//! pcapng section state: the interfaces of the current section (link type, snaplen, timestamp
//! units and offset) and the conversion of a 64-bit packet timestamp into a [`Timestamp`].
//!
//! Owns nothing but that table; it must not read blocks (that is `file.rs`).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

use super::LinkType;
use crate::compat::pcap_parser as compat;
use crate::record::Timestamp;
use pcap_parser::InterfaceDescriptionBlock;

/// Interfaces kept per section. More IDBs than this are counted and their packets skipped, so a
/// hostile file cannot grow the table without bound.
pub(crate) const MAX_INTERFACES: usize = 4096;

/// One Interface Description Block, as needed to read its packets.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Interface {
    pub link: LinkType,
    /// 0 means "no limit".
    pub snaplen: u32,
    /// Timestamp units per second (from `if_tsresol`; 10^6 by default).
    pub units: u64,
    /// Seconds added to every timestamp (`if_tsoffset`).
    pub offset: i64,
}

/// What went wrong with an IDB's options (the caller turns it into a note).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdbProblem {
    /// `if_tsresol` cannot be represented; microseconds assumed.
    BadTsresol(u8),
}

impl Interface {
    /// Reads what matters from an IDB of a section in the given byte order.
    pub fn from_idb(
        idb: &InterfaceDescriptionBlock<'_>,
        big_endian: bool,
    ) -> (Interface, Option<IdbProblem>) {
        let (units, problem) = match compat::ts_units_per_second(idb.if_tsresol) {
            Some(u) if u > 0 => (u, None),
            _ => (1_000_000, Some(IdbProblem::BadTsresol(idb.if_tsresol))),
        };
        let iface = Interface {
            link: LinkType(u32::from(idb.linktype.0 as u16)),
            snaplen: idb.snaplen,
            units,
            offset: compat::if_tsoffset(idb, big_endian),
        };
        (iface, problem)
    }

    /// The capture time of a packet stamped `(high << 32) | low` on this interface.
    pub fn timestamp(&self, high: u32, low: u32) -> Timestamp {
        let raw = (u64::from(high) << 32) | u64::from(low);
        let units = self.units.max(1);
        let whole = i64::try_from(raw / units).unwrap_or(i64::MAX);
        let frac = u128::from(raw % units);
        let nanos = (frac * 1_000_000_000 / u128::from(units)) as u32;
        Timestamp::new(whole.saturating_add(self.offset), nanos)
    }
}

/// The interfaces of the current section (cleared by each Section Header Block).
#[derive(Debug, Default)]
pub(crate) struct Section {
    pub big_endian: bool,
    pub interfaces: Vec<Interface>,
    /// IDBs beyond [`MAX_INTERFACES`] in this section.
    pub dropped_interfaces: u64,
}

impl Section {
    /// Starts a new section (keeps the table's allocation).
    pub fn reset(&mut self, big_endian: bool) {
        self.big_endian = big_endian;
        self.interfaces.clear();
    }

    /// Adds an interface; false when the table is full.
    pub fn push(&mut self, iface: Interface) -> bool {
        if self.interfaces.len() >= MAX_INTERFACES {
            self.dropped_interfaces += 1;
            return false;
        }
        self.interfaces.push(iface);
        true
    }

    /// Interface `id` of this section.
    pub fn get(&self, id: u32) -> Option<&Interface> {
        usize::try_from(id)
            .ok()
            .and_then(|i| self.interfaces.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iface(units: u64, offset: i64) -> Interface {
        Interface {
            link: LinkType::ETHERNET,
            snaplen: 0,
            units,
            offset,
        }
    }

    #[test]
    fn timestamps_in_each_resolution() {
        let raw: u64 = 1_700_000_000_123_456;
        let (h, l) = ((raw >> 32) as u32, raw as u32);
        assert_eq!(
            iface(1_000_000, 0).timestamp(h, l),
            Timestamp::new(1_700_000_000, 123_456_000)
        );
        let raw: u64 = 1_700_000_000_123_456_789;
        let (h, l) = ((raw >> 32) as u32, raw as u32);
        assert_eq!(
            iface(1_000_000_000, 0).timestamp(h, l),
            Timestamp::new(1_700_000_000, 123_456_789)
        );
        // 2^-10 s units: 1.5 s = 1536 units.
        assert_eq!(
            iface(1024, 0).timestamp(0, 1536),
            Timestamp::new(1, 500_000_000)
        );
        // if_tsoffset is added in seconds, and may be negative.
        assert_eq!(iface(1, 100).timestamp(0, 5), Timestamp::new(105, 0));
        assert_eq!(iface(1, -100).timestamp(0, 5), Timestamp::new(-95, 0));
        // Extreme values saturate instead of overflowing.
        let t = iface(1, i64::MAX).timestamp(u32::MAX, u32::MAX);
        assert_eq!(t.secs, i64::MAX);
    }
}
