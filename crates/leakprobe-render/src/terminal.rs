//! The human report: headline grade, per-category table, findings, the score ledger, coverage.
use std::fmt::Write;

use anstyle::{AnsiColor, Color, Style};
use leakprobe_engine::report::{BaselineState, CategorySeverity, Grade, Report, Severity, SuppressionState};

use crate::text::{all_findings, counts, one_line};

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
    let c = counts(report);
    let _ = writeln!(out, "{} {}", bold("leakprobe"), report.target);
    let suppressed = if c.suppressed > 0 { format!(" (+{} suppressed)", c.suppressed) } else { String::new() };
    // A partial scan says so next to its grade: its score is a lower bound of what is wrong.
    let partial = match report.coverage.partial_summary() {
        Some(summary) => format!(" · {}", paint(summary, style(AnsiColor::Yellow))),
        None => String::new(),
    };
    let _ = writeln!(
        out,
        "Score {} · Grade {}{} · {} finding(s){} · {} requests in {:.1} s",
        bold(report.score),
        paint(report.grade, grade_style(report.grade)),
        partial,
        c.active,
        suppressed,
        report.requests,
        report.duration_ms as f64 / 1000.0
    );
    if let Some(b) = &report.baseline {
        let _ = writeln!(
            out,
            "Baseline: {} new, {} unchanged, {} fixed · score {} ({}) → {} ({})",
            c.new,
            b.unchanged,
            b.fixed.len(),
            b.score,
            b.grade,
            report.score,
            report.grade
        );
    }
    for note in report.suppressions.iter().filter(|n| n.state == SuppressionState::Expired) {
        let _ = writeln!(
            out,
            "{} suppression {} expired on {}: its {} finding(s) count again",
            paint("warning:", style(AnsiColor::Yellow)),
            note.rule,
            note.expires.as_deref().unwrap_or("?"),
            note.matched
        );
    }
    out.push('\n');

    let _ = writeln!(
        out,
        "{}",
        bold(format!("{:<24} {:>5}  {:<5} {:>8}  {}", "category", "score", "grade", "findings", "worst"))
    );
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
            c.findings.iter().filter(|f| f.is_active()).count(),
            worst
        );
    }

    if total > 0 {
        let _ = writeln!(out, "\n{}", bold("Findings"));
        for (category, f) in all_findings(report) {
            let mut tags = String::new();
            if f.baseline == Some(BaselineState::New) {
                tags.push_str(&paint(" [new]", style(AnsiColor::Red).bold()));
            }
            if f.suppressed.is_some() {
                tags.push_str(&paint(" [suppressed]", Style::new().dimmed()));
            }
            let _ = writeln!(
                out,
                "\n{} {}{}  {}",
                paint(
                    format!("[{}]", f.severity),
                    if f.is_active() { severity_style(f.severity) } else { Style::new().dimmed() }
                ),
                bold(&f.title),
                tags,
                paint(
                    format!("{} · {} · confidence {:?}", category.id(), f.check, f.confidence).to_lowercase(),
                    Style::new().dimmed()
                )
            );
            if let Some(s) = &f.suppressed {
                let until = s.expires.as_deref().map(|e| format!(" until {e}")).unwrap_or_default();
                let _ = writeln!(out, "    suppressed by {}{}: {}", s.rule, until, one_line(&s.reason, 160));
            }
            let _ = writeln!(out, "    {}", crate::text::where_(f));
            if let Some(root) = &f.related {
                let _ = writeln!(out, "    follows from finding {root} (not deducted again)");
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

    if let Some(b) = report.baseline.as_ref().filter(|b| !b.fixed.is_empty()) {
        let _ = writeln!(out, "\n{}", bold("Fixed since the baseline"));
        for f in &b.fixed {
            let _ = writeln!(
                out,
                "  {} [{}] {} ({} {})",
                paint("✓", style(AnsiColor::Green)),
                f.severity,
                f.title,
                f.method,
                f.endpoint
            );
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
    let _ = writeln!(out, "\n{} endpoint(s) ({} from a spec), {} checks", cov.endpoints, cov.from_spec, cov.checks_run);
    if cov.throttled {
        let _ = writeln!(
            out,
            "{}",
            paint("The target asked us to slow down (429/503); the scan backed off.", style(AnsiColor::Yellow))
        );
    }
    for reason in &cov.incomplete {
        let _ = writeln!(out, "{} {reason}", paint("incomplete:", style(AnsiColor::Yellow)));
    }
    if !cov.not_called.is_empty() {
        // A big API can name dozens: the first few here, all of them in the JSON report.
        const SHOWN: usize = 5;
        let mut calls: Vec<String> =
            cov.not_called.iter().take(SHOWN).map(|n| format!("{} {}", n.method, n.path)).collect();
        if cov.not_called.len() > SHOWN {
            calls.push(format!("and {} more", cov.not_called.len() - SHOWN));
        }
        let _ = writeln!(
            out,
            "{} {} (may change the target's state; see coverage.not_called)",
            paint("not called:", style(AnsiColor::Yellow)),
            calls.join(", ")
        );
    }
    // Work left undone by budget or time, check by check; then, on one line, what more setup
    // (identities, --active) would let the scan do.
    let mut setup: Vec<String> = Vec::new();
    for check in &cov.checks {
        let (partial, chosen): (Vec<_>, Vec<_>) = check.skipped.iter().partition(|s| s.makes_partial());
        if !partial.is_empty() {
            let skipped: Vec<String> = partial.iter().map(|s| format!("{} ({})", s.count, s.reason)).collect();
            let _ = writeln!(
                out,
                "{} {}: ran {} of {} {}, skipped {}",
                paint("partial:", style(AnsiColor::Yellow)),
                check.check,
                check.ran,
                check.planned,
                check.unit,
                skipped.join(", ")
            );
        }
        setup.extend(chosen.iter().map(|s| format!("{} ({})", check.check, s.reason)));
    }
    if !setup.is_empty() {
        let _ = writeln!(out, "{}", paint(format!("not run: {}", setup.join(", ")), Style::new().dimmed()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_not_called_are_listed_up_to_five() {
        let not_called: Vec<serde_json::Value> = (1..=7)
            .map(|i| serde_json::json!({"method": "GET", "path": format!("/api/jobs/{i}/reset"), "reason": "state"}))
            .collect();
        let report: Report = serde_json::from_value(serde_json::json!({
            "schema_version": "1", "tool": {"name": "leakprobe", "version": "0"}, "target": "http://127.0.0.1:1",
            "started_at": "2026-01-01T00:00:00Z", "duration_ms": 1, "requests": 1, "score": 100, "grade": "A",
            "categories": {}, "ledger": [], "inventory": [],
            "coverage": {"endpoints": 0, "from_spec": 0, "checks_run": 0, "incomplete": [], "throttled": false,
                         "not_called": not_called}
        }))
        .expect("report");
        let text = render(&report);
        let line = text.lines().find(|l| l.contains("not called:")).expect("a not-called line");
        assert!(line.contains("GET /api/jobs/5/reset, and 2 more"), "{line}");
        assert!(!line.contains("/api/jobs/6/"), "{line}");
    }
}
