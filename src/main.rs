//! The command-line edge: arguments, outputs, error messages and exit codes. No packet logic.

mod cli;

use clap::Parser;
use cli::{Cli, ColorChoice, Command, Format, ReadArgs};
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use tlsnoop::engine::EngineOptions;
use tlsnoop::report::{json, text, Sink};

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
        Command::Live(_) if cfg!(feature = "live") => {
            eprintln!("tlsnoop: live capture is not implemented in this version yet; read a capture file instead (tcpdump -w FILE, then tlsnoop FILE)");
            ExitCode::from(2)
        }
        Command::Live(_) => {
            eprintln!(
                "tlsnoop: live capture needs the `live` cargo feature, which links libpcap.\n\
                 Build it with:\n    apt-get install -y libpcap-dev\n    cargo build --release --features live"
            );
            ExitCode::from(2)
        }
    }
}

fn read(a: ReadArgs) -> ExitCode {
    let mut opts = EngineOptions {
        server_ports: a.server_ports.clone(),
        ..Default::default()
    };
    opts.limits.max_handshake_bytes = a.max_handshake_bytes;
    opts.limits.max_handshake_message = a.max_handshake_bytes;
    opts.limits.max_flows = a.max_flows.max(1);
    let (out, is_tty): (Box<dyn Write>, bool) = match &a.output {
        Some(p) => match std::fs::File::create(p) {
            Ok(f) => (Box::new(io::BufWriter::new(f)), false),
            Err(e) => {
                eprintln!("tlsnoop: {}: cannot create: {e}", p.display());
                return ExitCode::from(2);
            }
        },
        None => (
            Box::new(io::BufWriter::new(io::stdout().lock())),
            io::stdout().is_terminal(),
        ),
    };
    let color = match a.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    let mut sink: Box<dyn Sink> = match a.format {
        Format::Text => Box::new(text::TextSink::new(out, color)),
        Format::Json => Box::new(json::JsonSink::new(out)),
        Format::Jsonl => Box::new(json::JsonLinesSink::new(out)),
    };
    let analysis = tlsnoop::analysis::Context::default();
    match tlsnoop::run(&a.files, &opts, &analysis, sink.as_mut()) {
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
            if summary.errors.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tlsnoop: cannot write the report: {e}");
            ExitCode::from(1)
        }
    }
}
