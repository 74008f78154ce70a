//! Tests of the capture layer on files built in code (see `testutil` for the writers).

use super::testutil::{gzip, pcap, NgWriter, TempFile};
use super::*;
use crate::record::{InputInfo, Timestamp};
use std::io::Read;

/// What one frame looked like, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Got {
    number: u64,
    ts: Timestamp,
    link: LinkType,
    data: Vec<u8>,
    orig_len: u32,
}

impl Got {
    fn of(f: &Frame<'_>) -> Got {
        Got {
            number: f.number,
            ts: f.ts,
            link: f.link,
            data: f.data.to_vec(),
            orig_len: f.orig_len,
        }
    }
}

/// Reads `bytes` as a stream, and as a file (mapped, or when compressed inflated on the
/// reading thread), and as a file again with the options of a run with several threads
/// (compressed: inflated on a thread of its own); checks that all three give the same frames,
/// notes and result.
fn read_bytes(bytes: Vec<u8>) -> (Result<(), CaptureError>, InputInfo, Vec<Got>) {
    let mapped = read_as_file(&bytes, ReadOptions::MAPPED);
    let apart = read_as_file(
        &bytes,
        ReadOptions {
            inflate_apart: true,
            ..ReadOptions::MAPPED
        },
    );
    let streamed = read_from(Box::new(std::io::Cursor::new(bytes)));
    for (how, got) in [("mapped", mapped), ("inflated apart", apart)] {
        assert_eq!(format!("{:?}", got.0), format!("{:?}", streamed.0), "{how}");
        assert_eq!(format!("{:?}", got.1), format!("{:?}", streamed.1), "{how}");
        assert_eq!(got.2, streamed.2, "{how}");
    }
    streamed
}

/// Writes `bytes` to a file of its own and reads it by path, as `how` says.
fn read_as_file(bytes: &[u8], how: ReadOptions) -> (Result<(), CaptureError>, InputInfo, Vec<Got>) {
    let file = TempFile::new(bytes);
    let mut info = InputInfo::default();
    let mut got = Vec::new();
    let res = read_capture_until(&file.0.to_string_lossy(), how, &mut info, &mut |f| {
        got.push(Got::of(f));
        ControlFlow::Continue(())
    });
    (res, info, got)
}

fn read_from(r: Box<dyn Read>) -> (Result<(), CaptureError>, InputInfo, Vec<Got>) {
    let mut info = InputInfo::default();
    let mut got = Vec::new();
    let res = read_capture_from(r, &mut info, &mut |f| got.push(Got::of(f)));
    (res, info, got)
}

fn err_text(bytes: Vec<u8>) -> String {
    match read_bytes(bytes).0 {
        Err(e) => e.to_string(),
        Ok(()) => panic!("expected an error"),
    }
}

/// Three records with distinct times and sizes.
fn three() -> Vec<(u32, u32, Vec<u8>, u32)> {
    vec![
        (1_700_000_000, 1, vec![0xaa; 60], 60),
        (1_700_000_001, 999_999, vec![0xbb; 100], 1514),
        (1_700_000_002, 500_000, vec![0xcc; 42], 42),
    ]
}

#[test]
fn pcap_little_endian_microseconds() {
    let (res, info, got) = read_bytes(pcap(false, false, 1, 65535, &three()));
    assert!(res.is_ok());
    assert_eq!(got.len(), 3);
    assert_eq!(
        got.first(),
        Some(&Got {
            number: 1,
            ts: Timestamp::new(1_700_000_000, 1_000),
            link: LinkType::ETHERNET,
            data: vec![0xaa; 60],
            orig_len: 60,
        })
    );
    assert_eq!(got[1].number, 2);
    assert_eq!(got[1].ts, Timestamp::new(1_700_000_001, 999_999_000));
    assert_eq!(got[1].orig_len, 1514);
    assert_eq!(got[2].number, 3);
    assert_eq!(got[2].ts, Timestamp::new(1_700_000_002, 500_000_000));
    assert_eq!(info.format.as_deref(), Some("pcap"));
    assert_eq!(info.link_types, vec!["ethernet".to_string()]);
    assert_eq!(info.packets, 3);
    assert_eq!(info.bytes, 202);
    assert_eq!(info.first_ts, Some(Timestamp::new(1_700_000_000, 1_000)));
    assert_eq!(
        info.last_ts,
        Some(Timestamp::new(1_700_000_002, 500_000_000))
    );
    assert_eq!(info.notes, Vec::<String>::new());
}

