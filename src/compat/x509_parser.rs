//! Work-arounds for x509-parser 0.18.1 (with oid-registry 0.8.1 and asn1-rs 0.7.2).
//!
//! Each public function replaces one x509-parser answer that is wrong or missing. Its doc comment
//! names the crate version, the bug and the upstream issue or PR. Its tests run it on real DER from
//! `testdata/certs/unit/` (made by `gen.sh` there). Each work-around also has a **canary** test that
//! asserts the upstream bug is still there. When an upgrade fixes a bug, the canary fails: then
//! delete the work-around and call x509-parser directly. The bugs are listed in the dependency
//! notes, `crates.md` §2.
//!
//! This module only computes facts from parsed certificates. It never prints, and nothing in it
//! may panic on any input.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

use ::x509_parser::asn1_rs::{Any, FromDer, Tag};
use ::x509_parser::der_parser::der::parse_der_integer;
use ::x509_parser::objects::{oid2abbrev, oid_registry};
use ::x509_parser::public_key::RSAPublicKey;
use ::x509_parser::signature_algorithm::RsaSsaPssParams;
use ::x509_parser::x509::{
    AlgorithmIdentifier, AttributeTypeAndValue, SubjectPublicKeyInfo, X509Name,
};

/// rsaEncryption.
const OID_RSA: &str = "1.2.840.113549.1.1.1";
/// id-RSASSA-PSS, used as a key algorithm (RFC 4055).
const OID_RSA_PSS: &str = "1.2.840.113549.1.1.10";
/// id-ecPublicKey.
const OID_EC: &str = "1.2.840.10045.2.1";
/// id-Ed25519 (RFC 8410).
const OID_ED25519: &str = "1.3.101.112";
/// id-Ed448 (RFC 8410).
const OID_ED448: &str = "1.3.101.113";
/// id-dsa.
const OID_DSA: &str = "1.2.840.10040.4.1";

/// Named curves: OID, the name used in records, and the key size in bits.
const CURVES: &[(&str, &str, u32)] = &[
    ("1.2.840.10045.3.1.7", "secp256r1", 256),
    ("1.3.132.0.34", "secp384r1", 384),
    ("1.3.132.0.35", "secp521r1", 521),
    ("1.3.132.0.10", "secp256k1", 256),
    ("1.3.132.0.33", "secp224r1", 224),
    ("1.2.840.10045.3.1.1", "secp192r1", 192),
    ("1.3.36.3.3.2.8.1.1.7", "brainpoolP256r1", 256),
    ("1.3.36.3.3.2.8.1.1.11", "brainpoolP384r1", 384),
    ("1.3.36.3.3.2.8.1.1.13", "brainpoolP512r1", 512),
];

/// Number of significant bits in a big-endian unsigned integer (leading zero bytes and bits
/// do not count). `None` for an empty or all-zero value.
fn bit_length(be: &[u8]) -> Option<u32> {
    let start = be.iter().position(|&b| b != 0)?;
    let digits = be.get(start..)?;
    let first = *digits.first()?;
    let bytes = u32::try_from(digits.len()).ok()?;
    bytes.checked_mul(8)?.checked_sub(first.leading_zeros())
}

/// Size in bits of an RSA key (rsaEncryption or RSASSA-PSS): the bit length of the modulus with
/// its leading zero bytes and bits removed.
///
/// Work-around for two x509-parser 0.18.1 bugs:
/// * `RSAPublicKey::key_size()` drops the first byte of the modulus whenever its top bit is clear,
///   without checking that it is the 0x00 sign pad, and counts whole bytes. A 2047-bit modulus
///   (top byte 0x40..0x7f, so DER adds no pad) reports **2040**; any size that is not a multiple
///   of 8 is wrong. Fixed upstream by rusticata/x509-parser PR #236 (merged 2026), not released in
///   0.18.1.
/// * `SubjectPublicKeyInfo::parsed()` returns `PublicKey::Unknown` for an RSASSA-PSS key
///   (OID 1.2.840.113549.1.1.10), so its size is 0, although the key is an ordinary
///   RSAPublicKey (RFC 4055 §1.2). No upstream issue found.
///
/// `None` when the key is not RSA or its RSAPublicKey does not parse.
pub fn rsa_key_bits(spki: &SubjectPublicKeyInfo<'_>) -> Option<u32> {
    let alg = spki.algorithm.algorithm.to_id_string();
    if alg != OID_RSA && alg != OID_RSA_PSS {
        return None;
    }
    let (_, key) = RSAPublicKey::from_der(&spki.subject_public_key.data).ok()?;
    bit_length(key.modulus)
}

