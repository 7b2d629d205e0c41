//! Alert rules and their evaluation: (previous completed report, this scan's outcome) → events.
//!
//! Evaluation is pure. Every event carries a dedup key built from stable facts only (target id,
//! the rule's own key, a finding's stable id, a scan id), so evaluating the same scan twice (a
//! retried job, a restarted server) yields the same keys and the server, which records the keys it
//! has sent, alerts once per event.
use std::collections::{BTreeMap, BTreeSet};

use leakprobe_engine::report::{Category, Finding, Grade, Report, Severity};
use serde::{Deserialize, Serialize};

/// One alert rule of a target. Rules fire on changes, not on states: a target that stays at grade F
/// or keeps failing alerts when it gets there, not at every scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "when", rename_all = "snake_case", deny_unknown_fields)]
pub enum Rule {
    /// The grade falls below `grade` (worse than it) while the previous completed scan's did not,
    /// or there was no previous scan.
    GradeBelow { grade: Grade },
    /// The score is at least `points` lower than the previous completed scan's.
    ScoreDrop { points: u32 },
    /// A finding appears that was not active in the previous completed scan, of at least
    /// `min_severity` and in `category` (each filter optional; both given means both must hold).
    /// With `notify_fixed`, matching findings of the previous scan that this (complete) scan no
    /// longer sees are reported as fixed.
    NewFinding {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_severity: Option<Severity>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        category: Option<Category>,
        #[serde(default)]
        notify_fixed: bool,
    },
    /// The scan failed (and the scan before it did not: a target that is down alerts once).
    ScanFailed,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("grade_below F never fires: no grade is below F")]
    NothingBelowF,
    #[error("score_drop needs between 1 and 100 points, not {0}")]
    ScoreDropRange(u32),
    #[error("rule `{0}` is listed twice")]
    Duplicate(String),
}

impl Rule {
    /// The rule's identity in dedup keys, made of its settings: editing a threshold makes a new
    /// rule, whose events are new events.
    pub fn key(&self) -> String {
        match self {
            Rule::GradeBelow { grade } => format!("grade_below:{grade}"),
            Rule::ScoreDrop { points } => format!("score_drop:{points}"),
            Rule::NewFinding { min_severity, category, notify_fixed } => {
                let mut key = String::from("new_finding");
                if let Some(s) = min_severity {
                    key.push_str(&format!(":severity>={s}"));
                }
                if let Some(c) = category {
                    key.push_str(&format!(":category={c}"));
                }
                if *notify_fixed {
                    key.push_str(":fixed");
                }
                key
            }
            Rule::ScanFailed => "scan_failed".into(),
        }
    }

    pub fn validate(&self) -> Result<(), RuleError> {
        match self {
            Rule::GradeBelow { grade: Grade::F } => Err(RuleError::NothingBelowF),
            Rule::ScoreDrop { points } if !(1..=100).contains(points) => Err(RuleError::ScoreDropRange(*points)),
            _ => Ok(()),
        }
    }

    fn matches(&self, category: Category, f: &Finding) -> bool {
        match self {
            Rule::NewFinding { min_severity, category: wanted, .. } => {
                min_severity.is_none_or(|s| f.severity >= s) && wanted.is_none_or(|c| c == category)
            }
            _ => false,
        }
    }
}

/// Checks every rule and that none is listed twice (two equal rules would send every event twice
/// under one key, and the second would be dropped as already sent).
pub fn validate(rules: &[Rule]) -> Result<(), RuleError> {
    let mut seen = BTreeSet::new();
    for rule in rules {
        rule.validate()?;
        let key = rule.key();
        if !seen.insert(key.clone()) {
            return Err(RuleError::Duplicate(key));
        }
    }
    Ok(())
}

/// What this scan came to.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    Completed(&'a Report),
    /// The scan could not run or finish; the message is the server's (never a channel's secret).
    Failed(&'a str),
}

/// The scan being evaluated.
#[derive(Debug, Clone, Copy)]
pub struct Scan<'a> {
    /// The server's id of the monitored target.
    pub target: &'a str,
    /// The server's id of this scan.
    pub id: &'a str,
    pub outcome: Outcome<'a>,
}

/// What the server knows of the target's past.
#[derive(Debug, Clone, Copy, Default)]
pub struct History<'a> {
    /// The last scan of the target that completed before this one.
    pub previous: Option<&'a Report>,
    /// The scan right before this one failed (so a failure now is not news).
    pub previous_failed: bool,
}

/// A finding as events and messages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingRef {
    pub id: String,
    pub check: String,
    pub category: Category,
    pub severity: Severity,
    pub title: String,
    pub method: String,
    pub endpoint: String,
}

