//! Certificate findings (`cert.*`) in the binary's output on real captures. Dates and names come
//! from the certificates (`openssl x509 -in testdata/certs/server-expired.pem -noout -dates`) and
//! the capture time from tshark (`frame.time_epoch` of the flow's first frame), not from tlsnoop.

use crate::support::only_flow;
use serde_json::{json, Value};

/// The `cert.*` findings of a flow (crypto findings are another module's).
fn cert_findings(f: &Value) -> Vec<Value> {
    f["findings"]
        .as_array()
        .expect("findings is an array")
        .iter()
        .filter(|x| x["id"].as_str().is_some_and(|id| id.starts_with("cert.")))
        .cloned()
        .collect()
}

/// The ids of the `cert.*` findings, in order.
fn ids(f: &Value) -> Vec<String> {
    cert_findings(f)
        .iter()
        .map(|x| x["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn expired_leaf_is_reported_at_capture_time() {
    // s_server -tls1_2 with server-expired (notAfter 2021-01-01T00:00:00Z) and the intermediate;
    // captured 2026-12-01T20:29:23Z, so 2160 days after. The intermediate's issuer (the root)
    // was not sent, which is normal; the leaf is 366 days long and issued before 2020-09-01.
    let f = only_flow("real/openssl_expired_cert_rejected.pcap");
    assert_eq!(f["first_seen"], "2026-12-01T20:29:23.649447Z");
    assert_eq!(
        cert_findings(&f),
        [json!({
            "id": "cert.expired",
            "severity": "high",
            "message": "certificate 0 (CN=server.test) expired on 2021-01-01T00:00:00Z, 2160 \
                        days before the capture",
            "evidence": [6],
            "certificate": 0
        })]
    );
}

#[test]
fn healthy_chain_has_no_certificate_findings() {
    // server-rsa + intermediate, SNI server.test. The test PKI's leaves are valid for 100 years
    // (testdata/README.md): a private CA may do that, so without --system-roots it is not
    // judged (cert.validity_too_long needs a chain to a public root).
    let f = only_flow("real/openssl_tls12_ecdhe_rsa.pcap");
    assert_eq!(ids(&f), Vec::<String>::new());
}

#[test]
fn self_signed_leaf() {
    // gnutls-serv with server-selfsigned.
    let f = only_flow("real/gnutls_tls12.pcap");
    assert_eq!(ids(&f), ["cert.self_signed"]);
    assert_eq!(cert_findings(&f)[0]["severity"], "medium");
}

/// Runs tlsnoop on the healthy TLS 1.2 capture with extra arguments (and `SSL_CERT_FILE` set to
/// the test root, for `--system-roots`); returns the flow's (id, severity) findings.
fn with_roots(args: &[&str]) -> Vec<(String, String)> {
    let root = env!("CARGO_MANIFEST_DIR");
    let cap = format!("{root}/testdata/real/openssl_tls12_ecdhe_rsa.pcap");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tlsnoop"));
    cmd.current_dir(root)
        .env("SSL_CERT_FILE", "testdata/certs/ca.pem")
        .args(["--format", "jsonl"])
        .args(args)
        .arg(cap);
    let out = cmd.output().expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let f: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    f["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|x| {
            (
                x["id"].as_str().unwrap_or("").to_string(),
                x["severity"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn trust_roots_from_the_command_line() {
    // The chain leads to the test root: trusted.
    assert_eq!(with_roots(&["--ca-file", "testdata/certs/ca.pem"]), vec![]);
    // An unrelated root: the chain does not end at a trusted root.
    assert_eq!(
        with_roots(&["--ca-file", "testdata/certs/unit/chk-other-root.pem"]),
        vec![("cert.untrusted_root".to_string(), "high".to_string())]
    );
    // As a public root (--system-roots), the 100-year leaf breaks the 398-day rule.
    assert_eq!(
        with_roots(&["--system-roots"]),
        vec![("cert.validity_too_long".to_string(), "low".to_string())]
    );
    // A file that is not there is a usage error.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tlsnoop"))
        .args(["--ca-file", "/nonexistent.pem", "x.pcap"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
}
