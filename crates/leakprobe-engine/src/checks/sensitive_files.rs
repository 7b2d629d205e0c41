//! `sensitive_files`: backups, dumps, exports, `.env` and settings, `.git/` and other VCS folders,
//! keys and credential files, and directory listings, served by the target.
//!
//! What is probed and how each answer is validated is data (`data/sensitive-files.txt` and
//! `data/sensitive-files.rules`). A hit needs three things: the answer is not the target's soft-404,
//! the rule's matchers pass (magic bytes, markers, not HTML), and the inspector agrees (a CSV header
//! with personal-data columns, a listing's markup). Served files then go through the detector, so
//! a CSV of customer e-mails or a dump with SSNs rates above an empty archive.
//!
//! Six checks share the probing, one per kind of file, so each has its own docs, CWE and
//! remediation. Each check sends only its own paths; the folder probes they all need are sent once
//! (the client answers identical probes from its cache).
pub(crate) mod inspect;
mod plan;
mod rules;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::stream::{self, StreamExt};
use leakprobe_detect::{Confidence as MatchConfidence, PiiType};

use super::{CheckInfo, Hit, Runner, Status};
use crate::client::{Exchange, Probe};
use crate::context::ScanContext;
use crate::error::ScanError;
use crate::report::{Category, Severity};
use inspect::{inspect, Inspection};
use rules::{Family, Rule, DATA};

pub static BACKUP_FILES: CheckInfo = CheckInfo {
    id: "backup_file_exposed",
    category: Category::SensitiveFiles,
    status: Status::Stable,
    cwe: &[530, 538],
    summary: "Backups, archives and database dumps served (validated by magic bytes and SQL markers)",
    docs: include_str!("../../docs/checks/backup_file_exposed.md"),
    runner: Runner::Active(run_backup),
};

pub static DATA_EXPORTS: CheckInfo = CheckInfo {
    id: "data_export_exposed",
    category: Category::SensitiveFiles,
    status: Status::Stable,
    cwe: &[538, 359],
    summary: "CSV exports with personal-data columns (users.csv, customers.csv) served",
    docs: include_str!("../../docs/checks/data_export_exposed.md"),
    runner: Runner::Active(run_export),
};

pub static VCS_METADATA: CheckInfo = CheckInfo {
    id: "vcs_metadata_exposed",
    category: Category::SensitiveFiles,
    status: Status::Stable,
    cwe: &[527, 538],
    summary: ".git/ (config, HEAD, index, logs), .svn/, .hg/ and .bzr/ served",
    docs: include_str!("../../docs/checks/vcs_metadata_exposed.md"),
    runner: Runner::Active(run_vcs),
};

pub static CONFIG_FILES: CheckInfo = CheckInfo {
    id: "config_file_exposed",
    category: Category::SensitiveFiles,
    status: Status::Stable,
    cwe: &[538, 540, 260],
    summary: ".env variants, Flask settings modules, docker-compose, gunicorn and uWSGI configs served",
    docs: include_str!("../../docs/checks/config_file_exposed.md"),
    runner: Runner::Active(run_config),
};

pub static KEY_FILES: CheckInfo = CheckInfo {
    id: "key_file_exposed",
    category: Category::SensitiveFiles,
    status: Status::Stable,
    cwe: &[538, 522],
    summary: "Private keys and credential files (.aws/credentials, .htpasswd, .netrc, .npmrc, service accounts) served",
    docs: include_str!("../../docs/checks/key_file_exposed.md"),
    runner: Runner::Active(run_key),
};

pub static DIRECTORY_LISTING: CheckInfo = CheckInfo {
    id: "directory_listing",
    category: Category::SensitiveFiles,
    status: Status::Stable,
    cwe: &[548, 538],
    summary: "Directory listings on static, upload and download folders; .DS_Store files",
    docs: include_str!("../../docs/checks/directory_listing.md"),
    runner: Runner::Active(run_listing),
};

fn run_backup(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(run(ctx, Family::Backup))
}

fn run_export(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(run(ctx, Family::Export))
}

fn run_vcs(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(run(ctx, Family::Vcs))
}

fn run_config(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(run(ctx, Family::Config))
}

fn run_key(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(run(ctx, Family::Key))
}

fn run_listing(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(run(ctx, Family::Listing))
}

/// Files linked from directory listings that are fetched per check.
const MAX_LINKED: usize = 12;

