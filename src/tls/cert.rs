//! The certificate layer: turns one DER certificate from a Certificate message into a
//! [`CertInfo`] of facts (names, serial, validity, SANs, key type and size, signature algorithm,
//! CA flag, SHA-256), and checks chain links ([`is_issued_by`], [`check_signature`]).
//!
//! Facts that need the raw bytes are computed here, where the bytes are; `analysis` judges them
//! later, at capture time. This module never judges (no "weak", no "expired"), never reads the
//! clock, never prints, and never fails: a certificate that does not parse still gives a
//! `CertInfo` with its SHA-256, length and the reason. The x509-parser 0.18.1 work-arounds it
//! relies on (key sizes, names that are not UTF-8) live in [`crate::compat::x509_parser`].
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

use crate::compat::x509_parser as compat;
use crate::record::{CertInfo, KeyInfo};
use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use x509_parser::asn1_rs::{Oid, Tag};
use x509_parser::error::X509Error;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::objects::{oid2sn, oid_registry};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::x509::SubjectPublicKeyInfo;

/// Signature algorithm OIDs and the names OpenSSL prints for them (`openssl x509 -text`).
/// Checked before x509-parser's registry, whose short names differ for some
/// ("rsassa-pss", "ed25519") and which lacks others (dsa_with_SHA256).
const SIGNATURE_NAMES: &[(&str, &str)] = &[
    ("1.2.840.113549.1.1.2", "md2WithRSAEncryption"),
    ("1.2.840.113549.1.1.4", "md5WithRSAEncryption"),
    ("1.2.840.113549.1.1.5", "sha1WithRSAEncryption"),
    ("1.2.840.113549.1.1.10", "rsassaPss"),
    ("1.2.840.113549.1.1.11", "sha256WithRSAEncryption"),
    ("1.2.840.113549.1.1.12", "sha384WithRSAEncryption"),
    ("1.2.840.113549.1.1.13", "sha512WithRSAEncryption"),
    ("1.2.840.113549.1.1.14", "sha224WithRSAEncryption"),
    ("1.3.14.3.2.29", "sha1WithRSA"),
    ("1.2.840.10045.4.1", "ecdsa-with-SHA1"),
    ("1.2.840.10045.4.3.1", "ecdsa-with-SHA224"),
    ("1.2.840.10045.4.3.2", "ecdsa-with-SHA256"),
    ("1.2.840.10045.4.3.3", "ecdsa-with-SHA384"),
    ("1.2.840.10045.4.3.4", "ecdsa-with-SHA512"),
    ("1.3.101.112", "ED25519"),
    ("1.3.101.113", "ED448"),
    ("1.2.840.10040.4.3", "dsaWithSHA1"),
    ("2.16.840.1.101.3.4.3.1", "dsa_with_SHA224"),
    ("2.16.840.1.101.3.4.3.2", "dsa_with_SHA256"),
];

/// Decodes a chain as sent and links it: for each certificate, which sent certificate issued it
/// and whether its signature verifies with that issuer's key (see [`CertInfo`]'s chain fields).
pub fn chain_info(ders: &[&[u8]], frame: u64) -> Vec<CertInfo> {
    let mut certs: Vec<CertInfo> = ders.iter().map(|d| certificate_info(d, frame)).collect();
    link_chain(ders, &mut certs);
    certs
}

/// Fills the chain fields of `certs` (decoded from `ders`, same order).
fn link_chain(ders: &[&[u8]], certs: &mut [CertInfo]) {
    for (i, der) in ders.iter().enumerate() {
        let self_issued = is_issued_by(der, der);
        let issuer = if self_issued {
            Some(i)
        } else {
            ders.iter().position(|p| is_issued_by(der, p))
        };
        let signature = issuer
            .and_then(|j| ders.get(j))
            .map(|p| match check_signature(der, p) {
                SignatureCheck::Verified => "verified".into(),
                SignatureCheck::Invalid => "invalid".into(),
                SignatureCheck::Unsupported(why) => format!("unsupported: {why}").into(),
            });
        if let Some(c) = certs.get_mut(i) {
            c.self_issued = self_issued;
            c.issuer_index = issuer;
            c.signature = signature;
        }
    }
}

/// Decodes one DER certificate as sent in a Certificate message. Never fails: a certificate that
/// does not parse gives a CertInfo with sha256/der_len/frame set, parse_error = Some(reason),
/// others null/empty.
///
/// `frame` is the frame that completed the Certificate message. Bytes after the certificate's
/// outer SEQUENCE are ignored (they still count in `sha256` and `der_len`, which describe the
/// bytes as sent).
pub fn certificate_info(der: &[u8], frame: u64) -> CertInfo {
    let mut info = CertInfo {
        subject: None,
        issuer: None,
        serial: None,
        not_before: None,
        not_after: None,
        not_before_unix: None,
        not_after_unix: None,
        san_dns: Arc::default(),
        san_ip: Arc::default(),
        key: None,
        signature_algorithm: None,
        is_ca: false,
        sha256: sha256_hex(der).into(),
        der_len: der.len(),
        parse_error: None,
        frame,
        self_issued: false,
        issuer_index: None,
        signature: None,
        eku: None,
        subject_cn: Arc::default(),
        der: der.into(),
    };
    match X509Certificate::from_der(der) {
        Ok((_, cert)) => fill(&mut info, &cert),
        Err(e) => info.parse_error = Some(parse_error_text(&e, der.len()).into()),
    }
    info
}

