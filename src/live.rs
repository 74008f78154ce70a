//! `tlsnoop live`: the command-line edge of live capture. Opens the interface, drops privileges,
//! opens the outputs, then runs the engine on this thread over the batches the capture thread
//! hands over, ticking it with the wall clock, until a signal, `--count` or `--duration`.
//! Everything after the capture layer is the code path of `read`.

use crate::cli::{ColorChoice, Format, LiveArgs};
use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};
use tlsnoop::capture::live::{self, CaptureStats, LiveCapture, LiveError, LiveOptions};
use tlsnoop::capture::write::PcapWriter;
use tlsnoop::engine::{Engine, EngineOptions};
use tlsnoop::names::count;
use tlsnoop::record::{InputInfo, Negotiation};
use tlsnoop::report::{self, Render, Rendered, Sink};

/// How often the engine is ticked (timeouts, `--duration`) and the pcap file flushed.
const TICK: Duration = Duration::from_millis(200);

/// Runs `tlsnoop live`.
pub fn run(a: LiveArgs) -> ExitCode {
    if a.list_interfaces {
        return list_interfaces();
    }
    let Some(interface) = a.interface.clone() else {
        eprintln!(
            "tlsnoop: live: -i IFACE is required (`tlsnoop live --list-interfaces` lists them)"
        );
        return ExitCode::from(2);
    };
    // Read as root, before anything else: a bad file is a usage error.
    let trust = match super::load_trust(&a.analysis.ca_file, a.analysis.system_roots) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("tlsnoop: {e}");
            return ExitCode::from(2);
        }
    };
    let opts = LiveOptions {
        interface: interface.clone(),
        filter: a.filter.clone(),
        snaplen: a.snaplen,
        buffer_mib: a.buffer_size,
        promisc: a.promisc,
    };
    let cap = match LiveCapture::open(&opts) {
        Ok(c) => c,
        Err(e) => return open_failed(&e),
    };
    // Privileges are needed only to open the interface: drop them before opening any file.
    if let Some(user) = &a.user {
        if let Err(e) = drop_privileges(user) {
            eprintln!("tlsnoop: --user {user}: {e}");
            return ExitCode::from(1);
        }
    }
    let (out, is_tty): (Box<dyn Write + Send>, bool) = match &a.output {
        Some(p) => match std::fs::File::create(p) {
            Ok(f) => (Box::new(io::LineWriter::new(f)), false),
            Err(e) => return cannot_create(p, &e),
        },
        None => (Box::new(io::stdout()), io::stdout().is_terminal()),
    };
    let color = match a.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    // Every format writes whole lines; stdout is line-buffered, a file through LineWriter: each
    // flow is on screen, in the pipe or in the file as soon as it is reported.
    let format = match a.format {
        Format::Text => report::Format::LiveText,
        Format::Json => report::Format::Json,
        Format::Jsonl => report::Format::LiveJsonl,
    };
    let (make_render, sink) = report::for_format(format, out, color);
    let mut pcap_out = match &a.write_pcap {
        Some(p) => {
            let made = std::fs::File::create(p)
                .and_then(|f| PcapWriter::new(io::BufWriter::new(f), cap.link(), cap.snaplen()));
            match made {
                Ok(w) => Some(w),
                Err(e) => return cannot_create(p, &e),
            }
        }
        None => None,
    };
    let link = cap.link();
    let running = match cap.spawn() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tlsnoop: cannot start the capture thread: {e}");
            return ExitCode::from(1);
        }
    };
    let stopper = running.stopper();
    let on_signal = stopper.clone();
    if let Err(e) = ctrlc::set_handler(move || on_signal.stop()) {
        eprintln!("tlsnoop: cannot handle SIGINT/SIGTERM: {e}");
        let _ = running.join();
        return ExitCode::from(1);
    }
    if !a.quiet {
        eprintln!(
            "tlsnoop: capturing on {interface} ({link}), filter {:?}; Ctrl-C to stop",
            a.filter
        );
    }

    let mut engine_opts = EngineOptions {
        server_ports: a.analysis.server_ports.clone(),
        report_when_decided: true,
        decide_timeout_secs: a.timeout,
        ..Default::default()
    };
    engine_opts.limits = a.analysis.limits.to_limits();
    let mut engine = Engine::new(engine_opts);
    engine.begin_input(0);
    let mut em = Emitter {
        sink,
        render: make_render(),
        rendered: Rendered::default(),
        ctx: tlsnoop::analysis::Context {
            policy: super::policy(a.analysis.policy),
            trust,
        },
        count: a.count,
        reported: 0,
        diagnoses: BTreeMap::new(),
        error: None,
    };
    let mut info = InputInfo {
        path: format!("live:{interface}"),
        format: Some("live".into()),
        link_types: vec![link.name()],
        ..Default::default()
    };
    let mut pcap_error: Option<io::Error> = None;
    let started = Instant::now();
    let duration = a.duration.map(Duration::from_secs_f64);
    let mut last_tick = Instant::now();
    let mut number = 0u64;
    loop {
        match running.recv_timeout(TICK) {
            Ok(batch) => {
                for f in batch.frames(number + 1) {
                    number = f.number;
                    info.packets += 1;
                    info.bytes += f.data.len() as u64;
                    info.first_ts.get_or_insert(f.ts);
                    info.last_ts = Some(f.ts);
                    if let Some(w) = pcap_out.as_mut() {
                        if let Err(e) = w.write(&f) {
                            pcap_error = Some(e);
                            pcap_out = None;
                        }
                    }
                    engine.frame(&f, &mut |n| em.emit(n));
                }
                running.recycle(batch);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if last_tick.elapsed() >= TICK {
            last_tick = Instant::now();
            engine.tick(live::now(), &mut |n| em.emit(n));
            if let Some(Err(e)) = pcap_out.as_mut().map(PcapWriter::flush) {
                pcap_error = Some(e);
                pcap_out = None;
            }
        }
        let done = em.count.is_some_and(|c| em.reported >= c)
            || duration.is_some_and(|d| started.elapsed() >= d)
            || em.error.is_some();
        if done && !stopper.is_stopped() {
            stopper.stop();
        }
    }
    let stats: CaptureStats = running.join();
    // Every open flow is reported (up to --count).
    engine.end_input(&mut |n| em.emit(n));
    info.notes.extend(engine.input_notes());
    info.notes.extend(capture_notes(&stats));
    if let Some(w) = pcap_out.as_mut() {
        if let Err(e) = w.flush() {
            pcap_error = Some(e);
        }
    }
    let finish = if em.error.is_none() {
        em.sink.finish(std::slice::from_ref(&info), &engine.stats())
    } else {
        Ok(())
    };
    let mut code = ExitCode::SUCCESS;
    match em.error.take().map_or(finish, Err) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            eprintln!("tlsnoop: cannot write the report: {e}");
            code = ExitCode::from(1);
        }
    }
    if let (Some(e), Some(p)) = (&pcap_error, &a.write_pcap) {
        eprintln!("tlsnoop: {}: cannot write: {e}", p.display());
        code = ExitCode::from(1);
    }
    if let Some(e) = &stats.error {
        eprintln!("tlsnoop: {interface}: capture ended: {e}");
        code = ExitCode::from(1);
    }
    if !a.quiet {
        print_totals(&stats, &engine.stats(), &em.diagnoses);
    }
    code
}