async fn run(ctx: &ScanContext, family: Family) -> Vec<Hit> {
    let data = &*DATA;
    let mine = |rule: usize| data.rule(rule).family == family;
    let mut hits = Vec::new();
    let mut probes: Vec<(String, usize)> = Vec::new();
    let mut add = |path: String, rule: usize| {
        if !probes.iter().any(|(p, _)| *p == path) {
            probes.push((path, rule));
        }
    };

    for entry in data.root.iter().filter(|e| mine(e.rule) && e.after.is_empty()) {
        add(entry.path.clone(), entry.rule);
    }
    if data.derived.iter().any(|e| mine(e.rule)) {
        for name in plan::derived_names(ctx).await {
            for entry in data.derived.iter().filter(|e| mine(e.rule)) {
                add(format!("/{}", entry.path.replace("{name}", &name)), entry.rule);
            }
        }
    }
    let mut linked = 0;
    for folder in plan::folders(ctx).await {
        for entry in data.in_folder.iter().filter(|e| mine(e.rule)) {
            add(format!("{}{}", folder.path, entry.path), entry.rule);
        }
        let Some((ex, listing)) = folder.listing else { continue };
        for path in &listing.linked {
            if let Some(rule) = data.rule_for_name(path).filter(|r| mine(*r)) {
                if linked < MAX_LINKED {
                    add(path.clone(), rule);
                    linked += 1;
                }
            }
        }
        if family == Family::Listing {
            if let Some(rule) = data.rules.iter().find(|r| r.inspect == rules::Inspector::Listing) {
                hits.push(hit(ctx, rule, &folder.path, &ex, listing));
            }
        }
    }

    hits.extend(probe(ctx, probes).await);

    // Follow-ups: `.git/index` only once `.git/HEAD` or `.git/config` proved the folder is served.
    let matched: BTreeSet<&str> = hits.iter().map(|h| h.kind.as_str()).collect();
    let follow_ups: Vec<(String, usize)> = data
        .root
        .iter()
        .filter(|e| mine(e.rule) && e.after.iter().any(|a| matched.contains(data.rule(*a).id.as_str())))
        .map(|e| (e.path.clone(), e.rule))
        .collect();
    hits.extend(probe(ctx, follow_ups).await);
    hits
}

/// GETs every path and keeps the answers that pass their rule.
async fn probe(ctx: &ScanContext, probes: Vec<(String, usize)>) -> Vec<Hit> {
    let stopped = AtomicBool::new(false);
    let stopped = &stopped;
    stream::iter(probes)
        .map(|(path, rule)| async move {
            if stopped.load(Ordering::Relaxed) {
                return None;
            }
            match ctx.client.send(Probe::get(path.clone())).await {
                Ok(ex) => evaluate(ctx, DATA.rule(rule), &path, &ex),
                Err(ScanError::Budget | ScanError::TimeLimit) => {
                    stopped.store(true, Ordering::Relaxed);
                    None
                }
                Err(_) => None,
            }
        })
        .buffer_unordered(ctx.config.concurrency.max(1))
        .filter_map(|hit| async move { hit })
        .collect()
        .await
}

fn evaluate(ctx: &ScanContext, rule: &Rule, path: &str, ex: &Arc<Exchange>) -> Option<Hit> {
    if ctx.soft404.is_not_found(ex) || !rule.matches(ex) {
        return None;
    }
    let inspection = inspect(rule, ex, ctx)?;
    Some(hit(ctx, rule, path, ex, inspection))
}

fn hit(ctx: &ScanContext, rule: &Rule, path: &str, ex: &Exchange, inspection: Inspection) -> Hit {
    let found: Vec<_> =
        ctx.detector.scan_bytes(&ex.body).into_iter().filter(|m| m.confidence > MatchConfidence::Low).collect();
    let mut counts: Vec<(PiiType, usize)> = Vec::new();
    for m in &found {
        match counts.iter_mut().find(|(t, _)| *t == m.kind) {
            Some((_, n)) => *n += 1,
            None => counts.push((m.kind, 1)),
        }
    }
    let mut types: BTreeSet<PiiType> = inspection.pii.clone();
    types.extend(counts.iter().map(|(t, _)| *t));

    let mut worse = inspection.worse;
    if worse.is_none() && rule.family == Family::Backup && !counts.is_empty() {
        // A dump or archive with personal data in it is the breach itself.
        let names: Vec<&str> = counts.iter().map(|(t, _)| t.as_str()).collect();
        worse = Some(format!("holds {}", names.join(", ")));
    }
    let mut severity = rule.severity;
    if let (Some(_), Some(escalated)) = (&worse, rule.escalate) {
        severity = severity.max(escalated);
    }
    severity = severity.max(pii_floor(&types));

    let mut title = format!("{} at {path}", rule.title);
    if let Some(w) = &worse {
        title.push_str(&format!(" ({w})"));
    }
    let mut evidence = inspection.evidence;
    if !counts.is_empty() {
        // Counts, not values: the values are the leak.
        let shown: Vec<String> = counts.iter().map(|(t, n)| format!("{n} {}", t.as_str())).collect();
        evidence.push_str(&format!("; detector found {}", shown.join(", ")));
    }
    Hit {
        title,
        severity,
        confidence: rule.confidence,
        method: "GET".into(),
        path: path.to_string(),
        kind: rule.id.clone(),
        pii_types: types.into_iter().collect(),
        evidence,
    }
}

/// The least a file holding these types rates, whatever its kind: card numbers, SSNs, hashes and
/// keys are critical; credentials high; other personal data medium. IPs and bare names are left
/// out: a gunicorn `bind` address is not a leak of its own.
fn pii_floor(types: &BTreeSet<PiiType>) -> Severity {
    use PiiType::*;
    let has = |t: &PiiType| types.contains(t);
    if [CreditCard, Ssn, NationalId, PasswordHash, PrivateKey, Iban].iter().any(has) {
        Severity::Critical
    } else if [ApiKey, Token, Secret, Password].iter().any(has) {
        Severity::High
    } else if [Email, Phone, Address, DateOfBirth].iter().any(has) {
        Severity::Medium
    } else {
        Severity::Info
    }
}
