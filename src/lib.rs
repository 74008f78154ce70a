//! tlsnoop: a passive TLS handshake analyzer.
//!
//! Data flows one way: [`capture`] → [`decode`] → [`flow`] → [`tls`] → [`record`] → [`report`].
//! [`engine`] alone wires the stages; [`record`], [`names`] and [`config`] are the shared
//! vocabulary.
// No unsafe code, but for the one module that maps capture files (`capture::mapped`, whose
// documentation says why and what it risks).
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod analysis;
pub mod capture;
pub mod compat;
pub mod config;
pub mod decode;
pub mod engine;
pub mod flow;
pub mod names;
pub mod record;
pub mod report;
pub mod tls;

use record::{InputInfo, Stats};
use report::Sink;

/// An input that could not be read at all.
#[derive(Debug)]
pub struct InputError {
    /// The path as given.
    pub path: String,
    /// Why.
    pub error: capture::CaptureError,
}

/// What a run produced besides the records.
#[derive(Debug, Default)]
pub struct RunSummary {
    /// One entry per input, in order.
    pub inputs: Vec<InputInfo>,
    /// Totals.
    pub stats: Stats,
    /// Inputs that could not be read.
    pub errors: Vec<InputError>,
}

/// How to run: engine options, analysis context, renderer, threads and progress.
pub struct RunOptions<'a> {
    /// Engine options (limits, server ports).
    pub engine: &'a engine::EngineOptions,
    /// Analysis context (policy, trust roots).
    pub ctx: &'a analysis::Context,
    /// Makes one renderer per thread for the chosen format.
    pub render: &'a report::MakeRender,
    /// Worker threads (`--threads`); 1 runs everything on the calling thread.
    pub threads: usize,
    /// Map regular files into memory instead of reading them (`read` unless `--no-mmap`; see
    /// [`capture::read_capture_until`]).
    pub map_files: bool,
    /// The output is thrown away (`/dev/null`): writing it costs the reading thread nothing,
    /// so with several threads it takes more of the flows (see `engine::pipeline::Job`).
    pub output_discarded: bool,
    /// Called every so often while reading (a progress display).
    pub progress: Option<&'a mut dyn FnMut(&engine::pipeline::Progress)>,
}

/// Reads every input in turn, analyses each finished flow and writes it to `sink`. An input
/// that cannot be read is recorded in the summary and the others are still read. Errors from
/// the sink (a closed pipe) stop the run. The output is the same for any number of threads.
pub fn run(
    paths: &[String],
    o: RunOptions<'_>,
    sink: &mut dyn Sink,
) -> std::io::Result<RunSummary> {
    let job = engine::pipeline::Job {
        opts: o.engine,
        ctx: o.ctx,
        render: o.render,
        threads: o.threads,
        map_files: o.map_files,
        output_discarded: o.output_discarded,
        progress: o.progress,
    };
    let out = engine::pipeline::run(paths, job, sink)?;
    Ok(RunSummary {
        inputs: out.inputs,
        stats: out.stats,
        errors: out
            .errors
            .into_iter()
            .map(|(path, error)| InputError { path, error })
            .collect(),
    })
}
