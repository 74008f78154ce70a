//! JA3/JA3S and JA4 fingerprints of a flow's hellos.
//!
//! * **JA3** (Salesforce, BSD-3): `SSLVersion,Ciphers,Extensions,EllipticCurves,EcPointFormats`,
//!   each a `-`-joined list of decimal values with GREASE (RFC 8701) removed; `ja3` is the MD5 of
//!   that string in lowercase hex. The version is the ClientHello's `legacy_version`. Like
//!   tshark's `tls.handshake.ja3` (the oracle this is tested against), an SSLv2-format
//!   ClientHello has no JA3: its fields are not the ones JA3 is defined on.
//! * **JA3S**: `SSLVersion,Cipher,Extensions` of the (final) ServerHello: `legacy_version`, the
//!   chosen suite and the extension types in wire order, GREASE removed; `ja3s` is its MD5. An
//!   SSLv2 SERVER-HELLO has none (tshark gives none either).
//! * **JA4** (FoxIO, BSD-3; JA4S/JA4X are under another licence and deliberately absent),
//!   following `technical_details/JA4.md` of FoxIO-LLC/ja4:
//!   `t` (TCP; tlsnoop reads no QUIC or DTLS), the version (highest non-GREASE value of
//!   supported_versions when that extension is there, else `legacy_version`: `13 12 11 10 s3 s2`,
//!   `d1 d2 d3` for DTLS codes, `00` for anything else such as TLS 1.3 drafts), `d`/`i` for SNI
//!   present or not, two-digit counts of cipher suites and of extensions (GREASE excluded, SNI
//!   and ALPN included, capped at 99), the ALPN marker (see [`alpn_marker`]), then `_`, the first
//!   12 hex digits of SHA-256 of the sorted cipher list, `_`, and the same of the sorted extension
//!   list without SNI (0x0000) and ALPN (0x0010), followed by `_` and the signature algorithms in
//!   wire order when there are any. An empty list hashes to `000000000000`. `ja4_r` is the same
//!   with the lists instead of their hashes. An SSLv2-format ClientHello has no JA4: its 3-byte
//!   cipher specs do not fit the definition, and neither FoxIO's tools nor Arkime give one.
//!
//! Everything is computed from the record's lists, which keep the wire order and GREASE and
//! whose extension list comes from a raw walk of the extension block (a malformed extension is
//! still listed).

use crate::names::is_grease;
use crate::record::{push_hex, ClientHelloInfo, Fingerprints, Hex16, Negotiation, ServerHelloInfo};
use md5::{Digest, Md5};
use std::sync::Arc;

/// Extension type of server_name.
const EXT_SNI: u16 = 0x0000;
/// Extension type of application_layer_protocol_negotiation.
const EXT_ALPN: u16 = 0x0010;
/// Extension type of supported_versions.
const EXT_SUPPORTED_VERSIONS: u16 = 0x002b;

/// Fingerprints of the flow's hellos; `None` when neither hello was seen. A flow with only a
/// ServerHello (a one-sided capture, or one that starts mid-handshake) gets its JA3S and null
/// client fingerprints, as tshark gives `ja3s` for it.
pub fn fingerprints(n: &Negotiation) -> Option<Fingerprints> {
    if n.client_hello.is_none() && n.server_hello.is_none() {
        return None;
    }
    let client = n
        .client_hello
        .as_deref()
        .map(client_fingerprints)
        .unwrap_or_default();
    let (ja3s, ja3s_full) = n
        .server_hello
        .as_ref()
        .map(server_fingerprints)
        .unwrap_or_default();
    Some(Fingerprints {
        ja3: client.ja3,
        ja3_full: client.ja3_full,
        ja3s,
        ja3s_full,
        ja4: client.ja4,
        ja4_r: client.ja4_r,
    })
}

/// The fingerprints of a ClientHello.
#[derive(Debug, Clone, Default)]
struct ClientPrints {
    ja3_full: Option<Arc<str>>,
    ja3: Option<Arc<str>>,
    ja4: Option<Arc<str>>,
    ja4_r: Option<Arc<str>>,
}

