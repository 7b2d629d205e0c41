//! Rule evaluation over reports: what fires, once, under which key.
use std::collections::BTreeMap;

use leakprobe_alerts::{evaluate, validate, Event, EventKind, History, Outcome, Rule, RuleError, Scan};
use leakprobe_engine::report::{
    Category, CategoryReport, CategorySeverity, Confidence, Coverage, Finding, Grade, Report, Severity, Suppressed,
    Tool,
};

fn finding(id: &str, severity: Severity) -> Finding {
    Finding {
        id: id.into(),
        check: "pii_in_response".into(),
        title: format!("finding {id}"),
        severity,
        confidence: Confidence::High,
        method: "GET".into(),
        methods: vec!["GET".into()],
        endpoint: "/api/users/{id}".into(),
        pii_types: Vec::new(),
        evidence: String::new(),
        cwe: vec![359],
        owasp: "API3:2023".into(),
        remediation: String::new(),
        instances: Vec::new(),
        related: None,
        suppressed: None,
        baseline: None,
    }
}

/// A report scoring `score` with `findings` (category, finding).
fn report(score: u32, findings: Vec<(Category, Finding)>) -> Report {
    let mut categories: BTreeMap<Category, CategoryReport> = Category::ALL
        .iter()
        .map(|c| {
            (*c, CategoryReport { score: 100, grade: Grade::A, severity: CategorySeverity::None, findings: Vec::new() })
        })
        .collect();
    for (c, f) in findings {
        categories.get_mut(&c).expect("category").findings.push(f);
    }
    Report {
        schema_version: "1".into(),
        tool: Tool { name: "leakprobe".into(), version: "0.1.0".into() },
        target: "http://127.0.0.1:5000".into(),
        started_at: "2026-12-06T10:00:00Z".into(),
        duration_ms: 1000,
        requests: 10,
        score,
        grade: Grade::from_score(score),
        categories,
        ledger: Vec::new(),
        coverage: Coverage {
            endpoints: 3,
            from_spec: 0,
            without_schema: 0,
            checks_run: 13,
            incomplete: Vec::new(),
            throttled: false,
            complete: true,
            checks: Vec::new(),
            not_called: Vec::new(),
        },
        inventory: Vec::new(),
        tls: None,
        baseline: None,
        suppressions: Vec::new(),
    }
}

fn scan<'a>(id: &'a str, report: &'a Report) -> Scan<'a> {
    Scan { target: "t1", id, outcome: Outcome::Completed(report) }
}

fn after(previous: &Report) -> History<'_> {
    History { previous: Some(previous), previous_failed: false }
}

fn rules(json: &str) -> Vec<Rule> {
    let rules: Vec<Rule> = serde_json::from_str(json).expect("rules parse");
    validate(&rules).expect("rules valid");
    rules
}

fn keys(events: &[Event]) -> Vec<&str> {
    events.iter().map(|e| e.key.as_str()).collect()
}

