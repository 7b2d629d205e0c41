//! One alert message: the events of one scan for one target, and its three renderings (Slack
//! blocks, the signed webhook's JSON body, an e-mail).
use leakprobe_engine::report::{Grade, Report};
use serde::Serialize;
use serde_json::{json, Value};
use url::Url;

use crate::rules::{Event, EventKind, FindingRef, Outcome, Scan};

/// Findings listed by name in a Slack message or an e-mail; the rest are counted. Keeps a Slack
/// section under its 3,000-character limit.
const LISTED: usize = 10;

/// The target as the server knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetInfo {
    pub id: String,
    pub name: String,
    pub url: String,
}

/// What one delivery says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    pub target: TargetInfo,
    pub scan: String,
    /// This scan's score and grade; absent for a failed scan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grade: Option<Grade>,
    /// The previous completed scan's score, for "41 (was 78)".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_score: Option<u32>,
    pub events: Vec<Event>,
    /// A message sent from the settings page to try a channel.
    pub test: bool,
}

impl Notice {
    /// The message for the events of `scan` (those not sent yet).
    pub fn new(target: TargetInfo, scan: Scan<'_>, previous: Option<&Report>, events: Vec<Event>) -> Notice {
        let report = match scan.outcome {
            Outcome::Completed(r) => Some(r),
            Outcome::Failed(_) => None,
        };
        Notice {
            target,
            scan: scan.id.to_string(),
            score: report.map(|r| r.score),
            grade: report.map(|r| r.grade),
            previous_score: previous.map(|r| r.score),
            events,
            test: false,
        }
    }

    /// What "send a test message" sends: no events, marked as a test.
    pub fn test() -> Notice {
        Notice {
            target: TargetInfo {
                id: "test".into(),
                name: "leakprobe test message".into(),
                url: "http://127.0.0.1/".into(),
            },
            scan: "test".into(),
            score: None,
            grade: None,
            previous_score: None,
            events: Vec::new(),
            test: true,
        }
    }

