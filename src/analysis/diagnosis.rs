//! Diagnosis: why a negotiation failed, in the words an operator uses.
//!
//! One code per failed or incomplete flow (a healthy established flow gets none):
//! `protocol_version_mismatch`, `no_shared_cipher`, `no_shared_group`,
//! `no_shared_signature_algorithm`, `client_certificate_rejected`,
//! `inappropriate_fallback`, `certificate_rejected_by_client`, `client_certificate_required`,
//! `unrecognized_name`, `server_alert`, `client_alert`, `encrypted_failure`,
//! `connection_reset`, `no_server_response`, `capture_incomplete`. `summary` is one sentence,
//! `detail` gives the facts it rests on, `remediation` what to change and how to test it.

use crate::names;
use crate::record::{Alert, CloseKind, Diagnosis, Negotiation, Outcome, Sender, Severity, Version};

/// Descriptions a client sends when it does not accept the server's certificate.
const CERT_REJECTIONS: &[&str] = &[
    "bad_certificate",
    "unsupported_certificate",
    "certificate_revoked",
    "certificate_expired",
    "certificate_unknown",
    "unknown_ca",
    "decrypt_error",
    "access_denied",
];

fn d(
    code: &'static str,
    summary: String,
    detail: String,
    remediation: String,
    frames: Vec<u64>,
) -> Option<Diagnosis> {
    let mut evidence_frames = frames;
    evidence_frames.sort_unstable();
    evidence_frames.dedup();
    Some(Diagnosis {
        code,
        summary,
        detail,
        remediation,
        evidence_frames,
    })
}

/// The versions the client offered, highest first, as a phrase ("TLS 1.3, TLS 1.2").
fn offered_versions(n: &Negotiation) -> String {
    let Some(ch) = &n.client_hello else {
        return "nothing readable (its ClientHello could not be decoded)".into();
    };
    if ch.versions.is_empty() {
        let max = Version(ch.legacy_version).name();
        return format!("up to {max} (no supported_versions extension)");
    }
    let v: Vec<String> = ch
        .versions
        .iter()
        .filter(|v| !names::is_grease(**v))
        .map(|v| Version(*v).name())
        .collect();
    if v.len() == 1 {
        format!("only {}", v.join(""))
    } else {
        v.join(", ")
    }
}

/// Letter names of Zeek's history, for "after which message".
fn message_name(letter: char) -> &'static str {
    match letter.to_ascii_uppercase() {
        'C' => "ClientHello",
        'S' => "ServerHello",
        'J' => "HelloRetryRequest",
        'X' => "Certificate",
        'K' => "ServerKeyExchange",
        'R' => "CertificateRequest",
        'N' => "ServerHelloDone",
        'Y' => "CertificateVerify",
        'G' => "ClientKeyExchange",
        'F' => "Finished",
        'T' => "NewSessionTicket",
        'U' => "CertificateStatus",
        'I' => "ChangeCipherSpec",
        'L' => "alert",
        _ => "message",
    }
}

/// The message just before the `nth` alert in the history ("the server's Certificate").
fn after_what(n: &Negotiation, nth: usize) -> String {
    let h: Vec<char> = n.history.chars().collect();
    let pos = h
        .iter()
        .enumerate()
        .filter(|(_, c)| c.eq_ignore_ascii_case(&'L'))
        .nth(nth)
        .map(|(i, _)| i);
    match pos.and_then(|p| p.checked_sub(1)).and_then(|p| h.get(p)) {
        Some(c) => {
            let who = if c.is_ascii_uppercase() {
                "client"
            } else {
                "server"
            };
            format!("after the {who}'s {}", message_name(*c))
        }
        None => "before any handshake message".into(),
    }
}

fn cert_problems(n: &Negotiation) -> Vec<String> {
    n.findings
        .iter()
        .filter(|f| f.id.starts_with("cert.") && f.severity >= Severity::Medium)
        .map(|f| f.message.clone())
        .collect()
}

fn frames(n: &Negotiation) -> (Vec<u64>, Vec<u64>) {
    (
        n.client_hello.iter().map(|c| c.frame).collect(),
        n.server_hello.iter().map(|s| s.frame).collect(),
    )
}

