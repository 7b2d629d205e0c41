//! SARIF 2.1.0 for GitHub code scanning (validated against the OASIS schema in `schema/`).
//!
//! - One rule per registered check: its summary, the docs' "What it finds" as the full
//!   description, the whole docs page as help, CWE and OWASP tags, and a `security-severity`
//!   (GitHub ranks alerts by it; GitHub reads it from rules only, so a rule carries the worst
//!   severity its results have in this run).
//! - One result per finding: `partialFingerprints` from the finding's stable id (GitHub keeps an
//!   alert's identity across runs with it), the request line in `webRequest`, a trimmed, masked
//!   excerpt in `webResponse`, suppressions as `suppressions[].status = accepted`, baseline states
//!   as `baselineState`.
//! - Locations: GitHub rejects `http(s)` artifact URIs ("URI scheme did not match the checkout URI
//!   scheme"), so the endpoint is a relative, percent-encoded reference against the `TARGET` base
//!   (`originalUriBaseIds` says where that is).
use std::collections::BTreeMap;

use leakprobe_engine::checks::{CheckInfo, CHECKS};
use leakprobe_engine::report::{BaselineState, Category, Finding, Report, Severity, SuppressionState};
use serde_json::{json, Map, Value};

use crate::text::{cut, doc_section, where_};

const SCHEMA_URI: &str = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
const EXCERPT_CHARS: usize = 500;

