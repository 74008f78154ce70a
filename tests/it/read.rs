//! `tlsnoop read` on the captures in testdata/: exact values for the scenarios that matter,
//! the record's shape, exit codes and terminal escaping. Expected values were read once with
//! tshark (see testdata/README.md), not pasted from tlsnoop's output.

use crate::support::{flows, json_doc, only_flow, testdata, tlsnoop};
use serde_json::{json, Value};

#[test]
fn tls12_client_refused_by_tls13_only_server() {
    // real/openssl_version_mismatch.pcap: s_client -tls1_2 → s_server -tls1_3; tshark: frame 6
    // is the server's fatal protocol_version alert.
    let f = only_flow("real/openssl_version_mismatch.pcap");
    assert_eq!(f["outcome"], "failed");
    assert_eq!(f["version"], Value::Null);
    assert_eq!(f["cipher_suite"], Value::Null);
    assert_eq!(f["client_hello"]["legacy_version"], "0x0303");
    assert_eq!(f["client_hello"]["versions"], json!([]));
    assert_eq!(f["server_hello"], Value::Null);
    assert_eq!(
        f["alerts"],
        json!([{"from": "server", "level": "fatal", "description": "protocol_version",
                "encrypted": false, "frame": 6}])
    );
    assert_eq!(f["history"], "Cl");
    assert_eq!(f["notes"], json!([]));
}

#[test]
fn tls12_full_handshake_with_chain() {
    let f = only_flow("real/openssl_tls12_ecdhe_rsa.pcap");
    assert_eq!(f["outcome"], "established");
    assert_eq!(f["version"], "TLS 1.2");
    assert_eq!(
        f["cipher_suite"],
        json!({"id": "0xc02f", "iana": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
               "openssl": "ECDHE-RSA-AES128-GCM-SHA256", "kx": "ECDHE", "au": "RSA",
               "enc": "AES_128_GCM", "enc_bits": 128, "mode": "GCM", "mac": "AEAD"})
    );
    assert_eq!(f["sni"], "server.test");
    assert_eq!(f["alpn"], "http/1.1");
    assert_eq!(f["group"], "x25519");
    assert_eq!(f["resumed"], false);
    assert_eq!(f["ocsp_stapled"], false);
    assert_eq!(f["history"], "CsxknGIFtifLl");
    assert_eq!(f["client_hello"]["frame"], 4);
    assert_eq!(f["server_hello"]["frame"], 6);
    assert_eq!(f["server_hello"]["cipher_suite"], "0xc02f");
    let certs = f["certificates"].as_array().expect("certificates");
    assert_eq!(certs.len(), 2);
    // testdata/certs/FINGERPRINTS.txt (openssl x509 -fingerprint -sha256 of the DER files).
    assert_eq!(
        certs[0]["sha256"],
        "3dfb4da0dc94080e8f6ed5ff08085ad8683b6df588fe745be10f364a61da9fee"
    );
    assert_eq!(
        certs[0]["subject"],
        "O=tlsnoop test, OU=rsa, CN=server.test"
    );
    assert_eq!(
        certs[0]["issuer"],
        "O=tlsnoop test, CN=tlsnoop Test Intermediate CA"
    );
    assert_eq!(
        certs[0]["san_dns"],
        json!(["server.test", "www.server.test"])
    );
    assert_eq!(certs[0]["san_ip"], json!(["127.0.0.1"]));
    assert_eq!(
        certs[0]["key"],
        json!({"type": "RSA", "bits": 2048, "curve": null})
    );
    assert_eq!(certs[0]["signature_algorithm"], "sha256WithRSAEncryption");
    assert_eq!(certs[0]["is_ca"], false);
    assert_eq!(certs[0]["frame"], 6);
    assert_eq!(
        certs[1]["sha256"],
        "c4f97e73eec0405c022c94bae47b87ae1d1fae46581026ae3b478c54890669e7"
    );
    assert_eq!(certs[1]["is_ca"], true);
    // Chain facts: the leaf is issued (and signed) by the intermediate sent after it; the
    // intermediate's issuer, the root, was not sent.
    assert_eq!(certs[0]["issuer_index"], 1);
    assert_eq!(certs[0]["signature"], "verified");
    assert_eq!(certs[0]["self_issued"], false);
    assert_eq!(certs[0]["eku"], json!(["serverAuth"]));
    assert_eq!(certs[1]["issuer_index"], Value::Null);
    assert_eq!(certs[1]["signature"], Value::Null);
    // Frame 17 is the second FIN; the final ACK (frame 18) comes after the close.
    assert_eq!(f["last_frame"], 17);
    // close_notify both ways, encrypted (tshark: "Encrypted Alert" in frames 13 and 15).
    assert_eq!(
        f["alerts"],
        json!([{"from": "client", "level": null, "description": null, "encrypted": true, "frame": 13},
               {"from": "server", "level": null, "description": null, "encrypted": true, "frame": 15}])
    );
    assert_eq!(f["notes"], json!([]));
}

