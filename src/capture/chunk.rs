//! The file reader's buffer, in chunks that frames can be kept in after the reader has moved on.
//!
//! pcap-parser's `LegacyPcapReader` and `PcapNGReader` read into a `circular::Buffer` they own:
//! a frame borrowed from it is gone at the next refill, so a frame handed to another thread had
//! to be copied (with two threads that copy was the reading thread's largest cost after the
//! kernel's). [`ChunkReader`] is the same block loop (the same `next` / `consume_noshift` /
//! `refill` / `grow` contract, and pcap-parser's own parsers for every record and block) over a
//! buffer shared by reference count: a [`Chunk`] held by a batch keeps its bytes, and the reader
//! refills into another chunk, copying over only the partial block at the end. A chunk nobody
//! else holds is refilled in place, so a single-threaded run never switches.
//!
//! How many chunks are alive is bounded by whoever keeps them: the reader itself keeps at most
//! [`MAX_SPENT`] that it replaced, to reuse once they are free.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

use pcap_parser::nom::{self, Needed};
use pcap_parser::{
    parse_block_be, parse_block_le, parse_pcap_header, parse_sectionheaderblock, Block,
    LegacyPcapBlock, PcapBlockOwned, PcapError, PcapHeader,
};
use std::cell::Cell;
use std::collections::VecDeque;
use std::io::Read;
use std::ops::Deref;
use std::sync::Arc;

/// Chunks replaced while others still held them, kept to be reused once free.
const MAX_SPENT: usize = 64;

/// Part of the input as read, shared: the bytes of the frames read from it stay valid while a
/// clone is held (cloning counts a reference, it copies nothing).
#[derive(Debug, Clone)]
pub struct Chunk(Arc<Vec<u8>>);

impl Chunk {
    /// Whether `a` and `b` are the same chunk.
    pub fn same(a: &Chunk, b: &Chunk) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }

    /// Where `part` starts in this chunk, when it lies inside it.
    pub fn offset_of(&self, part: &[u8]) -> Option<usize> {
        // Addresses compared as numbers: no pointer is made from them.
        let base = self.0.as_ptr() as usize;
        let at = (part.as_ptr() as usize).checked_sub(base)?;
        (at.checked_add(part.len())? <= self.0.len()).then_some(at)
    }
}

impl From<Vec<u8>> for Chunk {
    fn from(bytes: Vec<u8>) -> Self {
        Chunk(Arc::new(bytes))
    }
}

impl Deref for Chunk {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// pcap-parser's parser of one pcap record.
pub(super) type ParseRecord =
    fn(&[u8]) -> nom::IResult<&[u8], LegacyPcapBlock<'_>, PcapError<&[u8]>>;

/// The record parser for a file with this header (the one pcap-parser's `LegacyPcapReader`
/// picks).
pub(super) fn record_parser(h: &PcapHeader) -> ParseRecord {
    if h.is_modified_format() {
        pcap_parser::parse_pcap_frame_modified
    } else if h.is_bigendian() {
        pcap_parser::parse_pcap_frame_be
    } else {
        pcap_parser::parse_pcap_frame
    }
}

/// What the blocks are.
enum Format {
    /// pcap: the file header (returned by the first `next`), then records.
    Legacy {
        header: PcapHeader,
        parse: ParseRecord,
    },
    /// pcapng, in the byte order of the current section (a `Cell`: a section header block
    /// read by `next` changes it, and `next` takes `&self` so that the chunk can be borrowed
    /// beside the block it returns).
    Ng { big_endian: Cell<bool> },
}

/// A streaming pcap or pcapng block reader over shared chunks (see the module documentation).
pub struct ChunkReader<R: Read> {
    format: Format,
    reader: R,
    /// The chunk read into; its length is the capacity.
    cur: Chunk,
    /// Unread bytes: `cur[start..end]`.
    start: usize,
    end: usize,
    consumed: usize,
    exhausted: bool,
    /// The size chunks are made with; a chunk grown past it is not shared ([`Self::chunk`]).
    standard: usize,
    spent: VecDeque<Arc<Vec<u8>>>,
}

impl<R: Read> ChunkReader<R> {
    /// A reader of `format` that has made its first read (one, as pcap-parser's readers do).
    fn first(
        format: Format,
        capacity: usize,
        mut reader: R,
    ) -> Result<Self, PcapError<&'static [u8]>> {
        let mut cur = vec![0; capacity];
        let n = reader.read(&mut cur).map_err(|_| PcapError::ReadError)?;
        Ok(ChunkReader {
            format,
            reader,
            cur: Chunk::from(cur),
            start: 0,
            end: n,
            consumed: 0,
            exhausted: false,
            standard: capacity,
            spent: VecDeque::new(),
        })
    }