    fn new_findings(&self) -> Vec<&FindingRef> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::NewFinding { finding } => Some(finding),
                _ => None,
            })
            .collect()
    }

    fn fixed_findings(&self) -> Vec<&FindingRef> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Fixed { finding } => Some(finding),
                _ => None,
            })
            .collect()
    }

    /// One line per event that is not a finding (grade, score, failure).
    fn status_lines(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::GradeBelow { threshold, grade, previous, .. } => Some(match previous {
                    Some(p) => format!("Grade fell from {p} to {grade} (alert below {threshold})"),
                    None => format!("Grade is {grade} (alert below {threshold})"),
                }),
                EventKind::ScoreDrop { from, to, .. } => {
                    Some(format!("Score dropped by {} ({from} → {to})", from - to))
                }
                EventKind::ScanFailed { message } => Some(format!("Scan failed: {message}")),
                EventKind::NewFinding { .. } | EventKind::Fixed { .. } => None,
            })
            .collect()
    }

    /// The headline: subject of the e-mail, header of the Slack message.
    pub fn headline(&self) -> String {
        if self.test {
            return "leakprobe: test message".into();
        }
        let mut parts = Vec::new();
        let new = self.new_findings().len();
        if new > 0 {
            parts.push(format!("{new} new finding{}", if new == 1 { "" } else { "s" }));
        }
        for e in &self.events {
            match &e.kind {
                EventKind::GradeBelow { grade, .. } => parts.push(format!("grade {grade}")),
                EventKind::ScoreDrop { from, to, .. } => parts.push(format!("score −{}", from - to)),
                EventKind::ScanFailed { .. } => parts.push("scan failed".into()),
                EventKind::NewFinding { .. } | EventKind::Fixed { .. } => {}
            }
        }
        let fixed = self.fixed_findings().len();
        if fixed > 0 {
            parts.push(format!("{fixed} fixed"));
        }
        parts.dedup();
        format!("leakprobe: {} — {}", one_line(&self.target.name), parts.join(", "))
    }

    /// `41 (was 78)`, or `41`.
    fn score_text(&self) -> Option<String> {
        let score = self.score?;
        Some(match self.previous_score {
            Some(p) if p != score => format!("{score} (was {p})"),
            _ => score.to_string(),
        })
    }

    /// `{base}/scans/{scan}`: the dashboard's page of this scan.
    pub fn link(&self, dashboard: Option<&Url>) -> Option<Url> {
        if self.test {
            return dashboard.cloned();
        }
        let mut url = dashboard?.clone();
        url.path_segments_mut().ok()?.pop_if_empty().push("scans").push(&self.scan);
        Some(url)
    }

    /// The Slack incoming-webhook payload (Block Kit), with a plain `text` fallback for
    /// notifications. Everything that came from the target (endpoints, titles, names) is escaped,
    /// so a hostile target cannot ping `<!channel>` or forge a link.
    pub fn slack(&self, dashboard: Option<&Url>) -> Value {
        let headline = self.headline();
        let mut blocks = vec![json!({
            "type": "header",
            "text": {"type": "plain_text", "text": truncate(&headline, 150), "emoji": false},
        })];
        if self.test {
            blocks.push(section("This channel receives leakprobe alerts.".into()));
        }
        let mut fields = Vec::new();
        if let Some(grade) = self.grade {
            fields.push(json!({"type": "mrkdwn", "text": format!("*Grade*\n{grade}")}));
        }
        if let Some(score) = self.score_text() {
            fields.push(json!({"type": "mrkdwn", "text": format!("*Score*\n{score}")}));
        }
        if !fields.is_empty() {
            blocks.push(json!({"type": "section", "fields": fields}));
        }
        let status = self.status_lines();
        if !status.is_empty() {
            blocks.push(section(status.iter().map(|l| mrkdwn_escape(l)).collect::<Vec<_>>().join("\n")));
        }
        for (title, findings) in [("New findings", self.new_findings()), ("Fixed", self.fixed_findings())] {
            if !findings.is_empty() {
                blocks.push(section(format!("*{title}*\n{}", finding_lines(&findings, true))));
            }
        }
        if !self.test {
            blocks.push(json!({
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": format!("{} · scan {}", mrkdwn_escape(&self.target.url), mrkdwn_escape(&self.scan))}],
            }));
        }
        if let Some(link) = self.link(dashboard) {
            blocks.push(json!({
                "type": "actions",
                "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Open in leakprobe"}, "url": link.as_str()}],
            }));
        }
        json!({"text": headline, "blocks": blocks})
    }

    /// The generic webhook's body: the events as data, for receivers that act on them.
    pub fn webhook(&self, dashboard: Option<&Url>) -> Value {
        json!({
            "type": if self.test { "leakprobe.test" } else { "leakprobe.alert" },
            "version": "1",
            "summary": self.headline(),
            "target": self.target,
            "scan": self.scan,
            "score": self.score,
            "grade": self.grade,
            "previous_score": self.previous_score,
            "link": self.link(dashboard).map(String::from),
            "events": self.events,
        })
    }

    /// Subject and plain-text body of the e-mail.
    pub fn email(&self, dashboard: Option<&Url>) -> (String, String) {
        let mut body = String::new();
        if self.test {
            body.push_str("This address receives leakprobe alerts.\n");
        } else {
            body.push_str(&format!("Target: {} ({})\nScan: {}\n", self.target.name, self.target.url, self.scan));
        }
        if let Some(grade) = self.grade {
            body.push_str(&format!("Grade: {grade}\n"));
        }
        if let Some(score) = self.score_text() {
            body.push_str(&format!("Score: {score}\n"));
        }
        for line in self.status_lines() {
            body.push_str(&format!("\n{line}\n"));
        }
        for (title, findings) in [("New findings", self.new_findings()), ("Fixed", self.fixed_findings())] {
            if !findings.is_empty() {
                body.push_str(&format!("\n{title}:\n{}\n", finding_lines(&findings, false)));
            }
        }
        if let Some(link) = self.link(dashboard) {
            body.push_str(&format!("\n{link}\n"));
        }
        (one_line(&self.headline()), body)
    }
}

fn section(text: String) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": truncate(&text, 3000)}})
}

fn finding_lines(findings: &[&FindingRef], slack: bool) -> String {
    let mut lines: Vec<String> = findings
        .iter()
        .take(LISTED)
        .map(|f| {
            let (severity, title, place) = (
                f.severity.as_str().to_uppercase(),
                one_line(&f.title),
                one_line(&format!("{} {}", f.method, f.endpoint)),
            );
            if slack {
                format!("• *{severity}* {} — `{}`", mrkdwn_escape(&title), mrkdwn_escape(&place).replace('`', "'"))
            } else {
                format!("- [{severity}] {title} — {place} ({})", f.category)
            }
        })
        .collect();
    if findings.len() > LISTED {
        lines.push(format!("… and {} more", findings.len() - LISTED));
    }
    lines.join("\n")
}

/// Slack's control characters in mrkdwn: `<…>` makes links and mentions.
fn mrkdwn_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Control characters (a newline in a header, a subject) become spaces.
fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

fn truncate(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max_chars - 1).collect();
    out.push('…');
    out
}