#[test]
fn tls13_hello_retry_request() {
    let f = only_flow("real/openssl_tls13_hrr.pcap");
    assert_eq!(f["outcome"], "established");
    assert_eq!(f["hello_retry_request"], true);
    assert_eq!(f["version"], "TLS 1.3");
    assert_eq!(f["group"], "secp256r1");
    // tshark: HRR in frame 6, second ClientHello in frame 8, ServerHello in frame 9.
    assert_eq!(f["server_hello"]["frame"], 9);
    assert_eq!(f["history"], "CjiICs");
    assert_eq!(f["client_hello"]["key_share_groups"], json!(["0x001d"]));
}

#[test]
fn tls12_resumption_is_seen_on_the_second_connection() {
    let f = flows("real/openssl_resumption_tls12.pcap");
    assert_eq!(f.len(), 2);
    assert_eq!(
        (f[0]["id"].clone(), f[0]["resumed"].clone()),
        (json!(1), json!(false))
    );
    assert_eq!(
        (f[1]["id"].clone(), f[1]["resumed"].clone()),
        (json!(2), json!(true))
    );
    assert_eq!(f[1]["history"], "CsifIFLl");
    assert_eq!(f[1]["certificates"], json!([]));
    assert_eq!(f[1]["first_frame"], 19);
}

#[test]
fn tls13_resumption_by_psk() {
    let f = flows("real/openssl_resumption_tls13.pcap");
    assert_eq!(f.len(), 2);
    assert_eq!(f[1]["resumed"], true);
    assert!(f[1]["server_hello"]["extensions"]
        .as_array()
        .expect("extensions")
        .contains(&json!("0x0029")));
}

#[test]
fn client_rejects_expired_certificate() {
    let f = only_flow("real/openssl_expired_cert_rejected.pcap");
    assert_eq!(f["outcome"], "failed");
    assert_eq!(
        f["alerts"],
        json!([{"from": "client", "level": "fatal", "description": "certificate_expired",
                "encrypted": false, "frame": 8}])
    );
    assert_eq!(
        f["certificates"][0]["sha256"],
        "283516da0d9f5a039030ac903d46680c269b1ea3ec1883a81e8d56f64de5db0a"
    );
    // TLS 1.3: the client alerts in plaintext (a 2-byte alert record after the ServerHello).
    let f = only_flow("real/openssl_tls13_cert_rejected.pcap");
    assert_eq!(f["outcome"], "failed");
    assert_eq!(f["alerts"][0]["description"], "certificate_expired");
    assert_eq!(f["alerts"][0]["encrypted"], false);
    assert_eq!(f["alerts"][0]["frame"], 8);
}

#[test]
fn tls13_encrypted_alert_after_the_server_flight() {
    // The server requires a client certificate; the client has none; the server's alert is
    // encrypted. tshark with the keylog shows certificate_required in frame 9.
    let f = only_flow("real/openssl_tls13_client_cert_required.pcap");
    assert_eq!(f["outcome"], "failed");
    assert_eq!(
        f["alerts"],
        json!([{"from": "server", "level": null, "description": null, "encrypted": true, "frame": 9}])
    );
}

#[test]
fn reset_and_silence_before_an_answer() {
    let f = only_flow("real/reset_mid_handshake.pcap");
    assert_eq!(f["outcome"], "failed");
    assert_eq!(f["close"]["from"], "server");
    assert_eq!(f["close"]["kind"], "rst");
    assert_eq!(f["close"]["during_handshake"], true);
    assert_eq!(f["history"], "C");
    let f = only_flow("real/no_server_response.pcap");
    assert_eq!(f["history"], "C");
    assert_eq!(f["server_hello"], Value::Null);
}

#[test]
fn sslv2_compatible_hello() {
    let f = only_flow("real/openssl_sslv2_compat_hello.pcap");
    assert_eq!(f["client_hello"]["sslv2_format"], true);
    assert_eq!(f["version"], "TLS 1.0");
    assert_eq!(f["cipher_suite"]["id"], "0x002f");
}

