//! Fingerprint corpus test: tlsnoop's `fingerprints` against independent oracles.
//!
//! * **JA3 / JA3S against tshark 4.0**: `../shared/captures/manifest.json` lists, for every TCP
//!   flow tshark saw a hello on, its `tls.handshake.ja3` and `ja3s` values in message order.
//!   Each flow is matched to a tlsnoop flow by (client, server) endpoints (either orientation)
//!   and compared: `ja3` with tshark's first value (the record keeps the first ClientHello),
//!   `ja3s` with tshark's last (the record keeps the final ServerHello, after any
//!   HelloRetryRequest); a flow with no value on one side is compared as null. Each must agree
//!   on at least 99.5 % of the flows.
//! * **JA4 against FoxIO's expected outputs** in `../shared/captures/ja4`: the Rust snapshots
//!   (`rust/ja4/src/snapshots/ja4__insta@F.snap`, TCP entries: `ja4`) and the Python test data
//!   (`python/test/testdata/F.json`: `JA4.1`, `JA4_r.1`, TLS-over-TCP values only), matched by
//!   (src, src port, dst, dst port). `JA4.2`… are fingerprints of later ClientHellos in the same
//!   connection (after a HelloRetryRequest); the record keeps the first, so those are counted,
//!   not compared. Each oracle must agree on at least 99 %.
//!
//! Every disagreement is printed (`DISAGREE …`), then a table. tshark values that are
//! demonstrably wrong are in [`KNOWN_TSHARK_ERRORS`] with the oracle that shows it; such a flow
//! agrees only when tlsnoop gives the oracle's value.
//!
//! ```text
//! cargo test --test it fingerprints -- --ignored --nocapture
//! ```
//!
//! `fingerprint_sample_agrees` runs the same checks on two small captures as part of the normal
//! `cargo test`. Both skip with a message when the corpus folder is absent.

use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{Read, Write as _};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const MIN_JA3: f64 = 99.5;
const MIN_JA4: f64 = 99.0;
const TIMEOUT: Duration = Duration::from_secs(60);
const MAX_PARALLEL: usize = 4;

/// Small captures for the quick test: a TLS 1.3 hello with a non-ASCII ALPN value (tshark JA3,
/// FoxIO JA4 both ways) and a TLS 1.2 flow ending in an alert.
const SAMPLE: [&str; 2] = [
    "ja4/pcap/tls-non-ascii-alpn.pcapng",
    "ja4/pcap/badcurveball.pcap",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ja3Field {
    Ja3,
    Ja3s,
}

impl Ja3Field {
    fn name(self) -> &'static str {
        match self {
            Ja3Field::Ja3 => "ja3",
            Ja3Field::Ja3s => "ja3s",
        }
    }
}

/// A tshark JA3/JA3S value the corpus shows to be wrong, with the value an oracle gives.
struct KnownTsharkError {
    path: &'static str,
    /// tshark's client, as written in the manifest.
    client: &'static str,
    field: Ja3Field,
    /// The oracle's MD5 (None = no fingerprint).
    truth: Option<&'static str>,
    why: &'static str,
}

const OOO: &str =
    "tshark 4.0 does not reassemble out-of-order TCP segments by default, so it never \
                   parses this ServerHello; `tshark -o tcp.reassemble_out_of_order:TRUE -e \
                   tls.handshake.ja3s` gives exactly this value";

