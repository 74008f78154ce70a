//! A negotiation record written as compact JSON by hand.
//!
//! Why not serde: records are most of the output, and serializing them through serde (serde_json,
//! then sonic-rs) was the largest single cost of a run, about a third of its instructions. Most
//! of a record is short lists of code points and their names, where serde's per-value calls
//! cost more than the bytes. This writer emits the same bytes as
//! `serde_json::to_vec(&negotiation)`, the `Serialize` derive of [`crate::record`] being the
//! definition of the schema: the tests below compare the two on every record of `testdata/`, on
//! text that needs escaping, and on every field set; the fuzz target `pipeline` compares them on
//! whatever it finds. A field added to the record must be added here (the tests then fail until
//! it is).

use crate::names;
use crate::record::{
    list_name, Alert, CertInfo, CipherSuite, ClientHelloInfo, Close, Diagnosis, Endpoint, Finding,
    Fingerprints, Hex16, Hex8, KeyInfo, Negotiation, ServerHelloInfo, Timestamp, Traffic, Version,
};
use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Write;
use std::net::IpAddr;

/// Appends `n` as one JSON object (no newline).
pub fn write_record(n: &Negotiation, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"id\":");
    num(out, n.id);
    out.extend_from_slice(b",\"input\":");
    num(out, n.input as u64);
    out.extend_from_slice(b",\"first_frame\":");
    num(out, n.first_frame);
    out.extend_from_slice(b",\"first_seen\":");
    timestamp(out, n.first_seen);
    out.extend_from_slice(b",\"last_seen\":");
    timestamp(out, n.last_seen);
    out.extend_from_slice(b",\"transport\":");
    name(out, n.transport);
    out.extend_from_slice(b",\"client\":");
    endpoint(out, &n.client);
    out.extend_from_slice(b",\"server\":");
    endpoint(out, &n.server);
    out.extend_from_slice(b",\"outcome\":");
    name(out, n.outcome.as_str());
    out.extend_from_slice(b",\"version\":");
    match n.version {
        Some(v) => version(out, v),
        None => null(out),
    }
    out.extend_from_slice(b",\"cipher_suite\":");
    match n.cipher_suite {
        Some(c) => cipher_suite(out, c),
        None => null(out),
    }
    out.extend_from_slice(b",\"group\":");
    opt_string(out, n.group.as_deref());
    out.extend_from_slice(b",\"sni\":");
    opt_string(out, n.sni.as_deref());
    out.extend_from_slice(b",\"alpn\":");
    opt_string(out, n.alpn.as_deref());
    out.extend_from_slice(b",\"resumed\":");
    boolean(out, n.resumed);
    out.extend_from_slice(b",\"hello_retry_request\":");
    boolean(out, n.hello_retry_request);
    out.extend_from_slice(b",\"ocsp_stapled\":");
    match n.ocsp_stapled {
        Some(b) => boolean(out, b),
        None => null(out),
    }
    out.extend_from_slice(b",\"early_data\":");
    boolean(out, n.early_data);
    out.extend_from_slice(b",\"client_hello\":");
    match &n.client_hello {
        Some(h) => client_hello(out, h),
        None => null(out),
    }
    out.extend_from_slice(b",\"server_hello\":");
    match &n.server_hello {
        Some(h) => server_hello(out, h),
        None => null(out),
    }
    out.extend_from_slice(b",\"certificates\":");
    list(out, &n.certificates, cert);
    out.extend_from_slice(b",\"client_certificates\":");
    list(out, &n.client_certificates, cert);
    out.extend_from_slice(b",\"certificate_request\":");
    boolean(out, n.certificate_request);
    out.extend_from_slice(b",\"alerts\":");
    list(out, &n.alerts, alert);
    out.extend_from_slice(b",\"history\":");
    string(out, &n.history);
    out.extend_from_slice(b",\"close\":");
    match &n.close {
        Some(c) => close(out, c),
        None => null(out),
    }
    out.extend_from_slice(b",\"last_frame\":");
    num(out, n.last_frame);
    out.extend_from_slice(b",\"traffic\":");
    traffic(out, &n.traffic);
    out.extend_from_slice(b",\"dh_bits\":");
    opt_num(out, n.dh_bits.map(u64::from));
    out.extend_from_slice(b",\"fingerprints\":");
    match &n.fingerprints {
        Some(f) => fingerprints(out, f),
        None => null(out),
    }
    out.extend_from_slice(b",\"findings\":");
    list(out, &n.findings, finding);
    out.extend_from_slice(b",\"diagnosis\":");
    match &n.diagnosis {
        Some(d) => diagnosis(out, d),
        None => null(out),
    }
    out.extend_from_slice(b",\"notes\":");
    list(out, &n.notes, |out, s| string(out, s));
    out.push(b'}');
}

