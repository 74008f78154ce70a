//! JSON output: `--format json` (one document) and `--format jsonl` (one FLOW object per line,
//! written by [`super::LineSink`]).
//!
//! The document is `{"schema":"tlsnoop/1","tool":{...},"flows":[...],"inputs":[...],
//! "stats":{...}}`. Flows are written as they finish, so memory does not grow with the capture;
//! that is why `inputs` and `stats` come after `flows` (JSON objects are unordered). Text from the
//! network is kept exactly: serde_json escapes what JSON requires, and invalid UTF-8 has already
//! been replaced with U+FFFD by the decoders. The schema is documented in the README.

use super::{Render, Rendered, RenderedRef, Sink};
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

/// Renders a record as one JSON object: followed by a newline for `--format jsonl`.
pub struct JsonRender {
    newline: bool,
}

impl JsonRender {
    /// For `--format json`: the object alone.
    pub fn document() -> Self {
        JsonRender { newline: false }
    }

    /// For `--format jsonl`: the object and a newline.
    pub fn lines() -> Self {
        JsonRender { newline: true }
    }
}

/// `{"id":` : the record's first key, whose value is where the id goes.
const ID_PREFIX: &[u8] = b"{\"id\":";

impl Render for JsonRender {
    fn append(&mut self, n: &Negotiation, out: &mut Rendered) {
        let start = out.bytes.len();
        // Written by hand, byte for byte as serde_json would (see json_record.rs for why).
        super::json_record::write_record(n, &mut out.bytes);
        debug_assert!(
            out.bytes
                .get(start..)
                .is_some_and(|b| b.starts_with(ID_PREFIX)),
            "id is the first key"
        );
        out.mark_id(start + ID_PREFIX.len(), n.id);
        if self.newline {
            out.bytes.push(b'\n');
        }
    }
}

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
    fn flow(&mut self, id: u64, r: RenderedRef<'_>) -> io::Result<()> {
        if self.flows == 0 {
            self.head()?;
        } else {
            self.out.write_all(b",")?;
        }
        self.out.write_all(b"\n")?;
        r.write_to(&mut self.out, id)?;
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

    /// The document is written as it goes, through the output's own buffer.
    fn share_writes(&mut self) -> Option<std::sync::Arc<dyn super::spool::Help>> {
        None
    }
}
