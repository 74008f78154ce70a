//! Helpers: run the tlsnoop binary and read its output with the test's own view of the schema
//! (plain `serde_json::Value`), so a renamed key breaks a test.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Path of a file under testdata/.
pub fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
}

/// Runs tlsnoop with `args`.
pub fn tlsnoop(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tlsnoop"))
        .args(args)
        .output()
        .expect("tlsnoop runs")
}

/// Runs `tlsnoop --format json FILE` on a testdata file; asserts exit 0 and returns the document.
pub fn json_doc(rel: &str) -> Value {
    let path = testdata(rel);
    let out = tlsnoop(&["--format", "json", path.to_str().expect("utf-8 path")]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{rel}: stderr {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

/// The flows of a testdata file.
pub fn flows(rel: &str) -> Vec<Value> {
    json_doc(rel)["flows"]
        .as_array()
        .expect("flows is an array")
        .clone()
}

/// The only flow of a testdata file.
pub fn only_flow(rel: &str) -> Value {
    let f = flows(rel);
    assert_eq!(f.len(), 1, "{rel}: want 1 flow, got {}", f.len());
    f.into_iter().next().expect("one flow")
}

/// "ip:port" (IPv6 in brackets) of a FLOW endpoint.
pub fn endpoint(v: &Value) -> String {
    let ip = v["ip"].as_str().expect("ip");
    let port = v["port"].as_u64().expect("port");
    if ip.contains(':') {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    }
}