fn client_hello(out: &mut Vec<u8>, h: &ClientHelloInfo) {
    out.extend_from_slice(b"{\"frame\":");
    num(out, h.frame);
    hello_lists(out, h);
    out.extend_from_slice(b",\"alpn\":");
    list(out, &h.alpn, |out, s| string(out, s));
    out.extend_from_slice(b",\"sni\":");
    opt_string(out, h.sni.as_deref());
    out.extend_from_slice(b",\"session_id_length\":");
    num(out, u64::from(h.session_id_length));
    out.extend_from_slice(b",\"compression_methods\":");
    list(out, &h.compression_methods, |out, v| hex8(out, *v));
    out.extend_from_slice(b",\"ec_point_formats\":");
    list(out, &h.ec_point_formats, |out, v| hex8(out, *v));
    out.extend_from_slice(b",\"sslv2_format\":");
    boolean(out, h.sslv2_format);
    out.push(b'}');
}

/// Rendered ClientHello code-point lists, remembered per thread by the lists themselves.
#[derive(Default)]
struct HelloListMemo {
    /// The key being looked up (kept for its capacity).
    key: Vec<u16>,
    texts: HashMap<Box<[u16]>, Box<[u8]>, foldhash::fast::RandomState>,
    /// Bytes of text remembered.
    bytes: usize,
}

/// Text remembered per thread, at most (the memory starts over when it would pass this).
const HELLO_MEMO_BYTES: usize = 8 << 20;
/// A longer text (a hostile hello's thousands of suites) is written, not remembered.
const HELLO_MEMO_MAX_TEXT: usize = 64 << 10;

thread_local! {
    /// The clients on a network are a few builds that send the same lists in every hello, and
    /// writing those lists with their names was half of what a record's JSON cost.
    static HELLO_LISTS: RefCell<HelloListMemo> = RefCell::new(HelloListMemo::default());
}

/// `,"legacy_version":…,"key_share_group_names":[…]` of a ClientHello: from the memory when
/// the same lists were written before on this thread, else written and remembered. The key is
/// every list in full with its length, so a hit is always exact.
fn hello_lists(out: &mut Vec<u8>, h: &ClientHelloInfo) {
    HELLO_LISTS.with(|memo| {
        let mut memo = memo.borrow_mut();
        let memo = &mut *memo;
        memo.key.clear();
        memo.key.push(h.legacy_version);
        for l in [
            &h.versions,
            &h.cipher_suites,
            &h.extensions,
            &h.groups,
            &h.signature_algorithms,
            &h.key_share_groups,
        ] {
            let len = l.len() as u32;
            memo.key
                .extend_from_slice(&[(len >> 16) as u16, len as u16]);
            memo.key.extend_from_slice(l);
        }
        if let Some(text) = memo.texts.get(memo.key.as_slice()) {
            out.extend_from_slice(text);
            return;
        }
        let start = out.len();
        hello_lists_uncached(out, h);
        let text = out.get(start..).unwrap_or_default();
        if text.len() <= HELLO_MEMO_MAX_TEXT {
            if memo.bytes + text.len() > HELLO_MEMO_BYTES {
                memo.texts.clear();
                memo.bytes = 0;
            }
            memo.bytes += text.len();
            memo.texts.insert(memo.key.as_slice().into(), text.into());
        }
    });
}

/// [`hello_lists`] written afresh.
fn hello_lists_uncached(out: &mut Vec<u8>, h: &ClientHelloInfo) {
    out.extend_from_slice(b",\"legacy_version\":");
    hex16(out, h.legacy_version);
    out.extend_from_slice(b",\"versions\":");
    ids(out, &h.versions);
    out.extend_from_slice(b",\"version_names\":");
    named(out, &h.versions, names::version);
    out.extend_from_slice(b",\"cipher_suites\":");
    ids(out, &h.cipher_suites);
    out.extend_from_slice(b",\"cipher_suite_names\":");
    named(out, &h.cipher_suites, names::cipher_suite_name);
    out.extend_from_slice(b",\"extensions\":");
    ids(out, &h.extensions);
    out.extend_from_slice(b",\"extension_names\":");
    named(out, &h.extensions, names::extension);
    out.extend_from_slice(b",\"groups\":");
    ids(out, &h.groups);
    out.extend_from_slice(b",\"group_names\":");
    named(out, &h.groups, names::group);
    out.extend_from_slice(b",\"signature_algorithms\":");
    ids(out, &h.signature_algorithms);
    out.extend_from_slice(b",\"signature_algorithm_names\":");
    named(out, &h.signature_algorithms, names::signature_scheme);
    out.extend_from_slice(b",\"key_share_groups\":");
    ids(out, &h.key_share_groups);
    out.extend_from_slice(b",\"key_share_group_names\":");
    named(out, &h.key_share_groups, names::group);
}

