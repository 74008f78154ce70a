//! Corpus test: tlsnoop against tshark on ~290 third-party captures.
//!
//! `../shared/captures/` (next to the repository, never copied into it) holds real captures from
//! the test suites of Zeek, Suricata, nDPI, Arkime, ja4, mercury, PcapPlusPlus and the Illustrated
//! TLS sites, with a `manifest.json` that records tshark 4.0's view of every TLS flow (client,
//! server, negotiated version, SNI, cipher, selected ALPN). For every capture this test runs
//! `tlsnoop read --format jsonl FILE` (60 s timeout, two captures at a time) and checks:
//!
//! * **robustness**: the process exits 0 or 1 (1 = "cannot be read"), its stderr has no
//!   "panicked", it finishes within the timeout, and every stdout line is a JSON object. Zero
//!   panics, crashes, timeouts and bad lines are required.
//! * **agreement**: each tshark TCP flow is matched to a tlsnoop flow by (client ip:port, server
//!   ip:port), IPv6 text forms normalised through `IpAddr`. A match with the roles swapped counts,
//!   but is reported as a role disagreement. Four fields are compared: version, cipher suite, SNI
//!   and selected ALPN. A tshark flow tlsnoop does not report disagrees on all four. Each field
//!   must agree on at least 99 % of the compared TCP flows.
//!
//! Not compared, only counted: UDP flows (DTLS, QUIC: tlsnoop reads TCP only), flows where tshark
//! saw no hello at all (`no-hello-seen(mid-stream)`: nothing to compare, and the manifest gives
//! no endpoints; they are located through the `F.tshark.txt` summary when possible, and a tlsnoop
//! record for one that carries a version, cipher, SNI or ALPN is printed as an INFO line), and
//! tlsnoop flows that tshark does not list ("EXTRA" lines).
//!
//! Every disagreement is printed as one line,
//! `DISAGREE <capture> <client>-><server> <field>: tshark=<v> tlsnoop=<v>`, followed by a summary
//! table. tshark values that are demonstrably wrong are in [`KNOWN_TSHARK_ERRORS`], each with the
//! independent oracle that shows it; such a flow agrees only if tlsnoop gives the oracle's value.
//!
//! Run it (it is `#[ignore]`d because it needs the corpus; a few seconds in debug):
//!
//! ```text
//! cargo test --test it corpus -- --ignored --nocapture
//! ```
//!
//! `corpus_sample_agrees_with_tshark` runs the same harness on three small captures and is part of
//! the normal `cargo test`. Both tests skip, with a message, when the corpus folder is absent.

use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::{Read, Write as _};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Per-capture wall-clock limit; a capture that takes longer is killed and counts as a failure.
const TIMEOUT: Duration = Duration::from_secs(60);
/// Captures run at the same time.
const MAX_PARALLEL: usize = 2;
/// Minimum agreement per field, in percent of compared TCP flows.
const MIN_AGREEMENT: f64 = 99.0;

/// Three small, diverse captures for the quick test: IPv6 + TLS 1.3 draft 18 + ALPN-less
/// (Arkime), SMTP STARTTLS with TLS 1.0 (Arkime), TLS 1.2 with ALPN and a fatal alert (ja4).
const SAMPLE: [&str; 3] = [
    "arkime/tests/pcap/tls13.pcap",
    "arkime/tests/pcap/smtp-starttls.pcap",
    "ja4/pcap/badcurveball.pcap",
];

/// The four compared fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Field {
    Version,
    Cipher,
    Sni,
    Alpn,
}

const FIELDS: [Field; 4] = [Field::Version, Field::Cipher, Field::Sni, Field::Alpn];

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Version => "version",
            Field::Cipher => "cipher",
            Field::Sni => "sni",
            Field::Alpn => "alpn",
        }
    }
}

/// A tshark value the corpus shows to be wrong, with the value an independent oracle gives.
struct KnownTsharkError {
    /// Capture path relative to the corpus folder.
    path: &'static str,
    /// tshark's client and server, as written in the manifest.
    client: &'static str,
    server: &'static str,
    field: Field,
    /// The value the oracle gives, in tlsnoop's spelling (None = null).
    truth: Option<&'static str>,
    /// Why tshark is wrong, and which oracle says so.
    why: &'static str,
}