    /// A pcap reader: reads the first bytes, which must hold the file header (as
    /// `LegacyPcapReader::new`).
    pub fn legacy(capacity: usize, reader: R) -> Result<Self, PcapError<&'static [u8]>> {
        let no_header = Format::Ng {
            big_endian: Cell::new(false),
        };
        let mut r = Self::first(no_header, capacity, reader)?;
        let header = match parse_pcap_header(r.data()) {
            Ok((_, h)) => h,
            Err(e) => return Err(owned(e)),
        };
        let parse = record_parser(&header);
        r.format = Format::Legacy { header, parse };
        Ok(r)
    }

    /// A pcapng reader: reads the first bytes, which must hold a valid section header block
    /// (as `PcapNGReader::new`); it is not consumed.
    pub fn ng(capacity: usize, reader: R) -> Result<Self, PcapError<&'static [u8]>> {
        let format = Format::Ng {
            big_endian: Cell::new(false),
        };
        let r = Self::first(format, capacity, reader)?;
        if let Err(e) = parse_sectionheaderblock(r.data()) {
            return Err(owned(e));
        }
        Ok(r)
    }

    /// The next block, and the bytes it takes; valid until `refill` or `grow`.
    pub fn next(&self) -> Result<(usize, PcapBlockOwned<'_>), PcapError<&[u8]>> {
        if let Format::Legacy { header, .. } = &self.format {
            if self.consumed == 0 {
                return Ok((header.size(), PcapBlockOwned::from(header.clone())));
            }
        }
        if self.start == self.end && self.exhausted {
            return Err(PcapError::Eof);
        }
        let available = self.end - self.start;
        let capacity = self.cur.len();
        let exhausted = self.exhausted;
        let data = self.cur.get(self.start..self.end).unwrap_or_default();
        let parsed = match &self.format {
            Format::Legacy { parse, .. } => parse(data).map(|(rest, b)| (rest, b.into())),
            Format::Ng { big_endian } => {
                let parse = if big_endian.get() {
                    parse_block_be
                } else {
                    parse_block_le
                };
                parse(data).map(|(rest, b)| {
                    if let Block::SectionHeader(shb) = &b {
                        big_endian.set(shb.big_endian());
                    }
                    (rest, b.into())
                })
            }
        };
        match parsed {
            Ok((rest, b)) => Ok((data.len() - rest.len(), b)),
            Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(e),
            Err(nom::Err::Incomplete(_)) if exhausted => Err(PcapError::UnexpectedEof),
            Err(nom::Err::Incomplete(Needed::Size(n))) => {
                if available + usize::from(n) >= capacity {
                    Err(PcapError::BufferTooSmall)
                } else {
                    Err(PcapError::Incomplete(n.into()))
                }
            }
            Err(nom::Err::Incomplete(Needed::Unknown)) => Err(PcapError::Incomplete(0)),
        }
    }

    /// The unread bytes.
    pub fn data(&self) -> &[u8] {
        self.cur.get(self.start..self.end).unwrap_or_default()
    }

    /// The chunk [`Self::data`] lies in, for whoever keeps frames by reference (a clone);
    /// `None` once the buffer has been grown for an oversized block (a chunk that large is not
    /// worth pinning).
    pub fn chunk(&self) -> Option<&Chunk> {
        (self.cur.len() == self.standard).then_some(&self.cur)
    }

    /// Consumes `n` bytes (the bytes stay where they are until `refill`).
    pub fn consume_noshift(&mut self, n: usize) {
        let n = n.min(self.end - self.start);
        self.start += n;
        self.consumed += n;
    }

    /// Moves the unread bytes to the start of a chunk of `capacity` bytes nobody else holds:
    /// this one if it is free, else a spent one that has become free, else a new one.
    fn make_room(&mut self, capacity: usize) {
        let unread = self.end - self.start;
        if let Some(buf) = Arc::get_mut(&mut self.cur.0).filter(|b| b.len() == capacity) {
            buf.copy_within(self.start..self.end, 0);
        } else {
            let free = self
                .spent
                .iter()
                .position(|c| Arc::strong_count(c) == 1 && c.len() == capacity);
            let mut next = match free.and_then(|i| self.spent.remove(i)) {
                Some(c) => c,
                None => Arc::new(vec![0; capacity]),
            };
            if let (Some(to), Some(from)) = (
                Arc::get_mut(&mut next).and_then(|b| b.get_mut(..unread)),
                self.cur.get(self.start..self.end),
            ) {
                to.copy_from_slice(from);
            }
            let old = std::mem::replace(&mut self.cur.0, next);
            if Arc::strong_count(&old) > 1 && old.len() == self.standard {
                if self.spent.len() >= MAX_SPENT {
                    self.spent.pop_front();
                }
                self.spent.push_back(old);
            }
        }
        self.start = 0;
        self.end = unread;
    }

    /// Reads more bytes after the unread ones (one read; none once the input has ended).
    pub fn refill(&mut self) -> Result<(), PcapError<&[u8]>> {
        if self.start > 0 || Arc::strong_count(&self.cur.0) > 1 {
            self.make_room(self.cur.len());
        }
        let Some(space) = Arc::get_mut(&mut self.cur.0).and_then(|b| b.get_mut(self.end..)) else {
            return Ok(());
        };
        if space.is_empty() {
            return Ok(());
        }
        let n = self.reader.read(space).map_err(|_| PcapError::ReadError)?;
        self.exhausted = n == 0;
        self.end += n;
        Ok(())
    }

    /// Grows the buffer to `capacity` bytes (never shrinks it). Returns whether it did.
    pub fn grow(&mut self, capacity: usize) -> bool {
        if capacity <= self.cur.len() {
            return false;
        }
        self.make_room(capacity);
        true
    }
}

