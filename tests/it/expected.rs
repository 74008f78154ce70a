//! Every capture in testdata/ against the values read from it once with tshark
//! (`testdata/expected.json`, made by `testdata/extract_expected.py`; see testdata/README.md).
//!
//! Per flow: client and server, frame numbers of the ClientHello and ServerHello, negotiated
//! version, cipher suite id and IANA name, SNI, selected ALPN, key-exchange group, resumption,
//! the server's certificate SHA-256 fingerprints and the alerts (who, level, description, frame).
//! No flow may be missing or extra.

use crate::support::{endpoint, flows, testdata};
use serde_json::Value;

fn expected() -> Value {
    let text = std::fs::read_to_string(testdata("expected.json")).expect("testdata/expected.json");
    serde_json::from_str(&text).expect("expected.json is JSON")
}

fn s(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

/// Compares one flow; returns the list of differences.
fn compare(file: &str, want: &Value, got: &Value) -> Vec<String> {
    let mut diffs = Vec::new();
    let mut check = |field: &str, w: Option<String>, g: Option<String>| {
        if w != g {
            diffs.push(format!(
                "{file} {} {field}: tshark {w:?}, tlsnoop {g:?}",
                want["client"]
            ));
        }
    };
    check("server", s(&want["server"]), Some(endpoint(&got["server"])));
    // A ClientHello tshark marks [Malformed Packet] is not decoded by tlsnoop (client_hello is
    // null and a note says so); its frame is compared through the note instead.
    let undecodable = got["notes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n.as_str())
        .find_map(|n| n.strip_prefix("client→server client_hello at frame "))
        .and_then(|r| r.split(' ').next())
        .map(str::to_string);
    check(
        "ClientHello frame",
        want["ch_frame"].as_u64().map(|x| x.to_string()),
        got["client_hello"]["frame"]
            .as_u64()
            .map(|x| x.to_string())
            .or(undecodable),
    );
    check(
        "ServerHello frame",
        want["sh_frame"].as_u64().map(|x| x.to_string()),
        got["server_hello"]["frame"].as_u64().map(|x| x.to_string()),
    );
    check("version", s(&want["version"]), s(&got["version"]));
    check(
        "cipher id",
        s(&want["cipher"]),
        s(&got["cipher_suite"]["id"]),
    );
    check(
        "cipher iana",
        s(&want["cipher_iana"]),
        s(&got["cipher_suite"]["iana"]),
    );
    check("sni", s(&want["sni"]), s(&got["sni"]));
    check("alpn", s(&want["alpn"]), s(&got["alpn"]));
    check("group", s(&want["group"]), s(&got["group"]));
    check(
        "resumed",
        want["resumed"].as_bool().map(|b| b.to_string()),
        got["resumed"].as_bool().map(|b| b.to_string()),
    );
    let fps = |v: &Value| -> Option<String> {
        let list: Vec<String> = v.as_array()?.iter().filter_map(s).collect();
        Some(list.join(","))
    };
    let got_fps: Vec<Value> = got["certificates"]
        .as_array()
        .map(|a| a.iter().map(|c| c["sha256"].clone()).collect())
        .unwrap_or_default();
    check(
        "certificates",
        fps(&want["cert_sha256"]),
        fps(&Value::Array(got_fps)),
    );
    // Alerts tshark sees without keys. tlsnoop's TLS 1.3 encrypted-alert guesses (records of an
    // encrypted alert's size) are checked against the decrypted view in `read.rs`.
    let alert = |a: &Value| {
        format!(
            "{}:{}:{}:{}",
            a["frame"],
            a["from"].as_str().unwrap_or("?"),
            a["level"],
            a["description"]
        )
    };
    let want_alerts: Vec<String> = want["alerts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(alert)
        .collect();
    let tls13 = got["version"].as_str() == Some("TLS 1.3");
    let got_alerts: Vec<String> = got["alerts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| !(tls13 && a["encrypted"] == Value::Bool(true)))
        .map(alert)
        .collect();
    check(
        "alerts",
        Some(want_alerts.join(" ")),
        Some(got_alerts.join(" ")),
    );
    diffs
}

#[test]
fn every_testdata_capture_matches_tshark() {
    let exp = expected();
    let captures = exp["captures"].as_array().expect("captures");
    assert!(
        captures.len() >= 40,
        "expected.json lists {} captures",
        captures.len()
    );
    let mut diffs = Vec::new();
    let mut compared = 0;
    for cap in captures {
        let file = cap["file"].as_str().expect("file");
        let got = flows(file);
        let want = cap["flows"].as_array().expect("flows");
        for w in want {
            let client = s(&w["client"]);
            match got.iter().find(|g| Some(endpoint(&g["client"])) == client) {
                Some(g) => {
                    compared += 1;
                    diffs.extend(compare(file, w, g));
                }
                None => diffs.push(format!("{file}: flow from {client:?} missing")),
            }
        }
        for g in &got {
            let c = endpoint(&g["client"]);
            if !want
                .iter()
                .any(|w| s(&w["client"]).as_deref() == Some(c.as_str()))
            {
                // Captures tshark shows no TLS in (garbage, a truncated handshake) may still
                // be reported by tlsnoop when they look like TLS; they are checked in read.rs.
                if !want.is_empty() {
                    diffs.push(format!("{file}: extra flow from {c}"));
                }
            }
        }
    }
    assert!(compared >= 45, "only {compared} flows compared");
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}
