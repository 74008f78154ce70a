//! Streaming pcap / pcapng (optionally gzip-compressed) reading with pcap-parser's parsers.
//!
//! Owns the block loop: a fixed-size buffer of shared chunks (`BUFFER_SIZE`, or windows of
//! [`mapped::WINDOW`] of a mapped file, grown at most to `MAX_BLOCK`; see [`super::chunk`]), the
//! refill / grow / skip decisions, frame numbering, per-interface link types and timestamps, and
//! every note about an imperfect file (truncation, corrupt or oversized blocks, odd lengths).
//! Memory does not grow with the file: one buffer, one interface table per section.
//!
//! It must not decode frames, and must not print.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

use super::chunk::{record_parser, Chunk, ChunkReader, Mapping, Origin, ParseRecord};
use super::detect::{self, Magic};
use super::inflate::{InflatedReader, Stepped};
use super::ng::{IdbProblem, Interface, Section};
use super::{io_reason, mapped, CaptureError, Frame, LinkType};
use crate::record::{InputInfo, Timestamp};
use pcap_parser::traits::PcapNGPacketBlock;
use pcap_parser::{Block, LegacyPcapBlock, PcapBlockOwned, PcapError};
use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Cursor, Read};
use std::ops::ControlFlow;
use std::rc::Rc;

/// Size of the read buffer, and of each chunk of it (see [`super::chunk`]): it holds a frame of
/// the largest common snaplen (262,144 bytes) less its 16-byte record header; a larger block
/// grows it. Smaller than the 1 MiB it was: the kernel copies each read into it, and a quarter
/// of the core's 2 MiB L2 cache leaves the flows' state there (`-j 1`, median of six
/// interleaved runs on the benchmark capture: 1.78 s with 1 MiB, 1.71 s with 256 KiB, 1.71 s
/// with 128 KiB).
pub const BUFFER_SIZE: usize = 1 << 18;

/// Largest block or record the buffer may grow to hold. A pcapng block larger than this is
/// skipped with a note; a pcap record claiming more is taken as corruption and ends the read.
pub const MAX_BLOCK: usize = 8 << 20;

/// Notes written per input before the rest are only counted.
const MAX_NOTES: usize = 20;

const SHB_TYPE: u32 = 0x0a0d_0d0a;
const EPB_TYPE: u32 = 6;
const SPB_TYPE: u32 = 3;
const PB_TYPE: u32 = 2;

/// What [`read_stream`] reads.
pub(crate) enum Opened {
    /// Any stream (stdin, a test's bytes).
    Stream(Box<dyn Read>),
    /// A file, read as `how` says.
    File { file: File, how: super::ReadOptions },
}

/// The file to map, ready: its first window mapped (`capacity` bytes or the whole file if
/// shorter). `None` when it cannot be (an empty file, a file system that cannot map): it is
/// then read.
fn map_first(
    file: File,
    capacity: usize,
    error_slot: &Rc<RefCell<Option<io::Error>>>,
) -> Option<Mapping> {
    let len = file.metadata().ok()?.len().min(capacity as u64) as usize;
    if len == 0 {
        return None;
    }
    let first = mapped::map(&file, 0, len).ok()?;
    Some(Mapping::new(file, first, error_slot))
}

/// Where the blocks come from, and the size of the chunks or windows, at least `at_least` bytes
/// (a whole first block): the file mapped when there is one to map and it maps, else `head`
/// followed by the rest of `reader`, read.
fn origin(
    to_map: Option<File>,
    head: Vec<u8>,
    reader: Box<dyn Read>,
    at_least: usize,
    error_slot: &Rc<RefCell<Option<io::Error>>>,
) -> (usize, Origin<Source>) {
    let window = mapped::WINDOW.max(at_least);
    if let Some(m) = to_map.and_then(|f| map_first(f, window, error_slot)) {
        return (window, Origin::Map(m));
    }
    let rest = Box::new(Cursor::new(head).chain(reader));
    (
        BUFFER_SIZE.max(at_least),
        Origin::Read(Source::new(rest, error_slot)),
    )
}

