//! Work-arounds for tls-parser 0.12.2 (see `notes/crates.md` §1).
//!
//! - A malformed extension silently ends `parse_tls_*_hello_extensions`' list: we walk the
//!   extension block ourselves ([`walk_extensions`]) and parse each extension on its own.
//! - Its GREASE test (`t & 0x0f0f == 0x0a0a`) accepts non-GREASE values such as 0x1a2a: the raw
//!   walk keeps every type, and GREASE is judged by `names::is_grease` (RFC 8701's 16 values).
//! - In the ServerHello dispatcher code 21 is parsed as encrypt_then_mac and 22 (EtM) is
//!   `Unknown`: extension types always come from the raw walk, never from the parsed variant.
//! - HelloRetryRequest (RFC 8446) arrives as an ordinary ServerHello: [`is_hello_retry_request`]
//!   compares the random with the HRR magic.
//! - `parse_tls_plaintext` fails on ApplicationData records: we frame records ourselves and never
//!   call it.
//! - Its `nom` 7 re-export clashes with pcap-parser's `nom` 8: use explicit paths, never globs.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

use tls_parser::TlsExtension;

/// SHA-256("HelloRetryRequest"): the ServerHello.random of a HelloRetryRequest (RFC 8446 §4.1.3).
pub const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// True when a ServerHello's random marks it as a HelloRetryRequest (tls-parser 0.12.2 only
/// knows the obsolete draft message type 6).
pub fn is_hello_retry_request(random: &[u8]) -> bool {
    random == HRR_RANDOM
}

/// One extension as found on the wire: its type, its whole encoding (type, length, data) and data.
#[derive(Debug, Clone, Copy)]
pub struct RawExtension<'a> {
    /// Extension type.
    pub ty: u16,
    /// The whole extension: 2-byte type, 2-byte length, data.
    pub whole: &'a [u8],
    /// The extension data.
    pub data: &'a [u8],
}

/// Walks an extension block in wire order. Returns the extensions and, if the block does not end
/// cleanly, the offset where it stopped making sense (tls-parser would silently stop there).
pub fn walk_extensions(block: &[u8]) -> (Vec<RawExtension<'_>>, Option<usize>) {
    // Room for a usual hello's extensions at once (a block holds at most one per 4 bytes):
    // growing from empty had cost several reallocations a hello.
    let mut out = Vec::with_capacity((block.len() / 4).min(24));
    let mut pos = 0usize;
    while pos < block.len() {
        let Some(rest) = block.get(pos..) else { break };
        let (Some(&[t0, t1]), Some(&[l0, l1])) = (rest.get(0..2), rest.get(2..4)) else {
            return (out, Some(pos));
        };
        let ty = u16::from_be_bytes([t0, t1]);
        let len = usize::from(u16::from_be_bytes([l0, l1]));
        let (Some(data), Some(whole)) = (rest.get(4..4 + len), rest.get(..4 + len)) else {
            return (out, Some(pos));
        };
        out.push(RawExtension { ty, whole, data });
        pos += 4 + len;
    }
    (out, None)
}

/// Parses one ClientHello extension with tls-parser; `None` when its content is malformed.
pub fn parse_client_extension<'a>(ext: &RawExtension<'a>) -> Option<TlsExtension<'a>> {
    match tls_parser::parse_tls_client_hello_extension(ext.whole) {
        Ok((&[], e)) => Some(e),
        _ => None,
    }
}

/// Parses one ServerHello extension with tls-parser; `None` when its content is malformed.
/// Only call it for types whose content you read (never trust its 21/22 mapping).
pub fn parse_server_extension<'a>(ext: &RawExtension<'a>) -> Option<TlsExtension<'a>> {
    match tls_parser::parse_tls_server_hello_extension(ext.whole) {
        Ok((&[], e)) => Some(e),
        _ => None,
    }
}

