//! Reporters: they never parse and never see a packet; they only read the record.
//!
//! Each format is a [`Render`] (record → bytes, run in the worker thread that analysed the
//! flow, in parallel) and a [`Sink`] (rendered records in output order → the output, with the
//! ids and the end-of-run part), so that `--threads N` renders in parallel and writes the same
//! bytes as one thread.

pub mod arena;
pub mod escape;
pub mod json;
pub mod json_record;
pub mod live;
pub mod spool;
pub mod text;

use crate::record::{CipherSuite, InputInfo, Negotiation, Outcome, Severity, Stats, Version};
use std::io::{self, Write};
use std::sync::Arc;

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
    /// The record as a sink is given it.
    pub fn view(&self) -> RenderedRef<'_> {
        RenderedRef {
            bytes: &self.bytes,
            id_at: self.id_at,
            id_len: self.id_len,
            tally: &self.tally,
        }
    }

    /// Notes the id's place: `digits_at` is where the decimal `id` was just written.
    pub fn mark_id(&mut self, digits_at: usize, id: u64) {
        self.id_at = digits_at;
        self.id_len = itoa::Buffer::new().format(id).len();
    }
}

/// A rendered record as a [`Sink`] is given it: its bytes (in a [`Rendered`] of its own, or in
/// an [`arena::Arena`] with others), where its id goes in them, its tally.
#[derive(Debug, Clone, Copy)]
pub struct RenderedRef<'a> {
    /// The rendered record.
    pub bytes: &'a [u8],
    /// Where the id digits start in `bytes`.
    pub id_at: usize,
    /// How many id digits are there.
    pub id_len: usize,
    /// What the record adds to summaries and the exit status.
    pub tally: &'a Tally,
}

impl RenderedRef<'_> {
    /// Writes the record with `id` in place of the rendered one.
    pub fn write_to(&self, out: &mut dyn Write, id: u64) -> io::Result<()> {
        let (head, rest) = self.bytes.split_at(self.id_at.min(self.bytes.len()));
        out.write_all(head)?;
        out.write_all(itoa::Buffer::new().format(id).as_bytes())?;
        out.write_all(rest.get(self.id_len..).unwrap_or_default())
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
    /// Renders `n` after the bytes `out.bytes` holds and marks where its id is in them.
    fn append(&mut self, n: &Negotiation, out: &mut Rendered);

    /// Renders `n` into `out.bytes` (cleared first) and marks where its id is.
    fn render(&mut self, n: &Negotiation, out: &mut Rendered) {
        out.bytes.clear();
        self.append(n, out);
    }
}