/// Copies the facts of a parsed certificate into `info`.
fn fill(info: &mut CertInfo, cert: &X509Certificate<'_>) {
    info.subject = Some(compat::name_to_string(cert.subject()).into());
    info.subject_cn = cert
        .subject()
        .iter_common_name()
        .map(|a| attribute_text(a.attr_value()))
        .collect();
    info.issuer = Some(compat::name_to_string(cert.issuer()).into());
    info.serial = Some(hex_colon_upper(cert.raw_serial()).into());
    let validity = cert.validity();
    info.not_before = Some(rfc3339(validity.not_before.to_datetime()).into());
    info.not_after = Some(rfc3339(validity.not_after.to_datetime()).into());
    info.not_before_unix = Some(validity.not_before.timestamp());
    info.not_after_unix = Some(validity.not_after.timestamp());
    let mut ca = None;
    let (mut san_dns, mut san_ip) = (Vec::new(), Vec::new());
    for ext in cert.iter_extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                for name in &san.general_names {
                    match name {
                        GeneralName::DNSName(s) => san_dns.push((*s).to_string()),
                        GeneralName::IPAddress(b) => san_ip.push(ip_text(b)),
                        // A dNSName that is not UTF-8 ([2] IA5String).
                        GeneralName::Invalid(tag, b) if *tag == Tag(2) => {
                            san_dns.push(compat::text_lossless(b))
                        }
                        _ => {}
                    }
                }
            }
            // The first basicConstraints counts (a second one is invalid per RFC 5280 §4.2).
            ParsedExtension::BasicConstraints(bc) if ca.is_none() => ca = Some(bc.ca),
            _ => {}
        }
    }
    info.san_dns = san_dns.into();
    info.san_ip = san_ip.into();
    info.is_ca = ca.unwrap_or(false);
    if let Ok(Some(eku)) = cert.extended_key_usage() {
        let e = &eku.value;
        let mut list: Vec<String> = [
            (e.any, "anyExtendedKeyUsage"),
            (e.server_auth, "serverAuth"),
            (e.client_auth, "clientAuth"),
            (e.code_signing, "codeSigning"),
            (e.email_protection, "emailProtection"),
            (e.time_stamping, "timeStamping"),
            (e.ocsp_signing, "OCSPSigning"),
        ]
        .iter()
        .filter(|(set, _)| *set)
        .map(|(_, n)| n.to_string())
        .collect();
        list.extend(e.other.iter().map(|o| o.to_id_string()));
        info.eku = Some(list.into());
    }
    info.key = Some(Arc::new(key_info(cert.public_key())));
    info.signature_algorithm = Some(signature_name(&cert.signature_algorithm.algorithm).into());
}

/// The text of a name attribute's value: string types as text (bytes that are not UTF-8
/// escaped as `\\XX`), a BMPString decoded from UTF-16, anything else as uppercase hex.
fn attribute_text(value: &x509_parser::asn1_rs::Any<'_>) -> String {
    let hex = |b: &[u8]| {
        b.iter().fold(String::new(), |mut s, byte| {
            let _ = write!(s, "{byte:02X}");
            s
        })
    };
    match value.tag() {
        Tag::BmpString => {
            let units = value.data.chunks_exact(2).map(|c| {
                u16::from_be_bytes([
                    c.first().copied().unwrap_or(0),
                    c.get(1).copied().unwrap_or(0),
                ])
            });
            match char::decode_utf16(units).collect::<Result<String, _>>() {
                Ok(s) if value.data.len() % 2 == 0 => s,
                _ => hex(value.data),
            }
        }
        Tag::NumericString
        | Tag::VisibleString
        | Tag::PrintableString
        | Tag::GeneralString
        | Tag::GraphicString
        | Tag::T61String
        | Tag::VideotexString
        | Tag::Utf8String
        | Tag::Ia5String => compat::text_lossless(value.data),
        _ => hex(value.data),
    }
}

/// The raw DER of a certificate's subject and issuer names and of its subjectPublicKeyInfo:
/// what a trust root is matched by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawIdentity {
    /// The subject Name, as encoded.
    pub subject: Vec<u8>,
    /// The issuer Name, as encoded.
    pub issuer: Vec<u8>,
    /// The SubjectPublicKeyInfo, as encoded.
    pub spki: Vec<u8>,
}

/// The raw names and key of a DER certificate; `None` when it does not parse.
pub fn raw_identity(der: &[u8]) -> Option<RawIdentity> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    Some(RawIdentity {
        subject: cert.subject().as_raw().to_vec(),
        issuer: cert.issuer().as_raw().to_vec(),
        spki: cert.public_key().raw.to_vec(),
    })
}

