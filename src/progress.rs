//! The progress bar of `read` on standard error: shown only for inputs over
//! [`MIN_BYTES`] in all, when standard error is a terminal and without `-q`.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;
use tlsnoop::engine::pipeline::Progress;

/// Inputs smaller than this in all get no progress bar.
pub const MIN_BYTES: u64 = 100 * 1024 * 1024;

/// A progress bar, or nothing.
pub struct Bar {
    bar: Option<ProgressBar>,
    /// Sizes of the inputs, in order (0 when unknown: standard input).
    sizes: Vec<u64>,
}

impl Bar {
    /// A bar for reading `files`, when it should be shown.
    pub fn for_inputs(files: &[String], quiet: bool) -> Bar {
        let sizes: Vec<u64> = files
            .iter()
            .map(|f| std::fs::metadata(f).map_or(0, |m| if m.is_file() { m.len() } else { 0 }))
            .collect();
        let total: u64 = sizes.iter().sum();
        let show = !quiet && total >= MIN_BYTES && std::io::stderr().is_terminal();
        let bar = show.then(|| {
            let b = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            b.set_style(
                ProgressStyle::with_template(
                    "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b.enable_steady_tick(Duration::from_millis(250));
            b
        });
        Bar { bar, sizes }
    }

    /// Shows how far the run has got.
    pub fn update(&mut self, p: &Progress) {
        let Some(b) = &self.bar else { return };
        let before: u64 = self.sizes.iter().take(p.input).sum();
        let size = self.sizes.get(p.input).copied().unwrap_or(0);
        b.set_position(before + p.bytes.min(size));
        b.set_message(format!(
            "{} packets, {} flows, {} TLS",
            p.packets, p.tcp_flows, p.tls_flows
        ));
    }

    /// Removes the bar.
    pub fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}
