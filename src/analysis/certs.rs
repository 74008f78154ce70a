//! Certificate checks: findings `cert.*` on the server's certificate chain, judged at capture
//! time (the flow's `first_seen`, never the clock).
//!
//! Only the server chain (`certificates`) is checked; `client_certificates` are not (yet). In
//! TLS 1.3 the chain is encrypted, so there is nothing to check. Certificate 0 is the leaf (the
//! server's own certificate); "sent" means in the Certificate message, in the order sent.
//!
//! The chain is followed from the leaf through `issuer_index` (names and AKI/SKI, see
//! [`crate::tls::cert::is_issued_by`]) to its **top**: a self-issued certificate, or one whose
//! issuer was not sent.
//!
//! | id | severity | when |
//! |---|---|---|
//! | `cert.unparseable` | medium | a certificate does not parse (`parse_error`); no other check looks at it |
//! | `cert.expired` | high (medium for a sent self-issued certificate that is not the leaf: clients use their own copy of a root) | capture time after `not_after` |
//! | `cert.not_yet_valid` | high (medium as above) | capture time before `not_before` |
//! | `cert.expires_soon` | low | valid at capture time, and `not_after` less than 30 days later |
//! | `cert.weak_key` | high for RSA/DSA under 1024 bits or EC under 160; medium for RSA/DSA under 2048 or EC under 224 | any certificate |
//! | `cert.weak_signature` | high for MD5 or MD2, any certificate; medium for SHA-1 on a certificate that is not self-issued (a root's own signature is not checked by clients) | |
//! | `cert.bad_signature` | high | a certificate's signature does not verify with its issuer's key (`signature` is "invalid") |
//! | `cert.signature_unchecked` | info | a signature could not be checked here (`signature` is "unsupported: …", or the key of a trusted root could not verify it): not evidence of a bad signature |
//! | `cert.chain_order` | low | a certificate's issuer was sent, but not right after it (one finding per such certificate) |
//! | `cert.hostname_mismatch` | high | the leaf does not match the SNI name (RFC 6125, see [`hostname_matches`]); no SNI, no check |
//! | `cert.self_signed` | medium | the leaf is self-issued and its signature is not invalid |
//! | `cert.not_server_auth` | high | the leaf has extendedKeyUsage without serverAuth or anyExtendedKeyUsage |
//! | `cert.validity_too_long` | low | only when the chain reaches a public root (`--system-roots`): the leaf is not a CA, its not_before is on or after 2020-09-01 and not_after − not_before is more than 398 days (the CA/Browser Forum limit, which browsers enforce for public CAs only; private CAs may issue longer) |
//! | `cert.missing_intermediate` | medium | the top of the chain is not a CA (basicConstraints), not self-issued, its issuer was not sent, and (with trust roots) no trusted root issued it |
//! | `cert.untrusted_root` | high | only with trust roots (`--ca-file`, `--system-roots`): no certificate on the chain from the leaf is a trusted root or is issued by one (same subject DN bytes, and the root's key verifies the signature when it can be checked) |
//!
//! `cert.missing_intermediate` deliberately ignores a chain whose top is a CA certificate with an
//! unsent issuer: that is the normal chain (servers do not send the root), and without trust
//! roots a missing second intermediate cannot be told from an unsent root. Public CAs do not
//! issue leaves from a root, so a leaf whose issuer was not sent is missing its intermediate; a
//! private CA that does is not flagged once its root is given as a trust root. With trust roots,
//! a chain whose CA top is not issued by one of them gets `cert.untrusted_root`.
//!
//! Messages are one sentence naming the certificate by index and name, e.g. "certificate 0
//! (CN=server.test) expired on 2021-01-01T00:00:00Z, 2160 days before the capture". Findings
//! come in chain order (per certificate: unparseable, validity, key, signature algorithm,
//! signature, order, then the leaf's hostname, self-signed, EKU and validity period), then the
//! chain-level findings (missing intermediate, untrusted root) on the chain's top certificate.
//!
//! Nothing here does I/O except [`TrustStore::system`] and [`load_system_roots`], which `main`
//! calls once at start-up; [`check`] is a pure function of the record and the trust store.

use super::Context;
use crate::record::{CertInfo, Finding, Negotiation, Severity};
use crate::tls::cert::{self, RawIdentity, SignatureCheck};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

/// Seconds in a day.
const DAY: i64 = 86_400;
/// `cert.expires_soon` below this many seconds left.
const EXPIRES_SOON: i64 = 30 * DAY;
/// The CA/Browser Forum maximum validity for certificates issued on or after 2020-09-01.
const MAX_VALIDITY: i64 = 398 * DAY;
/// 2020-09-01T00:00:00Z (`date -u -d 2020-09-01 +%s`).
const MAX_VALIDITY_FROM: i64 = 1_598_918_400;
/// At most this many names are listed in a hostname message.
const MAX_NAMES_LISTED: usize = 10;

/// Where distributions keep the system's PEM bundle of trusted roots, tried in order by
/// [`load_system_roots`] (Debian/Ubuntu/Arch, Fedora/RHEL, the RHEL extracted bundle,
/// openSUSE, Alpine/BSD).
pub const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// One trusted root.
#[derive(Debug, Clone)]
struct Root {
    /// The DER.
    der: Vec<u8>,
    /// Its raw subject, issuer and key.
    id: RawIdentity,
    /// The subject as text.
    name: String,
    /// A root of the public web PKI (from the system bundle), whose CAs follow the CA/Browser
    /// Forum rules.
    public: bool,
}

/// Trust roots given by the user (`--ca-file`, `--system-roots`). A certificate chain is
/// trusted when a certificate on it is one of these roots (same subject DN bytes and same
/// key), or is issued by one (same subject DN bytes as its issuer, matching key identifiers
/// when both are present, and the root's key verifies its signature when that can be checked).
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    /// The roots, without duplicates.
    roots: Vec<Root>,
    /// Root indexes by raw subject DN.
    by_subject: HashMap<Vec<u8>, Vec<usize>>,
    /// Certificates of the input that were not used, with why.
    skipped: Vec<String>,
}

impl TrustStore {
    /// Reads every `CERTIFICATE` (or OpenSSL `TRUSTED CERTIFICATE`) block of a PEM file; other
    /// blocks (keys, CRLs) and text between blocks are ignored. A certificate block that does
    /// not decode or parse is skipped and listed in [`TrustStore::skipped`]. Fails when no
    /// certificate could be read.
    pub fn from_pem(bytes: &[u8]) -> Result<TrustStore, String> {
        TrustStore::read_pem(bytes, false)
    }

    /// [`TrustStore::from_pem`] for roots of the public web PKI (a system bundle, or Mozilla's
    /// `cacert.pem`): chains to them are also held to the CA/Browser Forum's 398-day limit
    /// (`cert.validity_too_long`), which private CAs need not follow.
    pub fn public_from_pem(bytes: &[u8]) -> Result<TrustStore, String> {
        TrustStore::read_pem(bytes, true)
    }

    /// Reads a PEM bundle; `public` marks its roots as public.
    fn read_pem(bytes: &[u8], public: bool) -> Result<TrustStore, String> {
        let mut store = TrustStore::default();
        let mut blocks = 0usize;
        for (n, block) in pem_blocks(bytes).into_iter().enumerate() {
            let ordinal = n + 1;
            let (label, body) = match block {
                Ok(b) => b,
                Err(why) => {
                    blocks += 1;
                    store.skipped.push(format!("PEM block {ordinal}: {why}"));
                    continue;
                }
            };
            if !matches!(
                label.as_str(),
                "CERTIFICATE" | "TRUSTED CERTIFICATE" | "X509 CERTIFICATE"
            ) {
                continue;
            }
            blocks += 1;
            match body {
                Ok(der) => {
                    if let Err(why) = store.add(&der, public) {
                        store.skipped.push(format!("PEM block {ordinal}: {why}"));
                    }
                }
                Err(why) => store.skipped.push(format!("PEM block {ordinal}: {why}")),
            }
        }
        if store.roots.is_empty() {
            return Err(match (blocks, store.skipped.first()) {
                (0, _) => {
                    "no certificate (-----BEGIN CERTIFICATE-----) in the PEM data".to_string()
                }
                (_, Some(why)) => format!("no usable certificate in the PEM data ({why})"),
                (_, None) => "no usable certificate in the PEM data".to_string(),
            });
        }
        Ok(store)
    }

    /// The system's trusted roots, as public roots: the bundle [`load_system_roots`] finds, read
    /// with [`TrustStore::public_from_pem`]. Does file I/O: call it from `main`, not from
    /// analysis.
    pub fn system() -> Result<TrustStore, String> {
        let (path, bytes) = load_system_roots()?;
        TrustStore::public_from_pem(&bytes).map_err(|e| format!("{path}: {e}"))
    }

    /// Adds one DER certificate as a (private) root; an exact duplicate is ignored. Fails when
    /// it does not parse.
    pub fn add_der(&mut self, der: &[u8]) -> Result<(), String> {
        self.add(der, false)
    }

    /// Adds a root; a duplicate is kept once, public if either copy is.
    fn add(&mut self, der: &[u8], public: bool) -> Result<(), String> {
        let info = cert::certificate_info(der, 0);
        if let Some(e) = info.parse_error {
            return Err(format!("certificate does not parse: {e}"));
        }
        let id = cert::raw_identity(der).ok_or_else(|| "certificate does not parse".to_string())?;
        let same = self.by_subject.entry(id.subject.clone()).or_default();
        for &i in same.iter() {
            if let Some(r) = self.roots.get_mut(i).filter(|r| r.der == der) {
                r.public |= public;
                return Ok(());
            }
        }
        same.push(self.roots.len());
        self.roots.push(Root {
            der: der.to_vec(),
            id,
            name: info.subject.as_deref().unwrap_or_default().to_string(),
            public,
        });
        Ok(())
    }

    /// Adds the roots of `other` (for `--ca-file` together with `--system-roots`).
    pub fn merge(&mut self, other: TrustStore) {
        for r in other.roots {
            let _ = self.add(&r.der, r.public);
        }
        self.skipped.extend(other.skipped);
    }

