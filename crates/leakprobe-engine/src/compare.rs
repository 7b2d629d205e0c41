//! Two reports compared by their findings' stable ids: what appeared, what disappeared, and what
//! changed on findings present in both (severity, confidence, title, data, suppression), plus the
//! score change. `leakprobe diff`, `--baseline` and the MCP `diff_scans` tool all read this.
use std::collections::BTreeMap;

use serde::Serialize;

use crate::report::{Category, Finding, Report};

/// One side of a diff: the report's headline.
#[derive(Debug, Serialize)]
pub struct Side {
    pub target: String,
    pub started_at: String,
    pub score: u32,
    pub grade: String,
    pub findings: usize,
}

#[derive(Debug, Serialize)]
pub struct Entry {
    pub id: String,
    pub check: String,
    pub category: Category,
    pub severity: String,
    pub title: String,
    pub method: String,
    pub endpoint: String,
    pub suppressed: bool,
}

#[derive(Debug, Serialize)]
pub struct Change {
    #[serde(flatten)]
    pub finding: Entry,
    /// What changed, e.g. `severity: medium → high`.
    pub changes: Vec<String>,
}

/// What happened between two reports.
#[derive(Debug, Serialize)]
pub struct Diff {
    pub old: Side,
    pub new: Side,
    pub score_change: i64,
    pub appeared: Vec<Entry>,
    pub disappeared: Vec<Entry>,
    pub changed: Vec<Change>,
}

fn entry(category: Category, f: &Finding) -> Entry {
    Entry {
        id: f.id.clone(),
        check: f.check.clone(),
        category,
        severity: f.severity.to_string(),
        title: f.title.clone(),
        method: f.method.clone(),
        endpoint: f.endpoint.clone(),
        suppressed: !f.is_active(),
    }
}

fn side(r: &Report) -> Side {
    Side {
        target: r.target.clone(),
        started_at: r.started_at.clone(),
        score: r.score,
        grade: r.grade.to_string(),
        findings: r.findings().filter(|(_, f)| f.is_active()).count(),
    }
}

pub fn diff(old: &Report, new: &Report) -> Diff {
    let before: BTreeMap<&str, (Category, &Finding)> = old.findings().map(|(c, f)| (f.id.as_str(), (c, f))).collect();
    let after: BTreeMap<&str, (Category, &Finding)> = new.findings().map(|(c, f)| (f.id.as_str(), (c, f))).collect();
    let mut appeared = Vec::new();
    let mut changed = Vec::new();
    for (c, f) in new.findings() {
        let Some((_, was)) = before.get(f.id.as_str()) else {
            appeared.push(entry(c, f));
            continue;
        };
        let mut changes = Vec::new();
        if was.severity != f.severity {
            changes.push(format!("severity: {} → {}", was.severity, f.severity));
        }
        if was.confidence != f.confidence {
            changes.push(format!("confidence: {:?} → {:?}", was.confidence, f.confidence).to_lowercase());
        }
        if was.title != f.title {
            changes.push(format!("title: {} → {}", was.title, f.title));
        }
        if was.pii_types != f.pii_types {
            let list = |f: &Finding| f.pii_types.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ");
            changes.push(format!("data: [{}] → [{}]", list(was), list(f)));
        }
        if was.is_active() != f.is_active() {
            changes.push(if f.is_active() {
                "suppressed → active".to_string()
            } else {
                "active → suppressed".to_string()
            });
        }
        if !changes.is_empty() {
            changed.push(Change { finding: entry(c, f), changes });
        }
    }
    let disappeared =
        old.findings().filter(|(_, f)| !after.contains_key(f.id.as_str())).map(|(c, f)| entry(c, f)).collect();
    Diff {
        old: side(old),
        new: side(new),
        score_change: i64::from(new.score) - i64::from(old.score),
        appeared,
        disappeared,
        changed,
    }
}