/// The type and size of a public key.
fn key_info(spki: &SubjectPublicKeyInfo<'_>) -> KeyInfo {
    let alg = spki.algorithm.algorithm.to_id_string();
    let key = |kind: &str, bits: Option<u32>, curve: Option<String>| KeyInfo {
        kind: kind.to_string(),
        bits,
        curve,
    };
    match alg.as_str() {
        "1.2.840.113549.1.1.1" => key("RSA", compat::rsa_key_bits(spki), None),
        "1.2.840.113549.1.1.10" => key("RSA-PSS", compat::rsa_key_bits(spki), None),
        "1.2.840.10045.2.1" => match compat::ec_curve(spki) {
            Some(c) => key("EC", c.bits, Some(c.name)),
            None => key("EC", None, None),
        },
        "1.2.840.10040.4.1" => key("DSA", compat::dsa_key_bits(spki), None),
        _ => match compat::eddsa_key(spki) {
            Some((kind, bits)) => key(kind, Some(bits), None),
            None => key(&alg, None, None),
        },
    }
}

/// The OpenSSL-style name of a signature algorithm, else x509-parser's registry short name, else
/// the dotted OID.
fn signature_name(oid: &Oid<'_>) -> String {
    let dotted = oid.to_id_string();
    if let Some((_, name)) = SIGNATURE_NAMES.iter().find(|(o, _)| *o == dotted) {
        return (*name).to_string();
    }
    match oid2sn(oid, oid_registry()) {
        Ok(sn) => sn.to_string(),
        Err(_) => dotted,
    }
}

/// Why x509-parser refused the bytes, in words.
fn parse_error_text(e: &x509_parser::nom::Err<X509Error>, len: usize) -> String {
    use x509_parser::nom::{error::ErrorKind, Err, Needed};
    match e {
        Err::Incomplete(Needed::Size(n)) => {
            format!("truncated: {n} more bytes needed after the {len} given")
        }
        Err::Incomplete(Needed::Unknown) => format!("truncated after {len} bytes"),
        Err::Error(X509Error::NomError(ErrorKind::Eof))
        | Err::Failure(X509Error::NomError(ErrorKind::Eof)) => {
            format!("a DER length runs past the end of the {len} bytes (truncated, or not DER)")
        }
        Err::Error(e) | Err::Failure(e) => e.to_string(),
    }
}

/// True when `child` names `parent` as issuer (raw DN bytes equal) — and if both carry AKI/SKI,
/// they match.
///
/// "AKI/SKI" means the keyIdentifier of the child's authorityKeyIdentifier and the parent's
/// subjectKeyIdentifier. Names are compared byte for byte, not with RFC 5280's matching rules.
/// False when either certificate does not parse. The signature is not checked: see
/// [`check_signature`].
pub fn is_issued_by(child_der: &[u8], parent_der: &[u8]) -> bool {
    let (Ok((_, child)), Ok((_, parent))) = (
        X509Certificate::from_der(child_der),
        X509Certificate::from_der(parent_der),
    ) else {
        return false;
    };
    if child.issuer().as_raw() != parent.subject().as_raw() {
        return false;
    }
    match (authority_key_id(&child), subject_key_id(&parent)) {
        (Some(aki), Some(ski)) => aki == ski,
        _ => true,
    }
}

/// The keyIdentifier of a certificate's authorityKeyIdentifier extension.
fn authority_key_id<'a>(cert: &'a X509Certificate<'_>) -> Option<&'a [u8]> {
    cert.iter_extensions()
        .find_map(|ext| match ext.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(aki) => Some(aki.key_identifier.as_ref()),
            _ => None,
        })
        .flatten()
        .map(|k| k.0)
}

/// The value of a certificate's subjectKeyIdentifier extension.
fn subject_key_id<'a>(cert: &'a X509Certificate<'_>) -> Option<&'a [u8]> {
    cert.iter_extensions()
        .find_map(|ext| match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(ki) => Some(ki.0),
            _ => None,
        })
}

/// The result of checking a certificate's signature with its issuer's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureCheck {
    /// The issuer's key made this signature.
    Verified,
    /// The signature does not verify with the issuer's key (tampered, wrong issuer, or a key of
    /// another type than the signature algorithm needs).
    Invalid,
    /// The check could not be made; the text says why: an algorithm or parameters x509-parser
    /// 0.18.1 with ring cannot verify (P-521, ECDSA-SHA1, ECDSA on brainpool curves, DSA, Ed448,
    /// MD5, RSA with SHA-2 under 2041 bits (ring rounds the size up to whole bytes, so 2047
    /// still verifies), RSASSA-PSS with a salt not as long as its hash), or a certificate that
    /// does not parse. Not evidence of a bad signature.
    Unsupported(String),
}

/// What kind of key a signature algorithm needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SignatureFamily {
    /// RSA PKCS#1 v1.5 or PSS: an RSA or RSASSA-PSS key.
    Rsa,
    /// ECDSA: an EC key.
    Ecdsa,
    /// Ed25519: an Ed25519 key.
    Ed25519,
    /// Anything else: left to x509-parser.
    Other,
}

/// The family of a signature algorithm OID.
fn signature_family(dotted: &str) -> SignatureFamily {
    match dotted {
        d if d.starts_with("1.2.840.113549.1.1.") => SignatureFamily::Rsa,
        "1.3.14.3.2.29" => SignatureFamily::Rsa,
        d if d.starts_with("1.2.840.10045.4.") => SignatureFamily::Ecdsa,
        "1.3.101.112" => SignatureFamily::Ed25519,
        _ => SignatureFamily::Other,
    }
}