fn server_hello(out: &mut Vec<u8>, h: &ServerHelloInfo) {
    out.extend_from_slice(b"{\"frame\":");
    num(out, h.frame);
    out.extend_from_slice(b",\"legacy_version\":");
    hex16(out, h.legacy_version);
    out.extend_from_slice(b",\"version\":");
    opt_hex16(out, h.version);
    out.extend_from_slice(b",\"cipher_suite\":");
    hex16(out, h.cipher_suite);
    out.extend_from_slice(b",\"extensions\":");
    ids(out, &h.extensions);
    out.extend_from_slice(b",\"extension_names\":");
    named(out, &h.extensions, names::extension);
    out.extend_from_slice(b",\"key_share_group\":");
    opt_hex16(out, h.key_share_group);
    out.extend_from_slice(b",\"session_id_length\":");
    num(out, u64::from(h.session_id_length));
    out.extend_from_slice(b",\"compression_method\":");
    hex8(out, h.compression_method);
    out.push(b'}');
}

fn cipher_suite(out: &mut Vec<u8>, c: CipherSuite) {
    let info = names::cipher_suite(c.0);
    out.extend_from_slice(b"{\"id\":");
    hex16(out, c.0);
    out.extend_from_slice(b",\"iana\":");
    opt_name(out, c.iana());
    out.extend_from_slice(b",\"openssl\":");
    opt_name(out, c.openssl());
    out.extend_from_slice(b",\"kx\":");
    opt_name(out, info.map(|i| i.kx));
    out.extend_from_slice(b",\"au\":");
    opt_name(out, info.map(|i| i.au));
    out.extend_from_slice(b",\"enc\":");
    opt_name(out, info.map(|i| i.enc));
    out.extend_from_slice(b",\"enc_bits\":");
    opt_num(out, info.map(|i| u64::from(i.enc_bits)));
    out.extend_from_slice(b",\"mode\":");
    opt_name(out, info.map(|i| i.mode));
    out.extend_from_slice(b",\"mac\":");
    opt_name(out, info.map(|i| i.mac));
    out.push(b'}');
}

/// Certificates whose text up to `frame` is remembered per thread, at most.
const CERT_MEMO_ENTRIES: usize = 1024;
/// A longer text (hundreds of names) is written, not remembered.
const CERT_MEMO_MAX_TEXT: usize = 16 << 10;

thread_local! {
    /// The text of a certificate up to its `frame` (what its DER alone decides), by SHA-256,
    /// with the certificate it was written from: every flow to a server carries the same
    /// chain, and escaping its names and dates again was a visible share of a record's JSON.
    static CERT_TEXTS: RefCell<HashMap<std::sync::Arc<str>, CertText, foldhash::fast::RandomState>> =
        RefCell::new(HashMap::default());
}

/// A certificate and its text up to `frame`.
type CertText = (CertInfo, Box<[u8]>);

/// Whether `a` and `b` agree on every field written before `frame`.
fn same_head(a: &CertInfo, b: &CertInfo) -> bool {
    a.subject == b.subject
        && a.issuer == b.issuer
        && a.serial == b.serial
        && a.not_before == b.not_before
        && a.not_after == b.not_after
        && a.san_dns == b.san_dns
        && a.san_ip == b.san_ip
        && a.key == b.key
        && a.signature_algorithm == b.signature_algorithm
        && a.is_ca == b.is_ca
        && a.sha256 == b.sha256
        && a.der_len == b.der_len
        && a.parse_error == b.parse_error
}

fn cert(out: &mut Vec<u8>, c: &CertInfo) {
    CERT_TEXTS.with(|memo| {
        let mut memo = memo.borrow_mut();
        match memo.get(&*c.sha256) {
            // Compared in full, so a hit is exact even for a record made up with a false hash.
            Some((seen, text)) if same_head(seen, c) => out.extend_from_slice(text),
            _ => {
                let start = out.len();
                cert_head(out, c);
                let text = out.get(start..).unwrap_or_default();
                if text.len() <= CERT_MEMO_MAX_TEXT {
                    if memo.len() >= CERT_MEMO_ENTRIES {
                        memo.clear();
                    }
                    memo.insert(c.sha256.clone(), (c.clone(), text.into()));
                }
            }
        }
    });
    cert_tail(out, c);
}