    /// Number of roots.
    pub fn len(&self) -> usize {
        self.roots.len()
    }

    /// True without roots.
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }

    /// Certificates of the input that were skipped, each with why ("PEM block 3: …"), for a
    /// warning.
    pub fn skipped(&self) -> &[String] {
        &self.skipped
    }

    /// The roots whose subject is `name` (raw DN bytes).
    fn named(&self, name: &[u8]) -> impl Iterator<Item = &Root> {
        self.by_subject
            .get(name)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.roots.get(i))
    }
}

/// Reads the system's PEM bundle of trusted roots: `$SSL_CERT_FILE` when set (OpenSSL's
/// convention), else the first of [`SYSTEM_BUNDLES`] that exists. Returns the path read and
/// its bytes.
pub fn load_system_roots() -> Result<(String, Vec<u8>), String> {
    if let Some(p) = std::env::var_os("SSL_CERT_FILE").filter(|p| !p.is_empty()) {
        let path = p.to_string_lossy().into_owned();
        return std::fs::read(&p)
            .map(|b| (path.clone(), b))
            .map_err(|e| format!("{path} (from SSL_CERT_FILE): {e}"));
    }
    for path in SYSTEM_BUNDLES {
        match std::fs::read(path) {
            Ok(b) => return Ok(((*path).to_string(), b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("{path}: {e}")),
        }
    }
    Err(format!(
        "no system bundle of trusted roots found (looked for {}); use --ca-file",
        SYSTEM_BUNDLES.join(", ")
    ))
}

/// A PEM block: its label and its decoded body (or why the body does not decode).
type PemBlock = (String, Result<Vec<u8>, String>);

/// The blocks of PEM text in order; an error for a BEGIN line without its END line.
fn pem_blocks(bytes: &[u8]) -> Vec<Result<PemBlock, String>> {
    let text = String::from_utf8_lossy(bytes);
    let mut out = Vec::new();
    let mut open: Option<(String, String)> = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(label) = pem_marker(line, "BEGIN") {
            if let Some((l, _)) = open.take() {
                out.push(Err(format!("-----BEGIN {l}----- without its END line")));
            }
            open = Some((label.to_string(), String::new()));
        } else if let Some(label) = pem_marker(line, "END") {
            match open.take() {
                Some((l, body)) if l == label => {
                    let der = base64_decode(&body).ok_or_else(|| "bad base64".to_string());
                    out.push(Ok((l, der)));
                }
                Some((l, _)) => out.push(Err(format!("-----BEGIN {l}----- ends with END {label}"))),
                None => {}
            }
        } else if let Some((_, body)) = open.as_mut() {
            // RFC 1421 headers ("Proc-Type: …") carry a colon; base64 never does.
            if !line.contains(':') {
                body.push_str(line);
            }
        }
    }
    if let Some((l, _)) = open {
        out.push(Err(format!("-----BEGIN {l}----- without its END line")));
    }
    out
}

/// The label of a `-----BEGIN LABEL-----` (or END) line.
fn pem_marker<'a>(line: &'a str, kind: &str) -> Option<&'a str> {
    line.strip_prefix("-----")?
        .strip_prefix(kind)?
        .strip_prefix(' ')?
        .strip_suffix("-----")
}

/// Standard base64 with optional padding; whitespace is ignored. `None` on any other byte.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    let mut padding = false;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                padding = true;
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\n' => continue,
            _ => return None,
        };
        if padding {
            return None;
        }
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// Certificate findings for the server chain, judged at the flow's `first_seen`.
pub fn check(n: &Negotiation, ctx: &Context) -> Vec<Finding> {
    let certs = &n.certificates;
    if certs.is_empty() {
        return Vec::new();
    }
    let now = n.first_seen.secs;
    let path = path(certs);
    let trust = ctx
        .trust
        .as_ref()
        .map(|t| (t, trust_chain(t, certs, &path)));
    let public = trust.as_ref().is_some_and(|(_, t)| t.anchored && t.public);
    let mut out = Vec::new();
    for (i, c) in certs.iter().enumerate() {
        if let Some(e) = &c.parse_error {
            let sha = c.sha256.get(..16).unwrap_or(&c.sha256);
            out.push(finding(
                "cert.unparseable",
                Severity::Medium,
                format!(
                    "certificate {i} ({} bytes, SHA-256 {sha}…) could not be parsed: {e}",
                    c.der_len
                ),
                vec![c.frame],
                i,
            ));
            continue;
        }
        validity(&mut out, i, c, now);
        weak_key(&mut out, i, c);
        weak_signature(&mut out, i, c);
        signature(&mut out, certs, i, c);
        order(&mut out, certs, i, c);
        if i == 0 {
            leaf(&mut out, n, c, public);
        }
    }
    if let Some(&top) = path.last() {
        chain(&mut out, certs, top, trust.as_ref());
    }
    out
}

/// A finding on certificate `i`.
fn finding(
    id: &'static str,
    severity: Severity,
    message: String,
    mut evidence: Vec<u64>,
    i: usize,
) -> Finding {
    evidence.sort_unstable();
    evidence.dedup();
    Finding {
        id,
        severity,
        message,
        evidence,
        certificate: Some(i),
    }
}

/// "certificate 2 (CN=server.test)": the first commonName, else the whole subject, else
/// "empty subject" (pushed, not formatted: most flows' findings name a certificate).
fn label(i: usize, c: &CertInfo) -> String {
    let mut s = String::with_capacity(64);
    s.push_str("certificate ");
    s.push_str(itoa::Buffer::new().format(i));
    s.push_str(" (");
    match (c.subject_cn.first(), c.subject.as_deref()) {
        (Some(cn), _) => {
            s.push_str("CN=");
            s.push_str(cn);
        }
        (None, Some(subject)) if !subject.is_empty() => s.push_str(subject),
        _ => s.push_str("empty subject"),
    }
    s.push(')');
    s
}

/// A length of time in words: "212 days", "1 day", "5 hours", "3 minutes", "1 second".
fn span(secs: i64) -> String {
    let secs = secs.abs();
    let (n, unit) = if secs >= DAY {
        (secs / DAY, "day")
    } else if secs >= 3600 {
        (secs / 3600, "hour")
    } else if secs >= 60 {
        (secs / 60, "minute")
    } else {
        (secs, "second")
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// `cert.expired`, `cert.not_yet_valid`, `cert.expires_soon`.
fn validity(out: &mut Vec<Finding>, i: usize, c: &CertInfo, now: i64) {
    let (Some(nb), Some(na)) = (c.not_before_unix, c.not_after_unix) else {
        return;
    };
    let nb_text = c.not_before.as_deref().unwrap_or("?");
    let na_text = c.not_after.as_deref().unwrap_or("?");
    // Clients use their own copy of a root, and many ignore the dates of a sent one.
    let severity = if i > 0 && c.self_issued {
        Severity::Medium
    } else {
        Severity::High
    };
    if now > na {
        out.push(finding(
            "cert.expired",
            severity,
            format!(
                "{} expired on {na_text}, {} before the capture",
                label(i, c),
                span(now - na)
            ),
            vec![c.frame],
            i,
        ));
    } else if now < nb {
        out.push(finding(
            "cert.not_yet_valid",
            severity,
            format!(
                "{} is not valid until {nb_text}, {} after the capture",
                label(i, c),
                span(nb - now)
            ),
            vec![c.frame],
            i,
        ));
    } else if na - now < EXPIRES_SOON {
        out.push(finding(
            "cert.expires_soon",
            Severity::Low,
            format!(
                "{} expires on {na_text}, {} after the capture",
                label(i, c),
                span(na - now)
            ),
            vec![c.frame],
            i,
        ));
    }
}

/// `cert.weak_key`: RSA/DSA under 2048 bits, EC under 224.
fn weak_key(out: &mut Vec<Finding>, i: usize, c: &CertInfo) {
    let Some(key) = &c.key else { return };
    let Some(bits) = key.bits else { return };
    let (need, broken) = match key.kind.as_str() {
        "RSA" | "RSA-PSS" | "DSA" => (2048, 1024),
        "EC" => (224, 160),
        _ => return,
    };
    if bits >= need {
        return;
    }
    let severity = if bits < broken {
        Severity::High
    } else {
        Severity::Medium
    };
    let what = match &key.curve {
        Some(curve) => format!("a {bits}-bit {} key on {curve}", key.kind),
        None => format!("a {bits}-bit {} key", key.kind),
    };
    out.push(finding(
        "cert.weak_key",
        severity,
        format!(
            "{} has {what}, under the {need} bits needed today",
            label(i, c)
        ),
        vec![c.frame],
        i,
    ));
}

/// `cert.weak_signature`: MD5/MD2 on any certificate, SHA-1 on one that is not self-issued.
fn weak_signature(out: &mut Vec<Finding>, i: usize, c: &CertInfo) {
    let Some(alg) = c.signature_algorithm.as_deref() else {
        return;
    };
    let (severity, why) = match alg {
        "md5WithRSAEncryption" | "md2WithRSAEncryption" => (
            Severity::High,
            "collisions are practical and clients refuse it",
        ),
        "sha1WithRSAEncryption" | "sha1WithRSA" | "ecdsa-with-SHA1" | "dsaWithSHA1"
            if !c.self_issued =>
        {
            (
                Severity::Medium,
                "SHA-1 collisions are practical and clients refuse SHA-1 certificates",
            )
        }
        _ => return,
    };
    out.push(finding(
        "cert.weak_signature",
        severity,
        format!("{} is signed with {alg}: {why}", label(i, c)),
        vec![c.frame],
        i,
    ));
}

/// `cert.bad_signature` and `cert.signature_unchecked` for the link to a sent issuer.
fn signature(out: &mut Vec<Finding>, certs: &[CertInfo], i: usize, c: &CertInfo) {
    let (Some(sig), Some(j)) = (c.signature.as_deref(), c.issuer_index) else {
        return;
    };
    // Most signatures verify: nothing to say, so nothing to format.
    let unchecked = sig.strip_prefix("unsupported: ");
    if sig != "invalid" && unchecked.is_none() {
        return;
    }
    let by = if j == i {
        "its own key".to_string()
    } else {
        match certs.get(j) {
            Some(p) => format!("the key of {}", label(j, p)),
            None => return,
        }
    };
    // Both ends of the link.
    let evidence: Vec<u64> = [c.frame]
        .into_iter()
        .chain(certs.get(j).map(|p| p.frame))
        .collect();
    if sig == "invalid" {
        let whose = if j == i {
            ", although it is self-issued".to_string()
        } else {
            ", which issued it by name".to_string()
        };
        out.push(finding(
            "cert.bad_signature",
            Severity::High,
            format!(
                "the signature of {} does not verify with {by}{whose}",
                label(i, c)
            ),
            evidence,
            i,
        ));
    } else if let Some(why) = unchecked {
        out.push(finding(
            "cert.signature_unchecked",
            Severity::Info,
            format!(
                "the signature of {} by {by} could not be checked: {why}",
                label(i, c)
            ),
            evidence,
            i,
        ));
    }
}

/// Pairs of certificates remembered per thread (the memory starts over when full).
const MAX_REMEMBERED_ISSUES: usize = 1024;

thread_local! {
    /// [`cert::is_issued_by`] by (child, issuer) DER, in full: it parses both certificates,
    /// and every flow to a server that sends its chain out of order asks it again of the same
    /// two (it had cost more than the rest of such a flow's analysis).
    static ISSUED_BY: std::cell::RefCell<IssuedBy> = std::cell::RefCell::new(Default::default());
}

/// Whether a certificate (first DER) was issued by another (second).
type IssuedBy = HashMap<(Arc<[u8]>, Arc<[u8]>), bool, foldhash::fast::RandomState>;

/// [`cert::is_issued_by`] of `child` and `parent`, remembered per thread.
fn issued_by(child: &CertInfo, parent: &CertInfo) -> bool {
    let key = (child.der.clone(), parent.der.clone());
    if let Some(hit) = ISSUED_BY.with(|m| m.borrow().get(&key).copied()) {
        return hit;
    }
    let issued = cert::is_issued_by(&child.der, &parent.der);
    ISSUED_BY.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= MAX_REMEMBERED_ISSUES {
            m.clear();
        }
        m.insert(key, issued);
    });
    issued
}