/// tshark values that are demonstrably wrong. Keep this list short and explicit: an entry only
/// turns a disagreement into an agreement when tlsnoop gives exactly the oracle's value, so it
/// cannot hide a tlsnoop bug. (The README's 10,000-SAN `tls-fragmented-handshake.pcap.gz`, where
/// tshark is known to fail, is not in this corpus's manifest.)
const KNOWN_TSHARK_ERRORS: &[KnownTsharkError] = &[
    // 1. Out-of-order segments. tshark 4.0 does not reassemble out-of-order TCP segments by
    //    default (`tcp.reassemble_out_of_order` is off), so a ServerHello that arrives after a
    //    later segment is never parsed and the manifest says "no-ServerHello". Oracle: the same
    //    tshark with `-o tcp.reassemble_out_of_order:TRUE` parses the ServerHello and gives
    //    exactly these values (`tshark -n -o tcp.reassemble_out_of_order:TRUE -r F -Y
    //    'tls.handshake.type==2' -T fields -e tls.handshake.version -e tls.handshake.ciphersuite
    //    -e tls.handshake.extensions_alpn_str`); tshark flags the segments `tcp.analysis`
    //    out-of-order / previous segment not captured.
    KnownTsharkError {
        path: "suricata-verify/tests/tls/tls-fingerprint-alert/input.pcap",
        client: "10.16.1.11:54684",
        server: "24.244.4.23:443",
        field: Field::Version,
        truth: Some("TLS 1.2"),
        why: "ServerHello (frame 12) arrives out of order; tshark with OOO reassembly: 0x0303",
    },
    KnownTsharkError {
        path: "suricata-verify/tests/tls/tls-fingerprint-alert/input.pcap",
        client: "10.16.1.11:54684",
        server: "24.244.4.23:443",
        field: Field::Cipher,
        truth: Some("0xc02f"),
        why: "ServerHello (frame 12) arrives out of order; tshark with OOO reassembly: 0xc02f",
    },
    KnownTsharkError {
        path: "suricata-verify/tests/tls/tls-fingerprint-alert/input.pcap",
        client: "10.16.1.11:54684",
        server: "24.244.4.23:443",
        field: Field::Alpn,
        truth: Some("h2"),
        why: "ServerHello (frame 12) arrives out of order; tshark with OOO reassembly: h2",
    },
    KnownTsharkError {
        path: "suricata-verify/tests/tls/tls-subjectaltname/input.pcap",
        client: "192.168.100.206:59691",
        server: "204.79.197.200:443",
        field: Field::Version,
        truth: Some("TLS 1.2"),
        why: "ServerHello after out-of-order segments; tshark with OOO reassembly: 0x0303",
    },
    KnownTsharkError {
        path: "suricata-verify/tests/tls/tls-subjectaltname/input.pcap",
        client: "192.168.100.206:59691",
        server: "204.79.197.200:443",
        field: Field::Cipher,
        truth: Some("0xc028"),
        why: "ServerHello after out-of-order segments; tshark with OOO reassembly: 0xc028",
    },
    KnownTsharkError {
        path: "ndpi/tests/cfgs/default/pcap/google_ssl.pcap",
        client: "172.31.3.224:42835",
        server: "216.58.212.100:443",
        field: Field::Version,
        truth: Some("TLS 1.0"),
        why: "ServerHello after an out-of-order segment; tshark with OOO reassembly: 0x0301",
    },
    KnownTsharkError {
        path: "ndpi/tests/cfgs/default/pcap/google_ssl.pcap",
        client: "172.31.3.224:42835",
        server: "216.58.212.100:443",
        field: Field::Cipher,
        truth: Some("0x0005"),
        why: "ServerHello after an out-of-order segment; tshark with OOO reassembly: 0x0005",
    },
    KnownTsharkError {
        path: "zeek/testing/btest/Traces/postgresql/psql-aws-ssl-preferred.pcap",
        client: "192.168.123.132:39910",
        server: "52.200.36.167:5432",
        field: Field::Version,
        truth: Some("TLS 1.2"),
        why: "ServerHello after out-of-order segments; tshark with OOO reassembly: 0x0303",
    },
    KnownTsharkError {
        path: "zeek/testing/btest/Traces/postgresql/psql-aws-ssl-preferred.pcap",
        client: "192.168.123.132:39910",
        server: "52.200.36.167:5432",
        field: Field::Cipher,
        truth: Some("0xc030"),
        why: "ServerHello after out-of-order segments; tshark with OOO reassembly: 0xc030",
    },
    // 2. Parse errors in tshark.
    KnownTsharkError {
        path: "arkime/tests/pcap/arkime_synthetic.pcap",
        client: "10.9.19.1:49621",
        server: "10.9.19.2:443",
        field: Field::Version,
        truth: Some("TLS 1.2"),
        why: "crafted ServerHello (frame 904) carries an EMPTY supported_versions extension \
              (type 43, length 0) among extensions 0..255; tshark reads 0x002c from the next \
              extension's type field. Arkime's arkime_synthetic.test: tls.version TLSv1.2",
    },
    KnownTsharkError {
        path: "mercury/test/afl_data/corner-cases.pcap",
        client: "192.168.10.12:51098",
        server: "160.68.205.252:443",
        field: Field::Version,
        truth: None,
        why: "fuzzed frame 3: handshake header 02 000000 is a ServerHello of length 0; tshark \
              reads 'version 0x0000' from the bytes after it (its own tree says Length: 0)",
    },
    KnownTsharkError {
        path: "mercury/test/afl_data/corner-cases.pcap",
        client: "192.168.10.12:51098",
        server: "160.68.205.252:443",
        field: Field::Cipher,
        truth: None,
        why: "fuzzed frame 3: a ServerHello of length 0 has no cipher suite; tshark reads \
              0x2175 from the bytes after it",
    },
    KnownTsharkError {
        path: "mercury/test/afl_data/encrypted_handshake_cert_false_positive.pcap",
        client: "192.168.10.12:51098",
        server: "160.68.205.252:443",
        field: Field::Version,
        truth: None,
        why: "fuzzed frame 1: same zero-length ServerHello (02 000000) as corner-cases.pcap",
    },
    KnownTsharkError {
        path: "mercury/test/afl_data/encrypted_handshake_cert_false_positive.pcap",
        client: "192.168.10.12:51098",
        server: "160.68.205.252:443",
        field: Field::Cipher,
        truth: None,
        why: "fuzzed frame 1: same zero-length ServerHello (02 000000) as corner-cases.pcap",
    },
    KnownTsharkError {
        path: "suricata-verify/tests/tls/tls13-draft14/tls13_draft14.pcap",
        client: "10.0.2.15:54049",
        server: "52.32.149.186:443",
        field: Field::Cipher,
        truth: Some("0xc02b"),
        why: "pre-draft-16 TLS 1.3 ServerHello (frame 6) with version 0x0304 has no session_id; \
              tshark parses it as TLS 1.2 and reads 0xacad. The bytes are 0304, 32 random bytes, \
              then c02b; Suricata's test.yaml: tls.version 'TLS 1.3 draft-<16'",
    },
];