/// A certificate's text up to `,"frame":`.
fn cert_head(out: &mut Vec<u8>, c: &CertInfo) {
    out.extend_from_slice(b"{\"subject\":");
    opt_string(out, c.subject.as_deref());
    out.extend_from_slice(b",\"issuer\":");
    opt_string(out, c.issuer.as_deref());
    out.extend_from_slice(b",\"serial\":");
    opt_string(out, c.serial.as_deref());
    out.extend_from_slice(b",\"not_before\":");
    opt_string(out, c.not_before.as_deref());
    out.extend_from_slice(b",\"not_after\":");
    opt_string(out, c.not_after.as_deref());
    out.extend_from_slice(b",\"san_dns\":");
    list(out, &c.san_dns, |out, s| string(out, s));
    out.extend_from_slice(b",\"san_ip\":");
    list(out, &c.san_ip, |out, s| string(out, s));
    out.extend_from_slice(b",\"key\":");
    match &c.key {
        Some(k) => key(out, k),
        None => null(out),
    }
    out.extend_from_slice(b",\"signature_algorithm\":");
    opt_string(out, c.signature_algorithm.as_deref());
    out.extend_from_slice(b",\"is_ca\":");
    boolean(out, c.is_ca);
    out.extend_from_slice(b",\"sha256\":");
    string(out, &c.sha256);
    out.extend_from_slice(b",\"der_len\":");
    num(out, c.der_len as u64);
    out.extend_from_slice(b",\"parse_error\":");
    opt_string(out, c.parse_error.as_deref());
}

/// A certificate's text from `,"frame":` on: what the flow and the chain decide.
fn cert_tail(out: &mut Vec<u8>, c: &CertInfo) {
    out.extend_from_slice(b",\"frame\":");
    num(out, c.frame);
    out.extend_from_slice(b",\"self_issued\":");
    boolean(out, c.self_issued);
    out.extend_from_slice(b",\"issuer_index\":");
    opt_num(out, c.issuer_index.map(|i| i as u64));
    out.extend_from_slice(b",\"signature\":");
    opt_string(out, c.signature.as_deref());
    out.extend_from_slice(b",\"eku\":");
    match &c.eku {
        Some(e) => list(out, e, |out, s| string(out, s)),
        None => null(out),
    }
    out.push(b'}');
}

fn key(out: &mut Vec<u8>, k: &KeyInfo) {
    out.extend_from_slice(b"{\"type\":");
    string(out, &k.kind);
    out.extend_from_slice(b",\"bits\":");
    opt_num(out, k.bits.map(u64::from));
    out.extend_from_slice(b",\"curve\":");
    opt_string(out, k.curve.as_deref());
    out.push(b'}');
}

fn alert(out: &mut Vec<u8>, a: &Alert) {
    out.extend_from_slice(b"{\"from\":");
    name(out, a.from.as_str());
    out.extend_from_slice(b",\"level\":");
    opt_string(out, a.level.as_deref());
    out.extend_from_slice(b",\"description\":");
    opt_string(out, a.description.as_deref());
    out.extend_from_slice(b",\"encrypted\":");
    boolean(out, a.encrypted);
    out.extend_from_slice(b",\"frame\":");
    num(out, a.frame);
    out.push(b'}');
}

fn close(out: &mut Vec<u8>, c: &Close) {
    out.extend_from_slice(b"{\"from\":");
    name(out, c.from.as_str());
    out.extend_from_slice(b",\"kind\":");
    name(out, c.kind.as_str());
    out.extend_from_slice(b",\"frame\":");
    num(out, c.frame);
    out.extend_from_slice(b",\"during_handshake\":");
    boolean(out, c.during_handshake);
    out.push(b'}');
}

fn traffic(out: &mut Vec<u8>, t: &Traffic) {
    out.extend_from_slice(b"{\"client_packets\":");
    num(out, t.client_packets);
    out.extend_from_slice(b",\"server_packets\":");
    num(out, t.server_packets);
    out.extend_from_slice(b",\"client_bytes\":");
    num(out, t.client_bytes);
    out.extend_from_slice(b",\"server_bytes\":");
    num(out, t.server_bytes);
    out.push(b'}');
}

fn fingerprints(out: &mut Vec<u8>, f: &Fingerprints) {
    out.extend_from_slice(b"{\"ja3\":");
    opt_string(out, f.ja3.as_deref());
    out.extend_from_slice(b",\"ja3_full\":");
    opt_string(out, f.ja3_full.as_deref());
    out.extend_from_slice(b",\"ja3s\":");
    opt_string(out, f.ja3s.as_deref());
    out.extend_from_slice(b",\"ja3s_full\":");
    opt_string(out, f.ja3s_full.as_deref());
    out.extend_from_slice(b",\"ja4\":");
    opt_string(out, f.ja4.as_deref());
    out.extend_from_slice(b",\"ja4_r\":");
    opt_string(out, f.ja4_r.as_deref());
    out.push(b'}');
}

