//! A classic pcap writer (`--write-pcap`, tests, benches). Pure Rust: no libpcap needed.
//!
//! Writes the little-endian, microsecond-resolution format every tool reads (magic
//! `a1b2c3d4`, version 2.4) with one link type for the whole file. Nanoseconds are cut to
//! microseconds; times before 1970 or after 2106 are clamped to what the 32-bit seconds field
//! holds; frames longer than the file's snaplen are cut to it (their original length kept).

use super::{Frame, LinkType};
use std::io::{self, Write};

/// Writes frames to a pcap file.
pub struct PcapWriter<W: Write> {
    out: W,
    snaplen: u32,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header for frames of `link` cut at `snaplen` bytes (0 means 262144).
    pub fn new(mut out: W, link: LinkType, snaplen: u32) -> io::Result<Self> {
        let snaplen = if snaplen == 0 { 262_144 } else { snaplen };
        let mut h = Vec::with_capacity(24);
        h.extend(0xa1b2_c3d4_u32.to_le_bytes());
        h.extend(2u16.to_le_bytes());
        h.extend(4u16.to_le_bytes());
        h.extend(0i32.to_le_bytes()); // thiszone
        h.extend(0u32.to_le_bytes()); // sigfigs
        h.extend(snaplen.to_le_bytes());
        h.extend(link.0.to_le_bytes());
        out.write_all(&h)?;
        Ok(PcapWriter { out, snaplen })
    }

    /// Appends one frame (its link type is not checked against the file's).
    pub fn write(&mut self, f: &Frame<'_>) -> io::Result<()> {
        let secs = u32::try_from(f.ts.secs.max(0)).unwrap_or(u32::MAX);
        let usecs = f.ts.nanos / 1000;
        let cut = f.data.len().min(self.snaplen as usize);
        let data = f.data.get(..cut).unwrap_or(f.data);
        let incl = u32::try_from(data.len()).unwrap_or(u32::MAX);
        let orig = f.orig_len.max(incl);
        let mut h = [0u8; 16];
        for (dst, v) in h.chunks_exact_mut(4).zip([secs, usecs, incl, orig]) {
            dst.copy_from_slice(&v.to_le_bytes());
        }
        self.out.write_all(&h)?;
        self.out.write_all(data)
    }

    /// Flushes what is buffered below.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// The writer underneath.
    pub fn into_inner(self) -> W {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{InputInfo, Timestamp};

    #[test]
    fn a_written_file_reads_back_with_the_same_frames() {
        let frames = [
            (
                Timestamp::new(1_700_000_000, 123_456_789),
                b"first".to_vec(),
                5,
            ),
            (Timestamp::new(1_700_000_001, 0), vec![0xab; 300], 1500),
        ];
        let mut w = PcapWriter::new(Vec::new(), LinkType::LINUX_SLL, 200).unwrap();
        for (i, (ts, data, orig)) in frames.iter().enumerate() {
            w.write(&Frame {
                number: i as u64 + 1,
                ts: *ts,
                link: LinkType::LINUX_SLL,
                data,
                orig_len: *orig,
                chunk: None,
            })
            .unwrap();
        }
        let bytes = w.into_inner();
        assert_eq!(bytes.len(), 24 + 16 + 5 + 16 + 200);
        let mut got = Vec::new();
        let mut info = InputInfo::default();
        crate::capture::read_capture_from(
            Box::new(std::io::Cursor::new(bytes)),
            &mut info,
            &mut |f| got.push((f.number, f.ts, f.link, f.data.to_vec(), f.orig_len)),
        )
        .unwrap();
        assert_eq!(info.format.as_deref(), Some("pcap"));
        assert!(info.notes.is_empty(), "{:?}", info.notes);
        assert_eq!(
            got,
            vec![
                (
                    1,
                    Timestamp::new(1_700_000_000, 123_456_000),
                    LinkType::LINUX_SLL,
                    b"first".to_vec(),
                    5
                ),
                (
                    2,
                    Timestamp::new(1_700_000_001, 0),
                    LinkType::LINUX_SLL,
                    vec![0xab; 200],
                    1500
                ),
            ]
        );
    }
}