// ---------------------------------------------------------------------------------------------
// Manifest

/// One manifest entry.
struct Capture {
    paths: Vec<String>,
    flows: Vec<TsharkFlow>,
    excluded: Option<String>,
}

/// tshark's view of one flow.
struct TsharkFlow {
    transport: String,
    stream: String,
    client_text: Option<String>,
    server_text: Option<String>,
    client: Option<SocketAddr>,
    server: Option<SocketAddr>,
    /// Raw values, in message order when tshark saw several.
    negotiated: Vec<Option<String>>,
    cipher: Vec<Option<String>>,
    sni: Vec<Option<String>>,
    alpn: Vec<Option<String>>,
}

impl TsharkFlow {
    fn values(&self, f: Field) -> &[Option<String>] {
        match f {
            Field::Version => &self.negotiated,
            Field::Cipher => &self.cipher,
            Field::Sni => &self.sni,
            Field::Alpn => &self.alpn,
        }
    }
    /// tshark saw no ClientHello or ServerHello on this flow.
    fn no_hello(&self) -> bool {
        self.client_text.is_none()
            || self
                .negotiated
                .iter()
                .flatten()
                .any(|v| v.starts_with("no-hello-seen"))
    }
}

/// A manifest cell as a list of values: null, a string, a number, or a list of those.
fn cell(v: Option<&Value>) -> Vec<Option<String>> {
    match v {
        None | Some(Value::Null) => vec![None],
        Some(Value::Array(a)) if a.is_empty() => vec![None],
        Some(Value::Array(a)) => a.iter().flat_map(|x| cell(Some(x))).collect(),
        Some(Value::String(s)) => vec![Some(s.clone())],
        Some(other) => vec![Some(other.to_string())],
    }
}

/// "10.0.0.1:443", "2001:db8::1:443" (tshark writes IPv6 without brackets) or "[::1]:443".
fn parse_endpoint(s: &str) -> Option<SocketAddr> {
    let (ip, port) = s.trim().rsplit_once(':')?;
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    let ip: IpAddr = ip.parse().ok()?;
    Some(SocketAddr::new(ip.to_canonical(), port.parse().ok()?))
}

fn load_manifest(dir: &Path) -> Vec<Capture> {
    let text = std::fs::read_to_string(dir.join("manifest.json")).expect("read manifest.json");
    let doc: Value = serde_json::from_str(&text).expect("manifest.json is JSON");
    let list = doc.as_array().expect("manifest.json is a list");
    list.iter()
        .map(|e| {
            let paths = match e.get("paths") {
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
                Some(Value::String(p)) => vec![p.clone()],
                _ => Vec::new(),
            };
            let flows = e
                .get("flows")
                .and_then(Value::as_array)
                .map(|fl| {
                    fl.iter()
                        .map(|f| {
                            let fs = |k: &str| f.get(k).and_then(Value::as_str).map(str::to_string);
                            let client_text = fs("client");
                            let server_text = fs("server");
                            TsharkFlow {
                                transport: fs("transport").unwrap_or_default(),
                                stream: match f.get("stream") {
                                    Some(Value::String(v)) => v.clone(),
                                    Some(Value::Number(n)) => n.to_string(),
                                    _ => String::new(),
                                },
                                client: client_text.as_deref().and_then(parse_endpoint),
                                server: server_text.as_deref().and_then(parse_endpoint),
                                client_text,
                                server_text,
                                negotiated: cell(f.get("negotiated")),
                                cipher: cell(f.get("cipher")),
                                sni: cell(f.get("sni")),
                                alpn: cell(f.get("alpn_selected")),
                            }
                        })
                        .collect()
                })
                .unwrap_or_default();
            Capture {
                paths,
                flows,
                excluded: match e.get("exclude_reason") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(r)) => Some(r.clone()),
                    Some(other) => Some(other.to_string()),
                },
            }
        })
        .collect()
}