/// ClientHellos remembered per thread (the cache starts over when full).
const MAX_REMEMBERED_HELLOS: usize = 4096;

thread_local! {
    /// Fingerprints by the ClientHello fields they are made of: the clients on a network are
    /// a few builds sending the same hello, and JA3's MD5 and JA4's two SHA-256 with their
    /// strings were a visible share of a run. The key is the fields themselves, compared in
    /// full, so a hit is always exact.
    static HELLOS: std::cell::RefCell<Memo<ClientPrints>> =
        std::cell::RefCell::new(Memo::default());
}

thread_local! {
    /// JA3S and its string by the ServerHello fields they are made of (legacy version, suite,
    /// extensions, in full): a server answers its clients alike, and the string's formatting
    /// and MD5 were a visible share of analysing a flow.
    static SERVER_HELLOS: std::cell::RefCell<Memo<ServerPrints>> =
        std::cell::RefCell::new(Memo::default());
}

/// Fingerprints by the hello fields they are made of.
type Memo<V> = std::collections::HashMap<Vec<u16>, V, foldhash::fast::RandomState>;

thread_local! {
    /// The key being looked up (kept for its capacity: most look-ups are hits, which then
    /// allocate nothing).
    static KEY: std::cell::RefCell<Vec<u16>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// `make()`, or what it gave before for the key `fill` writes, on this thread (the memory
/// starts over when it holds [`MAX_REMEMBERED_HELLOS`]).
fn remembered<V: Clone>(
    memo: &'static std::thread::LocalKey<std::cell::RefCell<Memo<V>>>,
    fill: impl FnOnce(&mut Vec<u16>),
    make: impl FnOnce() -> V,
) -> V {
    KEY.with(|key| {
        let mut key = key.borrow_mut();
        key.clear();
        fill(&mut key);
        if let Some(hit) = memo.with(|m| m.borrow().get(key.as_slice()).cloned()) {
            return hit;
        }
        let value = make();
        memo.with(|m| {
            let mut m = m.borrow_mut();
            if m.len() >= MAX_REMEMBERED_HELLOS {
                m.clear();
            }
            m.insert(key.clone(), value.clone());
        });
        value
    })
}

/// `(ja3s, ja3s_full)` of a ServerHello.
type ServerPrints = (Option<Arc<str>>, Option<Arc<str>>);

/// [`ServerPrints`] of a ServerHello, remembered per thread.
fn server_fingerprints(sh: &ServerHelloInfo) -> ServerPrints {
    let fill = |key: &mut Vec<u16>| {
        key.push(sh.legacy_version);
        key.push(sh.cipher_suite);
        key.extend_from_slice(&sh.extensions);
    };
    remembered(&SERVER_HELLOS, fill, || {
        let full = ja3s_string(sh);
        (
            full.as_deref().map(|f| md5_hex(f).into()),
            full.map(Into::into),
        )
    })
}

/// Every field of `ch` that JA3 or JA4 reads, length-prefixed, appended to `k`.
fn hello_key(ch: &ClientHelloInfo, k: &mut Vec<u16>) {
    let len = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
    k.push(ch.legacy_version);
    k.push(u16::from(ch.sslv2_format));
    k.push(u16::from(!ch.alpn.is_empty()));
    for l in [&ch.cipher_suites, &ch.extensions, &ch.groups] {
        k.push(len(l.len()));
        k.extend_from_slice(l);
    }
    k.push(len(ch.ec_point_formats.len()));
    k.extend(ch.ec_point_formats.iter().map(|&p| u16::from(p)));
    for l in [&ch.signature_algorithms, &ch.versions] {
        k.push(len(l.len()));
        k.extend_from_slice(l);
    }
    let alpn = ch.alpn.first().map_or(&[][..], |a| a.as_bytes());
    k.push(len(alpn.len()));
    k.extend(alpn.iter().map(|&b| u16::from(b)));
}

fn client_fingerprints(ch: &ClientHelloInfo) -> ClientPrints {
    remembered(
        &HELLOS,
        |k| hello_key(ch, k),
        || {
            let ja3_full = ja3_string(ch);
            let (ja4, ja4_r) = match ja4(ch) {
                Some((h, r)) => (Some(h.into()), Some(r.into())),
                None => (None, None),
            };
            ClientPrints {
                ja3: ja3_full.as_deref().map(|f| md5_hex(f).into()),
                ja3_full: ja3_full.map(Into::into),
                ja4,
                ja4_r,
            }
        },
    )
}

/// The JA3 string of a ClientHello; `None` for an SSLv2-format hello.
pub fn ja3_string(ch: &ClientHelloInfo) -> Option<String> {
    if ch.sslv2_format {
        return None;
    }
    let point_formats: Vec<u16> = ch.ec_point_formats.iter().map(|&p| u16::from(p)).collect();
    let mut s = String::with_capacity(256);
    s.push_str(itoa::Buffer::new().format(ch.legacy_version));
    for list in [
        &ch.cipher_suites,
        &ch.extensions,
        &ch.groups,
        &point_formats,
    ] {
        s.push(',');
        s.push_str(&dec_list(list));
    }
    Some(s)
}

/// The JA3S string of a ServerHello; `None` for an SSLv2 SERVER-HELLO.
pub fn ja3s_string(sh: &ServerHelloInfo) -> Option<String> {
    if sh.legacy_version == 0x0002 {
        return None;
    }
    Some(format!(
        "{},{},{}",
        sh.legacy_version,
        sh.cipher_suite,
        dec_list(&sh.extensions)
    ))
}

/// `(ja4, ja4_r)` of a ClientHello; `None` for an SSLv2-format hello.
pub fn ja4(ch: &ClientHelloInfo) -> Option<(String, String)> {
    if ch.sslv2_format {
        return None;
    }
    let exts: Vec<u16> = no_grease(&ch.extensions);
    let mut ciphers: Vec<u16> = no_grease(&ch.cipher_suites);
    let sigalgs: Vec<u16> = no_grease(&ch.signature_algorithms);

    let version = if exts.contains(&EXT_SUPPORTED_VERSIONS) {
        ch.versions
            .iter()
            .copied()
            .filter(|v| !is_grease(*v))
            .max()
            .unwrap_or(ch.legacy_version)
    } else {
        ch.legacy_version
    };
    let sni = if exts.contains(&EXT_SNI) { 'd' } else { 'i' };
    let first = format!(
        "t{}{}{:02}{:02}{}",
        ja4_version(version),
        sni,
        ciphers.len().min(99),
        exts.len().min(99),
        alpn_marker(ch.alpn.first().map(String::as_str)),
    );

    ciphers.sort_unstable();
    let mut sorted_exts: Vec<u16> = exts
        .iter()
        .copied()
        .filter(|e| *e != EXT_SNI && *e != EXT_ALPN)
        .collect();
    sorted_exts.sort_unstable();

    let cipher_list = hex_list(&ciphers);
    let mut ext_list = hex_list(&sorted_exts);
    if !sigalgs.is_empty() {
        ext_list.push('_');
        ext_list.push_str(&hex_list(&sigalgs));
    }
    let ja4 = format!(
        "{first}_{}_{}",
        hash12(&cipher_list, ciphers.is_empty()),
        hash12(&ext_list, sorted_exts.is_empty()),
    );
    let ja4_r = format!("{first}_{cipher_list}_{ext_list}");
    Some((ja4, ja4_r))
}

/// JA4's two-character version code.
fn ja4_version(v: u16) -> &'static str {
    match v {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 => "s2",
        0xfeff => "d1",
        0xfefd => "d2",
        0xfefc => "d3",
        _ => "00",
    }
}