fn finding(out: &mut Vec<u8>, f: &Finding) {
    out.extend_from_slice(b"{\"id\":");
    string(out, f.id);
    out.extend_from_slice(b",\"severity\":");
    name(out, f.severity.as_str());
    out.extend_from_slice(b",\"message\":");
    string(out, &f.message);
    out.extend_from_slice(b",\"evidence\":");
    list(out, &f.evidence, |out, v| num(out, *v));
    out.extend_from_slice(b",\"certificate\":");
    opt_num(out, f.certificate.map(|i| i as u64));
    out.push(b'}');
}

fn diagnosis(out: &mut Vec<u8>, d: &Diagnosis) {
    out.extend_from_slice(b"{\"code\":");
    string(out, d.code);
    out.extend_from_slice(b",\"summary\":");
    string(out, &d.summary);
    out.extend_from_slice(b",\"detail\":");
    string(out, &d.detail);
    out.extend_from_slice(b",\"remediation\":");
    string(out, &d.remediation);
    out.extend_from_slice(b",\"evidence_frames\":");
    list(out, &d.evidence_frames, |out, v| num(out, *v));
    out.push(b'}');
}

/// The decimal text of every byte value (digits, how many): an IPv4 address is four look-ups
/// instead of four integer formattings, on both ends of every record.
const OCTETS: [([u8; 3], u8); 256] = {
    let mut t = [([0u8; 3], 0u8); 256];
    let mut v = 0;
    while v < 256 {
        let (h, d, u) = ((v / 100) as u8, (v / 10 % 10) as u8, (v % 10) as u8);
        t[v] = if v >= 100 {
            ([b'0' + h, b'0' + d, b'0' + u], 3)
        } else if v >= 10 {
            ([b'0' + d, b'0' + u, 0], 2)
        } else {
            ([b'0' + u, 0, 0], 1)
        };
        v += 1;
    }
    t
};

fn endpoint(out: &mut Vec<u8>, e: &Endpoint) {
    out.extend_from_slice(b"{\"ip\":\"");
    // An address's text has nothing JSON escapes; serde writes its Display the same way.
    match e.ip {
        IpAddr::V4(ip) => {
            for (i, octet) in ip.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push(b'.');
                }
                let (digits, len) = &OCTETS[usize::from(octet)];
                out.extend_from_slice(digits.get(..usize::from(*len)).unwrap_or(digits));
            }
        }
        IpAddr::V6(ip) => {
            let _ = write!(out, "{ip}");
        }
    }
    out.extend_from_slice(b"\",\"port\":");
    num(out, u64::from(e.port));
    out.push(b'}');
}

/// `"2026-11-30T12:00:00.123456Z"` (the text has nothing JSON escapes).
fn timestamp(out: &mut Vec<u8>, t: Timestamp) {
    out.push(b'"');
    t.push_rfc3339(out);
    out.push(b'"');
}

/// A version by its name, else as `"0x7e02"` (as [`Version`]'s `Serialize`).
fn version(out: &mut Vec<u8>, v: Version) {
    match names::version(v.0) {
        Some(n) => name(out, n),
        None => hex16(out, v.0),
    }
}

/// A list of code points: `["0x1301",...]`.
fn ids(out: &mut Vec<u8>, v: &[u16]) {
    list(out, v, |out, x| hex16(out, *x));
}

/// The names parallel to [`ids`]: null when unknown, `"GREASE"` for RFC 8701 values.
fn named(out: &mut Vec<u8>, v: &[u16], namer: fn(u16) -> Option<&'static str>) {
    list(out, v, |out, x| opt_name(out, list_name(*x, namer)));
}

fn list<T>(out: &mut Vec<u8>, items: &[T], mut each: impl FnMut(&mut Vec<u8>, &T)) {
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        each(out, item);
    }
    out.push(b']');
}

fn hex16(out: &mut Vec<u8>, v: u16) {
    out.push(b'"');
    out.extend_from_slice(Hex16(v).as_static().as_bytes());
    out.push(b'"');
}

fn opt_hex16(out: &mut Vec<u8>, v: Option<u16>) {
    match v {
        Some(v) => hex16(out, v),
        None => null(out),
    }
}

fn hex8(out: &mut Vec<u8>, v: u8) {
    out.push(b'"');
    out.extend_from_slice(Hex8(v).text().as_bytes());
    out.push(b'"');
}

