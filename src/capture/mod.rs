//! Where frames come from: pcap, pcapng and gzip-compressed capture files (or stdin), and, with
//! the `live` feature, a network interface through libpcap ([`live`]). Also the pcap writer
//! ([`write`]) and the owned [`Batch`] that carries frames between threads.
//!
//! This module owns file-format detection, the streaming block reader (a fixed-size buffer, so
//! memory does not grow with the file), frame numbering as Wireshark counts it, per-interface link
//! types and timestamps, and the input's `InputInfo` (format, link types, counters, notes).
//!
//! It must not look inside a frame: it knows nothing of IP, TCP or TLS. It never prints: what a
//! user should know about an imperfect file becomes a note in `InputInfo::notes`; only a file that
//! cannot be read at all is a [`CaptureError`].
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod batch;
mod chunk;
mod detect;
mod file;
mod inflate;
#[cfg(feature = "live")]
pub mod live;
mod mapped;
mod ng;
pub mod write;

use crate::record::{InputInfo, Timestamp};
use std::fmt;
use std::io::Read;
use std::ops::ControlFlow;

pub use self::batch::Batch;
pub use self::chunk::Chunk;
pub use self::file::{BUFFER_SIZE, MAX_BLOCK};
pub(crate) use self::mapped::prefetch_all;
pub use self::mapped::WINDOW as MAP_WINDOW;

/// A link-layer type (pcap LINKTYPE_ value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback: a 4-byte address family in the writer's byte order.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet II (with 802.1Q/802.1ad tags, LLC/SNAP, PPPoE, MPLS inside).
    pub const ETHERNET: LinkType = LinkType(1);
    /// PPP (RFC 1661), with or without the HDLC address/control bytes.
    pub const PPP: LinkType = LinkType(9);
    /// DLT_RAW as written on most BSDs (raw IPv4/IPv6).
    pub const DLT_RAW_12: LinkType = LinkType(12);
    /// DLT_RAW as written on OpenBSD (raw IPv4/IPv6).
    pub const DLT_RAW_14: LinkType = LinkType(14);
    /// PPP in HDLC-like framing (RFC 1662).
    pub const PPP_HDLC: LinkType = LinkType(50);
    /// Raw IPv4 or IPv6, no link header.
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: a 4-byte big-endian address family.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux "cooked" capture v1 (16-byte header).
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4 only.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6 only.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux "cooked" capture v2 (20-byte header).
    pub const LINUX_SLL2: LinkType = LinkType(276);

    /// The name used in reports and JSON: "ethernet", "null", "loop", "raw", "ipv4", "ipv6",
    /// "linux_sll", "linux_sll2", "ppp", "ppp_hdlc", else "linktype_147".
    pub fn name(&self) -> String {
        match self.known_name() {
            Some(n) => n.to_string(),
            None => format!("linktype_{}", self.0),
        }
    }

    /// The name of a link type this crate knows, without allocating.
    pub fn known_name(&self) -> Option<&'static str> {
        Some(match *self {
            LinkType::NULL => "null",
            LinkType::ETHERNET => "ethernet",
            LinkType::PPP => "ppp",
            LinkType::DLT_RAW_12 | LinkType::DLT_RAW_14 | LinkType::RAW => "raw",
            LinkType::PPP_HDLC => "ppp_hdlc",
            LinkType::LOOP => "loop",
            LinkType::LINUX_SLL => "linux_sll",
            LinkType::IPV4 => "ipv4",
            LinkType::IPV6 => "ipv6",
            LinkType::LINUX_SLL2 => "linux_sll2",
            _ => return None,
        })
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.known_name() {
            Some(n) => f.write_str(n),
            None => write!(f, "linktype_{}", self.0),
        }
    }
}

/// A captured packet, borrowed from the reader's buffer.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// 1-based number in its file, counting every packet block over all sections, as Wireshark
    /// counts.
    pub number: u64,
    /// Capture time (interface resolution and `if_tsoffset` applied).
    pub ts: Timestamp,
    /// Link type of the interface that captured it.
    pub link: LinkType,
    /// The captured bytes (at most the snaplen; padding removed).
    pub data: &'a [u8],
    /// Length of the packet on the wire (`data.len() < orig_len` when cut by the snaplen).
    pub orig_len: u32,
    /// The shared chunk of the input `data` lies in, when there is one: a clone of it keeps
    /// the bytes (of this frame and its neighbours) after the callback has returned, without
    /// copying them.
    pub chunk: Option<&'a Chunk>,
}

/// Why an input could not be read at all. `Display` is the part after "tlsnoop: PATH: ".
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The file could not be opened.
    #[error("cannot open: {reason}")]
    Open {
        /// What the OS said, in words ("permission denied", "no such file or directory").
        reason: String,
        /// The underlying error (kept for callers; not chained into `Display`).
        io: std::io::Error,
    },
    /// Reading failed before the first block could be read.
    #[error("cannot read: {reason}")]
    Read {
        /// What went wrong, in words.
        reason: String,
        /// The underlying error.
        io: std::io::Error,
    },
    /// The input has no bytes at all.
    #[error("empty file{}", if *.gzip { " (gzip-compressed)" } else { "" })]
    Empty {
        /// True when the input was a gzip stream that decompressed to nothing.
        gzip: bool,
    },
    /// The first bytes are not a pcap, pcapng or gzip magic number.
    #[error("not a pcap or pcapng file ({})", .found)]
    NotCapture {
        /// "starts with 50 4b 03 04: a zip archive?" and the like.
        found: String,
    },
    /// The magic number is right but the file header is not usable.
    #[error("corrupt {format} header: {reason}")]
    BadHeader {
        /// "pcap", "pcapng section" (with ".gz" when compressed).
        format: String,
        /// What is wrong ("file ends after 10 of 24 header bytes").
        reason: String,
    },
}