/// The two endpoints of TCP stream `stream` in a `F.tshark.txt` summary (for flows the manifest
/// gives no endpoints for). Columns come from the header line; tunnelled frames list the outer
/// address first, so the last value of a cell is taken.
fn endpoints_from_summary(file: &Path, stream: &str) -> Option<(SocketAddr, SocketAddr)> {
    let text = std::fs::read_to_string(file).ok()?;
    let mut cols: HashMap<&str, usize> = HashMap::new();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> = line.split('|').collect();
        if cols.is_empty() {
            cols = cells.iter().enumerate().map(|(i, c)| (*c, i)).collect();
            continue;
        }
        let get = |name: &str| {
            cols.get(name)
                .and_then(|&i| cells.get(i))
                .and_then(|c| c.rsplit(',').next())
                .filter(|c| !c.is_empty())
        };
        if get("tcp.stream") != Some(stream) {
            continue;
        }
        let src = get("ipv6.src").or_else(|| get("ip.src"))?;
        let dst = get("ipv6.dst").or_else(|| get("ip.dst"))?;
        let sp: u16 = get("tcp.srcport")?.parse().ok()?;
        let dp: u16 = get("tcp.dstport")?.parse().ok()?;
        let src: IpAddr = src.parse().ok()?;
        let dst: IpAddr = dst.parse().ok()?;
        return Some((
            SocketAddr::new(src.to_canonical(), sp),
            SocketAddr::new(dst.to_canonical(), dp),
        ));
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Value normalisation

/// A version as a wire code when it has a known spelling, else the text itself.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ver {
    Code(u16),
    Text(String),
}

fn hex_code(s: &str) -> Option<u16> {
    let h = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
    u16::from_str_radix(h, 16).ok()
}

/// The manifest's version labels ("TLS1.2", "SSLv3", "TLS1.3-draft18", "0x002c",
/// "no-ServerHello(CH max TLS1.3)", …). None = no version negotiated.
fn tshark_version(label: Option<&str>) -> Option<Ver> {
    let l = label?.trim();
    if l.is_empty() || l.starts_with("no-ServerHello") || l.starts_with("no-hello-seen") {
        return None;
    }
    let code = match l {
        "SSLv2" => Some(0x0002),
        "SSLv3" => Some(0x0300),
        "TLS1.0" => Some(0x0301),
        "TLS1.1" => Some(0x0302),
        "TLS1.2" => Some(0x0303),
        "TLS1.3" => Some(0x0304),
        "DTLS1.0(OpenSSL-pre)" => Some(0x0100),
        "DTLS1.0" => Some(0xfeff),
        "DTLS1.2" => Some(0xfefd),
        "DTLS1.3" => Some(0xfefc),
        // The manifest labels Chrome's TLS 1.3 experiment 0x7e01 "TLS1.3-fb-draft1": the
        // ServerHello row of chrome-63.0.3211.0-canary-tls_experiment.pcap.tshark.txt has
        // supported_version 0x7e01 and Zeek's baseline ssl.log says `unknown-32257` (= 0x7e01).
        "TLS1.3-fb-draft1" => Some(0x7e01),
        _ => None,
    };
    if let Some(c) = code {
        return Some(Ver::Code(c));
    }
    if let Some(n) = l.strip_prefix("TLS1.3-draft") {
        if let Ok(n) = n.parse::<u16>() {
            return Some(Ver::Code(0x7f00 + n));
        }
    }
    if let Some(c) = hex_code(l) {
        return Some(Ver::Code(c));
    }
    Some(Ver::Text(l.to_string()))
}

/// tlsnoop's version names ("TLS 1.2", "SSL 3.0", "TLS 1.3 (draft 18)", "0x7e02", …).
fn tlsnoop_version(name: Option<&str>) -> Option<Ver> {
    let n = name?.trim();
    let code = match n {
        "SSL 2.0" => Some(0x0002),
        "SSL 3.0" => Some(0x0300),
        "TLS 1.0" => Some(0x0301),
        "TLS 1.1" => Some(0x0302),
        "TLS 1.2" => Some(0x0303),
        "TLS 1.3" => Some(0x0304),
        "DTLS 1.0 (OpenSSL pre-0.9.8f)" => Some(0x0100),
        "DTLS 1.0" => Some(0xfeff),
        "DTLS 1.2" => Some(0xfefd),
        "DTLS 1.3" => Some(0xfefc),
        _ => None,
    };
    if let Some(c) = code {
        return Some(Ver::Code(c));
    }
    let draft = |prefix: &str, base: u16| {
        n.strip_prefix(prefix)
            .and_then(|r| r.strip_suffix(')'))
            .and_then(|d| d.parse::<u16>().ok())
            .map(|d| base + d)
    };
    if let Some(c) =
        draft("TLS 1.3 (draft ", 0x7f00).or_else(|| draft("TLS 1.3 (Facebook draft ", 0xfb00))
    {
        return Some(Ver::Code(c));
    }
    if let Some(c) = hex_code(n) {
        return Some(Ver::Code(c));
    }
    Some(Ver::Text(n.to_string()))
}

fn lower(v: Option<&str>) -> Option<String> {
    v.map(|s| s.trim().to_ascii_lowercase())
}

/// Both sides of one field in comparable form.
fn normalise_tshark(f: Field, v: Option<&str>) -> Option<String> {
    match f {
        Field::Version => tshark_version(v).map(|v| format!("{v:?}")),
        Field::Cipher => lower(v),
        Field::Sni | Field::Alpn => v.map(str::to_string),
    }
}

// ---------------------------------------------------------------------------------------------
// tlsnoop side

