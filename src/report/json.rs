//! JSON sinks: `--format json` (one document) and `--format jsonl` (one FLOW object per line).
//!
//! The document is `{"schema":"tlsnoop/1","tool":{...},"flows":[...],"inputs":[...],
//! "stats":{...}}`. Flows are written as they finish, so memory does not grow with the capture;
//! that is why `inputs` and `stats` come after `flows` (JSON objects are unordered). Text from the
//! network is kept exactly: serde_json escapes what JSON requires, and invalid UTF-8 has already
//! been replaced with U+FFFD by the decoders. The schema is documented in the README.

use super::Sink;
use crate::record::{InputInfo, Negotiation, Stats, SCHEMA};
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

const TOOL: Tool = Tool {
    name: "tlsnoop",
    version: env!("CARGO_PKG_VERSION"),
};

/// Writes one JSON document.
pub struct JsonSink<W: Write> {
    out: W,
    flows: u64,
}

impl<W: Write> JsonSink<W> {
    /// A sink writing to `out`.
    pub fn new(out: W) -> Self {
        JsonSink { out, flows: 0 }
    }

    fn head(&mut self) -> io::Result<()> {
        write!(self.out, "{{\"schema\":\"{SCHEMA}\",\"tool\":")?;
        serde_json::to_writer(&mut self.out, &TOOL)?;
        write!(self.out, ",\"flows\":[")
    }
}

impl<W: Write> Sink for JsonSink<W> {
    fn flow(&mut self, n: &Negotiation) -> io::Result<()> {
        if self.flows == 0 {
            self.head()?;
        } else {
            self.out.write_all(b",")?;
        }
        self.out.write_all(b"\n")?;
        serde_json::to_writer(&mut self.out, n)?;
        self.flows += 1;
        Ok(())
    }

    fn finish(&mut self, inputs: &[InputInfo], stats: &Stats) -> io::Result<()> {
        if self.flows == 0 {
            self.head()?;
        }
        self.out.write_all(b"],\n\"inputs\":")?;
        serde_json::to_writer(&mut self.out, inputs)?;
        self.out.write_all(b",\n\"stats\":")?;
        serde_json::to_writer(&mut self.out, stats)?;
        self.out.write_all(b"}\n")?;
        self.out.flush()
    }
}

/// Writes one FLOW object per line, and nothing else.
pub struct JsonLinesSink<W: Write> {
    out: W,
    /// Each line is serialized here first and written with one call (serde_json's many small
    /// writes through a BufWriter cost more than the copy).
    line: Vec<u8>,
}

impl<W: Write> JsonLinesSink<W> {
    /// A sink writing to `out`.
    pub fn new(out: W) -> Self {
        JsonLinesSink {
            out,
            line: Vec::with_capacity(8192),
        }
    }
}

impl<W: Write> Sink for JsonLinesSink<W> {
    fn flow(&mut self, n: &Negotiation) -> io::Result<()> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, n)?;
        self.line.push(b'\n');
        self.out.write_all(&self.line)
    }

    fn finish(&mut self, _inputs: &[InputInfo], _stats: &Stats) -> io::Result<()> {
        self.out.flush()
    }
}