const KNOWN_TSHARK_ERRORS: &[KnownTsharkError] = &[
    KnownTsharkError {
        path: "ndpi/tests/cfgs/default/pcap/google_ssl.pcap",
        client: "172.31.3.224:42835",
        field: Ja3Field::Ja3s,
        truth: Some("9aeeb84942a46257594025306635f0ff"), // 769,5,
        why: OOO,
    },
    KnownTsharkError {
        path: "suricata-verify/tests/tls/tls-fingerprint-alert/input.pcap",
        client: "10.16.1.11:54684",
        field: Ja3Field::Ja3s,
        truth: Some("673d9e3a3d636167965beda377536bd7"), // 771,49199,65281-0-16-11
        why: OOO,
    },
    KnownTsharkError {
        path: "suricata-verify/tests/tls/tls-subjectaltname/input.pcap",
        client: "192.168.100.206:59691",
        field: Ja3Field::Ja3s,
        truth: Some("15381d64ba148f31a70eb87b53085230"), // 771,49192,5-23-65281
        why: OOO,
    },
    KnownTsharkError {
        path: "zeek/testing/btest/Traces/postgresql/psql-aws-ssl-preferred.pcap",
        client: "192.168.123.132:39910",
        field: Ja3Field::Ja3s,
        truth: Some("0debd3853f330c574b05e0b6d882dc27"), // 771,49200,65281-11
        why: OOO,
    },
    KnownTsharkError {
        path: "mercury/test/afl_data/corner-cases.pcap",
        client: "192.168.10.12:51098",
        field: Ja3Field::Ja3s,
        truth: None,
        why: "fuzzed frame 3: handshake header 02 000000 is a ServerHello of length 0; tshark \
              builds ja3s \"0,8565,\" from the bytes after it",
    },
    KnownTsharkError {
        path: "mercury/test/afl_data/encrypted_handshake_cert_false_positive.pcap",
        client: "192.168.10.12:51098",
        field: Ja3Field::Ja3s,
        truth: None,
        why: "fuzzed frame 1: the same zero-length ServerHello; tshark's ja3s \"0,8565,\"",
    },
    KnownTsharkError {
        path: "suricata-verify/tests/tls/tls13-draft14/tls13_draft14.pcap",
        client: "10.0.2.15:54049",
        field: Ja3Field::Ja3s,
        truth: Some("12ac0af01c6b637c7a470e5b7cd837b8"), // 772,49195,40
        why: "pre-draft-16 TLS 1.3 ServerHello (frame 6) has no session_id; tshark reads it as \
              TLS 1.2 (ja3s \"772,44205,\"). The bytes are 0304, 32 random bytes, c02b, then an \
              extension block of 73 bytes holding one extension, type 40 (draft key_share)",
    },
];

// ---------------------------------------------------------------------------------------------
// Running tlsnoop

/// One tlsnoop run: its flow records, or why there are none.
type Run = Result<Vec<Value>, String>;

fn run_one(file: &Path) -> Run {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tlsnoop"))
        .args(["read", "--format", "jsonl"])
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("spawn: {e}"))?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("timed out".into());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("wait: {e}")),
        }
    }
    let out = reader.join().map_err(|_| "reader thread panicked")?;
    String::from_utf8_lossy(&out)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(|e| format!("bad JSONL line: {e}")))
        .collect()
}

/// Runs tlsnoop on every file, a few at a time.
fn run_all(dir: &Path, rels: &[String]) -> HashMap<String, Run> {
    let next = AtomicUsize::new(0);
    let out = Mutex::new(HashMap::new());
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, MAX_PARALLEL);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(rel) = rels.get(i) else { break };
                let r = run_one(&dir.join(rel));
                out.lock().unwrap().insert(rel.clone(), r);
            });
        }
    });
    out.into_inner().unwrap()
}

/// A tlsnoop flow, reduced to its endpoints and fingerprints.
struct NoopFlow {
    client: SocketAddr,
    server: SocketAddr,
    fp: Value,
}

impl NoopFlow {
    fn get(&self, key: &str) -> Option<&str> {
        self.fp.get(key).and_then(Value::as_str)
    }
}

fn endpoint_of(v: &Value) -> Option<SocketAddr> {
    let ip: IpAddr = v.get("ip")?.as_str()?.parse().ok()?;
    let port = u16::try_from(v.get("port")?.as_u64()?).ok()?;
    Some(SocketAddr::new(ip.to_canonical(), port))
}