/// GitHub's bands: critical > 9.0, high 7.0–8.9, medium 4.0–6.9, low 0.1–3.9.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.5",
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// `server_version_disclosure` → `ServerVersionDisclosure` (SARIF's `name` is a display identifier).
fn pascal(id: &str) -> String {
    id.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

/// A relative URI reference for an endpoint template: no leading slash (repository-relative for
/// GitHub), every character outside RFC 3986's unreserved set and `/` percent-encoded (`{id}` is
/// not a valid URI character).
fn endpoint_uri(endpoint: &str) -> String {
    if endpoint == "*" || endpoint == "/" || endpoint.is_empty() {
        return "*".to_string();
    }
    let path = endpoint.split('?').next().unwrap_or(endpoint).trim_start_matches('/');
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out.is_empty() {
        "*".to_string()
    } else {
        out
    }
}

fn rule(check: &CheckInfo, worst: Option<Severity>) -> Value {
    let mut tags = vec!["security".to_string(), check.category.id().to_string(), check.category.owasp().to_string()];
    for cwe in check.cwe {
        tags.push(format!("external/cwe/cwe-{cwe}"));
        tags.push(format!("CWE-{cwe}"));
    }
    let what = doc_section(check.docs, "## What it finds").unwrap_or_else(|| check.summary.to_string());
    let mut properties = json!({
        "tags": tags,
        "category": check.category.id(),
        "owasp": check.category.owasp(),
        "cwe": check.cwe,
        "preview": check.status == leakprobe_engine::checks::Status::Preview,
    });
    if let Some(severity) = worst {
        properties["security-severity"] = json!(security_severity(severity));
    }
    json!({
        "id": check.id,
        "name": pascal(check.id),
        "shortDescription": {"text": check.summary},
        "fullDescription": {"text": what},
        "help": {"text": check.docs.trim(), "markdown": check.docs.trim()},
        "defaultConfiguration": {"level": worst.map_or("warning", level)},
        "properties": properties,
    })
}

fn result(report: &Report, category: Category, finding: &Finding, rule_index: Option<usize>) -> Value {
    let concrete = finding.instances.first().cloned().unwrap_or_else(|| {
        if finding.endpoint == "*" {
            "/".to_string()
        } else {
            finding.endpoint.clone()
        }
    });
    let request_line = format!("{} {} HTTP/1.1", finding.method, concrete);
    let excerpt = cut(finding.evidence.trim(), EXCERPT_CHARS);
    let mut text = format!("{} ({})", finding.title, where_(finding));
    if !excerpt.is_empty() {
        text.push_str(&format!(". Evidence: {}", cut(&excerpt.split_whitespace().collect::<Vec<_>>().join(" "), 200)));
    }
    let markdown = format!(
        "**{}** — `{}`\n\nRequest: `{}`{}",
        finding.title,
        where_(finding).replace('`', "'"),
        request_line.replace('`', "'"),
        if excerpt.is_empty() { String::new() } else { format!("\n\n```\n{}\n```", excerpt.replace("```", "'''")) }
    );
    let mut r = Map::new();
    r.insert("ruleId".into(), json!(finding.check));
    if let Some(i) = rule_index {
        r.insert("ruleIndex".into(), json!(i));
    }
    r.insert("level".into(), json!(level(finding.severity)));
    r.insert("message".into(), json!({"text": text, "markdown": markdown}));
    r.insert(
        "locations".into(),
        json!([{
            "physicalLocation": {"artifactLocation": {"uri": endpoint_uri(&finding.endpoint), "uriBaseId": "TARGET"}},
            "logicalLocations": [{"name": finding.endpoint, "fullyQualifiedName": format!("{} {}", finding.method, finding.endpoint), "kind": "resource"}],
        }]),
    );
    r.insert("partialFingerprints".into(), json!({"leakprobeFindingId/v1": finding.id}));
    let target = format!("{}{}", report.target.trim_end_matches('/'), concrete);
    r.insert(
        "webRequest".into(),
        json!({"protocol": "HTTP", "version": "1.1", "method": finding.method, "target": target}),
    );
    if !excerpt.is_empty() {
        r.insert("webResponse".into(), json!({"protocol": "HTTP", "version": "1.1", "body": {"text": excerpt}}));
    }
    if let Some(s) = &finding.suppressed {
        let mut justification = s.reason.clone();
        if let Some(expires) = &s.expires {
            justification.push_str(&format!(" (until {expires})"));
        }
        r.insert(
            "suppressions".into(),
            json!([{"kind": "external", "status": "accepted", "justification": justification}]),
        );
    }
    if let Some(state) = finding.baseline {
        r.insert(
            "baselineState".into(),
            json!(match state {
                BaselineState::New => "new",
                BaselineState::Unchanged => "unchanged",
            }),
        );
    }
    r.insert(
        "properties".into(),
        json!({
            "security-severity": security_severity(finding.severity),
            "severity": finding.severity.as_str(),
            "confidence": finding.confidence,
            "category": category.id(),
            "owasp": finding.owasp,
            "cwe": finding.cwe,
            "pii_types": finding.pii_types,
            "request": request_line,
            "instances": finding.instances,
        }),
    );
    Value::Object(r)
}

pub fn render(report: &Report) -> String {
    let mut worst: BTreeMap<&str, Severity> = BTreeMap::new();
    for (_, f) in report.findings() {
        let w = worst.entry(f.check.as_str()).or_insert(f.severity);
        *w = (*w).max(f.severity);
    }
    let rules: Vec<Value> = CHECKS.iter().map(|c| rule(c, worst.get(c.id).copied())).collect();
    let index_of = |check: &str| CHECKS.iter().position(|c| c.id == check);
    let results: Vec<Value> = report.findings().map(|(cat, f)| result(report, cat, f, index_of(&f.check))).collect();

    let mut notifications: Vec<Value> = report
        .coverage
        .incomplete
        .iter()
        .map(|reason| json!({"level": "warning", "message": {"text": format!("incomplete: {reason}")}}))
        .collect();
    for note in report.suppressions.iter().filter(|n| n.state == SuppressionState::Expired) {
        notifications.push(json!({
            "level": "warning",
            "message": {"text": format!("suppression {} expired on {}: its findings count again ({})", note.rule, note.expires.as_deref().unwrap_or("?"), note.reason)},
        }));
    }

    let mut invocation = json!({"executionSuccessful": true, "startTimeUtc": report.started_at});
    if !notifications.is_empty() {
        invocation["toolExecutionNotifications"] = json!(notifications);
    }
    let sarif = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": report.tool.name,
                "version": report.tool.version,
                "semanticVersion": report.tool.version,
                "informationUri": "https://github.com/leakprobe/leakprobe",
                "rules": rules,
            }},
            "invocations": [invocation],
            "originalUriBaseIds": {"TARGET": {"uri": format!("{}/", report.target.trim_end_matches('/'))}},
            "results": results,
            "properties": {
                "target": report.target,
                "score": report.score,
                "grade": report.grade,
                "requests": report.requests,
                "duration_ms": report.duration_ms,
            },
        }],
    });
    let mut out = serde_json::to_string_pretty(&sarif).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_uris_are_relative_and_encoded() {
        assert_eq!(endpoint_uri("/api/users/{id}"), "api/users/%7Bid%7D");
        assert_eq!(endpoint_uri("*"), "*");
        assert_eq!(endpoint_uri("/"), "*");
        assert_eq!(endpoint_uri("/a b?x=1"), "a%20b");
    }

    #[test]
    fn rule_names_are_pascal_case() {
        assert_eq!(pascal("server_version_disclosure"), "ServerVersionDisclosure");
    }
}
