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
use super::{Render, Rendered};
use crate::record::{Negotiation, Outcome};
use anstyle::{AnsiColor, Style};
use std::io::Write;

/// Renders one line per flow (written and flushed by [`super::LineSink`]).
pub struct LiveLineRender {
    color: bool,
}

impl LiveLineRender {
    /// A renderer with ANSI colors on the verdict when `color`.
    pub fn new(color: bool) -> Self {
        LiveLineRender { color }
    }
}

/// The line for one flow, without colors and without the newline.
pub fn line(n: &Negotiation) -> String {
    let (verdict, _) = verdict(n);
    format!("{}  {verdict}", head(n))
}

/// The line's start; the id's digits start at the second value returned.
fn head_and_id_at(n: &Negotiation) -> (String, usize) {
    let t = n.first_seen.to_string();
    let time = t.get(11..23).unwrap_or(&t);
    let sni = n.sni.as_deref().map_or("-".into(), terminal);
    let version = n.version.map_or("-".to_string(), |v| v.name());
    let suite = n.cipher_suite.map_or("-".to_string(), |c| {
        c.iana()
            .map_or_else(|| format!("0x{:04x}", c.0), str::to_string)
    });
    let id_at = time.len() + 3;
    (
        format!(
            "{time}  #{}  {} → {}  {sni}  {version}  {suite}",
            n.id, n.client, n.server
        ),
        id_at,
    )
}

fn head(n: &Negotiation) -> String {
    head_and_id_at(n).0
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

impl Render for LiveLineRender {
    fn append(&mut self, n: &Negotiation, r: &mut Rendered) {
        let (v, style) = verdict(n);
        let (head, id_at) = head_and_id_at(n);
        r.mark_id(r.bytes.len() + id_at, n.id);
        // Writing into a Vec cannot fail.
        let _ = if self.color {
            writeln!(
                r.bytes,
                "{head}  {}{v}{}",
                style.render(),
                style.render_reset()
            )
        } else {
            writeln!(r.bytes, "{head}  {v}")
        };
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

    /// The line as written for flow id 7.
    fn rendered(n: &Negotiation, color: bool) -> String {
        let mut n = n.clone();
        n.id = 0;
        let mut r = Rendered::default();
        LiveLineRender::new(color).render(&n, &mut r);
        let mut out = Vec::new();
        r.view().write_to(&mut out, 7).unwrap();
        String::from_utf8(out).unwrap()
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
        n.diagnosis = Some(Box::new(Diagnosis {
            code: "protocol_version_mismatch",
            summary: "No common TLS version.".into(),
            detail: String::new(),
            remediation: String::new(),
            evidence_frames: vec![],
        }));
        assert_eq!(
            rendered(&n, false),
            "22:13:20.123  #7  127.0.0.1:53226 → 127.0.0.1:4433  evil\\x1b[2J  -  -  FAILED protocol_version_mismatch: No common TLS version.\n"
        );
    }

    #[test]
    fn color_only_on_the_verdict() {
        let mut n = rec();
        n.outcome = Outcome::Incomplete;
        let s = rendered(&n, true);
        assert!(
            s.starts_with("22:13:20.123  #7  127.0.0.1:53226 → 127.0.0.1:4433  -  -  -  \x1b["),
            "{s:?}"
        );
        assert!(s.ends_with("incomplete\x1b[0m\n"), "{s:?}");
    }
}