/// A parse error of the first bytes, made independent of them.
fn owned(e: nom::Err<PcapError<&[u8]>>) -> PcapError<&'static [u8]> {
    match e {
        nom::Err::Error(e) | nom::Err::Failure(e) => e.to_owned_vec(),
        nom::Err::Incomplete(Needed::Size(n)) => PcapError::Incomplete(n.into()),
        nom::Err::Incomplete(Needed::Unknown) => PcapError::Incomplete(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A little-endian pcap file of `n` records, record `i` being 700 bytes of `i as u8`.
    fn pcap(n: usize) -> Vec<u8> {
        let mut f = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
        f.extend_from_slice(&[0; 8]);
        f.extend_from_slice(&65535u32.to_le_bytes());
        f.extend_from_slice(&1u32.to_le_bytes());
        for i in 0..n {
            f.extend_from_slice(&(i as u32).to_le_bytes());
            f.extend_from_slice(&0u32.to_le_bytes());
            f.extend_from_slice(&700u32.to_le_bytes());
            f.extend_from_slice(&700u32.to_le_bytes());
            f.extend(std::iter::repeat_n(i as u8, 700));
        }
        f
    }

    /// Reads every record, calling `each` with the chunk it is in and its bytes.
    fn read_all(file: Vec<u8>, capacity: usize, mut each: impl FnMut(Chunk, &[u8])) -> usize {
        let mut r = ChunkReader::legacy(capacity, Cursor::new(file)).unwrap();
        let mut records = 0;
        loop {
            let chunk = r.chunk().unwrap();
            // The bytes the block took, or none when more must be read.
            let used = match r.next() {
                Ok((n, PcapBlockOwned::Legacy(b))) => {
                    each(chunk.clone(), b.data);
                    records += 1;
                    Some(n)
                }
                Ok((n, _)) => Some(n),
                Err(PcapError::Eof) => return records,
                Err(PcapError::Incomplete(_)) => None,
                Err(e) => panic!("{e:?}"),
            };
            match used {
                Some(n) => r.consume_noshift(n),
                None => r.refill().unwrap(),
            }
        }
    }

    #[test]
    fn a_kept_chunk_keeps_its_frames_while_the_reader_reads_on_in_others() {
        // 300 records of 716 bytes through chunks of 8 KiB: about 27 refills.
        let mut kept = Vec::new();
        let n = read_all(pcap(300), 8192, |c, data| {
            let at = c.offset_of(data).unwrap();
            kept.push((c, at, data.len()));
        });
        assert_eq!(n, 300);
        for (i, (c, at, len)) in kept.iter().enumerate() {
            assert_eq!(*len, 700);
            assert!(c[*at..at + len].iter().all(|&b| b == i as u8), "record {i}");
        }
        let switches = kept.windows(2).filter(|w| !Chunk::same(&w[0].0, &w[1].0));
        assert!(switches.count() >= 20);
    }

    #[test]
    fn a_chunk_nobody_keeps_is_refilled_in_place() {
        // Where each record's chunk is, not the chunk: holding one would make the reader switch
        // (and a switch allocates the next chunk before the last one is let go, at another
        // address).
        let mut bases = std::collections::BTreeSet::new();
        let n = read_all(pcap(300), 8192, |c, data| {
            assert!(c.offset_of(data).is_some());
            bases.insert(c.as_ptr() as usize);
        });
        assert_eq!(n, 300);
        assert_eq!(bases.len(), 1);
    }

    #[test]
    fn bytes_outside_a_chunk_have_no_offset_in_it() {
        let c = Chunk::from(vec![1; 64]);
        assert_eq!(c.offset_of(&c[10..20]), Some(10));
        assert_eq!(c.offset_of(&c[64..]), Some(64));
        let other = [1u8; 64];
        assert_eq!(c.offset_of(&other[..]), None);
    }
}