#[test]
fn pcap_big_endian_microseconds() {
    let (res, info, got) = read_bytes(pcap(true, false, 101, 65535, &three()));
    assert!(res.is_ok());
    let le = read_bytes(pcap(false, false, 101, 65535, &three())).2;
    assert_eq!(got, le);
    assert_eq!(got[1].ts, Timestamp::new(1_700_000_001, 999_999_000));
    assert_eq!(got[0].link, LinkType::RAW);
    assert_eq!(info.link_types, vec!["raw".to_string()]);
    assert!(info.notes.is_empty());
}

#[test]
fn pcap_nanoseconds_both_byte_orders() {
    let recs = vec![
        (1_700_000_000, 123_456_789, vec![1; 20], 20),
        (1_700_000_000, 999_999_999, vec![2; 20], 20),
    ];
    for be in [false, true] {
        let (res, info, got) = read_bytes(pcap(be, true, 1, 65535, &recs));
        assert!(res.is_ok());
        assert_eq!(got[0].ts, Timestamp::new(1_700_000_000, 123_456_789));
        assert_eq!(got[1].ts, Timestamp::new(1_700_000_000, 999_999_999));
        assert_eq!((got[0].number, got[1].number), (1, 2));
        assert_eq!(info.packets, 2);
    }
}

#[test]
fn pcap_link_type_field_ignores_fcs_bits() {
    // Bits 28-31 carry the FCS length (pcap spec); the link type is the low 16 bits.
    let (_, info, got) = read_bytes(pcap(false, false, 0x1000_0001, 0, &three()));
    assert_eq!(got[0].link, LinkType::ETHERNET);
    assert_eq!(info.link_types, vec!["ethernet"]);
}

#[test]
fn pcapng_two_interfaces_spb_and_two_sections() {
    let mut w = NgWriter::new(false);
    w.shb();
    w.idb(1, 65535, &[(9, vec![9])]); // Ethernet, nanoseconds
    w.idb(
        101,
        65535,
        &[(9, vec![0x80 | 20]), (14, 1000i64.to_le_bytes().to_vec())],
    ); // raw, 2^-20 s
    w.epb(0, 1_700_000_000_123_456_789, &[0x11; 60], 60);
    w.epb(1, 3 << 20 | 1 << 19, &[0x45; 40], 40); // 3.5 s in 2^-20 units, +1000 s offset
    w.isb(0);
    w.spb(&[0x22; 5], 5); // padded to 8 on disk; interface 0
    w.custom(&[1, 2, 3, 4, 5, 6, 7, 8]);
    let mut w2 = NgWriter::new(true);
    w2.shb();
    w2.idb(113, 0, &[(14, 50i64.to_be_bytes().to_vec())]); // linux_sll, µs default, offset 50 s
    w2.epb(0, 7_000_001, &[0x33; 30], 31);
    let mut bytes = w.into_bytes();
    bytes.extend(w2.into_bytes());

    let (res, info, got) = read_bytes(bytes);
    assert!(res.is_ok(), "{res:?}");
    assert_eq!(info.format.as_deref(), Some("pcapng"));
    assert_eq!(info.link_types, vec!["ethernet", "raw", "linux_sll"]);
    let numbers: Vec<u64> = got.iter().map(|g| g.number).collect();
    assert_eq!(numbers, vec![1, 2, 3, 4]);
    assert_eq!(got[0].link, LinkType::ETHERNET);
    assert_eq!(got[0].ts, Timestamp::new(1_700_000_000, 123_456_789));
    assert_eq!(got[1].link, LinkType::RAW);
    assert_eq!(got[1].ts, Timestamp::new(1003, 500_000_000));
    assert_eq!(
        got[2].data,
        vec![0x22; 5],
        "SPB trimmed to its original length"
    );
    assert_eq!(
        got[2].ts, got[1].ts,
        "SPB has no time: the previous frame's is kept"
    );
    assert_eq!(got[2].link, LinkType::ETHERNET);
    assert_eq!(got[3].link, LinkType::LINUX_SLL);
    assert_eq!(got[3].ts, Timestamp::new(57, 1_000));
    assert_eq!(got[3].orig_len, 31);
    assert_eq!(info.packets, 4);
    assert_eq!(info.bytes, 60 + 40 + 5 + 30);
    assert!(info.notes.is_empty(), "{:?}", info.notes);
}