/// Receives rendered records in output order with their ids, then the inputs and totals once
/// at the end.
pub trait Sink {
    /// One finished flow.
    fn flow(&mut self, id: u64, r: RenderedRef<'_>) -> io::Result<()>;

    /// One finished flow not rendered yet, whose `id` is already its id in the output:
    /// rendered with `render`, into `scratch` unless the sink has a buffer of its own to
    /// render into (then nothing is copied).
    fn flow_analysed(
        &mut self,
        n: &Negotiation,
        render: &mut dyn Render,
        scratch: &mut Rendered,
    ) -> io::Result<()> {
        render.render(n, scratch);
        scratch.tally = Tally::of(n);
        self.flow(n.id, scratch.view())
    }

    /// The end of the run.
    fn finish(&mut self, inputs: &[InputInfo], stats: &Stats) -> io::Result<()>;

    /// Lets the other threads of a run write this sink's output while they would wait (see
    /// [`spool`]): the handle they help through, or `None` for a sink that writes its output
    /// itself. (No default: a sink that wraps another must pass this on.)
    fn share_writes(&mut self) -> Option<Arc<dyn spool::Help>>;
}

/// Makes one renderer (per worker thread).
pub type MakeRender = dyn Fn() -> Box<dyn Render> + Sync;

/// A renderer and sink for `format`, writing to `out`.
pub fn for_format(
    format: Format,
    out: Box<dyn Write + Send>,
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
        Format::LiveJsonl => (
            Box::new(|| Box::new(json::JsonRender::lines()) as Box<dyn Render>),
            Box::new(LineSink::new(out, true)),
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
    /// One JSON object per line, each flushed as it is written (`live --format jsonl`).
    LiveJsonl,
    /// One text line per flow, flushed as it is written (`live --format text`).
    LiveText,
}

/// Writes each record as rendered, with nothing around it (JSON lines, live lines).
///
/// Records are gathered in a buffer of its own and written [`LINE_CHUNK`] at a time, and a
/// record not rendered yet is rendered straight into it ([`Sink::flow_analysed`]): written
/// through the output's `BufWriter`, each of the benchmark's 525 MB of records was copied once
/// more (2% of a one-thread run). With several threads the chunks are queued for whichever
/// thread has the time to write them ([`Sink::share_writes`], [`spool`]).
pub struct LineSink<W: Write> {
    out: Arc<spool::Spool<W>>,
    /// Chunks are queued for other threads to write (`share_writes`); else written at once.
    shared: bool,
    flush_each: bool,
    /// Records not written yet (its id marks, those of the last record rendered into it, are
    /// not used: a renderer appends to a `Rendered`).
    buf: Rendered,
}

/// Bytes [`LineSink`] gathers before it writes them: a buffer that stays in the cache while it
/// fills (the output's `BufWriter`, as large, passes such writes through).
pub const LINE_CHUNK: usize = 128 << 10;

impl<W: Write> LineSink<W> {
    /// A sink writing to `out`; with `flush_each` every record is flushed at once.
    pub fn new(out: W, flush_each: bool) -> Self {
        LineSink {
            out: Arc::new(spool::Spool::new(out)),
            shared: false,
            flush_each,
            buf: Rendered {
                bytes: Vec::with_capacity(LINE_CHUNK + (16 << 10)),
                ..Default::default()
            },
        }
    }

    /// Writes (or queues) what is gathered when it is a chunk, or at once with `flush_each`.
    fn written(&mut self) -> io::Result<()> {
        if self.flush_each {
            self.out.write_now(&self.buf.bytes)?;
            self.buf.bytes.clear();
            self.out.flush()
        } else if self.buf.bytes.len() < LINE_CHUNK {
            Ok(())
        } else if self.shared {
            self.out.push(&mut self.buf.bytes)
        } else {
            self.out.write_now(&self.buf.bytes)?;
            self.buf.bytes.clear();
            Ok(())
        }
    }
}

impl<W: Write + Send + 'static> Sink for LineSink<W> {
    fn flow(&mut self, id: u64, r: RenderedRef<'_>) -> io::Result<()> {
        r.write_to(&mut self.buf.bytes, id)?;
        self.written()
    }

    fn flow_analysed(
        &mut self,
        n: &Negotiation,
        render: &mut dyn Render,
        _scratch: &mut Rendered,
    ) -> io::Result<()> {
        render.append(n, &mut self.buf);
        self.written()
    }

    fn finish(&mut self, _inputs: &[InputInfo], _stats: &Stats) -> io::Result<()> {
        self.out.write_now(&self.buf.bytes)?;
        self.buf.bytes.clear();
        self.out.flush()
    }

    /// Live output is flushed record by record and is not shared.
    fn share_writes(&mut self) -> Option<Arc<dyn spool::Help>> {
        if self.flush_each {
            return None;
        }
        self.shared = true;
        Some(Arc::clone(&self.out) as Arc<dyn spool::Help>)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Endpoint, Timestamp};

    fn record(id: u64) -> Negotiation {
        let ep = |port| Endpoint {
            ip: "192.0.2.1".parse().unwrap(),
            port,
        };
        let mut n = Negotiation::new(0, id, Timestamp::new(1_700_000_000, 0), ep(40000), ep(443));
        n.id = id;
        n
    }

    /// Records handed over rendered and rendered in place come out in the order given, with
    /// their ids, as each would be written alone; only whole chunks are written before the end.
    #[test]
    fn a_line_sink_gathers_records_rendered_or_not_in_order() {
        let mut render = json::JsonRender::lines();
        // As a worker renders it: its text holds the id 0.
        let unnumbered = |n: &Negotiation| {
            let mut n = n.clone();
            n.id = 0;
            let mut r = Rendered::default();
            json::JsonRender::lines().render(&n, &mut r);
            r
        };
        let mut want = Vec::new();
        let out = {
            let mut sink = LineSink::new(Vec::new(), false);
            let mut scratch = Rendered::default();
            let mut i = 0u64;
            while want.len() < 3 * LINE_CHUNK {
                i += 1;
                let n = record(i);
                unnumbered(&n).view().write_to(&mut want, i).unwrap();
                if i % 3 == 0 {
                    sink.flow(i, unnumbered(&n).view()).unwrap();
                } else {
                    sink.flow_analysed(&n, &mut render, &mut scratch).unwrap();
                }
            }
            sink.finish(&[], &Stats::default()).unwrap();
            sink.out.output(Vec::clone)
        };
        assert_eq!(
            String::from_utf8(out).unwrap(),
            String::from_utf8(want).unwrap()
        );
    }

    #[test]
    fn a_line_sink_writes_whole_chunks_until_the_end_or_each_record_when_asked() {
        let mut render = json::JsonRender::lines();
        let mut scratch = Rendered::default();
        let mut sink = LineSink::new(Vec::new(), false);
        sink.flow_analysed(&record(1), &mut render, &mut scratch)
            .unwrap();
        assert!(
            sink.out.output(Vec::is_empty),
            "one record waits for a chunk"
        );
        let mut i = 1;
        while sink.out.output(Vec::is_empty) {
            i += 1;
            assert!(i < 1_000, "a chunk is written once gathered");
            sink.flow_analysed(&record(i), &mut render, &mut scratch)
                .unwrap();
        }
        assert!(sink.out.output(Vec::len) >= LINE_CHUNK && sink.buf.bytes.is_empty());
        let mut live = LineSink::new(Vec::new(), true);
        live.flow_analysed(&record(1), &mut render, &mut scratch)
            .unwrap();
        assert!(live.out.output(|o| o.ends_with(b"}\n")), "written at once");
        assert!(live.share_writes().is_none(), "live output is not shared");
    }

    /// Once shared, whole chunks wait for a thread that helps (or for too many waiting, or
    /// the end), and go out in order.
    #[test]
    fn a_shared_line_sink_leaves_its_chunks_to_helpers_in_order() {
        let mut render = json::JsonRender::lines();
        let mut scratch = Rendered::default();
        let mut sink = LineSink::new(Vec::new(), false);
        let help = sink.share_writes().expect("JSON lines are shared");
        let mut want = Vec::new();
        let mut i = 0;
        while sink.out.output(Vec::is_empty) {
            i += 1;
            assert!(i < 100_000, "too many chunks waiting are written");
            let n = record(i);
            render.render(&n, &mut scratch);
            want.extend_from_slice(&scratch.bytes);
            sink.flow_analysed(&n, &mut render, &mut scratch).unwrap();
        }
        let chunks = want.len() / LINE_CHUNK;
        assert!(
            chunks > spool::WAITING_MAX,
            "{chunks} chunks gathered first"
        );
        let before = sink.out.output(Vec::len);
        assert!(help.help(), "a helper writes a waiting chunk");
        assert!(sink.out.output(Vec::len) > before);
        sink.finish(&[], &Stats::default()).unwrap();
        assert_eq!(sink.out.output(Vec::clone), want);
    }
}