/// The run's flows in first-frame order.
fn noop_flows(records: &[Value]) -> Vec<NoopFlow> {
    let mut v: Vec<(u64, NoopFlow)> = records
        .iter()
        .filter_map(|r| {
            Some((
                r.get("first_frame").and_then(Value::as_u64).unwrap_or(0),
                NoopFlow {
                    client: endpoint_of(r.get("client")?)?,
                    server: endpoint_of(r.get("server")?)?,
                    fp: r.get("fingerprints").cloned().unwrap_or(Value::Null),
                },
            ))
        })
        .collect();
    v.sort_by_key(|(f, _)| *f);
    v.into_iter().map(|(_, f)| f).collect()
}

/// Hands out each tlsnoop flow once, by endpoints.
struct Matcher {
    flows: Vec<NoopFlow>,
    used: Vec<bool>,
}

impl Matcher {
    fn new(flows: Vec<NoopFlow>) -> Self {
        let used = vec![false; flows.len()];
        Matcher { flows, used }
    }
    /// The first unused flow between `a` and `b`, in either orientation.
    fn take(&mut self, a: SocketAddr, b: SocketAddr) -> Option<&NoopFlow> {
        let i = (0..self.flows.len()).find(|&i| {
            let f = &self.flows[i];
            !self.used[i] && ((f.client == a && f.server == b) || (f.client == b && f.server == a))
        })?;
        self.used[i] = true;
        Some(&self.flows[i])
    }
}

/// "10.0.0.1:443", "2001:db8::1:443" (tshark's IPv6 without brackets) or "[::1]:443".
fn parse_endpoint(s: &str) -> Option<SocketAddr> {
    let (ip, port) = s.trim().rsplit_once(':')?;
    let ip: IpAddr = ip
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()?;
    Some(SocketAddr::new(ip.to_canonical(), port.parse().ok()?))
}

fn show(v: Option<&str>) -> String {
    v.map_or_else(|| "null".to_string(), |s| format!("{s:?}"))
}

fn pct(a: usize, n: usize) -> f64 {
    if n == 0 {
        100.0
    } else {
        a as f64 * 100.0 / n as f64
    }
}

// ---------------------------------------------------------------------------------------------
// JA3 / JA3S against tshark

struct TsharkFlow {
    path: String,
    client_text: String,
    client: SocketAddr,
    server: SocketAddr,
    ja3: Vec<Option<String>>,
    ja3s: Vec<Option<String>>,
}

fn list(v: Option<&Value>) -> Vec<Option<String>> {
    match v {
        Some(Value::Array(a)) => a.iter().map(|x| x.as_str().map(str::to_string)).collect(),
        Some(Value::String(s)) => vec![Some(s.clone())],
        _ => Vec::new(),
    }
}

#[derive(Default)]
struct Ja3Tally {
    flows: usize,
    agree_ja3: usize,
    agree_ja3s: usize,
    known: usize,
    multi: usize,
    missing: usize,
    udp: usize,
    no_hello: usize,
    run_errors: usize,
}

/// The manifest's TCP flows with a hello, for captures whose first path passes `keep`.
fn tshark_flows(dir: &Path, keep: &dyn Fn(&str) -> bool, t: &mut Ja3Tally) -> Vec<TsharkFlow> {
    let text = std::fs::read_to_string(dir.join("manifest.json")).expect("read manifest.json");
    let doc: Value = serde_json::from_str(&text).expect("manifest.json is JSON");
    let mut out = Vec::new();
    for c in doc.as_array().expect("manifest is a list") {
        if !c.get("exclude_reason").is_none_or(Value::is_null) {
            continue;
        }
        let Some(path) = c["paths"].get(0).and_then(Value::as_str) else {
            continue;
        };
        if !keep(path) {
            continue;
        }
        for f in c["flows"].as_array().into_iter().flatten() {
            if f["transport"].as_str() != Some("tcp") {
                t.udp += 1;
                continue;
            }
            let negotiated = f["negotiated"].as_str().unwrap_or("");
            let (Some(ct), Some(st)) = (f["client"].as_str(), f["server"].as_str()) else {
                t.no_hello += 1;
                continue;
            };
            if negotiated.starts_with("no-hello-seen") {
                t.no_hello += 1;
                continue;
            }
            let (Some(client), Some(server)) = (parse_endpoint(ct), parse_endpoint(st)) else {
                panic!("{path}: cannot parse tshark endpoints {ct} -> {st}");
            };
            out.push(TsharkFlow {
                path: path.to_string(),
                client_text: ct.to_string(),
                client,
                server,
                ja3: list(f.get("ja3")),
                ja3s: list(f.get("ja3s")),
            });
        }
    }
    out
}

