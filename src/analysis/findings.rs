//! Findings on the crypto a flow negotiated and offered, and on its handshake.
//!
//! Ids (severity per [`Policy`]): on what was negotiated `version.sslv3`, `version.tls1_0`,
//! `version.tls1_1`, `version.tls1_2` (modern only), `cipher.null`, `cipher.export`,
//! `cipher.anon`, `cipher.rc4`, `cipher.des`, `cipher.3des`, `cipher.no_forward_secrecy`,
//! `cipher.cbc`, `cipher.md5_mac`, `handshake.compression`, `handshake.insecure_renegotiation`,
//! `handshake.no_extended_master_secret`, `handshake.no_sni`, `handshake.weak_dh_group`; on what
//! was offered `offer.weak_suites`, `offer.fallback_scsv`, `offer.downgrade_sentinel`.

use super::policy::Policy;
use crate::names::{self, CipherSuiteInfo};
use crate::record::{Finding, Negotiation, Version};

/// The TLS_FALLBACK_SCSV pseudo-suite (RFC 7507).
const FALLBACK_SCSV: u16 = 0x5600;
/// The TLS_EMPTY_RENEGOTIATION_INFO_SCSV pseudo-suite (RFC 5746).
const RENEGOTIATION_SCSV: u16 = 0x00ff;
/// renegotiation_info and extended_master_secret extension types.
const EXT_RENEGOTIATION_INFO: u16 = 0xff01;
const EXT_EMS: u16 = 0x0017;
/// RFC 8446 §4.1.3: last 8 bytes of ServerHello.random when a TLS 1.3 server negotiates lower.
const SENTINEL_TLS12: [u8; 8] = *b"DOWNGRD\x01";
const SENTINEL_TLS11: [u8; 8] = *b"DOWNGRD\x00";

struct Out<'a> {
    policy: &'a Policy,
    list: Vec<Finding>,
}

impl Out<'_> {
    fn add(&mut self, id: &'static str, message: String, evidence: Vec<u64>) {
        if let Some(severity) = self.policy.severity(id) {
            self.list.push(Finding {
                id,
                severity,
                message,
                evidence,
                certificate: None,
            });
        }
    }
}

fn suite_label(id: u16) -> String {
    match names::cipher_suite_name(id) {
        Some(n) => format!("{n} (0x{id:04x})"),
        None => format!("0x{id:04x}"),
    }
}

/// The weak properties a suite can have: (finding id, what it is, whether a suite has it).
type Weakness = (&'static str, &'static str, fn(&CipherSuiteInfo) -> bool);

const WEAKNESSES: [Weakness; 7] = [
    ("cipher.null", "no encryption", |c| c.enc == "NULL"),
    ("cipher.export", "an EXPORT-grade suite", |c| c.export),
    (
        "cipher.anon",
        "anonymous key exchange (no server authentication)",
        |c| c.au == "anon",
    ),
    ("cipher.rc4", "the RC4 stream cipher", |c| {
        c.enc.starts_with("RC4")
    }),
    ("cipher.des", "single DES", |c| c.enc.starts_with("DES")),
    ("cipher.3des", "3DES (64-bit blocks, Sweet32)", |c| {
        c.enc.starts_with("3DES")
    }),
    ("cipher.md5_mac", "an HMAC-MD5 record MAC", |c| {
        c.mac == "MD5"
    }),
];

/// The weak properties of a suite, as (finding id, what it is) pairs (without allocating:
/// every offered suite of every flow is looked at).
fn weaknesses(c: &CipherSuiteInfo) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
    WEAKNESSES
        .iter()
        .filter(move |(_, _, has)| has(c))
        .map(|&(id, what, _)| (id, what))
}

/// Offered suite lists remembered per thread (the memory starts over when full).
const MAX_REMEMBERED_OFFERS: usize = 1024;
/// A longer list (a hostile hello's thousands of suites) is looked at, not remembered.
const MAX_REMEMBERED_OFFER_LEN: usize = 512;