#[test]
fn pcapng_obsolete_packet_block_is_read() {
    let mut w = NgWriter::new(false);
    w.shb();
    w.idb(1, 0, &[]);
    w.packet_block(0, 2_000_000, &[7; 14], 14);
    let (res, _, got) = read_bytes(w.into_bytes());
    assert!(res.is_ok());
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].ts, Timestamp::new(2, 0));
    assert_eq!(got[0].data, vec![7; 14]);
}

#[test]
fn gzip_pcap_and_pcapng() {
    let (res, info, got) = read_bytes(gzip(&pcap(false, false, 1, 65535, &three())));
    assert!(res.is_ok());
    assert_eq!(info.format.as_deref(), Some("pcap.gz"));
    assert_eq!(got.len(), 3);
    assert_eq!(got[2].data, vec![0xcc; 42]);

    let mut w = NgWriter::new(false);
    w.shb();
    w.idb(1, 0, &[]);
    w.epb(0, 5, &[1; 64], 64);
    let (res, info, got) = read_bytes(gzip(&w.into_bytes()));
    assert!(res.is_ok());
    assert_eq!(info.format.as_deref(), Some("pcapng.gz"));
    assert_eq!(got.len(), 1);
}

#[test]
fn gzip_with_several_members_is_read_whole() {
    let file = pcap(false, false, 1, 65535, &three());
    let (a, b) = file.split_at(24 + 16 + 60 + 7);
    let mut bytes = gzip(a);
    bytes.extend(gzip(b));
    let (res, info, got) = read_bytes(bytes);
    assert!(res.is_ok());
    assert_eq!(got.len(), 3);
    assert!(info.notes.is_empty(), "{:?}", info.notes);
}

/// A gzip stream corrupt in its middle: the frames before the corruption and the error are
/// the same inflated in place and apart (`read_bytes` compares them), whatever sizes the
/// reader asks for.
#[test]
fn corrupt_gzip_reads_the_same_in_place_and_apart() {
    let frames: Vec<_> = (0..400u32)
        .map(|i| (i, 0, (0..1000).map(|b| (b * 7 + i) as u8).collect(), 1000))
        .collect();
    let mut bytes = gzip(&pcap(false, false, 1, 65535, &frames));
    let mid = bytes.len() / 2;
    bytes[mid..mid + 32].fill(0xff);
    let (res, info, got) = read_bytes(bytes);
    assert!(res.is_ok());
    assert!(!got.is_empty() && got.len() < 400, "{} frames", got.len());
    assert_eq!(info.notes.len(), 1, "{:?}", info.notes);
    assert!(
        info.notes[0].starts_with("read error (corrupt deflate stream)"),
        "{:?}",
        info.notes
    );
    // The stream the pipeline fuzz target found inflating in a reader's 24-byte steps and
    // failing in 256 KiB ones: now it fails alike, at its first step.
    let found = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/fuzz-regressions/pipeline/gzip-corrupt-steps.pcap.gz");
    let (res, _, got) = read_bytes(std::fs::read(found).unwrap());
    assert!(got.is_empty());
    assert_eq!(
        res.map_err(|e| e.to_string()),
        Err("cannot read: corrupt gzip data: corrupt deflate stream".to_string())
    );
}

#[test]
fn truncated_gzip_is_a_note() {
    let mut bytes = gzip(&pcap(false, false, 1, 65535, &three()));
    bytes.truncate(bytes.len() - 30);
    let (res, info, got) = read_bytes(bytes);
    assert!(res.is_ok());
    // Every byte that could be inflated before the cut is read: the first frame whole.
    assert_eq!(got.len(), 1);
    // One note naming both the read error and where the data stops (not one for each).
    assert_eq!(
        info.notes,
        vec![
            "read error (unexpected end of data) inside the record header of frame 2 (13 of 16 bytes); frame 1 read"
                .to_string()
        ]
    );
}

#[test]
fn file_ending_inside_a_record_is_a_note() {
    let mut bytes = pcap(false, false, 1, 65535, &three());
    let cut = bytes.len() - 42 + 10; // 10 of the last record's 42 bytes
    bytes.truncate(cut);
    let (res, info, got) = read_bytes(bytes);
    assert!(res.is_ok());
    assert_eq!(got.len(), 2);
    assert_eq!(info.packets, 2);
    assert_eq!(
        info.notes,
        vec!["file ends inside frame 3 (10 of 42 bytes); frames 1–2 read".to_string()]
    );
}