/// The named curve of an EC key: its name and size in bits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcCurve {
    /// "secp256r1", "brainpoolP256r1", …, or the dotted OID of a curve not in the table.
    pub name: String,
    /// The curve's size (521 for secp521r1), or `None` for a curve not in the table.
    pub bits: Option<u32>,
}

/// The named curve of an id-ecPublicKey key, read from the namedCurve OID in the algorithm
/// parameters; the size comes from the curve, not from the point.
///
/// Work-around for x509-parser 0.18.1 `ECPoint::key_size()`, which derives the size from the
/// length of the encoded point: secp521r1 coordinates take 66 bytes, so P-521 reports **528**.
/// x509-parser has no curve accessor. No upstream issue found (PR #236 fixes RSA only).
///
/// Also guards against asn1-rs 0.7.2 `Any::as_oid()` answering `Ok` for parameters that are not
/// an OBJECT IDENTIFIER (the NULL of an RSA key gave `Ok("")`): the tag is checked first.
///
/// `None` when the key is not id-ecPublicKey or the parameters are not a namedCurve (implicitCA
/// or explicit parameters, both forbidden by RFC 5480).
pub fn ec_curve(spki: &SubjectPublicKeyInfo<'_>) -> Option<EcCurve> {
    if spki.algorithm.algorithm.to_id_string() != OID_EC {
        return None;
    }
    let params: &Any<'_> = spki.algorithm.parameters.as_ref()?;
    if params.tag() != Tag::Oid {
        return None;
    }
    let curve = params.as_oid().ok()?.to_id_string();
    Some(match CURVES.iter().find(|(oid, _, _)| *oid == curve) {
        Some(&(_, name, bits)) => EcCurve {
            name: name.to_string(),
            bits: Some(bits),
        },
        None => EcCurve {
            name: curve,
            bits: None,
        },
    })
}

/// The EdDSA key type and size: ("Ed25519", 256) for OID 1.3.101.112, ("Ed448", 456) for
/// 1.3.101.113 (sizes as OpenSSL reports them: the key lengths of RFC 8032).
///
/// Work-around for x509-parser 0.18.1 `SubjectPublicKeyInfo::parsed()`, which returns
/// `PublicKey::Unknown` for Ed25519 and Ed448 keys, so `key_size()` is **0**. No upstream issue
/// found (PR #236 fixes RSA only).
pub fn eddsa_key(spki: &SubjectPublicKeyInfo<'_>) -> Option<(&'static str, u32)> {
    match spki.algorithm.algorithm.to_id_string().as_str() {
        OID_ED25519 => Some(("Ed25519", 256)),
        OID_ED448 => Some(("Ed448", 456)),
        _ => None,
    }
}

/// Size in bits of a DSA key: the bit length of the prime p in the Dss-Parms of the algorithm
/// parameters (RFC 3279 §2.3.2).
///
/// Work-around for x509-parser 0.18.1 `PublicKey::key_size()`, which gives 8 × the DER length of
/// the public value y: y is not p, and when its top bit is set DER adds a 0x00 pad, so a
/// 2048-bit key can report **2056**. No upstream issue found.
///
/// `None` when the key is not DSA or the parameters are absent (inherited from the issuer, which
/// RFC 3279 allows) or do not parse.
pub fn dsa_key_bits(spki: &SubjectPublicKeyInfo<'_>) -> Option<u32> {
    if spki.algorithm.algorithm.to_id_string() != OID_DSA {
        return None;
    }
    let params: &Any<'_> = spki.algorithm.parameters.as_ref()?;
    if params.tag() != Tag::Sequence {
        return None;
    }
    let (_, p) = parse_der_integer(params.data).ok()?;
    bit_length(p.as_slice().ok()?)
}

