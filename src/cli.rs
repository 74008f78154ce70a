//! Command-line parsing (clap derive). The only file that knows clap.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Passive TLS handshake analyzer: what each side offered and chose, the certificates, the
/// alerts and how far every handshake got, from a capture file.
#[derive(Debug, Parser)]
#[command(name = "tlsnoop", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read capture files (pcap, pcapng, optionally gzip-compressed). `tlsnoop FILE...` is the same.
    Read(ReadArgs),
    /// Capture live from an interface: one verdict per handshake as it happens (needs the `live`
    /// cargo feature and libpcap).
    Live(LiveArgs),
    /// Explain a diagnosis code or finding id; without one, list them all.
    Explain(ExplainArgs),
}

/// Arguments of `explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A diagnosis code (`no_shared_cipher`) or finding id (`cipher.rc4`).
    pub id: Option<String>,
}

/// `--policy`: which weaknesses count (after Mozilla's server-side TLS guidelines).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyChoice {
    /// TLS 1.3 only.
    Modern,
    /// TLS 1.2+, AEAD, forward secrecy.
    Intermediate,
    /// Legacy clients too.
    Old,
}

/// `--fail-on`: what makes the exit status 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// A finding of severity high.
    High,
    /// A finding of severity medium or higher.
    Medium,
    /// A finding of severity low or higher.
    Low,
    /// A failed handshake.
    Failed,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A readable report per flow and a summary.
    Text,
    /// One JSON document (schema tlsnoop/1).
    Json,
    /// One JSON object per flow per line.
    Jsonl,
}

/// When to use colors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colors when writing to a terminal and NO_COLOR is not set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Arguments of `read`.
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// Capture files; `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Use colors in the text report.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// No notes on standard error.
    #[arg(short, long)]
    pub quiet: bool,
    /// Largest handshake message, and handshake bytes buffered per direction (bytes).
    #[arg(long, value_name = "BYTES", default_value_t = 256 * 1024)]
    pub max_handshake_bytes: usize,
    /// Exit with status 3 when a flow has a finding of this severity or higher (or, with
    /// `failed`, a failed handshake).
    #[arg(long, value_enum, value_name = "WHAT")]
    pub fail_on: Option<FailOn>,
    /// Worker threads following the flows (default: the number of CPUs). The output is the
    /// same for any number.
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,
    /// Flow limits, policy and trust roots.
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

/// Arguments of `live` in a build without the `live` feature: anything is accepted, so that the
/// message saying how to build it is given whatever was asked.
#[cfg(not(feature = "live"))]
#[derive(Debug, Args)]
pub struct LiveArgs {
    /// Everything else.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

/// Arguments of `live`.
#[cfg(feature = "live")]
#[derive(Debug, Args)]
pub struct LiveArgs {
    /// Interface to capture on (`any` for all of them on Linux).
    #[arg(
        short,
        long,
        value_name = "IFACE",
        required_unless_present = "list_interfaces"
    )]
    pub interface: Option<String>,
    /// BPF capture filter, compiled by libpcap.
    #[arg(short, long, value_name = "BPF", default_value = "tcp")]
    pub filter: String,
    /// Output format: `text` is one line per flow; `jsonl` the same objects as `read --format jsonl`.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to FILE instead of standard output (created after --user takes effect).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Use colors in the text lines.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Stop after N flows have been reported.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
    /// Stop after SECS seconds.
    #[arg(long, value_name = "SECS", value_parser = positive_secs)]
    pub duration: Option<f64>,
    /// Also save every captured packet (after the filter) to FILE, a classic pcap that
    /// `tlsnoop read` reports the same way.
    #[arg(long, value_name = "FILE")]
    pub write_pcap: Option<PathBuf>,
    /// Bytes captured per packet at most.
    #[arg(long, value_name = "N", default_value_t = 262_144, value_parser = clap::value_parser!(u32).range(64..=262_144))]
    pub snaplen: u32,
    /// Kernel capture buffer in MiB.
    #[arg(long, value_name = "MB", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=2047))]
    pub buffer_size: u32,
    /// Put the interface in promiscuous mode (to see traffic not to or from this host).
    #[arg(long)]
    pub promisc: bool,
    /// List the interfaces that can be captured on, with their addresses, and exit.
    #[arg(long)]
    pub list_interfaces: bool,
    /// Seconds after its first TLS bytes after which a handshake still undecided is reported
    /// as it stands (usually incomplete).
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(i64).range(1..=86_400))]
    pub timeout: i64,
    /// After opening the interface, drop root privileges to this user (and its group).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// No banner and no totals on standard error.
    #[arg(short, long)]
    pub quiet: bool,
    /// Flow limits, policy and trust roots, as for `read`.
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

#[cfg(feature = "live")]
fn positive_secs(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!("{s:?} is not a positive number of seconds")),
    }
}

/// Turns `tlsnoop [OPTIONS] FILE...` into `tlsnoop read [OPTIONS] FILE...`.
pub fn with_default_command(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let first = args.get(1).and_then(|a| a.to_str()).map(str::to_string);
    let known = [
        "read",
        "live",
        "explain",
        "help",
        "-h",
        "--help",
        "-V",
        "--version",
    ];
    match first {
        Some(f) if known.contains(&f.as_str()) => {}
        None => {}
        Some(_) => args.insert(1, "read".into()),
    }
    args
}

/// Options shared by `read` and `live`: how flows are tracked and judged.
#[derive(Debug, Args)]
pub struct AnalysisArgs {
    /// Ports to take as servers when a capture starts mid-stream (TLS is detected by content on
    /// every port).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "PORTS",
        default_value = "443,8443,465,993,995,636,853,5061,3269,989,990,992,994"
    )]
    pub server_ports: Vec<u16>,
    /// Flows tracked at once; the oldest is reported early when full.
    #[arg(long, value_name = "N", default_value_t = 200_000)]
    pub max_flows: usize,
    /// Which weaknesses count as findings, and how severe (Mozilla's server-side TLS levels).
    #[arg(long, value_enum, default_value_t = PolicyChoice::Intermediate)]
    pub policy: PolicyChoice,
    /// PEM file of trusted roots (repeatable): a server chain that does not end at one of them
    /// gets cert.untrusted_root.
    #[arg(long = "ca-file", value_name = "PEM")]
    pub ca_file: Vec<std::path::PathBuf>,
    /// Trust the system's roots ($SSL_CERT_FILE, else the distribution's PEM bundle); chains to
    /// them are also held to the public CAs' 398-day limit.
    #[arg(long)]
    pub system_roots: bool,
}