#[test]
fn file_ending_inside_a_record_header_is_a_note() {
    let mut bytes = pcap(false, false, 1, 65535, &three());
    bytes.truncate(24 + 16 + 60 + 7);
    let (res, info, got) = read_bytes(bytes);
    assert!(res.is_ok());
    assert_eq!(got.len(), 1);
    assert_eq!(
        info.notes,
        vec!["file ends inside the record header of frame 2 (7 of 16 bytes); frame 1 read"]
    );
}

#[test]
fn pcapng_ending_inside_a_packet_block_is_a_note() {
    let mut w = NgWriter::new(false);
    w.shb();
    w.idb(1, 0, &[]);
    w.epb(0, 1, &[1; 100], 100);
    w.epb(0, 2, &[2; 1514], 1514);
    let mut bytes = w.into_bytes();
    bytes.truncate(bytes.len() - (1516 + 4) + 48); // 48 of the 1514 packet bytes
    let (res, info, got) = read_bytes(bytes);
    assert!(res.is_ok());
    assert_eq!(got.len(), 1);
    assert_eq!(
        info.notes,
        vec!["file ends inside frame 2 (48 of 1514 bytes); frame 1 read"]
    );
}

#[test]
fn not_a_capture_says_what_it_might_be() {
    let mut zip = b"PK\x03\x04".to_vec();
    zip.extend([0u8; 40]);
    assert_eq!(
        err_text(zip),
        "not a pcap or pcapng file (starts with 50 4b 03 04: a zip archive?)"
    );
    assert_eq!(
        err_text(gzip(b"hello world, not a capture")),
        "not a pcap or pcapng file (decompressed data starts with 68 65 6c 6c: a text file?)"
    );
}

#[test]
fn empty_and_short_inputs_are_errors() {
    assert_eq!(err_text(Vec::new()), "empty file");
    assert_eq!(err_text(gzip(b"")), "empty file (gzip-compressed)");
    let mut short = pcap(false, false, 1, 65535, &[]);
    short.truncate(14);
    assert_eq!(
        err_text(short),
        "corrupt pcap header: file ends after 14 of 24 header bytes"
    );
    let mut ng = NgWriter::new(false);
    ng.shb();
    let mut b = ng.into_bytes();
    b.truncate(20);
    assert_eq!(
        err_text(b),
        "corrupt pcapng section header: file ends after 20 of 28 header bytes"
    );
    let mut bad_bom = NgWriter::new(false);
    bad_bom.shb();
    let mut b = bad_bom.into_bytes();
    b[8] = 0;
    assert_eq!(
        err_text(b),
        "corrupt pcapng section header: byte-order magic is 00 3c 2b 1a, not 1a 2b 3c 4d"
    );
}

#[test]
fn a_header_only_file_is_fine() {
    let (res, info, got) = read_bytes(pcap(false, false, 1, 65535, &[]));
    assert!(res.is_ok());
    assert!(got.is_empty());
    assert_eq!(info.packets, 0);
    assert_eq!(info.link_types, vec!["ethernet"]);
    assert!(info.notes.is_empty());
}

#[test]
fn missing_file_cannot_be_opened() {
    let mut info = InputInfo::default();
    let e = read_capture("/nonexistent/x.pcap", &mut info, &mut |_| {});
    assert_eq!(
        e.map_err(|e| e.to_string()),
        Err("cannot open: no such file or directory".to_string())
    );
    assert_eq!(info.format, None);
    let e = read_capture("/", &mut info, &mut |_| {});
    assert_eq!(
        e.map_err(|e| e.to_string()),
        Err("cannot open: is a directory".to_string())
    );
}

#[test]
fn frames_larger_than_the_buffer_are_read() {
    let big = vec![0x5a; BUFFER_SIZE + 12345];
    let recs = vec![
        (1, 0, vec![1; 10], 10),
        (2, 0, big.clone(), big.len() as u32),
    ];
    let (res, info, got) = read_bytes(pcap(false, false, 1, 0, &recs));
    assert!(res.is_ok());
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].data.len(), big.len());
    assert!(info.notes.is_empty());

    let mut w = NgWriter::new(false);
    w.shb();
    w.idb(1, 0, &[]);
    w.epb(0, 1, &big, big.len() as u32);
    w.epb(0, 2, &[3; 10], 10);
    let (res, _, got) = read_bytes(w.into_bytes());
    assert!(res.is_ok());
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].data.len(), big.len());
}