fn num(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

fn opt_num(out: &mut Vec<u8>, v: Option<u64>) {
    match v {
        Some(v) => num(out, v),
        None => null(out),
    }
}

fn boolean(out: &mut Vec<u8>, b: bool) {
    out.extend_from_slice(if b { b"true" } else { b"false" });
}

fn null(out: &mut Vec<u8>) {
    out.extend_from_slice(b"null");
}

fn opt_string(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => string(out, s),
        None => null(out),
    }
}

/// A JSON string escaped as serde_json escapes it: `"` and `\` with a backslash, the control
/// characters below U+0020 as `\b \t \n \f \r` or `\u00XX` (lower-case hex), everything else
/// (DEL, non-ASCII) as it is.
fn string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let mut rest = s.as_bytes();
    while let Some(at) = first_to_escape(rest) {
        let (plain, tail) = rest.split_at(at);
        out.extend_from_slice(plain);
        let Some((&b, tail)) = tail.split_first() else {
            break;
        };
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => {
                out.extend_from_slice(b"\\u00");
                out.extend_from_slice(Hex8(b).text().as_bytes().get(2..).unwrap_or(b"00"));
            }
        }
        rest = tail;
    }
    out.extend_from_slice(rest);
    out.push(b'"');
}

/// A string from one of our name tables, which need no escaping (tested below): copied as it is.
fn name(out: &mut Vec<u8>, s: &'static str) {
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

fn opt_name(out: &mut Vec<u8>, s: Option<&'static str>) {
    match s {
        Some(s) => name(out, s),
        None => null(out),
    }
}

fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Where the first byte JSON escapes is, looking at eight bytes at a time: most strings have
/// none, and a byte-by-byte scan was a sixth of a run's instructions.
fn first_to_escape(s: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut chunks = s.chunks_exact(8);
    let mut at = 0;
    for chunk in chunks.by_ref() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        // A high bit set where a byte is below 0x20 or equal to '"' or '\\' (exact for bytes
        // below 0x80; bytes of 0x80 and over never set it, since `!y` clears their high bit).
        // Flipping bit 1 turns '"' (0x22) into 0x20 and keeps the bytes below 0x20 below it, and
        // moves no other byte below 0x21: one "below 0x21" test finds both.
        let y = x ^ (ONES * 0x02);
        let below_or_quote = y.wrapping_sub(ONES * 0x21) & !y;
        let z = x ^ (ONES * u64::from(b'\\'));
        let slash = z.wrapping_sub(ONES) & !z;
        if (below_or_quote | slash) & HIGH != 0 {
            // The bit trick can flag a byte after the first real one (borrows); look exactly.
            return chunk.iter().position(|&b| needs_escape(b)).map(|i| at + i);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| needs_escape(b))
        .map(|i| at + i)
}

#[cfg(test)]
mod tests {

    #[test]
    fn octet_table_is_each_byte_in_decimal() {
        for v in 0..=255u8 {
            let (digits, len) = super::OCTETS[usize::from(v)];
            assert_eq!(&digits[..usize::from(len)], v.to_string().as_bytes());
        }
        let mut out = Vec::new();
        super::endpoint(
            &mut out,
            &Endpoint {
                ip: "10.0.255.9".parse().unwrap(),
                port: 443,
            },
        );
        assert_eq!(out, br#"{"ip":"10.0.255.9","port":443}"#);
    }

    use super::write_record;
    use crate::record::{
        Alert, CertInfo, CipherSuite, Close, CloseKind, Diagnosis, Endpoint, Finding, Fingerprints,
        KeyInfo, Negotiation, Sender, ServerHelloInfo, Severity, Timestamp, Version,
    };

    /// [`super::name`] copies without escaping: every name the tables can give needs none.
    #[test]
    fn name_tables_need_no_escaping() {
        use crate::names;
        let clean = |s: &str| !s.bytes().any(super::needs_escape);
        for v in 0..=u16::MAX {
            for n in [
                names::version(v),
                names::cipher_suite_name(v),
                names::extension(v),
                names::group(v),
                names::signature_scheme(v),
            ]
            .into_iter()
            .flatten()
            {
                assert!(clean(n), "{n:?}");
            }
            if let Some(c) = names::cipher_suite(v) {
                for n in [c.iana, c.kx, c.au, c.enc, c.mode, c.mac] {
                    assert!(clean(n), "{n:?}");
                }
                assert!(c.openssl.is_none_or(clean));
            }
        }
        // The record's own enumerations, written with `name` too.
        use crate::record::{CloseKind, Outcome, Sender, Severity};
        for n in [Outcome::Established, Outcome::Failed, Outcome::Incomplete].map(|x| x.as_str()) {
            assert!(clean(n), "{n:?}");
        }
        for n in [Sender::Client, Sender::Server].map(|x| x.as_str()) {
            assert!(clean(n), "{n:?}");
        }
        for n in [CloseKind::Fin, CloseKind::Rst].map(|x| x.as_str()) {
            assert!(clean(n), "{n:?}");
        }
        for n in [
            Severity::Info,
            Severity::Low,
            Severity::Medium,
            Severity::High,
        ]
        .map(|x| x.as_str())
        {
            assert!(clean(n), "{n:?}");
        }
        let e = crate::record::Endpoint {
            ip: "10.0.0.1".parse().unwrap(),
            port: 1,
        };
        assert!(clean(
            Negotiation::new(0, 1, Timestamp::default(), e, e).transport
        ));
    }

    /// The eight-bytes-at-a-time scan finds what a byte-by-byte one finds, wherever the byte
    /// is and whatever surrounds it (bytes that borrow, bytes over 0x7f).
    #[test]
    fn word_scan_finds_the_first_byte_to_escape() {
        let fill = [
            b'a',
            0x20,
            0x21,
            0x22 ^ 0x80,
            0x7f,
            0x80,
            0xff,
            0x5d,
            0x5b,
            0x23,
        ];
        let special = [0u8, 0x01, 0x1f, b'"', b'\\', b'\n'];
        for len in 0..20 {
            for f in fill {
                let mut s = vec![f; len];
                assert_eq!(super::first_to_escape(&s), None);
                for at in 0..len {
                    for sp in special {
                        s[at] = sp;
                        let naive = s.iter().position(|&b| super::needs_escape(b));
                        assert_eq!(super::first_to_escape(&s), naive, "{s:?}");
                        // and a second one after it
                        if at + 1 < len {
                            s[at + 1] = 0x00;
                            assert_eq!(super::first_to_escape(&s), Some(at));
                            s[at + 1] = f;
                        }
                        s[at] = f;
                    }
                }
            }
        }
    }

    /// Every byte value at every place of a word and of the tail, among every other value:
    /// the word test may flag too much (then the exact look finds the byte), never too little.
    #[test]
    fn the_escape_scan_finds_every_byte_value_that_needs_escaping() {
        for fill in 0..=255u8 {
            let mut s = [fill; 11];
            for at in 0..s.len() {
                for b in 0..=255u8 {
                    s[at] = b;
                    let naive = s.iter().position(|&c| super::needs_escape(c));
                    assert_eq!(super::first_to_escape(&s), naive, "{s:?}");
                }
                s[at] = fill;
            }
        }
    }

    fn same_as_serde(n: &Negotiation) {
        let mut ours = Vec::new();
        write_record(n, &mut ours);
        let serde = serde_json::to_vec(n).expect("serde");
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&serde)
        );
    }

    /// The remembered ClientHello lists are used only for exactly the same lists: written
    /// twice, then with an element moved from one list to the next (the same values in the
    /// same order, split differently), then with one value changed, each is serde_json's text.
    #[test]
    fn remembered_hello_lists_are_exact() {
        let e = Endpoint {
            ip: "192.0.2.1".parse().expect("ip"),
            port: 443,
        };
        let mut n = Negotiation::new(1, 1, Timestamp::new(0, 0), e, e);
        let hello = crate::record::ClientHelloInfo {
            versions: vec![0x0304, 0x0303],
            cipher_suites: vec![0x1301, 0x1302, 0xc02f],
            extensions: vec![0x0000, 0x002b],
            groups: vec![0x001d],
            signature_algorithms: vec![0x0403],
            key_share_groups: vec![0x001d],
            ..Default::default()
        };
        let mut moved = hello.clone();
        moved.cipher_suites.pop();
        moved.extensions.insert(0, 0xc02f);
        let mut changed = hello.clone();
        changed.legacy_version = 0x0301;
        for h in [&hello, &hello, &moved, &changed, &hello] {
            n.client_hello = Some(Box::new(h.clone()));
            same_as_serde(&n);
        }
    }

    /// Every record of every capture in testdata/ (analysed) is written as serde_json writes it.
    #[test]
    fn testdata_records_are_written_as_serde_json_writes_them() {
        let mut records = 0;
        for dir in ["real", "crafted"] {
            let dir = format!("{}/testdata/{dir}", env!("CARGO_MANIFEST_DIR"));
            let mut paths: Vec<_> = std::fs::read_dir(&dir)
                .expect("testdata")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.extension()
                        .is_some_and(|x| x == "pcap" || x == "pcapng" || x == "gz")
                })
                .collect();
            paths.sort();
            for path in paths {
                let mut engine = crate::engine::Engine::new(Default::default());
                let mut recs = Vec::new();
                let mut info = crate::record::InputInfo::default();
                engine.begin_input(0);
                let _ =
                    crate::capture::read_capture(&path.to_string_lossy(), &mut info, &mut |f| {
                        engine.frame(f, &mut |n| recs.push(n))
                    });
                engine.end_input(&mut |n| recs.push(n));
                for r in &mut recs {
                    crate::analysis::analyze(r, &Default::default());
                    same_as_serde(r);
                    records += 1;
                }
            }
        }
        assert!(records >= 80, "only {records} records in testdata");
    }

    /// Text that JSON must escape (and text it must not: DEL, U+FFFD, RTL override, emoji),
    /// and every optional part filled in, including values the captures do not have.
    #[test]
    fn escapes_and_every_field_match_serde_json() {
        let e = Endpoint {
            ip: "::1".parse().expect("ip"),
            port: 443,
        };
        let v4 = Endpoint {
            ip: "192.0.2.1".parse().expect("ip"),
            port: 0,
        };
        let odd = "a\u{1b}[2J\u{0}\u{202e}\"\\/\u{7f}\u{fffd}é😀\n\t\u{8}\u{c}\r\u{1}\u{1f}";
        let mut n = Negotiation::new(7, 1, Timestamp::new(-5, 999_999_999), v4, e);
        n.id = u64::MAX;
        n.sni = Some(odd.into());
        n.alpn = Some(String::new());
        n.group = Some("x25519".into());
        n.version = Some(Version(0x7e02));
        n.cipher_suite = Some(CipherSuite(0xfefe));
        n.ocsp_stapled = Some(false);
        n.dh_bits = Some(u32::MAX);
        n.history = odd.into();
        n.notes = vec![odd.into(), String::new()];
        n.server_hello = Some(ServerHelloInfo {
            version: Some(0x0304),
            key_share_group: Some(0x001d),
            extensions: vec![0x0a0a, 0xffff, 0x002b],
            ..Default::default()
        });
        n.client_hello = Some(Box::new(crate::record::ClientHelloInfo {
            alpn: vec![odd.into(), "h2".into()],
            sni: Some(odd.into()),
            versions: vec![0x0304, 0x7f17, 0x1a1a],
            compression_methods: vec![0, 255],
            ec_point_formats: vec![1],
            sslv2_format: true,
            ..Default::default()
        }));
        let c = CertInfo {
            subject: Some(odd.into()),
            issuer: None,
            serial: Some("01:02".into()),
            not_before: None,
            not_after: Some("2030-01-01T00:00:00Z".into()),
            not_before_unix: Some(1),
            not_after_unix: None,
            san_dns: vec![odd.into()].into(),
            san_ip: vec!["10.0.0.1".into()].into(),
            key: Some(
                KeyInfo {
                    kind: "EC".into(),
                    bits: None,
                    curve: Some(odd.into()),
                }
                .into(),
            ),
            signature_algorithm: None,
            is_ca: true,
            sha256: "00ff".into(),
            der_len: 3,
            parse_error: Some(odd.into()),
            frame: 9,
            self_issued: true,
            issuer_index: Some(0),
            signature: Some("verified".into()),
            eku: Some(vec![].into()),
            subject_cn: vec!["x".into()].into(),
            der: vec![1, 2, 3].into(),
        };
        // The same hash with another tail (remembered head), then with another head (a made-up
        // record: the remembered text must not be used for it).
        n.certificates = vec![
            c.clone(),
            CertInfo {
                eku: None,
                frame: 10,
                ..c.clone()
            },
            CertInfo {
                subject: Some("CN=other".into()),
                ..c.clone()
            },
            c,
        ];
        n.alerts = vec![Alert {
            from: Sender::Server,
            level: None,
            description: Some("0x99".into()),
            encrypted: true,
            frame: 3,
        }];
        n.close = Some(Close {
            from: Sender::Client,
            kind: CloseKind::Rst,
            frame: 4,
            during_handshake: true,
        });
        n.fingerprints = Some(Box::new(Fingerprints {
            ja3: Some(odd.into()),
            ..Default::default()
        }));
        n.findings = vec![Finding {
            id: "cipher.rc4",
            severity: Severity::High,
            message: odd.into(),
            evidence: vec![1, 2],
            certificate: Some(1),
        }];
        n.diagnosis = Some(Box::new(Diagnosis {
            code: "x",
            summary: odd.into(),
            detail: String::new(),
            remediation: "r".into(),
            evidence_frames: vec![],
        }));
        same_as_serde(&n);
        n.version = Some(Version(0x0303));
        n.cipher_suite = Some(CipherSuite(0x1301));
        n.client_certificates = n.certificates.clone();
        same_as_serde(&n);
        same_as_serde(&Negotiation::new(0, 0, Timestamp::default(), e, v4));
    }
}
