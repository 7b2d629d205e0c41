//! Renderers: one file per format, all from the same typed [`Report`].
//!
//! Every format sees the same report: suppressed findings are marked (and left out of the score by
//! the engine), baseline states are carried on each finding, and evidence is redacted upstream. On
//! top of that, [`render`] masks anything that looks like a credential header
//! (`Authorization:`, `Cookie:`, `X-Api-Key:` …) in every excerpt before any format sees it, so no
//! output can carry one even if a check quoted a request. And nothing a target sent reaches a
//! terminal raw: control characters are escaped in every format ([`escape_controls`]).
//!
//! ```no_run
//! # fn show(report: &leakprobe_engine::report::Report) {
//! use leakprobe_render::{render, Format};
//! let sarif = render(report, Format::Sarif);
//! let format = Format::from_path(std::path::Path::new("report.html"));
//! assert_eq!(format, Some(Format::Html));
//! # }
//! ```
mod controls;
mod html;
mod json;
mod junit;
mod markdown;
mod mask;
mod sarif;
mod terminal;
mod text;

use std::path::Path;

use leakprobe_engine::report::Report;

pub use controls::{escape_controls, escape_json_controls};
pub use mask::mask_credentials;
pub use text::escape_html;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Terminal,
    Json,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
    /// JUnit XML: one test case per check, one failure per finding.
    Junit,
    /// A summary for a pull-request comment or `$GITHUB_STEP_SUMMARY`.
    Markdown,
    /// One self-contained page: inline CSS and JS, no external resource.
    Html,
}

impl Format {
    /// The format an output file's extension names: `.json`, `.sarif`, `.xml` (JUnit), `.md`,
    /// `.html`, `.txt` (plain terminal report). `None` for anything else.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "json" => Format::Json,
            "sarif" => Format::Sarif,
            "xml" => Format::Junit,
            "md" | "markdown" => Format::Markdown,
            "html" | "htm" => Format::Html,
            "txt" => Format::Terminal,
            _ => return None,
        })
    }
}

/// A finding's remediation (the Markdown of the check docs) as the HTML report shows it: escaped
/// first, then paragraphs, lists, code and bold; links stay text. For pages that show one finding.
pub fn remediation_html(markdown: &str) -> String {
    html::markdown(&escape_controls(markdown))
}

/// The report in `format`. Terminal output carries ANSI styles; strip them for non-terminals
/// (`anstream` does so and honours `NO_COLOR`).
pub fn render(report: &Report, format: Format) -> String {
    let masked = mask::mask_report(report);
    // The JSON report is data: it keeps what the target sent, as JSON escapes. Every other format
    // is read by people, often in a terminal: there the characters are escaped as visible text.
    let report = &if format == Format::Json { masked } else { controls::escape_report(masked) };
    match format {
        Format::Terminal => terminal::render(report),
        Format::Json => controls::escape_json_controls(json::render(report)),
        Format::Sarif => sarif::render(report),
        Format::Junit => junit::render(report),
        Format::Markdown => markdown::render(report),
        Format::Html => html::render(report),
    }
}
