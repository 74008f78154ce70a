//! `tlsnoop live` on a real interface: the loopback of a private network namespace, with
//! `openssl s_server` and `s_client` making real handshakes inside it (feature `live`).
//!
//! Needs root (a network namespace and a packet socket). Without root each test prints
//! "SKIPPED" and passes; as root (CI) a missing tool is a failure, not a skip. Every process
//! runs under a deadline and is killed by a guard if the test fails; the namespace is deleted by
//! a guard, also when an assertion fails.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

const TLSNOOP: &str = env!("CARGO_BIN_EXE_tlsnoop");

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// True when the test can run; prints why not otherwise. As root, missing tools fail the test.
fn can_run(test: &str) -> bool {
    if !is_root() {
        eprintln!(
            "SKIPPED {test}: needs root (network namespace, packet capture); CI runs it as root"
        );
        return false;
    }
    for tool in ["ip", "openssl", "kill", "python3"] {
        assert!(
            have(tool),
            "{test}: `{tool}` is needed (iproute2, openssl, python3)"
        );
    }
    true
}

/// A network namespace with only `lo`, up; deleted on drop.
struct Netns {
    name: String,
}

impl Netns {
    fn new(tag: &str) -> Netns {
        let name = format!("tlsnoop-{tag}-{}", std::process::id());
        let _ = Command::new("ip").args(["netns", "del", &name]).output();
        let ok = Command::new("ip")
            .args(["netns", "add", &name])
            .status()
            .expect("ip runs");
        assert!(ok.success(), "ip netns add {name}");
        let ns = Netns { name };
        let ok = ns
            .cmd("ip", &["link", "set", "lo", "up"])
            .status()
            .expect("ip runs");
        assert!(ok.success(), "lo up in {}", ns.name);
        ns
    }

    /// `ip netns exec NS timeout -k 5 60 PROGRAM ARGS`: even if this test is killed, nothing it
    /// started outlives it by more than a minute. `ip` execs `timeout`, which forwards SIGINT
    /// and SIGTERM to the program and exits with its status.
    fn cmd(&self, program: &str, args: &[&str]) -> Command {
        self.timed(60, program, args)
    }

    /// [`Netns::cmd`] with another limit, in seconds.
    fn timed(&self, secs: u32, program: &str, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, "timeout", "-k", "5"])
            .arg(secs.to_string())
            .arg(program)
            .args(args);
        c
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}

/// A child (`timeout PROGRAM`) stopped on drop if still running: SIGTERM, which `timeout`
/// passes on, then SIGKILL.
struct Proc {
    child: Child,
    what: &'static str,
}

impl Proc {
    fn spawn(mut c: Command, what: &'static str) -> Proc {
        let child = c
            .spawn()
            .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
        Proc { child, what }
    }

    fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits at most `limit` for the process to exit; kills it and fails past that.
    fn wait_for(&mut self, limit: Duration) -> ExitStatus {
        let end = Instant::now() + limit;
        loop {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                return s;
            }
            if Instant::now() > end {
                self.stop();
                panic!("{} still running after {limit:?}: killed", self.what);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, up to 3 s to exit, then SIGKILL; reaped.
    fn stop(&mut self) {
        if self.running() {
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status();
            let end = Instant::now() + Duration::from_secs(3);
            while self.running() && Instant::now() < end {
                std::thread::sleep(Duration::from_millis(20));
            }
            if self.running() {
                let _ = self.child.kill();
            }
        }
        let _ = self.child.wait();
    }

    /// The pid of the program `timeout` runs.
    fn program_pid(&self) -> Option<u32> {
        let pid = self.child.id();
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
            .ok()?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(ok.success(), "kill {sig} {}", self.what);
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Lines of a child's pipe, each with the time it was read.
type Lines = Receiver<(Instant, String)>;

/// Lines of a child's pipe as they come, with the time each was read.
fn lines_of(r: impl std::io::Read + Send + 'static) -> Lines {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { break };
            if tx.send((Instant::now(), line)).is_err() {
                break;
            }
        }
    });
    rx
}

/// Reads lines until one satisfies `pred`, for at most `limit`; returns it and the lines before.
fn wait_line(
    rx: &Lines,
    limit: Duration,
    what: &str,
    pred: impl Fn(&str) -> bool,
) -> (Instant, String, Vec<String>) {
    let end = Instant::now() + limit;
    let mut before = Vec::new();
    loop {
        let left = end.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((t, l)) if pred(&l) => return (t, l, before),
            Ok((_, l)) => before.push(l),
            Err(_) => panic!("{what}: not seen within {limit:?}; lines so far: {before:#?}"),
        }
    }
}