#[test]
fn pcapng_block_over_the_limit_is_skipped() {
    let huge = vec![0u8; MAX_BLOCK + 100];
    let mut w = NgWriter::new(false);
    w.shb();
    w.idb(1, 0, &[]);
    w.epb(0, 1, &[1; 10], 10);
    w.custom(&huge);
    w.epb(0, 2, &[2; 10], 10);
    let (res, info, got) = read_bytes(w.into_bytes());
    assert!(res.is_ok());
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].number, 2);
    assert_eq!(info.notes.len(), 1, "{:?}", info.notes);
    assert!(info.notes[0].contains("after frame 1 skipped: over the 8 MiB limit"));
}

#[test]
fn pcap_record_with_absurd_caplen_stops_with_a_note() {
    let mut bytes = pcap(false, false, 1, 65535, &three());
    // Corrupt record 3's caplen.
    let at = 24 + 16 + 60 + 16 + 100 + 8;
    bytes[at..at + 4].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
    let (res, info, got) = read_bytes(bytes);
    assert!(res.is_ok());
    assert_eq!(got.len(), 2);
    assert_eq!(info.notes.len(), 1);
    assert!(
        info.notes[0].starts_with("frame 3 claims 4294967280 captured bytes, over the 8 MiB"),
        "{:?}",
        info.notes
    );
}

#[test]
fn caplen_over_snaplen_is_read_with_a_note() {
    let (res, info, got) = read_bytes(pcap(false, false, 1, 64, &three()));
    assert!(res.is_ok());
    assert_eq!(got.len(), 3);
    assert_eq!(got[1].data.len(), 100);
    assert_eq!(
        info.notes,
        vec!["1 frame captured more bytes than the snaplen (64); read anyway"]
    );
}

#[test]
fn corrupt_packet_block_is_skipped_when_framing_is_intact() {
    let mut w = NgWriter::new(false);
    w.shb();
    w.idb(1, 0, &[]);
    w.epb(0, 1, &[1; 20], 20);
    let start = w.len();
    w.epb(0, 2, &[2; 20], 20);
    w.epb(0, 3, &[3; 20], 20);
    let mut bytes = w.into_bytes();
    // Block 2's caplen (at +20) claims more than the block holds.
    bytes[start + 20..start + 24].copy_from_slice(&500u32.to_le_bytes());
    let (res, info, got) = read_bytes(bytes);
    assert!(res.is_ok());
    let numbers: Vec<u64> = got.iter().map(|g| g.number).collect();
    assert_eq!(numbers, vec![1, 2]);
    assert_eq!(got[1].data, vec![3; 20]);
    assert_eq!(
        info.notes,
        vec![
            "corrupt enhanced packet block after frame 1: packet block claims 500 captured \
             bytes but holds 20; block skipped"
        ]
    );
}

#[test]
fn broken_block_framing_stops_with_a_note() {
    let mut w = NgWriter::new(false);
    w.shb();
    w.idb(1, 0, &[]);
    w.epb(0, 1, &[1; 20], 20);
    let start = w.len();
    w.epb(0, 2, &[2; 20], 20);
    let mut bytes = w.into_bytes();
    bytes[start + 4..start + 8].copy_from_slice(&4u32.to_le_bytes());
    let (res, info, got) = read_bytes(bytes);
    assert!(res.is_ok());
    assert_eq!(got.len(), 1);
    assert_eq!(
        info.notes,
        vec![
            "corrupt enhanced packet block after frame 1: block length 4 is too short; rest \
             of file skipped; frame 1 read"
        ]
    );
}

#[test]
fn packets_of_undefined_interfaces_are_skipped_with_a_note() {
    let mut w = NgWriter::new(false);
    w.shb();
    w.spb(&[1; 8], 8); // no IDB yet
    w.idb(1, 0, &[]);
    w.epb(3, 1, &[1; 8], 8);
    w.epb(0, 1, &[1; 8], 8);
    let (res, info, got) = read_bytes(w.into_bytes());
    assert!(res.is_ok());
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].number, 1);
    assert_eq!(
        info.notes,
        vec![
            "2 packet blocks named an interface with no description block; skipped (not \
             numbered)"
        ]
    );
}