thread_local! {
    /// The `offer.weak_suites` message by the offered suite list, in full (so a hit is exact):
    /// a network's clients are a few builds offering the same list, and looking up and naming
    /// every offered suite of every flow was a visible share of analysing one.
    static WEAK_OFFERS: std::cell::RefCell<
        std::collections::HashMap<Box<[u16]>, Option<String>, foldhash::fast::RandomState>,
    > = std::cell::RefCell::new(Default::default());
}

/// The `offer.weak_suites` message for a ClientHello offering `suites`, if any is weak.
fn weak_offer(suites: &[u16]) -> Option<String> {
    if suites.len() > MAX_REMEMBERED_OFFER_LEN {
        return weak_offer_uncached(suites);
    }
    WEAK_OFFERS.with(|memo| {
        let mut memo = memo.borrow_mut();
        if let Some(hit) = memo.get(suites) {
            return hit.clone();
        }
        let message = weak_offer_uncached(suites);
        if memo.len() >= MAX_REMEMBERED_OFFERS {
            memo.clear();
        }
        memo.insert(suites.into(), message.clone());
        message
    })
}

/// [`weak_offer`] worked out afresh.
fn weak_offer_uncached(suites: &[u16]) -> Option<String> {
    let weak: Vec<String> = suites
        .iter()
        .filter(|id| names::cipher_suite(**id).is_some_and(|c| weaknesses(c).next().is_some()))
        .map(|id| suite_label(*id))
        .collect();
    (!weak.is_empty()).then(|| {
        format!(
            "the client still offers {}: {}",
            names::count(weak.len() as u64, "weak suite"),
            weak.join(", ")
        )
    })
}