/// The extension block of an SSL 3.0 ServerHello. tls-parser 0.12.2 parses version 0x0300
/// ServerHellos without extensions (`parse_tls_server_hello_tlsv12::<false>`), but SSL 3.0
/// servers do send them (renegotiation_info, RFC 5746). `body` is the message without its
/// 4-byte header: version(2) random(32) session_id<1> cipher(2) compression(1) [extensions<2>].
pub fn ssl3_server_hello_extensions(body: &[u8]) -> Option<&[u8]> {
    let sid_len = usize::from(*body.get(34)?);
    let at = 35 + sid_len + 3;
    let len = usize::from(u16::from_be_bytes([*body.get(at)?, *body.get(at + 1)?]));
    body.get(at + 2..at + 2 + len)
}

/// The content of a ClientHello extension that is a plain list, read directly rather than by
/// tls-parser: parsing these four (of the five or six a hello has that tlsnoop reads) into
/// tls-parser's `TlsExtension`, then copying its `Vec` of newtypes into the record's, was most of
/// what decoding a ClientHello cost. Each gives exactly what
/// `parse_tls_client_hello_extension` gives for the same bytes (tested below, on every short
/// input and on random ones), including its leniency: bytes after the list are ignored, and so
/// is an odd byte at the end of the signature algorithms.
#[derive(Debug, PartialEq, Eq)]
pub enum ListExtension {
    /// supported_groups (10).
    Groups(Vec<u16>),
    /// ec_point_formats (11).
    PointFormats(Vec<u8>),
    /// signature_algorithms (13).
    SignatureAlgorithms(Vec<u16>),
    /// supported_versions (43), ClientHello form.
    Versions(Vec<u16>),
}

/// `u16` values, two bytes each; `None` when `odd` is not allowed and there is an odd byte.
fn u16s(data: &[u8], odd_allowed: bool) -> Option<Vec<u16>> {
    if data.len() % 2 == 1 && !odd_allowed {
        return None;
    }
    Some(
        data.chunks_exact(2)
            .map(|c| {
                u16::from_be_bytes([
                    c.first().copied().unwrap_or(0),
                    c.get(1).copied().unwrap_or(0),
                ])
            })
            .collect(),
    )
}

/// `data` behind a big-endian length of `n` bytes (1 or 2), and nothing checked after it.
fn length_prefixed(data: &[u8], n: usize) -> Option<&[u8]> {
    let len = match n {
        1 => usize::from(*data.first()?),
        _ => usize::from(u16::from_be_bytes([*data.first()?, *data.get(1)?])),
    };
    data.get(n..n + len)
}

/// The list of extension type `ty` (10, 11, 13 or 43) from its data; `None` when malformed, or
/// when `ty` is not one of those.
pub fn client_list_extension(ty: u16, data: &[u8]) -> Option<ListExtension> {
    match ty {
        10 => Some(ListExtension::Groups(u16s(
            length_prefixed(data, 2)?,
            false,
        )?)),
        11 => Some(ListExtension::PointFormats(
            length_prefixed(data, 1)?.to_vec(),
        )),
        13 => Some(ListExtension::SignatureAlgorithms(u16s(
            length_prefixed(data, 2)?,
            true,
        )?)),
        // Two bytes are one version (the ServerHello form, which tls-parser takes by length);
        // otherwise a one-byte length, which tls-parser does not read, then the versions.
        43 if data.len() == 2 => Some(ListExtension::Versions(u16s(data, false)?)),
        43 => Some(ListExtension::Versions(u16s(data.get(1..)?, false)?)),
        _ => None,
    }
}