/// The diagnosis of a flow; `None` for a healthy established flow.
pub fn diagnose(n: &Negotiation) -> Option<Diagnosis> {
    if n.outcome == Outcome::Established {
        return None;
    }
    let (ch, sh) = frames(n);
    let gaps: Vec<&String> = n
        .notes
        .iter()
        .filter(|s| s.contains(" gap of ") || s.contains("truncated by snaplen"))
        .collect();
    if n.outcome == Outcome::Incomplete && !gaps.is_empty() {
        return holes(&gaps, [ch, sh].concat());
    }
    if n.traffic.server_packets == 0 || n.traffic.client_packets == 0 {
        let missing = if n.traffic.server_packets == 0 {
            "server"
        } else {
            "client"
        };
        return d(
            "capture_incomplete",
            format!("The capture has no packets from the {missing}: it is one-sided, so the handshake cannot be judged."),
            format!(
                "{} from the client and {} from the server were captured. A one-sided capture usually means asymmetric routing, a SPAN or tap that sees one direction, or a capture filter on one address.",
                names::count(n.traffic.client_packets, "packet"), n.traffic.server_packets
            ),
            "Capture where both directions pass (on the client or the server host itself, e.g. `tcpdump -i any -w FILE host SERVER and port PORT`), then read that capture.".into(),
            [ch, sh].concat(),
        );
    }
    // The first alert that ended the handshake: a fatal one, or any encrypted one.
    let first = n.alerts.iter().enumerate().find(|(_, a)| {
        a.is_fatal() || a.encrypted || a.description.as_deref() == Some("unrecognized_name")
    });
    if let Some((i, a)) = first {
        return alert_diagnosis(n, i, a, &ch, &sh);
    }
    let silent_server = n.server_hello.is_none() && n.traffic.server_bytes == 0;
    if silent_server && n.close.is_none_or(|c| c.from == Sender::Client) {
        let end = match n.close {
            Some(c) => format!(
                "the client gave up and closed the connection in frame {}",
                c.frame
            ),
            None => "the capture ended (or, live, the answer timeout passed)".to_string(),
        };
        return d(
            "no_server_response",
            "The client sent a ClientHello and the server never answered.".into(),
            format!(
                "The ClientHello{} got no TLS data back: the server's {} carried no payload, then {end}.",
                match ch.first() {
                    Some(f) => format!(" (frame {f})"),
                    None => String::new(),
                },
                names::count(n.traffic.server_packets, "packet")
            ),
            "Check that the server port really speaks TLS (not plain HTTP or a STARTTLS protocol that waits for a command), that nothing in between drops large packets (MTU/MSS), and that the server process is not stuck. `openssl s_client -connect HOST:PORT -servername NAME` shows whether it answers.".into(),
            [ch, n.close.map(|c| c.frame).into_iter().collect()].concat(),
        );
    }
    if !gaps.is_empty() {
        return holes(&gaps, [ch, sh].concat());
    }
    if let Some(c) = n.close.filter(|c| c.during_handshake) {
        let how = match c.kind {
            CloseKind::Rst => "reset (RST)",
            CloseKind::Fin => "closed (FIN)",
        };
        let stage = match (&n.server_hello, n.traffic.server_bytes) {
            (None, 0) => "before answering the ClientHello",
            (None, _) => "after the ClientHello, without a ServerHello",
            (Some(_), _) => "after the ServerHello, before the handshake completed",
        };
        let (summary, remediation) = match (c.from, c.kind) {
            (Sender::Server, _) => (
                format!("The server {how} the connection {stage}."),
                "Look at the server's (or a load balancer's, proxy's or firewall's) logs for this connection: a TLS listener that resets right after the ClientHello often has no certificate for this SNI, does not speak TLS on this port, or an IPS dropped the hello. Test with `openssl s_client -connect HOST:PORT -servername NAME -msg`.".to_string(),
            ),
            (Sender::Client, _) => (
                format!("The client {how} the connection {stage}."),
                "The client gave up: check its error log (timeout, certificate or protocol error it did not report with an alert). `openssl s_client -connect HOST:PORT -servername NAME` shows what the server sends.".to_string(),
            ),
        };
        return d(
            "connection_reset",
            summary,
            format!(
                "The {} sent {} in frame {}; the client offered {}; history {}.",
                c.from.as_str(),
                match c.kind {
                    CloseKind::Rst => "RST",
                    CloseKind::Fin => "FIN",
                },
                c.frame,
                offered_versions(n),
                if n.history.is_empty() {
                    "(none)"
                } else {
                    &n.history
                }
            ),
            remediation,
            [ch, sh, vec![c.frame]].concat(),
        );
    }
    d(
        "capture_incomplete",
        "The capture ends before the handshake completed.".into(),
        format!("History {}; the last packet is frame {}.", n.history, n.last_frame),
        "Capture for longer, or check whether the connection was still in progress when the capture stopped.".into(),
        [ch, sh].concat(),
    )
}