/// Findings on what was negotiated and offered.
pub fn check(n: &Negotiation, policy: &Policy) -> Vec<Finding> {
    let mut out = Out {
        policy,
        list: Vec::new(),
    };
    let sh_frame: Vec<u64> = n.server_hello.iter().map(|s| s.frame).collect();
    let ch_frame: Vec<u64> = n.client_hello.iter().map(|c| c.frame).collect();
    if let Some(v) = n.version {
        let id = match v.0 {
            0x0300 => Some("version.sslv3"),
            0x0301 => Some("version.tls1_0"),
            0x0302 => Some("version.tls1_1"),
            0x0303 => Some("version.tls1_2"),
            _ => None,
        };
        if let Some(id) = id {
            out.add(id, format!("negotiated {}", v.name()), sh_frame.clone());
        }
    }
    let tls12_or_lower = n.version.is_some_and(|v| v.0 <= 0x0303 && v.0 >= 0x0300);
    if let Some(cs) = n.cipher_suite {
        if let Some(c) = names::cipher_suite(cs.0) {
            // Written only into a finding's message: most flows have none.
            let label = std::cell::LazyCell::new(|| suite_label(cs.0));
            for (id, what) in weaknesses(c) {
                let label = &*label;
                out.add(id, format!("negotiated {label}: {what}"), sh_frame.clone());
            }
            if matches!(c.kx, "RSA" | "DH" | "ECDH" | "PSK" | "RSA_PSK") && c.au != "anon" {
                out.add(
                    "cipher.no_forward_secrecy",
                    format!(
                        "negotiated {}: static {} key exchange, no forward secrecy",
                        *label, c.kx
                    ),
                    sh_frame.clone(),
                );
            }
            if c.mode == "CBC" {
                out.add(
                    "cipher.cbc",
                    format!(
                        "negotiated {}: CBC mode with MAC-then-encrypt, not AEAD",
                        *label
                    ),
                    sh_frame.clone(),
                );
            }
        }
    }
    if let Some(sh) = &n.server_hello {
        if sh.compression_method != 0 {
            out.add(
                "handshake.compression",
                format!(
                    "the server chose TLS compression method {} (CRIME)",
                    sh.compression_method
                ),
                sh_frame.clone(),
            );
        }
        if tls12_or_lower {
            if !sh.extensions.contains(&EXT_RENEGOTIATION_INFO) {
                out.add(
                    "handshake.insecure_renegotiation",
                    "the ServerHello has no renegotiation_info extension: the server does not support secure renegotiation (RFC 5746)".into(),
                    sh_frame.clone(),
                );
            }
            if !sh.extensions.contains(&EXT_EMS) {
                out.add(
                    "handshake.no_extended_master_secret",
                    "the ServerHello has no extended_master_secret extension (RFC 7627): the session is open to triple-handshake attacks".into(),
                    sh_frame.clone(),
                );
            }
        }
        if let Some(tail) = sh.random.get(24..32) {
            let offered13 = n
                .client_hello
                .as_ref()
                .is_some_and(|c| c.max_version() >= 0x0304);
            if tail == SENTINEL_TLS12 || tail == SENTINEL_TLS11 {
                let which = if tail == SENTINEL_TLS12 {
                    "DOWNGRD 01"
                } else {
                    "DOWNGRD 00"
                };
                let got = n
                    .version
                    .map_or("a lower version".to_string(), |v| v.name());
                if offered13 {
                    out.add(
                        "offer.downgrade_sentinel",
                        format!("the ServerHello.random ends with the RFC 8446 downgrade sentinel ({which}) although the client offered TLS 1.3: a TLS 1.3 server was made to negotiate {got}"),
                        sh_frame.clone(),
                    );
                } else {
                    // The expected answer of a TLS 1.3 server to an older client: worth knowing only.
                    out.list.push(Finding {
                        id: "offer.downgrade_sentinel",
                        severity: crate::record::Severity::Info,
                        message: format!("the ServerHello.random ends with the RFC 8446 downgrade sentinel ({which}): the server supports TLS 1.3 but the client offered at most {}", n.client_hello.as_ref().map_or("?".to_string(), |c| Version(c.max_version()).name())),
                        evidence: sh_frame.clone(),
                        certificate: None,
                    });
                }
            }
        }
    }
    if let Some(bits) = n.dh_bits {
        if bits < 2048 {
            out.add(
                "handshake.weak_dh_group",
                format!("the server's DHE group is {bits} bits (ServerKeyExchange); 2048 is the minimum"),
                n.certificates.first().map(|c| c.frame).into_iter().collect(),
            );
        }
    }
    if let Some(ch) = &n.client_hello {
        if ch.sni.is_none() && !ch.sslv2_format {
            out.add(
                "handshake.no_sni",
                "the ClientHello has no server_name (SNI)".into(),
                ch_frame.clone(),
            );
        }
        if let Some(message) = weak_offer(&ch.cipher_suites) {
            out.add("offer.weak_suites", message, ch_frame.clone());
        }
        if ch.cipher_suites.contains(&FALLBACK_SCSV) {
            out.add(
                "offer.fallback_scsv",
                format!(
                    "the client sent TLS_FALLBACK_SCSV: it is retrying with {} after a failed attempt at a higher version",
                    Version(ch.max_version()).name()
                ),
                ch_frame.clone(),
            );
        }
        // A client that offers neither the extension nor the SCSV is as unsafe as the server.
        let offers_reneg = ch.cipher_suites.contains(&RENEGOTIATION_SCSV)
            || ch.extensions.contains(&EXT_RENEGOTIATION_INFO);
        if !offers_reneg
            && tls12_or_lower
            && !out
                .list
                .iter()
                .any(|f| f.id == "handshake.insecure_renegotiation")
        {
            out.add(
                "handshake.insecure_renegotiation",
                "the client offers neither renegotiation_info nor TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746)".into(),
                ch_frame.clone(),
            );
        }
    }
    out.list
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{CipherSuite, ClientHelloInfo, Endpoint, ServerHelloInfo, Timestamp};

    fn flow(version: u16, suite: u16, sh_exts: Vec<u16>) -> Negotiation {
        let e = Endpoint {
            ip: "10.0.0.1".parse().unwrap(),
            port: 443,
        };
        let mut n = Negotiation::new(0, 1, Timestamp::default(), e, e);
        n.version = Some(Version(version));
        n.cipher_suite = Some(CipherSuite(suite));
        n.client_hello = Some(Box::new(ClientHelloInfo {
            frame: 4,
            legacy_version: 0x0303,
            cipher_suites: vec![0xc02f, 0x00ff],
            sni: Some("a.test".into()),
            ..Default::default()
        }));
        n.server_hello = Some(ServerHelloInfo {
            frame: 6,
            legacy_version: version,
            cipher_suite: suite,
            extensions: sh_exts,
            random: vec![0; 32],
            ..Default::default()
        });
        n
    }

    fn ids(n: &Negotiation, p: Policy) -> Vec<&'static str> {
        check(n, &p).iter().map(|f| f.id).collect()
    }

    #[test]
    fn healthy_tls12_has_no_findings_under_intermediate() {
        let n = flow(0x0303, 0xc02f, vec![0xff01, 0x0017]);
        assert_eq!(ids(&n, Policy::Intermediate), Vec::<&str>::new());
        assert_eq!(ids(&n, Policy::Modern), vec!["version.tls1_2"]);
    }

    #[test]
    fn static_rsa_rc4_md5_on_tls10() {
        let n = flow(0x0301, 0x0004, vec![]);
        assert_eq!(
            ids(&n, Policy::Intermediate),
            vec![
                "version.tls1_0",
                "cipher.rc4",
                "cipher.md5_mac",
                "cipher.no_forward_secrecy",
                "handshake.insecure_renegotiation",
                "handshake.no_extended_master_secret"
            ]
        );
        let f = check(&n, &Policy::Intermediate);
        assert_eq!(
            f[1].message,
            "negotiated TLS_RSA_WITH_RC4_128_MD5 (0x0004): the RC4 stream cipher"
        );
        assert_eq!(f[1].evidence, vec![6]);
    }

    #[test]
    fn offered_weak_suites_and_fallback() {
        let mut n = flow(0x0303, 0xc02f, vec![0xff01, 0x0017]);
        if let Some(ch) = n.client_hello.as_mut() {
            ch.cipher_suites = vec![0xc02f, 0x000a, 0x5600, 0x00ff];
            ch.sni = None;
        }
        let f = check(&n, &Policy::Intermediate);
        assert_eq!(
            f.iter().map(|f| f.id).collect::<Vec<_>>(),
            vec![
                "handshake.no_sni",
                "offer.weak_suites",
                "offer.fallback_scsv"
            ]
        );
        assert_eq!(
            f[1].message,
            "the client still offers 1 weak suite: TLS_RSA_WITH_3DES_EDE_CBC_SHA (0x000a)"
        );
    }

    #[test]
    fn downgrade_sentinel_when_the_client_offered_tls13() {
        let mut n = flow(0x0303, 0xc02f, vec![0xff01, 0x0017]);
        if let Some(sh) = n.server_hello.as_mut() {
            sh.random[24..].copy_from_slice(b"DOWNGRD\x01");
        }
        let f = check(&n, &Policy::Intermediate);
        assert_eq!(
            f.iter()
                .find(|f| f.id == "offer.downgrade_sentinel")
                .map(|f| f.severity),
            Some(crate::record::Severity::Info)
        );
        if let Some(ch) = n.client_hello.as_mut() {
            ch.versions = vec![0x0304, 0x0303];
        }
        let f = check(&n, &Policy::Intermediate);
        assert_eq!(
            f.iter()
                .find(|f| f.id == "offer.downgrade_sentinel")
                .map(|f| f.severity),
            Some(crate::record::Severity::High)
        );
    }

    #[test]
    fn remembered_weak_offers_are_exact() {
        let lists: [&[u16]; 5] = [
            &[0xc02f, 0x000a],
            &[0xc02f, 0x000a, 0x0005],
            &[0xc02f],
            &[0x000a, 0xc02f],
            &[],
        ];
        // Twice round, so the second pass is answered from the memory.
        for _ in 0..2 {
            for l in lists {
                assert_eq!(weak_offer(l), weak_offer_uncached(l), "{l:04x?}");
            }
        }
        assert_eq!(weak_offer(&[0xc02f]), None);
        assert_eq!(
            weak_offer(&[0xc02f, 0x000a, 0x0005]).as_deref(),
            Some("the client still offers 2 weak suites: TLS_RSA_WITH_3DES_EDE_CBC_SHA (0x000a), TLS_RSA_WITH_RC4_128_SHA (0x0005)")
        );
        // A list too long to remember is worked out each time, alike.
        let long: Vec<u16> = (0..600).collect();
        assert_eq!(weak_offer(&long), weak_offer_uncached(&long));
        assert!(weak_offer(&long).is_some_and(|m| m.starts_with("the client still offers ")));
    }
}
