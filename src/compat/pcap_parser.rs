//! Work-arounds for bugs in pcap-parser 0.17.0 (see `crates.md` §5). Upgrading pcap-parser means
//! reading this file: each function names the bug, and each has a canary test that fails once the
//! bug is fixed upstream (then delete the work-around and use the crate's function).
//!
//! Only pcapng timestamp handling lives here. It must not read files or keep state.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

use pcap_parser::{InterfaceDescriptionBlock, OptionCode};

/// Timestamp units per second for an `if_tsresol` byte: `10^n` when the high bit is clear,
/// `2^n` when it is set (pcapng spec §4.2). `None` when the value cannot be represented in a
/// `u64` (10^20 and up, 2^64 and up).
///
/// Work-around for pcap-parser 0.17.0 `build_ts_resolution` (`src/pcapng/time.rs`), which tests
/// `ts_resol > 63` *before* masking the high bit, so it returns `None` for every power-of-2
/// resolution (0x80..=0xbf). No upstream issue or fix found (rusticata/pcap-parser#16 was an
/// earlier typo in the same code). Canary: `canary_build_ts_resolution_rejects_powers_of_two`.
pub fn ts_units_per_second(if_tsresol: u8) -> Option<u64> {
    let n = u32::from(if_tsresol & 0x7f);
    if if_tsresol & 0x80 == 0 {
        10u64.checked_pow(n)
    } else {
        1u64.checked_shl(n).filter(|_| n < 64)
    }
}

/// The `if_tsoffset` option (seconds added to every timestamp of the interface, signed 64-bit),
/// read in the section's byte order; 0 when absent or malformed.
///
/// Work-around for pcap-parser 0.17.0 `if_extract_tsoffset_and_tsresol`
/// (`src/pcapng/time.rs`), which fills `InterfaceDescriptionBlock::if_tsoffset` with
/// `i64::from_le_bytes` even in big-endian sections (and `if_tsoffset()` uses
/// `options_get_as_i64_le`). No upstream issue found. Canary:
/// `canary_if_tsoffset_is_read_little_endian_in_big_endian_sections`.
pub fn if_tsoffset(idb: &InterfaceDescriptionBlock<'_>, big_endian: bool) -> i64 {
    for opt in &idb.options {
        if opt.code == OptionCode::IfTsoffset {
            let v = opt.value();
            let Some(bytes) = v.get(..8).and_then(|b| <[u8; 8]>::try_from(b).ok()) else {
                return 0;
            };
            return if big_endian {
                i64::from_be_bytes(bytes)
            } else {
                i64::from_le_bytes(bytes)
            };
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use pcap_parser::{parse_block_be, Block};

    /// A big-endian IDB (Ethernet, snaplen 65535) with `if_tsresol` and `if_tsoffset` options.
    fn be_idb(tsresol: u8, tsoffset: i64) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&1u16.to_be_bytes()); // linktype
        body.extend_from_slice(&0u16.to_be_bytes()); // reserved
        body.extend_from_slice(&65535u32.to_be_bytes()); // snaplen
        body.extend_from_slice(&9u16.to_be_bytes()); // if_tsresol
        body.extend_from_slice(&1u16.to_be_bytes());
        body.extend_from_slice(&[tsresol, 0, 0, 0]);
        body.extend_from_slice(&14u16.to_be_bytes()); // if_tsoffset
        body.extend_from_slice(&8u16.to_be_bytes());
        body.extend_from_slice(&tsoffset.to_be_bytes());
        body.extend_from_slice(&[0, 0, 0, 0]); // opt_endofopt
        let len = (body.len() + 12) as u32;
        let mut b = Vec::new();
        b.extend_from_slice(&1u32.to_be_bytes());
        b.extend_from_slice(&len.to_be_bytes());
        b.extend_from_slice(&body);
        b.extend_from_slice(&len.to_be_bytes());
        b
    }

    #[test]
    fn units_for_powers_of_ten_and_two() {
        assert_eq!(ts_units_per_second(6), Some(1_000_000));
        assert_eq!(ts_units_per_second(9), Some(1_000_000_000));
        assert_eq!(ts_units_per_second(0), Some(1));
        assert_eq!(ts_units_per_second(19), Some(10_000_000_000_000_000_000));
        assert_eq!(ts_units_per_second(20), None);
        assert_eq!(ts_units_per_second(0x80 | 10), Some(1024));
        assert_eq!(ts_units_per_second(0x80 | 30), Some(1 << 30));
        assert_eq!(ts_units_per_second(0x80 | 63), Some(1 << 63));
        assert_eq!(ts_units_per_second(0x80 | 64), None);
        assert_eq!(ts_units_per_second(0xff), None);
    }

    #[test]
    fn canary_build_ts_resolution_rejects_powers_of_two() {
        // When this fails, pcap-parser fixed the bug: use pcap_parser::build_ts_resolution.
        assert_eq!(pcap_parser::build_ts_resolution(0x80 | 10), None);
        assert_eq!(pcap_parser::build_ts_resolution(6), Some(1_000_000));
    }

    #[test]
    fn tsoffset_in_big_endian_section() {
        let raw = be_idb(6, 1_000_000_000);
        let Ok((_, Block::InterfaceDescription(idb))) = parse_block_be(&raw) else {
            panic!("IDB did not parse");
        };
        assert_eq!(if_tsoffset(&idb, true), 1_000_000_000);
        assert_eq!(idb.if_tsresol, 6);
    }

    #[test]
    fn canary_if_tsoffset_is_read_little_endian_in_big_endian_sections() {
        // When this fails, pcap-parser fixed the bug: use idb.if_tsoffset.
        let raw = be_idb(6, 1_000_000_000);
        let Ok((_, Block::InterfaceDescription(idb))) = parse_block_be(&raw) else {
            panic!("IDB did not parse");
        };
        assert_eq!(
            idb.if_tsoffset,
            i64::from_le_bytes(1_000_000_000i64.to_be_bytes())
        );
    }
}