/// `capture_incomplete` for a capture with holes (gaps or snaplen truncation) in the handshake.
fn holes(gaps: &[&String], frames: Vec<u64>) -> Option<Diagnosis> {
    d(
        "capture_incomplete",
        "The capture has holes in the handshake, so what happened cannot be told for sure.".into(),
        format!("Missing data: {}.", gaps.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("; ")),
        "Capture again without drops: a larger capture buffer (`tcpdump -B 8192`), no snaplen limit (`-s 0`), and on the host itself rather than a busy mirror port.".into(),
        frames,
    )
}

fn alert_diagnosis(
    n: &Negotiation,
    i: usize,
    a: &Alert,
    ch: &[u64],
    sh: &[u64],
) -> Option<Diagnosis> {
    let nth_alert = i;
    let after = after_what(n, nth_alert);
    let who = a.from.as_str();
    let frames = [ch, sh, &[a.frame]].concat();
    let offered = offered_versions(n);
    let desc = a.description.as_deref().unwrap_or("");
    if a.encrypted {
        let likely = match a.from {
            Sender::Client => "the client most likely rejected the server's certificate (expired, untrusted CA, or a name mismatch)",
            Sender::Server => {
                if n.version.is_some_and(|v| v.0 == 0x0304) {
                    "the server most likely required a client certificate the client did not send, or rejected the one it sent"
                } else {
                    "the server most likely could not verify the client's Finished or certificate"
                }
            }
        };
        return d(
            "encrypted_failure",
            format!("The {who} ended the handshake with an encrypted alert {after}."),
            format!(
                "In {} the alert in frame {} is encrypted, so its reason cannot be read; from when it came, {likely}. Certain only with the session keys (SSLKEYLOGFILE).",
                n.version.map_or("this handshake".to_string(), |v| v.name()),
                a.frame
            ),
            format!(
                "Reproduce with `openssl s_client -connect {}:{} -servername {} -state` (it prints the alert and the verify result), or capture again with SSLKEYLOGFILE set on the client and decrypt.",
                n.server.ip, n.server.port, n.sni.as_deref().unwrap_or("NAME")
            ),
            frames,
        );
    }
    match desc {
        "protocol_version" => {
            let server_side = match n.server_hello.as_ref().and(n.version) {
                Some(v) => format!("the server chose {}", v.name()),
                None => "the server refused every version offered".into(),
            };
            let hint = match n.client_hello.as_ref().map(|c| c.max_version()) {
                Some(0x0304) if n.client_hello.as_ref().is_some_and(|c| c.versions.iter().filter(|v| !names::is_grease(**v)).count() == 1) => {
                    "the server probably supports only TLS 1.2 or lower"
                }
                Some(v) if v < 0x0304 => "the server probably requires a higher version (TLS 1.3)",
                _ => "the two sides share no version",
            };
            d(
                "protocol_version_mismatch",
                format!("No common TLS version: the {who} refused the negotiation with protocol_version."),
                format!("The client offered {offered}; {server_side}; {hint}."),
                "Enable a common version on both sides (e.g. `ssl_protocols TLSv1.2 TLSv1.3;` in nginx, `SSLProtocol -all +TLSv1.2 +TLSv1.3` in Apache, the client's minimum/maximum version settings). Test each version with `openssl s_client -connect HOST:PORT -tls1_2` and `-tls1_3`.".into(),
                frames,
            )
        }
        "handshake_failure" | "insufficient_security" if n.server_hello.is_none() && a.from == Sender::Server => {
            let Some(c) = &n.client_hello else {
                return d("server_alert", format!("The server sent fatal {desc} {after}."), String::new(), String::new(), frames);
            };
            let tls13_only = c.versions.iter().filter(|v| !names::is_grease(**v)).all(|v| *v == 0x0304) && !c.versions.is_empty();
            let offers_rsa = c.signature_algorithms.iter().any(|s| matches!(s >> 8, 0x04..=0x06) && s & 0xff == 0x01 || matches!(s, 0x0804..=0x0806 | 0x0809..=0x080b));
            if tls13_only && c.cipher_suites.contains(&0x1301) && !c.signature_algorithms.is_empty() && !offers_rsa {
                let algs: Vec<&str> = c.signature_algorithms.iter().map(|s| names::signature_scheme(*s).unwrap_or("unknown")).collect();
                return d(
                    "no_shared_signature_algorithm",
                    "The server has no certificate it can sign with using the client's signature algorithms.".into(),
                    format!(
                        "The client offered only TLS 1.3 with TLS_AES_128_GCM_SHA256 (mandatory for servers), so the suites are not the problem; its signature algorithms are {} — none of them RSA, and most servers have an RSA certificate.",
                        algs.join(", ")
                    ),
                    "Give the server a certificate of a kind the client accepts (an ECDSA P-256 certificate besides the RSA one), or allow RSA-PSS/PKCS#1 on the client. Test with `openssl s_client -connect HOST:PORT -sigalgs ecdsa_secp256r1_sha256`.".into(),
                    frames,
                );
            }
            if tls13_only && c.cipher_suites.contains(&0x1301) {
                let groups: Vec<&str> = c.groups.iter().filter(|g| !names::is_grease(**g)).map(|g| names::group(*g).unwrap_or("unknown")).collect();
                return d(
                    "no_shared_group",
                    "The server found no key-exchange group it shares with the client.".into(),
                    format!(
                        "The client offered only TLS 1.3 with TLS_AES_128_GCM_SHA256 (which every TLS 1.3 server must support), so the suites are not the problem; it offered the groups {} — the server supports none of them (or none of its signature algorithms).",
                        groups.join(", ")
                    ),
                    "Configure a common group: x25519 and secp256r1 are supported nearly everywhere (OpenSSL `-groups X25519:P-256`, nginx `ssl_ecdh_curve X25519:prime256v1;`). Test with `openssl s_client -connect HOST:PORT -groups X25519:P-256`.".into(),
                    frames,
                );
            }
            d(
                "no_shared_cipher",
                "The server found no cipher suite it shares with the client.".into(),
                format!(
                    "The server sent fatal {desc} right after the ClientHello. The client offered {offered} and {}: {}.",
                    names::count(c.cipher_suites.iter().filter(|s| !names::is_grease(**s)).count() as u64, "suite"),
                    suite_kinds(&c.cipher_suites)
                ),
                "Enable a suite both sides support (Mozilla's intermediate list: ECDHE with AES-GCM or ChaCha20-Poly1305). See what the server accepts with `openssl s_client -connect HOST:PORT -cipher 'ECDHE+AESGCM'` or `nmap --script ssl-enum-ciphers -p PORT HOST`.".into(),
                frames,
            )
        }
        "inappropriate_fallback" => d(
            "inappropriate_fallback",
            "The server refused a version fallback (TLS_FALLBACK_SCSV): the client retried with a lower version than both support.".into(),
            format!("The client offered {offered} with TLS_FALLBACK_SCSV after an earlier attempt failed; the server supports a higher version."),
            "Find why the first, higher-version attempt failed (a middlebox dropping TLS 1.3 hellos, a timeout); the fallback itself is correctly refused.".into(),
            frames,
        ),
        "unrecognized_name" => d(
            "unrecognized_name",
            format!("The server does not know the name the client asked for ({}).", n.sni.as_deref().unwrap_or("no SNI")),
            format!("The server answered the ClientHello's server_name {:?} with unrecognized_name ({}).", n.sni.as_deref().unwrap_or(""), a.level.as_deref().unwrap_or("")),
            "Configure a virtual host / certificate for that name on the server (nginx `server_name`, Apache `ServerName`/`ServerAlias`), or make the client use a name the server serves. Test with `openssl s_client -connect HOST:PORT -servername NAME`.".into(),
            frames,
        ),
        "certificate_required" => client_cert(n, a, &after, frames),
        "handshake_failure" | "bad_certificate" if a.from == Sender::Server && n.certificate_request && n.client_certificates.is_empty() => {
            client_cert(n, a, &after, frames)
        }
        d_ if a.from == Sender::Server && CERT_REJECTIONS.contains(&d_) && !n.client_certificates.is_empty() => {
            let leaf = n.client_certificates.first().and_then(|c| c.subject.clone()).unwrap_or_default();
            let issuer = n.client_certificates.first().and_then(|c| c.issuer.clone()).unwrap_or_default();
            d(
                "client_certificate_rejected",
                format!("The server rejected the client's certificate ({d_})."),
                format!(
                    "The server asked for a client certificate; the client sent {} certificate(s), leaf {leaf} issued by {issuer}; the server answered with fatal {d_} in frame {} {after}.",
                    n.client_certificates.len(),
                    a.frame
                ),
                "Give the client a certificate issued by a CA in the server's client-CA list (nginx `ssl_client_certificate`, Apache `SSLCACertificateFile`), unexpired and with clientAuth in its extended key usage. `openssl s_client -cert C -key K -state` reproduces it.".into(),
                [frames, n.client_certificates.first().map(|c| c.frame).into_iter().collect()].concat(),
            )
        }
        d_ if a.from == Sender::Client && CERT_REJECTIONS.contains(&d_) && (!n.certificates.is_empty() || n.version.is_some_and(|v| v.0 == 0x0304)) => {
            let problems = cert_problems(n);
            let found = if n.certificates.is_empty() {
                "the chain is encrypted (TLS 1.3), so tlsnoop cannot check it; the alert's reason is the client's own".to_string()
            } else if problems.is_empty() {
                "tlsnoop's own checks found nothing wrong with the chain as sent: the client's trust store probably lacks the issuing CA, or it checks revocation".to_string()
            } else {
                format!("tlsnoop's checks found: {}", problems.join("; "))
            };
            let leaf = n.certificates.first().and_then(|c| c.subject.clone()).unwrap_or_else(|| "(encrypted in TLS 1.3)".into());
            d(
                "certificate_rejected_by_client",
                format!("The client rejected the server's certificate ({d_})."),
                format!("The client sent fatal {d_} in frame {} {after}. Leaf: {leaf}. {found}.", a.frame),
                "Fix the chain the server sends: a valid, unexpired leaf for the name the clients use, followed by every intermediate (nginx `ssl_certificate` must be the full chain file). Check with `openssl s_client -connect HOST:PORT -servername NAME -showcerts -verify_return_error`.".into(),
                [frames, n.certificates.first().map(|c| c.frame).into_iter().collect()].concat(),
            )
        }
        _ => {
            let code = match a.from {
                Sender::Server => "server_alert",
                Sender::Client => "client_alert",
            };
            d(
                code,
                format!("The {who} ended the handshake with fatal {desc} {after}."),
                format!("Alert in frame {}; the client offered {offered}; history {}.", a.frame, n.history),
                format!("See `tlsnoop explain {code}`; the {who}'s logs say why it sent {desc}. Reproduce with `openssl s_client -connect HOST:PORT -servername NAME -msg`."),
                frames,
            )
        }
    }
}