fn check_ja3(dir: &Path, keep: &dyn Fn(&str) -> bool, log: &mut String) -> Ja3Tally {
    let mut t = Ja3Tally::default();
    let flows = tshark_flows(dir, keep, &mut t);
    let mut paths: Vec<String> = flows.iter().map(|f| f.path.clone()).collect();
    paths.dedup();
    let runs = run_all(dir, &paths);
    let mut matchers: HashMap<&str, Matcher> = HashMap::new();
    for p in &paths {
        match &runs[p] {
            Ok(recs) => {
                matchers.insert(p.as_str(), Matcher::new(noop_flows(recs)));
            }
            Err(e) => {
                t.run_errors += 1;
                let _ = writeln!(log, "ERROR {p}: {e}");
            }
        }
    }
    for tf in &flows {
        t.flows += 1;
        let flow = format!("{}->{}", tf.client, tf.server);
        let nf = matchers
            .get_mut(tf.path.as_str())
            .and_then(|m| m.take(tf.client, tf.server));
        if nf.is_none() {
            t.missing += 1;
        }
        for field in [Ja3Field::Ja3, Ja3Field::Ja3s] {
            let (values, want) = match field {
                Ja3Field::Ja3 => (&tf.ja3, tf.ja3.first().cloned().flatten()),
                Ja3Field::Ja3s => (&tf.ja3s, tf.ja3s.last().cloned().flatten()),
            };
            let got = nf.and_then(|f| f.get(field.name()));
            let full = nf.and_then(|f| f.get(&format!("{}_full", field.name())));
            let mut ok = got == want.as_deref();
            if ok && values.len() > 1 {
                t.multi += 1;
                let _ = writeln!(
                    log,
                    "MULTI {} {flow} {}: tshark={values:?} tlsnoop={} ({} taken)",
                    tf.path,
                    field.name(),
                    show(got),
                    if field == Ja3Field::Ja3 {
                        "first ClientHello"
                    } else {
                        "final ServerHello"
                    }
                );
            }
            if !ok {
                let known = KNOWN_TSHARK_ERRORS
                    .iter()
                    .find(|k| k.path == tf.path && k.client == tf.client_text && k.field == field);
                if let Some(k) = known.filter(|k| k.truth == got) {
                    ok = true;
                    t.known += 1;
                    let _ = writeln!(
                        log,
                        "KNOWN {} {flow} {}: tshark={} tlsnoop={}: tshark is wrong: {}",
                        tf.path,
                        field.name(),
                        show(want.as_deref()),
                        show(got),
                        k.why
                    );
                }
            }
            if ok {
                match field {
                    Ja3Field::Ja3 => t.agree_ja3 += 1,
                    Ja3Field::Ja3s => t.agree_ja3s += 1,
                }
            } else {
                let _ = writeln!(
                    log,
                    "DISAGREE {} {flow} {}: tshark={} tlsnoop={}{}",
                    tf.path,
                    field.name(),
                    show(want.as_deref()),
                    show(got),
                    match (nf, full) {
                        (None, _) => " (missing flow)".to_string(),
                        (_, Some(s)) => format!(" ({s:?})"),
                        _ => String::new(),
                    }
                );
            }
        }
    }
    t
}

// ---------------------------------------------------------------------------------------------
// JA4 against FoxIO's expected outputs

