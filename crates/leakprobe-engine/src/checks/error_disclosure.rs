//! `error_disclosure`: what error answers give away — the Werkzeug debugger, stack traces, and SQL
//! errors with their statements and bound parameters. The probes that provoke errors are sent by
//! `input_validation::MALFORMED_INPUT`; these checks read every exchange, so they also catch errors
//! that discovery stumbled on.
use std::collections::BTreeSet;
use std::sync::LazyLock;

use futures::future::BoxFuture;
use leakprobe_detect::{Confidence as MatchConfidence, PiiType};
use regex::Regex;

use super::{CheckInfo, Hit, Runner, Status};
use crate::client::{Exchange, Probe};
use crate::context::ScanContext;
use crate::fingerprints;
use crate::report::{Category, Confidence, Severity};

pub static WERKZEUG_DEBUGGER: CheckInfo = CheckInfo {
    id: "werkzeug_debugger",
    category: Category::ErrorDisclosure,
    status: Status::Stable,
    cwe: &[215, 94],
    summary: "Werkzeug interactive debugger enabled (confirmed read-only via its resource URL and /console)",
    docs: include_str!("../../docs/checks/werkzeug_debugger.md"),
    runner: Runner::Active(confirm_debugger),
};

pub static WERKZEUG_DEBUGGER_PAGE: CheckInfo = CheckInfo {
    id: "werkzeug_debugger_page",
    category: Category::ErrorDisclosure,
    status: Status::Stable,
    cwe: &[215, 209],
    summary: "An error answered with the Werkzeug debugger's traceback page",
    docs: include_str!("../../docs/checks/werkzeug_debugger_page.md"),
    runner: Runner::Passive(debugger_page),
};

pub static STACK_TRACE: CheckInfo = CheckInfo {
    id: "stack_trace_disclosure",
    category: Category::ErrorDisclosure,
    status: Status::Stable,
    cwe: &[209],
    summary: "Stack traces and framework debug pages (Python, Django, Express, Spring, Rails, ASP.NET, PHP)",
    docs: include_str!("../../docs/checks/stack_trace_disclosure.md"),
    runner: Runner::Passive(stack_trace),
};

pub static SQL_ERROR: CheckInfo = CheckInfo {
    id: "sql_error_disclosure",
    category: Category::ErrorDisclosure,
    status: Status::Stable,
    cwe: &[209, 89],
    summary: "Database errors with SQL statements and bound parameters (SQLAlchemy, drivers)",
    docs: include_str!("../../docs/checks/sql_error_disclosure.md"),
    runner: Runner::Passive(sql_error),
};

#[allow(clippy::unwrap_used)]
static SQL_STATEMENT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\[SQL: ([^\]]{1,400})").unwrap());
#[allow(clippy::unwrap_used)]
static SQL_PARAMETERS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\[parameters: ([^\]]{1,2000})\]").unwrap());

/// The personal data and secrets a debugger page shows (frame locals, the failing record), less the
/// per-process `SECRET` of the debugger's own script, which is no data of the application's.
fn debugger_page_pii(ctx: &ScanContext, text: &str) -> Vec<PiiType> {
    let shown: String = text.lines().filter(|l| !l.contains("SECRET = ")).collect::<Vec<_>>().join("\n");
    ctx.pii_types(shown.as_bytes())
}

fn debugger_page(ex: &Exchange, ctx: &ScanContext, hits: &mut Vec<Hit>) {
    let errors = ex.error_text();
    let text = &errors.text;
    let whats = errors.matched(fingerprints::WERKZEUG);
    // The console page carries the same script globals; it is `werkzeug_debugger`'s finding.
    let is_error = ex.status.is_some_and(|s| s >= 500) || text.contains("debugger caught an exception");
    if whats.is_empty() || !is_error {
        return;
    }
    hits.push(Hit {
        title: "Errors are answered with the Werkzeug debugger's traceback page".into(),
        severity: Severity::High,
        confidence: Confidence::High,
        method: ex.method.to_string(),
        path: ex.path().to_string(),
        kind: "debugger_page".into(),
        pii_types: debugger_page_pii(ctx, text),
        evidence: format!("{} {} → {} ({})", ex.method, ex.path_and_query(), ex.status.unwrap_or(0), whats.join(", ")),
    });
}

fn stack_trace(ex: &Exchange, ctx: &ScanContext, hits: &mut Vec<Hit>) {
    let errors = ex.error_text();
    let text = &errors.text;
    // The debugger page is a traceback too; it is reported (more severely) by its own check.
    if !errors.matched(fingerprints::WERKZEUG).is_empty() {
        return;
    }
    let whats = errors.matched(fingerprints::STACK);
    if whats.is_empty() {
        return;
    }
    let pii = ctx.pii_types(text.as_bytes());
    hits.push(Hit {
        title: format!("{} in the response", whats[0]),
        severity: if pii.is_empty() { Severity::Medium } else { Severity::High },
        confidence: Confidence::High,
        method: ex.method.to_string(),
        path: ex.path().to_string(),
        kind: "stack_trace".into(),
        pii_types: pii,
        evidence: format!("{} {} → {}: {}", ex.method, ex.path_and_query(), ex.status.unwrap_or(0), whats.join(", ")),
    });
}