impl FindingRef {
    fn new(category: Category, f: &Finding) -> FindingRef {
        FindingRef {
            id: f.id.clone(),
            check: f.check.clone(),
            category,
            severity: f.severity,
            title: f.title.clone(),
            method: f.method.clone(),
            endpoint: f.endpoint.clone(),
        }
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    NewFinding { finding: FindingRef },
    Fixed { finding: FindingRef },
    GradeBelow { threshold: Grade, grade: Grade, previous: Option<Grade>, score: u32 },
    ScoreDrop { threshold: u32, from: u32, to: u32 },
    ScanFailed { message: String },
}

/// One thing to alert on, once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Stable dedup key: the server sends an event whose key it has not recorded yet, then records it.
    pub key: String,
    pub target: String,
    pub scan: String,
    /// [`Rule::key`] of the rule that fired.
    pub rule: String,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// The events `rules` raise for `scan`, in rule order (within a rule: most severe finding first).
///
/// Dedup keys: a finding event is keyed by target, rule, finding id and the scan where it appeared
/// (or disappeared), so re-evaluating that scan repeats the key while a finding that comes back
/// after a fix alerts again; score, grade and failure events by target, rule and scan.
pub fn evaluate(rules: &[Rule], history: History<'_>, scan: Scan<'_>) -> Vec<Event> {
    let mut events = Vec::new();
    for rule in rules {
        match (rule, scan.outcome) {
            (Rule::ScanFailed, Outcome::Failed(message)) if !history.previous_failed => {
                events.push(event(scan, rule, EventKind::ScanFailed { message: message.to_string() }, &[]));
            }
            (Rule::GradeBelow { grade: threshold }, Outcome::Completed(report)) => {
                let was_below = history.previous.is_some_and(|p| p.grade > *threshold);
                if report.grade > *threshold && !was_below {
                    let kind = EventKind::GradeBelow {
                        threshold: *threshold,
                        grade: report.grade,
                        previous: history.previous.map(|p| p.grade),
                        score: report.score,
                    };
                    events.push(event(scan, rule, kind, &[]));
                }
            }
            (Rule::ScoreDrop { points }, Outcome::Completed(report)) => {
                if let Some(previous) = history.previous {
                    if previous.score.saturating_sub(report.score) >= *points {
                        let kind = EventKind::ScoreDrop { threshold: *points, from: previous.score, to: report.score };
                        events.push(event(scan, rule, kind, &[]));
                    }
                }
            }
            (Rule::NewFinding { notify_fixed, .. }, Outcome::Completed(report)) => {
                // Compared by stable id over the findings that count: a finding whose suppression
                // expired is new again, one that got suppressed is not fixed.
                let before: BTreeMap<&str, (Category, &Finding)> = history
                    .previous
                    .map(|p| {
                        p.findings().filter(|(_, f)| f.is_active()).map(|(c, f)| (f.id.as_str(), (c, f))).collect()
                    })
                    .unwrap_or_default();
                for (category, f) in report.findings() {
                    if f.is_active() && !before.contains_key(f.id.as_str()) && rule.matches(category, f) {
                        let kind = EventKind::NewFinding { finding: FindingRef::new(category, f) };
                        events.push(event(scan, rule, kind, &["new", f.id.as_str()]));
                    }
                }
                // A partial scan (budget, time limit) that did not see a finding proves nothing about it.
                if *notify_fixed && report.coverage.complete {
                    let now: BTreeSet<&str> = report.findings().map(|(_, f)| f.id.as_str()).collect();
                    let mut gone: Vec<&(Category, &Finding)> =
                        before.values().filter(|(c, f)| !now.contains(f.id.as_str()) && rule.matches(*c, f)).collect();
                    gone.sort_by_key(|(_, f)| std::cmp::Reverse(f.severity));
                    for (category, f) in gone {
                        let kind = EventKind::Fixed { finding: FindingRef::new(*category, f) };
                        events.push(event(scan, rule, kind, &["fixed", f.id.as_str()]));
                    }
                }
            }
            _ => {}
        }
    }
    events
}

fn event(scan: Scan<'_>, rule: &Rule, kind: EventKind, detail: &[&str]) -> Event {
    let rule_key = rule.key();
    let mut parts = vec![scan.target, rule_key.as_str()];
    parts.extend_from_slice(detail);
    parts.push(scan.id);
    Event {
        key: dedup_key(&parts),
        target: scan.target.to_string(),
        scan: scan.id.to_string(),
        rule: rule_key.clone(),
        kind,
    }
}

/// Joins the parts with `/`, escaping `%` and `/` inside a part, so no two part lists share a key.
fn dedup_key(parts: &[&str]) -> String {
    parts.iter().map(|p| p.replace('%', "%25").replace('/', "%2F")).collect::<Vec<_>>().join("/")
}