/// JA4's ALPN marker of the first ALPN value: `00` when there is none or it is empty; its
/// first and last characters when both are ASCII alphanumeric (a single character counts as
/// both); otherwise the first and last hex digits of the value's bytes (`0xAB 0xCD` → `ad`).
///
/// The record keeps ALPN values as text with invalid UTF-8 replaced by U+FFFD, so when the
/// first or last character is U+FFFD the byte it stood for is unknown. Then each such end is
/// written `9`, as FoxIO's own implementations (Rust, Python) and their expected outputs do for
/// non-ASCII ALPN values (`tls-non-ascii-alpn.pcapng`: bytes `ba ad`, expected `99`).
pub fn alpn_marker(first: Option<&str>) -> String {
    let Some(s) = first.filter(|s| !s.is_empty()) else {
        return "00".to_string();
    };
    let (Some(c0), Some(c1)) = (s.chars().next(), s.chars().next_back()) else {
        return "00".to_string();
    };
    if c0 == char::REPLACEMENT_CHARACTER || c1 == char::REPLACEMENT_CHARACTER {
        let nine = |c: char| if c.is_ascii() { c } else { '9' };
        return format!("{}{}", nine(c0), nine(c1));
    }
    let bytes = s.as_bytes();
    let (b0, b1) = (bytes[0], bytes[bytes.len() - 1]);
    if b0.is_ascii_alphanumeric() && b1.is_ascii_alphanumeric() {
        format!("{}{}", char::from(b0), char::from(b1))
    } else {
        let hex = |n: u8| char::from_digit(u32::from(n), 16).unwrap_or('0');
        format!("{}{}", hex(b0 >> 4), hex(b1 & 0x0f))
    }
}

