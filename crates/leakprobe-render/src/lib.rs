//! Renderers: one file per format, all from the same typed [`Report`].
//!
//! ```no_run
//! # fn show(report: &leakprobe_engine::report::Report) {
//! let text = leakprobe_render::render(report, leakprobe_render::Format::Json);
//! # }
//! ```
mod json;
mod terminal;

use leakprobe_engine::report::Report;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Terminal,
    Json,
}

/// The report in `format`. Terminal output carries ANSI styles; strip them for non-terminals
/// (`anstream` does so and honours `NO_COLOR`).
pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Terminal => terminal::render(report),
        Format::Json => json::render(report),
    }
}