/// Reads `input` to the end, as described on [`super::read_capture`].
pub(crate) fn read_stream(
    input: Opened,
    info: &mut InputInfo,
    on_frame: &mut dyn FnMut(&Frame<'_>) -> ControlFlow<()>,
) -> Result<(), CaptureError> {
    // A file is read through a second handle for the format's detection and, when it is not
    // mapped or inflated apart after all, for the rest (the two share the file's offset).
    let (mut reader, mut own, how): (Box<dyn Read>, Option<File>, _) = match input {
        Opened::Stream(r) => (r, None, super::ReadOptions::default()),
        Opened::File { file, how } => match file.try_clone() {
            Ok(clone) => (Box::new(clone), Some(file), how),
            Err(_) => (Box::new(file), None, how),
        },
    };
    let mut head = read_head(&mut reader, 24).map_err(|io| CaptureError::Read {
        reason: io_reason(&io),
        io,
    })?;
    if head.is_empty() {
        return Err(CaptureError::Empty { gzip: false });
    }
    let mut gzip = false;
    let mut magic = detect::sniff(&head);
    if magic == Magic::Gzip {
        gzip = true;
        // Inflated apart or in place, the same bytes come out (see `inflate.rs`).
        let apart = own
            .take()
            .filter(|_| how.inflate_apart)
            .and_then(|file| InflatedReader::spawn(Cursor::new(head.clone()).chain(file)).ok());
        reader = match apart {
            Some(r) => Box::new(r),
            None => Box::new(Stepped::new(Cursor::new(head).chain(reader))),
        };
        head = read_head(&mut reader, 24).map_err(|io| CaptureError::Read {
            reason: format!("corrupt gzip data: {}", io_reason(&io)),
            io,
        })?;
        if head.is_empty() {
            return Err(CaptureError::Empty { gzip: true });
        }
        magic = detect::sniff(&head);
    }
    let to_map = own.filter(|_| how.map);
    let gz = if gzip { ".gz" } else { "" };
    let error_slot = Rc::new(RefCell::new(None));
    match magic {
        Magic::Gzip | Magic::Other => Err(CaptureError::NotCapture {
            found: detect::describe(&head, gzip),
        }),
        Magic::Pcap {
            big_endian,
            nanos,
            modified,
        } => {
            if head.len() < 24 {
                return Err(CaptureError::BadHeader {
                    format: format!("pcap{gz}"),
                    reason: format!("file ends after {} of 24 header bytes", head.len()),
                });
            }
            // As libpcap: only versions 2.0 to 2.4 are pcap (2.4 since 1998). Anything else
            // is not a pcap file with a lucky magic number, or its header is damaged, and its
            // records cannot be trusted.
            let (major, minor) = (
                u16_at(&head, 4, big_endian).unwrap_or(0),
                u16_at(&head, 6, big_endian).unwrap_or(0),
            );
            if major != 2 || minor > 4 {
                return Err(CaptureError::BadHeader {
                    format: format!("pcap{gz}"),
                    reason: format!("version {major}.{minor} (pcap is 2.0 to 2.4)"),
                });
            }
            let (capacity, origin) = origin(to_map, head, reader, 0, &error_slot);
            let mut r =
                ChunkReader::legacy(capacity, origin).map_err(|e| CaptureError::BadHeader {
                    format: format!("pcap{gz}"),
                    reason: e.to_string(),
                })?;
            info.format = Some(format!("pcap{gz}"));
            let kind = Kind::Legacy {
                big_endian,
                nanos,
                modified,
                link: LinkType(0),
                snaplen: 0,
                parse: None,
            };
            let mut d = Driver::new(info, kind, error_slot);
            d.capacity = capacity;
            d.run(&mut r, on_frame);
            d.finish();
            Ok(())
        }
        Magic::PcapNg => {
            let format = format!("pcapng{gz} section");
            let (head, big_endian) = read_shb(&mut reader, head, &format)?;
            let at_least = head.len().saturating_add(4096);
            let (capacity, origin) = origin(to_map, head, reader, at_least, &error_slot);
            let mut r = ChunkReader::ng(capacity, origin).map_err(|e| CaptureError::BadHeader {
                format,
                reason: describe_pcap_error(&e),
            })?;
            info.format = Some(format!("pcapng{gz}"));
            let kind = Kind::Ng(Section {
                big_endian,
                ..Section::default()
            });
            let mut d = Driver::new(info, kind, error_slot);
            d.capacity = capacity;
            d.run(&mut r, on_frame);
            d.finish();
            Ok(())
        }
    }
}

/// Reads up to `n` bytes (fewer only at end of input).
fn read_head(r: &mut dyn Read, n: usize) -> io::Result<Vec<u8>> {
    let mut v = Vec::with_capacity(n);
    r.take(n as u64).read_to_end(&mut v)?;
    Ok(v)
}

/// Completes `head` to the whole first Section Header Block, so that pcap-parser's reader (which
/// checks the SHB in its first `read`) sees all of it; returns it and the section's byte order.
fn read_shb(
    reader: &mut Box<dyn Read>,
    mut head: Vec<u8>,
    format: &str,
) -> Result<(Vec<u8>, bool), CaptureError> {
    let bad = |reason: String| CaptureError::BadHeader {
        format: format.to_string(),
        reason,
    };
    let (Some(bom), Some(len)) = (head.get(8..12), head.get(4..8)) else {
        return Err(bad(format!(
            "file ends after {} of 28 header bytes",
            head.len()
        )));
    };
    let big_endian = match bom {
        [0x1a, 0x2b, 0x3c, 0x4d] => true,
        [0x4d, 0x3c, 0x2b, 0x1a] => false,
        _ => {
            return Err(bad(format!(
                "byte-order magic is {:02x} {:02x} {:02x} {:02x}, not 1a 2b 3c 4d",
                bom.first().unwrap_or(&0),
                bom.get(1).unwrap_or(&0),
                bom.get(2).unwrap_or(&0),
                bom.get(3).unwrap_or(&0)
            )))
        }
    };
    let len = u32_at(len, 0, big_endian).unwrap_or(0) as usize;
    if len < 28 {
        return Err(bad(format!("block length {len} is too short")));
    }
    if len > MAX_BLOCK {
        return Err(bad(format!(
            "block length {len} is over the {} MiB limit",
            MAX_BLOCK >> 20
        )));
    }
    if head.len() < len {
        let more = read_head(reader, len - head.len()).map_err(|io| CaptureError::Read {
            reason: io_reason(&io),
            io,
        })?;
        head.extend_from_slice(&more);
    }
    if head.len() < len {
        return Err(bad(format!(
            "file ends after {} of {len} header bytes",
            head.len()
        )));
    }
    Ok((head, big_endian))
}

/// "after frame N", or "before the first frame" when no frame was read yet.
fn after(n: u64) -> String {
    if n == 0 {
        "before the first frame".to_string()
    } else {
        format!("after frame {n}")
    }
}

/// `noun` with its indefinite article ("an enhanced packet block", "a block of type …").
fn a(noun: &str) -> String {
    let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {noun}")
}

fn u32_at(b: &[u8], at: usize, big_endian: bool) -> Option<u32> {
    let a: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(if big_endian {
        u32::from_be_bytes(a)
    } else {
        u32::from_le_bytes(a)
    })
}

fn u16_at(b: &[u8], at: usize, big_endian: bool) -> Option<u16> {
    let a: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(if big_endian {
        u16::from_be_bytes(a)
    } else {
        u16::from_le_bytes(a)
    })
}

fn describe_pcap_error<I>(e: &PcapError<I>) -> String {
    match e {
        PcapError::NomError(_, k) | PcapError::OwnedNomError(_, k) => {
            format!("pcap-parser rejected it ({k:?})")
        }
        PcapError::Incomplete(_) | PcapError::UnexpectedEof => "file ends inside it".to_string(),
        PcapError::HeaderNotRecognized => "header not recognized".to_string(),
        PcapError::BufferTooSmall => "block too large".to_string(),
        PcapError::ReadError => "read error".to_string(),
        PcapError::Eof => "end of file".to_string(),
    }
}

/// The byte source handed to pcap-parser: retries interrupted reads, and keeps the first I/O
/// error (pcap-parser would turn it into a bare `ReadError`) so it can become a note; after an
/// error it reports end of input.
struct Source {
    inner: Box<dyn Read>,
    error: Rc<RefCell<Option<io::Error>>>,
    failed: bool,
}

impl Source {
    fn new(inner: Box<dyn Read>, slot: &Rc<RefCell<Option<io::Error>>>) -> Self {
        Source {
            inner,
            error: Rc::clone(slot),
            failed: false,
        }
    }
}

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.failed {
            return Ok(0);
        }
        loop {
            match self.inner.read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.failed = true;
                    *self.error.borrow_mut() = Some(e);
                    return Ok(0);
                }
            }
        }
    }
}

