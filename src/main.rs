//! The command-line edge: arguments, outputs, error messages and exit codes. No packet logic.
#![forbid(unsafe_code)]

mod cli;
#[cfg(feature = "live")]
mod live;
mod progress;

use clap::Parser;
use cli::{Cli, ColorChoice, Command, ExplainArgs, FailOn, Format, PolicyChoice, ReadArgs};
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use tlsnoop::analysis::{certs::TrustStore, explain, policy::Policy};
use tlsnoop::engine::EngineOptions;
use tlsnoop::record::{Outcome, Severity};
use tlsnoop::report::{self, Rendered, RenderedRef, Sink, Tally};

/// mimalloc instead of glibc's malloc: a record is built from many small allocations (lists of
/// code points, names, certificate fields), and glibc's malloc and free were a sixth of a run's
/// instructions. mimalloc is C compiled by the `cc` crate, as `ring` already needs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = cli::with_default_command(std::env::args_os().collect());
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli.command {
        Command::Read(a) => read(a),
        Command::Explain(a) => explain_cmd(a),
        Command::Live(a) => live_cmd(a),
    }
}

#[cfg(feature = "live")]
fn live_cmd(a: cli::LiveArgs) -> ExitCode {
    live::run(a)
}

#[cfg(not(feature = "live"))]
fn live_cmd(_: cli::LiveArgs) -> ExitCode {
    eprintln!(
        "tlsnoop: live capture needs the `live` cargo feature, which links libpcap.\n\
         Build it with:\n    apt-get install -y libpcap-dev\n    cargo build --release --features live"
    );
    ExitCode::from(2)
}

/// The analysis policy named by `--policy`.
fn policy(p: PolicyChoice) -> Policy {
    match p {
        PolicyChoice::Modern => Policy::Modern,
        PolicyChoice::Intermediate => Policy::Intermediate,
        PolicyChoice::Old => Policy::Old,
    }
}

fn explain_cmd(a: ExplainArgs) -> ExitCode {
    match a.id {
        None => {
            for e in explain::ENTRIES {
                println!("{:<36} {}", e.id, e.meaning);
            }
            ExitCode::SUCCESS
        }
        Some(id) => match explain::lookup(&id) {
            Some(e) => {
                println!(
                    "{}\n  meaning:   {}\n  detection: {}\n  action:    {}",
                    e.id, e.meaning, e.detection, e.action
                );
                ExitCode::SUCCESS
            }
            None => {
                eprintln!(
                    "tlsnoop: unknown code or finding id {id:?}; `tlsnoop explain` lists them"
                );
                ExitCode::from(2)
            }
        },
    }
}

/// Whether a flow trips `--fail-on`.
fn trips(t: &Tally, on: FailOn) -> bool {
    let min = match on {
        FailOn::Failed => return t.outcome == Outcome::Failed,
        FailOn::High => Severity::High,
        FailOn::Medium => Severity::Medium,
        FailOn::Low => Severity::Low,
    };
    t.worst.is_some_and(|w| w >= min)
}

/// A sink that passes flows on and remembers whether one tripped `--fail-on`.
struct FailWatch<'a> {
    inner: &'a mut dyn Sink,
    on: Option<FailOn>,
    tripped: bool,
}

impl FailWatch<'_> {
    /// Notes a flow: `trips_on` says whether it trips the `--fail-on` given (asked only then).
    fn watch(&mut self, trips_on: impl FnOnce(FailOn) -> bool) {
        if self.on.is_some_and(trips_on) {
            self.tripped = true;
        }
    }
}

impl Sink for FailWatch<'_> {
    fn flow(&mut self, id: u64, r: RenderedRef<'_>) -> io::Result<()> {
        self.watch(|on| trips(r.tally, on));
        self.inner.flow(id, r)
    }
    fn flow_analysed(
        &mut self,
        n: &tlsnoop::record::Negotiation,
        render: &mut dyn report::Render,
        scratch: &mut Rendered,
    ) -> io::Result<()> {
        self.watch(|on| trips(&Tally::of(n), on));
        self.inner.flow_analysed(n, render, scratch)
    }
    fn finish(
        &mut self,
        inputs: &[tlsnoop::record::InputInfo],
        stats: &tlsnoop::record::Stats,
    ) -> io::Result<()> {
        self.inner.finish(inputs, stats)
    }
    fn share_writes(&mut self) -> Option<std::sync::Arc<dyn report::spool::Help>> {
        self.inner.share_writes()
    }
}

/// Reads `--ca-file` and `--system-roots` into a trust store (analysis itself does no I/O).
fn load_trust(ca_files: &[std::path::PathBuf], system: bool) -> Result<Option<TrustStore>, String> {
    let mut trust: Option<TrustStore> = None;
    let mut add = |t: TrustStore, from: &str| {
        for s in t.skipped() {
            eprintln!("tlsnoop: {from}: note: {s}; skipped");
        }
        trust.get_or_insert_with(TrustStore::default).merge(t);
    };
    for p in ca_files {
        let from = p.display().to_string();
        let bytes = std::fs::read(p).map_err(|e| format!("{from}: cannot read: {e}"))?;
        add(
            TrustStore::from_pem(&bytes).map_err(|e| format!("{from}: {e}"))?,
            &from,
        );
    }
    if system {
        let (path, bytes) = tlsnoop::analysis::certs::load_system_roots()?;
        add(
            TrustStore::public_from_pem(&bytes).map_err(|e| format!("{path}: {e}"))?,
            &path,
        );
    }
    Ok(trust)
}