/// `cert.chain_order`: the issuer was sent, but not right after.
fn order(out: &mut Vec<Finding>, certs: &[CertInfo], i: usize, c: &CertInfo) {
    let Some(j) = c.issuer_index else { return };
    if j == i || c.self_issued {
        return;
    }
    // A second copy of a certificate is judged by its first one.
    if certs.iter().take(i).any(|x| x.sha256 == c.sha256) {
        return;
    }
    // The certificate after this one and its copies; another copy of the issuer may be it
    // (issuer_index is the first match).
    let next = (i + 1..certs.len()).find(|&k| certs.get(k).is_some_and(|x| x.sha256 != c.sha256));
    let next_cert = next.and_then(|k| certs.get(k).map(|x| (k, x)));
    // The next one being the recorded issuer settles it without parsing the DER again.
    if next_cert.is_some_and(|(k, x)| {
        k == j || *x.sha256 == *certs.get(j).map_or("", |p| &*p.sha256) || issued_by(c, x)
    }) {
        return;
    }
    let Some(p) = certs.get(j) else { return };
    let at = match next_cert {
        Some((k, x)) => format!("; {} comes next instead", label(k, x)),
        None => format!("; {} is the last one sent", label(i, c)),
    };
    out.push(finding(
        "cert.chain_order",
        Severity::Low,
        format!(
            "{} was issued by {}, which should come right after it{at}",
            label(i, c),
            label(j, p)
        ),
        vec![c.frame, p.frame],
        i,
    ));
}

/// The leaf's checks: hostname, self-signed, EKU, validity period.
fn leaf(out: &mut Vec<Finding>, n: &Negotiation, c: &CertInfo, public: bool) {
    if let Some(sni) = n.sni.as_deref() {
        if !hostname_matches(sni, &c.san_dns, &c.san_ip, &c.subject_cn) {
            let mut evidence = vec![c.frame];
            if let Some(ch) = &n.client_hello {
                evidence.push(ch.frame);
            }
            out.push(finding(
                "cert.hostname_mismatch",
                Severity::High,
                hostname_message(sni, c),
                evidence,
                0,
            ));
        }
    }
    if c.self_issued {
        match c.signature.as_deref() {
            Some("verified") => out.push(finding(
                "cert.self_signed",
                Severity::Medium,
                format!(
                    "{} is self-signed: its issuer is its own subject and its own key verifies \
                     its signature",
                    label(0, c)
                ),
                vec![c.frame],
                0,
            )),
            Some("invalid") => {}
            _ => out.push(finding(
                "cert.self_signed",
                Severity::Medium,
                format!(
                    "{} is self-issued (its issuer is its own subject; the signature could not \
                     be checked)",
                    label(0, c)
                ),
                vec![c.frame],
                0,
            )),
        }
    }
    if let Some(eku) = &c.eku {
        if !eku
            .iter()
            .any(|e| e == "serverAuth" || e == "anyExtendedKeyUsage")
        {
            let list = if eku.is_empty() {
                "an empty extendedKeyUsage".to_string()
            } else {
                format!("extendedKeyUsage {}", eku.join(", "))
            };
            out.push(finding(
                "cert.not_server_auth",
                Severity::High,
                format!(
                    "{} has {list} without serverAuth, so clients must not accept it for a TLS \
                     server",
                    label(0, c)
                ),
                vec![c.frame],
                0,
            ));
        }
    }
    if let (Some(nb), Some(na)) = (c.not_before_unix, c.not_after_unix) {
        if public && !c.is_ca && nb >= MAX_VALIDITY_FROM && na - nb > MAX_VALIDITY {
            out.push(finding(
                "cert.validity_too_long",
                Severity::Low,
                format!(
                    "{} is valid for {} days ({} to {}), more than the 398 days allowed for \
                     publicly trusted certificates issued on or after 2020-09-01",
                    label(0, c),
                    (na - nb + DAY - 1) / DAY,
                    c.not_before.as_deref().unwrap_or("?"),
                    c.not_after.as_deref().unwrap_or("?")
                ),
                vec![c.frame],
                0,
            ));
        }
    }
}

/// "a, b, c and 4 more".
fn list_names(names: &[String]) -> String {
    let shown: Vec<&str> = names
        .iter()
        .take(MAX_NAMES_LISTED)
        .map(String::as_str)
        .collect();
    let mut s = shown.join(", ");
    if names.len() > MAX_NAMES_LISTED {
        s.push_str(&format!(" and {} more", names.len() - MAX_NAMES_LISTED));
    }
    s
}

/// The message of `cert.hostname_mismatch`.
fn hostname_message(sni: &str, c: &CertInfo) -> String {
    let who = label(0, c);
    if sni.parse::<IpAddr>().is_ok() {
        let has = if c.san_ip.is_empty() {
            "it has no IP address subjectAltName".to_string()
        } else {
            format!("its IP addresses are {}", list_names(&c.san_ip))
        };
        return format!("{who} is not valid for the IP address {sni} sent as SNI: {has}");
    }
    let has = if !c.san_dns.is_empty() {
        format!("its DNS names are {}", list_names(&c.san_dns))
    } else if !c.subject_cn.is_empty() {
        format!(
            "it has no DNS subjectAltName and its subject CN is {}",
            list_names(&c.subject_cn)
        )
    } else {
        "it has no DNS subjectAltName and no subject CN".to_string()
    };
    format!("{who} is not valid for the SNI name {sni}: {has}")
}

/// True when a server certificate with these names is valid for `host` (the SNI), per
/// RFC 6125 §6.4 as browsers and OpenSSL apply it:
/// * names compare as ASCII case-insensitively, ignoring one trailing dot; IDNs must be
///   A-labels (`xn--…`) on both sides: a U-label SNI is compared as it is, not converted;
/// * a wildcard only as the whole left-most label (`*.example.test`), matching exactly one
///   non-empty label; no partial wildcards (`f*.example.test`), none in other labels, and
///   none with fewer than two labels after it (`*.test`);
/// * a host that is an IP address (an SNI should not be one) matches iPAddress SANs only,
///   compared as addresses;
/// * the subject CNs count only when there is no DNS subjectAltName.
pub fn hostname_matches(host: &str, san_dns: &[String], san_ip: &[String], cns: &[String]) -> bool {
    // Only text that starts with a digit (IPv4) or holds a ':' (IPv6) can be an address:
    // parsing every host name as one first was most of this check's cost.
    let maybe_ip = host.starts_with(|c: char| c.is_ascii_digit()) || host.contains(':');
    if let Some(ip) = maybe_ip.then(|| host.parse::<IpAddr>().ok()).flatten() {
        return san_ip
            .iter()
            .any(|s| s.parse::<IpAddr>().is_ok_and(|a| a == ip));
    }
    let names = if san_dns.is_empty() { cns } else { san_dns };
    names.iter().any(|p| dns_name_matches(p, host))
}

/// One presented DNS name (maybe a wildcard) against a host name: compared without one trailing
/// dot each, ASCII case-insensitively (without lower-cased copies: every flow with an SNI
/// checks its leaf's names).
fn dns_name_matches(pattern: &str, host: &str) -> bool {
    let p = pattern.strip_suffix('.').unwrap_or(pattern);
    let h = host.strip_suffix('.').unwrap_or(host);
    if h.is_empty() || h.contains('*') || h.split('.').any(str::is_empty) {
        return false;
    }
    let Some(rest) = p.strip_prefix("*.") else {
        return !p.contains('*') && p.eq_ignore_ascii_case(h);
    };
    if rest.contains('*') || rest.split('.').any(str::is_empty) || !rest.contains('.') {
        return false;
    }
    match h.split_once('.') {
        Some((first, hrest)) => !first.is_empty() && hrest.eq_ignore_ascii_case(rest),
        None => false,
    }
}