/// One expected JA4 value of one flow.
struct Expected {
    capture: String,
    oracle: Oracle,
    src: SocketAddr,
    dst: SocketAddr,
    /// "ja4" or "ja4_r".
    key: &'static str,
    value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Oracle {
    RustSnap,
    PythonJa4,
    PythonJa4R,
}

const ORACLES: [Oracle; 3] = [Oracle::RustSnap, Oracle::PythonJa4, Oracle::PythonJa4R];

impl Oracle {
    fn name(self) -> &'static str {
        match self {
            Oracle::RustSnap => "ja4   FoxIO rust .snap",
            Oracle::PythonJa4 => "ja4   FoxIO python JA4.1",
            Oracle::PythonJa4R => "ja4_r FoxIO python JA4_r.1",
        }
    }
}

#[derive(Default)]
struct Ja4Tally {
    total: HashMap<Oracle, usize>,
    agree: HashMap<Oracle, usize>,
    later_hellos: usize,
    not_tcp: usize,
    no_pcap: usize,
    run_errors: usize,
}

/// The entries of an insta snapshot: `- stream: N` opens one, `  key: value` lines fill it.
fn snapshot_entries(text: &str) -> Vec<HashMap<String, String>> {
    let mut out: Vec<HashMap<String, String>> = Vec::new();
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("- stream: ") {
            out.push(HashMap::from([(
                "stream".to_string(),
                n.trim().to_string(),
            )]));
        } else if let (Some(rest), Some(cur)) = (line.strip_prefix("  "), out.last_mut()) {
            if !rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
                continue;
            }
            if let Some((k, v)) = rest.split_once(':') {
                cur.insert(k.to_string(), v.trim().trim_matches('"').to_string());
            }
        }
    }
    out
}

fn ip_port(ip: Option<&str>, port: Option<&str>) -> Option<SocketAddr> {
    let ip: IpAddr = ip?.parse().ok()?;
    Some(SocketAddr::new(ip.to_canonical(), port?.parse().ok()?))
}

fn expected_ja4(dir: &Path, keep: &dyn Fn(&str) -> bool, t: &mut Ja4Tally) -> Vec<Expected> {
    let ja4 = dir.join("ja4");
    let mut names: Vec<String> = std::fs::read_dir(ja4.join("rust/ja4/src/snapshots"))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().into_string().ok())
                .filter_map(|n| {
                    n.strip_prefix("ja4__insta@")
                        .and_then(|n| n.strip_suffix(".snap"))
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let capture = format!("ja4/pcap/{name}");
        if !keep(&capture) {
            continue;
        }
        if !dir.join(&capture).is_file() {
            t.no_pcap += 1;
            continue;
        }
        let snap = std::fs::read_to_string(
            ja4.join(format!("rust/ja4/src/snapshots/ja4__insta@{name}.snap")),
        )
        .unwrap_or_default();
        for e in snapshot_entries(&snap) {
            let Some(v) = e.get("ja4") else { continue };
            if e.get("transport").map(String::as_str) != Some("tcp") {
                t.not_tcp += 1;
                continue;
            }
            let src = ip_port(
                e.get("src").map(String::as_str),
                e.get("src_port").map(String::as_str),
            );
            let dst = ip_port(
                e.get("dst").map(String::as_str),
                e.get("dst_port").map(String::as_str),
            );
            let (Some(src), Some(dst)) = (src, dst) else {
                panic!("{name}.snap: stream {:?} has no endpoints", e.get("stream"));
            };
            out.push(Expected {
                capture: capture.clone(),
                oracle: Oracle::RustSnap,
                src,
                dst,
                key: "ja4",
                value: v.clone(),
            });
        }
        let py = ja4.join(format!("python/test/testdata/{name}.json"));
        let Ok(text) = std::fs::read_to_string(&py) else {
            continue;
        };
        let doc: Value = serde_json::from_str(&text).expect("python test data is JSON");
        for e in doc.as_array().into_iter().flatten() {
            let s = |k: &str| e.get(k).and_then(Value::as_str);
            let ends = (
                ip_port(s("src"), s("srcport")),
                ip_port(s("dst"), s("dstport")),
            );
            for (k, v) in e.as_object().into_iter().flatten() {
                let (oracle, key, n) = if let Some(n) = k.strip_prefix("JA4.") {
                    (Oracle::PythonJa4, "ja4", n)
                } else if let Some(n) = k.strip_prefix("JA4_r.") {
                    (Oracle::PythonJa4R, "ja4_r", n)
                } else {
                    continue;
                };
                let Some(v) = v.as_str() else { continue };
                if !v.starts_with('t') {
                    t.not_tcp += 1;
                    continue;
                }
                if n != "1" {
                    t.later_hellos += 1;
                    continue;
                }
                let (Some(src), Some(dst)) = ends else {
                    panic!("{name}.json: entry without endpoints");
                };
                out.push(Expected {
                    capture: capture.clone(),
                    oracle,
                    src,
                    dst,
                    key,
                    value: v.to_string(),
                });
            }
        }
    }
    out
}