/// Whether `f` (the `-o` file, or standard output) is `/dev/null`, the same device, whose writes
/// cost nothing: with several threads the reading thread then takes more of the flows
/// (`engine::pipeline`).
#[cfg(unix)]
fn is_dev_null(f: impl std::os::fd::AsFd) -> bool {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let meta = f
        .as_fd()
        .try_clone_to_owned()
        .and_then(|fd| std::fs::File::from(fd).metadata());
    match (meta, std::fs::metadata("/dev/null")) {
        (Ok(m), Ok(null)) => m.file_type().is_char_device() && m.rdev() == null.rdev(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn is_dev_null<T>(_f: T) -> bool {
    false
}

fn read(a: ReadArgs) -> ExitCode {
    let mut opts = EngineOptions {
        server_ports: a.analysis.server_ports.clone(),
        ..Default::default()
    };
    opts.limits = a.analysis.limits.to_limits();
    // Records come out at hundreds of MB/s: 128 KiB writes them in few system calls (4,000 for
    // the benchmark's 525 MB) and stays in the cache while it fills; with 1 MiB, each record's
    // copy into it missed the cache (cachegrind with a 2 MiB last level, first 300 MB, `-j 1`:
    // last-level data misses 12.61 M -> 11.00 M, writes 5.34 M -> 3.97 M). JSON lines are
    // gathered in chunks of as many bytes by their sink, which this buffer then passes through.
    const OUT_BUFFER: usize = report::LINE_CHUNK;
    // Send: with several threads, whichever has the time writes the output (report::spool).
    // Also whether the output is thrown away (`/dev/null`).
    let (out, is_tty, discarded): (Box<dyn Write + Send>, bool, bool) = match &a.output {
        Some(p) => match std::fs::File::create(p) {
            Ok(f) => {
                let null = is_dev_null(&f);
                (
                    Box::new(io::BufWriter::with_capacity(OUT_BUFFER, f)),
                    false,
                    null,
                )
            }
            Err(e) => {
                eprintln!("tlsnoop: {}: cannot create: {e}", p.display());
                return ExitCode::from(2);
            }
        },
        None => (
            Box::new(io::BufWriter::with_capacity(OUT_BUFFER, io::stdout())),
            io::stdout().is_terminal(),
            is_dev_null(io::stdout()),
        ),
    };
    let color = match a.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    let format = match a.format {
        Format::Text => report::Format::Text,
        Format::Json => report::Format::Json,
        Format::Jsonl => report::Format::Jsonl,
    };
    let (render, mut sink) = report::for_format(format, out, color);
    let trust = match load_trust(&a.analysis.ca_file, a.analysis.system_roots) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("tlsnoop: {e}");
            return ExitCode::from(2);
        }
    };
    let analysis = tlsnoop::analysis::Context {
        policy: policy(a.analysis.policy),
        trust,
    };
    let mut watch = FailWatch {
        inner: sink.as_mut(),
        on: a.fail_on,
        tripped: false,
    };
    let threads = a.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let mut bar = progress::Bar::for_inputs(&a.files, a.quiet);
    let mut on_progress = |p: &tlsnoop::engine::pipeline::Progress| bar.update(p);
    let run = tlsnoop::RunOptions {
        engine: &opts,
        ctx: &analysis,
        render: render.as_ref(),
        threads: threads.max(1),
        map_files: !a.no_mmap,
        output_discarded: discarded,
        progress: Some(&mut on_progress),
    };
    let result = tlsnoop::run(&a.files, run, &mut watch);
    bar.finish();
    let tripped = watch.tripped;
    match result {
        Ok(summary) => {
            for e in &summary.errors {
                eprintln!("tlsnoop: {}: {}", e.path, e.error);
            }
            if !a.quiet {
                for i in &summary.inputs {
                    for n in &i.notes {
                        if !n.starts_with("cannot be read") {
                            eprintln!(
                                "tlsnoop: {}: note: {}",
                                tlsnoop::report::escape::terminal(&i.path),
                                n
                            );
                        }
                    }
                }
            }
            if !summary.errors.is_empty() {
                ExitCode::from(1)
            } else if tripped {
                ExitCode::from(3)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tlsnoop: cannot write the report: {e}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(unix)]
    fn only_dev_null_counts_as_thrown_away() {
        let null = std::fs::File::create("/dev/null").unwrap();
        assert!(is_dev_null(&null));
        let path = std::env::temp_dir().join(format!("tlsnoop-null-test-{}", std::process::id()));
        let file = std::fs::File::create(&path).unwrap();
        assert!(!is_dev_null(&file), "a regular file");
        drop(file);
        std::fs::remove_file(&path).unwrap();
        if let Ok(zero) = std::fs::File::create("/dev/zero") {
            assert!(!is_dev_null(&zero), "another character device");
        }
    }
}