#[test]
fn notes_name_side_frame_and_consequence() {
    let f = only_flow("crafted/midstream.pcap");
    assert_eq!(
        f["notes"],
        json!(["SYN not seen; server taken to be the sender of the ServerHello in frame 1"])
    );
    assert_eq!(f["history"], "sxknGIFtifLl");
    let f = only_flow("crafted/retrans_conflict.pcap");
    assert_eq!(
        f["notes"],
        json!(["client→server retransmission in frame 5 differs from the bytes already seen over 6 bytes; kept the first copy (frame 4)"])
    );
    assert_eq!(f["sni"], "server.test");
    let f = only_flow("crafted/retrans_overlap.pcap");
    assert_eq!(f["notes"], json!([]));
    let f = only_flow("crafted/truncated_snaplen.pcap");
    assert_eq!(f["outcome"], "incomplete");
    assert_eq!(
        f["notes"],
        json!([
            "client→server gap of 181 bytes before frame 5; resumed at a record header in frame 8",
            "server→client gap of 2164 bytes before frame 7; resumed at a record header in frame 10",
            "client→server gap of 51 bytes before frame 9; resumed at a record header in frame 12",
            "server→client gap of 200 bytes before frame 11; resumed at a record header in frame 14",
            "4 frames truncated by snaplen (first at frame 4)"
        ])
    );
}

#[test]
fn garbage_on_443_is_not_reported() {
    let doc = json_doc("crafted/garbage_443.pcap");
    assert_eq!(doc["flows"], json!([]));
    assert_eq!(doc["stats"]["tcp_flows"], 1);
    assert_eq!(doc["stats"]["tls_flows"], 0);
}

#[test]
fn document_shape() {
    let doc = json_doc("real/openssl_tls13.pcap");
    assert_eq!(doc["schema"], "tlsnoop/1");
    assert_eq!(doc["tool"]["name"], "tlsnoop");
    let input = &doc["inputs"][0];
    assert_eq!(input["format"], "pcap");
    assert_eq!(input["link_types"], json!(["ethernet"]));
    assert_eq!(input["packets"], 20);
    assert_eq!(input["notes"], json!([]));
    assert_eq!(
        doc["stats"],
        json!({"packets": 20, "tcp_flows": 1, "tls_flows": 1, "established": 1, "failed": 0,
               "incomplete": 0, "truncated_packets": 0, "decode_errors": 0,
               "limits_hit": {"max_ooo_bytes": 0, "max_handshake_bytes": 0,
                              "max_handshake_message": 0, "max_total_buffered": 0,
                              "max_flows": 0, "max_flow_memory": 0, "max_probe_bytes": 0,
                              "max_history": 0,
                              "max_notes": 0, "max_certificates": 0, "idle_timeout": 0,
                              "half_closed_timeout": 0, "max_fragment_bytes": 0,
                              "max_fragment_datagrams": 0, "fragment_timeout": 0}})
    );
    let f = &doc["flows"][0];
    for key in [
        "id",
        "input",
        "first_frame",
        "first_seen",
        "last_seen",
        "transport",
        "client",
        "server",
        "outcome",
        "version",
        "cipher_suite",
        "group",
        "sni",
        "alpn",
        "resumed",
        "hello_retry_request",
        "ocsp_stapled",
        "early_data",
        "client_hello",
        "server_hello",
        "certificates",
        "client_certificates",
        "certificate_request",
        "alerts",
        "history",
        "notes",
    ] {
        assert!(f.get(key).is_some(), "FLOW key {key} missing");
    }
    assert_eq!(f["first_seen"], "2026-12-01T20:29:05.755215Z");
    assert_eq!(f["transport"], "tcp");
    let ch = &f["client_hello"];
    assert_eq!(ch["cipher_suites"], json!(["0x1302", "0x00ff"]));
    assert_eq!(
        ch["cipher_suite_names"],
        json!([
            "TLS_AES_256_GCM_SHA384",
            "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"
        ])
    );
    assert_eq!(ch["alpn"], json!(["h2"]));
}