/// One tlsnoop JSONL record, reduced to what is compared.
struct NoopFlow {
    client: SocketAddr,
    server: SocketAddr,
    version: Option<String>,
    cipher: Option<String>,
    sni: Option<String>,
    alpn: Option<String>,
    first_frame: u64,
}

impl NoopFlow {
    fn value(&self, f: Field) -> Option<&str> {
        match f {
            Field::Version => self.version.as_deref(),
            Field::Cipher => self.cipher.as_deref(),
            Field::Sni => self.sni.as_deref(),
            Field::Alpn => self.alpn.as_deref(),
        }
    }
    fn normalised(&self, f: Field) -> Option<String> {
        normalise_noop(f, self.value(f))
    }
}

fn parse_noop_endpoint(v: &Value) -> Option<SocketAddr> {
    let ip: IpAddr = v.get("ip")?.as_str()?.parse().ok()?;
    let port = u16::try_from(v.get("port")?.as_u64()?).ok()?;
    Some(SocketAddr::new(ip.to_canonical(), port))
}

fn parse_noop_line(line: &str) -> Result<NoopFlow, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("not JSON ({e})"))?;
    if !v.is_object() {
        return Err("not a JSON object".into());
    }
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    Ok(NoopFlow {
        client: v
            .get("client")
            .and_then(parse_noop_endpoint)
            .ok_or("no client endpoint")?,
        server: v
            .get("server")
            .and_then(parse_noop_endpoint)
            .ok_or("no server endpoint")?,
        version: s("version"),
        cipher: v
            .get("cipher_suite")
            .and_then(|c| c.get("id"))
            .and_then(Value::as_str)
            .map(str::to_string),
        sni: s("sni"),
        alpn: s("alpn"),
        first_frame: v.get("first_frame").and_then(Value::as_u64).unwrap_or(0),
    })
}

/// How one tlsnoop process ended.
enum Exit {
    Status(ExitStatus),
    Timeout,
    SpawnError(String),
}

struct RunOutput {
    exit: Exit,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

fn run_tlsnoop(file: &Path) -> RunOutput {
    let start = Instant::now();
    let spawned = Command::new(env!("CARGO_BIN_EXE_tlsnoop"))
        .args(["read", "--format", "jsonl"])
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            return RunOutput {
                exit: Exit::SpawnError(e.to_string()),
                stdout: String::new(),
                stderr: String::new(),
                elapsed: start.elapsed(),
            }
        }
    };
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
    );
    let exit = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Exit::Status(status),
            Ok(None) if start.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                break Exit::Timeout;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                break Exit::SpawnError(e.to_string());
            }
        }
    };
    RunOutput {
        exit,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        elapsed: start.elapsed(),
    }
}

/// Runs tlsnoop on every job, `MAX_PARALLEL` at a time; results in job order.
fn run_all(files: &[PathBuf]) -> Vec<RunOutput> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<RunOutput>>> =
        Mutex::new((0..files.len()).map(|_| None).collect());
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, MAX_PARALLEL);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(file) = files.get(i) else { break };
                let r = run_tlsnoop(file);
                results.lock().unwrap()[i] = Some(r);
            });
        }
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.expect("every job ran"))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Comparison

#[derive(Default)]
struct Tally {
    captures: usize,
    files_run: usize,
    excluded: usize,
    tcp_flows: usize,
    agree: BTreeMap<Field, usize>,
    matched: usize,
    swapped: usize,
    missing: usize,
    extra: usize,
    out_of_scope: usize,
    no_hello: usize,
    no_hello_reported: usize,
    multi_valued: usize,
    known_tshark_errors: usize,
    unreadable: usize,
    panics: usize,
    crashes: usize,
    timeouts: usize,
    bad_lines: usize,
    slowest: Option<(Duration, String)>,
    /// The DISAGREE/INFO lines, in manifest order.
    log: String,
}

fn show(v: Option<&str>) -> String {
    match v {
        None => "null".to_string(),
        Some(s) => format!("{s:?}"),
    }
}

fn show_list(vs: &[Option<String>]) -> String {
    if vs.len() == 1 {
        show(vs[0].as_deref())
    } else {
        let items: Vec<String> = vs.iter().map(|v| show(v.as_deref())).collect();
        format!("[{}]", items.join(","))
    }
}

fn endpoint_text(a: &SocketAddr) -> String {
    a.to_string()
}

fn known_error(path: &str, tf: &TsharkFlow, f: Field) -> Option<&'static KnownTsharkError> {
    KNOWN_TSHARK_ERRORS.iter().find(|k| {
        k.path == path
            && k.field == f
            && tf.client.is_some()
            && tf.client == parse_endpoint(k.client)
            && tf.server == parse_endpoint(k.server)
    })
}

