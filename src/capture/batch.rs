//! Owned batches of frames, to hand captured packets from a capture thread to the engine.
//!
//! A [`Batch`] is one byte buffer holding the packets back to back plus an index; it is cleared
//! and reused (sent back over a return channel), so a steady capture allocates nothing per
//! packet. Frames get their numbers when they are taken out ([`Batch::frames`]), so that frames
//! dropped before analysis leave no holes in the numbering.

use super::{Frame, LinkType};
use crate::record::Timestamp;

/// Where one frame of a batch is.
#[derive(Debug, Clone, Copy)]
struct Slot {
    ts: Timestamp,
    orig_len: u32,
    end: usize,
}

/// Captured frames of one link type, owned.
#[derive(Debug)]
pub struct Batch {
    link: LinkType,
    data: Vec<u8>,
    slots: Vec<Slot>,
}

impl Batch {
    /// An empty batch (allocates nothing until the first push).
    pub fn new(link: LinkType) -> Self {
        Batch {
            link,
            data: Vec::new(),
            slots: Vec::new(),
        }
    }

    /// Appends a frame: its capture time, its length on the wire and its captured bytes.
    pub fn push(&mut self, ts: Timestamp, orig_len: u32, data: &[u8]) {
        self.data.extend_from_slice(data);
        self.slots.push(Slot {
            ts,
            orig_len,
            end: self.data.len(),
        });
    }

    /// Frames in the batch.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// No frame in the batch.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Captured bytes held.
    pub fn bytes(&self) -> usize {
        self.data.len()
    }

    /// Link type of every frame in the batch.
    pub fn link(&self) -> LinkType {
        self.link
    }

    /// Empties the batch, keeping its buffers for reuse.
    pub fn clear(&mut self) {
        self.data.clear();
        self.slots.clear();
    }

    /// The frames in order, numbered from `first_number`.
    pub fn frames(&self, first_number: u64) -> impl Iterator<Item = Frame<'_>> + '_ {
        let mut start = 0;
        self.slots
            .iter()
            .zip(first_number..)
            .map(move |(s, number)| {
                let data = self.data.get(start..s.end).unwrap_or_default();
                start = s.end;
                Frame {
                    number,
                    ts: s.ts,
                    link: self.link,
                    data,
                    orig_len: s.orig_len,
                    chunk: None,
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_come_back_in_order_numbered_and_a_cleared_batch_is_reused() {
        let mut b = Batch::new(LinkType::ETHERNET);
        assert!(b.is_empty());
        b.push(Timestamp::new(1, 5), 3, b"abc");
        b.push(Timestamp::new(2, 0), 100, b"");
        b.push(Timestamp::new(3, 7), 2, b"de");
        assert_eq!((b.len(), b.bytes()), (3, 5));
        let got: Vec<(u64, i64, u32, Vec<u8>)> = b
            .frames(10)
            .map(|f| (f.number, f.ts.secs, f.orig_len, f.data.to_vec()))
            .collect();
        assert_eq!(
            got,
            vec![
                (10, 1, 3, b"abc".to_vec()),
                (11, 2, 100, vec![]),
                (12, 3, 2, b"de".to_vec())
            ]
        );
        assert!(b.frames(1).all(|f| f.link == LinkType::ETHERNET));
        b.clear();
        assert!(b.is_empty());
        assert_eq!(b.frames(1).count(), 0);
        b.push(Timestamp::new(4, 0), 1, b"z");
        assert_eq!(b.frames(1).next().map(|f| f.data), Some(&b"z"[..]));
    }
}