/// Hands out at most a few bytes per `read`, as a pipe or a decompressor may.
struct Trickle {
    data: Vec<u8>,
    at: usize,
    step: usize,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.step = self.step % 7 + 1;
        let n = self.step.min(buf.len()).min(self.data.len() - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[test]
fn short_reads_do_not_lose_frames() {
    let mut w = NgWriter::new(false);
    w.shb();
    w.idb(1, 0, &[]);
    for i in 0..200u64 {
        w.epb(0, i, &vec![i as u8; (i as usize * 7) % 300], 1500);
    }
    let data = w.into_bytes();
    let (res, info, got) = read_from(Box::new(Trickle {
        data: data.clone(),
        at: 0,
        step: 0,
    }));
    assert!(res.is_ok());
    assert_eq!(got.len(), 200);
    assert!(info.notes.is_empty());
    let (_, _, whole) = read_bytes(data);
    assert_eq!(got, whole);
}

/// Generates a long pcap on the fly without holding it.
struct Endless {
    header: Vec<u8>,
    record: Vec<u8>,
    left: u64,
    pos: usize,
    in_header: bool,
}

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let src = if self.in_header {
            &self.header
        } else if self.left > 0 {
            &self.record
        } else {
            return Ok(0);
        };
        let n = (src.len() - self.pos).min(buf.len());
        buf[..n].copy_from_slice(&src[self.pos..self.pos + n]);
        self.pos += n;
        if self.pos == src.len() {
            self.pos = 0;
            if self.in_header {
                self.in_header = false;
            } else {
                self.left -= 1;
            }
        }
        Ok(n)
    }
}

#[test]
fn long_streams_are_read_with_a_fixed_buffer() {
    let file = pcap(false, false, 1, 65535, &[(1, 0, vec![9; 1000], 1000)]);
    let (header, record) = file.split_at(24);
    let n = 30_000u64; // ~30 MB, many buffer refills
    let r = Endless {
        header: header.to_vec(),
        record: record.to_vec(),
        left: n,
        pos: 0,
        in_header: true,
    };
    let mut info = InputInfo::default();
    let mut count = 0u64;
    let mut last = 0;
    read_capture_from(Box::new(r), &mut info, &mut |f| {
        count += 1;
        last = f.number;
        assert_eq!(f.data.len(), 1000);
    })
    .map_err(|e| e.to_string())
    .unwrap();
    assert_eq!((count, last, info.packets), (n, n, n));
    assert_eq!(info.bytes, n * 1000);
}

#[test]
fn the_callback_can_stop_the_read() {
    let mut info = InputInfo::default();
    let bytes = pcap(false, false, 1, 65535, &three());
    let mut seen = 0;
    read_capture_from_until(
        Box::new(std::io::Cursor::new(bytes)),
        &mut info,
        &mut |_| {
            seen += 1;
            std::ops::ControlFlow::Break(())
        },
    )
    .map_err(|e| e.to_string())
    .unwrap();
    assert_eq!(seen, 1);
    assert_eq!(info.packets, 1);
    assert!(info.notes.is_empty());
}

#[test]
fn link_type_names() {
    let names: Vec<String> = [0, 1, 108, 101, 12, 14, 228, 229, 113, 276, 9, 50, 147]
        .iter()
        .map(|v| LinkType(*v).name())
        .collect();
    assert_eq!(
        names,
        vec![
            "null",
            "ethernet",
            "loop",
            "raw",
            "raw",
            "raw",
            "ipv4",
            "ipv6",
            "linux_sll",
            "linux_sll2",
            "ppp",
            "ppp_hdlc",
            "linktype_147"
        ]
    );
    assert_eq!(LinkType(147).to_string(), "linktype_147");
}

