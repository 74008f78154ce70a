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
//! A regular file is not read at all but mapped ([`Origin::Map`], see [`super::mapped`]): each
//! chunk is then a window of the file mapped from the first unread byte, so the partial block
//! at a window's end is the start of the next window and nothing is copied.
//!
//! How many chunks are alive is bounded by whoever keeps them: the reader itself keeps at most
//! [`MAX_SPENT`] read chunks that it replaced, to reuse once they are free.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

use super::mapped;
use pcap_parser::nom::{self, Needed};
use pcap_parser::{
    parse_block_be, parse_block_le, parse_pcap_header, parse_sectionheaderblock, Block,
    LegacyPcapBlock, PcapBlockOwned, PcapError, PcapHeader,
};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read};
use std::ops::Deref;
use std::rc::Rc;
use std::sync::Arc;

/// Chunks replaced while others still held them, kept to be reused once free.
const MAX_SPENT: usize = 64;

/// Part of the input as read, shared: the bytes of the frames read from it stay valid while a
/// clone is held (cloning counts a reference, it copies nothing).
#[derive(Debug, Clone)]
pub struct Chunk(Arc<Bytes>);

/// What a chunk's bytes are in.
#[derive(Debug)]
enum Bytes {
    /// A buffer the input was read into.
    Read(Vec<u8>),
    /// A window of a file mapped into memory (see [`super::mapped`]).
    Mapped(memmap2::Mmap),
}

impl Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Read(v) => v,
            Bytes::Mapped(m) => m,
        }
    }
}

impl Chunk {
    /// Whether `a` and `b` are the same chunk.
    pub fn same(a: &Chunk, b: &Chunk) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }

    /// Where `part` starts in this chunk, when it lies inside it.
    pub fn offset_of(&self, part: &[u8]) -> Option<usize> {
        // Addresses compared as numbers: no pointer is made from them.
        let base = self.as_ptr() as usize;
        let at = (part.as_ptr() as usize).checked_sub(base)?;
        (at.checked_add(part.len())? <= self.len()).then_some(at)
    }

    /// The buffer to read into, when this is a read chunk nobody else holds.
    fn buffer(&mut self) -> Option<&mut Vec<u8>> {
        match Arc::get_mut(&mut self.0)? {
            Bytes::Read(v) => Some(v),
            Bytes::Mapped(_) => None,
        }
    }
}

impl From<Vec<u8>> for Chunk {
    fn from(bytes: Vec<u8>) -> Self {
        Chunk(Arc::new(Bytes::Read(bytes)))
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
    origin: Origin<R>,
    /// The chunk read into, or the window mapped.
    cur: Chunk,
    /// Unread bytes: `cur[start..end]`.
    start: usize,
    end: usize,
    consumed: usize,
    exhausted: bool,
    /// The size chunks are made with, or windows mapped with; a chunk grown past it is not
    /// shared ([`Self::chunk`]).
    standard: usize,
    /// The size of the current chunk or window: `standard`, or more once grown for a large
    /// block.
    capacity: usize,
    spent: VecDeque<Arc<Bytes>>,
    /// How far into a mapped window the CPU was asked to prefetch ([`Self::prefetch`]).
    fetched: Cell<usize>,
}

/// Where a [`ChunkReader`]'s bytes come from.
pub enum Origin<R> {
    /// Any reader, read into chunks.
    Read(R),
    /// A file, mapped in windows.
    Map(Mapping),
}

/// A file read by mapping windows of it (see [`super::mapped`]).
pub struct Mapping {
    file: File,
    /// The first window, until the reader takes it.
    first: Option<memmap2::Mmap>,
    /// File offset of the current window's first byte.
    base: u64,
    /// Where the first error of a later mapping (or of the file's length) is kept; the input
    /// ends there, as a read error ends a read.
    error: Rc<RefCell<Option<io::Error>>>,
    failed: bool,
}

impl Mapping {
    /// `file`, whose first window (from offset 0) is already mapped; errors go to `error`.
    pub fn new(file: File, first: memmap2::Mmap, error: &Rc<RefCell<Option<io::Error>>>) -> Self {
        Mapping {
            file,
            first: Some(first),
            base: 0,
            error: Rc::clone(error),
            failed: false,
        }
    }

