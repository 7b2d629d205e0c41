//! Baselines and diffs: two reports compared by their findings' stable ids.
//!
//! `--baseline previous.json` marks each finding of the scan `new` or `unchanged` and lists the
//! baseline's findings that are gone as `baseline.fixed`; `--fail-on-new` then gates only on new
//! ones. `leakprobe diff old.json new.json` prints the same comparison both ways, plus what changed
//! on findings present in both (severity, confidence, title, suppression) and the score change.
use std::collections::HashSet;
use std::path::Path;

pub use leakprobe_engine::compare::{diff, Change, Diff, Entry, Side};
use leakprobe_engine::report::{BaselineState, BaselineSummary, Category, Finding, FixedFinding, Report};

use crate::UsageError;

/// Reads a JSON report written by `--format json` / `-o *.json` (any version of schema 1).
pub fn load(path: &Path, what: &str) -> Result<Report, UsageError> {
    let bytes = std::fs::read(path).map_err(|e| UsageError(format!("{what} {}: {e}", path.display())))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        UsageError(format!(
            "{what} {}: not a leakprobe JSON report ({e}); write one with `--format json` or `-o report.json`",
            path.display()
        ))
    })
}

/// Marks every finding of `report` against `baseline` and records the summary.
pub fn apply(report: &mut Report, baseline: &Report) {
    let before: HashSet<&str> = baseline.findings().map(|(_, f)| f.id.as_str()).collect();
    let mut now = HashSet::new();
    let (mut new, mut unchanged) = (0, 0);
    for cat in report.categories.values_mut() {
        for f in &mut cat.findings {
            now.insert(f.id.clone());
            let state = if before.contains(f.id.as_str()) { BaselineState::Unchanged } else { BaselineState::New };
            // The summary counts what counts: suppressed findings carry their state but are not tallied.
            if f.is_active() {
                match state {
                    BaselineState::New => new += 1,
                    BaselineState::Unchanged => unchanged += 1,
                }
            }
            f.baseline = Some(state);
        }
    }
    let fixed = baseline.findings().filter(|(_, f)| !now.contains(&f.id)).map(|(c, f)| fixed(c, f)).collect();
    report.baseline = Some(BaselineSummary {
        started_at: baseline.started_at.clone(),
        score: baseline.score,
        grade: baseline.grade,
        new,
        unchanged,
        fixed,
    });
}

fn fixed(category: Category, f: &Finding) -> FixedFinding {
    FixedFinding {
        id: f.id.clone(),
        check: f.check.clone(),
        category,
        title: f.title.clone(),
        severity: f.severity,
        method: f.method.clone(),
        endpoint: f.endpoint.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    use leakprobe_engine::report::{Confidence, Severity};

    fn finding(id: &str, severity: Severity) -> Finding {
        Finding {
            id: id.into(),
            check: "c".into(),
            title: "t".into(),
            severity,
            confidence: Confidence::High,
            method: "GET".into(),
            endpoint: "/".into(),
            pii_types: vec![],
            evidence: String::new(),
            cwe: vec![200],
            owasp: "API8:2023".into(),
            remediation: "r".into(),
            instances: vec![],
            methods: vec!["GET".into()],
            related: None,
            suppressed: None,
            baseline: None,
        }
    }

    fn report(findings: Vec<Finding>) -> Report {
        let json = serde_json::json!({
            "schema_version": "1", "tool": {"name": "leakprobe", "version": "0"}, "target": "http://127.0.0.1:1",
            "started_at": "2026-01-01T00:00:00Z", "duration_ms": 1, "requests": 1, "score": 100, "grade": "A",
            "categories": {"cors": {"score": 100, "grade": "A", "severity": "none", "findings": findings}},
            "ledger": [], "coverage": {"endpoints": 0, "from_spec": 0, "checks_run": 0, "incomplete": [], "throttled": false},
            "inventory": []
        });
        let mut r: Report = serde_json::from_value(json).expect("report");
        leakprobe_engine::scoring::rescore(&mut r);
        r
    }

    #[test]
    fn baseline_marks_new_unchanged_and_fixed() {
        let old = report(vec![finding("a", Severity::High), finding("b", Severity::Low)]);
        let mut new = report(vec![finding("a", Severity::High), finding("c", Severity::Medium)]);
        apply(&mut new, &old);
        let states: BTreeMap<_, _> = new.findings().map(|(_, f)| (f.id.clone(), f.baseline)).collect();
        assert_eq!(states["a"], Some(BaselineState::Unchanged));
        assert_eq!(states["c"], Some(BaselineState::New));
        let summary = new.baseline.expect("summary");
        assert_eq!((summary.new, summary.unchanged), (1, 1));
        assert_eq!(summary.fixed.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(), ["b"]);
    }

    #[test]
    fn diff_sees_appeared_disappeared_and_changed() {
        let old = report(vec![finding("a", Severity::Medium), finding("b", Severity::Low)]);
        let new = report(vec![finding("a", Severity::High), finding("c", Severity::Low)]);
        let d = diff(&old, &new);
        assert_eq!(d.appeared.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["c"]);
        assert_eq!(d.disappeared.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["b"]);
        assert_eq!(d.changed[0].changes, ["severity: medium → high"]);
        assert_eq!(d.score_change, i64::from(new.score) - i64::from(old.score));
    }
}