/// Passes records through analysis to the sink, counting them.
struct Emitter {
    sink: Box<dyn Sink>,
    render: Box<dyn Render>,
    rendered: Rendered,
    ctx: tlsnoop::analysis::Context,
    count: Option<u64>,
    reported: u64,
    diagnoses: BTreeMap<&'static str, u64>,
    error: Option<io::Error>,
}

impl Emitter {
    fn emit(&mut self, mut n: Negotiation) {
        if self.error.is_some() || self.count.is_some_and(|c| self.reported >= c) {
            return;
        }
        tlsnoop::analysis::analyze(&mut n, &self.ctx);
        self.reported += 1;
        if let Some(d) = &n.diagnosis {
            *self.diagnoses.entry(d.code).or_default() += 1;
        }
        let id = std::mem::take(&mut n.id);
        self.render.render(&n, &mut self.rendered);
        if let Err(e) = self.sink.flow(id, self.rendered.view()) {
            self.error = Some(e);
        }
    }
}

/// Input notes for what the capture lost.
fn capture_notes(s: &CaptureStats) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(p) = s.libpcap {
        if p.kernel_dropped > 0 || p.if_dropped > 0 {
            notes.push(format!(
                "libpcap: {} dropped by the kernel (buffer full; see --buffer-size), {} by the interface",
                count(u64::from(p.kernel_dropped), "packet"), p.if_dropped
            ));
        }
    }
    if s.queue_dropped > 0 {
        notes.push(format!(
            "{} dropped by tlsnoop: the analysis queue was full",
            count(s.queue_dropped, "packet")
        ));
    }
    notes
}

