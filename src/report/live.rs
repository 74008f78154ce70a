//! The live text report: one compact line per flow, written (and flushed) as each flow is
//! reported, for `tlsnoop live --format text`.
//!
//! ```text
//! 21:14:03.123  #1  127.0.0.1:53226 → 127.0.0.1:4433  server.test  TLS 1.3  TLS_AES_256_GCM_SHA384  established
//! 21:14:04.001  #2  127.0.0.1:42274 → 127.0.0.1:4437  server.test  -  -  FAILED protocol_version_mismatch: No common TLS version: …
//! ```
//!
//! Fields, separated by two spaces: time of the flow's first packet (UTC, milliseconds), id,
//! client → server, SNI, version, cipher suite (IANA name), verdict (the outcome, then the
//! diagnosis code and its one-sentence summary when there is one). An unknown field is `-`.
//! Network text is escaped for the terminal. The totals are not written here: `tlsnoop live`
//! prints them on standard error when it stops.

use super::escape::terminal;
use super::Sink;
use crate::record::{InputInfo, Negotiation, Outcome, Stats};
use anstyle::{AnsiColor, Style};
use std::io::{self, Write};

/// Writes one line per flow and flushes it.
pub struct LiveLineSink<W: Write> {
    out: W,
    color: bool,
}

impl<W: Write> LiveLineSink<W> {
    /// A sink writing to `out`, with ANSI colors on the verdict when `color`.
    pub fn new(out: W, color: bool) -> Self {
        LiveLineSink { out, color }
    }
}

/// The line for one flow, without colors and without the newline.
pub fn line(n: &Negotiation) -> String {
    let (verdict, _) = verdict(n);
    format!("{}  {verdict}", head(n))
}

fn head(n: &Negotiation) -> String {
    let t = n.first_seen.to_string();
    let time = t.get(11..23).unwrap_or(&t);
    let sni = n.sni.as_deref().map_or("-".into(), terminal);
    let version = n.version.map_or("-".to_string(), |v| v.name());
    let suite = n.cipher_suite.map_or("-".to_string(), |c| {
        c.iana()
            .map_or_else(|| format!("0x{:04x}", c.0), str::to_string)
    });
    format!(
        "{time}  #{}  {} → {}  {sni}  {version}  {suite}",
        n.id, n.client, n.server
    )
}

fn verdict(n: &Negotiation) -> (String, Style) {
    let (word, color) = match n.outcome {
        Outcome::Established => ("established", AnsiColor::Green),
        Outcome::Failed => ("FAILED", AnsiColor::Red),
        Outcome::Incomplete => ("incomplete", AnsiColor::Yellow),
    };
    let mut v = word.to_string();
    if n.resumed {
        v.push_str(" (resumed)");
    }
    if let Some(d) = &n.diagnosis {
        v.push_str(&format!(" {}: {}", d.code, terminal(&d.summary)));
    }
    (v, Style::new().fg_color(Some(color.into())).bold())
}

impl<W: Write> Sink for LiveLineSink<W> {
    fn flow(&mut self, n: &Negotiation) -> io::Result<()> {
        let (v, style) = verdict(n);
        if self.color {
            writeln!(
                self.out,
                "{}  {}{v}{}",
                head(n),
                style.render(),
                style.render_reset()
            )?;
        } else {
            writeln!(self.out, "{}  {v}", head(n))?;
        }
        self.out.flush()
    }

    fn finish(&mut self, _inputs: &[InputInfo], _stats: &Stats) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{CipherSuite, Diagnosis, Endpoint, Timestamp, Version};

    fn rec() -> Negotiation {
        let c = Endpoint {
            ip: "127.0.0.1".parse().unwrap(),
            port: 53226,
        };
        let s = Endpoint {
            ip: "127.0.0.1".parse().unwrap(),
            port: 4433,
        };
        let mut n = Negotiation::new(0, 1, Timestamp::new(1_700_000_000, 123_456_789), c, s);
        n.id = 7;
        n
    }

    #[test]
    fn established_and_failed_lines() {
        let mut n = rec();
        n.outcome = Outcome::Established;
        n.version = Some(Version(0x0304));
        n.cipher_suite = Some(CipherSuite(0x1302));
        n.sni = Some("server.test".into());
        assert_eq!(
            line(&n),
            "22:13:20.123  #7  127.0.0.1:53226 → 127.0.0.1:4433  server.test  TLS 1.3  TLS_AES_256_GCM_SHA384  established"
        );
        let mut n = rec();
        n.outcome = Outcome::Failed;
        n.sni = Some("evil\x1b[2J".into());
        n.diagnosis = Some(Diagnosis {
            code: "protocol_version_mismatch",
            summary: "No common TLS version.".into(),
            detail: String::new(),
            remediation: String::new(),
            evidence_frames: vec![],
        });
        let mut out = Vec::new();
        LiveLineSink::new(&mut out, false).flow(&n).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "22:13:20.123  #7  127.0.0.1:53226 → 127.0.0.1:4433  evil\\x1b[2J  -  -  FAILED protocol_version_mismatch: No common TLS version.\n"
        );
    }

    #[test]
    fn color_only_on_the_verdict() {
        let mut n = rec();
        n.outcome = Outcome::Incomplete;
        let mut out = Vec::new();
        LiveLineSink::new(&mut out, true).flow(&n).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(
            s.starts_with("22:13:20.123  #7  127.0.0.1:53226 → 127.0.0.1:4433  -  -  -  \x1b["),
            "{s:?}"
        );
        assert!(s.ends_with("incomplete\x1b[0m\n"), "{s:?}");
    }
}