/// How a certificate reaches a trusted root.
enum Anchor {
    /// It is a root, or a root's key verified its signature; `public`: that root is public.
    Verified { public: bool },
    /// It is issued by `root` by name, but its signature could not be checked.
    Unchecked {
        root: String,
        why: String,
        public: bool,
    },
}

/// Why a certificate does not reach a root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NoAnchor {
    /// No root has its issuer's name.
    NoName,
    /// A root has the name, but other key identifiers.
    OtherKeyId,
    /// A root matches by name, but its key does not verify the signature.
    BadSignature,
}

/// Checks certificate `c` against the trust roots.
fn anchor(trust: &TrustStore, c: &CertInfo) -> Result<Anchor, NoAnchor> {
    let Some(id) = cert::raw_identity(&c.der) else {
        return Err(NoAnchor::NoName);
    };
    if let Some(r) = trust.named(&id.subject).find(|r| r.id.spki == id.spki) {
        return Ok(Anchor::Verified { public: r.public });
    }
    let mut why_not = NoAnchor::NoName;
    let mut unchecked = None;
    for r in trust.named(&id.issuer) {
        if !cert::is_issued_by(&c.der, &r.der) {
            why_not = NoAnchor::OtherKeyId;
            continue;
        }
        match cert::check_signature(&c.der, &r.der) {
            SignatureCheck::Verified => return Ok(Anchor::Verified { public: r.public }),
            SignatureCheck::Unsupported(why) => {
                unchecked.get_or_insert(Anchor::Unchecked {
                    root: r.name.clone(),
                    why,
                    public: r.public,
                });
            }
            SignatureCheck::Invalid => why_not = NoAnchor::BadSignature,
        }
    }
    unchecked.ok_or(why_not)
}

/// What the trust roots say about a chain.
struct ChainTrust {
    /// A certificate on the path from the leaf is a root or is issued by one.
    anchored: bool,
    /// That root is a public one.
    public: bool,
    /// The link to the root that could not be checked: certificate index, root, why.
    unchecked: Option<(usize, String, String)>,
    /// Why the top does not reach a root (when not anchored).
    why_not: NoAnchor,
}

/// Walks the path from the leaf and stops at the first certificate that reaches a root.
fn trust_chain(trust: &TrustStore, certs: &[CertInfo], path: &[usize]) -> ChainTrust {
    let mut t = ChainTrust {
        anchored: false,
        public: false,
        unchecked: None,
        why_not: NoAnchor::NoName,
    };
    for &i in path {
        let Some(c) = certs.get(i).filter(|c| c.parse_error.is_none()) else {
            continue;
        };
        match anchor(trust, c) {
            Ok(Anchor::Verified { public }) => {
                t.anchored = true;
                t.public = public;
                break;
            }
            Ok(Anchor::Unchecked { root, why, public }) => {
                t.anchored = true;
                t.public = public;
                t.unchecked = Some((i, root, why));
                break;
            }
            Err(w) => t.why_not = w,
        }
    }
    t
}

/// The certificates from the leaf up through `issuer_index`, ending at the top.
fn path(certs: &[CertInfo]) -> Vec<usize> {
    let mut path = vec![0];
    let mut cur = 0;
    while let Some(c) = certs.get(cur) {
        if c.self_issued {
            break;
        }
        match c.issuer_index {
            Some(j) if !path.contains(&j) => {
                path.push(j);
                cur = j;
            }
            _ => break,
        }
    }
    path
}

/// `cert.missing_intermediate` and `cert.untrusted_root` on the chain's `top` certificate, and
/// `cert.signature_unchecked` for a link to a trusted root that could not be checked.
fn chain(
    out: &mut Vec<Finding>,
    certs: &[CertInfo],
    top: usize,
    trust: Option<&(&TrustStore, ChainTrust)>,
) {
    let Some(t) = certs.get(top) else { return };
    if t.parse_error.is_some() {
        return;
    }
    if let Some((
        _,
        ChainTrust {
            unchecked: Some((i, root, why)),
            ..
        },
    )) = trust
    {
        if let Some(c) = certs.get(*i) {
            out.push(finding(
                "cert.signature_unchecked",
                Severity::Info,
                format!(
                    "the signature of {} by the trusted root {root} could not be checked: {why}",
                    label(*i, c)
                ),
                vec![c.frame],
                *i,
            ));
        }
    }
    let trusted = trust.is_some_and(|(_, ct)| ct.anchored);
    let issuer = t.issuer.as_deref().unwrap_or("?");
    if !t.self_issued && !trusted && !t.is_ca {
        out.push(finding(
            "cert.missing_intermediate",
            Severity::Medium,
            format!(
                "{} was issued by {issuer}, which is not in the chain the server sent (a \
                 missing intermediate)",
                label(top, t)
            ),
            vec![t.frame],
            top,
        ));
    }
    let Some((store, ct)) = trust.filter(|(_, ct)| !ct.anchored) else {
        return;
    };
    let n = store.len();
    let roots = if n == 1 { "root" } else { "roots" };
    let message = if t.self_issued {
        format!(
            "the chain ends at {}, a self-issued certificate that is not among the {n} trusted \
             {roots}",
            label(top, t)
        )
    } else {
        let detail = match ct.why_not {
            NoAnchor::NoName => "",
            NoAnchor::OtherKeyId => " (a trusted root has that name, but another key identifier)",
            NoAnchor::BadSignature => {
                " (a trusted root has that name, but its key does not verify the signature)"
            }
        };
        format!(
            "the chain ends at {}, issued by {issuer}, which is not among the {n} trusted \
             {roots}{detail}",
            label(top, t)
        )
    };
    out.push(finding(
        "cert.untrusted_root",
        Severity::High,
        message,
        vec![t.frame],
        top,
    ));
}

#[cfg(test)]
mod tests {
    //! Certificates come from `testdata/certs/unit/` (made by `gen.sh` there; their facts are in
    //! `facts.txt`) and are linked by the certificate layer's `chain_info`, as the TLS layer
    //! does; the records around them are built by hand.
    use super::*;
    use crate::record::{ClientHelloInfo, Endpoint, Timestamp};
    use crate::tls::cert::chain_info;

    /// 2026-06-01T00:00:00Z: every chk-* certificate is valid, none expires soon.
    const MID_2026: i64 = 1_780_272_000;
    /// 2027-01-01T00:00:00Z, the not_after of the chk-* leaves.
    const JAN_2027: i64 = 1_798_761_600;
    /// Frame of the Certificate message in these records.
    const CERT_FRAME: u64 = 6;
    /// Frame of the ClientHello.
    const CH_FRAME: u64 = 4;

    const INT: &str = "O=tlsnoop test, CN=tlsnoop Check Intermediate";
    const ROOT: &str = "O=tlsnoop test, CN=tlsnoop Check Root";