    /// The window of at most `capacity` bytes from file offset `from`, when the file goes on
    /// past `have` bytes from there.
    fn window(&mut self, from: u64, have: usize, capacity: usize) -> Option<memmap2::Mmap> {
        if self.failed {
            return None;
        }
        let len = match self.file.metadata() {
            Ok(m) => m.len().saturating_sub(from).min(capacity as u64) as usize,
            Err(e) => return self.fail(e),
        };
        if len <= have {
            return None;
        }
        match super::mapped::map(&self.file, from, len) {
            Ok(w) => Some(w),
            Err(e) => self.fail(e),
        }
    }

    fn fail(&mut self, e: io::Error) -> Option<memmap2::Mmap> {
        self.failed = true;
        self.error.borrow_mut().get_or_insert(e);
        None
    }
}

impl<R: Read> ChunkReader<R> {
    /// A reader of `format` that has made its first read (one, as pcap-parser's readers do),
    /// or taken the first mapped window.
    fn first(
        format: Format,
        capacity: usize,
        mut origin: Origin<R>,
    ) -> Result<Self, PcapError<&'static [u8]>> {
        let (cur, end) = match &mut origin {
            Origin::Read(reader) => {
                let mut buf = vec![0; capacity];
                let n = reader.read(&mut buf).map_err(|_| PcapError::ReadError)?;
                (Chunk::from(buf), n)
            }
            Origin::Map(m) => match m.first.take() {
                Some(w) => {
                    let n = w.len();
                    (Chunk(Arc::new(Bytes::Mapped(w))), n)
                }
                None => (Chunk::from(Vec::new()), 0),
            },
        };
        Ok(ChunkReader {
            format,
            origin,
            cur,
            start: 0,
            end,
            consumed: 0,
            exhausted: false,
            standard: capacity,
            capacity,
            spent: VecDeque::new(),
            fetched: Cell::new(0),
        })
    }

