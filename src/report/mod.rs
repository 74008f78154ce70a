//! Reporters: sinks that render finished negotiation records. They never parse and never see a
//! packet; they only read the record.

pub mod escape;
pub mod json;
pub mod live;
pub mod text;

use crate::record::{InputInfo, Negotiation, Stats};
use std::io;

/// Receives records as flows finish, then the inputs and totals once at the end.
pub trait Sink {
    /// One finished flow, in order of first packet.
    fn flow(&mut self, n: &Negotiation) -> io::Result<()>;
    /// The end of the run.
    fn finish(&mut self, inputs: &[InputInfo], stats: &Stats) -> io::Result<()>;
}