/// A scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let p = std::env::temp_dir().join(format!("tlsnoop-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("scratch dir");
        Scratch(p)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn certs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/certs")
}

/// Starts `openssl s_server` on `port` in `ns` with extra `args`; returns once it accepts.
fn s_server(ns: &Netns, port: u16, args: &[&str]) -> Proc {
    let c = certs();
    let cert = c.join("server-rsa.pem");
    let key = c.join("server-rsa.key");
    let chain = c.join("server-rsa-chain.pem");
    let port = port.to_string();
    let mut all = vec![
        "s_server",
        "-accept",
        &port,
        "-cert",
        cert.to_str().expect("utf-8"),
        "-key",
        key.to_str().expect("utf-8"),
        "-cert_chain",
        chain.to_str().expect("utf-8"),
    ];
    all.extend_from_slice(args);
    let mut cmd = ns.cmd("openssl", &all);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut p = Proc::spawn(cmd, "openssl s_server");
    let out = lines_of(p.child.stdout.take().expect("stdout"));
    wait_line(&out, Duration::from_secs(10), "s_server ACCEPT", |l| {
        l.starts_with("ACCEPT")
    });
    // Keep its stdout drained.
    std::thread::spawn(move || for _ in out {});
    p
}

/// A TCP server on `port` in `ns` that accepts and never says a word (the kernel completes the
/// TCP handshake and ACKs the ClientHello).
fn silent_server(ns: &Netns, port: u16) -> Proc {
    let script = format!(
        "import socket,sys,time\n\
         s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n\
         s.bind(('127.0.0.1',{port})); s.listen(8); print('ACCEPT', flush=True)\n\
         c=s.accept(); time.sleep(60)\n"
    );
    let mut cmd = ns.cmd("python3", &["-c", &script]);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut p = Proc::spawn(cmd, "silent server");
    let out = lines_of(p.child.stdout.take().expect("stdout"));
    wait_line(&out, Duration::from_secs(10), "silent server ACCEPT", |l| {
        l.starts_with("ACCEPT")
    });
    std::thread::spawn(move || for _ in out {});
    p
}

/// Starts `openssl s_client` to `port` with SNI `sni`; its stdin stays open (the connection
/// stays up) until the returned stdin is dropped.
fn s_client(ns: &Netns, port: u16, sni: &str, args: &[&str]) -> (Proc, ChildStdin) {
    let connect = format!("127.0.0.1:{port}");
    let mut all = vec!["s_client", "-connect", &connect, "-servername", sni];
    all.extend_from_slice(args);
    let mut cmd = ns.timed(20, "openssl", &all);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut p = Proc::spawn(cmd, "openssl s_client");
    let stdin = p.child.stdin.take().expect("stdin");
    (p, stdin)
}

/// Starts `tlsnoop live -i lo` in `ns` with `args`; returns once it is capturing.
fn tlsnoop_live(ns: &Netns, args: &[&str]) -> (Proc, Lines, Lines) {
    let mut all = vec!["live", "-i", "lo"];
    all.extend_from_slice(args);
    let mut cmd = ns.cmd(TLSNOOP, &all);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut p = Proc::spawn(cmd, "tlsnoop live");
    let out = lines_of(p.child.stdout.take().expect("stdout"));
    let err = lines_of(p.child.stderr.take().expect("stderr"));
    wait_line(&err, Duration::from_secs(10), "tlsnoop's banner", |l| {
        l.starts_with("tlsnoop: capturing on lo (ethernet), filter ")
    });
    (p, out, err)
}