    fn read(name: &str) -> Vec<u8> {
        let path = format!("{}/testdata/certs/unit/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn chain(names: &[&str]) -> Vec<CertInfo> {
        let ders: Vec<Vec<u8>> = names.iter().map(|n| read(n)).collect();
        let refs: Vec<&[u8]> = ders.iter().map(Vec::as_slice).collect();
        chain_info(&refs, CERT_FRAME)
    }

    fn flow_with(certs: Vec<CertInfo>, sni: Option<&str>, at: i64) -> Negotiation {
        let ep = |port| Endpoint {
            ip: "127.0.0.1".parse().expect("ip"),
            port,
        };
        let mut n = Negotiation::new(0, 1, Timestamp::new(at, 500), ep(50000), ep(443));
        n.sni = sni.map(str::to_string);
        n.client_hello = Some(Box::new(ClientHelloInfo {
            frame: CH_FRAME,
            sni: n.sni.clone(),
            ..Default::default()
        }));
        n.certificates = certs;
        n
    }

    fn flow(names: &[&str], sni: Option<&str>, at: i64) -> Negotiation {
        flow_with(chain(names), sni, at)
    }

    fn run(n: &Negotiation, trust: Option<TrustStore>) -> Vec<Finding> {
        let ctx = Context {
            trust,
            ..Default::default()
        };
        check(n, &ctx)
    }

    /// (id, severity, certificate) of each finding.
    fn ids(f: &[Finding]) -> Vec<(&'static str, Severity, Option<usize>)> {
        f.iter()
            .map(|f| (f.id, f.severity, f.certificate))
            .collect()
    }

    fn only(f: &[Finding], id: &str) -> Finding {
        let hits: Vec<&Finding> = f.iter().filter(|x| x.id == id).collect();
        assert_eq!(hits.len(), 1, "{id} in {f:#?}");
        hits[0].clone()
    }

    fn store(pem: &str) -> TrustStore {
        TrustStore::from_pem(&read(pem)).expect("trust store")
    }

    fn public_store(pem: &str) -> TrustStore {
        TrustStore::public_from_pem(&read(pem)).expect("public trust store")
    }

    fn der_store(names: &[&str]) -> TrustStore {
        let mut t = TrustStore::default();
        for n in names {
            t.add_der(&read(n)).expect("root");
        }
        t
    }

    use Severity::{High, Info, Low, Medium};

    #[test]
    fn healthy_chains_have_no_findings() {
        for names in [
            &["chk-leaf.der", "chk-int.der"][..],
            &["chk-leaf.der", "chk-int.der", "chk-root.der"],
        ] {
            for sni in [Some("leaf.example.test"), Some("www.example.test"), None] {
                let n = flow(names, sni, MID_2026);
                assert_eq!(run(&n, None), [], "{names:?} {sni:?}");
                assert_eq!(run(&n, Some(store("chk-root.pem"))), [], "{names:?}");
                assert_eq!(run(&n, Some(store("chk-bundle.pem"))), [], "{names:?}");
            }
        }
        // No certificates (TLS 1.3, or a failure before the Certificate): nothing to say.
        let n = flow(&[], Some("leaf.example.test"), MID_2026);
        assert_eq!(run(&n, Some(store("chk-root.pem"))), []);
    }

    #[test]
    fn expired_at_capture_time() {
        let n = flow(
            &["chk-leaf.der", "chk-int.der"],
            Some("leaf.example.test"),
            JAN_2027 + 212 * DAY + 5,
        );
        let f = run(&n, None);
        assert_eq!(
            f,
            [Finding {
                id: "cert.expired",
                severity: High,
                message: "certificate 0 (CN=leaf.example.test) expired on 2027-01-01T00:00:00Z, \
                          212 days before the capture"
                    .into(),
                evidence: vec![CERT_FRAME],
                certificate: Some(0),
            }]
        );
        // One second after not_after; not_after itself is still valid (RFC 5280: inclusive).
        let f = run(&flow(&["chk-leaf.der"], None, JAN_2027 + 1), None);
        assert_eq!(
            only(&f, "cert.expired").message,
            "certificate 0 (CN=leaf.example.test) expired on 2027-01-01T00:00:00Z, 1 second \
             before the capture"
        );
        let f = run(
            &flow(&["chk-leaf.der", "chk-int.der"], None, JAN_2027),
            None,
        );
        assert_eq!(ids(&f), [("cert.expires_soon", Low, Some(0))]);
        // Every certificate is judged; a sent root counts less (clients use their own copy).
        let n = flow(
            &["chk-leaf.der", "chk-int.der", "chk-root.der"],
            None,
            2_713_910_400 + 3600, // 2056-01-01T01:00:00Z
        );
        assert_eq!(
            ids(&run(&n, None)),
            [
                ("cert.expired", High, Some(0)),
                ("cert.expired", High, Some(1)),
                ("cert.expired", Medium, Some(2)),
            ]
        );
        assert_eq!(
            run(&n, None)[2].message,
            format!("certificate 2 (CN=tlsnoop Check Root) expired on 2056-01-01T00:00:00Z, 1 hour before the capture")
        );
    }

    #[test]
    fn not_yet_valid_and_expires_soon() {
        let jan_2026 = 1_767_225_600;
        let f = run(
            &flow(&["chk-leaf.der", "chk-int.der"], None, jan_2026 - 90),
            None,
        );
        assert_eq!(
            f,
            [
                Finding {
                    id: "cert.not_yet_valid",
                    severity: High,
                    message: "certificate 0 (CN=leaf.example.test) is not valid until \
                              2026-01-01T00:00:00Z, 1 minute after the capture"
                        .into(),
                    evidence: vec![CERT_FRAME],
                    certificate: Some(0),
                },
                Finding {
                    id: "cert.not_yet_valid",
                    severity: High,
                    message: "certificate 1 (CN=tlsnoop Check Intermediate) is not valid until \
                              2026-01-01T00:00:00Z, 1 minute after the capture"
                        .into(),
                    evidence: vec![CERT_FRAME],
                    certificate: Some(1),
                },
            ]
        );
        let f = run(
            &flow(
                &["chk-leaf.der", "chk-int.der"],
                None,
                JAN_2027 - 12 * DAY - 7,
            ),
            None,
        );
        assert_eq!(
            f,
            [Finding {
                id: "cert.expires_soon",
                severity: Low,
                message: "certificate 0 (CN=leaf.example.test) expires on 2027-01-01T00:00:00Z, \
                          12 days after the capture"
                    .into(),
                evidence: vec![CERT_FRAME],
                certificate: Some(0),
            }]
        );
        // 30 days left exactly is not "soon"; a second less is.
        let f = run(
            &flow(&["chk-leaf.der", "chk-int.der"], None, JAN_2027 - 30 * DAY),
            None,
        );
        assert_eq!(f, []);
        let f = run(
            &flow(
                &["chk-leaf.der", "chk-int.der"],
                None,
                JAN_2027 - 30 * DAY + 1,
            ),
            None,
        );
        assert_eq!(
            only(&f, "cert.expires_soon").message,
            "certificate 0 (CN=leaf.example.test) expires on 2027-01-01T00:00:00Z, 29 days \
             after the capture"
        );
    }

    #[test]
    fn hostname_rules() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        // (host, DNS SANs, IP SANs, CNs, matches)
        type Row<'a> = (&'a str, &'a [&'a str], &'a [&'a str], &'a [&'a str], bool);
        let table: &[Row<'_>] = &[
            ("leaf.example.test", &["leaf.example.test"], &[], &[], true),
            ("LEAF.Example.TEST", &["leaf.example.test"], &[], &[], true),
            ("leaf.example.test", &["Leaf.EXAMPLE.test"], &[], &[], true),
            ("leaf.example.test.", &["leaf.example.test"], &[], &[], true),
            ("leaf.example.test", &["leaf.example.test."], &[], &[], true),
            (
                "leaf.example.test",
                &["other.test", "leaf.example.test"],
                &[],
                &[],
                true,
            ),
            ("leaf.example.tes", &["leaf.example.test"], &[], &[], false),
            ("eaf.example.test", &["leaf.example.test"], &[], &[], false),
            // Wildcards: the whole left-most label, exactly one label.
            ("a.example.test", &["*.example.test"], &[], &[], true),
            ("A.EXAMPLE.test", &["*.Example.Test"], &[], &[], true),
            ("example.test", &["*.example.test"], &[], &[], false),
            ("a.b.example.test", &["*.example.test"], &[], &[], false),
            (".example.test", &["*.example.test"], &[], &[], false),
            ("a.example.test", &["*.*.test"], &[], &[], false),
            ("a.example.test", &["a.*.test"], &[], &[], false),
            ("a.example.test", &["a.example.*"], &[], &[], false),
            // No partial wildcards.
            ("foo.example.test", &["f*.example.test"], &[], &[], false),
            ("foo.example.test", &["*o.example.test"], &[], &[], false),
            ("foo.example.test", &["f*o.example.test"], &[], &[], false),
            ("xn--bcher-kva.test", &["xn--*.test"], &[], &[], false),
            // Not over a single label (*.test is a whole top-level domain).
            ("example.test", &["*.test"], &[], &[], false),
            ("test", &["*"], &[], &[], false),
            ("a.example.test", &["*..test"], &[], &[], false),
            // An SNI is a name, never a pattern; empty labels match nothing.
            ("*.example.test", &["*.example.test"], &[], &[], false),
            ("a..example.test", &["a..example.test"], &[], &[], false),
            ("", &[""], &[], &[], false),
            // IDN: A-labels compare as ASCII; a U-label SNI is not converted.
            (
                "xn--bcher-kva.test",
                &["xn--bcher-kva.test"],
                &[],
                &[],
                true,
            ),
            (
                "XN--BCHER-KVA.test",
                &["xn--bcher-kva.test"],
                &[],
                &[],
                true,
            ),
            (
                "xn--bcher-kva.example.test",
                &["*.example.test"],
                &[],
                &[],
                true,
            ),
            ("bücher.test", &["xn--bcher-kva.test"], &[], &[], false),
            ("bücher.test", &["bücher.test"], &[], &[], true),
            // IP addresses: IP SANs only, compared as addresses.
            ("192.0.2.10", &[], &["192.0.2.10"], &[], true),
            ("192.0.2.10", &["192.0.2.10"], &[], &[], false),
            ("192.0.2.10", &[], &[], &["192.0.2.10"], false),
            (
                "192.0.2.10",
                &["leaf.example.test"],
                &["192.0.2.11", "192.0.2.10"],
                &[],
                true,
            ),
            ("192.0.2.1", &[], &["192.0.2.10"], &[], false),
            ("2001:db8::1", &[], &["2001:db8:0:0:0:0:0:1"], &[], true),
            ("2001:DB8::1", &[], &["2001:db8::1"], &[], true),
            ("192.0.2.7", &[], &["::ffff:192.0.2.7"], &[], false),
            ("leaf.example.test", &[], &["192.0.2.10"], &[], false),
            // CN only without a DNS SAN (IP SANs do not count), wildcard rules alike.
            ("cn.example.test", &[], &[], &["cn.example.test"], true),
            (
                "cn.example.test",
                &[],
                &["192.0.2.10"],
                &["cn.example.test"],
                true,
            ),
            (
                "cn.example.test",
                &["other.example.test"],
                &[],
                &["cn.example.test"],
                false,
            ),
            ("a.example.test", &[], &[], &["*.example.test"], true),
            ("a.b.example.test", &[], &[], &["*.example.test"], false),
            (
                "cn.example.test",
                &[],
                &[],
                &["other.test", "cn.example.test"],
                true,
            ),
            ("cn.example.test", &[], &[], &[], false),
        ];
        for &(host, dns, ip, cn, want) in table {
            assert_eq!(
                hostname_matches(host, &s(dns), &s(ip), &s(cn)),
                want,
                "{host:?} against DNS {dns:?} IP {ip:?} CN {cn:?}"
            );
        }
    }

    #[test]
    fn hostname_mismatch_findings() {
        let mismatch = |names: &[&str], sni: &str| {
            run(&flow(names, Some(sni), MID_2026), None)
                .into_iter()
                .filter(|f| f.id == "cert.hostname_mismatch")
                .map(|f| {
                    assert_eq!(
                        (f.severity, f.certificate, f.evidence.clone()),
                        (High, Some(0), vec![CH_FRAME, CERT_FRAME])
                    );
                    f.message
                })
                .collect::<Vec<_>>()
        };
        let wild = ["chk-wildcard.der", "chk-int.der"];
        assert_eq!(mismatch(&wild, "a.example.test"), Vec::<String>::new());
        assert_eq!(
            mismatch(&wild, "xn--bcher-kva.example.test"),
            Vec::<String>::new()
        );
        assert_eq!(
            mismatch(&wild, "example.test"),
            [
                "certificate 0 (CN=*.example.test) is not valid for the SNI name example.test: \
              its DNS names are *.example.test"
            ]
        );
        assert_eq!(
            mismatch(&wild, "a.b.example.test"),
            ["certificate 0 (CN=*.example.test) is not valid for the SNI name a.b.example.test: \
              its DNS names are *.example.test"]
        );
        let leaf = ["chk-leaf.der", "chk-int.der"];
        assert_eq!(
            mismatch(&leaf, "server.test"),
            [
                "certificate 0 (CN=leaf.example.test) is not valid for the SNI name server.test: \
              its DNS names are leaf.example.test, www.example.test"
            ]
        );
        assert_eq!(mismatch(&leaf, "192.0.2.10"), Vec::<String>::new());
        assert_eq!(
            mismatch(&leaf, "192.0.2.11"),
            [
                "certificate 0 (CN=leaf.example.test) is not valid for the IP address 192.0.2.11 \
              sent as SNI: its IP addresses are 192.0.2.10"
            ]
        );
        let nosan = ["chk-nosan.der", "chk-int.der"];
        assert_eq!(
            mismatch(&nosan, "cn-only.example.test"),
            Vec::<String>::new()
        );
        assert_eq!(
            mismatch(&nosan, "leaf.example.test"),
            [
                "certificate 0 (CN=cn-only.example.test) is not valid for the SNI name \
              leaf.example.test: it has no DNS subjectAltName and its subject CN is \
              cn-only.example.test"
            ]
        );
        assert_eq!(
            mismatch(&nosan, "192.0.2.10"),
            [
                "certificate 0 (CN=cn-only.example.test) is not valid for the IP address \
              192.0.2.10 sent as SNI: it has no IP address subjectAltName"
            ]
        );
        // sans.der has 10 DNS names: the list is cut after 10.
        let mut c = chain(&["chk-leaf.der"]);
        c[0].san_dns = (1..=12).map(|i| format!("n{i}.test")).collect();
        c[0].subject_cn = Default::default();
        c[0].subject = Some("".into());
        let f = run(&flow_with(c, Some("x.test"), MID_2026), None);
        assert_eq!(
            only(&f, "cert.hostname_mismatch").message,
            "certificate 0 (empty subject) is not valid for the SNI name x.test: its DNS names \
             are n1.test, n2.test, n3.test, n4.test, n5.test, n6.test, n7.test, n8.test, \
             n9.test, n10.test and 2 more"
        );
        // Only the leaf is matched, and no SNI means no check.
        assert_eq!(
            mismatch(&["chk-leaf.der", "chk-wildcard.der"], "a.example.test").len(),
            1
        );
        let f = run(&flow(&nosan, None, MID_2026), None);
        assert_eq!(f, []);
    }

    #[test]
    fn self_signed_leaf() {
        let f = run(&flow(&["rsa2048.der"], Some("server.test"), MID_2026), None);
        assert_eq!(
            f,
            [Finding {
                id: "cert.self_signed",
                severity: Medium,
                message: "certificate 0 (CN=server.test) is self-signed: its issuer is its own \
                          subject and its own key verifies its signature"
                    .into(),
                evidence: vec![CERT_FRAME],
                certificate: Some(0),
            }]
        );
        // Ed448 cannot be verified here: still self-issued, and said so.
        let f = run(&flow(&["ed448.der"], None, MID_2026), None);
        assert_eq!(
            ids(&f),
            [
                ("cert.signature_unchecked", Info, Some(0)),
                ("cert.self_signed", Medium, Some(0)),
            ]
        );
        assert_eq!(
            f[1].message,
            "certificate 0 (CN=ed448.test) is self-issued (its issuer is its own subject; the \
             signature could not be checked)"
        );
        assert_eq!(
            f[0].message,
            "the signature of certificate 0 (CN=ed448.test) by its own key could not be \
             checked: ED448 (Ed448 key): not supported by x509-parser 0.18.1 with ring"
        );
        // A self-issued root after the leaf is not "self-signed": that is the leaf's finding.
        let f = run(
            &flow(
                &["chk-leaf.der", "chk-int.der", "chk-root.der"],
                None,
                MID_2026,
            ),
            None,
        );
        assert_eq!(f, []);
    }

    #[test]
    fn bad_signatures() {
        let f = run(
            &flow(
                &["chain-leaf-tampered.der", "chain-int.der"],
                None,
                MID_2026,
            ),
            None,
        );
        assert_eq!(
            f,
            [Finding {
                id: "cert.bad_signature",
                severity: High,
                message: "the signature of certificate 0 (CN=leaf.test) does not verify with \
                          the key of certificate 1 (CN=tlsnoop Test Intermediate), which issued \
                          it by name"
                    .into(),
                evidence: vec![CERT_FRAME],
                certificate: Some(0),
            }]
        );
        // Self-issued, patched after signing: a bad signature, not "self-signed".
        let f = run(&flow(&["odd.der"], None, MID_2026), None);
        assert_eq!(ids(&f), [("cert.bad_signature", High, Some(0))]);
        assert_eq!(
            f[0].message,
            "the signature of certificate 0 (CN=odd-\\E9\\FF.test) does not verify with its own \
             key, although it is self-issued"
        );
    }

    #[test]
    fn unsupported_signatures_are_info_only() {
        // P-521 (ecdsa-with-SHA512): ring cannot verify it; the signature is good.
        let f = run(
            &flow(
                &["p521-leaf.der", "p521.der"],
                Some("server.test"),
                MID_2026,
            ),
            None,
        );
        assert_eq!(
            ids(&f),
            [
                ("cert.signature_unchecked", Info, Some(0)),
                ("cert.signature_unchecked", Info, Some(1)),
            ]
        );
        assert_eq!(
            f[0].message,
            "the signature of certificate 0 (CN=p521-leaf.test) by the key of certificate 1 \
             (CN=p521.test) could not be checked: ecdsa-with-SHA512 (secp521r1 EC key): not \
             supported by x509-parser 0.18.1 with ring"
        );
        // An RSA 1024 self-signed leaf: unchecked (ring needs 2048 bits for SHA-2) and weak.
        let f = run(&flow(&["rsa1024.der"], None, MID_2026), None);
        assert_eq!(
            ids(&f),
            [
                ("cert.weak_key", Medium, Some(0)),
                ("cert.signature_unchecked", Info, Some(0)),
                ("cert.self_signed", Medium, Some(0)),
            ]
        );
    }

    #[test]
    fn missing_intermediate() {
        let want = Finding {
            id: "cert.missing_intermediate",
            severity: Medium,
            message: format!(
                "certificate 0 (CN=leaf.example.test) was issued by {INT}, which is not in the \
                 chain the server sent (a missing intermediate)"
            ),
            evidence: vec![CERT_FRAME],
            certificate: Some(0),
        };
        let f = run(
            &flow(&["chk-leaf.der"], Some("leaf.example.test"), MID_2026),
            None,
        );
        assert_eq!(f, std::slice::from_ref(&want));
        // The root was sent, the intermediate was not.
        let f = run(
            &flow(&["chk-leaf.der", "chk-root.der"], None, MID_2026),
            None,
        );
        assert_eq!(f, std::slice::from_ref(&want));
        // A wrong intermediate (same name, another key) was sent instead.
        let f = run(
            &flow(&["chain-leaf.der", "chain-int-other.der"], None, MID_2026),
            None,
        );
        assert_eq!(ids(&f), [("cert.missing_intermediate", Medium, Some(0))]);
        // An intermediate whose (root) issuer was not sent is the normal chain.
        let f = run(&flow(&["chk-int.der"], None, MID_2026), None);
        assert_eq!(f, []);
        // With trust roots: the intermediate is not a root, so both.
        let f = run(
            &flow(&["chk-leaf.der"], None, MID_2026),
            Some(store("chk-root.pem")),
        );
        assert_eq!(
            ids(&f),
            [
                ("cert.missing_intermediate", Medium, Some(0)),
                ("cert.untrusted_root", High, Some(0)),
            ]
        );
        // A private CA issuing leaves from its root: fine once that CA is trusted.
        let f = run(
            &flow(&["chk-leaf.der"], None, MID_2026),
            Some(der_store(&["chk-int.der"])),
        );
        assert_eq!(f, []);
    }

    #[test]
    fn chain_order() {
        let f = run(
            &flow(
                &["chk-leaf.der", "chk-root.der", "chk-int.der"],
                Some("leaf.example.test"),
                MID_2026,
            ),
            None,
        );
        assert_eq!(
            f,
            [
                Finding {
                    id: "cert.chain_order",
                    severity: Low,
                    message: "certificate 0 (CN=leaf.example.test) was issued by certificate 2 \
                              (CN=tlsnoop Check Intermediate), which should come right after it; \
                              certificate 1 (CN=tlsnoop Check Root) comes next instead"
                        .into(),
                    evidence: vec![CERT_FRAME],
                    certificate: Some(0),
                },
                Finding {
                    id: "cert.chain_order",
                    severity: Low,
                    message: "certificate 2 (CN=tlsnoop Check Intermediate) was issued by \
                              certificate 1 (CN=tlsnoop Check Root), which should come right \
                              after it; certificate 2 (CN=tlsnoop Check Intermediate) is the \
                              last one sent"
                        .into(),
                    evidence: vec![CERT_FRAME],
                    certificate: Some(2),
                },
            ]
        );
        // The intermediate first: the leaf's issuer comes before it. Certificate 0 is then the
        // intermediate, which is what clients take as the server's certificate.
        let f = run(
            &flow(&["chk-int.der", "chk-leaf.der"], None, MID_2026),
            None,
        );
        assert_eq!(ids(&f), [("cert.chain_order", Low, Some(1))]);
        // A duplicate issuer right after is in order.
        let f = run(
            &flow(
                &["chk-leaf.der", "chk-int.der", "chk-int.der", "chk-root.der"],
                None,
                MID_2026,
            ),
            None,
        );
        assert_eq!(f, []);
    }

    #[test]
    fn weak_keys() {
        let f = run(
            &flow(&["chk-rsa1024.der", "chk-int.der"], None, MID_2026),
            None,
        );
        assert_eq!(
            f,
            [Finding {
                id: "cert.weak_key",
                severity: Medium,
                message: "certificate 0 (CN=leaf.example.test) has a 1024-bit RSA key, under the \
                          2048 bits needed today"
                    .into(),
                evidence: vec![CERT_FRAME],
                certificate: Some(0),
            }]
        );
        let f = run(
            &flow(&["chk-p192.der", "chk-int.der"], None, MID_2026),
            None,
        );
        assert_eq!(
            f,
            [Finding {
                id: "cert.weak_key",
                severity: Medium,
                message: "certificate 0 (CN=leaf.example.test) has a 192-bit EC key on \
                          secp192r1, under the 224 bits needed today"
                    .into(),
                evidence: vec![CERT_FRAME],
                certificate: Some(0),
            }]
        );
        // 2047 bits are counted as 2047 (not 2048, not 2040).
        let f = run(
            &flow(&["rsa2047-leaf.der", "rsa2047.der"], None, MID_2026),
            None,
        );
        assert_eq!(ids(&f), [("cert.weak_key", Medium, Some(1))]);
        assert!(
            f[0].message.contains("a 2047-bit RSA key"),
            "{}",
            f[0].message
        );
        // Boundaries and other kinds, on edited facts.
        let key = |kind: &str, bits: u32, curve: Option<&str>| {
            let mut c = chain(&["chk-leaf.der"]);
            c[0].key = Some(std::sync::Arc::new(crate::record::KeyInfo {
                kind: kind.into(),
                bits: Some(bits),
                curve: curve.map(Into::into),
            }));
            run(&flow_with(c, None, MID_2026), None)
                .into_iter()
                .filter(|f| f.id == "cert.weak_key")
                .map(|f| f.severity)
                .collect::<Vec<_>>()
        };
        assert_eq!(key("RSA", 2048, None), []);
        assert_eq!(key("RSA", 1024, None), [Medium]);
        assert_eq!(key("RSA", 1023, None), [High]);
        assert_eq!(key("RSA", 512, None), [High]);
        assert_eq!(key("RSA-PSS", 1536, None), [Medium]);
        assert_eq!(key("DSA", 1024, None), [Medium]);
        assert_eq!(key("DSA", 2048, None), []);
        assert_eq!(key("EC", 224, Some("secp224r1")), []);
        assert_eq!(key("EC", 192, Some("secp192r1")), [Medium]);
        assert_eq!(key("EC", 112, Some("secp112r1")), [High]);
        assert_eq!(key("Ed25519", 256, None), []);
        assert_eq!(key("1.2.3.4", 8, None), []);
    }

    #[test]
    fn weak_signature_algorithms() {
        let f = run(
            &flow(&["chk-sha1.der", "chk-int.der"], None, MID_2026),
            None,
        );
        assert_eq!(
            f,
            [Finding {
                id: "cert.weak_signature",
                severity: Medium,
                message: "certificate 0 (CN=leaf.example.test) is signed with \
                          sha1WithRSAEncryption: SHA-1 collisions are practical and clients \
                          refuse SHA-1 certificates"
                    .into(),
                evidence: vec![CERT_FRAME],
                certificate: Some(0),
            }]
        );
        // SHA-1 on a self-signed certificate: its own signature is not what clients check.
        let f = run(&flow(&["sha1.der"], None, MID_2026), None);
        assert_eq!(ids(&f), [("cert.self_signed", Medium, Some(0))]);
        // MD5 counts everywhere (and ring cannot check it).
        let f = run(&flow(&["md5.der"], None, MID_2026), None);
        assert_eq!(
            ids(&f),
            [
                ("cert.weak_signature", High, Some(0)),
                ("cert.signature_unchecked", Info, Some(0)),
                ("cert.self_signed", Medium, Some(0)),
            ]
        );
        assert_eq!(
            f[0].message,
            "certificate 0 (CN=md5.test) is signed with md5WithRSAEncryption: collisions are \
             practical and clients refuse it"
        );
    }

    #[test]
    fn validity_too_long() {
        // The CA/Browser Forum limit binds public CAs only: chk-root counts as one when it comes
        // as a public root (as --system-roots loads them).
        let public = || Some(public_store("chk-root.pem"));
        let at_2022 = 1_640_995_200;
        let f = run(
            &flow(&["chk-long.der", "chk-int.der"], None, at_2022),
            public(),
        );
        // (chk-int is dated 2026: not yet valid in 2022.)
        assert_eq!(
            ids(&f),
            [
                ("cert.validity_too_long", Low, Some(0)),
                ("cert.not_yet_valid", High, Some(1))
            ]
        );
        assert_eq!(
            [only(&f, "cert.validity_too_long")],
            [Finding {
                id: "cert.validity_too_long",
                severity: Low,
                message: "certificate 0 (CN=leaf.example.test) is valid for 825 days \
                          (2021-01-01T00:00:00Z to 2023-04-06T00:00:00Z), more than the 398 days \
                          allowed for publicly trusted certificates issued on or after 2020-09-01"
                    .into(),
                evidence: vec![CERT_FRAME],
                certificate: Some(0),
            }]
        );
        // The same chain without trust roots, or to a private root: not judged.
        let too_long = |trust: Option<TrustStore>| {
            let n = flow(&["chk-long.der", "chk-int.der"], None, at_2022);
            run(&n, trust)
                .iter()
                .any(|f| f.id == "cert.validity_too_long")
        };
        assert!(too_long(public()));
        assert!(!too_long(None));
        assert!(!too_long(Some(store("chk-root.pem"))));
        assert!(!too_long(Some(public_store("chk-other-root.pem"))));
        // A root both given as a file and in the system bundle is public.
        let mut both = store("chk-root.pem");
        both.merge(public_store("chk-bundle.pem"));
        assert!(too_long(Some(both)));
        let mut both = public_store("chk-root.pem");
        both.merge(store("chk-root.pem"));
        assert_eq!(both.len(), 1);
        assert!(too_long(Some(both)));
        // Issued in 2019: the limit did not apply yet.
        let f = run(
            &flow(&["chk-long-2019.der", "chk-int.der"], None, 1_590_969_600),
            public(),
        );
        // (chk-int is dated 2026: not yet valid at that capture time.)
        assert_eq!(ids(&f), [("cert.not_yet_valid", High, Some(1))]);
        // Boundaries, on edited dates: exactly 398 days is allowed, a second more is not; the
        // limit starts on 2020-09-01T00:00:00Z.
        let long = |nb: i64, len: i64, ca: bool| {
            let mut c = chain(&["chk-leaf.der", "chk-int.der"]);
            c[0].not_before_unix = Some(nb);
            c[0].not_after_unix = Some(nb + len);
            c[0].is_ca = ca;
            run(&flow_with(c, None, MID_2026), public())
                .into_iter()
                .filter(|f| f.id == "cert.validity_too_long")
                .map(|f| f.message)
                .collect::<Vec<_>>()
        };
        let sep_2020 = MAX_VALIDITY_FROM;
        assert_eq!(long(sep_2020, 398 * DAY, false), Vec::<String>::new());
        assert_eq!(long(sep_2020 - 1, 500 * DAY, false), Vec::<String>::new());
        let m = long(sep_2020, 398 * DAY + 1, false);
        assert_eq!(m.len(), 1);
        assert!(m[0].contains("valid for 399 days"), "{m:?}");
        // A CA certificate sent first is not a subscriber certificate.
        assert_eq!(long(sep_2020, 500 * DAY, true), Vec::<String>::new());
        // Only the leaf: chk-int is valid for 10 years.
        assert_eq!(long(MID_2026 - DAY, 90 * DAY, false), Vec::<String>::new());
    }

    #[test]
    fn not_server_auth() {
        let f = run(
            &flow(&["chk-clientauth.der", "chk-int.der"], None, MID_2026),
            None,
        );
        assert_eq!(
            f,
            [Finding {
                id: "cert.not_server_auth",
                severity: High,
                message: "certificate 0 (CN=leaf.example.test) has extendedKeyUsage clientAuth \
                          without serverAuth, so clients must not accept it for a TLS server"
                    .into(),
                evidence: vec![CERT_FRAME],
                certificate: Some(0),
            }]
        );
        let eku = |list: Option<&[&str]>| {
            let mut c = chain(&["chk-leaf.der", "chk-int.der"]);
            c[0].eku = list.map(|l| l.iter().map(|s| s.to_string()).collect());
            ids(&run(&flow_with(c, None, MID_2026), None))
        };
        assert_eq!(eku(None), []);
        assert_eq!(eku(Some(&["serverAuth", "clientAuth"])), []);
        assert_eq!(eku(Some(&["anyExtendedKeyUsage"])), []);
        assert_eq!(
            eku(Some(&["codeSigning", "1.3.6.1.4.1.99999.1"])),
            [("cert.not_server_auth", High, Some(0))]
        );
        assert_eq!(eku(Some(&[])), [("cert.not_server_auth", High, Some(0))]);
        // No EKU on the leaf (chk-nosan) is fine; EKU of other certificates is not judged.
        let f = run(
            &flow(&["chk-nosan.der", "chk-int.der"], None, MID_2026),
            None,
        );
        assert_eq!(f, []);
        let f = run(
            &flow(&["chk-leaf.der", "chk-clientauth.der"], None, MID_2026),
            None,
        );
        assert_eq!(ids(&f), [("cert.missing_intermediate", Medium, Some(0))]);
    }

    #[test]
    fn untrusted_root() {
        let chain2 = ["chk-leaf.der", "chk-int.der"];
        let chain3 = ["chk-leaf.der", "chk-int.der", "chk-root.der"];
        let other = || Some(store("chk-other-root.pem"));
        let f = run(&flow(&chain2, None, MID_2026), other());
        assert_eq!(
            f,
            [Finding {
                id: "cert.untrusted_root",
                severity: High,
                message: format!(
                    "the chain ends at certificate 1 (CN=tlsnoop Check Intermediate), issued by \
                     {ROOT}, which is not among the 1 trusted root"
                ),
                evidence: vec![CERT_FRAME],
                certificate: Some(1),
            }]
        );
        let f = run(&flow(&chain3, None, MID_2026), other());
        assert_eq!(
            f,
            [Finding {
                id: "cert.untrusted_root",
                severity: High,
                message: "the chain ends at certificate 2 (CN=tlsnoop Check Root), a \
                          self-issued certificate that is not among the 1 trusted root"
                    .into(),
                evidence: vec![CERT_FRAME],
                certificate: Some(2),
            }]
        );
        // A self-signed leaf.
        let f = run(
            &flow(&["rsa2048.der"], None, MID_2026),
            Some(store("chk-bundle.pem")),
        );
        assert_eq!(
            ids(&f),
            [
                ("cert.self_signed", Medium, Some(0)),
                ("cert.untrusted_root", High, Some(0))
            ]
        );
        assert_eq!(
            f[1].message,
            "the chain ends at certificate 0 (CN=server.test), a self-issued certificate that is \
             not among the 2 trusted roots"
        );
        // ... which the user may trust on purpose.
        let f = run(
            &flow(&["rsa2048.der"], None, MID_2026),
            Some(der_store(&["rsa2048.der"])),
        );
        assert_eq!(ids(&f), [("cert.self_signed", Medium, Some(0))]);
        // A root with the right name and another key.
        let impostor = || Some(store("chk-root-impostor.pem"));
        let f = run(&flow(&chain2, None, MID_2026), impostor());
        assert_eq!(
            only(&f, "cert.untrusted_root").message,
            format!(
                "the chain ends at certificate 1 (CN=tlsnoop Check Intermediate), issued by \
                 {ROOT}, which is not among the 1 trusted root (a trusted root has that name, but \
                 another key identifier)"
            )
        );
        // The sent root is not the trusted one of that name (other key).
        let f = run(&flow(&chain3, None, MID_2026), impostor());
        assert_eq!(ids(&f), [("cert.untrusted_root", High, Some(2))]);
        // Names and key identifiers match, the signature does not.
        let f = run(
            &flow(&["chain-leaf-tampered.der"], None, MID_2026),
            Some(der_store(&["chain-int.der"])),
        );
        assert_eq!(
            f,
            [
                Finding {
                    id: "cert.missing_intermediate",
                    severity: Medium,
                    message: "certificate 0 (CN=leaf.test) was issued by O=tlsnoop test, \
                              CN=tlsnoop Test Intermediate, which is not in the chain the server \
                              sent (a missing intermediate)"
                        .into(),
                    evidence: vec![CERT_FRAME],
                    certificate: Some(0),
                },
                Finding {
                    id: "cert.untrusted_root",
                    severity: High,
                    message: "the chain ends at certificate 0 (CN=leaf.test), issued by \
                              O=tlsnoop test, CN=tlsnoop Test Intermediate, which is not among \
                              the 1 trusted root (a trusted root has that name, but its key does \
                              not verify the signature)"
                        .into(),
                    evidence: vec![CERT_FRAME],
                    certificate: Some(0),
                },
            ]
        );
        // A root whose key cannot be checked here (P-521): trusted by name, and said so.
        let f = run(
            &flow(&["p521-leaf.der"], None, MID_2026),
            Some(der_store(&["p521.der"])),
        );
        assert_eq!(
            f,
            [Finding {
                id: "cert.signature_unchecked",
                severity: Info,
                message: "the signature of certificate 0 (CN=p521-leaf.test) by the trusted root \
                          CN=p521.test could not be checked: ecdsa-with-SHA512 (secp521r1 EC \
                          key): not supported by x509-parser 0.18.1 with ring"
                    .into(),
                evidence: vec![CERT_FRAME],
                certificate: Some(0),
            }]
        );
        // Without trust roots there is no untrusted_root, whatever the chain.
        let f = run(&flow(&["rsa2048.der"], None, MID_2026), None);
        assert_eq!(ids(&f), [("cert.self_signed", Medium, Some(0))]);
    }

    #[test]
    fn unparseable_certificates() {
        let f = run(
            &flow(&["garbage.der"], Some("server.test"), MID_2026),
            Some(store("chk-root.pem")),
        );
        assert_eq!(ids(&f), [("cert.unparseable", Medium, Some(0))]);
        assert!(
            f[0].message.starts_with(
                "certificate 0 (33 bytes, SHA-256 ac62848edb2d6dbb…) could not be parsed: "
            ),
            "{}",
            f[0].message
        );
        let f = run(
            &flow(&["chk-leaf.der", "garbage.der"], None, MID_2026),
            None,
        );
        assert_eq!(
            ids(&f),
            [
                ("cert.unparseable", Medium, Some(1)),
                ("cert.missing_intermediate", Medium, Some(0)),
            ]
        );
    }

    #[test]
    fn client_certificates_are_not_checked() {
        let mut n = flow(&["chk-leaf.der", "chk-int.der"], None, MID_2026);
        n.client_certificates = chain(&["garbage.der", "md5.der", "chk-clientauth.der"]);
        assert_eq!(run(&n, Some(store("chk-other-root.pem"))).len(), 1); // untrusted_root only
        assert_eq!(
            run(&n, Some(store("chk-other-root.pem")))[0].certificate,
            Some(1)
        );
    }

    #[test]
    fn capture_time_not_clock() {
        // expired.der (2020..2021) at a 2020 capture time is fine, whatever today is.
        let n = flow(&["expired.der"], None, 1_590_969_600);
        assert_eq!(ids(&run(&n, None)), [("cert.self_signed", Medium, Some(0))]);
    }

    #[test]
    fn pem_reading() {
        let t = store("chk-bundle.pem");
        assert_eq!(t.len(), 2);
        assert!(t.skipped().is_empty(), "{:?}", t.skipped());
        let mut both = store("chk-root.pem");
        both.merge(store("chk-bundle.pem"));
        both.merge(store("chk-root-impostor.pem"));
        assert_eq!(both.len(), 3, "duplicates are kept once");
        // CRLF line ends, indentation, RFC 1421 headers, an OpenSSL TRUSTED CERTIFICATE.
        let pem = String::from_utf8(read("chk-root.pem")).expect("text");
        let crlf = pem.replace('\n', "\r\n  ");
        assert_eq!(
            TrustStore::from_pem(crlf.as_bytes()).expect("crlf").len(),
            1
        );
        let trusted = pem
            .replace("BEGIN CERTIFICATE", "BEGIN TRUSTED CERTIFICATE")
            .replace("END CERTIFICATE", "END TRUSTED CERTIFICATE")
            .replacen("-----\n", "-----\nProc-Type: 4,ENCRYPTED\n\n", 1);
        assert_eq!(
            TrustStore::from_pem(trusted.as_bytes())
                .expect("trusted")
                .len(),
            1
        );
        // Errors.
        assert_eq!(
            TrustStore::from_pem(b"").err().as_deref(),
            Some("no certificate (-----BEGIN CERTIFICATE-----) in the PEM data")
        );
        assert_eq!(
            TrustStore::from_pem(&read("chk-root.der")).err().as_deref(),
            Some("no certificate (-----BEGIN CERTIFICATE-----) in the PEM data")
        );
        let bad = "-----BEGIN CERTIFICATE-----\nnot*base64\n-----END CERTIFICATE-----\n";
        assert_eq!(
            TrustStore::from_pem(bad.as_bytes()).err().as_deref(),
            Some("no usable certificate in the PEM data (PEM block 1: bad base64)")
        );
        let junk = "-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n";
        let e = TrustStore::from_pem(junk.as_bytes())
            .err()
            .unwrap_or_default();
        assert!(
            e.starts_with(
                "no usable certificate in the PEM data (PEM block 1: certificate does not parse: "
            ),
            "{e}"
        );
        let cut = &pem[..pem.len() / 2];
        assert_eq!(
            TrustStore::from_pem(cut.as_bytes()).err().as_deref(),
            Some(
                "no usable certificate in the PEM data (PEM block 1: -----BEGIN CERTIFICATE----- \
                 without its END line)"
            )
        );
        // A bad block next to good ones is skipped and listed.
        let mixed = format!("{junk}{pem}");
        let t = TrustStore::from_pem(mixed.as_bytes()).expect("mixed");
        assert_eq!(t.len(), 1);
        assert_eq!(t.skipped().len(), 1);
        assert!(
            t.skipped()[0].starts_with("PEM block 1: "),
            "{:?}",
            t.skipped()
        );
    }

    #[test]
    fn base64() {
        assert_eq!(base64_decode("").as_deref(), Some(&b""[..]));
        assert_eq!(base64_decode("aGVsbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(base64_decode("aGVs bG8").as_deref(), Some(&b"hello"[..]));
        assert_eq!(
            base64_decode("+/+/").as_deref(),
            Some(&[0xfb, 0xff, 0xbf][..])
        );
        assert_eq!(base64_decode("aGV=sbG8"), None);
        assert_eq!(base64_decode("aGVs!bG8"), None);
    }

    #[test]
    fn spans() {
        assert_eq!(span(0), "0 seconds");
        assert_eq!(span(1), "1 second");
        assert_eq!(span(59), "59 seconds");
        assert_eq!(span(60), "1 minute");
        assert_eq!(span(3599), "59 minutes");
        assert_eq!(span(3600), "1 hour");
        assert_eq!(span(DAY - 1), "23 hours");
        assert_eq!(span(DAY), "1 day");
        assert_eq!(span(212 * DAY + 5), "212 days");
        assert_eq!(span(-2 * DAY), "2 days");
    }

    #[test]
    fn system_roots_when_present() {
        // Depends on the machine: checked only where the Debian bundle exists.
        if std::env::var_os("SSL_CERT_FILE").is_some()
            || !std::path::Path::new(SYSTEM_BUNDLES[0]).exists()
        {
            return;
        }
        let t = TrustStore::system().expect("system roots");
        assert!(t.len() > 50, "{} roots", t.len());
    }

    #[test]
    fn remembered_issuers_are_what_parsing_says() {
        let c = chain(&["chk-leaf.der", "chk-int.der", "chain-leaf.der"]);
        for _ in 0..2 {
            for (a, b) in [(0, 1), (1, 0), (2, 1), (0, 0)] {
                assert_eq!(
                    issued_by(&c[a], &c[b]),
                    cert::is_issued_by(&c[a].der, &c[b].der),
                    "{a} by {b}"
                );
            }
        }
        assert!(issued_by(&c[0], &c[1]));
        assert!(!issued_by(&c[1], &c[0]));
    }
}
