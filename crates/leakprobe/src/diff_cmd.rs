//! `leakprobe diff old.json new.json`: what appeared, disappeared and changed between two reports,
//! and the score and grade change.
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use leakprobe_engine::report::Severity;

use crate::baseline::{self, Diff, Entry};
use crate::{EXIT_OK, EXIT_THRESHOLD};

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier JSON report.
    pub old: PathBuf,
    /// The later JSON report.
    pub new: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// Exit 1 when a finding that counts (not suppressed) appeared with this severity or worse.
    #[arg(long, value_name = "SEVERITY", value_parser = |s: &str| s.parse::<Severity>())]
    pub fail_on_new: Option<Severity>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
    Markdown,
}

pub fn run(args: &DiffArgs) -> anyhow::Result<u8> {
    let old = baseline::load(&args.old, "old report")?;
    let new = baseline::load(&args.new, "new report")?;
    let d = baseline::diff(&old, &new);
    let text = match args.format {
        DiffFormat::Text => text(&d),
        DiffFormat::Json => serde_json::to_string_pretty(&d).map(|s| s + "\n")?,
        DiffFormat::Markdown => markdown(&d),
    };
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e.into());
        }
    }
    let failing = args.fail_on_new.is_some_and(|min| {
        d.appeared.iter().any(|e| !e.suppressed && e.severity.parse::<Severity>().is_ok_and(|s| s >= min))
    });
    Ok(if failing { EXIT_THRESHOLD } else { EXIT_OK })
}

fn line(e: &Entry) -> String {
    let place = if e.endpoint == "*" { "every response".to_string() } else { format!("{} {}", e.method, e.endpoint) };
    let sup = if e.suppressed { " (suppressed)" } else { "" };
    format!("[{}] {} — {} ({}){sup}", e.severity, e.title, place, e.check)
}

fn headline(d: &Diff) -> String {
    format!(
        "score {} ({}) → {} ({}), {:+} · findings {} → {}",
        d.old.score, d.old.grade, d.new.score, d.new.grade, d.score_change, d.old.findings, d.new.findings
    )
}

fn text(d: &Diff) -> String {
    let mut out = format!("leakprobe diff: {}\n", headline(d));
    if d.appeared.is_empty() && d.disappeared.is_empty() && d.changed.is_empty() {
        out.push_str("\nNo findings appeared, disappeared or changed.\n");
        return out;
    }
    let sections: [(&str, &str, &Vec<Entry>); 2] =
        [("Appeared", "+", &d.appeared), ("Disappeared", "-", &d.disappeared)];
    for (name, mark, list) in sections {
        if !list.is_empty() {
            let _ = writeln!(out, "\n{name} ({}):", list.len());
            for e in list {
                let _ = writeln!(out, "  {mark} {}", line(e));
            }
        }
    }
    if !d.changed.is_empty() {
        let _ = writeln!(out, "\nChanged ({}):", d.changed.len());
        for c in &d.changed {
            let _ = writeln!(out, "  ~ {}: {}", line(&c.finding), c.changes.join("; "));
        }
    }
    out
}

fn markdown(d: &Diff) -> String {
    let mut out = format!("## leakprobe diff\n\n{}\n", headline(d));
    let cell = |s: &str| s.replace('|', "\\|");
    let sections: [(&str, &Vec<Entry>); 2] = [("Appeared", &d.appeared), ("Disappeared", &d.disappeared)];
    for (name, list) in sections {
        if !list.is_empty() {
            let _ = writeln!(out, "\n### {name} ({})\n", list.len());
            for e in list {
                let _ = writeln!(out, "- {}", cell(&line(e)));
            }
        }
    }
    if !d.changed.is_empty() {
        let _ = writeln!(out, "\n### Changed ({})\n", d.changed.len());
        for c in &d.changed {
            let _ = writeln!(out, "- {}: {}", cell(&line(&c.finding)), cell(&c.changes.join("; ")));
        }
    }
    out
}
