//! The text report: one compact block per flow, then a summary. Network text is escaped.

use super::escape::terminal;
use super::{Render, Rendered, RenderedRef, Sink};
use crate::names;
use crate::record::{CertInfo, InputInfo, Negotiation, Outcome, Severity, Stats};
use anstyle::{AnsiColor, Style};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Renders one flow's block of the human-readable report.
pub struct TextRender {
    color: bool,
}

/// Writes the blocks in order, then the summary.
pub struct TextSink<W: Write> {
    out: W,
    versions: BTreeMap<String, u64>,
    suites: BTreeMap<String, u64>,
    diagnoses: BTreeMap<String, u64>,
    findings: BTreeMap<String, u64>,
}

const OFFER_SUITES_SHOWN: usize = 4;

impl TextRender {
    /// A renderer with ANSI colors when `color`.
    pub fn new(color: bool) -> Self {
        TextRender { color }
    }

    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }
}

fn field(out: &mut Vec<u8>, name: &str, value: &str) -> io::Result<()> {
    writeln!(out, "    {name:<13}{value}")
}

impl<W: Write> TextSink<W> {
    /// A sink writing to `out`.
    pub fn new(out: W) -> Self {
        TextSink {
            out,
            versions: BTreeMap::new(),
            suites: BTreeMap::new(),
            diagnoses: BTreeMap::new(),
            findings: BTreeMap::new(),
        }
    }
}

fn outcome_style(o: Outcome) -> Style {
    let c = match o {
        Outcome::Established => AnsiColor::Green,
        Outcome::Failed => AnsiColor::Red,
        Outcome::Incomplete => AnsiColor::Yellow,
    };
    Style::new().fg_color(Some(c.into())).bold()
}

fn severity_style(s: Severity) -> Style {
    let c = match s {
        Severity::High => AnsiColor::Red,
        Severity::Medium => AnsiColor::Yellow,
        Severity::Low => AnsiColor::Cyan,
        Severity::Info => AnsiColor::White,
    };
    Style::new().fg_color(Some(c.into()))
}

fn hex_name(id: u16, name: Option<&str>) -> String {
    match name {
        Some(n) => n.to_string(),
        None if names::is_grease(id) => "GREASE".to_string(),
        None => format!("0x{id:04x}"),
    }
}

fn offer_summary(n: &Negotiation) -> Option<String> {
    let ch = n.client_hello.as_ref()?;
    let versions: Vec<String> = if ch.versions.is_empty() {
        vec![format!(
            "up to {}",
            crate::record::Version(ch.legacy_version).name()
        )]
    } else {
        ch.versions
            .iter()
            .filter(|v| !names::is_grease(**v))
            .map(|v| crate::record::Version(*v).name())
            .collect()
    };
    let suites: Vec<String> = ch
        .cipher_suites
        .iter()
        .filter(|s| !names::is_grease(**s))
        .take(OFFER_SUITES_SHOWN)
        .map(|s| hex_name(*s, names::cipher_suite_name(*s)))
        .collect();
    let more = ch.cipher_suites.len().saturating_sub(suites.len());
    let mut s = format!(
        "{}; {}: {}{}",
        versions.join(", "),
        names::count(ch.cipher_suites.len() as u64, "suite"),
        suites.join(", "),
        if more > 0 {
            format!(", +{more} more")
        } else {
            String::new()
        }
    );
    let groups: Vec<String> = ch
        .groups
        .iter()
        .filter(|g| !names::is_grease(**g))
        .map(|g| hex_name(*g, names::group(*g)))
        .collect();
    if !groups.is_empty() {
        s.push_str(&format!("; groups {}", groups.join(", ")));
    }
    if !ch.alpn.is_empty() {
        let alpn: Vec<String> = ch.alpn.iter().map(|a| terminal(a).into_owned()).collect();
        s.push_str(&format!("; alpn {}", alpn.join(", ")));
    }
    if ch.sslv2_format {
        s.push_str(" (SSLv2-format hello)");
    }
    Some(s)
}