/// Why ring, through x509-parser 0.18.1's `verify_signature`, cannot check a signature made
/// with `sig_alg` by the RSA key `issuer`, although the signature may be good; `None` when it can
/// (or when `sig_alg` is not an RSA signature, which this does not judge).
///
/// Work-around for x509-parser 0.18.1 `verify_signature` reporting
/// `SignatureVerificationError`, the answer for a bad signature, where ring merely refuses the
/// parameters:
/// * RSA key sizes: ring 0.17.14 verifies PKCS#1 SHA-256/384/512 and PSS for moduli of 2048 to
///   8192 bits and PKCS#1 SHA-1 for 1024 to 8192 bits. It rounds the size up to whole bytes for
///   the minimum, so a 2047-bit key still verifies with SHA-256; a 1024-bit key with SHA-256
///   does not.
/// * RSA public exponents: ring accepts odd exponents from 3 to 2^33 - 1 only.
/// * RSASSA-PSS: ring verifies SHA-256/384/512 with MGF1 over the same hash and a salt exactly as
///   long as the hash; x509-parser chooses ring's algorithm from the hash alone. OpenSSL's default
///   salt for a PSS certificate is the maximum (222 bytes for RSA 2048 with SHA-256), valid
///   RFC 4055 that ring cannot check.
///
/// No upstream issue found. ring's limits are deliberate (see its `RSA_PKCS1_2048_8192_*` and
/// `RSA_PSS_*` docs), so this stays until x509-parser reports them as unsupported.
pub fn ring_cannot_verify(
    sig_alg: &AlgorithmIdentifier<'_>,
    issuer: &SubjectPublicKeyInfo<'_>,
) -> Option<String> {
    let min = match sig_alg.algorithm.to_id_string().as_str() {
        "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" => 1024,
        "1.2.840.113549.1.1.10"
        | "1.2.840.113549.1.1.11"
        | "1.2.840.113549.1.1.12"
        | "1.2.840.113549.1.1.13" => 2048,
        _ => return None,
    };
    let Some(bits) = rsa_key_bits(issuer) else {
        return Some("the issuer's RSA key does not parse".to_string());
    };
    let rounded = bits.div_ceil(8).saturating_mul(8);
    if rounded < min || bits > 8192 {
        return Some(format!(
            "{bits}-bit RSA key: ring verifies this algorithm with {min}-8192-bit keys only"
        ));
    }
    if let Ok((_, key)) = RSAPublicKey::from_der(&issuer.subject_public_key.data) {
        if !ring_accepts_exponent(key.exponent) {
            return Some(
                "RSA public exponent outside what ring verifies (odd, 3 to 2^33-1)".to_string(),
            );
        }
    }
    if sig_alg.algorithm.to_id_string() == "1.2.840.113549.1.1.10" {
        return pss_limits(sig_alg.parameters.as_ref());
    }
    None
}

/// True for the RSA public exponents ring 0.17.14 accepts: odd, from 3 to 2^33 - 1.
fn ring_accepts_exponent(be: &[u8]) -> bool {
    let Some(bits) = bit_length(be) else {
        return false;
    };
    if bits > 33 {
        return false;
    }
    let e = be.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    e >= 3 && e % 2 == 1
}