/// The block reader over a file's bytes.
type Blocks = ChunkReader<Source>;

/// Per-format state.
enum Kind {
    Legacy {
        big_endian: bool,
        nanos: bool,
        modified: bool,
        link: LinkType,
        snaplen: u32,
        /// The record parser, once the file header has been read.
        parse: Option<ParseRecord>,
    },
    Ng(Section),
}

/// The size of the block or record at the start of the buffer, as far as its header tells.
#[derive(Debug, Clone, Copy)]
struct Unit {
    /// Bytes needed to know the total (the header length).
    header: usize,
    /// Total length, once the header is there.
    total: Option<usize>,
    /// pcapng block type (0 for pcap records).
    block_type: u32,
}

/// What the loop does next.
enum Next {
    Continue,
    Stop,
}

/// Counters of odd-but-readable things, turned into notes at the end.
#[derive(Default)]
struct Oddities {
    caplen_over_snaplen: u64,
    caplen_over_orig: u64,
    max_snaplen: u32,
    undefined_interface: u64,
    bad_tsresol: u64,
    bad_tsresol_value: u8,
}

struct Driver<'i> {
    info: &'i mut InputInfo,
    kind: Kind,
    error_slot: Rc<RefCell<Option<io::Error>>>,
    /// Number of the last frame delivered.
    number: u64,
    last_ts: Timestamp,
    capacity: usize,
    links: Vec<LinkType>,
    odd: Oddities,
    notes_written: usize,
    notes_dropped: u64,
}