    /// A pcap reader: reads the first bytes, which must hold the file header (as
    /// `LegacyPcapReader::new`).
    pub fn legacy(capacity: usize, origin: Origin<R>) -> Result<Self, PcapError<&'static [u8]>> {
        let no_header = Format::Ng {
            big_endian: Cell::new(false),
        };
        let mut r = Self::first(no_header, capacity, origin)?;
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
    pub fn ng(capacity: usize, origin: Origin<R>) -> Result<Self, PcapError<&'static [u8]>> {
        let format = Format::Ng {
            big_endian: Cell::new(false),
        };
        let r = Self::first(format, capacity, origin)?;
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
        let capacity = self.capacity;
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
        (self.capacity == self.standard).then_some(&self.cur)
    }

    /// Consumes `n` bytes (the bytes stay where they are until `refill`).
    pub fn consume_noshift(&mut self, n: usize) {
        let n = n.min(self.end - self.start);
        self.start += n;
        self.consumed += n;
        self.prefetch(0);
    }

    /// Asks the CPU to fetch a mapped window's bytes up to [`mapped::AHEAD`] past the unread
    /// byte `used` bytes on (a loop parsing blocks without consuming each one says how far it
    /// is). Read chunks need none: the kernel's copy into them has just brought them into the
    /// cache; a mapped page is read for the first time by the decoder, and without this a
    /// mapped `-j 1` run was no faster than one with read().
    pub fn prefetch(&self, used: usize) {
        if let Origin::Map(_) = self.origin {
            let mut from = self.fetched.get();
            mapped::prefetch(&self.cur, &mut from, self.start + used + mapped::AHEAD);
            self.fetched.set(from);
        }
    }

    /// Moves the unread bytes to the start of a read chunk of `capacity` bytes nobody else
    /// holds: this one if it is free, else a spent one that has become free, else a new one.
    fn make_room(&mut self, capacity: usize) {
        let (start, end) = (self.start, self.end);
        let unread = end - start;
        if let Some(buf) = self.cur.buffer().filter(|b| b.len() == capacity) {
            buf.copy_within(start..end, 0);
        } else {
            let free = self
                .spent
                .iter()
                .position(|c| Arc::strong_count(c) == 1 && c.len() == capacity);
            let mut next = match free.and_then(|i| self.spent.remove(i)) {
                Some(c) => Chunk(c),
                None => Chunk::from(vec![0; capacity]),
            };
            if let (Some(to), Some(from)) = (
                next.buffer().and_then(|b| b.get_mut(..unread)),
                self.cur.get(start..end),
            ) {
                to.copy_from_slice(from);
            }
            let old = std::mem::replace(&mut self.cur, next);
            if Arc::strong_count(&old.0) > 1 && old.len() == self.standard {
                if self.spent.len() >= MAX_SPENT {
                    self.spent.pop_front();
                }
                self.spent.push_back(old.0);
            }
        }
        self.start = 0;
        self.end = unread;
    }

    /// Reads more bytes after the unread ones (one read, or one window mapped from the first
    /// unread byte; none once the input has ended).
    pub fn refill(&mut self) -> Result<(), PcapError<&[u8]>> {
        if let Origin::Map(m) = &mut self.origin {
            let from = m.base + self.start as u64;
            match m.window(from, self.end - self.start, self.capacity) {
                Some(w) => {
                    m.base = from;
                    self.start = 0;
                    self.end = w.len();
                    self.cur = Chunk(Arc::new(Bytes::Mapped(w)));
                    self.fetched.set(0);
                }
                None => self.exhausted = true,
            }
            return Ok(());
        }
        if self.start > 0 || Arc::strong_count(&self.cur.0) > 1 {
            self.make_room(self.capacity);
        }
        let end = self.end;
        let (Origin::Read(reader), Some(space)) = (
            &mut self.origin,
            self.cur.buffer().and_then(|b| b.get_mut(end..)),
        ) else {
            return Ok(());
        };
        if space.is_empty() {
            return Ok(());
        }
        let n = reader.read(space).map_err(|_| PcapError::ReadError)?;
        self.exhausted = n == 0;
        self.end += n;
        Ok(())
    }

    /// Grows the buffer (or the windows mapped from now on) to `capacity` bytes (never shrinks
    /// it). Returns whether it did.
    pub fn grow(&mut self, capacity: usize) -> bool {
        if capacity <= self.capacity {
            return false;
        }
        self.capacity = capacity;
        if let Origin::Read(_) = self.origin {
            self.make_room(capacity);
        }
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
    use crate::capture::testutil::TempFile;
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
    fn read_all(file: Vec<u8>, capacity: usize, each: impl FnMut(Chunk, &[u8])) -> usize {
        let mut r = ChunkReader::legacy(capacity, Origin::Read(Cursor::new(file))).unwrap();
        read_on(&mut r, usize::MAX, each)
    }

    /// `bytes` in a file of its own, and a reader mapping it in windows of `window` bytes.
    fn mapped(bytes: &[u8], window: usize) -> (TempFile, ChunkReader<Cursor<Vec<u8>>>) {
        let path = TempFile::new(bytes);
        let file = File::open(&path.0).unwrap();
        let first = mapped::map(&file, 0, window.min(bytes.len())).unwrap();
        let slot = Rc::new(RefCell::new(None));
        let m = Mapping::new(file, first, &slot);
        (path, ChunkReader::legacy(window, Origin::Map(m)).unwrap())
    }

    /// Reads records from `r` until the input ends or `max` were read.
    fn read_on<R: Read>(
        r: &mut ChunkReader<R>,
        max: usize,
        mut each: impl FnMut(Chunk, &[u8]),
    ) -> usize {
        let mut records = 0;
        while records < max {
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
        records
    }

    #[test]
    fn a_mapped_file_is_read_window_by_window_and_a_kept_window_keeps_its_frames() {
        // 300 records of 716 bytes through windows of 8 KiB, each mapped from the first unread
        // byte (not page-aligned): about 27 windows, none copied.
        let (_file, mut r) = mapped(&pcap(300), 8192);
        let mut kept = Vec::new();
        let n = read_on(&mut r, usize::MAX, |c, data| {
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
    fn a_mapped_file_that_grows_while_it_is_read_is_read_to_its_new_end() {
        // As a file still being written: its length is read again before each window, as a
        // read() would find the new bytes.
        let all = pcap(200);
        let (file, mut r) = mapped(&all[..24 + 100 * 716], 8192);
        let mut seen = 0;
        let mut check = |_: Chunk, data: &[u8]| {
            assert!(data.iter().all(|&b| b == seen as u8), "record {seen}");
            seen += 1;
        };
        assert_eq!(read_on(&mut r, 50, &mut check), 50);
        std::fs::write(&file.0, &all).unwrap();
        assert_eq!(read_on(&mut r, usize::MAX, &mut check), 150);
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