/// Streams every frame of a capture to `on_frame`. `path` "-" means stdin. Detects pcap / pcapng /
/// gzip by magic bytes (not extension).
///
/// Fills `info.format` ("pcap", "pcapng", "pcap.gz", "pcapng.gz"), `info.link_types` (names, in
/// order first seen, deduplicated), `info.packets`, `info.bytes` (captured bytes),
/// `info.first_ts`, `info.last_ts`, and `info.notes`. `info.path` is left to the caller.
///
/// Returns `Err` only when the input cannot be read at all (cannot open, not a capture, bad
/// header). A file that ends inside a block or record, or has a corrupt block later on, is not an
/// error: it becomes a note in `info.notes` and the frames before it are delivered.
///
/// A regular file that is not compressed is mapped into memory window by window rather than
/// read (see [`read_capture_until`]).
pub fn read_capture(
    path: &str,
    info: &mut InputInfo,
    on_frame: &mut dyn FnMut(&Frame<'_>),
) -> Result<(), CaptureError> {
    read_capture_until(path, ReadOptions::MAPPED, info, &mut |f| {
        on_frame(f);
        ControlFlow::Continue(())
    })
}

/// Like [`read_capture`], over any reader (tests, stdin, an already opened file).
pub fn read_capture_from(
    reader: Box<dyn Read>,
    info: &mut InputInfo,
    on_frame: &mut dyn FnMut(&Frame<'_>),
) -> Result<(), CaptureError> {
    read_capture_from_until(reader, info, &mut |f| {
        on_frame(f);
        ControlFlow::Continue(())
    })
}

/// How [`read_capture_until`] reads a file (a stream is always read in place).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// A regular file that is not compressed is mapped into memory in windows instead of read
    /// into a buffer (faster; a file truncated by another process while it is read then ends
    /// the process with a message and status 1, on SIGBUS: see `capture/mapped.rs`); `false`
    /// for `read --no-mmap`.
    pub map: bool,
    /// A gzip-compressed file is inflated on a thread of its own, ahead of the frames (for runs
    /// with more than one thread: see `capture/inflate.rs`); the frames are the same.
    pub inflate_apart: bool,
}

impl ReadOptions {
    /// How `read` reads a file with one thread: mapped, a compressed one inflated in place.
    pub const MAPPED: ReadOptions = ReadOptions {
        map: true,
        inflate_apart: false,
    };
}

/// Like [`read_capture`], but `on_frame` may stop the read early by returning
/// `ControlFlow::Break(())` (for `--count`); no note is written for a stop asked for. `how`
/// says whether a file is mapped and whether it is inflated apart.
pub fn read_capture_until(
    path: &str,
    how: ReadOptions,
    info: &mut InputInfo,
    on_frame: &mut dyn FnMut(&Frame<'_>) -> ControlFlow<()>,
) -> Result<(), CaptureError> {
    let input = if path == "-" {
        file::Opened::Stream(Box::new(std::io::stdin()))
    } else {
        match std::fs::File::open(path) {
            Ok(f) => {
                if f.metadata().map(|m| m.is_dir()).unwrap_or(false) {
                    let io = std::io::Error::other("is a directory");
                    return Err(CaptureError::Open {
                        reason: "is a directory".to_string(),
                        io,
                    });
                }
                let how = ReadOptions {
                    map: how.map && f.metadata().is_ok_and(|m| m.is_file()),
                    ..how
                };
                file::Opened::File { file: f, how }
            }
            Err(io) => {
                return Err(CaptureError::Open {
                    reason: io_reason(&io),
                    io,
                })
            }
        }
    };
    file::read_stream(input, info, on_frame)
}

/// Like [`read_capture_from`], with the early stop of [`read_capture_until`].
pub fn read_capture_from_until(
    reader: Box<dyn Read>,
    info: &mut InputInfo,
    on_frame: &mut dyn FnMut(&Frame<'_>) -> ControlFlow<()>,
) -> Result<(), CaptureError> {
    file::read_stream(file::Opened::Stream(reader), info, on_frame)
}

/// An I/O error in words a person reads: "permission denied", without "(os error 13)".
pub(crate) fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound => "no such file or directory".to_string(),
        K::PermissionDenied => "permission denied".to_string(),
        K::IsADirectory => "is a directory".to_string(),
        K::UnexpectedEof => "unexpected end of data".to_string(),
        _ => {
            let s = e.to_string();
            // Strip the " (os error N)" suffix std adds, and lowercase the first letter.
            let s = match s.find(" (os error") {
                Some(i) => s.get(..i).unwrap_or(&s).to_string(),
                None => s,
            };
            let mut c = s.chars();
            match c.next() {
                Some(first) => first.to_lowercase().chain(c).collect(),
                None => "unknown I/O error".to_string(),
            }
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod testutil;
