//! Diagnosis codes, evidence frames and findings on the real captures in testdata/.
//! Frame numbers were read with tshark (testdata/README.md).

use crate::support::{flows, only_flow, testdata, tlsnoop};
use serde_json::{json, Value};

fn diag(rel: &str) -> (String, Value) {
    let f = only_flow(rel);
    let d = &f["diagnosis"];
    (
        d["code"].as_str().unwrap_or("(none)").to_string(),
        d["evidence_frames"].clone(),
    )
}

#[test]
fn each_failure_gets_its_code_and_evidence() {
    let cases = [
        (
            "real/openssl_version_mismatch.pcap",
            "protocol_version_mismatch",
            json!([4, 6]),
        ),
        (
            "real/openssl_no_shared_cipher.pcap",
            "no_shared_cipher",
            json!([4, 6]),
        ),
        (
            "real/openssl_client_cert_required.pcap",
            "client_certificate_required",
            json!([4, 6, 9]),
        ),
        (
            "real/openssl_expired_cert_rejected.pcap",
            "certificate_rejected_by_client",
            json!([4, 6, 8]),
        ),
        (
            "real/openssl_tls13_cert_rejected.pcap",
            "certificate_rejected_by_client",
            json!([4, 6, 8]),
        ),
        (
            "real/openssl_tls13_client_cert_required.pcap",
            "encrypted_failure",
            json!([4, 6, 9]),
        ),
        (
            "real/reset_mid_handshake.pcap",
            "connection_reset",
            json!([4, 6]),
        ),
        (
            "real/no_server_response.pcap",
            "no_server_response",
            json!([4, 6]),
        ),
        (
            "real/openssl_sslv2_compat_hello.pcap",
            "client_alert",
            json!([4, 6, 8]),
        ),
        (
            "crafted/truncated_snaplen.pcap",
            "capture_incomplete",
            json!([]),
        ),
    ];
    for (file, code, frames) in cases {
        assert_eq!(diag(file), (code.to_string(), frames), "{file}");
    }
}

#[test]
fn diagnosis_text_names_the_facts() {
    let f = only_flow("real/openssl_version_mismatch.pcap");
    assert_eq!(
        f["diagnosis"]["detail"],
        "The client offered up to TLS 1.2 (no supported_versions extension); the server refused every version offered; the server probably requires a higher version (TLS 1.3)."
    );
    let f = only_flow("real/reset_mid_handshake.pcap");
    assert_eq!(
        f["diagnosis"]["summary"],
        "The server reset (RST) the connection before answering the ClientHello."
    );
    let f = only_flow("real/no_server_response.pcap");
    assert_eq!(
        f["diagnosis"]["detail"],
        "The ClientHello (frame 4) got no TLS data back: the server's 3 packets carried no payload, then the client gave up and closed the connection in frame 6."
    );
}

#[test]
fn healthy_flows_get_no_diagnosis_and_no_findings() {
    for file in [
        "real/openssl_tls13.pcap",
        "real/openssl_tls13_hrr.pcap",
        "real/openssl_tls12_ecdhe_rsa.pcap",
        "real/openssl_tls12_ecdsa.pcap",
        "real/openssl_resumption_tls12.pcap",
        "real/openssl_resumption_tls13.pcap",
        "real/curl_tls13.pcap",
        "real/gnutls_tls13.pcap",
        "real/python_tls13.pcap",
    ] {
        for f in flows(file) {
            assert_eq!(f["outcome"], "established", "{file}");
            assert_eq!(f["diagnosis"], Value::Null, "{file}");
            assert_eq!(f["findings"], json!([]), "{file}");
        }
    }
}

#[test]
fn legacy_handshake_findings() {
    // The SSLv2-format hello to a TLS 1.0 server: static RSA, CBC, no EMS, 3DES still offered.
    let f = only_flow("real/openssl_sslv2_compat_hello.pcap");
    let ids: Vec<&str> = f["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|x| x["id"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        ids,
        vec![
            "version.tls1_0",
            "cipher.no_forward_secrecy",
            "cipher.cbc",
            "handshake.no_extended_master_secret",
            "offer.weak_suites"
        ]
    );
    assert_eq!(
        f["findings"][0],
        json!({"id": "version.tls1_0", "severity": "medium", "message": "negotiated TLS 1.0", "evidence": [6], "certificate": null})
    );
    assert_eq!(
        f["findings"][4]["message"],
        "the client still offers 1 weak suite: TLS_RSA_WITH_3DES_EDE_CBC_SHA (0x000a)"
    );
}