/// The RSASSA-PSS parameters ring cannot verify, in words (see [`ring_cannot_verify`]).
fn pss_limits(params: Option<&Any<'_>>) -> Option<String> {
    let Some(params) = params else {
        return Some("rsassaPss without parameters (SHA-1): ring verifies SHA-2 only".to_string());
    };
    let Ok(params) = RsaSsaPssParams::try_from(params) else {
        return Some("rsassaPss parameters do not parse".to_string());
    };
    let hash = params.hash_algorithm_oid().to_id_string();
    let hash_len = match hash.as_str() {
        "2.16.840.1.101.3.4.2.1" => 32,
        "2.16.840.1.101.3.4.2.2" => 48,
        "2.16.840.1.101.3.4.2.3" => 64,
        _ => {
            return Some(format!(
                "rsassaPss with hash {hash}: ring verifies SHA-256/384/512 only"
            ))
        }
    };
    match params.mask_gen_algorithm() {
        Ok(mgf)
            if mgf.mgf.to_id_string() == "1.2.840.113549.1.1.8"
                && mgf.hash.to_id_string() == hash => {}
        _ => {
            return Some(
                "rsassaPss mask generation is not MGF1 with the message hash: ring verifies \
                 only that"
                    .to_string(),
            )
        }
    }
    let salt = params.salt_length();
    if salt != hash_len {
        return Some(format!(
            "rsassaPss salt of {salt} bytes: ring verifies only a salt as long as the hash \
             ({hash_len} bytes)"
        ));
    }
    if params.trailer_field() != 1 {
        return Some(format!(
            "rsassaPss trailer field {}: only 1 is defined",
            params.trailer_field()
        ));
    }
    None
}

/// A distinguished name as x509-parser's `Display` writes it (`CN=server.test, O=tlsnoop`: RDNs
/// in DER order joined by ", ", multi-valued RDNs joined by " + "), even when a value is not
/// valid text.
///
/// Work-around for x509-parser 0.18.1 `impl Display for X509Name`, which prints
/// `<X509Error: Invalid X.509 name>` for the whole name when any attribute value is not UTF-8,
/// such as a T61String holding Latin-1 bytes (common in old certificates). No upstream issue
/// found. When x509-parser's own formatting succeeds, its text is returned unchanged; otherwise
/// each value is written with [`text_lossless`], so nothing is lost.
pub fn name_to_string(name: &X509Name<'_>) -> String {
    if let Ok(s) = name.to_string_with_registry(oid_registry()) {
        return s;
    }
    let mut out = String::new();
    for (i, rdn) in name.iter_rdn().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        for (j, attr) in rdn.iter().enumerate() {
            if j > 0 {
                out.push_str(" + ");
            }
            push_attribute(&mut out, attr);
        }
    }
    out
}

/// Appends `TYPE=value` the way x509-parser 0.18.1's `x509name_to_string` does, except that
/// values that are not valid text are escaped instead of failing.
fn push_attribute(out: &mut String, attr: &AttributeTypeAndValue<'_>) {
    let oid = attr.attr_type();
    match oid2abbrev(oid, oid_registry()) {
        Ok(abbrev) => out.push_str(abbrev),
        Err(_) => out.push_str(&format!("{oid:?}")),
    }
    out.push('=');
    let value = attr.attr_value();
    match value.tag() {
        Tag::NumericString
        | Tag::VisibleString
        | Tag::PrintableString
        | Tag::GeneralString
        | Tag::ObjectDescriptor
        | Tag::GraphicString
        | Tag::T61String
        | Tag::VideotexString
        | Tag::Utf8String
        | Tag::Ia5String => out.push_str(&text_lossless(value.data)),
        Tag::BmpString => match bmp_string(value.data) {
            Some(s) => out.push_str(&s),
            None => push_hex_upper(out, value.data),
        },
        _ => push_hex_upper(out, value.data),
    }
}

/// Decodes a BMPString (UTF-16BE), or `None` if its length is odd or it holds an unpaired
/// surrogate.
fn bmp_string(b: &[u8]) -> Option<String> {
    if b.len() % 2 != 0 {
        return None;
    }
    let units = b.chunks_exact(2).map(|c| match c {
        [hi, lo] => u16::from_be_bytes([*hi, *lo]),
        _ => 0,
    });
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .ok()
}

/// Uppercase hex of `b`, as x509-parser writes a value that is not a string.
fn push_hex_upper(out: &mut String, b: &[u8]) {
    for byte in b {
        out.push_str(&format!("{byte:02X}"));
    }
}

