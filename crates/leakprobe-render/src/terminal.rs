//! The human report: headline grade, per-category table, findings, the score ledger, coverage.
use std::fmt::Write;

use anstyle::{AnsiColor, Color, Style};
use leakprobe_engine::report::{CategorySeverity, Grade, Report, Severity};

fn style(color: AnsiColor) -> Style {
    Style::new().fg_color(Some(Color::Ansi(color)))
}

fn paint(text: impl std::fmt::Display, s: Style) -> String {
    format!("{s}{text}{s:#}")
}

fn bold(text: impl std::fmt::Display) -> String {
    paint(text, Style::new().bold())
}

fn grade_style(grade: Grade) -> Style {
    match grade {
        Grade::A | Grade::B => style(AnsiColor::Green),
        Grade::C => style(AnsiColor::Yellow),
        Grade::D | Grade::F => style(AnsiColor::Red),
    }
    .bold()
}

fn severity_style(severity: Severity) -> Style {
    match severity {
        Severity::Critical => style(AnsiColor::Magenta).bold(),
        Severity::High => style(AnsiColor::Red).bold(),
        Severity::Medium => style(AnsiColor::Yellow),
        Severity::Low => style(AnsiColor::Cyan),
        Severity::Info => Style::new().dimmed(),
    }
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let total: usize = report.categories.values().map(|c| c.findings.len()).sum();
    let _ = writeln!(out, "{} {}", bold("leakprobe"), report.target);
    let _ = writeln!(
        out,
        "Score {} · Grade {} · {} finding(s) · {} requests in {:.1} s\n",
        bold(report.score),
        paint(report.grade, grade_style(report.grade)),
        total,
        report.requests,
        report.duration_ms as f64 / 1000.0
    );

    let _ = writeln!(out, "{}", bold(format!("{:<24} {:>5}  {:<5} {:>8}  {}", "category", "score", "grade", "findings", "worst")));
    for (category, c) in &report.categories {
        let worst = match c.severity {
            CategorySeverity::None => paint("-", Style::new().dimmed()),
            CategorySeverity::Some(s) => paint(s, severity_style(s)),
        };
        let _ = writeln!(
            out,
            "{:<24} {:>5}  {}     {:>8}  {}",
            category.id(),
            c.score,
            paint(c.grade, grade_style(c.grade)),
            c.findings.len(),
            worst
        );
    }

    if total > 0 {
        let _ = writeln!(out, "\n{}", bold("Findings"));
        for (category, f) in report.findings() {
            let _ = writeln!(
                out,
                "\n{} {}  {}",
                paint(format!("[{}]", f.severity), severity_style(f.severity)),
                bold(&f.title),
                paint(format!("{} · {} · confidence {:?}", category.id(), f.check, f.confidence).to_lowercase(), Style::new().dimmed())
            );
            if f.endpoint == "*" {
                let _ = writeln!(out, "    every response");
            } else {
                let _ = writeln!(out, "    {} {}", f.method, f.endpoint);
            }
            if !f.pii_types.is_empty() {
                let types: Vec<_> = f.pii_types.iter().map(|t| t.as_str()).collect();
                let _ = writeln!(out, "    data: {}", types.join(", "));
            }
            if !f.evidence.is_empty() {
                let _ = writeln!(out, "    evidence: {}", one_line(&f.evidence, 160));
            }
            if let Some(first) = f.remediation.split("\n\n").next() {
                let _ = writeln!(out, "    fix: {}", one_line(first, 220));
            }
        }
    }

    if !report.ledger.is_empty() {
        let _ = writeln!(out, "\n{}", bold("Score ledger"));
        for line in &report.ledger {
            let _ = writeln!(out, "  [-{:>2}] {}", line.deduction, one_line(&line.reason, 120));
        }
        let _ = writeln!(out, "  = {}", report.score);
    }

    let cov = &report.coverage;
    let _ = writeln!(
        out,
        "\n{} endpoint(s) ({} from a spec), {} checks",
        cov.endpoints, cov.from_spec, cov.checks_run
    );
    if cov.throttled {
        let _ = writeln!(out, "{}", paint("The target asked us to slow down (429/503); the scan backed off.", style(AnsiColor::Yellow)));
    }
    for reason in &cov.incomplete {
        let _ = writeln!(out, "{} {reason}", paint("incomplete:", style(AnsiColor::Yellow)));
    }
    out
}

/// The text on one line, cut at `max` characters.
fn one_line(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let cut: String = flat.chars().take(max).collect();
        format!("{cut}…")
    }
}