#[test]
fn policy_changes_what_counts() {
    let p = testdata("real/openssl_sslv2_compat_hello.pcap");
    let p = p.to_str().expect("path");
    let out = tlsnoop(&["--format", "jsonl", "--policy", "old", p]);
    let f: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(f["findings"][0]["severity"], "low");
    assert!(!f["findings"]
        .as_array()
        .expect("list")
        .iter()
        .any(|x| x["id"] == "cipher.cbc"));
    let out = tlsnoop(&[
        "--format",
        "jsonl",
        "--policy",
        "modern",
        testdata("real/openssl_tls12_ecdhe_rsa.pcap")
            .to_str()
            .expect("p"),
    ]);
    let f: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(f["findings"][0]["id"], "version.tls1_2");
}

#[test]
fn fail_on_sets_exit_status_3() {
    let bad = testdata("real/openssl_version_mismatch.pcap");
    let good = testdata("real/openssl_tls13.pcap");
    let legacy = testdata("real/openssl_sslv2_compat_hello.pcap");
    let code = |args: &[&str]| tlsnoop(args).status.code();
    assert_eq!(
        code(&["--fail-on", "failed", bad.to_str().expect("p")]),
        Some(3)
    );
    assert_eq!(
        code(&["--fail-on", "failed", good.to_str().expect("p")]),
        Some(0)
    );
    assert_eq!(
        code(&["--fail-on", "medium", legacy.to_str().expect("p")]),
        Some(3)
    );
    assert_eq!(
        code(&["--fail-on", "high", legacy.to_str().expect("p")]),
        Some(0)
    );
}

#[test]
fn explain_describes_codes_and_ids() {
    let out = tlsnoop(&["explain", "no_shared_cipher"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("no_shared_cipher\n  meaning:   The server found no cipher suite it shares with the client."), "{text}");
    assert_eq!(tlsnoop(&["explain", "no.such"]).status.code(), Some(2));
    let list = String::from_utf8_lossy(&tlsnoop(&["explain"]).stdout).into_owned();
    assert!(list.lines().any(|l| l.starts_with("cipher.rc4")));
}

#[test]
fn readme_documents_every_code_and_finding() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .expect("README");
    let list = String::from_utf8_lossy(&tlsnoop(&["explain"]).stdout).into_owned();
    for id in list.lines().filter_map(|l| l.split_whitespace().next()) {
        assert!(
            readme.contains(&format!("`{id}`")),
            "README does not document {id}"
        );
    }
}