fn check_ja4(dir: &Path, keep: &dyn Fn(&str) -> bool, log: &mut String) -> Ja4Tally {
    let mut t = Ja4Tally::default();
    let expected = expected_ja4(dir, keep, &mut t);
    let mut paths: Vec<String> = expected.iter().map(|e| e.capture.clone()).collect();
    paths.dedup();
    let runs = run_all(dir, &paths);
    let mut flows: HashMap<&str, Vec<NoopFlow>> = HashMap::new();
    for p in &paths {
        match &runs[p] {
            Ok(recs) => {
                flows.insert(p.as_str(), noop_flows(recs));
            }
            Err(e) => {
                t.run_errors += 1;
                let _ = writeln!(log, "ERROR {p}: {e}");
            }
        }
    }
    for e in &expected {
        *t.total.entry(e.oracle).or_default() += 1;
        // The oracles name the client as src. Several connections never share a 4-tuple in
        // these captures, so the first flow with it is the one.
        let nf = flows
            .get(e.capture.as_str())
            .and_then(|fl| fl.iter().find(|f| f.client == e.src && f.server == e.dst));
        let got = nf.and_then(|f| f.get(e.key));
        if got == Some(e.value.as_str()) {
            *t.agree.entry(e.oracle).or_default() += 1;
        } else {
            let _ = writeln!(
                log,
                "DISAGREE {} {}->{} {} ({}): expected={:?} tlsnoop={}{}",
                e.capture,
                e.src,
                e.dst,
                e.key,
                e.oracle
                    .name()
                    .split_whitespace()
                    .skip(1)
                    .collect::<Vec<_>>()
                    .join(" "),
                e.value,
                show(got),
                if nf.is_none() { " (missing flow)" } else { "" }
            );
        }
    }
    t
}

// ---------------------------------------------------------------------------------------------

fn captures_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/captures");
    if dir.join("manifest.json").is_file() {
        Some(dir)
    } else {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: fingerprint corpus test: {} not found",
            dir.display()
        );
        None
    }
}