/// Compares one capture's tshark flows with tlsnoop's output and adds to the tally.
fn compare_capture(t: &mut Tally, dir: &Path, cap: &Capture, path: &str, run: &RunOutput) {
    let mut log = String::new();
    // Robustness.
    match &run.exit {
        Exit::Status(s) if s.code() == Some(0) => {}
        Exit::Status(s) if s.code() == Some(1) => {
            t.unreadable += 1;
            let first = run.stderr.lines().next().unwrap_or("");
            let _ = writeln!(log, "UNREADABLE {path}: {first}");
        }
        Exit::Status(s) => {
            t.crashes += 1;
            let _ = writeln!(log, "CRASH {path}: exit {s}");
        }
        Exit::Timeout => {
            t.timeouts += 1;
            let _ = writeln!(log, "TIMEOUT {path}: killed after {TIMEOUT:?}");
        }
        Exit::SpawnError(e) => {
            t.crashes += 1;
            let _ = writeln!(log, "CRASH {path}: cannot run tlsnoop: {e}");
        }
    }
    if run.stderr.contains("panicked") {
        t.panics += 1;
        let line = run
            .stderr
            .lines()
            .find(|l| l.contains("panicked"))
            .unwrap_or("");
        let _ = writeln!(log, "PANIC {path}: {line}");
    }
    if t.slowest.as_ref().is_none_or(|(d, _)| run.elapsed > *d) {
        t.slowest = Some((run.elapsed, path.to_string()));
    }

    let mut noop: Vec<NoopFlow> = Vec::new();
    for (n, line) in run.stdout.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match parse_noop_line(line) {
            Ok(f) => noop.push(f),
            Err(e) => {
                t.bad_lines += 1;
                let _ = writeln!(log, "BADLINE {path}: stdout line {}: {e}", n + 1);
            }
        }
    }
    noop.sort_by_key(|f| f.first_frame);
    let mut by_key: HashMap<(SocketAddr, SocketAddr), Vec<usize>> = HashMap::new();
    for (i, f) in noop.iter().enumerate() {
        by_key.entry((f.client, f.server)).or_default().push(i);
    }
    let mut used = vec![false; noop.len()];
    let take = |key: (SocketAddr, SocketAddr), used: &mut Vec<bool>| -> Option<usize> {
        let i = *by_key.get(&key)?.iter().find(|&&i| !used[i])?;
        used[i] = true;
        Some(i)
    };

    for tf in &cap.flows {
        if tf.transport != "tcp" {
            t.out_of_scope += 1;
            continue;
        }
        if tf.no_hello() {
            // tshark saw only mid-stream records: no values, and often no endpoints.
            t.no_hello += 1;
            let ends = match (tf.client, tf.server) {
                (Some(c), Some(s)) => Some((c, s)),
                _ => cap.paths.iter().find_map(|p| {
                    endpoints_from_summary(&dir.join(format!("{p}.tshark.txt")), &tf.stream)
                }),
            };
            let Some((a, b)) = ends else {
                let _ = writeln!(
                    log,
                    "INFO {path} tcp.stream {}: tshark saw no hello, and its .tshark.txt has no row giving the endpoints",
                    tf.stream
                );
                continue;
            };
            let Some(i) = take((a, b), &mut used).or_else(|| take((b, a), &mut used)) else {
                let _ = writeln!(
                    log,
                    "INFO {path} {a}<->{b}: tshark saw no hello (tcp.stream {}), tlsnoop reports \
                     no flow",
                    tf.stream
                );
                continue;
            };
            t.no_hello_reported += 1;
            let nf = &noop[i];
            for f in FIELDS {
                if nf.value(f).is_some() {
                    let _ = writeln!(
                        log,
                        "INFO {path} {}->{} {}: tshark saw no hello (stream {}), tlsnoop={}",
                        nf.client,
                        nf.server,
                        f.name(),
                        tf.stream,
                        show(nf.value(f))
                    );
                }
            }
            continue;
        }
        let (Some(c), Some(s)) = (tf.client, tf.server) else {
            // A flow with a hello but an endpoint we cannot parse: a harness problem.
            panic!(
                "{path}: cannot parse tshark endpoints {:?} -> {:?}",
                tf.client_text, tf.server_text
            );
        };
        t.tcp_flows += 1;
        let flow = format!("{}->{}", endpoint_text(&c), endpoint_text(&s));
        let found = match take((c, s), &mut used) {
            Some(i) => Some(i),
            None => take((s, c), &mut used).inspect(|&i| {
                t.swapped += 1;
                let _ = writeln!(
                    log,
                    "DISAGREE {path} {flow} role: tshark=client {} tlsnoop=client {}",
                    endpoint_text(&c),
                    endpoint_text(&noop[i].client)
                );
            }),
        };
        let Some(i) = found else {
            t.missing += 1;
            for f in FIELDS {
                let _ = writeln!(
                    log,
                    "DISAGREE {path} {flow} {}: tshark={} tlsnoop=(missing flow)",
                    f.name(),
                    show_list(tf.values(f))
                );
            }
            continue;
        };
        t.matched += 1;
        let nf = &noop[i];
        for f in FIELDS {
            let values = tf.values(f);
            let first = values.first().cloned().flatten();
            let want = normalise_tshark(f, first.as_deref());
            let got = nf.normalised(f);
            let mut ok = want == got;
            if ok && values.len() > 1 {
                t.multi_valued += 1;
                let _ = writeln!(
                    log,
                    "MULTI {path} {flow} {}: tshark={} tlsnoop={} (first value taken)",
                    f.name(),
                    show_list(values),
                    show(nf.value(f))
                );
            }
            if !ok {
                if let Some(k) = known_error(path, tf, f) {
                    if got == normalise_noop(f, k.truth) {
                        ok = true;
                        t.known_tshark_errors += 1;
                        let _ = writeln!(
                            log,
                            "KNOWN {path} {flow} {}: tshark={} tlsnoop={}: tshark is wrong: {}",
                            f.name(),
                            show_list(values),
                            show(nf.value(f)),
                            k.why
                        );
                    }
                }
            }
            if ok {
                *t.agree.entry(f).or_default() += 1;
            } else {
                let _ = writeln!(
                    log,
                    "DISAGREE {path} {flow} {}: tshark={} tlsnoop={}",
                    f.name(),
                    show_list(values),
                    show(nf.value(f))
                );
            }
        }
    }
    for (nf, _) in noop.iter().zip(&used).filter(|(_, u)| !**u) {
        t.extra += 1;
        let _ = writeln!(
            log,
            "EXTRA {path} {}->{}: not in tshark's list (version={} cipher={} sni={} alpn={})",
            nf.client,
            nf.server,
            show(nf.version.as_deref()),
            show(nf.cipher.as_deref()),
            show(nf.sni.as_deref()),
            show(nf.alpn.as_deref())
        );
    }
    t.log.push_str(&log);
}