/// The finding ids of the only flow of a capture.
fn finding_ids(rel: &str) -> Vec<String> {
    only_flow(rel)["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["id"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn more_failures_from_real_stacks() {
    let cases = [
        (
            "real/openssl_version_mismatch_tls13_client.pcap",
            "protocol_version_mismatch",
            json!([4, 6]),
        ),
        (
            "real/openssl_no_shared_group.pcap",
            "no_shared_group",
            json!([4, 6]),
        ),
        (
            "real/openssl_no_shared_sigalg.pcap",
            "no_shared_signature_algorithm",
            json!([4, 6]),
        ),
        (
            "real/openssl_unrecognized_name.pcap",
            "unrecognized_name",
            json!([4, 6]),
        ),
        (
            "real/openssl_fallback_scsv.pcap",
            "inappropriate_fallback",
            json!([4, 6]),
        ),
        (
            "crafted/one_sided_client_only.pcap",
            "capture_incomplete",
            json!([3]),
        ),
        (
            "crafted/one_sided_server_only.pcap",
            "capture_incomplete",
            json!([3]),
        ),
    ];
    for (file, code, frames) in cases {
        assert_eq!(diag(file), (code.to_string(), frames), "{file}");
    }
    let f = only_flow("real/openssl_version_mismatch_tls13_client.pcap");
    assert_eq!(
        f["diagnosis"]["detail"],
        "The client offered only TLS 1.3; the server refused every version offered; the server probably supports only TLS 1.2 or lower."
    );
    // A one-sided capture is not blamed on the absent side.
    assert_eq!(
        only_flow("crafted/one_sided_client_only.pcap")["outcome"],
        "incomplete"
    );
}

#[test]
fn weak_crypto_findings_from_real_stacks() {
    let cases: [(&str, &[&str]); 12] = [
        ("real/openssl_tls10.pcap", &["version.tls1_0", "cipher.cbc"]),
        ("real/openssl_tls11.pcap", &["version.tls1_1", "cipher.cbc"]),
        (
            "real/openssl_static_rsa.pcap",
            &["cipher.no_forward_secrecy", "cipher.cbc"],
        ),
        (
            "real/gnutls_3des.pcap",
            &[
                "cipher.3des",
                "cipher.no_forward_secrecy",
                "cipher.cbc",
                "offer.weak_suites",
            ],
        ),
        (
            "real/gnutls_rc4.pcap",
            &[
                "cipher.rc4",
                "cipher.no_forward_secrecy",
                "offer.weak_suites",
            ],
        ),
        (
            "real/openssl_null_md5.pcap",
            &[
                "cipher.null",
                "cipher.md5_mac",
                "cipher.no_forward_secrecy",
                "offer.weak_suites",
            ],
        ),
        (
            "real/openssl_anon_ecdh.pcap",
            &["cipher.anon", "cipher.cbc", "offer.weak_suites"],
        ),
        (
            "real/openssl_no_ems.pcap",
            &["handshake.no_extended_master_secret"],
        ),
        (
            "real/gnutls_insecure_renegotiation.pcap",
            &["handshake.insecure_renegotiation"],
        ),
        ("real/openssl_dhe_1024.pcap", &["handshake.weak_dh_group"]),
        ("real/openssl_no_sni.pcap", &["handshake.no_sni"]),
        (
            "real/openssl_client_offers_weak.pcap",
            &["offer.weak_suites"],
        ),
    ];
    for (file, want) in cases {
        assert_eq!(finding_ids(file), want, "{file}");
    }
    let f = only_flow("real/openssl_dhe_1024.pcap");
    assert_eq!(f["dh_bits"], 1024);
    assert_eq!(
        f["findings"][0]["message"],
        "the server's DHE group is 1024 bits (ServerKeyExchange); 2048 is the minimum"
    );
    assert_eq!(
        finding_ids("real/openssl_fallback_scsv.pcap"),
        vec!["offer.fallback_scsv"]
    );
    // A TLS 1.3 server answering a TLS 1.2-only client sets the sentinel: info, not an attack.
    let f = only_flow("real/openssl_downgrade_sentinel.pcap");
    assert_eq!(f["findings"][0]["id"], "offer.downgrade_sentinel");
    assert_eq!(f["findings"][0]["severity"], "info");
}

#[test]
fn certificate_findings_from_real_stacks() {
    let cases: [(&str, &[&str]); 10] = [
        ("real/openssl_bad_signature.pcap", &["cert.bad_signature"]),
        ("real/openssl_not_yet_valid.pcap", &["cert.not_yet_valid"]),
        ("real/openssl_expires_soon.pcap", &["cert.expires_soon"]),
        (
            "real/openssl_not_server_auth.pcap",
            &["cert.not_server_auth"],
        ),
        (
            "real/openssl_missing_intermediate.pcap",
            &["cert.missing_intermediate"],
        ),
        (
            "real/openssl_chain_wrong_order.pcap",
            &["cert.chain_order", "cert.chain_order"],
        ),
        ("real/openssl_self_signed.pcap", &["cert.self_signed"]),
        (
            "real/openssl_hostname_mismatch.pcap",
            &["cert.hostname_mismatch"],
        ),
        ("real/openssl_rsa1024_leaf.pcap", &["cert.weak_key"]),
        ("real/openssl_sha1_leaf.pcap", &["cert.weak_signature"]),
    ];
    for (file, want) in cases {
        assert_eq!(finding_ids(file), want, "{file}");
        for f in only_flow(file)["findings"].as_array().expect("list") {
            assert!(f["certificate"].is_u64(), "{file}: certificate index");
            assert!(
                f["evidence"]
                    .as_array()
                    .is_some_and(|e| e.contains(&json!(6))),
                "{file}: Certificate frame 6"
            );
        }
    }
    let f = only_flow("real/openssl_expired_cert_rejected.pcap");
    assert!(
        f["diagnosis"]["detail"].as_str().unwrap_or("").contains("tlsnoop's checks found: certificate 0 (CN=server.test) expired on 2021-01-01T00:00:00Z"),
        "{}",
        f["diagnosis"]["detail"]
    );
}

#[test]
fn sslv3_from_the_third_party_corpus() {
    // No stack on this machine negotiates SSL 3.0 any more; Arkime's capture of OpenSSL does.
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/captures/arkime/tests/pcap/openssl-ssl3.pcap");
    if !p.exists() {
        eprintln!("SKIPPED: {} not found", p.display());
        return;
    }
    let out = tlsnoop(&["--format", "jsonl", p.to_str().expect("path")]);
    let f: Value = serde_json::from_slice(&out.stdout).expect("one flow");
    assert_eq!(f["version"], "SSL 3.0");
    let sslv3: Vec<&Value> = f["findings"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|x| x["id"] == "version.sslv3")
        .collect();
    assert_eq!(sslv3.len(), 1);
    assert_eq!(sslv3[0]["severity"], "high");
    assert_eq!(sslv3[0]["message"], "negotiated SSL 3.0");
}