/// True when a key of this kind can have made a signature of this family.
fn key_fits(family: SignatureFamily, key_kind: &str) -> bool {
    match family {
        SignatureFamily::Rsa => key_kind == "RSA" || key_kind == "RSA-PSS",
        SignatureFamily::Ecdsa => key_kind == "EC",
        SignatureFamily::Ed25519 => key_kind == "Ed25519",
        SignatureFamily::Other => true,
    }
}

/// Checks child's signature with parent's key: Verified, Invalid, or Unsupported(reason) (P-521,
/// ECDSA-SHA1, DSA, RSA<2048 with SHA-2 → Unsupported, not Invalid — see crates.md).
///
/// Only the signature is checked: not names, dates or extensions (see [`is_issued_by`]). A key of
/// the wrong type for the signature algorithm (an ECDSA signature and an RSA key) is `Invalid`.
/// What ring cannot check although the signature may be good (RSA sizes and PSS parameters, see
/// [`compat::ring_cannot_verify`]) is `Unsupported`, as is every algorithm x509-parser 0.18.1
/// does not implement.
pub fn check_signature(child_der: &[u8], parent_der: &[u8]) -> SignatureCheck {
    let child = match X509Certificate::from_der(child_der) {
        Ok((_, c)) => c,
        Err(e) => {
            let why = parse_error_text(&e, child_der.len());
            return SignatureCheck::Unsupported(format!("certificate does not parse: {why}"));
        }
    };
    let parent = match X509Certificate::from_der(parent_der) {
        Ok((_, c)) => c,
        Err(e) => {
            let why = parse_error_text(&e, parent_der.len());
            return SignatureCheck::Unsupported(format!("issuer does not parse: {why}"));
        }
    };
    let spki = parent.public_key();
    let sig_oid = &child.signature_algorithm.algorithm;
    let sig = signature_name(sig_oid);
    let key = key_info(spki);
    if !key_fits(signature_family(&sig_oid.to_id_string()), &key.kind) {
        return SignatureCheck::Invalid;
    }
    if let Some(why) = compat::ring_cannot_verify(&child.signature_algorithm, spki) {
        return SignatureCheck::Unsupported(format!("{sig}: {why}"));
    }
    match child.verify_signature(Some(spki)) {
        Ok(()) => SignatureCheck::Verified,
        Err(X509Error::SignatureUnsupportedAlgorithm) => SignatureCheck::Unsupported(format!(
            "{sig} ({} key): not supported by x509-parser 0.18.1 with ring",
            key_text(&key)
        )),
        Err(_) => SignatureCheck::Invalid,
    }
}

/// A key in words for reasons: "2047-bit RSA", "secp521r1 EC", "Ed448".
fn key_text(key: &KeyInfo) -> String {
    match (&key.curve, key.bits) {
        (Some(curve), _) => format!("{curve} {}", key.kind),
        (None, Some(bits)) if key.kind != "Ed25519" && key.kind != "Ed448" => {
            format!("{bits}-bit {}", key.kind)
        }
        _ => key.kind.clone(),
    }
}

/// Lowercase hex SHA-256 of `der`.
fn sha256_hex(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    let mut out = String::with_capacity(64);
    for b in digest.as_ref() {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Uppercase hex bytes separated by colons: `0A:1B:2C`; empty input gives "".
fn hex_colon_upper(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len() * 3);
    for (i, byte) in b.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        let _ = write!(out, "{byte:02X}");
    }
    out
}

/// An iPAddress SAN: IPv4 dotted, IPv6 as Rust (RFC 5952) writes it, any other length (a
/// malformed entry, or an address with a netmask) as lowercase hex.
fn ip_text(b: &[u8]) -> String {
    if let Ok(v4) = <[u8; 4]>::try_from(b) {
        Ipv4Addr::from(v4).to_string()
    } else if let Ok(v6) = <[u8; 16]>::try_from(b) {
        Ipv6Addr::from(v6).to_string()
    } else {
        b.iter().fold(String::new(), |mut s, byte| {
            let _ = write!(s, "{byte:02x}");
            s
        })
    }
}

