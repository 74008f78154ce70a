//! Input format detection from the first bytes (never from the file name), and the hint shown when
//! the input is not a capture ("a zip archive?").
//!
//! Owns the magic-number table only; it must not read blocks or frames.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

/// What the first bytes say the input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Magic {
    /// gzip stream (`1f 8b`).
    Gzip,
    /// Classic pcap; `big_endian` as written, `nanos` for the 0xa1b23c4d magic.
    Pcap {
        /// Byte order of the writer.
        big_endian: bool,
        /// Nanosecond timestamps.
        nanos: bool,
        /// Kuznetzov's "modified" format (24-byte record headers).
        modified: bool,
    },
    /// pcapng (Section Header Block type `0a 0d 0d 0a`).
    PcapNg,
    /// Anything else.
    Other,
}

/// Classifies the first (up to 4) bytes.
pub(crate) fn sniff(head: &[u8]) -> Magic {
    let Some(m) = head.get(..4) else {
        return if head.get(..2) == Some(&[0x1f, 0x8b][..]) {
            Magic::Gzip
        } else {
            Magic::Other
        };
    };
    let pcap = |big_endian, nanos, modified| Magic::Pcap {
        big_endian,
        nanos,
        modified,
    };
    match m {
        [0x1f, 0x8b, _, _] => Magic::Gzip,
        [0xd4, 0xc3, 0xb2, 0xa1] => pcap(false, false, false),
        [0xa1, 0xb2, 0xc3, 0xd4] => pcap(true, false, false),
        [0x4d, 0x3c, 0xb2, 0xa1] => pcap(false, true, false),
        [0xa1, 0xb2, 0x3c, 0x4d] => pcap(true, true, false),
        [0x34, 0xcd, 0xb2, 0xa1] => pcap(false, false, true),
        [0x0a, 0x0d, 0x0d, 0x0a] => Magic::PcapNg,
        _ => Magic::Other,
    }
}

/// The text inside "not a pcap or pcapng file (…)": the first bytes and a guess of what the file
/// is, e.g. "starts with 50 4b 03 04: a zip archive?".
pub(crate) fn describe(head: &[u8], gzip: bool) -> String {
    let shown: Vec<String> = head.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let what = if gzip {
        "decompressed data starts with"
    } else {
        "starts with"
    };
    let mut s = if head.len() < 4 {
        format!(
            "only {} byte{}: {}",
            head.len(),
            if head.len() == 1 { "" } else { "s" },
            shown.join(" ")
        )
    } else {
        format!("{what} {}", shown.join(" "))
    };
    if let Some(h) = hint(head) {
        s.push_str(": ");
        s.push_str(h);
    }
    s
}

fn hint(head: &[u8]) -> Option<&'static str> {
    let starts = |p: &[u8]| head.starts_with(p);
    Some(if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") {
        "a zip archive?"
    } else if starts(b"BZh") {
        "a bzip2 file?"
    } else if starts(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
        "an xz file?"
    } else if starts(&[0x28, 0xb5, 0x2f, 0xfd]) {
        "a zstd file?"
    } else if starts(&[b'7', b'z', 0xbc, 0xaf]) {
        "a 7-zip archive?"
    } else if starts(b"\x04\x22\x4d\x18") {
        "an lz4 file?"
    } else if starts(b"snoop\0") {
        "a Solaris snoop capture? (convert it with editcap)"
    } else if starts(b"GMBU") {
        "a Microsoft Network Monitor capture? (convert it with editcap)"
    } else if starts(b"XCP\0") {
        "a NetXray/Sniffer capture? (convert it with editcap)"
    } else if starts(&[0xa1, 0xb2, 0xcd, 0x34]) {
        "a big-endian modified pcap? (not supported; convert it with editcap)"
    } else if starts(b"%PDF") {
        "a PDF document?"
    } else if starts(b"<") || starts(b"{") || starts(b"[") {
        "a text (HTML/XML/JSON) file?"
    } else if !head.is_empty()
        && head
            .iter()
            .take(4)
            .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
    {
        "a text file?"
    } else {
        return None;
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_every_capture_magic() {
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Magic::Gzip);
        assert_eq!(
            sniff(&[0xd4, 0xc3, 0xb2, 0xa1]),
            Magic::Pcap {
                big_endian: false,
                nanos: false,
                modified: false
            }
        );
        assert_eq!(
            sniff(&[0xa1, 0xb2, 0x3c, 0x4d]),
            Magic::Pcap {
                big_endian: true,
                nanos: true,
                modified: false
            }
        );
        assert_eq!(sniff(&[0x0a, 0x0d, 0x0d, 0x0a]), Magic::PcapNg);
        assert_eq!(sniff(b"PK\x03\x04"), Magic::Other);
        assert_eq!(sniff(b"a"), Magic::Other);
    }

    #[test]
    fn describes_what_it_is_not() {
        assert_eq!(
            describe(b"PK\x03\x04rest", false),
            "starts with 50 4b 03 04: a zip archive?"
        );
        assert_eq!(
            describe(b"GET /", false),
            "starts with 47 45 54 20: a text file?"
        );
        assert_eq!(describe(&[0, 1], false), "only 2 bytes: 00 01");
        assert_eq!(
            describe(&[0, 1, 2, 3], true),
            "decompressed data starts with 00 01 02 03"
        );
    }
}