/// Text from bytes that should be UTF-8 but may not be: valid UTF-8 is kept as is; each byte that
/// is not part of valid UTF-8 becomes `\XX` (two uppercase hex digits, as RFC 4514 escapes), and
/// a backslash becomes `\\` when escaping happened, so the bytes can be recovered exactly.
///
/// Not a work-around itself: the helper [`name_to_string`] and the certificate layer share for
/// names and subjectAltName entries that are not UTF-8.
pub fn text_lossless(b: &[u8]) -> String {
    if let Ok(s) = std::str::from_utf8(b) {
        return s.to_string();
    }
    let mut out = String::with_capacity(b.len() + 8);
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\\' {
                out.push_str("\\\\");
            } else {
                out.push(c);
            }
        }
        for byte in chunk.invalid() {
            out.push_str(&format!("\\{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::x509_parser::prelude::X509Certificate;
    use ::x509_parser::public_key::PublicKey;

    /// Reads a fixture made by `testdata/certs/unit/gen.sh`.
    fn der(name: &str) -> Vec<u8> {
        let path = format!("{}/testdata/certs/unit/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn with_cert<T>(name: &str, f: impl FnOnce(&X509Certificate<'_>) -> T) -> T {
        let bytes = der(name);
        let (_, cert) = X509Certificate::from_der(&bytes).expect(name);
        f(&cert)
    }

    fn upstream_key_size(name: &str) -> usize {
        with_cert(name, |c| c.public_key().parsed().expect(name).key_size())
    }

    #[test]
    fn bit_length_strips_zero_bytes_and_bits() {
        assert_eq!(bit_length(&[]), None);
        assert_eq!(bit_length(&[0, 0]), None);
        assert_eq!(bit_length(&[1]), Some(1));
        assert_eq!(bit_length(&[0x00, 0x80, 0]), Some(16));
        assert_eq!(bit_length(&[0x00, 0x00, 0x7f, 0xff]), Some(15));
    }

    // rsa2047.der: `openssl x509 -text` says "Public-Key: (2047 bit)"; `-modulus` starts 5A70,
    // so the 256-byte INTEGER has no 0x00 pad.
    #[test]
    fn rsa_2047_bit_modulus_is_2047() {
        assert_eq!(
            with_cert("rsa2047.der", |c| rsa_key_bits(c.public_key())),
            Some(2047)
        );
    }

    #[test]
    fn rsa_sizes_match_openssl() {
        for (f, bits) in [
            ("rsa2048.der", 2048),
            ("rsa4096.der", 4096),
            ("chain-root.der", 2048),
            ("rsa1024.der", 1024),
        ] {
            assert_eq!(
                with_cert(f, |c| rsa_key_bits(c.public_key())),
                Some(bits),
                "{f}"
            );
        }
        assert_eq!(
            with_cert("p256.der", |c| rsa_key_bits(c.public_key())),
            None
        );
    }

    // rsa-pss.der: `openssl x509 -text` says "Public Key Algorithm: rsassaPss", "(2048 bit)".
    #[test]
    fn rsa_pss_key_is_2048() {
        assert_eq!(
            with_cert("rsa-pss.der", |c| rsa_key_bits(c.public_key())),
            Some(2048)
        );
    }

    #[test]
    fn canary_rsa_key_size_still_wrong_for_2047_bits() {
        assert_eq!(
            upstream_key_size("rsa2047.der"),
            2040,
            "x509-parser now sizes a 2047-bit RSA key correctly (PR #236 released?): \
             delete the RSA part of compat::x509_parser::rsa_key_bits and use key_size()"
        );
    }

    #[test]
    fn canary_rsa_pss_key_still_unknown() {
        let unknown = with_cert("rsa-pss.der", |c| {
            matches!(c.public_key().parsed(), Ok(PublicKey::Unknown(_)))
        });
        assert!(
            unknown,
            "x509-parser now parses RSASSA-PSS keys: simplify compat::x509_parser::rsa_key_bits"
        );
    }

    fn ring_reason(child: &str, parent: &str) -> Option<String> {
        let (c, p) = (der(child), der(parent));
        let (_, c) = X509Certificate::from_der(&c).expect(child);
        let (_, p) = X509Certificate::from_der(&p).expect(parent);
        ring_cannot_verify(&c.signature_algorithm, p.public_key())
    }

    #[test]
    fn ring_limits_found_before_verifying() {
        assert_eq!(
            ring_reason("rsa1024.der", "rsa1024.der").as_deref(),
            Some("1024-bit RSA key: ring verifies this algorithm with 2048-8192-bit keys only")
        );
        // `openssl x509 -text`: Salt Length: 0xDE.
        assert_eq!(
            ring_reason("rsa-pss.der", "rsa-pss.der").as_deref(),
            Some("rsassaPss salt of 222 bytes: ring verifies only a salt as long as the hash (32 bytes)")
        );
        for (child, parent) in [
            ("rsa-pss-salt32.der", "rsa-pss-salt32.der"), // Salt Length: 0x20
            ("rsa2047-leaf.der", "rsa2047.der"),
            ("sha1.der", "sha1.der"),
            ("rsa4096.der", "rsa4096.der"),
            ("p256.der", "p256.der"), // not RSA: not judged here
        ] {
            assert_eq!(ring_reason(child, parent), None, "{child}");
        }
    }

    #[test]
    fn ring_exponent_range() {
        assert!(ring_accepts_exponent(&[0x01, 0x00, 0x01]));
        assert!(ring_accepts_exponent(&[0x00, 0x03]));
        assert!(!ring_accepts_exponent(&[0x01]));
        assert!(!ring_accepts_exponent(&[0x01, 0x00, 0x00]));
        assert!(ring_accepts_exponent(&[0x01, 0xff, 0xff, 0xff, 0xff]));
        assert!(!ring_accepts_exponent(&[0x02, 0x00, 0x00, 0x00, 0x01]));
        assert!(!ring_accepts_exponent(&[]));
    }

    fn upstream_verify(child: &str, parent: &str) -> Result<(), ::x509_parser::error::X509Error> {
        let (c, p) = (der(child), der(parent));
        let (_, c) = X509Certificate::from_der(&c).expect(child);
        let (_, p) = X509Certificate::from_der(&p).expect(parent);
        c.verify_signature(Some(p.public_key()))
    }

    #[test]
    fn canary_ring_limits_still_reported_as_bad_signatures() {
        use ::x509_parser::error::X509Error::SignatureVerificationError;
        // Both signatures are good: `openssl verify -partial_chain -CAfile X.pem X.pem` says OK.
        for f in ["rsa1024.der", "rsa-pss.der"] {
            assert!(
                matches!(upstream_verify(f, f), Err(SignatureVerificationError)),
                "x509-parser now verifies {f} or calls it unsupported: revisit \
                 compat::x509_parser::ring_cannot_verify"
            );
        }
    }

    // Curve names and sizes: `openssl x509 -text` ("ASN1 OID: secp521r1", "(521 bit)").
    #[test]
    fn ec_curves_from_named_curve_oid() {
        for (f, name, bits) in [
            ("p256.der", "secp256r1", 256),
            ("p384.der", "secp384r1", 384),
            ("p521.der", "secp521r1", 521),
            ("secp256k1.der", "secp256k1", 256),
            ("brainpool256.der", "brainpoolP256r1", 256),
        ] {
            let want = EcCurve {
                name: name.to_string(),
                bits: Some(bits),
            };
            assert_eq!(
                with_cert(f, |c| ec_curve(c.public_key())),
                Some(want),
                "{f}"
            );
        }
        assert_eq!(with_cert("rsa2048.der", |c| ec_curve(c.public_key())), None);
        assert_eq!(with_cert("ed25519.der", |c| ec_curve(c.public_key())), None);
    }

    #[test]
    fn canary_p521_key_size_still_528() {
        assert_eq!(
            upstream_key_size("p521.der"),
            528,
            "x509-parser now sizes P-521 keys correctly: use key_size() instead of the bits \
             of compat::x509_parser::ec_curve (the curve name is still needed)"
        );
    }

    #[test]
    fn canary_rsa_null_parameters_still_read_as_oid() {
        // The reason ec_curve checks the tag before as_oid().
        let ok = with_cert("rsa2048.der", |c| {
            let p = c.public_key().algorithm.parameters.as_ref().expect("NULL");
            p.as_oid().is_ok()
        });
        assert!(
            ok,
            "asn1-rs now rejects as_oid() on NULL: the tag check in ec_curve may go"
        );
    }

    #[test]
    fn eddsa_sizes() {
        assert_eq!(
            with_cert("ed25519.der", |c| eddsa_key(c.public_key())),
            Some(("Ed25519", 256))
        );
        assert_eq!(
            with_cert("ed448.der", |c| eddsa_key(c.public_key())),
            Some(("Ed448", 456))
        );
        assert_eq!(with_cert("p256.der", |c| eddsa_key(c.public_key())), None);
    }

    #[test]
    fn canary_eddsa_key_size_still_0() {
        for f in ["ed25519.der", "ed448.der"] {
            assert_eq!(
                upstream_key_size(f),
                0,
                "x509-parser now sizes {f}: delete compat::x509_parser::eddsa_key's size"
            );
        }
    }

    // dsa.der: `openssl x509 -text` says "Public-Key: (2048 bit)"; its y (`-modulus`) starts
    // A7A9, so DER pads it to 257 bytes.
    #[test]
    fn dsa_size_is_bits_of_p() {
        assert_eq!(
            with_cert("dsa.der", |c| dsa_key_bits(c.public_key())),
            Some(2048)
        );
        assert_eq!(
            with_cert("rsa2048.der", |c| dsa_key_bits(c.public_key())),
            None
        );
    }

    #[test]
    fn canary_dsa_key_size_still_counts_y() {
        assert_eq!(
            upstream_key_size("dsa.der"),
            2056,
            "x509-parser now sizes DSA keys from p: delete compat::x509_parser::dsa_key_bits"
        );
    }

    // odd.der: the subject CN is a T61String with bytes 6f 64 64 2d e9 ff 2e 74 65 73 74
    // (`openssl asn1parse -inform DER -in odd.der`; openssl reads it as Latin-1: odd-éÿ.test).
    #[test]
    fn name_with_non_utf8_value_is_escaped() {
        let s = with_cert("odd.der", |c| name_to_string(c.subject()));
        assert_eq!(s, "CN=odd-\\E9\\FF.test");
    }

    #[test]
    fn name_that_x509_parser_formats_is_unchanged() {
        let s = with_cert("rsa2048.der", |c| name_to_string(c.subject()));
        assert_eq!(s, "C=DE, O=tlsnoop test, OU=unit, CN=server.test");
    }

    #[test]
    fn canary_name_display_still_fails_on_non_utf8() {
        let s = with_cert("odd.der", |c| c.subject().to_string());
        assert_eq!(
            s, "<X509Error: Invalid X.509 name>",
            "x509-parser now formats non-UTF-8 names: check its output and maybe delete \
             compat::x509_parser::name_to_string"
        );
    }

    #[test]
    fn text_lossless_escapes_only_bad_bytes() {
        assert_eq!(text_lossless(b"plain\\text"), "plain\\text");
        assert_eq!(text_lossless(b"a\xe9b\\"), "a\\E9b\\\\");
        assert_eq!(text_lossless("é\u{0}".as_bytes()), "é\u{0}");
        assert_eq!(text_lossless(b"\xff\xfe"), "\\FF\\FE");
    }

    #[test]
    fn bmp_string_decodes_or_refuses() {
        assert_eq!(bmp_string(&[0, b'A', 0x00, 0xe9]).as_deref(), Some("Aé"));
        assert_eq!(bmp_string(&[0, b'A', 0]), None);
        assert_eq!(bmp_string(&[0xd8, 0x00]), None);
    }
}