impl<'i> Driver<'i> {
    fn new(
        info: &'i mut InputInfo,
        kind: Kind,
        error_slot: Rc<RefCell<Option<io::Error>>>,
    ) -> Self {
        Driver {
            info,
            kind,
            error_slot,
            number: 0,
            last_ts: Timestamp::default(),
            capacity: BUFFER_SIZE,
            links: Vec::new(),
            odd: Oddities::default(),
            notes_written: 0,
            notes_dropped: 0,
        }
    }

    fn note(&mut self, s: String) {
        if self.notes_written < MAX_NOTES {
            self.info.notes.push(s);
            self.notes_written += 1;
        } else {
            self.notes_dropped += 1;
        }
    }

    /// "frames 1–N read", for the end of a truncation or corruption note.
    fn frames_read(&self) -> String {
        match self.number {
            0 => "no frames read".to_string(),
            1 => "frame 1 read".to_string(),
            n => format!("frames 1–{n} read"),
        }
    }

    fn saw_link(&mut self, link: LinkType) {
        if !self.links.contains(&link) {
            self.links.push(link);
            let name = link.name();
            if !self.info.link_types.contains(&name) {
                self.info.link_types.push(name);
            }
        }
    }

    fn run(
        &mut self,
        reader: &mut Blocks,
        on_frame: &mut dyn FnMut(&Frame<'_>) -> ControlFlow<()>,
    ) {
        loop {
            if let Kind::Legacy {
                parse: Some(parse),
                nanos,
                link,
                snaplen,
                ..
            } = self.kind
            {
                // The pcap records already whole in the buffer are parsed here, with the parser
                // the reader's `next` would call, and consumed at once. Measured with callgrind
                // (120k records): the loop through `next` (its result, and the `PcapBlockOwned`
                // built and dropped around each parse) cost about 235 instructions a record,
                // this one about 105. The first record that does not parse (cut by the end of
                // the buffer, or corrupt) goes to `next` below, as before.
                let data = reader.data();
                let chunk = reader.chunk();
                let mut used = 0;
                let mut flow = ControlFlow::Continue(());
                while let Some(Ok((rest, b))) = data.get(used..).map(parse) {
                    used = data.len() - rest.len();
                    reader.prefetch(used);
                    flow = self.on_record(&b, nanos, link, snaplen, chunk, on_frame);
                    if flow.is_break() {
                        break;
                    }
                }
                reader.consume_noshift(used);
                if flow.is_break() {
                    return;
                }
            }
            let chunk = reader.chunk();
            let next = match reader.next() {
                Ok((offset, block)) => {
                    let flow = self.on_block(&block, chunk, on_frame);
                    Ok((offset, flow))
                }
                Err(PcapError::Eof) => return,
                Err(
                    PcapError::Incomplete(_)
                    | PcapError::BufferTooSmall
                    | PcapError::UnexpectedEof
                    | PcapError::ReadError,
                ) => Err(None),
                Err(e) => Err(Some(describe_pcap_error(&e))),
            };
            let step = match next {
                Ok((offset, flow)) => {
                    // `refill` moves only the partial block left when more bytes are needed
                    // (pcap-parser's `consume` moved the unread half of its buffer each time
                    // the read position passed the middle: every byte copied once more, 5%
                    // of a run).
                    reader.consume_noshift(offset);
                    if flow.is_break() {
                        return;
                    }
                    Next::Continue
                }
                Err(None) => self.need_more(reader),
                Err(Some(reason)) => self.corrupt(reader, &reason),
            };
            if let Next::Stop = step {
                return;
            }
        }
    }

    /// Reads the header of the block or record at the start of `data`.
    fn unit(&self, data: &[u8]) -> Unit {
        match &self.kind {
            Kind::Legacy {
                big_endian,
                modified,
                ..
            } => {
                let header = if *modified { 24 } else { 16 };
                let total = u32_at(data, 8, *big_endian)
                    .filter(|_| data.len() >= header)
                    .map(|caplen| header.saturating_add(caplen as usize));
                Unit {
                    header,
                    total,
                    block_type: 0,
                }
            }
            Kind::Ng(section) => {
                let block_type = u32_at(data, 0, section.big_endian).unwrap_or(0);
                if block_type == SHB_TYPE {
                    let be = match data.get(8..12) {
                        Some([0x1a, 0x2b, 0x3c, 0x4d]) => Some(true),
                        Some([0x4d, 0x3c, 0x2b, 0x1a]) => Some(false),
                        _ => None,
                    };
                    Unit {
                        header: 12,
                        total: be.and_then(|be| u32_at(data, 4, be)).map(|l| l as usize),
                        block_type,
                    }
                } else {
                    Unit {
                        header: 8,
                        total: u32_at(data, 4, section.big_endian).map(|l| l as usize),
                        block_type,
                    }
                }
            }
        }
    }

    fn is_packet_block(block_type: u32) -> bool {
        matches!(block_type, EPB_TYPE | SPB_TYPE | PB_TYPE)
    }

    fn block_name(block_type: u32) -> String {
        match block_type {
            SHB_TYPE => "section header block".to_string(),
            1 => "interface description block".to_string(),
            EPB_TYPE => "enhanced packet block".to_string(),
            SPB_TYPE => "simple packet block".to_string(),
            PB_TYPE => "packet block".to_string(),
            5 => "interface statistics block".to_string(),
            t => format!("block of type 0x{t:08x}"),
        }
    }

    /// The parser wants more bytes: refill, grow, skip an oversized block, or note a truncated
    /// file.
    fn need_more(&mut self, reader: &mut Blocks) -> Next {
        let avail = reader.data().len();
        let unit = self.unit(reader.data());
        let ng = matches!(self.kind, Kind::Ng(_));
        if let Some(total) = unit.total {
            if ng && total < 12 {
                let reason = format!("block length {total} is too short");
                return self.corrupt(reader, &reason);
            }
            if total > MAX_BLOCK {
                if !ng {
                    let caplen = total.saturating_sub(unit.header);
                    let n = self.number + 1;
                    let read = self.frames_read();
                    self.note(format!(
                        "frame {n} claims {caplen} captured bytes, over the {} MiB limit \
                         (corrupt record?); rest of file skipped; {read}",
                        MAX_BLOCK >> 20
                    ));
                    return Next::Stop;
                }
                return self.skip_large(reader, unit, total);
            }
            if avail >= total {
                // The whole block is there and the parser still wants more: its content is
                // inconsistent (e.g. an EPB whose caplen exceeds the block).
                let reason = self
                    .diagnose(reader.data(), unit)
                    .unwrap_or_else(|| "its content does not parse".to_string());
                return self.corrupt(reader, &reason);
            }
            if total >= self.capacity {
                let want = total.saturating_add(64 * 1024).min(MAX_BLOCK + 64 * 1024);
                if reader.grow(want) {
                    self.capacity = want;
                }
            }
        }
        let _ = reader.refill();
        let after = reader.data().len();
        if after > avail {
            return Next::Continue;
        }
        if after == 0 {
            return Next::Stop; // clean end of input between blocks
        }
        self.truncated(reader.data(), unit);
        Next::Stop
    }

    /// Writes the "file ends inside …" note.
    fn truncated(&mut self, data: &[u8], unit: Unit) {
        let have = data.len();
        let n = self.number + 1;
        let read = self.frames_read();
        // A read error (a gzip stream cut short, an I/O error) is why the data stops here: one
        // note says both, and `finish` does not repeat the error.
        let ends = match self.error_slot.borrow_mut().take() {
            Some(e) => format!("read error ({}) inside", io_reason(&e)),
            None => "file ends inside".to_string(),
        };
        let msg = match (&self.kind, unit.total) {
            (Kind::Legacy { .. }, None) => format!(
                "{ends} the record header of frame {n} ({have} of {} bytes); {read}",
                unit.header
            ),
            (Kind::Legacy { snaplen, .. }, Some(total)) => {
                let caplen = total.saturating_sub(unit.header);
                let hint = if *snaplen != 0 && caplen > *snaplen as usize {
                    format!(
                        "; more than the snaplen of {snaplen}, so its record header is \
                         probably corrupt"
                    )
                } else {
                    String::new()
                };
                format!(
                    "{ends} frame {n} ({} of {caplen} bytes{hint}); {read}",
                    have.saturating_sub(unit.header)
                )
            }
            (Kind::Ng(section), Some(total)) if unit.block_type == EPB_TYPE && have >= 28 => {
                let caplen = u32_at(data, 20, section.big_endian).unwrap_or(0);
                format!(
                    "{ends} frame {n} ({} of {caplen} bytes); {read}",
                    (have - 28).min(caplen as usize).min(total)
                )
            }
            (Kind::Ng(_), Some(total)) if Self::is_packet_block(unit.block_type) => {
                format!("{ends} frame {n} ({have} of {total} bytes of its block); {read}")
            }
            (Kind::Ng(_), Some(total)) => format!(
                "{ends} {} {} ({have} of {total} bytes); {read}",
                a(&Self::block_name(unit.block_type)),
                after(self.number)
            ),
            (Kind::Ng(_), None) => format!(
                "{ends} a block header {} ({have} of {} bytes); {read}",
                after(self.number),
                unit.header
            ),
        };
        self.note(msg);
    }

    /// Why a block did not parse, in words, when its header shows it; `None` when it does not.
    fn diagnose(&self, data: &[u8], unit: Unit) -> Option<String> {
        let Kind::Ng(section) = &self.kind else {
            return None;
        };
        let be = section.big_endian;
        let total = unit.total?;
        if total < 12 {
            return Some(format!("block length {total} is too short"));
        }
        if data.len() < total {
            return None;
        }
        let len2 = total
            .checked_sub(4)
            .and_then(|at| u32_at(data, at, be))
            .map(|l| l as usize);
        if len2 != Some(total) {
            return Some(format!(
                "block length {total} at its start does not match {} at its end",
                len2.unwrap_or(0)
            ));
        }
        if unit.block_type == EPB_TYPE {
            if total < 32 {
                return Some(format!(
                    "block length {total} is too short for a packet block"
                ));
            }
            let caplen = u32_at(data, 20, be).unwrap_or(0);
            return Some(format!(
                "packet block claims {caplen} captured bytes but holds {}",
                total - 32
            ));
        }
        None
    }

    /// A block that cannot be parsed: skip it when its framing is intact, else stop.
    fn corrupt(&mut self, reader: &mut Blocks, reason: &str) -> Next {
        let unit = self.unit(reader.data());
        let avail = reader.data().len();
        let n = self.number;
        let reason = match self.diagnose(reader.data(), unit) {
            Some(better) if reason.starts_with("pcap-parser") => better,
            _ => reason.to_string(),
        };
        if let (Kind::Ng(section), Some(total)) = (&self.kind, unit.total) {
            let be = section.big_endian;
            let intact = (12..=MAX_BLOCK).contains(&total)
                && avail >= total
                && unit.block_type != SHB_TYPE
                && total
                    .checked_sub(4)
                    .and_then(|at| u32_at(reader.data(), at, be))
                    .map(|l| l as usize)
                    == Some(total);
            if intact {
                let name = Self::block_name(unit.block_type);
                reader.consume_noshift(total);
                self.note(format!(
                    "corrupt {name} {}: {reason}; block skipped",
                    after(n)
                ));
                return Next::Continue;
            }
        }
        let what = match self.kind {
            Kind::Legacy { .. } => "record".to_string(),
            Kind::Ng(_) => Self::block_name(unit.block_type),
        };
        let read = self.frames_read();
        self.note(format!(
            "corrupt {what} {}: {reason}; rest of file skipped; {read}",
            after(n)
        ));
        Next::Stop
    }

    /// Skips a pcapng block larger than [`MAX_BLOCK`] without holding it.
    fn skip_large(&mut self, reader: &mut Blocks, unit: Unit, total: usize) -> Next {
        let name = Self::block_name(unit.block_type);
        let n = self.number;
        let mut left = total;
        loop {
            let chunk = left.min(reader.data().len());
            reader.consume_noshift(chunk);
            left -= chunk;
            if left == 0 {
                self.note(format!(
                    "{name} of {total} bytes {} skipped: over the {} MiB limit",
                    after(n),
                    MAX_BLOCK >> 20
                ));
                return Next::Continue;
            }
            let _ = reader.refill();
            if reader.data().is_empty() {
                let read = self.frames_read();
                self.note(format!(
                    "file ends inside {} of {total} bytes {} ({} bytes present); {read}",
                    a(&name),
                    after(n),
                    total - left
                ));
                return Next::Stop;
            }
        }
    }

    fn on_block(
        &mut self,
        block: &PcapBlockOwned<'_>,
        chunk: Option<&Chunk>,
        on_frame: &mut dyn FnMut(&Frame<'_>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        match block {
            PcapBlockOwned::LegacyHeader(h) => {
                let l = LinkType((h.network.0 as u32) & 0xffff);
                if let Kind::Legacy {
                    link,
                    snaplen,
                    parse,
                    ..
                } = &mut self.kind
                {
                    *link = l;
                    *snaplen = h.snaplen;
                    *parse = Some(record_parser(h));
                }
                self.saw_link(l);
                ControlFlow::Continue(())
            }
            PcapBlockOwned::Legacy(b) => {
                let Kind::Legacy {
                    nanos,
                    link,
                    snaplen,
                    ..
                } = self.kind
                else {
                    return ControlFlow::Continue(());
                };
                self.on_record(b, nanos, link, snaplen, chunk, on_frame)
            }
            PcapBlockOwned::NG(b) => self.on_ng_block(b, chunk, on_frame),
        }
    }

    /// A pcap record, in a file of link type `link` whose header gives `snaplen`.
    #[inline]
    fn on_record(
        &mut self,
        b: &LegacyPcapBlock<'_>,
        nanos: bool,
        link: LinkType,
        snaplen: u32,
        chunk: Option<&Chunk>,
        on_frame: &mut dyn FnMut(&Frame<'_>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let sub = if nanos {
            u64::from(b.ts_usec)
        } else {
            u64::from(b.ts_usec) * 1000
        };
        let secs = i64::from(b.ts_sec) + (sub / 1_000_000_000) as i64;
        let ts = Timestamp::new(secs, (sub % 1_000_000_000) as u32);
        if snaplen != 0 && b.caplen > snaplen {
            self.odd.caplen_over_snaplen += 1;
            self.odd.max_snaplen = snaplen;
        }
        self.deliver(ts, link, b.data, b.origlen, chunk, on_frame)
    }

    fn on_ng_block(
        &mut self,
        block: &Block<'_>,
        chunk: Option<&Chunk>,
        on_frame: &mut dyn FnMut(&Frame<'_>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let Kind::Ng(section) = &mut self.kind else {
            return ControlFlow::Continue(());
        };
        match block {
            Block::SectionHeader(shb) => {
                section.reset(shb.big_endian());
                ControlFlow::Continue(())
            }
            Block::InterfaceDescription(idb) => {
                let (iface, problem) = Interface::from_idb(idb, section.big_endian);
                let added = section.push(iface);
                if let Some(IdbProblem::BadTsresol(v)) = problem {
                    self.odd.bad_tsresol += 1;
                    self.odd.bad_tsresol_value = v;
                }
                if added {
                    self.saw_link(iface.link);
                }
                ControlFlow::Continue(())
            }
            Block::EnhancedPacket(epb) => {
                let Some(iface) = section.get(epb.if_id).copied() else {
                    self.odd.undefined_interface += 1;
                    return ControlFlow::Continue(());
                };
                if iface.snaplen != 0 && epb.caplen > iface.snaplen {
                    self.odd.caplen_over_snaplen += 1;
                    self.odd.max_snaplen = iface.snaplen;
                }
                let ts = iface.timestamp(epb.ts_high, epb.ts_low);
                self.deliver(
                    ts,
                    iface.link,
                    epb.packet_data(),
                    epb.origlen,
                    chunk,
                    on_frame,
                )
            }
            Block::SimplePacket(spb) => {
                let Some(iface) = section.get(0).copied() else {
                    self.odd.undefined_interface += 1;
                    return ControlFlow::Continue(());
                };
                let mut data = spb.packet_data();
                if iface.snaplen != 0 {
                    data = data.get(..iface.snaplen as usize).unwrap_or(data);
                }
                // An SPB has no timestamp: keep the previous frame's, so capture time never
                // jumps back to 1970 in the middle of a file.
                let ts = self.last_ts;
                self.deliver(ts, iface.link, data, spb.origlen, chunk, on_frame)
            }
            Block::Unknown(u)
                if u.block_type == PB_TYPE || u.block_type.swap_bytes() == PB_TYPE =>
            {
                // Obsolete Packet Block (pcapng draft), still written by old tools and read by
                // Wireshark: if_id u16, drops u16, ts_high, ts_low, caplen, origlen, data.
                let be = section.big_endian;
                let d = u.data;
                let (Some(if_id), Some(high), Some(low), Some(caplen), Some(origlen)) = (
                    u16_at(d, 0, be),
                    u32_at(d, 4, be),
                    u32_at(d, 8, be),
                    u32_at(d, 12, be),
                    u32_at(d, 16, be),
                ) else {
                    return ControlFlow::Continue(());
                };
                let Some(iface) = section.get(u32::from(if_id)).copied() else {
                    self.odd.undefined_interface += 1;
                    return ControlFlow::Continue(());
                };
                let body = d.get(20..).unwrap_or(&[]);
                let data = body.get(..caplen as usize).unwrap_or(body);
                let ts = iface.timestamp(high, low);
                self.deliver(ts, iface.link, data, origlen, chunk, on_frame)
            }
            _ => ControlFlow::Continue(()),
        }
    }

    fn deliver(
        &mut self,
        ts: Timestamp,
        link: LinkType,
        data: &[u8],
        orig_len: u32,
        chunk: Option<&Chunk>,
        on_frame: &mut dyn FnMut(&Frame<'_>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        self.number += 1;
        if data.len() as u64 > u64::from(orig_len) {
            self.odd.caplen_over_orig += 1;
        }
        self.info.packets += 1;
        self.info.bytes += data.len() as u64;
        if self.info.first_ts.is_none() {
            self.info.first_ts = Some(ts);
        }
        self.info.last_ts = Some(ts);
        self.last_ts = ts;
        let frame = Frame {
            number: self.number,
            ts,
            link,
            data,
            orig_len,
            chunk,
        };
        on_frame(&frame)
    }

    /// Turns the counters into notes (after the loop).
    fn finish(&mut self) {
        let o = std::mem::take(&mut self.odd);
        if o.caplen_over_snaplen > 0 {
            self.note(format!(
                "{} frame{} captured more bytes than the snaplen ({}); read anyway",
                o.caplen_over_snaplen,
                plural(o.caplen_over_snaplen),
                o.max_snaplen
            ));
        }
        if o.caplen_over_orig > 0 {
            self.note(format!(
                "{} frame{} captured more bytes than their original length; read anyway",
                o.caplen_over_orig,
                plural(o.caplen_over_orig)
            ));
        }
        if o.undefined_interface > 0 {
            self.note(format!(
                "{} packet block{} named an interface with no description block; skipped \
                 (not numbered)",
                o.undefined_interface,
                plural(o.undefined_interface)
            ));
        }
        if o.bad_tsresol > 0 {
            self.note(format!(
                "{} interface{} had an unusable if_tsresol (0x{:02x}); microseconds assumed",
                o.bad_tsresol,
                plural(o.bad_tsresol),
                o.bad_tsresol_value
            ));
        }
        if let Kind::Ng(section) = &self.kind {
            if section.dropped_interfaces > 0 {
                let d = section.dropped_interfaces;
                self.note(format!(
                    "{d} interface description block{} beyond the limit of {} per section \
                     ignored",
                    plural(d),
                    super::ng::MAX_INTERFACES
                ));
            }
        }
        let err = self.error_slot.borrow_mut().take();
        if let Some(e) = err {
            let read = self.frames_read();
            let n = self.number;
            self.note(format!(
                "read error {}: {}; rest of file skipped; {read}",
                after(n),
                io_reason(&e)
            ));
        }
        if self.notes_dropped > 0 {
            let d = self.notes_dropped;
            self.info
                .notes
                .push(format!("{d} more problem{} not listed", plural(d)));
        }
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
