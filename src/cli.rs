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
// Made once per run: boxing the arguments would only add indirection. Without the `live`
// feature `LiveArgs` is small, and clippy then flags the size difference.
#[allow(clippy::large_enum_variant)]
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
    /// Exit with status 3 when a flow has a finding of this severity or higher (or, with
    /// `failed`, a failed handshake).
    #[arg(long, value_enum, value_name = "WHAT")]
    pub fail_on: Option<FailOn>,
    /// Threads in all (default: the number of CPUs): the reading thread follows a part of the
    /// flows itself, N - 1 workers the rest (with N > 1, one more inflates a gzip-compressed
    /// file). The output is the same for any number.
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,
    /// Read files with read() instead of mapping them into memory: slower, but a file that
    /// another program truncates while it is read gives a "file ends inside" note and the
    /// report of what was read, instead of stopping tlsnoop with exit status 1.
    #[arg(long)]
    pub no_mmap: bool,
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
    /// Resource limits.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// The resource limits (`tlsnoop::config::Limits`), for `read` and `live`. Each hit is a note
/// (on the flow, or on the input for the fragment pool) and a count in `stats.limits_hit`.
/// Sizes take a K, M or G suffix (KiB, MiB, GiB: 256K is 262144 bytes). The defaults here are
/// `Limits::default()`'s (a test checks that they agree).
#[derive(Debug, Args)]
#[command(next_help_heading = "Limits")]
pub struct LimitArgs {
    /// Connections tracked at once; when full the oldest is reported early.
    #[arg(long, value_name = "N", default_value = "200000",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_flows: u32,
    /// Memory for the open connections' own state (connection, TLS state, record so far);
    /// when over, the oldest are reported early.
    #[arg(long, value_name = "SIZE", default_value = "96M", value_parser = size)]
    pub max_flow_memory: usize,
    /// Handshake bytes buffered per direction for one message: a larger handshake message (a
    /// huge certificate chain) is skipped.
    #[arg(long, value_name = "SIZE", default_value = "256K", value_parser = size)]
    pub max_handshake_bytes: usize,
    /// Largest handshake message length accepted from its header [default: the
    /// --max-handshake-bytes value].
    #[arg(long, value_name = "SIZE", value_parser = size)]
    pub max_handshake_message: Option<usize>,
    /// Out-of-order bytes held per direction while waiting for a missing segment; then the
    /// hole is given up on.
    #[arg(long, value_name = "SIZE", default_value = "256K", value_parser = size)]
    pub max_ooo_bytes: usize,
    /// Bytes held for reassembly and handshakes over all connections; the one that goes over
    /// stops waiting for missing data.
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = size)]
    pub max_buffered: usize,
    /// Payload looked at per direction for TLS before a connection is taken as not TLS.
    #[arg(long, value_name = "SIZE", default_value = "64K", value_parser = size)]
    pub max_probe_bytes: usize,
    /// Certificates decoded per Certificate message.
    #[arg(long, value_name = "N", default_value = "32")]
    pub max_certificates: usize,
    /// Letters kept in a flow's history.
    #[arg(long, value_name = "N", default_value = "100")]
    pub max_history: usize,
    /// Notes kept per flow (the last says how many more were dropped).
    #[arg(long, value_name = "N", default_value = "32",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_notes: u32,
    /// Capture seconds without a packet after which a connection is finished and reported.
    #[arg(long, value_name = "SECS", default_value = "300")]
    pub idle_timeout: u32,
    /// Capture seconds without a packet after one side's FIN before the connection is finished.
    #[arg(long, value_name = "SECS", default_value = "30")]
    pub half_closed_timeout: u32,
    /// Bytes held by the IP fragment pool; the oldest incomplete datagrams are dropped to make
    /// room.
    #[arg(long, value_name = "SIZE", default_value = "4M", value_parser = size)]
    pub max_fragment_bytes: usize,
    /// Incomplete IP datagrams waiting for fragments at once; the oldest is dropped for a new one.
    #[arg(long, value_name = "N", default_value = "1024")]
    pub max_fragment_datagrams: usize,
    /// Capture seconds an incomplete IP datagram waits for its missing fragments.
    #[arg(long, value_name = "SECS", default_value = "30")]
    pub fragment_timeout: u32,
}