fn client_cert(n: &Negotiation, a: &Alert, after: &str, frames: Vec<u64>) -> Option<Diagnosis> {
    let sent = if n.client_certificates.is_empty() {
        "sent no certificate (or an empty one)"
    } else {
        "sent a certificate the server did not accept"
    };
    d(
        "client_certificate_required",
        "The server requires a client certificate and the client did not provide an acceptable one.".into(),
        format!(
            "The server sent a CertificateRequest; the client {sent}; the server failed the handshake with {} in frame {} {after}.",
            a.description.as_deref().unwrap_or("an alert"),
            a.frame
        ),
        "Configure the client with a certificate and key issued by a CA the server trusts (curl `--cert/--key`, `openssl s_client -cert C -key K`), or make client certificates optional on the server (nginx `ssl_verify_client optional;`).".into(),
        frames,
    )
}

/// "only ECDHE+AEAD suites" style summary of what kinds of suites were offered.
fn suite_kinds(suites: &[u16]) -> String {
    let mut kx: Vec<&str> = Vec::new();
    let mut aead = true;
    for s in suites {
        if let Some(c) = names::cipher_suite(*s) {
            let k = if c.is_tls13() { "TLS 1.3" } else { c.kx };
            if !kx.contains(&k) {
                kx.push(k);
            }
            aead &= c.is_aead();
        }
    }
    let mut text = format!(
        "key exchange {}",
        if kx.is_empty() {
            "unknown".to_string()
        } else {
            kx.join(", ")
        }
    );
    if aead {
        text.push_str(", AEAD only");
    }
    if !kx.contains(&"RSA") {
        text.push_str(", no static RSA key exchange");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{ClientHelloInfo, Endpoint, Timestamp, Traffic};

    fn failed(history: &str) -> Negotiation {
        let e = Endpoint {
            ip: "10.0.0.1".parse().unwrap(),
            port: 443,
        };
        let mut n = Negotiation::new(0, 1, Timestamp::default(), e, e);
        n.outcome = Outcome::Failed;
        n.history = history.into();
        n.traffic = Traffic {
            client_packets: 4,
            server_packets: 3,
            client_bytes: 300,
            server_bytes: 7,
        };
        n.client_hello = Some(Box::new(ClientHelloInfo {
            frame: 4,
            legacy_version: 0x0303,
            cipher_suites: vec![0xc02f, 0xc030],
            ..Default::default()
        }));
        n
    }

    fn alert(from: Sender, desc: &str, frame: u64) -> Alert {
        Alert {
            from,
            level: Some("fatal".into()),
            description: Some(desc.into()),
            encrypted: false,
            frame,
        }
    }

    #[test]
    fn healthy_flow_has_no_diagnosis() {
        let mut n = failed("CsiI");
        n.outcome = Outcome::Established;
        assert_eq!(diagnose(&n), None);
    }

    #[test]
    fn protocol_version_from_the_server() {
        let mut n = failed("Cl");
        n.alerts.push(alert(Sender::Server, "protocol_version", 6));
        let dg = diagnose(&n).expect("diagnosis");
        assert_eq!(dg.code, "protocol_version_mismatch");
        assert_eq!(
            dg.detail,
            "The client offered up to TLS 1.2 (no supported_versions extension); the server refused every version offered; the server probably requires a higher version (TLS 1.3)."
        );
        assert_eq!(dg.evidence_frames, vec![4, 6]);
    }

    #[test]
    fn no_shared_cipher_describes_the_offer() {
        let mut n = failed("Cl");
        n.alerts.push(alert(Sender::Server, "handshake_failure", 6));
        let dg = diagnose(&n).expect("diagnosis");
        assert_eq!(dg.code, "no_shared_cipher");
        assert!(
            dg.detail
                .ends_with("2 suites: key exchange ECDHE, AEAD only, no static RSA key exchange."),
            "{}",
            dg.detail
        );
    }

    #[test]
    fn alert_after_which_message() {
        let mut n = failed("CsxknL");
        n.alerts.push(alert(Sender::Client, "illegal_parameter", 9));
        let dg = diagnose(&n).expect("diagnosis");
        assert_eq!(dg.code, "client_alert");
        assert_eq!(dg.summary, "The client ended the handshake with fatal illegal_parameter after the server's ServerHelloDone.");
    }

    #[test]
    fn one_sided_capture_is_not_blamed_on_the_server() {
        let mut n = failed("C");
        n.outcome = Outcome::Incomplete;
        n.traffic.server_packets = 0;
        assert_eq!(diagnose(&n).expect("diagnosis").code, "capture_incomplete");
    }
}