fn no_grease(v: &[u16]) -> Vec<u16> {
    v.iter().copied().filter(|x| !is_grease(*x)).collect()
}

/// Decimal values without GREASE, joined by `-`. (itoa rather than `write!`: fingerprints are
/// computed for every flow and `core::fmt` was a visible share of a run.)
fn dec_list(v: &[u16]) -> String {
    let mut s = String::with_capacity(v.len() * 6);
    let mut buf = itoa::Buffer::new();
    for x in v.iter().filter(|x| !is_grease(**x)) {
        if !s.is_empty() {
            s.push('-');
        }
        s.push_str(buf.format(*x));
    }
    s
}

/// Four-digit lowercase hex values joined by `,`.
fn hex_list(v: &[u16]) -> String {
    let mut s = String::with_capacity(v.len() * 5);
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(Hex16(*x).as_static().get(2..).unwrap_or_default());
    }
    s
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    push_hex(&mut s, bytes);
    s
}

fn md5_hex(s: &str) -> String {
    hex(&Md5::digest(s.as_bytes()))
}

/// First 12 hex digits of SHA-256 of `s`; `000000000000` for an empty list.
fn hash12(s: &str, empty: bool) -> String {
    if empty {
        return "000000000000".to_string();
    }
    let d = ring::digest::digest(&ring::digest::SHA256, s.as_bytes());
    hex(d.as_ref().get(..6).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    //! Expected values come from the specifications' own examples (FoxIO `JA4.md`), from
    //! tshark 4.0's `tls.handshake.ja3`/`ja3s` and FoxIO's expected outputs for corpus captures,
    //! or were worked out by hand from the definitions (`sha256sum`/`md5sum` of the string).
    use super::*;
    use crate::record::{Endpoint, Timestamp};

    /// The JA4.md example hello, with GREASE values sprinkled in (JA4 ignores them).
    fn spec_hello() -> ClientHelloInfo {
        ClientHelloInfo {
            legacy_version: 0x0303,
            versions: vec![0x3a3a, 0x0304, 0x0303],
            cipher_suites: vec![
                0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
                0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
            ],
            extensions: vec![
                0xdada, 0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005,
                0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015, 0x1a1a,
            ],
            signature_algorithms: vec![
                0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
            ],
            alpn: vec!["h2".into(), "http/1.1".into()],
            sni: Some("example.com".into()),
            ..Default::default()
        }
    }

    /// The fingerprints computed afresh, without the per-thread memory.
    fn uncached(ch: &ClientHelloInfo) -> (Option<String>, Option<String>, Option<String>) {
        let full = ja3_string(ch);
        (full.as_deref().map(md5_hex), full, ja4(ch).map(|(h, _)| h))
    }

    #[test]
    fn remembered_hellos_give_what_a_fresh_computation_gives() {
        let base = spec_hello();
        let mut other_sni = base.clone();
        other_sni.sni = Some("other.example".into());
        let mut no_alpn = base.clone();
        no_alpn.alpn.clear();
        let mut other_alpn = base.clone();
        other_alpn.alpn = vec!["http/1.1".into()];
        let mut one_suite_less = base.clone();
        one_suite_less.cipher_suites.pop();
        let mut other_pf = base.clone();
        other_pf.ec_point_formats = vec![0];
        for ch in [
            &base,
            &other_sni,
            &no_alpn,
            &other_alpn,
            &one_suite_less,
            &other_pf,
            &base,
        ] {
            // twice: the second time from the memory
            for _ in 0..2 {
                let p = client_fingerprints(ch);
                let s = |v: Option<Arc<str>>| v.map(|v| v.to_string());
                assert_eq!((s(p.ja3), s(p.ja3_full), s(p.ja4)), uncached(ch));
            }
        }
        assert_ne!(
            client_fingerprints(&base).ja4,
            client_fingerprints(&other_alpn).ja4
        );
    }

    /// JA3S from the memory equals JA3S computed afresh, for the same ServerHello twice and for
    /// ones differing in each field the key holds.
    #[test]
    fn remembered_server_hellos_give_what_a_fresh_computation_gives() {
        let base = ServerHelloInfo {
            legacy_version: 0x0303,
            cipher_suite: 0xc02f,
            extensions: vec![0xff01, 0x000b, 0x0023],
            ..Default::default()
        };
        let mut other_suite = base.clone();
        other_suite.cipher_suite = 0xc030;
        let mut fewer = base.clone();
        fewer.extensions.pop();
        let mut sslv2 = base.clone();
        sslv2.legacy_version = 0x0002;
        for sh in [&base, &other_suite, &fewer, &sslv2, &base] {
            for _ in 0..2 {
                let full = ja3s_string(sh);
                let fresh = (full.as_deref().map(md5_hex), full);
                let (ja3s, ja3s_full) = server_fingerprints(sh);
                let s = |v: Option<Arc<str>>| v.map(|v| v.to_string());
                assert_eq!((s(ja3s), s(ja3s_full)), fresh);
            }
        }
        assert_eq!(server_fingerprints(&sslv2), (None, None));
    }

    #[test]
    fn ja4_spec_example() {
        let (h, r) = ja4(&spec_hello()).unwrap();
        assert_eq!(h, "t13d1516h2_8daaf6152771_e5627efa2ab1");
        assert_eq!(
            r,
            "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,\
             cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,\
             0804,0401,0503,0805,0501,0806,0601"
        );
    }

    #[test]
    fn ja4_without_signature_algorithms_has_no_trailing_underscore() {
        // JA4.md: "0005,000a,…,4469,ff01 = 6d807ffa2a79".
        let mut ch = spec_hello();
        ch.signature_algorithms.clear();
        let (h, r) = ja4(&ch).unwrap();
        assert_eq!(h, "t13d1516h2_8daaf6152771_6d807ffa2a79");
        assert!(
            r.ends_with("_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01")
        );
    }

    #[test]
    fn ja4_sni_and_alpn_markers_follow_the_extension_list() {
        let mut ch = spec_hello();
        ch.extensions.retain(|e| *e != 0x0000 && *e != 0x0010);
        ch.sni = None;
        ch.alpn.clear();
        // Same c part: SNI and ALPN never enter it. Two fewer extensions.
        assert_eq!(ja4(&ch).unwrap().0, "t13i151400_8daaf6152771_e5627efa2ab1");
    }

    #[test]
    fn ja4_version_rules() {
        let v = |versions: Vec<u16>, legacy: u16, with_ext: bool| {
            let mut ch = spec_hello();
            ch.versions = versions;
            ch.legacy_version = legacy;
            if !with_ext {
                ch.extensions.retain(|e| *e != 0x002b);
            }
            ja4(&ch).unwrap().0[1..3].to_string()
        };
        // Highest non-GREASE supported_versions value, whatever its position.
        assert_eq!(v(vec![0x0303, 0x0304, 0xfafa], 0x0303, true), "13");
        // No supported_versions: legacy_version (the record layer version is never used).
        assert_eq!(v(vec![], 0x0301, false), "10");
        assert_eq!(v(vec![], 0x0300, false), "s3");
        assert_eq!(v(vec![], 0x0302, false), "11");
        // The extension is there but could not be read: fall back to legacy_version.
        assert_eq!(v(vec![], 0x0303, true), "12");
        // A TLS 1.3 draft is the highest value: unknown.
        assert_eq!(v(vec![0x7f17, 0x0303], 0x0303, true), "00");
        assert_eq!(v(vec![], 0x0200, false), "00");
    }

    #[test]
    fn ja4_counts_cap_at_99_and_empty_lists_hash_to_zeros() {
        let mut ch = spec_hello();
        ch.cipher_suites = (0x0100..0x0100 + 120).collect();
        assert_eq!(&ja4(&ch).unwrap().0[4..6], "99");

        // arkime/tests/pcap/openssl-ssl3.pcap: an SSL 3.0 hello with 46 suites and no
        // extensions. b = sha256("0003,0004,…,c014")[..12], by hand.
        let ssl3 = ClientHelloInfo {
            legacy_version: 0x0300,
            cipher_suites: ssl3_suites(),
            compression_methods: vec![1, 0],
            ..Default::default()
        };
        let (h, r) = ja4(&ssl3).unwrap();
        assert_eq!(h, "ts3i460000_234845559c90_000000000000");
        assert!(r.starts_with("ts3i460000_0003,0004,0005,"));
        assert!(r.ends_with(",c013,c014_"));

        let empty = ClientHelloInfo {
            legacy_version: 0x0303,
            ..Default::default()
        };
        assert_eq!(
            ja4(&empty).unwrap(),
            (
                "t12i000000_000000000000_000000000000".to_string(),
                "t12i000000__".to_string()
            )
        );
    }

    fn ssl3_suites() -> Vec<u16> {
        vec![
            0xc014, 0xc00a, 0x0039, 0x0038, 0x0088, 0x0087, 0xc00f, 0xc005, 0x0035, 0x0084, 0xc012,
            0xc008, 0x0016, 0x0013, 0xc00d, 0xc003, 0x000a, 0xc013, 0xc009, 0x0033, 0x0032, 0x009a,
            0x0099, 0x0045, 0x0044, 0xc00e, 0xc004, 0x002f, 0x0096, 0x0041, 0x0007, 0xc011, 0xc007,
            0xc00c, 0xc002, 0x0005, 0x0004, 0x0015, 0x0012, 0x0009, 0x0014, 0x0011, 0x0008, 0x0006,
            0x0003, 0x00ff,
        ]
    }

    #[test]
    fn alpn_marker_rules() {
        // JA4.md: none, empty → 00; first and last characters; a single character is both.
        assert_eq!(alpn_marker(None), "00");
        assert_eq!(alpn_marker(Some("")), "00");
        assert_eq!(alpn_marker(Some("h2")), "h2");
        assert_eq!(alpn_marker(Some("http/1.1")), "h1");
        assert_eq!(alpn_marker(Some("h")), "hh");
        assert_eq!(alpn_marker(Some("0")), "00");
        // Non-alphanumeric first or last byte: first and last hex digits of the bytes.
        // JA4.md's own examples: 0x20 → "20", 0x20 0x61 → "21", 0x61 0x20 → "60".
        assert_eq!(alpn_marker(Some(" ")), "20");
        assert_eq!(alpn_marker(Some(" a")), "21");
        assert_eq!(alpn_marker(Some("a ")), "60");
        // Inner bytes do not matter when both ends are alphanumeric (like 0x30 0xAB 0xCD 0x31).
        assert_eq!(alpn_marker(Some("0\u{e9}1")), "01");
        // Valid UTF-8, so the bytes are known: "é" is c3 a9 → "c9"; "0é" is 30 c3 a9 → "39".
        assert_eq!(alpn_marker(Some("\u{e9}")), "c9");
        assert_eq!(alpn_marker(Some("0\u{e9}")), "39");
        // Invalid UTF-8 stored as U+FFFD: the byte is unknown; FoxIO's expected output for
        // ja4/pcap/tls-non-ascii-alpn.pcapng (bytes ba ad) is "99".
        assert_eq!(alpn_marker(Some("\u{fffd}\u{fffd}")), "99");
        assert_eq!(alpn_marker(Some("h\u{fffd}")), "h9");
    }

    /// ja4/pcap/tls-non-ascii-alpn.pcapng frame 1, field by field as tshark 4.0 shows it.
    fn non_ascii_alpn_hello() -> ClientHelloInfo {
        ClientHelloInfo {
            frame: 1,
            legacy_version: 0x0303,
            versions: vec![0x0a0a, 0x0304, 0x0303],
            cipher_suites: vec![
                0xaaaa, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
                0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
            ],
            extensions: vec![
                0x9a9a, 0xff01, 0x0033, 0x002d, 0x0005, 0x4469, 0x000d, 0x0010, 0x0023, 0x001b,
                0x002b, 0x0000, 0x0012, 0x000a, 0x0017, 0x000b, 0x6a6a, 0x0015,
            ],
            groups: vec![0x0a0a, 0x001d, 0x0017, 0x0018],
            signature_algorithms: vec![
                0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
            ],
            key_share_groups: vec![0x0a0a, 0x001d],
            alpn: vec!["\u{fffd}\u{fffd}".into(), "http/1.1".into()],
            sni: Some("clientservices.googleapis.com".into()),
            session_id_length: 32,
            compression_methods: vec![0],
            ec_point_formats: vec![0],
            sslv2_format: false,
        }
    }

    fn negotiation(ch: Option<ClientHelloInfo>, sh: Option<ServerHelloInfo>) -> Negotiation {
        let ep = |port| Endpoint {
            ip: "192.0.2.1".parse().unwrap(),
            port,
        };
        let mut n = Negotiation::new(0, 1, Timestamp::new(0, 0), ep(50112), ep(443));
        n.client_hello = ch.map(Box::new);
        n.server_hello = sh;
        n
    }

    #[test]
    fn corpus_hello_matches_tshark_and_foxio() {
        let sh = ServerHelloInfo {
            frame: 2,
            legacy_version: 0x0303,
            version: Some(0x0304),
            cipher_suite: 0x1301,
            extensions: vec![0x0033, 0x002b],
            ..Default::default()
        };
        let fp = fingerprints(&negotiation(Some(non_ascii_alpn_hello()), Some(sh))).unwrap();
        // tshark 4.0 (tls-non-ascii-alpn.pcapng.tshark.txt).
        assert_eq!(fp.ja3.as_deref(), Some("1c258ebef8eee2dfa3df6d8d07285af9"));
        assert_eq!(
            fp.ja3_full.as_deref(),
            Some(
                "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,\
                 65281-51-45-5-17513-13-16-35-27-43-0-18-10-23-11-21,29-23-24,0"
            )
        );
        assert_eq!(fp.ja3s.as_deref(), Some("eb1d94daa7e0344597e756a1fb6e7054"));
        assert_eq!(fp.ja3s_full.as_deref(), Some("771,4865,51-43"));
        // FoxIO's snapshot and Python test data for the same capture.
        assert_eq!(
            fp.ja4.as_deref(),
            Some("t13d151699_8daaf6152771_e5627efa2ab1")
        );
        assert_eq!(
            fp.ja4_r.as_deref(),
            Some(
                "t13d151699_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,\
                 cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,\
                 ff01_0403,0804,0401,0503,0805,0501,0806,0601"
            )
        );
    }

    #[test]
    fn ja3_of_a_hello_without_extensions_keeps_empty_fields() {
        // arkime/tests/pcap/openssl-ssl3.pcap: tshark ja3 f917ae2520ef9784557b0a3c02489c2c.
        let ch = ClientHelloInfo {
            legacy_version: 0x0300,
            cipher_suites: ssl3_suites(),
            compression_methods: vec![1, 0],
            ..Default::default()
        };
        let full = ja3_string(&ch).unwrap();
        assert!(full.starts_with("768,49172-49162-57-56-136-"));
        assert!(full.ends_with("-6-3-255,,,"));
        assert_eq!(md5_hex(&full), "f917ae2520ef9784557b0a3c02489c2c");
        // Its ServerHello has renegotiation_info: tshark ja3s "768,49169,65281".
        let sh = ServerHelloInfo {
            legacy_version: 0x0300,
            cipher_suite: 0xc011,
            extensions: vec![0xff01],
            ..Default::default()
        };
        let s = ja3s_string(&sh).unwrap();
        assert_eq!(s, "768,49169,65281");
        assert_eq!(md5_hex(&s), "59e3f99fd4b68388f5ba9349e0ca71a4");
    }

    #[test]
    fn ja3_drops_grease_everywhere() {
        let mut a = non_ascii_alpn_hello();
        let b = a.clone();
        a.cipher_suites.insert(5, 0x5a5a);
        a.extensions.push(0xeaea);
        a.groups.push(0x7a7a);
        assert_eq!(ja3_string(&a), ja3_string(&b));
        assert_eq!(ja4(&a), ja4(&b));
    }

    #[test]
    fn server_hello_only_flow_gets_ja3s() {
        // mercury/test/afl_data/server_hello_tlsv1.pcap: no ClientHello captured; tshark ja3s
        // 9aeeb84942a46257594025306635f0ff ("769,5,").
        let sh = ServerHelloInfo {
            legacy_version: 0x0301,
            cipher_suite: 0x0005,
            ..Default::default()
        };
        let fp = fingerprints(&negotiation(None, Some(sh))).unwrap();
        assert_eq!(fp.ja3s_full.as_deref(), Some("769,5,"));
        assert_eq!(fp.ja3s.as_deref(), Some("9aeeb84942a46257594025306635f0ff"));
        assert_eq!(
            (fp.ja3, fp.ja3_full, fp.ja4, fp.ja4_r),
            (None, None, None, None)
        );
        assert_eq!(fingerprints(&negotiation(None, None)), None);
    }

    #[test]
    fn sslv2_format_hellos_have_no_client_fingerprints() {
        // tshark 4.0 gives no ja3 for the SSLv2-format hellos of the corpus (ssl-v2.pcap,
        // ssl.v3.pcap, https2-301-get.pcap, pppoe.pcap), Arkime neither; a TLS ServerHello
        // answering one still has a JA3S. An SSLv2 SERVER-HELLO has none.
        let ch = ClientHelloInfo {
            legacy_version: 0x0301,
            cipher_suites: vec![0x0039, 0x0038, 0x0035],
            compression_methods: vec![0],
            sslv2_format: true,
            ..Default::default()
        };
        let sh = ServerHelloInfo {
            legacy_version: 0x0301,
            cipher_suite: 0x0035,
            ..Default::default()
        };
        let fp = fingerprints(&negotiation(Some(ch.clone()), Some(sh))).unwrap();
        assert_eq!((fp.ja3, fp.ja4), (None, None));
        assert_eq!(fp.ja3s_full.as_deref(), Some("769,53,"));
        let v2 = ServerHelloInfo {
            legacy_version: 0x0002,
            ..Default::default()
        };
        assert_eq!(
            fingerprints(&negotiation(Some(ch), Some(v2))).unwrap().ja3s,
            None
        );
    }
}
