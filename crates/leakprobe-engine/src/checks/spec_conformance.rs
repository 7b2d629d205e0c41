//! Spec vs reality: what the API's own OpenAPI document promises, checked against what it does.
//!
//! Three checks, all over the spec's GET operations (the only ones a scan may send without
//! `--active`) and mostly over answers discovery already fetched:
//! - `declared_security_not_enforced` (`authentication`): the spec requires credentials, an
//!   anonymous request gets the data anyway. Distinct from `unauthenticated_access`, which compares
//!   what an identity and nobody receive and needs no spec.
//! - `deprecated_operation_active` (`fingerprinting`, inventory): an operation marked `deprecated`
//!   still answers.
//! - `unlinked_operation_reachable` (`fingerprinting`, inventory): a public operation the spec lists
//!   but the API links from nowhere, although it links its other operations, answers anyway.
//!
//! The two inventory checks file under `fingerprinting` because it is the category for what a
//! deployment exposes about itself beyond what it means to offer (OWASP API9, improper inventory,
//! next to API8); they are low or informational on their own. They are not `authentication`: the
//! spec declares those operations public, so answering anonymously breaks no promise.
use std::collections::BTreeSet;
use std::sync::Arc;

use futures::future::{join_all, BoxFuture};
use leakprobe_detect::PiiType;
use serde_json::Value;

use super::{CheckInfo, Hit, Runner, Status};
use crate::client::{Exchange, Probe};
use crate::context::ScanContext;
use crate::discovery::openapi::Operation;
use crate::inventory::{fill_template, ParamLocation, Source};
use crate::report::{Category, Confidence, Severity};
use crate::survey::refused;

pub static DECLARED_SECURITY_NOT_ENFORCED: CheckInfo = CheckInfo {
    id: "declared_security_not_enforced",
    category: Category::Authentication,
    status: Status::Stable,
    cwe: &[306, 287],
    summary: "The spec requires credentials for an operation that answers without them",
    docs: include_str!("../../docs/checks/declared_security_not_enforced.md"),
    runner: Runner::Active(declared_security_not_enforced),
};

pub static DEPRECATED_OPERATION_ACTIVE: CheckInfo = CheckInfo {
    id: "deprecated_operation_active",
    category: Category::Fingerprinting,
    status: Status::Stable,
    cwe: &[1059],
    summary: "Operations the spec marks deprecated still answer",
    docs: include_str!("../../docs/checks/deprecated_operation_active.md"),
    runner: Runner::Active(deprecated_operation_active),
};

pub static UNLINKED_OPERATION_REACHABLE: CheckInfo = CheckInfo {
    id: "unlinked_operation_reachable",
    category: Category::Fingerprinting,
    status: Status::Stable,
    cwe: &[1059],
    summary: "Spec operations linked from nowhere in an otherwise linked API still answer",
    docs: include_str!("../../docs/checks/unlinked_operation_reachable.md"),
    runner: Runner::Active(unlinked_operation_reachable),
};

/// Keys of a JSON body that only says "no": such a 200 carries no data.
const ERROR_KEYS: [&str; 10] =
    ["error", "errors", "message", "msg", "detail", "status", "code", "title", "type", "success"];
/// Path words of operations nobody outside the team is meant to call (and `_`-prefixed segments).
const INTERNAL_WORDS: [&str; 9] = ["internal", "admin", "debug", "private", "ops", "legacy", "test", "beta", "export"];
/// Where the anonymous crawl found an endpoint by following the API itself.
const LINKED: [Source; 4] = [Source::Root, Source::Link, Source::Robots, Source::Sitemap];

/// A spec GET operation (its template) and the concrete path to request for it.
struct Op {
    template: String,
    path: String,
}

/// The spec's GET operations that match `keep`, one per path, with a concrete path each: a seen
/// example of the template, or the template filled with the spec's examples.
fn get_operations(ctx: &ScanContext, keep: impl Fn(&Operation) -> bool) -> Vec<Op> {
    let Some(spec) = &ctx.spec else {
        return Vec::new();
    };
    let mut seen = BTreeSet::new();
    spec.operations
        .iter()
        .filter(|op| op.method == "GET" && keep(op) && seen.insert(op.path.clone()))
        .map(|op| {
            let path = match ctx.inventory.endpoints().find(|e| e.template == op.path) {
                Some(endpoint) => endpoint.sample_path(),
                None => fill_template(&op.path, |name| {
                    op.params
                        .iter()
                        .find(|p| p.location == ParamLocation::Path && p.name == name)
                        .and_then(|p| p.example.clone())
                }),
            };
            Op { template: op.path.clone(), path }
        })
        .collect()
}