/// Reads every file under ../shared/captures and compares the frame count with the
/// manifest's `packets` (tshark's count). Run with `cargo test -- --ignored corpus`.
#[test]
#[ignore]
fn corpus_frame_counts_match_the_manifest() {
    let root = &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/captures");
    let Ok(manifest) = std::fs::read_to_string(root.join("manifest.json")) else {
        eprintln!("SKIP: {} not present", root.display());
        return;
    };
    let expected = super::testutil::manifest_counts(&manifest);
    let mut files = Vec::new();
    super::testutil::walk(root, &mut files);
    files.sort();
    let (mut compared, mut matched, mut captures) = (0, 0, 0);
    for path in files {
        let rel = path
            .strip_prefix(root)
            .map(|p| p.to_string_lossy().to_string())
            .unwrap_or_default();
        let mut info = InputInfo::default();
        let mut frames = 0u64;
        let res = read_capture(&path.to_string_lossy(), &mut info, &mut |_| frames += 1);
        if res.is_err() {
            if expected.contains_key(&rel) {
                eprintln!("ERROR {rel}: {:?}", res);
                compared += 1;
            }
            continue;
        }
        captures += 1;
        if !info.notes.is_empty() {
            eprintln!("notes {rel}: {:?}", info.notes);
        }
        if let Some(want) = expected.get(&rel) {
            compared += 1;
            if *want == frames {
                matched += 1;
            } else {
                eprintln!("MISMATCH {rel}: read {frames}, manifest {want}");
            }
        }
    }
    eprintln!("{captures} captures read; {matched} of {compared} counts match");
    assert!(compared > 0);
    assert!(matched * 100 >= compared * 99, "{matched} of {compared}");
}

#[test]
fn truncation_note_points_at_a_corrupt_caplen() {
    let recs = vec![(1, 0, vec![1; 10], 10), (2, 0, vec![2; 100_000], 100_000)];
    let mut bytes = pcap(false, false, 1, 65535, &recs);
    bytes.truncate(24 + 16 + 10 + 16 + 645);
    let (res, info, got) = read_bytes(bytes);
    assert!(res.is_ok());
    assert_eq!(got.len(), 1);
    assert_eq!(
        info.notes,
        vec![
            "file ends inside frame 2 (645 of 100000 bytes; more than the snaplen of 65535, so \
             its record header is probably corrupt); frame 1 read"
        ]
    );
}

#[test]
fn modified_pcap_format_is_read() {
    // Kuznetzov's patched libpcap: 24-byte record headers (ifindex, protocol, pkt_type, pad).
    let mut b = pcap(false, false, 1, 65535, &[]);
    b[..4].copy_from_slice(&0xa1b2_cd34u32.to_le_bytes());
    for (i, len) in [(1u32, 20usize), (2, 30)] {
        b.extend(i.to_le_bytes());
        b.extend(7u32.to_le_bytes());
        b.extend((len as u32).to_le_bytes());
        b.extend((len as u32).to_le_bytes());
        b.extend([0u8; 8]);
        b.extend(vec![i as u8; len]);
    }
    let (res, info, got) = read_bytes(b);
    assert!(res.is_ok());
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].data, vec![2; 30]);
    assert_eq!(got[1].ts, Timestamp::new(2, 7_000));
    assert!(info.notes.is_empty());
}

#[test]
fn corrupt_gzip_header_is_an_error() {
    let bytes = vec![0x1f, 0x8b, 0x07, 0xff, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    let e = err_text(bytes);
    assert!(e.starts_with("cannot read: corrupt gzip data"), "{e}");
}

#[test]
fn a_file_of_several_windows_reads_the_same_mapped_read_and_streamed() {
    // 30,000 records of 1 to 1,600 bytes (about 23 MiB, three windows): windows of the mapped
    // file end inside records and record headers, at offsets that are not page-aligned.
    let records: Vec<(u32, u32, Vec<u8>, u32)> = (0..30_000u32)
        .map(|i| {
            let len = 1 + (i * 7919) % 1600;
            (i, 0, vec![(i % 251) as u8; len as usize], len)
        })
        .collect();
    let bytes = pcap(false, false, 1, 65535, &records);
    assert!(bytes.len() > 2 * mapped::WINDOW);
    let (res, info, got) = read_bytes(bytes.clone());
    assert!(res.is_ok());
    assert!(info.notes.is_empty(), "{:?}", info.notes);
    assert_eq!(got.len(), 30_000);
    for (g, (_, _, data, _)) in got.iter().zip(&records) {
        assert_eq!(&g.data, data, "frame {}", g.number);
    }
    let (_, read_info, read_got) = read_as_file(&bytes, ReadOptions::default());
    assert_eq!(format!("{read_info:?}"), format!("{info:?}"));
    assert_eq!(read_got, got);
}