/// What the test checks of a flow, from the JSON.
fn facts(v: &Value) -> String {
    format!(
        "sni={} version={} suite={} outcome={} diagnosis={}",
        v["sni"].as_str().unwrap_or("-"),
        v["version"].as_str().unwrap_or("-"),
        v["cipher_suite"]["iana"].as_str().unwrap_or("-"),
        v["outcome"].as_str().unwrap_or("-"),
        v["diagnosis"]["code"].as_str().unwrap_or("-"),
    )
}

#[test]
fn live_reports_each_handshake_as_it_is_decided_and_the_saved_pcap_reads_the_same() {
    if !can_run("live_reports_each_handshake_as_it_is_decided") {
        return;
    }
    let ns = Netns::new("live");
    let dir = Scratch::new("live");
    let pcap = dir.path("live.pcap");
    let (mut live, out, err) = tlsnoop_live(
        &ns,
        &[
            "--format",
            "jsonl",
            "--write-pcap",
            pcap.to_str().expect("utf-8"),
            "--timeout",
            "2",
        ],
    );
    let _both = s_server(&ns, 4433, &[]);
    let _tls13_only = s_server(&ns, 4434, &["-tls1_3"]);
    let _silent = silent_server(&ns, 4435);

    // (SNI, port, client args, expected facts, whether the connection is still up when the
    // line is printed: reported when decided, not when closed).
    let cases: [(&str, u16, &[&str], &str, bool); 4] = [
        (
            "tls13.test",
            4433,
            &["-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"],
            "sni=tls13.test version=TLS 1.3 suite=TLS_AES_128_GCM_SHA256 outcome=established diagnosis=-",
            true,
        ),
        (
            "tls12.test",
            4433,
            &["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"],
            "sni=tls12.test version=TLS 1.2 suite=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 outcome=established diagnosis=-",
            true,
        ),
        (
            "fail.test",
            4434,
            &["-tls1_2"],
            "sni=fail.test version=- suite=- outcome=failed diagnosis=protocol_version_mismatch",
            false,
        ),
        // No answer: reported by the wall-clock tick after --timeout 2, connection still open.
        (
            "silent.test",
            4435,
            &["-tls1_3"],
            "sni=silent.test version=- suite=- outcome=incomplete diagnosis=no_server_response",
            true,
        ),
    ];
    let mut seen: Vec<(Instant, Value)> = Vec::new();
    for (sni, port, args, want, still_up) in cases {
        let started = Instant::now();
        let (mut client, stdin) = s_client(&ns, port, sni, args);
        let (t, line, before) = wait_line(&out, Duration::from_secs(10), sni, |l| {
            l.contains(&format!("\"sni\":\"{sni}\""))
        });
        assert!(
            before.is_empty(),
            "unexpected lines before {sni}: {before:#?}"
        );
        let v: Value = serde_json::from_str(&line).expect("a JSON object per line");
        assert_eq!(facts(&v), want, "{line}");
        let ms = t.duration_since(started).as_secs_f64() * 1000.0;
        eprintln!(
            "{sni}: printed {ms:.0} ms after the client started: {}",
            facts(&v)
        );
        if sni == "silent.test" {
            assert!(
                (2000.0..5000.0).contains(&ms),
                "{sni}: printed after {ms:.0} ms"
            );
            assert_eq!(
                v["notes"].as_array().and_then(|n| n.last()).and_then(Value::as_str),
                Some("handshake not decided within 2 s of its first TLS bytes; reported then (live --timeout), later packets not followed"),
                "{line}"
            );
        } else {
            assert!(ms < 2000.0, "{sni}: printed after {ms:.0} ms");
        }
        if still_up {
            assert!(
                client.running(),
                "{sni}: the line came while the connection was still open"
            );
        }
        drop(stdin);
        if sni == "silent.test" {
            // Still waiting for a ServerHello: stdin's end does not stop it.
            client.signal("-TERM");
        }
        client.wait_for(Duration::from_secs(10));
        seen.push((t, v));
    }

    std::thread::sleep(Duration::from_millis(300));
    let sigint = Instant::now();
    live.signal("-INT");
    let status = live.wait_for(Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "tlsnoop live exits 0 on SIGINT");
    let after: Vec<String> = out.try_iter().map(|(_, l)| l).collect();
    assert!(after.is_empty(), "no flow left for the end: {after:#?}");
    for (t, v) in &seen {
        assert!(*t < sigint, "{} printed before the SIGINT", facts(v));
    }
    let err: Vec<String> = err.try_iter().map(|(_, l)| l).collect();
    eprintln!("tlsnoop live's stderr:\n{}", err.join("\n"));
    assert!(
        err.iter().any(|l| l.starts_with("tlsnoop: ")
            && l.contains(" packets captured (")
            && l.contains(
                " dropped by the kernel, 0 dropped by the interface), 0 dropped by tlsnoop"
            )),
        "{err:#?}"
    );
    assert!(
        err.iter()
            .any(|l| l.ends_with(" TCP flows, 4 TLS flows: 2 established, 1 failed, 1 incomplete")),
        "{err:#?}"
    );
    assert!(
        err.iter()
            .any(|l| l == "tlsnoop: diagnoses: no_server_response ×1, protocol_version_mismatch ×1"),
        "{err:#?}"
    );
    let ids: Vec<u64> = seen
        .iter()
        .map(|(_, v)| v["id"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(ids, vec![1, 2, 3, 4]);

    // The saved packets, read as a file, give the same flows (same frames, endpoints, facts).
    // The silent one differs as documented: `read` sees the client give up later (a FIN).
    let read = Command::new(TLSNOOP)
        .args(["read", "--format", "jsonl", pcap.to_str().expect("utf-8")])
        .output()
        .expect("tlsnoop read runs");
    assert_eq!(
        read.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    let flows: Vec<Value> = String::from_utf8_lossy(&read.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(flows.len(), 4, "{flows:#?}");
    for ((_, l), r) in seen.iter().zip(&flows) {
        if l["sni"] != "silent.test" {
            assert_eq!(facts(l), facts(r));
        }
        for key in [
            "id",
            "first_frame",
            "first_seen",
            "client",
            "server",
            "client_hello",
            "server_hello",
            "certificates",
        ] {
            assert_eq!(l[key], r[key], "{key} of {}", facts(l));
        }
    }
}

#[test]
fn live_errors_bad_filter_permission_and_user() {
    if !can_run("live_errors_bad_filter_permission_and_user") {
        return;
    }
    let ns = Netns::new("live-err");

    // A filter libpcap cannot compile: exit 2 and libpcap's words.
    let mut c = ns.cmd(TLSNOOP, &["live", "-i", "lo", "-f", "tcp port"]);
    c.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut p = Proc::spawn(c, "tlsnoop live -f 'tcp port'");
    let status = p.wait_for(Duration::from_secs(10));
    let mut err = String::new();
    std::io::Read::read_to_string(&mut p.child.stderr.take().expect("stderr"), &mut err)
        .expect("stderr");
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("tlsnoop: bad capture filter \"tcp port\": "),
        "{err}"
    );

    // No such interface: exit 1, and where to find the names.
    let mut c = ns.cmd(TLSNOOP, &["live", "-i", "nonexistent0"]);
    c.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut p = Proc::spawn(c, "tlsnoop live -i nonexistent0");
    let status = p.wait_for(Duration::from_secs(10));
    let mut err = String::new();
    std::io::Read::read_to_string(&mut p.child.stderr.take().expect("stderr"), &mut err)
        .expect("stderr");
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.starts_with("tlsnoop: nonexistent0: cannot capture: "),
        "{err}"
    );
    assert!(err.contains("--list-interfaces"), "{err}");

    // Not root: the message says how to grant the capabilities.
    if have("setpriv") {
        let mut c = ns.cmd(
            "setpriv",
            &[
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                TLSNOOP,
                "live",
                "-i",
                "lo",
            ],
        );
        c.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut p = Proc::spawn(c, "tlsnoop live as nobody");
        let status = p.wait_for(Duration::from_secs(10));
        let mut err = String::new();
        std::io::Read::read_to_string(&mut p.child.stderr.take().expect("stderr"), &mut err)
            .expect("stderr");
        assert_eq!(status.code(), Some(1), "{err}");
        assert!(
            err.starts_with("tlsnoop: lo: cannot capture: permission denied ("),
            "{err}"
        );
        assert!(
            err.contains("sudo setcap cap_net_raw,cap_net_admin=eip "),
            "{err}"
        );
    } else {
        eprintln!("SKIPPED the not-root case: no setpriv");
    }

    // --user: the interface is opened as root, then the process runs as that user; --duration
    // stops it the same way as a signal.
    let (mut p, _out, err) = tlsnoop_live(
        &ns,
        &["--user", "nobody", "--duration", "1.5", "--format", "jsonl"],
    );
    let status_file = format!("/proc/{}/status", p.program_pid().expect("tlsnoop's pid"));
    let uid = std::fs::read_to_string(&status_file).ok().and_then(|s| {
        s.lines()
            .find(|l| l.starts_with("Uid:"))
            .map(str::to_string)
    });
    let status = p.wait_for(Duration::from_secs(10));
    let err: Vec<String> = err.try_iter().map(|(_, l)| l).collect();
    assert_eq!(status.code(), Some(0), "{err:#?}");
    assert_eq!(
        uid.as_deref()
            .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>()),
        Some(vec!["65534", "65534", "65534", "65534"]),
        "real, effective, saved and filesystem uid after --user nobody"
    );
    assert!(
        err.iter().any(
            |l| l.ends_with(" 0 TCP flows, 0 TLS flows: 0 established, 0 failed, 0 incomplete")
        ),
        "{err:#?}"
    );
}

#[test]
fn live_text_lines_and_count_stops_by_itself() {
    if !can_run("live_text_lines_and_count_stops_by_itself") {
        return;
    }
    let ns = Netns::new("live-text");
    let (mut live, out, err) = tlsnoop_live(
        &ns,
        &[
            "--format",
            "text",
            "--color",
            "always",
            "--count",
            "1",
            "-f",
            "tcp port 4433",
        ],
    );
    let _server = s_server(&ns, 4433, &["-tls1_3"]);
    let (mut client, stdin) = s_client(
        &ns,
        4433,
        "one.test",
        &["-ciphersuites", "TLS_AES_256_GCM_SHA384"],
    );
    let (_, line, before) = wait_line(&out, Duration::from_secs(10), "the text line", |_| true);
    assert!(before.is_empty());
    // HH:MM:SS.mmm  #1  client → server  SNI  version  suite  verdict (colored)
    let rest = line.get(12..).unwrap_or_default();
    assert!(rest.starts_with("  #1  127.0.0.1:"), "{line:?}");
    assert!(
        rest.ends_with(" → 127.0.0.1:4433  one.test  TLS 1.3  TLS_AES_256_GCM_SHA384  \u{1b}[1m\u{1b}[32mestablished\u{1b}[0m"),
        "{line:?}"
    );
    let status = live.wait_for(Duration::from_secs(10));
    let err: Vec<String> = err.try_iter().map(|(_, l)| l).collect();
    assert_eq!(
        status.code(),
        Some(0),
        "--count 1 stops after one flow: {err:#?}"
    );
    assert!(
        out.try_iter().next().is_none(),
        "nothing after the one line"
    );
    drop(stdin);
    client.wait_for(Duration::from_secs(10));
}
