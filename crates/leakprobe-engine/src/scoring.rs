//! The score: a transparent ledger of deductions, in the spirit of the Mozilla Observatory.
//!
//! Start at 100. Each finding deducts by severity ([`deduction`]); the n-th finding of the same check
//! deducts half of the one before (so fifty copies of one header do not sink a grade alone). A category
//! is scored the same way over its own findings. The overall score never drops below 0.
//!
//! A finding that follows from another (`related`: a 500 whose answer was the traceback page, the
//! debugger page of an enabled debugger) is listed in the ledger with no deduction and says whose
//! consequence it is: one root cause is paid for once.
use std::collections::HashMap;

use crate::report::{CategorySeverity, Finding, Grade, LedgerLine, Report, Severity};

/// The one table of deductions (documented in the README).
pub fn deduction(severity: Severity) -> u32 {
    match severity {
        Severity::Critical => 30,
        Severity::High => 20,
        Severity::Medium => 10,
        Severity::Low => 3,
        Severity::Info => 0,
    }
}

/// Ledger lines for `findings` (most severe first), with diminishing weight per check.
pub fn ledger<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Vec<LedgerLine> {
    let mut findings: Vec<&Finding> = findings.into_iter().collect();
    findings.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
    let mut seen_per_check: HashMap<&str, u32> = HashMap::new();
    findings
        .into_iter()
        .map(|f| {
            if let Some(root) = &f.related {
                return LedgerLine {
                    finding: f.id.clone(),
                    deduction: 0,
                    reason: format!("{} {}: {} (follows from {root}, already deducted)", f.severity, f.check, f.title),
                };
            }
            let n = seen_per_check.entry(f.check.as_str()).or_default();
            let base = deduction(f.severity);
            let amount = if base == 0 { 0 } else { (base >> (*n).min(31)).max(1) };
            *n += 1;
            LedgerLine {
                finding: f.id.clone(),
                deduction: amount,
                reason: format!("{} {}: {}", f.severity, f.check, f.title),
            }
        })
        .collect()
}

pub fn score(ledger: &[LedgerLine]) -> u32 {
    100u32.saturating_sub(ledger.iter().map(|l| l.deduction).sum())
}

/// Recomputes category scores, the ledger, the score and the grade from the findings that count:
/// suppressed findings stay listed in their category but deduct nothing and set no severity.
pub fn rescore(report: &mut Report) {
    for category in report.categories.values_mut() {
        let active: Vec<&Finding> = category.findings.iter().filter(|f| f.is_active()).collect();
        category.score = score(&ledger(active.iter().copied()));
        category.grade = Grade::from_score(category.score);
        category.severity =
            active.iter().map(|f| f.severity).max().map_or(CategorySeverity::None, CategorySeverity::Some);
    }
    report.ledger = ledger(report.categories.values().flat_map(|c| &c.findings).filter(|f| f.is_active()));
    report.score = score(&report.ledger);
    report.grade = Grade::from_score(report.score);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Confidence;

    fn finding(check: &str, id: &str, severity: Severity) -> Finding {
        Finding {
            id: id.into(),
            check: check.into(),
            title: "t".into(),
            severity,
            confidence: Confidence::High,
            method: "GET".into(),
            endpoint: "/".into(),
            pii_types: vec![],
            evidence: String::new(),
            cwe: vec![],
            owasp: String::new(),
            remediation: String::new(),
            instances: vec![],
            methods: vec!["GET".into()],
            related: None,
            suppressed: None,
            baseline: None,
        }
    }

    #[test]
    fn repeated_findings_of_one_check_deduct_less_each_time() {
        let fs = [
            finding("a", "1", Severity::High),
            finding("a", "2", Severity::High),
            finding("a", "3", Severity::High),
            finding("b", "4", Severity::Medium),
        ];
        let l = ledger(&fs);
        let amounts: Vec<u32> = l.iter().map(|l| l.deduction).collect();
        assert_eq!(amounts, vec![20, 10, 5, 10]);
        assert_eq!(score(&l), 55);
    }

    #[test]
    fn related_findings_deduct_nothing_and_say_why() {
        let mut follower = finding("server_error_on_malformed_input", "2", Severity::Medium);
        follower.related = Some("1".into());
        let fs = [finding("stack_trace_disclosure", "1", Severity::High), follower];
        let l = ledger(&fs);
        assert_eq!(l.iter().map(|l| l.deduction).collect::<Vec<_>>(), vec![20, 0]);
        assert!(l[1].reason.contains("follows from 1"), "{}", l[1].reason);
        assert_eq!(score(&l), 80);
    }

    #[test]
    fn score_never_goes_below_zero() {
        let fs: Vec<_> = (0..10).map(|i| finding(&format!("c{i}"), &i.to_string(), Severity::Critical)).collect();
        assert_eq!(score(&ledger(&fs)), 0);
    }

    #[test]
    fn rescore_leaves_suppressed_findings_out_of_every_score() {
        use crate::report::{Category, CategoryReport, Coverage, Suppressed, Tool};
        let mut suppressed = finding("b", "2", Severity::Critical);
        suppressed.suppressed =
            Some(Suppressed { rule: "check = \"b\"".into(), reason: "accepted".into(), expires: None });
        let findings = vec![suppressed, finding("a", "1", Severity::Medium)];
        let mut categories = std::collections::BTreeMap::new();
        categories.insert(
            Category::Cors,
            CategoryReport { score: 0, grade: Grade::F, severity: CategorySeverity::None, findings },
        );
        let mut report = Report {
            schema_version: "1".into(),
            tool: Tool { name: "leakprobe".into(), version: "0".into() },
            target: "http://127.0.0.1".into(),
            started_at: String::new(),
            duration_ms: 0,
            requests: 0,
            score: 0,
            grade: Grade::F,
            categories,
            ledger: vec![],
            coverage: Coverage {
                endpoints: 0,
                from_spec: 0,
                without_schema: 0,
                checks_run: 0,
                incomplete: vec![],
                throttled: false,
                complete: true,
                checks: vec![],
                not_called: vec![],
            },
            inventory: vec![],
            tls: None,
            baseline: None,
            suppressions: vec![],
        };
        rescore(&mut report);
        assert_eq!((report.score, report.grade), (90, Grade::A));
        assert_eq!(report.ledger.len(), 1);
        let cors = &report.categories[&Category::Cors];
        assert_eq!((cors.score, cors.severity), (90, CategorySeverity::Some(Severity::Medium)));
        assert_eq!(cors.findings.len(), 2, "suppressed findings stay listed");
        assert_eq!(report.worst_severity(), Some(Severity::Medium));
    }
}