/// The operations `check` may probe at `per_op` requests each, riskiest first (see
/// [`ScanContext::plan`]).
fn planned(ctx: &ScanContext, check: &'static CheckInfo, ops: Vec<Op>, per_op: usize) -> Vec<Op> {
    let templates: BTreeSet<&str> = ops.iter().map(|o| o.template.as_str()).collect();
    let endpoints = ctx.inventory.endpoints().filter(|e| templates.contains(e.template.as_str()));
    let order: Vec<String> =
        ctx.plan_costing(check, endpoints, per_op).into_iter().map(|e| e.template.clone()).collect();
    let mut by_template: std::collections::BTreeMap<String, Op> =
        ops.into_iter().map(|o| (o.template.clone(), o)).collect();
    order.into_iter().filter_map(|t| by_template.remove(&t)).collect()
}

/// The anonymous answer for each operation (discovery fetched most of them already: cached; the
/// client bounds concurrency).
async fn anonymous_answers(ctx: &ScanContext, ops: Vec<Op>) -> Vec<(Op, Arc<Exchange>)> {
    let answers = join_all(ops.iter().map(|op| async move {
        let surveyed = ctx.survey.entries.iter().find(|e| e.path == op.path).and_then(|e| e.anonymous.as_ref());
        match surveyed {
            Some(view) => Ok(view.exchange.clone()),
            None => ctx.client.send(Probe::get(op.path.clone())).await,
        }
    }))
    .await;
    ops.into_iter().zip(answers).filter_map(|(op, ex)| Some((op, ex.ok()?))).collect()
}

/// A 2xx that carries data: not the soft-404, not empty, not a login page, not an error object.
fn serves_content(ctx: &ScanContext, ex: &Exchange) -> bool {
    if !ex.is_success() || ex.body.iter().all(u8::is_ascii_whitespace) || ctx.soft404.is_not_found(ex) {
        return false;
    }
    if ex.is_html() && ex.text().to_ascii_lowercase().contains("type=\"password\"") {
        return false;
    }
    match ex.json().as_deref() {
        Some(Value::Object(map)) => !map.keys().all(|k| ERROR_KEYS.contains(&k.to_ascii_lowercase().as_str())),
        Some(Value::Null) => false,
        _ => true,
    }
}

/// What an answer was, for evidence lines: status, content type and size, never content.
fn describe(ex: &Exchange) -> String {
    let ct = ex.content_type().split(';').next().unwrap_or("").trim();
    let status = ex.status.map_or_else(|| "no answer".to_string(), |s| s.to_string());
    if ct.is_empty() {
        format!("{status}, {} bytes", ex.body.len())
    } else {
        format!("{status} {ct}, {} bytes", ex.body.len())
    }
}

/// Same JSON shape (keys of the first object) or the same bytes: the anonymous caller got the
/// identity's data, not a public variant of it.
fn same_shape(a: &Exchange, b: &Exchange) -> bool {
    if a.body == b.body {
        return true;
    }
    let keys = |ex: &Exchange| -> Option<BTreeSet<String>> {
        let v = ex.json()?;
        let first = match &*v {
            Value::Array(items) => items.first()?,
            other => other,
        };
        Some(first.as_object()?.keys().cloned().collect())
    };
    matches!((keys(a), keys(b)), (Some(x), Some(y)) if x == y && !x.is_empty())
}

fn declared_security_not_enforced(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        // Anonymously, then as an identity to compare.
        let ops = planned(ctx, &DECLARED_SECURITY_NOT_ENFORCED, get_operations(ctx, |op| op.security_declared), 2);
        let identity = {
            let all = ctx.client.identities();
            all.iter().find(|i| !i.is_admin()).or_else(|| all.first()).map(|i| i.name.clone())
        };
        let mut hits = Vec::new();
        for (op, anonymous) in anonymous_answers(ctx, ops).await {
            if !serves_content(ctx, &anonymous) {
                continue;
            }
            // With an identity, the anonymous answer is compared with the authorised one: the same
            // data proves it; a different shape may be a deliberate public view.
            let (confidence, compared) = match &identity {
                Some(name) => match ctx.client.send(Probe::get(op.path.clone()).as_identity(name)).await {
                    Ok(authed) if authed.is_success() && same_shape(&authed, &anonymous) => (
                        Confidence::Confirmed,
                        format!("; as identity `{name}` → {} with the same data", describe(&authed)),
                    ),
                    Ok(authed) => {
                        (Confidence::Medium, format!("; as identity `{name}` → {}, different data", describe(&authed)))
                    }
                    Err(_) => (Confidence::High, String::new()),
                },
                None => (Confidence::High, String::new()),
            };
            let pii = ctx.exposed_types(&anonymous);
            hits.push(Hit {
                title: format!("Spec requires credentials for GET {}, but it answers without them", op.template),
                severity: if pii.is_empty() { Severity::High } else { Severity::Critical },
                confidence,
                method: "GET".into(),
                path: op.path.clone(),
                kind: "declared_security".into(),
                pii_types: pii,
                evidence: format!(
                    "the spec declares a security requirement for GET {}; GET {} without credentials → {}{compared}",
                    op.template,
                    op.path,
                    describe(&anonymous)
                ),
            });
        }
        hits
    })
}