fn cert_line(i: usize, c: &CertInfo) -> String {
    if let Some(e) = &c.parse_error {
        return format!(
            "[{i}] unparseable certificate ({} bytes, sha256 {}): {}",
            c.der_len,
            c.sha256,
            terminal(e)
        );
    }
    let key = c
        .key
        .as_ref()
        .map_or("key ?".to_string(), |k| match (k.bits, &k.curve) {
            (_, Some(curve)) => format!("{} {curve}", k.kind),
            (Some(b), None) => format!("{} {b}", k.kind),
            (None, None) => k.kind.clone(),
        });
    format!(
        "[{i}] {}  issuer {}  not after {}  {}",
        terminal(c.subject.as_deref().unwrap_or("?")),
        terminal(c.issuer.as_deref().unwrap_or("?")),
        c.not_after.as_deref().unwrap_or("?"),
        key
    )
}

impl Render for TextRender {
    fn append(&mut self, n: &Negotiation, out: &mut Rendered) {
        // Writing into a Vec cannot fail.
        let _ = self.block(n, out);
    }
}

impl TextRender {
    fn block(&self, n: &Negotiation, r: &mut Rendered) -> io::Result<()> {
        let dur = n.last_seen.seconds_since(n.first_seen);
        let bold = Style::new().bold();
        let pre = if self.color {
            bold.render().to_string()
        } else {
            String::new()
        };
        r.mark_id(r.bytes.len() + pre.len() + 1, n.id);
        let head = format!("#{}  {} → {}", n.id, n.client, n.server);
        let head = self.paint(bold, &head);
        let out = &mut r.bytes;
        writeln!(
            out,
            "{head}  frame {}  {}  ({dur:.3} s)",
            n.first_frame, n.first_seen
        )?;
        let mut outcome = n.outcome.as_str().to_uppercase();
        if n.resumed {
            outcome.push_str(", resumed");
        }
        if n.hello_retry_request {
            outcome.push_str(", after HelloRetryRequest");
        }
        let outcome = self.paint(outcome_style(n.outcome), &outcome);
        match &n.diagnosis {
            Some(d) => {
                field(
                    out,
                    "verdict",
                    &format!("{outcome} — {}", terminal(&d.summary)),
                )?;
                field(out, "why", &terminal(&d.detail))?;
                field(out, "fix", &terminal(&d.remediation))?;
            }
            None => field(out, "verdict", &outcome)?,
        }
        if let Some(v) = n.version {
            field(out, "version", &v.name())?;
        }
        if let Some(cs) = n.cipher_suite {
            let iana = cs.iana().unwrap_or("unknown");
            let line = match cs.openssl() {
                Some(o) if o != iana => format!("0x{:04x} {iana} (OpenSSL {o})", cs.0),
                _ => format!("0x{:04x} {iana}", cs.0),
            };
            field(out, "cipher", &line)?;
        }
        if let Some(g) = &n.group {
            field(out, "group", g)?;
        }
        if let Some(s) = &n.sni {
            field(out, "sni", &terminal(s))?;
        }
        if let Some(a) = &n.alpn {
            field(out, "alpn", &terminal(a))?;
        }
        if let Some(o) = offer_summary(n) {
            field(out, "client offer", &o)?;
        }
        for (label, certs) in [
            ("certificates", &n.certificates),
            ("client certs", &n.client_certificates),
        ] {
            for (i, c) in certs.iter().enumerate() {
                let line = cert_line(i, c);
                field(out, if i == 0 { label } else { "" }, &line)?;
            }
        }
        for (i, a) in n.alerts.iter().enumerate() {
            let what = if a.encrypted {
                "encrypted alert".to_string()
            } else {
                format!(
                    "{} {}",
                    a.level.as_deref().unwrap_or("?"),
                    a.description.as_deref().unwrap_or("?")
                )
            };
            let line = format!("{} sent {what} (frame {})", a.from.as_str(), a.frame);
            field(out, if i == 0 { "alerts" } else { "" }, &line)?;
        }
        if let Some(c) = &n.close {
            let kind = match c.kind {
                crate::record::CloseKind::Fin => "FIN",
                crate::record::CloseKind::Rst => "RST",
            };
            let when = if c.during_handshake {
                " during the handshake"
            } else {
                ""
            };
            field(
                out,
                "closed",
                &format!("{} sent {kind}{when} (frame {})", c.from.as_str(), c.frame),
            )?;
        }
        for (i, f) in n.findings.iter().enumerate() {
            let sev = self.paint(severity_style(f.severity), f.severity.as_str());
            let line = format!("[{sev}] {}: {}", f.id, terminal(&f.message));
            field(out, if i == 0 { "findings" } else { "" }, &line)?;
        }
        if let Some(fp) = &n.fingerprints {
            let parts: Vec<String> = [("ja3", &fp.ja3), ("ja4", &fp.ja4), ("ja3s", &fp.ja3s)]
                .iter()
                .filter_map(|(k, v)| v.as_deref().map(|v| format!("{k} {v}")))
                .collect();
            if !parts.is_empty() {
                field(out, "fingerprints", &parts.join("  "))?;
            }
        }
        field(out, "history", &n.history)?;
        for (i, note) in n.notes.iter().enumerate() {
            field(out, if i == 0 { "notes" } else { "" }, &terminal(note))?;
        }
        writeln!(out)
    }
}