fn sql_error(ex: &Exchange, ctx: &ScanContext, hits: &mut Vec<Hit>) {
    let errors = ex.error_text();
    let text = &errors.text;
    let whats = errors.matched(fingerprints::SQL);
    if whats.is_empty() {
        return;
    }
    let statement = SQL_STATEMENT.captures(text).map(|c| c[1].trim().to_string());
    let parameters = SQL_PARAMETERS.captures(text).map(|c| c[1].to_string());
    // Bound parameters are where user data sits: run the detector on them and mask what it finds.
    let (pii, shown_parameters) = match &parameters {
        Some(p) => {
            let matches: Vec<_> =
                ctx.detector.scan_text(p).into_iter().filter(|m| m.confidence > MatchConfidence::Low).collect();
            let mut shown = p.clone();
            let mut spans: Vec<_> = matches.iter().collect();
            spans.sort_by_key(|m| std::cmp::Reverse(m.span.start));
            let mut free_until = shown.len();
            // Right to left, skipping overlaps, so earlier spans stay valid while we replace.
            for m in spans {
                let fits = m.span.end <= free_until
                    && shown.is_char_boundary(m.span.start)
                    && shown.is_char_boundary(m.span.end);
                if fits {
                    shown.replace_range(m.span.clone(), &ctx.redact(m.kind, &m.value));
                    free_until = m.span.start;
                }
            }
            let types: BTreeSet<PiiType> = matches.iter().map(|m| m.kind).collect();
            (types.into_iter().collect::<Vec<_>>(), Some(shown))
        }
        None => (ctx.pii_types(text.as_bytes()), None),
    };
    let severity = if pii.is_empty() { Severity::High } else { Severity::Critical };
    let title = match (&statement, pii.is_empty()) {
        (Some(_), false) => "SQL error exposes the statement and personal data in its bound parameters",
        (Some(_), true) => "SQL error exposes the statement",
        (None, _) => "Database error details in the response",
    };
    let mut evidence =
        format!("{} {} → {}: {}", ex.method, ex.path_and_query(), ex.status.unwrap_or(0), whats.join(", "));
    if let Some(s) = statement {
        evidence.push_str(&format!("; [SQL: {}]", s.chars().take(160).collect::<String>()));
    }
    if let Some(p) = shown_parameters {
        evidence.push_str(&format!("; [parameters: {}]", p.chars().take(160).collect::<String>()));
    }
    hits.push(Hit {
        title: title.into(),
        severity,
        confidence: Confidence::High,
        method: ex.method.to_string(),
        path: ex.path().to_string(),
        kind: "sql_error".into(),
        pii_types: pii,
        evidence,
    });
}

/// Werkzeug serves its debugger's own script at any path when debugging is on. Fetching it is
/// read-only and needs no PIN; the evaluation endpoint (`cmd=<code>`) is never touched.
const DEBUGGER_RESOURCE: &str = "/?__debugger__=yes&cmd=resource&f=debugger.js";

fn confirm_debugger(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        let mut hits = Vec::new();
        let resource = ctx.client.send(Probe::get(DEBUGGER_RESOURCE));
        let console = ctx.client.send(Probe::get("/console"));
        let (resource, console) = futures::join!(resource, console);
        if let Ok(ex) = resource {
            let body = ex.text();
            if ex.is_success()
                && !ctx.soft404.is_not_found(&ex)
                && body.contains("CONSOLE_MODE")
                && body.contains("EVALEX")
            {
                hits.push(Hit {
                    title: "Werkzeug interactive debugger is enabled".into(),
                    severity: Severity::High,
                    confidence: Confidence::Confirmed,
                    method: "GET".into(),
                    path: "*".into(),
                    kind: "debugger".into(),
                    pii_types: Vec::new(),
                    evidence: format!(
                        "GET {DEBUGGER_RESOURCE} → {} ({} bytes of debugger.js)",
                        ex.status.unwrap_or(0),
                        ex.body.len()
                    ),
                });
            }
        }
        if let Ok(ex) = console {
            let body = ex.text();
            if ex.is_success() && body.contains("Interactive Console") && body.contains("Werkzeug") {
                hits.push(Hit {
                    title: "Werkzeug interactive Python console is reachable at /console".into(),
                    severity: Severity::Critical,
                    confidence: Confidence::Confirmed,
                    method: "GET".into(),
                    path: "/console".into(),
                    kind: "console".into(),
                    pii_types: Vec::new(),
                    evidence: format!(
                        "GET /console → {} (Werkzeug \"Interactive Console\" page)",
                        ex.status.unwrap_or(0)
                    ),
                });
            }
        }
        hits
    })
}