#[test]
fn jsonl_is_one_flow_per_line() {
    let p = testdata("real/openssl_resumption_tls12.pcap");
    let out = tlsnoop(&["read", "--format", "jsonl", p.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["id"], 1);
    assert_eq!(lines[1]["id"], 2);
}

#[test]
fn unreadable_input_exits_1_and_the_others_are_reported() {
    let good = testdata("real/openssl_tls13.pcap");
    let bad = testdata("make.sh");
    let out = tlsnoop(&[
        "--format",
        "jsonl",
        bad.to_str().expect("p"),
        good.to_str().expect("p"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("make.sh: not a pcap or pcapng file"),
        "stderr: {err}"
    );
    let f: Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(f["input"], 1);
    let out = tlsnoop(&["/nonexistent.pcap"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("/nonexistent.pcap: cannot open: no such file or directory"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(
        tlsnoop(&["--format", "xml", "x.pcap"]).status.code(),
        Some(2)
    );
    assert_eq!(tlsnoop(&[]).status.code(), Some(2));
}

/// Without the `live` feature; with it, `live.rs` tests the real thing.
#[cfg(not(feature = "live"))]
#[test]
fn live_says_how_to_build_it() {
    let out = tlsnoop(&["live", "-i", "lo"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cargo build --release --features live"),
        "stderr: {err}"
    );
    assert!(err.contains("libpcap-dev"), "stderr: {err}");
}

#[test]
fn stdin_and_gzip() {
    let gz = std::fs::read(testdata("crafted/openssl_tls13.pcap.gz")).expect("gz");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tlsnoop"))
        .args(["--format", "jsonl", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&gz)
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0));
    let f: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(f["cipher_suite"]["id"], "0x1302");
}

/// A copy of crafted/base_tls12.pcap whose SNI (in the ClientHello only) is replaced by
/// hostile bytes of the same length.
fn hostile_sni_capture(sni: &[u8; 11]) -> std::path::PathBuf {
    let mut bytes = std::fs::read(testdata("crafted/base_tls12.pcap")).expect("base");
    let at = bytes
        .windows(11)
        .position(|w| w == b"server.test")
        .expect("SNI present");
    bytes[at..at + 11].copy_from_slice(sni);
    let path =
        std::env::temp_dir().join(format!("tlsnoop-hostile-sni-{}.pcap", std::process::id()));
    std::fs::write(&path, bytes).expect("write");
    path
}

#[test]
fn network_text_is_escaped_for_terminals_and_exact_in_json() {
    let path = hostile_sni_capture(b"\x1b[2J\x07\xe2\x80\xaeb.c");
    let p = path.to_str().expect("path");
    let text = tlsnoop(&["--color", "always", p]);
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(
        text.contains("sni          \\x1b[2J\\x07\\u{202e}b.c"),
        "{text}"
    );
    assert!(!text.contains("\x1b[2J"), "raw escape reached the terminal");
    assert!(!text.contains('\u{202e}'));
    let out = tlsnoop(&["--format", "jsonl", p]);
    let f: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(f["sni"], "\u{1b}[2J\u{7}\u{202e}b.c");
    std::fs::remove_file(&path).ok();
}

#[test]
fn text_report_layout() {
    let p = testdata("real/openssl_version_mismatch.pcap");
    let out = tlsnoop(&["--color", "never", p.to_str().expect("p")]);
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let expected = "\
#1  127.0.0.1:42274 → 127.0.0.1:4437  frame 1  2026-12-01T20:29:11.311254Z  (0.000 s)
    verdict      FAILED — No common TLS version: the server refused the negotiation with protocol_version.
    why          The client offered up to TLS 1.2 (no supported_versions extension); the server refused every version offered; the server probably requires a higher version (TLS 1.3).
    fix          Enable a common version on both sides (e.g. `ssl_protocols TLSv1.2 TLSv1.3;` in nginx, `SSLProtocol -all +TLSv1.2 +TLSv1.3` in Apache, the client's minimum/maximum version settings). Test each version with `openssl s_client -connect HOST:PORT -tls1_2` and `-tls1_3`.
    sni          server.test
    client offer up to TLS 1.2; 28 suites: TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_DHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, +24 more; groups x25519, secp256r1, x448, secp521r1, secp384r1
    alerts       server sent fatal protocol_version (frame 6)
    closed       client sent FIN (frame 8)
    fingerprints ja3 871a754af286dfb70c1b53c6887c62e0  ja4 t12d280700_d943125447b4_e7e480e5a997
    history      Cl

1 TLS flow: 0 established, 1 failed, 0 incomplete (1 TCP flow, 11 packets)
  diagnoses: protocol_version_mismatch ×1
";
    assert_eq!(text, expected);
}
