//! Reporters: they never parse and never see a packet; they only read the record.
//!
//! Each format is a [`Render`] (record → bytes, run in the worker thread that analysed the
//! flow, in parallel) and a [`Sink`] (rendered records in output order → the output, with the
//! ids and the end-of-run part), so that `--threads N` renders in parallel and writes the same
//! bytes as one thread.

pub mod escape;
pub mod json;
pub mod json_record;
pub mod live;
pub mod text;

use crate::record::{CipherSuite, InputInfo, Negotiation, Outcome, Severity, Stats, Version};
use std::io::{self, Write};

/// One finished record rendered to bytes, by whichever thread analysed it. Its id is not known
/// there: the bytes hold the record's own `id` field (0) at `id_at..id_at + id_len`, and
/// [`Rendered::write_to`] writes the real id in its place.
#[derive(Debug, Default, Clone)]
pub struct Rendered {
    /// The rendered record.
    pub bytes: Vec<u8>,
    /// Where the id digits start.
    pub id_at: usize,
    /// How many id digits are there.
    pub id_len: usize,
    /// What the record adds to summaries and the exit status.
    pub tally: Tally,
}

impl Rendered {
    /// Writes the record with `id` in place of the rendered one.
    pub fn write_to(&self, out: &mut dyn Write, id: u64) -> io::Result<()> {
        let (head, rest) = self.bytes.split_at(self.id_at.min(self.bytes.len()));
        out.write_all(head)?;
        out.write_all(itoa::Buffer::new().format(id).as_bytes())?;
        out.write_all(rest.get(self.id_len..).unwrap_or_default())
    }

    /// Notes the id's place: `digits_at` is where the decimal `id` was just written.
    pub fn mark_id(&mut self, digits_at: usize, id: u64) {
        self.id_at = digits_at;
        self.id_len = itoa::Buffer::new().format(id).len();
    }
}

/// What one record contributes to end-of-run summaries and to `--fail-on`.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// The outcome.
    pub outcome: Outcome,
    /// The most severe finding.
    pub worst: Option<Severity>,
    /// Negotiated version.
    pub version: Option<Version>,
    /// Negotiated cipher suite.
    pub suite: Option<CipherSuite>,
    /// Diagnosis code.
    pub diagnosis: Option<&'static str>,
    /// Finding ids.
    pub findings: Vec<&'static str>,
}

impl Tally {
    /// The tally of an analysed record.
    pub fn of(n: &Negotiation) -> Self {
        Tally {
            outcome: n.outcome,
            worst: n.findings.iter().map(|f| f.severity).max(),
            version: n.version,
            suite: n.cipher_suite,
            diagnosis: n.diagnosis.as_ref().map(|d| d.code),
            findings: n.findings.iter().map(|f| f.id).collect(),
        }
    }
}

/// Renders analysed records; one per worker thread, so it must not depend on other flows.
pub trait Render: Send {
    /// Renders `n` into `out.bytes` (cleared first) and marks where its id is.
    fn render(&mut self, n: &Negotiation, out: &mut Rendered);
}

/// Receives rendered records in output order with their ids, then the inputs and totals once
/// at the end.
pub trait Sink {
    /// One finished flow.
    fn flow(&mut self, id: u64, r: &Rendered) -> io::Result<()>;
    /// The end of the run.
    fn finish(&mut self, inputs: &[InputInfo], stats: &Stats) -> io::Result<()>;
}

/// Makes one renderer (per worker thread).
pub type MakeRender = dyn Fn() -> Box<dyn Render> + Sync;

/// A renderer and sink for `format`, writing to `out`.
pub fn for_format(
    format: Format,
    out: Box<dyn Write>,
    color: bool,
) -> (Box<MakeRender>, Box<dyn Sink>) {
    match format {
        Format::Text => (
            Box::new(move || Box::new(text::TextRender::new(color)) as Box<dyn Render>),
            Box::new(text::TextSink::new(out)),
        ),
        Format::Json => (
            Box::new(|| Box::new(json::JsonRender::document()) as Box<dyn Render>),
            Box::new(json::JsonSink::new(out)),
        ),
        Format::Jsonl => (
            Box::new(|| Box::new(json::JsonRender::lines()) as Box<dyn Render>),
            Box::new(LineSink::new(out, false)),
        ),
        Format::LiveText => (
            Box::new(move || Box::new(live::LiveLineRender::new(color)) as Box<dyn Render>),
            Box::new(LineSink::new(out, true)),
        ),
    }
}

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The text report (`read --format text`).
    Text,
    /// One JSON document.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// One text line per flow, flushed as it is written (`live --format text`).
    LiveText,
}

/// Writes each record as rendered, with nothing around it (JSON lines, live lines).
pub struct LineSink<W: Write> {
    out: W,
    flush_each: bool,
}

impl<W: Write> LineSink<W> {
    /// A sink writing to `out`; with `flush_each` every record is flushed at once.
    pub fn new(out: W, flush_each: bool) -> Self {
        LineSink { out, flush_each }
    }
}

impl<W: Write> Sink for LineSink<W> {
    fn flow(&mut self, id: u64, r: &Rendered) -> io::Result<()> {
        r.write_to(&mut self.out, id)?;
        if self.flush_each {
            self.out.flush()?;
        }
        Ok(())
    }

    fn finish(&mut self, _inputs: &[InputInfo], _stats: &Stats) -> io::Result<()> {
        self.out.flush()
    }
}
