//! Markdown summary for a pull-request comment or `$GITHUB_STEP_SUMMARY`: a grade badge, the
//! category table, the top findings, and — when there is a baseline or suppressions — what is new,
//! what was fixed and what was accepted. Kept well under GitHub's comment limit (65,536 chars):
//! at most [`TOP`] findings are shown, excerpts are cut.
//!
//! The badge is text and emoji, not an image: an image URL would send the grade to a third party
//! every time the page is viewed.
use std::fmt::Write;

use leakprobe_engine::report::{BaselineState, CategorySeverity, Grade, Report, Severity, SuppressionState};

use crate::text::{all_findings, counts, one_line, where_};

const TOP: usize = 10;

fn grade_emoji(grade: Grade) -> &'static str {
    match grade {
        Grade::A => "🟢",
        Grade::B => "🟢",
        Grade::C => "🟡",
        Grade::D => "🟠",
        Grade::F => "🔴",
    }
}

fn severity_emoji(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "🟣",
        Severity::High => "🔴",
        Severity::Medium => "🟠",
        Severity::Low => "🔵",
        Severity::Info => "⚪",
    }
}

/// Text safe inside a table cell: no pipes, no newlines, no raw HTML.
fn cell(text: &str) -> String {
    one_line(text, 200).replace('|', "\\|").replace('<', "&lt;").replace('>', "&gt;")
}

/// An inline code span that survives backticks in the text.
fn code(text: &str) -> String {
    format!("`{}`", text.replace('`', "'").replace('|', "\\|"))
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let c = counts(report);
    let _ = writeln!(
        out,
        "## {} leakprobe: grade **{}** · score **{}/100**\n",
        grade_emoji(report.grade),
        report.grade,
        report.score
    );
    let mut line = format!("{} · **{}** finding(s)", code(&report.target), c.active);
    if c.suppressed > 0 {
        let _ = write!(line, " · {} suppressed", c.suppressed);
    }
    if let Some(b) = &report.baseline {
        let delta = i64::from(report.score) - i64::from(b.score);
        let _ = write!(
            line,
            " · vs baseline: **{} new**, {} unchanged, **{} fixed**, score {} → {} ({:+})",
            c.new,
            b.unchanged,
            b.fixed.len(),
            b.score,
            report.score,
            delta
        );
    }
    let _ = writeln!(out, "{line}\n");

    for note in report.suppressions.iter().filter(|n| n.state == SuppressionState::Expired) {
        let _ = writeln!(
            out,
            "> [!WARNING]\n> Suppression {} expired on {}: its {} finding(s) count again. Reason given: {}\n",
            code(&note.rule),
            note.expires.as_deref().unwrap_or("?"),
            note.matched,
            cell(&note.reason)
        );
    }
    if let Some(summary) = report.coverage.partial_summary() {
        let _ = writeln!(out, "> [!WARNING]\n> Score {} · Grade {} · {}\n", report.score, report.grade, cell(&summary));
    }
    for reason in &report.coverage.incomplete {
        let _ = writeln!(out, "> [!NOTE]\n> Incomplete scan: {}\n", cell(reason));
    }

    out.push_str("| category | score | grade | findings | worst |\n|---|---:|:---:|---:|---|\n");
    for (category, cat) in &report.categories {
        let active = cat.findings.iter().filter(|f| f.is_active()).count();
        let suppressed = cat.findings.len() - active;
        let worst = match cat.severity {
            CategorySeverity::None => "–".to_string(),
            CategorySeverity::Some(s) => format!("{} {s}", severity_emoji(s)),
        };
        let findings = if suppressed > 0 { format!("{active} (+{suppressed} suppressed)") } else { active.to_string() };
        let _ = writeln!(out, "| {} | {} | {} | {} | {} |", category.id(), cat.score, cat.grade, findings, worst);
    }

    let active: Vec<_> = all_findings(report).into_iter().filter(|(_, f)| f.is_active()).collect();
    if !active.is_empty() {
        let _ = writeln!(out, "\n### Top findings\n");
        out.push_str("| severity | finding | where | check |\n|---|---|---|---|\n");
        for (_, f) in active.iter().take(TOP) {
            let new = if f.baseline == Some(BaselineState::New) { " 🆕" } else { "" };
            let _ = writeln!(
                out,
                "| {} {} | {}{} | {} | {} |",
                severity_emoji(f.severity),
                f.severity,
                cell(&f.title),
                new,
                code(&where_(f)),
                code(&f.check)
            );
        }
        if active.len() > TOP {
            let _ = writeln!(out, "\n…and {} more in the full report.", active.len() - TOP);
        }
        let _ = writeln!(out, "\n<details><summary>How to fix the top findings</summary>\n");
        let mut seen = Vec::new();
        for (_, f) in active.iter().take(TOP) {
            if seen.contains(&f.check) {
                continue;
            }
            seen.push(f.check.clone());
            let fix = f.remediation.split("\n\n").next().unwrap_or_default();
            let _ = writeln!(out, "- {}: {}", code(&f.check), cell(fix));
        }
        let _ = writeln!(out, "\n</details>");
    }

    if let Some(b) = &report.baseline {
        if !b.fixed.is_empty() {
            let _ = writeln!(out, "\n### Fixed since the baseline\n");
            for f in b.fixed.iter().take(TOP) {
                let _ = writeln!(
                    out,
                    "- ✅ {} {} — {}",
                    f.severity,
                    cell(&f.title),
                    code(&format!("{} {}", f.method, f.endpoint))
                );
            }
        }
    }

    let suppressed: Vec<_> = all_findings(report).into_iter().filter(|(_, f)| !f.is_active()).collect();
    if !suppressed.is_empty() {
        let _ = writeln!(out, "\n<details><summary>{} suppressed finding(s)</summary>\n", suppressed.len());
        for (_, f) in suppressed {
            if let Some(s) = &f.suppressed {
                let until = s.expires.as_deref().map(|e| format!(" (until {e})")).unwrap_or_default();
                let _ = writeln!(
                    out,
                    "- {} {} — {}: {}{}",
                    f.severity,
                    cell(&f.title),
                    code(&where_(f)),
                    cell(&s.reason),
                    until
                );
            }
        }
        let _ = writeln!(out, "\n</details>");
    }

    let _ = writeln!(
        out,
        "\n<sub>leakprobe {} · {} requests in {:.1} s · {} endpoint(s), {} checks · evidence redacted</sub>",
        report.tool.version,
        report.requests,
        report.duration_ms as f64 / 1000.0,
        report.coverage.endpoints,
        report.coverage.checks_run
    );
    out
}