#[test]
fn a_new_data_exposure_finding_fires_once_and_its_key_is_stable() {
    let rules = rules(r#"[{"when": "new_finding", "category": "data_exposure"}]"#);
    let clean = report(95, vec![(Category::Fingerprinting, finding("fp1", Severity::Low))]);
    let leaking = report(
        55,
        vec![
            (Category::Fingerprinting, finding("fp1", Severity::Low)),
            (Category::DataExposure, finding("ssn1", Severity::Critical)),
            (Category::ErrorDisclosure, finding("tb1", Severity::High)),
        ],
    );

    let events = evaluate(&rules, after(&clean), scan("s2", &leaking));
    assert_eq!(events.len(), 1, "only the data_exposure finding is new and in the category: {events:?}");
    let EventKind::NewFinding { finding } = &events[0].kind else { panic!("{events:?}") };
    assert_eq!(
        (finding.id.as_str(), finding.category, finding.severity),
        ("ssn1", Category::DataExposure, Severity::Critical)
    );
    assert_eq!(events[0].key, "t1/new_finding:category=data_exposure/new/ssn1/s2");

    // The same scan evaluated again (a retried job): same key, which the server has recorded.
    assert_eq!(keys(&evaluate(&rules, after(&clean), scan("s2", &leaking))), keys(&events));
    // The next scan still sees it: not new, nothing to send.
    let still = leaking.clone();
    assert!(evaluate(&rules, after(&leaking), scan("s3", &still)).is_empty());
}

#[test]
fn a_fixed_finding_is_reported_when_the_rule_asks_and_a_regression_alerts_again() {
    let asks = rules(r#"[{"when": "new_finding", "min_severity": "high", "notify_fixed": true}]"#);
    let silent = rules(r#"[{"when": "new_finding", "min_severity": "high"}]"#);
    let leaking = report(55, vec![(Category::DataExposure, finding("ssn1", Severity::Critical))]);
    let clean = report(100, Vec::new());

    let events = evaluate(&asks, after(&leaking), scan("s3", &clean));
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(matches!(&events[0].kind, EventKind::Fixed { finding } if finding.id == "ssn1"));
    assert_eq!(events[0].key, "t1/new_finding:severity>=high:fixed/fixed/ssn1/s3");
    assert!(evaluate(&silent, after(&leaking), scan("s3", &clean)).is_empty(), "no fixed events unless asked");

    // A scan cut short by its budget did not see the finding; that proves nothing.
    let mut partial = clean.clone();
    partial.coverage.complete = false;
    assert!(evaluate(&asks, after(&leaking), scan("s3", &partial)).is_empty());

    // Back again after the fix: a new appearance, a new key, a new alert.
    let again = evaluate(&asks, after(&clean), scan("s4", &leaking));
    assert_eq!(keys(&again), ["t1/new_finding:severity>=high:fixed/new/ssn1/s4"]);
}

#[test]
fn severity_and_category_filters_both_hold() {
    let rules = rules(r#"[{"when": "new_finding", "min_severity": "high", "category": "data_exposure"}]"#);
    let clean = report(100, Vec::new());
    let medium = report(85, vec![(Category::DataExposure, finding("email1", Severity::Medium))]);
    let other_high = report(80, vec![(Category::Cors, finding("cors1", Severity::High))]);
    let high = report(70, vec![(Category::DataExposure, finding("card1", Severity::High))]);
    assert!(evaluate(&rules, after(&clean), scan("a", &medium)).is_empty(), "medium is below high");
    assert!(evaluate(&rules, after(&clean), scan("b", &other_high)).is_empty(), "cors is not data_exposure");
    assert_eq!(evaluate(&rules, after(&clean), scan("c", &high)).len(), 1);
    // A first scan has no previous report: its findings are all new.
    assert_eq!(evaluate(&rules, History::default(), scan("d", &high)).len(), 1);
}

#[test]
fn suppressed_findings_do_not_alert_until_their_suppression_ends() {
    let rules = rules(r#"[{"when": "new_finding", "notify_fixed": true}]"#);
    let clean = report(100, Vec::new());
    let mut suppressed = finding("srv1", Severity::Medium);
    suppressed.suppressed = Some(Suppressed { rule: "check = \"x\"".into(), reason: "accepted".into(), expires: None });
    let quiet = report(100, vec![(Category::Fingerprinting, suppressed)]);
    let loud = report(90, vec![(Category::Fingerprinting, finding("srv1", Severity::Medium))]);
    assert!(evaluate(&rules, after(&clean), scan("a", &quiet)).is_empty());
    assert_eq!(keys(&evaluate(&rules, after(&quiet), scan("b", &loud))), ["t1/new_finding:fixed/new/srv1/b"]);
    // Suppressing a finding is not fixing it.
    assert!(evaluate(&rules, after(&loud), scan("c", &quiet)).is_empty());
}

#[test]
fn grade_below_fires_when_the_grade_crosses_the_threshold() {
    let rules = rules(r#"[{"when": "grade_below", "grade": "C"}]"#);
    let b = report(85, Vec::new());
    let c = report(70, Vec::new());
    let d = report(55, Vec::new());
    let f = report(30, Vec::new());
    let events = evaluate(&rules, after(&b), scan("s2", &d));
    assert_eq!(keys(&events), ["t1/grade_below:C/s2"]);
    assert!(matches!(
        events[0].kind,
        EventKind::GradeBelow { threshold: Grade::C, grade: Grade::D, previous: Some(Grade::B), score: 55 }
    ));
    assert!(evaluate(&rules, after(&b), scan("s2", &c)).is_empty(), "C is not below C");
    assert!(evaluate(&rules, after(&d), scan("s3", &f)).is_empty(), "already below: no news");
    assert_eq!(evaluate(&rules, History::default(), scan("s1", &f)).len(), 1, "a first scan below alerts");
}

#[test]
fn score_drop_fires_at_the_threshold_not_below_it() {
    let rules = rules(r#"[{"when": "score_drop", "points": 10}]"#);
    let (eighty, seventy_one, seventy) = (report(80, Vec::new()), report(71, Vec::new()), report(70, Vec::new()));
    assert!(evaluate(&rules, after(&eighty), scan("s", &seventy_one)).is_empty(), "a drop of 9");
    let events = evaluate(&rules, after(&eighty), scan("s", &seventy));
    assert_eq!(keys(&events), ["t1/score_drop:10/s"]);
    assert!(matches!(events[0].kind, EventKind::ScoreDrop { threshold: 10, from: 80, to: 70 }));
    assert!(evaluate(&rules, History::default(), scan("s", &seventy)).is_empty(), "nothing to drop from");
    assert!(evaluate(&rules, after(&seventy), scan("s", &eighty)).is_empty(), "a rise");
}

#[test]
fn a_failed_scan_alerts_once_until_a_scan_succeeds() {
    let rules = rules(r#"[{"when": "scan_failed"}, {"when": "new_finding"}, {"when": "score_drop", "points": 5}]"#);
    let previous = report(90, Vec::new());
    let failed = Scan { target: "t1", id: "s9", outcome: Outcome::Failed("connection refused") };
    let events = evaluate(&rules, after(&previous), failed);
    assert_eq!(keys(&events), ["t1/scan_failed/s9"], "only the failure rule applies to a failed scan");
    assert!(matches!(&events[0].kind, EventKind::ScanFailed { message } if message == "connection refused"));
    let still_down = History { previous: Some(&previous), previous_failed: true };
    assert!(evaluate(&rules, still_down, failed).is_empty());
    assert!(evaluate(&rules, after(&previous), scan("s10", &previous)).is_empty(), "a completed scan is no failure");
}

#[test]
fn rules_are_validated_and_round_trip() {
    let bad = |json: &str| validate(&serde_json::from_str::<Vec<Rule>>(json).expect("parses")).expect_err("rejected");
    assert_eq!(bad(r#"[{"when": "grade_below", "grade": "F"}]"#), RuleError::NothingBelowF);
    assert_eq!(bad(r#"[{"when": "score_drop", "points": 0}]"#), RuleError::ScoreDropRange(0));
    assert_eq!(bad(r#"[{"when": "score_drop", "points": 101}]"#), RuleError::ScoreDropRange(101));
    assert!(matches!(bad(r#"[{"when": "scan_failed"}, {"when": "scan_failed"}]"#), RuleError::Duplicate(_)));
    for wrong in [
        r#"[{"when": "new_finding", "severity": "high"}]"#,
        r#"[{"when": "new_finding", "min_severity": "urgent"}]"#,
        r#"[{"when": "new_finding", "category": "leaks"}]"#,
        r#"[{"when": "grade_below", "grade": "E"}]"#,
        r#"[{"when": "sometimes"}]"#,
    ] {
        assert!(serde_json::from_str::<Vec<Rule>>(wrong).is_err(), "accepted {wrong}");
    }
    let all = rules(
        r#"[{"when": "grade_below", "grade": "B"}, {"when": "score_drop", "points": 15},
            {"when": "new_finding", "min_severity": "critical", "category": "data_exposure", "notify_fixed": true},
            {"when": "scan_failed"}]"#,
    );
    let again: Vec<Rule> = serde_json::from_str(&serde_json::to_string(&all).expect("serializes")).expect("parses");
    assert_eq!(again, all);
}

#[test]
fn keys_cannot_collide_through_separators_in_ids() {
    let rules = rules(r#"[{"when": "scan_failed"}]"#);
    let a = evaluate(&rules, History::default(), Scan { target: "a/b", id: "c", outcome: Outcome::Failed("x") });
    let b = evaluate(&rules, History::default(), Scan { target: "a", id: "b/c", outcome: Outcome::Failed("x") });
    assert_ne!(a[0].key, b[0].key);
}