/// A value in tlsnoop's spelling (a known error's truth) in comparable form.
fn normalise_noop(f: Field, v: Option<&str>) -> Option<String> {
    match f {
        Field::Version => tlsnoop_version(v).map(|v| format!("{v:?}")),
        Field::Cipher => lower(v),
        Field::Sni | Field::Alpn => v.map(str::to_string),
    }
}

fn pct(a: usize, n: usize) -> f64 {
    if n == 0 {
        100.0
    } else {
        a as f64 * 100.0 / n as f64
    }
}

fn summary(t: &Tally) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n=== tlsnoop vs tshark: {} captures ({} files run, {} excluded) ===",
        t.captures, t.files_run, t.excluded
    );
    let _ = writeln!(s, "{:<10} {:>12} {:>9}", "field", "agree/total", "percent");
    for f in FIELDS {
        let a = t.agree.get(&f).copied().unwrap_or(0);
        let _ = writeln!(
            s,
            "{:<10} {:>12} {:>8.2}%",
            f.name(),
            format!("{a}/{}", t.tcp_flows),
            pct(a, t.tcp_flows)
        );
    }
    let _ = writeln!(
        s,
        "tshark TCP flows compared:   {} (matched {}, roles swapped {}, missing {})",
        t.tcp_flows, t.matched, t.swapped, t.missing
    );
    let _ = writeln!(
        s,
        "extra tlsnoop flows:         {} (not in tshark's list; counted only)",
        t.extra
    );
    let _ = writeln!(s, "out of scope (UDP: DTLS/QUIC): {}", t.out_of_scope);
    let _ = writeln!(
        s,
        "tshark saw no hello:         {} (not compared; tlsnoop reported {})",
        t.no_hello, t.no_hello_reported
    );
    let _ = writeln!(
        s,
        "multi-valued tshark cells:   {} (first value taken)",
        t.multi_valued
    );
    let _ = writeln!(
        s,
        "known tshark errors:         {} (allow-listed)",
        t.known_tshark_errors
    );
    let _ = writeln!(s, "unreadable files (exit 1):   {}", t.unreadable);
    let _ = writeln!(
        s,
        "panics: {}  crashes: {}  timeouts: {}  bad JSONL lines: {}",
        t.panics, t.crashes, t.timeouts, t.bad_lines
    );
    if let Some((d, p)) = &t.slowest {
        let _ = writeln!(s, "slowest capture: {p} ({:.1} s)", d.as_secs_f64());
    }
    s
}

fn captures_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/captures");
    if dir.join("manifest.json").is_file() {
        Some(dir)
    } else {
        // Written to the real stderr so it shows even when libtest captures output.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: corpus test: {} not found",
            dir.display()
        );
        None
    }
}