fn deprecated_operation_active(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        let ops = planned(ctx, &DEPRECATED_OPERATION_ACTIVE, get_operations(ctx, |op| op.deprecated), 2);
        let identity = ctx.client.identities().first().map(|i| i.name.clone());
        let mut hits = Vec::new();
        for (op, anonymous) in anonymous_answers(ctx, ops).await {
            // A deprecated operation behind auth is still alive if the identity gets through.
            let (answer, who) = if serves_content(ctx, &anonymous) {
                (anonymous, "without credentials".to_string())
            } else if let (true, Some(name)) = (refused(&anonymous), &identity) {
                match ctx.client.send(Probe::get(op.path.clone()).as_identity(name)).await {
                    Ok(ex) if serves_content(ctx, &ex) => (ex, format!("as identity `{name}`")),
                    _ => continue,
                }
            } else {
                continue;
            };
            let announced = ["deprecation", "sunset"].iter().find(|h| answer.headers.contains_key(**h));
            let pii: Vec<PiiType> = ctx.exposed_types(&answer);
            let severity = match (announced, pii.is_empty()) {
                (_, false) => Severity::Medium,
                (Some(_), true) => Severity::Info,
                (None, true) => Severity::Low,
            };
            hits.push(Hit {
                title: format!("Deprecated operation GET {} still answers", op.template),
                severity,
                confidence: Confidence::High,
                method: "GET".into(),
                path: op.path.clone(),
                kind: "deprecated".into(),
                pii_types: pii,
                evidence: format!(
                    "the spec marks GET {} `deprecated: true`; GET {} {who} → {}{}",
                    op.template,
                    op.path,
                    describe(&answer),
                    match announced {
                        Some(h) => format!(" (announces it with a {h} header)"),
                        None => ", with no Deprecation or Sunset header".into(),
                    }
                ),
            });
        }
        hits
    })
}

fn unlinked_operation_reachable(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        let linked = |template: &str| {
            ctx.inventory
                .endpoints()
                .find(|e| e.template == template)
                .is_some_and(|e| e.sources.iter().any(|s| LINKED.contains(s)))
        };
        let all = get_operations(ctx, |_| true);
        let linked_count = all.iter().filter(|o| linked(&o.template)).count();
        // In an API that links nothing (most JSON APIs) every operation is "unlinked": the signal
        // only means something where the API links most of what it offers.
        if linked_count < 2 || linked_count * 2 < all.len() {
            return Vec::new();
        }
        let unlinked = get_operations(ctx, |op| !op.security_declared && !op.deprecated && !linked(&op.path));
        let ops = planned(ctx, &UNLINKED_OPERATION_REACHABLE, unlinked, 1);
        let mut hits = Vec::new();
        for (op, anonymous) in anonymous_answers(ctx, ops).await {
            if !serves_content(ctx, &anonymous) {
                continue;
            }
            let pii = ctx.exposed_types(&anonymous);
            // Whole words (`crate::words`): `/api/opsworks` is not `ops`; a `_private` segment is.
            let internal = crate::words::path_words(&op.template).iter().any(|w| INTERNAL_WORDS.contains(&w.as_str()))
                || crate::words::segments(&op.template).iter().any(|s| s.starts_with('_'));
            hits.push(Hit {
                title: format!("GET {} is in the spec, linked from nowhere, and answers", op.template),
                severity: if internal || !pii.is_empty() { Severity::Low } else { Severity::Info },
                confidence: Confidence::Medium,
                method: "GET".into(),
                path: op.path.clone(),
                kind: "unlinked".into(),
                pii_types: pii,
                evidence: format!(
                    "{linked_count} of {} spec GET operations are linked from the API's own answers, this one from none; GET {} without credentials → {}",
                    all.len(),
                    op.path,
                    describe(&anonymous)
                ),
            });
        }
        hits
    })
}