/// Groups of a ClientHello key_share extension (tls-parser returns it as raw bytes):
/// `u16 list length, then (u16 group, u16 length, key) entries`.
pub fn client_key_share_groups(data: &[u8]) -> Option<Vec<u16>> {
    let len = usize::from(u16::from_be_bytes([*data.first()?, *data.get(1)?]));
    let mut list = data.get(2..2 + len)?;
    let mut groups = Vec::new();
    while !list.is_empty() {
        let g = u16::from_be_bytes([*list.first()?, *list.get(1)?]);
        let kl = usize::from(u16::from_be_bytes([*list.get(2)?, *list.get(3)?]));
        groups.push(g);
        list = list.get(4 + kl..)?;
    }
    Some(groups)
}

/// Group of a ServerHello key_share (one entry), or of a HelloRetryRequest (the group alone).
pub fn server_key_share_group(data: &[u8]) -> Option<u16> {
    Some(u16::from_be_bytes([*data.first()?, *data.get(1)?]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What tls-parser gives for one of [`client_list_extension`]'s types.
    fn list_by_tls_parser(ty: u16, data: &[u8]) -> Option<ListExtension> {
        let mut whole = ty.to_be_bytes().to_vec();
        whole.extend_from_slice(&(data.len() as u16).to_be_bytes());
        whole.extend_from_slice(data);
        let raw = RawExtension {
            ty,
            whole: &whole,
            data,
        };
        match parse_client_extension(&raw)? {
            TlsExtension::EllipticCurves(g) => {
                Some(ListExtension::Groups(g.iter().map(|x| x.0).collect()))
            }
            TlsExtension::EcPointFormats(f) => Some(ListExtension::PointFormats(f.to_vec())),
            TlsExtension::SignatureAlgorithms(s) => Some(ListExtension::SignatureAlgorithms(s)),
            TlsExtension::SupportedVersions(v) => {
                Some(ListExtension::Versions(v.iter().map(|x| x.0).collect()))
            }
            other => panic!("type {ty}: {other:?}"),
        }
    }

    #[test]
    fn list_extensions_read_as_tls_parser_reads_them() {
        let mut inputs: Vec<Vec<u8>> = Vec::new();
        // Every input of up to three bytes from a small alphabet, with lengths that fit, fall
        // short, run over and are odd.
        let alphabet = [0u8, 1, 2, 3, 4, 0xff];
        for len in 0..=3 {
            let mut idx = vec![0usize; len];
            loop {
                inputs.push(idx.iter().map(|&i| alphabet[i]).collect());
                let mut k = 0;
                while k < len && idx[k] == alphabet.len() - 1 {
                    idx[k] = 0;
                    k += 1;
                }
                if k == len {
                    break;
                }
                idx[k] += 1;
            }
        }
        // Random ones, most with a length prefix near their size.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..20_000 {
            let len = (next() % 24) as usize;
            let mut v: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            match next() % 4 {
                0 if len >= 2 => {
                    let l = (len as u64 - 2 + next() % 3).saturating_sub(1) as u16;
                    v[..2].copy_from_slice(&l.to_be_bytes());
                }
                1 if len >= 1 => v[0] = (len as u64 - 1 + next() % 3).saturating_sub(1) as u8,
                _ => {}
            }
            inputs.push(v);
        }
        let mut some = 0;
        for ty in [10u16, 11, 13, 43] {
            for data in &inputs {
                let ours = client_list_extension(ty, data);
                some += usize::from(ours.is_some());
                assert_eq!(
                    ours,
                    list_by_tls_parser(ty, data),
                    "type {ty}, data {data:02x?}"
                );
            }
        }
        // Both outcomes were exercised many times.
        assert!(some > 10_000 && some < 4 * inputs.len() - 10_000, "{some}");
        assert_eq!(client_list_extension(16, &[0, 0]), None);
    }

    const EXTS_WITH_BAD_TAIL: &[u8] = &[
        0x00, 0x17, 0x00, 0x00, // extended_master_secret, empty
        0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, // ec_point_formats [0]
        0x00, 0x2b, 0x00, 0x09, 0x01, // supported_versions claiming 9 bytes, 1 present
    ];

    #[test]
    fn walk_reports_where_a_malformed_block_stops() {
        let (exts, bad) = walk_extensions(EXTS_WITH_BAD_TAIL);
        assert_eq!(
            exts.iter().map(|e| e.ty).collect::<Vec<_>>(),
            vec![0x17, 0x0b]
        );
        assert_eq!(bad, Some(10));
    }

    #[test]
    fn canary_upstream_list_parser_silently_drops_the_tail() {
        // If this fails, tls-parser now reports malformed lists: the walk may be simplified.
        let (rest, exts) = tls_parser::parse_tls_client_hello_extensions(EXTS_WITH_BAD_TAIL)
            .expect("tls-parser accepts the list");
        assert_eq!(exts.len(), 2);
        assert_eq!(rest.len(), 5);
    }

    #[test]
    fn canary_upstream_grease_test_accepts_0x1a2a() {
        let e = [0x1a, 0x2a, 0x00, 0x00];
        let (_, ext) = tls_parser::parse_tls_client_hello_extension(&e).expect("parses");
        assert!(matches!(ext, TlsExtension::Grease(0x1a2a, _)));
        assert!(!crate::names::is_grease(0x1a2a));
        let (exts, bad) = walk_extensions(&e);
        assert_eq!((exts.len(), exts[0].ty, bad), (1, 0x1a2a, None));
    }

    #[test]
    fn canary_upstream_server_hello_maps_21_to_encrypt_then_mac() {
        let e = [0x00, 0x15, 0x00, 0x00];
        let (_, ext) = tls_parser::parse_tls_server_hello_extension(&e).expect("parses");
        assert!(matches!(ext, TlsExtension::EncryptThenMac));
        let (exts, _) = walk_extensions(&e);
        assert_eq!(exts[0].ty, 21);
    }

    #[test]
    fn canary_upstream_plaintext_parser_fails_on_application_data() {
        // Why records are framed by `tls::TlsFlow` and never by parse_tls_plaintext.
        let rec = [23, 3, 3, 0, 3, 1, 2, 3];
        assert!(tls_parser::parse_tls_plaintext(&rec).is_err());
        assert!(tls_parser::parse_tls_raw_record(&rec).is_ok());
    }

    /// An SSL 3.0 ServerHello with one extension, renegotiation_info (empty).
    const SSL3_SH: &[u8] = &[
        0x03, 0x00, // version
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
        26, 27, 28, 29, 30, 31, 32,   // random
        0x00, // session id
        0x00, 0x35, // cipher
        0x00, // compression
        0x00, 0x05, 0xff, 0x01, 0x00, 0x01, 0x00, // extensions
    ];

    #[test]
    fn canary_upstream_drops_ssl3_server_hello_extensions() {
        let (_, sh) = tls_parser::parse_tls_handshake_server_hello(SSL3_SH).expect("parses");
        assert_eq!(sh.ext, None);
        let block = ssl3_server_hello_extensions(SSL3_SH).expect("extensions");
        let (exts, bad) = walk_extensions(block);
        assert_eq!((exts.len(), exts[0].ty, bad), (1, 0xff01, None));
        assert_eq!(ssl3_server_hello_extensions(&SSL3_SH[..38]), None);
    }

    #[test]
    fn hrr_magic() {
        assert!(is_hello_retry_request(&HRR_RANDOM));
        assert!(!is_hello_retry_request(&[0u8; 32]));
    }

    #[test]
    fn key_share_groups() {
        let ks = [
            0x00, 0x0a, 0x00, 0x1d, 0x00, 0x02, 0xaa, 0xbb, 0x00, 0x17, 0x00, 0x00,
        ];
        assert_eq!(client_key_share_groups(&ks), Some(vec![0x1d, 0x17]));
        assert_eq!(client_key_share_groups(&ks[..5]), None);
        assert_eq!(
            server_key_share_group(&[0x00, 0x1d, 0x00, 0x20]),
            Some(0x1d)
        );
    }
}
