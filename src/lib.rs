//! tlsnoop: a passive TLS handshake analyzer.
//!
//! Data flows one way: [`capture`] → [`decode`] → [`flow`] → [`tls`] → [`record`] → [`report`].
//! [`engine`] alone wires the stages; [`record`], [`names`] and [`config`] are the shared
//! vocabulary.
#![forbid(unsafe_code)]
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

/// Reads every input in turn, analyses each finished flow with `ctx` and reports it to `sink`. An input that cannot be read
/// is recorded in the summary and the others are still read. Errors from the sink (a closed
/// pipe) stop the run.
pub fn run(
    paths: &[String],
    opts: &engine::EngineOptions,
    ctx: &analysis::Context,
    sink: &mut dyn Sink,
) -> std::io::Result<RunSummary> {
    let mut engine = engine::Engine::new(opts.clone());
    let mut summary = RunSummary::default();
    let mut sink_err: Option<std::io::Error> = None;
    for (i, path) in paths.iter().enumerate() {
        engine.begin_input(i);
        let mut info = InputInfo {
            path: path.clone(),
            ..Default::default()
        };
        let mut emit = |mut n: record::Negotiation| {
            analysis::analyze(&mut n, ctx);
            if sink_err.is_none() {
                if let Err(e) = sink.flow(&n) {
                    sink_err = Some(e);
                }
            }
        };
        let res =
            capture::read_capture(path, &mut info, &mut |frame| engine.frame(frame, &mut emit));
        engine.end_input(&mut emit);
        info.notes.extend(engine.input_notes());
        if let Err(error) = res {
            info.notes.push(format!("cannot be read: {error}"));
            summary.errors.push(InputError {
                path: path.clone(),
                error,
            });
        }
        summary.inputs.push(info);
        if let Some(e) = sink_err.take() {
            return Err(e);
        }
    }
    summary.stats = engine.stats().clone();
    sink.finish(&summary.inputs, &summary.stats)?;
    Ok(summary)
}