impl LimitArgs {
    /// The limits these flags set.
    pub fn to_limits(&self) -> tlsnoop::config::Limits {
        tlsnoop::config::Limits {
            max_ooo_bytes: self.max_ooo_bytes,
            max_handshake_bytes: self.max_handshake_bytes,
            max_handshake_message: self
                .max_handshake_message
                .unwrap_or(self.max_handshake_bytes),
            max_total_buffered: self.max_buffered,
            max_flows: self.max_flows as usize,
            max_flow_memory: self.max_flow_memory,
            max_probe_bytes: self.max_probe_bytes as u64,
            max_history: self.max_history,
            max_notes: self.max_notes as usize,
            max_certificates: self.max_certificates,
            idle_timeout_secs: i64::from(self.idle_timeout),
            half_closed_timeout_secs: i64::from(self.half_closed_timeout),
            max_fragment_bytes: self.max_fragment_bytes,
            max_fragment_datagrams: self.max_fragment_datagrams,
            fragment_timeout_secs: u64::from(self.fragment_timeout),
        }
    }
}

/// A size in bytes: a number, optionally followed by K, M or G (powers of 1024; `KiB`, `MiB`,
/// `GiB` and lowercase are accepted too).
fn size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let shift = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kib" => 10,
        "m" | "mib" => 20,
        "g" | "gib" => 30,
        _ => {
            return Err(format!(
                "{s:?} is not a size (a number, optionally with K, M or G)"
            ))
        }
    };
    let n: usize = num
        .parse()
        .map_err(|_| format!("{s:?} is not a size (a number, optionally with K, M or G)"))?;
    n.checked_mul(1usize << shift)
        .ok_or_else(|| format!("{s:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        let mut v = vec!["tlsnoop", "read"];
        v.extend_from_slice(args);
        v.push("x.pcap");
        Cli::try_parse_from(v)
    }

    fn limits(args: &[&str]) -> tlsnoop::config::Limits {
        match parse(args).expect("parses").command {
            Command::Read(r) => r.analysis.limits.to_limits(),
            _ => unreachable!(),
        }
    }

    /// Every flag the text summary names for a limit hit (`LimitsHit::hits`) is a real flag.
    #[test]
    fn limits_hit_names_real_flags() {
        let all = tlsnoop::record::LimitsHit {
            max_ooo_bytes: 1,
            max_handshake_bytes: 1,
            max_handshake_message: 1,
            max_total_buffered: 1,
            max_flows: 1,
            max_flow_memory: 1,
            max_probe_bytes: 1,
            max_history: 1,
            max_notes: 1,
            max_certificates: 1,
            idle_timeout: 1,
            half_closed_timeout: 1,
            max_fragment_bytes: 1,
            max_fragment_datagrams: 1,
            fragment_timeout: 1,
        };
        let hits = all.hits();
        assert_eq!(hits.len(), 15);
        for (flag, _) in hits {
            let arg = format!("{flag}=64");
            assert!(
                parse(&[arg.as_str()]).is_ok(),
                "{flag} is not a flag of read"
            );
        }
    }

    #[test]
    fn limit_flags_default_to_the_library_defaults() {
        assert_eq!(limits(&[]), tlsnoop::config::Limits::default());
    }

    #[test]
    fn limit_flags_set_every_limit() {
        let l = limits(&[
            "--max-flows=7",
            "--max-flow-memory=13M",
            "--max-handshake-bytes=1K",
            "--max-ooo-bytes=2k",
            "--max-buffered=3M",
            "--max-probe-bytes=4KiB",
            "--max-certificates=5",
            "--max-history=6",
            "--max-notes=8",
            "--idle-timeout=9",
            "--half-closed-timeout=10",
            "--max-fragment-bytes=1G",
            "--max-fragment-datagrams=11",
            "--fragment-timeout=12",
        ]);
        let want = tlsnoop::config::Limits {
            max_ooo_bytes: 2048,
            max_handshake_bytes: 1024,
            max_handshake_message: 1024,
            max_total_buffered: 3 << 20,
            max_flows: 7,
            max_flow_memory: 13 << 20,
            max_probe_bytes: 4096,
            max_history: 6,
            max_notes: 8,
            max_certificates: 5,
            idle_timeout_secs: 9,
            half_closed_timeout_secs: 10,
            max_fragment_bytes: 1 << 30,
            max_fragment_datagrams: 11,
            fragment_timeout_secs: 12,
        };
        assert_eq!(l, want);
        let l = limits(&["--max-handshake-bytes=64K", "--max-handshake-message=1500"]);
        assert_eq!(
            (l.max_handshake_bytes, l.max_handshake_message),
            (65536, 1500)
        );
    }

    #[test]
    fn bad_limits_are_usage_errors() {
        for bad in [
            "--max-flows=0",
            "--max-notes=0",
            "--max-ooo-bytes=12X",
            "--max-ooo-bytes=K",
            "--max-ooo-bytes=-1",
            "--max-buffered=99999999999999999999G",
            "--idle-timeout=-5",
        ] {
            assert!(parse(&[bad]).is_err(), "{bad}");
        }
        assert_eq!(size("262144"), Ok(262_144));
        assert_eq!(size("256K"), Ok(262_144));
        assert_eq!(size("64MiB"), Ok(64 << 20));
    }
}