/// Runs the harness on the manifest entries whose first path passes `keep`, prints every
/// disagreement and the summary, and asserts the thresholds.
fn check_corpus(dir: &Path, keep: &dyn Fn(&Capture) -> bool) -> Tally {
    let manifest = load_manifest(dir);
    let mut t = Tally::default();
    let mut caps: Vec<&Capture> = Vec::new();
    for c in &manifest {
        if !keep(c) {
            continue;
        }
        if c.excluded.is_some() {
            t.excluded += 1;
            continue;
        }
        caps.push(c);
    }
    // Every path is run (duplicates of one capture are byte-identical copies: same sha256);
    // the flows are compared once per capture, from its first path.
    let mut jobs: Vec<(usize, usize)> = Vec::new();
    for (ci, c) in caps.iter().enumerate() {
        for pi in 0..c.paths.len() {
            jobs.push((ci, pi));
        }
    }
    let files: Vec<PathBuf> = jobs
        .iter()
        .map(|&(ci, pi)| dir.join(&caps[ci].paths[pi]))
        .collect();
    let runs = run_all(&files);
    t.captures = caps.len();
    t.files_run = files.len();
    let mut first_run: HashMap<usize, usize> = HashMap::new();
    for (j, &(ci, pi)) in jobs.iter().enumerate() {
        let c = caps[ci];
        let path = &c.paths[pi];
        if pi == 0 {
            first_run.insert(ci, j);
            compare_capture(&mut t, dir, c, path, &runs[j]);
        } else {
            // Robustness checks only; note when a copy gives different output.
            let empty = Capture {
                paths: Vec::new(),
                flows: Vec::new(),
                excluded: None,
            };
            let mut side = Tally::default();
            compare_capture(&mut side, dir, &empty, path, &runs[j]);
            t.unreadable += side.unreadable;
            t.panics += side.panics;
            t.crashes += side.crashes;
            t.timeouts += side.timeouts;
            t.bad_lines += side.bad_lines;
            for l in side.log.lines().filter(|l| !l.starts_with("EXTRA")) {
                let _ = writeln!(t.log, "{l}");
            }
            let sorted = |s: &str| {
                let mut v: Vec<String> = s.lines().map(str::to_string).collect();
                v.sort();
                v
            };
            if let Some(&j0) = first_run.get(&ci) {
                if sorted(&runs[j0].stdout) != sorted(&runs[j].stdout) {
                    let _ = writeln!(
                        t.log,
                        "INFO {path}: output differs from its identical copy {}",
                        c.paths[0]
                    );
                }
            }
        }
    }
    print!("{}", t.log);
    print!("{}", summary(&t));
    assert_eq!(t.panics, 0, "tlsnoop panicked (see PANIC lines)");
    assert_eq!(t.crashes, 0, "tlsnoop crashed (see CRASH lines)");
    assert_eq!(t.timeouts, 0, "tlsnoop timed out (see TIMEOUT lines)");
    assert_eq!(
        t.bad_lines, 0,
        "tlsnoop wrote non-JSON lines (see BADLINE lines)"
    );
    for f in FIELDS {
        let a = t.agree.get(&f).copied().unwrap_or(0);
        let p = pct(a, t.tcp_flows);
        assert!(
            p >= MIN_AGREEMENT,
            "{}: tlsnoop agrees with tshark on {a}/{} TCP flows ({p:.2}%), below {MIN_AGREEMENT}% \
             (see the DISAGREE lines above)",
            f.name(),
            t.tcp_flows
        );
    }
    t
}

#[test]
#[ignore = "needs ../shared/captures; run with --ignored"]
fn corpus_agrees_with_tshark() {
    let Some(dir) = captures_dir() else { return };
    let start = Instant::now();
    let t = check_corpus(&dir, &|_| true);
    println!("corpus run took {:.1} s", start.elapsed().as_secs_f64());
    assert!(t.tcp_flows > 0, "the manifest lists no TCP flows");
}

#[test]
fn corpus_sample_agrees_with_tshark() {
    let Some(dir) = captures_dir() else { return };
    let present: Vec<&str> = SAMPLE
        .iter()
        .copied()
        .filter(|p| {
            let ok = dir.join(p).is_file();
            if !ok {
                let _ = writeln!(std::io::stderr(), "SKIPPED: sample capture {p} not found");
            }
            ok
        })
        .collect();
    if present.is_empty() {
        return;
    }
    let t = check_corpus(&dir, &|c| {
        c.paths
            .first()
            .is_some_and(|p| present.contains(&p.as_str()))
    });
    assert_eq!(
        t.captures,
        present.len(),
        "sample captures missing from the manifest"
    );
    assert!(t.tcp_flows > 0, "the sample has no TCP flows");
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn endpoints() {
        let v6 = parse_endpoint("2001:4998:ef5e:2b::12a0:57349").unwrap();
        assert_eq!(v6.port(), 57349);
        assert_eq!(
            v6.ip(),
            "2001:4998:ef5e:2b::12a0".parse::<IpAddr>().unwrap()
        );
        assert_eq!(parse_endpoint("[::1]:443"), parse_endpoint("::1:443"));
        assert_eq!(
            parse_endpoint("10.0.0.1:40005"),
            Some("10.0.0.1:40005".parse().unwrap())
        );
        assert_eq!(parse_endpoint("nonsense"), None);
    }

    #[test]
    fn cells() {
        assert_eq!(cell(None), vec![None]);
        assert_eq!(cell(Some(&Value::Null)), vec![None]);
        assert_eq!(
            cell(Some(&serde_json::json!("h2"))),
            vec![Some("h2".into())]
        );
        assert_eq!(
            cell(Some(&serde_json::json!(["0x1301", null]))),
            vec![Some("0x1301".into()), None]
        );
    }

    #[test]
    fn versions() {
        let same = |a: &str, b: &str| tshark_version(Some(a)) == tlsnoop_version(Some(b));
        assert!(same("TLS1.2", "TLS 1.2"));
        assert!(same("SSLv3", "SSL 3.0"));
        assert!(same("SSLv2", "SSL 2.0"));
        assert!(same("TLS1.3-draft18", "TLS 1.3 (draft 18)"));
        assert!(same("0xfb1a", "TLS 1.3 (Facebook draft 26)"));
        assert!(same("0x002c", "0x002c"));
        assert!(same("TLS1.3-fb-draft1", "0x7e01"));
        assert!(!same("TLS1.2", "TLS 1.3"));
        assert_eq!(tshark_version(Some("no-ServerHello(CH max TLS1.3)")), None);
        assert_eq!(tshark_version(None), None);
        assert_eq!(tlsnoop_version(None), None);
    }
}
