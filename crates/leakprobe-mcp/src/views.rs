//! What the tools return: compact, redacted views of reports made for an assistant to read.
//! Evidence is whatever the engine wrote, and the engine redacts it unless a scan asks for
//! `show_evidence`, which no tool does; [`scrub`] then masks anything secret-shaped that is left.
use std::sync::OnceLock;

use leakprobe_detect::{Confidence, Detector, PiiType};
use leakprobe_engine::report::{Category, Finding, Report};
use serde::Serialize;
use serde_json::Value;

use crate::store::ScanRecord;

#[derive(Debug, Serialize)]
pub struct ScanView {
    pub scan_id: String,
    pub target: String,
    pub started_at: String,
    pub duration_ms: u64,
    pub requests: usize,
    pub score: u32,
    pub grade: String,
    /// Set when this scan ran only some checks (a rescan).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub only_checks: Option<Vec<String>>,
    /// Why results may be partial (time limit, request budget, timeouts); empty when complete.
    pub incomplete: Vec<String>,
    pub categories: Vec<CategoryRow>,
    pub findings: Vec<FindingView>,
}

#[derive(Debug, Serialize)]
pub struct CategoryRow {
    pub category: Category,
    pub owasp: &'static str,
    pub score: u32,
    pub grade: String,
    /// Worst severity, `none` without findings.
    pub severity: String,
    pub findings: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct FindingView {
    pub id: String,
    pub check: String,
    pub category: Category,
    pub title: String,
    pub severity: String,
    pub confidence: String,
    pub method: String,
    pub endpoint: String,
    pub pii_types: Vec<PiiType>,
    /// Redacted.
    pub evidence: String,
    pub cwe: Vec<String>,
    pub owasp: String,
    pub instances: Vec<String>,
}

pub fn finding(category: Category, f: &Finding) -> FindingView {
    FindingView {
        id: f.id.clone(),
        check: f.check.clone(),
        category,
        title: f.title.clone(),
        severity: f.severity.to_string(),
        confidence: format!("{:?}", f.confidence).to_lowercase(),
        method: f.method.clone(),
        endpoint: f.endpoint.clone(),
        pii_types: f.pii_types.clone(),
        evidence: f.evidence.clone(),
        cwe: f.cwe.iter().map(|c| format!("CWE-{c}")).collect(),
        owasp: f.owasp.clone(),
        instances: f.instances.clone(),
    }
}

pub fn scan(record: &ScanRecord) -> ScanView {
    let r = &record.report;
    let categories = r
        .categories
        .iter()
        .map(|(c, cat)| CategoryRow {
            category: *c,
            owasp: c.owasp(),
            score: cat.score,
            grade: cat.grade.to_string(),
            severity: serde_json::to_value(cat.severity)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            findings: cat.findings.len(),
        })
        .collect();
    ScanView {
        scan_id: record.id.clone(),
        target: r.target.clone(),
        started_at: r.started_at.clone(),
        duration_ms: r.duration_ms,
        requests: r.requests,
        score: r.score,
        grade: r.grade.to_string(),
        only_checks: record.only_checks.clone(),
        incomplete: r.coverage.incomplete.clone(),
        categories,
        findings: r.findings().map(|(c, f)| finding(c, f)).collect(),
    }
}

/// One line per stored scan, for `list_scans`.
#[derive(Debug, Serialize)]
pub struct ScanSummary {
    pub scan_id: String,
    pub target: String,
    pub started_at: String,
    pub score: u32,
    pub grade: String,
    pub findings: usize,
    pub worst_severity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub only_checks: Option<Vec<String>>,
}

pub fn summary(record: &ScanRecord) -> ScanSummary {
    let r: &Report = &record.report;
    ScanSummary {
        scan_id: record.id.clone(),
        target: r.target.clone(),
        started_at: r.started_at.clone(),
        score: r.score,
        grade: r.grade.to_string(),
        findings: r.findings().count(),
        worst_severity: r.worst_severity().map(|s| s.to_string()),
        only_checks: record.only_checks.clone(),
    }
}

fn detector() -> &'static Detector {
    static DETECTOR: OnceLock<Detector> = OnceLock::new();
    DETECTOR.get_or_init(Detector::new)
}

/// The last line of defence before anything leaves the server: every string in `value` is run
/// through the detector and credentials, card numbers, SSNs, IBANs and e-mail addresses found with
/// high confidence are masked in place. Redacted values do not match again, so this is idempotent.
pub fn scrub(value: &mut Value) {
    match value {
        Value::String(s) => {
            let mut found: Vec<_> = detector().scan_text(s).into_iter().filter(must_mask).collect();
            if found.is_empty() {
                return;
            }
            found.sort_by_key(|m| std::cmp::Reverse(m.span.start));
            let mut out = s.clone();
            let mut last = usize::MAX;
            for m in found {
                // Overlapping matches: the later one was already replaced.
                if m.span.end > last || !out.is_char_boundary(m.span.start) || !out.is_char_boundary(m.span.end) {
                    continue;
                }
                out.replace_range(m.span.clone(), &m.redacted());
                last = m.span.start;
            }
            *s = out;
        }
        Value::Array(items) => items.iter_mut().for_each(scrub),
        Value::Object(map) => map.values_mut().for_each(scrub),
        _ => {}
    }
}

fn must_mask(m: &leakprobe_detect::Match) -> bool {
    let secret =
        matches!(m.kind, PiiType::ApiKey | PiiType::Token | PiiType::PrivateKey | PiiType::Secret | PiiType::Password);
    let identifying = matches!(m.kind, PiiType::Email | PiiType::Ssn | PiiType::CreditCard | PiiType::Iban);
    (secret && m.confidence >= Confidence::Medium) || (identifying && m.confidence >= Confidence::High)
}

/// Serialises a view as pretty JSON after [`scrub`].
pub fn to_text<T: Serialize>(view: &T) -> String {
    let mut value = serde_json::to_value(view).unwrap_or(Value::Null);
    scrub(&mut value);
    // The assistant's client may show this text in a terminal: no raw DEL, C1 or bidi control.
    leakprobe_render::escape_json_controls(serde_json::to_string_pretty(&value).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_masks_secrets_and_pii_left_in_any_string() {
        let mut v = serde_json::json!({
            "evidence": "contact jane.doe@acme-corp.com, card 4539 1488 0343 6467",
            "nested": ["key AKIAZ7QW3RT5YU6IOP2L here"],
            "plain": "GET /api/users/{id}",
        });
        scrub(&mut v);
        let text = v.to_string();
        assert!(!text.contains("jane.doe@acme-corp.com"), "{text}");
        assert!(!text.contains("4539 1488 0343 6467"), "{text}");
        assert!(!text.contains("AKIAZ7QW3RT5YU6IOP2L"), "{text}");
        assert!(text.contains("GET /api/users/{id}"));
        let again = v.clone();
        scrub(&mut v);
        assert_eq!(v, again, "scrubbing twice changes nothing");
    }

    #[test]
    fn text_for_the_assistant_carries_no_raw_control_character() {
        let text = to_text(&serde_json::json!({"evidence": "x\u{1b}[2J\u{9b}31m\u{7f}"}));
        assert!(!text.contains(['\u{1b}', '\u{9b}', '\u{7f}']), "{text}");
        assert!(text.contains(r"\u001b[2J\u009b31m\u007f"), "{text}");
    }
}