/// Runs both comparisons, prints every disagreement and the table, asserts the thresholds.
fn check(dir: &Path, keep: &dyn Fn(&str) -> bool) -> (Ja3Tally, Ja4Tally) {
    let mut log = String::new();
    let j3 = check_ja3(dir, keep, &mut log);
    let j4 = check_ja4(dir, keep, &mut log);
    print!("{log}");
    let mut s = String::new();
    let _ = writeln!(s, "\n=== tlsnoop fingerprints vs oracles ===");
    let _ = writeln!(
        s,
        "{:<34} {:>12} {:>9}",
        "fingerprint / oracle", "agree/total", "percent"
    );
    for (name, a) in [
        ("ja3   tshark 4.0 (manifest)", j3.agree_ja3),
        ("ja3s  tshark 4.0 (manifest)", j3.agree_ja3s),
    ] {
        let _ = writeln!(
            s,
            "{name:<34} {:>12} {:>8.2}%",
            format!("{a}/{}", j3.flows),
            pct(a, j3.flows)
        );
    }
    for o in ORACLES {
        let a = j4.agree.get(&o).copied().unwrap_or(0);
        let n = j4.total.get(&o).copied().unwrap_or(0);
        let _ = writeln!(
            s,
            "{:<34} {:>12} {:>8.2}%",
            o.name(),
            format!("{a}/{n}"),
            pct(a, n)
        );
    }
    let _ = writeln!(
        s,
        "JA3: tshark TCP flows with a hello {} (tlsnoop missing {}), known tshark errors {}, \
         multi-valued cells {}, UDP flows not compared {}, no hello seen {}",
        j3.flows, j3.missing, j3.known, j3.multi, j3.udp, j3.no_hello
    );
    let _ = writeln!(
        s,
        "JA4: later-ClientHello values not compared {}, QUIC/UDP values not compared {}, \
         snapshots without their capture {}",
        j4.later_hellos, j4.not_tcp, j4.no_pcap
    );
    print!("{s}");
    assert_eq!(
        j3.run_errors + j4.run_errors,
        0,
        "tlsnoop runs failed (see ERROR lines)"
    );
    for (name, a) in [("ja3", j3.agree_ja3), ("ja3s", j3.agree_ja3s)] {
        let p = pct(a, j3.flows);
        assert!(
            p >= MIN_JA3,
            "{name}: {a}/{} ({p:.2}%) agree with tshark, below {MIN_JA3}%",
            j3.flows
        );
    }
    for o in ORACLES {
        let a = j4.agree.get(&o).copied().unwrap_or(0);
        let n = j4.total.get(&o).copied().unwrap_or(0);
        let p = pct(a, n);
        assert!(
            p >= MIN_JA4,
            "{}: {a}/{n} ({p:.2}%), below {MIN_JA4}%",
            o.name()
        );
    }
    (j3, j4)
}

#[test]
#[ignore = "needs ../shared/captures; run with --ignored"]
fn fingerprints_agree_with_tshark_and_foxio() {
    let Some(dir) = captures_dir() else { return };
    let start = Instant::now();
    let (j3, j4) = check(&dir, &|_| true);
    println!(
        "fingerprint corpus run took {:.1} s",
        start.elapsed().as_secs_f64()
    );
    assert!(j3.flows > 0, "the manifest lists no TCP flows");
    assert!(
        j4.total.values().sum::<usize>() > 0,
        "no FoxIO expected values found"
    );
}

#[test]
fn fingerprint_sample_agrees() {
    let Some(dir) = captures_dir() else { return };
    if let Some(p) = SAMPLE.iter().find(|p| !dir.join(p).is_file()) {
        let _ = writeln!(std::io::stderr(), "SKIPPED: sample capture {p} not found");
        return;
    }
    let (j3, j4) = check(&dir, &|p| SAMPLE.contains(&p));
    // Every value, not a percentage: these captures have no known disagreement.
    assert!(j3.flows >= 2);
    assert_eq!((j3.agree_ja3, j3.agree_ja3s), (j3.flows, j3.flows));
    let total: usize = j4.total.values().sum();
    assert!(
        total >= 4,
        "expected FoxIO values for the sample, got {total}"
    );
    assert_eq!(j4.agree.values().sum::<usize>(), total);
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn snapshot_parsing() {
        let text = "---\nsource: x\n---\n- stream: 0\n  transport: tcp\n  src: 10.0.0.1\n  \
                    src_port: 5\n  ja4: t13d_x\n  tls_certs:\n  - x509:\n    - issuer: a\n\
                    - stream: 3\n  transport: udp\n";
        let e = snapshot_entries(text);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0]["ja4"], "t13d_x");
        assert_eq!(e[0]["src_port"], "5");
        assert!(!e[0].contains_key("issuer"));
        assert_eq!(e[1]["transport"], "udp");
    }
}