/// RFC 3339 UTC with whole seconds: `2026-01-01T00:00:00Z`. A time with an offset (BER allows
/// one) is moved to UTC; if that leaves the range `time` supports, it keeps its offset
/// (`9999-12-31T23:00:00-02:00`).
fn rfc3339(t: time::OffsetDateTime) -> String {
    let (t, zone) = match t.checked_to_offset(time::UtcOffset::UTC) {
        Some(utc) => (utc, "Z".to_string()),
        None => {
            let (h, m, _) = t.offset().as_hms();
            let sign = if t.offset().is_negative() { '-' } else { '+' };
            (
                t,
                format!("{sign}{:02}:{:02}", h.unsigned_abs(), m.unsigned_abs()),
            )
        }
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{zone}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    //! Expected values come from `openssl x509 -inform DER -noout -subject -issuer -serial -dates
    //! -fingerprint -sha256 -nameopt sep_comma_plus_space,esc_msb`, `-text` and `-ext …` on the
    //! fixtures (collected in `testdata/certs/unit/facts.txt` by `gen.sh`), never from this code.
    use super::*;

    fn der(name: &str) -> Vec<u8> {
        let path = format!("{}/testdata/certs/unit/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn info(name: &str) -> CertInfo {
        certificate_info(&der(name), 7)
    }

    fn check(child: &str, parent: &str) -> SignatureCheck {
        check_signature(&der(child), &der(parent))
    }

    const JAN_2026: i64 = 1_767_225_600; // date -u -d 2026-01-01 +%s
    const JAN_2027: i64 = 1_798_761_600;

    #[test]
    fn rsa2048_all_fields() {
        let want = CertInfo {
            subject: Some("C=DE, O=tlsnoop test, OU=unit, CN=server.test".into()),
            issuer: Some("C=DE, O=tlsnoop test, OU=unit, CN=server.test".into()),
            // openssl -serial: 8A1B2C3D4E5F60; the DER INTEGER is 8 bytes, with the 0x00 sign pad.
            serial: Some("00:8A:1B:2C:3D:4E:5F:60".into()),
            not_before: Some("2026-01-01T00:00:00Z".into()),
            not_after: Some("2027-01-01T00:00:00Z".into()),
            not_before_unix: Some(JAN_2026),
            not_after_unix: Some(JAN_2027),
            san_dns: vec!["server.test".into()].into(),
            san_ip: Arc::default(),
            key: Some(Arc::new(KeyInfo {
                kind: "RSA".into(),
                bits: Some(2048),
                curve: None,
            })),
            signature_algorithm: Some("sha256WithRSAEncryption".into()),
            is_ca: false,
            sha256: "9d07519afd22005e3080311593cf55ff6b63d45cc5e8345bf80619e5eab28263".into(),
            der_len: 863,
            parse_error: None,
            frame: 7,
            self_issued: false,
            issuer_index: None,
            signature: None,
            eku: None,
            subject_cn: vec!["server.test".into()].into(),
            der: der("rsa2048.der").into(),
        };
        assert_eq!(info("rsa2048.der"), want);
    }

    #[test]
    fn sha256_and_length_match_openssl() {
        for (f, len, sha) in [
            (
                "rsa2047.der",
                756,
                "1c1442ec15a6a8289ca6505883bd88ebf712b008600c96ddb53c11d845f301fa",
            ),
            (
                "rsa4096.der",
                1269,
                "392f7bbc508754c21acd003cbc50456b9a910ff7dc3eeef9d84d3781cd095e9c",
            ),
            (
                "p256.der",
                355,
                "aa739833d19d24141d31409d26fc10869c51ba8d1fe896e6ceec484c8b3f3b6b",
            ),
            (
                "p384.der",
                416,
                "56b815216210f860202e59935b282f29118b56e568c25db1ef60db23e1f2245c",
            ),
            (
                "p521.der",
                486,
                "9c40b3f6689d4fe24c80fecdcc0677250d2a60e1fa1c4998bdb097d219fde2bc",
            ),
            (
                "ed25519.der",
                297,
                "c94beeee619f8190db93a588baf5833b65ece04d5d1268dde3e12e8045f6873f",
            ),
            (
                "ed448.der",
                367,
                "c8f2e33aca76fc060f749f3893ddab06ece757013f25c48fceecf17a853ea601",
            ),
            (
                "sans.der",
                567,
                "c5e46c867a72b61c0615048653492c0a28955399da97c4608caef348273b2a60",
            ),
            (
                "chain-root.der",
                809,
                "3e89422f2997ddcc16fa7465f6596129441ab284b48828514b2c5ae21c01cd30",
            ),
            (
                "garbage.der",
                33,
                "ac62848edb2d6dbb3d2a86f8b4051139286043d0dfcec23eae515d458e762629",
            ),
        ] {
            let i = info(f);
            assert_eq!((i.der_len, &*i.sha256), (len, sha), "{f}");
        }
    }

    #[test]
    fn key_types_and_sizes() {
        let k = |kind: &str, bits: Option<u32>, curve: Option<&str>| KeyInfo {
            kind: kind.into(),
            bits,
            curve: curve.map(Into::into),
        };
        for (f, want) in [
            ("rsa2047.der", k("RSA", Some(2047), None)),
            ("rsa2048.der", k("RSA", Some(2048), None)),
            ("rsa4096.der", k("RSA", Some(4096), None)),
            ("rsa-pss.der", k("RSA-PSS", Some(2048), None)),
            ("rsa-pss-salt32.der", k("RSA-PSS", Some(2048), None)),
            ("rsa1024.der", k("RSA", Some(1024), None)),
            ("p256.der", k("EC", Some(256), Some("secp256r1"))),
            ("p384.der", k("EC", Some(384), Some("secp384r1"))),
            ("p521.der", k("EC", Some(521), Some("secp521r1"))),
            ("secp256k1.der", k("EC", Some(256), Some("secp256k1"))),
            (
                "brainpool256.der",
                k("EC", Some(256), Some("brainpoolP256r1")),
            ),
            ("ed25519.der", k("Ed25519", Some(256), None)),
            ("ed448.der", k("Ed448", Some(456), None)),
            ("dsa.der", k("DSA", Some(2048), None)),
        ] {
            assert_eq!(info(f).key.as_deref(), Some(&want), "{f}");
        }
    }

    #[test]
    fn signature_algorithm_names_match_openssl() {
        for (f, want) in [
            ("rsa2048.der", "sha256WithRSAEncryption"),
            ("rsa4096.der", "sha512WithRSAEncryption"),
            ("p256.der", "ecdsa-with-SHA256"),
            ("p384.der", "ecdsa-with-SHA384"),
            ("p521.der", "ecdsa-with-SHA512"),
            ("rsa-pss.der", "rsassaPss"),
            ("ed25519.der", "ED25519"),
            ("ed448.der", "ED448"),
            ("sha1.der", "sha1WithRSAEncryption"),
            ("md5.der", "md5WithRSAEncryption"),
            ("ecdsa-sha1.der", "ecdsa-with-SHA1"),
            ("dsa.der", "dsa_with_SHA256"),
        ] {
            assert_eq!(info(f).signature_algorithm.as_deref(), Some(want), "{f}");
        }
    }

    #[test]
    fn unknown_signature_oid_falls_back() {
        // In x509-parser's registry but not in our table: its short name.
        let sha3 = x509_parser::oid_registry::OID_HASH_SHA1;
        assert_eq!(signature_name(&sha3), "id-SHA1");
        // In neither: the dotted OID.
        let made_up = Oid::from(&[1, 3, 6, 1, 4, 1, 99_999, 1]).expect("oid");
        assert_eq!(signature_name(&made_up), "1.3.6.1.4.1.99999.1");
    }

    #[test]
    fn many_dns_and_ip_sans() {
        // openssl -ext subjectAltName; IPv6 written the RFC 5952 way (openssl prints
        // 2001:DB8:0:0:0:0:0:1 and 0:0:0:0:0:FFFF:C000:207). email and URI are not kept.
        let i = info("sans.der");
        let dns = [
            "sans.test",
            "www.sans.test",
            "*.sans.test",
            "a.sans.test",
            "b.sans.test",
            "c.sans.test",
            "d.sans.test",
            "e.sans.test",
            "xn--bcher-kva.test",
            "localhost",
        ];
        assert_eq!(*i.san_dns, dns);
        assert_eq!(
            *i.san_ip,
            ["192.0.2.1", "2001:db8::1", "::ffff:192.0.2.7", "10.0.0.255"]
        );
        assert_eq!(i.subject.as_deref(), Some("CN=sans.test"));
        assert_eq!(i.serial.as_deref(), Some("5A:45"));
        assert!(!i.is_ca);
    }

    #[test]
    fn odd_strings_survive() {
        // openssl -nameopt esc_msb: CN=odd-\E9\FF.test; -ext subjectAltName:
        // DNS:bad<FF>name.test, IP Address:<invalid length=5>, DNS:good.test.
        let i = info("odd.der");
        assert_eq!(i.subject.as_deref(), Some("CN=odd-\\E9\\FF.test"));
        assert_eq!(i.issuer.as_deref(), Some("CN=odd-\\E9\\FF.test"));
        assert_eq!(*i.san_dns, ["bad\\FFname.test", "good.test"]);
        assert_eq!(*i.san_ip, ["0a00000118"]);
        assert_eq!(i.parse_error, None);
        assert_eq!(*i.subject_cn, ["odd-\\E9\\FF.test"]);
    }

    #[test]
    fn common_names() {
        // openssl -subject: CN=*.example.test; CN=tlsnoop Check Intermediate (after O=).
        assert_eq!(*info("chk-wildcard.der").subject_cn, ["*.example.test"]);
        assert_eq!(
            *info("chk-int.der").subject_cn,
            ["tlsnoop Check Intermediate"]
        );
        assert_eq!(*info("sans.der").subject_cn, ["sans.test"]);
        assert!(info("garbage.der").subject_cn.is_empty());
    }

    #[test]
    fn attribute_values_as_text() {
        use x509_parser::asn1_rs::Any;
        let any = |tag: Tag, data: &'static [u8]| Any::from_tag_and_data(tag, data);
        assert_eq!(
            attribute_text(&any(Tag::Utf8String, "é.test".as_bytes())),
            "é.test"
        );
        assert_eq!(
            attribute_text(&any(Tag::PrintableString, b"a.test")),
            "a.test"
        );
        assert_eq!(
            attribute_text(&any(Tag::BmpString, &[0, b'a', 0, 0xe9])),
            "aé"
        );
        assert_eq!(
            attribute_text(&any(Tag::BmpString, &[0, b'a', 0])),
            "006100"
        );
        assert_eq!(attribute_text(&any(Tag::BmpString, &[0xd8, 0x00])), "D800");
        assert_eq!(attribute_text(&any(Tag::OctetString, &[1, 0xab])), "01AB");
    }

    #[test]
    fn raw_identity_is_the_encoded_names_and_key() {
        let leaf = raw_identity(&der("chk-leaf.der")).expect("leaf");
        let int = raw_identity(&der("chk-int.der")).expect("int");
        let root = raw_identity(&der("chk-root.der")).expect("root");
        let impostor = raw_identity(&der("chk-root-impostor.der")).expect("impostor");
        assert_eq!(leaf.issuer, int.subject);
        assert_eq!(int.issuer, root.subject);
        assert_eq!(root.issuer, root.subject);
        assert_eq!(impostor.subject, root.subject);
        assert_ne!(impostor.spki, root.spki);
        // DER: a Name and a SubjectPublicKeyInfo are SEQUENCEs.
        assert_eq!((root.subject[0], root.spki[0]), (0x30, 0x30));
        assert_eq!(raw_identity(&der("garbage.der")), None);
    }

    #[test]
    fn expired_dates() {
        let i = info("expired.der");
        assert_eq!(i.not_before.as_deref(), Some("2020-01-01T00:00:00Z"));
        assert_eq!(i.not_after.as_deref(), Some("2021-01-01T00:00:00Z"));
        assert_eq!(i.not_before_unix, Some(1_577_836_800));
        assert_eq!(i.not_after_unix, Some(1_609_459_200));
        assert_eq!(i.serial.as_deref(), Some("0E"));
    }

    #[test]
    fn ca_flags_and_generalized_time() {
        let root = info("chain-root.der");
        assert!(root.is_ca);
        assert_eq!(
            root.subject.as_deref(),
            Some("O=tlsnoop test, CN=tlsnoop Test Root")
        );
        assert_eq!(root.serial.as_deref(), Some("01"));
        // notAfter 2056 is a GeneralizedTime (openssl asn1parse).
        assert_eq!(root.not_after.as_deref(), Some("2056-01-01T00:00:00Z"));
        assert_eq!(root.not_after_unix, Some(2_713_910_400));
        let int = info("chain-int.der");
        assert!(int.is_ca);
        assert_eq!(
            int.issuer.as_deref(),
            Some("O=tlsnoop test, CN=tlsnoop Test Root")
        );
        assert_eq!(int.not_after.as_deref(), Some("2031-01-01T00:00:00Z"));
        assert!(info("p521.der").is_ca);
        assert!(!info("chain-leaf.der").is_ca);
        assert_eq!(info("ed25519.der").serial.as_deref(), Some("02:55:19"));
    }

    #[test]
    fn garbage_gives_parse_error_only() {
        let i = info("garbage.der");
        let err = i.parse_error.clone();
        assert!(err.as_deref().is_some_and(|e| !e.is_empty()), "{err:?}");
        let want = CertInfo {
            subject: None,
            issuer: None,
            serial: None,
            not_before: None,
            not_after: None,
            not_before_unix: None,
            not_after_unix: None,
            san_dns: Arc::default(),
            san_ip: Arc::default(),
            key: None,
            signature_algorithm: None,
            is_ca: false,
            sha256: "ac62848edb2d6dbb3d2a86f8b4051139286043d0dfcec23eae515d458e762629".into(),
            der_len: 33,
            parse_error: err,
            frame: 7,
            self_issued: false,
            issuer_index: None,
            signature: None,
            eku: None,
            subject_cn: Arc::default(),
            der: i.der.clone(),
        };
        assert_eq!(i, want);
        let empty = certificate_info(&[], 1);
        assert!(empty.parse_error.is_some());
        assert_eq!(
            &*empty.sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn truncated_certificate_is_a_parse_error() {
        let d = der("rsa2048.der");
        for n in 0..d.len() {
            let i = certificate_info(&d[..n], 1);
            assert!(i.parse_error.is_some(), "prefix of {n} bytes parsed");
            assert_eq!(i.subject, None);
        }
        let half = certificate_info(&d[..d.len() / 2], 1);
        assert_eq!(
            half.parse_error.as_deref(),
            Some("a DER length runs past the end of the 431 bytes (truncated, or not DER)")
        );
        let two = certificate_info(&d[..2], 1);
        assert_eq!(
            two.parse_error.as_deref(),
            Some("truncated: 2 more bytes needed after the 2 given")
        );
    }

    #[test]
    fn no_panic_on_any_single_byte_change() {
        let good = der("chain-leaf.der");
        let parent = der("chain-int.der");
        for pos in 0..good.len() {
            for x in [0x01u8, 0x80, 0xff] {
                let mut d = good.clone();
                d[pos] ^= x;
                let i = certificate_info(&d, 1);
                assert_eq!(i.der_len, good.len());
                let _ = is_issued_by(&d, &parent);
                let _ = is_issued_by(&parent, &d);
                if pos % 7 == 0 {
                    // Signature checks cost ~0.1 ms each: sample them.
                    let _ = check_signature(&d, &parent);
                    let _ = check_signature(&parent, &d);
                }
            }
        }
    }

    #[test]
    fn issued_by_follows_names_and_key_ids() {
        assert!(is_issued_by(&der("chain-leaf.der"), &der("chain-int.der")));
        assert!(is_issued_by(&der("chain-int.der"), &der("chain-root.der")));
        assert!(is_issued_by(&der("chain-root.der"), &der("chain-root.der")));
        assert!(is_issued_by(&der("p521-leaf.der"), &der("p521.der")));
        // Issuer DN differs.
        assert!(!is_issued_by(
            &der("chain-leaf.der"),
            &der("chain-root.der")
        ));
        assert!(!is_issued_by(&der("chain-int.der"), &der("chain-leaf.der")));
        // Same DN, but the leaf's AKI 68:DB:25:… is not chain-int-other's SKI E4:4C:A7:….
        assert!(!is_issued_by(
            &der("chain-leaf.der"),
            &der("chain-int-other.der")
        ));
        // Not certificates.
        assert!(!is_issued_by(&der("garbage.der"), &der("chain-int.der")));
        assert!(!is_issued_by(&der("chain-leaf.der"), &der("garbage.der")));
    }

    #[test]
    fn signatures_that_verify() {
        for (child, parent) in [
            ("chain-int.der", "chain-root.der"), // sha256WithRSAEncryption, RSA 2048
            ("chain-int-other.der", "chain-root.der"),
            ("chain-leaf.der", "chain-int.der"), // ecdsa-with-SHA384, P-384
            ("chain-root.der", "chain-root.der"),
            ("rsa4096.der", "rsa4096.der"), // sha512WithRSAEncryption
            ("rsa-pss-salt32.der", "rsa-pss-salt32.der"), // rsassaPss, SHA-256, salt 32
            ("rsa2047-leaf.der", "rsa2047.der"), // ring rounds 2047 bits up to 2048
            ("p256.der", "p256.der"),
            ("p384.der", "p384.der"),
            ("ed25519.der", "ed25519.der"),
            ("sha1.der", "sha1.der"), // ring's legacy SHA-1 RSA
        ] {
            assert_eq!(
                check(child, parent),
                SignatureCheck::Verified,
                "{child} by {parent}"
            );
        }
    }

    #[test]
    fn signatures_that_do_not_verify() {
        // Last signature byte flipped (openssl verify: certificate signature failure).
        assert_eq!(
            check("chain-leaf-tampered.der", "chain-int.der"),
            SignatureCheck::Invalid
        );
        // Same curve, another key.
        assert_eq!(
            check("chain-leaf.der", "chain-int-other.der"),
            SignatureCheck::Invalid
        );
        // An ECDSA signature and an RSA key.
        assert_eq!(
            check("chain-leaf.der", "chain-root.der"),
            SignatureCheck::Invalid
        );
        // An RSA signature and an EC key.
        assert_eq!(
            check("chain-int.der", "chain-int.der"),
            SignatureCheck::Invalid
        );
        // odd.der was patched after signing.
        assert_eq!(check("odd.der", "p256.der"), SignatureCheck::Invalid);
    }

    // Every signature here is good: `openssl verify -partial_chain -CAfile P.pem C.pem` says OK.
    #[test]
    fn signatures_that_cannot_be_checked() {
        for (child, parent, why) in [
            (
                "p521-leaf.der",
                "p521.der",
                "ecdsa-with-SHA512 (secp521r1 EC key): not supported",
            ),
            (
                "p521.der",
                "p521.der",
                "ecdsa-with-SHA512 (secp521r1 EC key): not supported",
            ),
            (
                "ecdsa-sha1.der",
                "p256.der",
                "ecdsa-with-SHA1 (secp256r1 EC key): not supported",
            ),
            (
                "dsa.der",
                "dsa.der",
                "dsa_with_SHA256 (2048-bit DSA key): not supported",
            ),
            ("ed448.der", "ed448.der", "ED448 (Ed448 key): not supported"),
            (
                "md5.der",
                "rsa2048.der",
                "md5WithRSAEncryption (2048-bit RSA key): not supported",
            ),
            (
                "brainpool256.der",
                "brainpool256.der",
                "ecdsa-with-SHA256 (brainpoolP256r1 EC key): not supported",
            ),
            (
                "rsa1024.der",
                "rsa1024.der",
                "sha256WithRSAEncryption: 1024-bit RSA key: ring verifies this algorithm with \
                 2048-8192-bit keys only",
            ),
            (
                "rsa-pss.der",
                "rsa-pss.der",
                "rsassaPss: rsassaPss salt of 222 bytes: ring verifies only a salt as long as \
                 the hash (32 bytes)",
            ),
            ("garbage.der", "p256.der", "certificate does not parse: "),
            ("p256.der", "garbage.der", "issuer does not parse: "),
        ] {
            match check(child, parent) {
                SignatureCheck::Unsupported(r) => {
                    assert!(r.starts_with(why), "{child} by {parent}: {r}")
                }
                other => panic!("{child} by {parent}: {other:?}"),
            }
        }
    }

    #[test]
    fn canary_p521_still_unsupported_upstream() {
        // rusticata/x509-parser issue #69; PR #228 adds P-521 and SHA-512 after 0.18.1.
        let leaf = der("p521-leaf.der");
        let ca = der("p521.der");
        let (_, leaf) = X509Certificate::from_der(&leaf).expect("leaf");
        let (_, ca) = X509Certificate::from_der(&ca).expect("ca");
        assert!(
            matches!(
                leaf.verify_signature(Some(ca.public_key())),
                Err(X509Error::SignatureUnsupportedAlgorithm)
            ),
            "x509-parser now verifies P-521: update SignatureCheck's docs and the tests"
        );
    }

    #[test]
    fn formatting_helpers() {
        assert_eq!(hex_colon_upper(&[]), "");
        assert_eq!(hex_colon_upper(&[0x0a, 0x1b, 0xff]), "0A:1B:FF");
        assert_eq!(ip_text(&[192, 0, 2, 1]), "192.0.2.1");
        assert_eq!(ip_text(&[]), "");
        assert_eq!(ip_text(&[10, 0, 0, 0, 255, 0, 0, 0]), "0a000000ff000000");
        let t = time::OffsetDateTime::from_unix_timestamp(JAN_2026).expect("time");
        assert_eq!(rfc3339(t), "2026-01-01T00:00:00Z");
        let east = t.to_offset(time::UtcOffset::from_hms(2, 0, 0).expect("offset"));
        assert_eq!(rfc3339(east), "2026-01-01T00:00:00Z");
    }
}