fn print_totals(s: &CaptureStats, e: &tlsnoop::record::Stats, diagnoses: &BTreeMap<&str, u64>) {
    let libpcap = match (&s.libpcap, &s.libpcap_error) {
        (Some(p), _) => format!(
            "{} received by the filter, {} dropped by the kernel, {} dropped by the interface",
            p.received, p.kernel_dropped, p.if_dropped
        ),
        (None, Some(err)) => format!("libpcap counters unavailable: {err}"),
        (None, None) => "libpcap counters unavailable".to_string(),
    };
    eprintln!(
        "tlsnoop: {} captured ({libpcap}), {} dropped by tlsnoop (analysis queue full)",
        count(s.captured, "packet"),
        s.queue_dropped
    );
    eprintln!(
        "tlsnoop: {}, {}: {} established, {} failed, {} incomplete",
        count(e.tcp_flows, "TCP flow"),
        count(e.tls_flows, "TLS flow"),
        e.established,
        e.failed,
        e.incomplete
    );
    if !diagnoses.is_empty() {
        let d: Vec<String> = diagnoses.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
        eprintln!("tlsnoop: diagnoses: {}", d.join(", "));
    }
}

fn list_interfaces() -> ExitCode {
    match live::interfaces() {
        Ok(list) => {
            let mut out = io::stdout().lock();
            for i in list {
                let mut flags = Vec::new();
                if i.up {
                    flags.push("up");
                }
                if i.running {
                    flags.push("running");
                }
                if i.loopback {
                    flags.push("loopback");
                }
                let addrs: Vec<String> = i.addresses.iter().map(ToString::to_string).collect();
                let mut line = format!("{:<16} {}", i.name, flags.join(","));
                if !addrs.is_empty() {
                    line.push_str(&format!("  {}", addrs.join(" ")));
                }
                if let Some(d) = &i.description {
                    line.push_str(&format!("  ({d})"));
                }
                if writeln!(out, "{line}").is_err() {
                    break;
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tlsnoop: {e}");
            ExitCode::from(1)
        }
    }
}

/// Prints why the interface could not be opened: exit 2 for a bad filter, 1 otherwise.
fn open_failed(e: &LiveError) -> ExitCode {
    eprintln!("tlsnoop: {e}");
    if e.is_permission() {
        let exe = std::env::current_exe()
            .ok()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "/path/to/tlsnoop".into());
        eprintln!(
            "tlsnoop: capturing needs root or the CAP_NET_RAW and CAP_NET_ADMIN capabilities; to let any user run it, grant them once:\n    sudo setcap cap_net_raw,cap_net_admin=eip {exe}"
        );
    }
    match e {
        LiveError::Filter { .. } => ExitCode::from(2),
        _ => ExitCode::from(1),
    }
}

fn cannot_create(p: &Path, e: &io::Error) -> ExitCode {
    eprintln!("tlsnoop: {}: cannot create: {e}", p.display());
    ExitCode::from(1)
}

/// Switches to `name`'s user and group ids (and its group alone), for good.
fn drop_privileges(name: &str) -> Result<(), String> {
    use nix::unistd::{setgid, setgroups, setuid, Uid, User};
    let user = User::from_name(name)
        .map_err(|e| format!("cannot look the user up: {e}"))?
        .ok_or_else(|| "no such user".to_string())?;
    if !Uid::effective().is_root() {
        return Err("only root can change to another user".into());
    }
    setgroups(&[user.gid]).map_err(|e| format!("setgroups: {e}"))?;
    setgid(user.gid).map_err(|e| format!("setgid: {e}"))?;
    setuid(user.uid).map_err(|e| format!("setuid: {e}"))?;
    if setuid(Uid::from_raw(0)).is_ok() {
        return Err("root privileges could be regained after setuid".into());
    }
    Ok(())
}