impl<W: Write> Sink for TextSink<W> {
    fn flow(&mut self, id: u64, r: RenderedRef<'_>) -> io::Result<()> {
        r.write_to(&mut self.out, id)?;
        let t = r.tally;
        if let Some(d) = t.diagnosis {
            *self.diagnoses.entry(d.to_string()).or_default() += 1;
        }
        if let Some(v) = t.version {
            *self.versions.entry(v.name()).or_default() += 1;
        }
        if let Some(cs) = t.suite {
            *self
                .suites
                .entry(cs.iana().unwrap_or("unknown").to_string())
                .or_default() += 1;
        }
        for f in &t.findings {
            *self.findings.entry((*f).to_string()).or_default() += 1;
        }
        Ok(())
    }

    fn finish(&mut self, inputs: &[InputInfo], stats: &Stats) -> io::Result<()> {
        for i in inputs {
            for note in &i.notes {
                writeln!(self.out, "note: {}: {}", terminal(&i.path), terminal(note))?;
            }
        }
        writeln!(
            self.out,
            "{}: {} established, {} failed, {} incomplete ({}, {})",
            names::count(stats.tls_flows, "TLS flow"),
            stats.established,
            stats.failed,
            stats.incomplete,
            names::count(stats.tcp_flows, "TCP flow"),
            names::count(stats.packets, "packet")
        )?;
        let join = |m: &BTreeMap<String, u64>| {
            let mut v: Vec<(&String, &u64)> = m.iter().collect();
            v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            v.iter()
                .map(|(k, n)| format!("{k} ×{n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !self.versions.is_empty() {
            writeln!(self.out, "  versions: {}", join(&self.versions))?;
        }
        if !self.suites.is_empty() {
            writeln!(self.out, "  cipher suites: {}", join(&self.suites))?;
        }
        if !self.diagnoses.is_empty() {
            writeln!(self.out, "  diagnoses: {}", join(&self.diagnoses))?;
        }
        if !self.findings.is_empty() {
            writeln!(self.out, "  findings: {}", join(&self.findings))?;
        }
        let hits = stats.limits_hit.hits();
        if !hits.is_empty() {
            let list: Vec<String> = hits.iter().map(|(f, n)| format!("{f} ×{n}")).collect();
            writeln!(
                self.out,
                "  limits hit: {} (each also a note on its flow or input)",
                list.join(", ")
            )?;
        }
        self.out.flush()
    }

    /// The report is written as it goes, through the output's own buffer.
    fn share_writes(&mut self) -> Option<std::sync::Arc<dyn super::spool::Help>> {
        None
    }
}
