//! `state_changing_get`: GET operations that change state (`/api/admin/reset-db`, `/cache/flush`,
//! `/users/7/delete`), verified by comparing what the API serves before and after one call.
//!
//! Without `--active` nothing here is sent: the client's state guard refuses every GET to a path
//! that names a state change, whoever asks, and the report lists those paths in
//! `coverage.not_called`. With `--active` this check — and only this one, run after every other
//! check so their results are not wiped under them — calls each such GET once: anonymously first
//! (so a wipe that needs no credentials says so), as the primary identity when that is refused.
//! Around the call it reads the related listings twice before (to learn what changes by itself)
//! and once after; a listing that lost items is data deleted (high), one that grew or changed is a
//! state change (medium). A call whose effect nobody can see is not reported.
//!
//! Templated paths (`/users/{id}/delete`) are not called: the only object the scan could name is
//! someone else's, and the scan never deletes what it did not create.
use std::collections::BTreeSet;

use futures::future::BoxFuture;
use serde_json::Value;

use super::{CheckInfo, Hit, Runner, Status};
use crate::client::{status, Exchange, NotSent, Probe};
use crate::context::ScanContext;
use crate::report::{Category, Confidence, Severity};
use crate::schedule::SkipReason;

pub static STATE_CHANGING_GET: CheckInfo = CheckInfo {
    id: "state_changing_get",
    category: Category::InputValidation,
    status: Status::Preview,
    cwe: &[650, 352],
    summary: "GET requests that delete or change data, proven by before/after listings (--active)",
    docs: include_str!("../../docs/checks/state_changing_get.md"),
    runner: Runner::Active(state_changing_get),
};

/// Related listings read around each call.
const MAX_RELATED: usize = 8;
/// State-changing GETs called per scan.
const MAX_CALLS: usize = 10;
/// Words every path of an API shares; they say nothing about which listing a call touches.
const COMMON_WORDS: &[&str] = &["api", "v1", "v2", "v3", "admin", "internal", "rest", "json"];

fn state_changing_get(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        let declared: Vec<_> = ctx
            .inventory
            .endpoints()
            .filter(|e| e.methods.contains("GET") && crate::words::names_state_change(&e.template))
            .filter(|e| !crate::words::ends_session(&e.template))
            .collect();
        if !ctx.config.active {
            ctx.skip(&STATE_CHANGING_GET, SkipReason::NeedsActive, declared);
            return Vec::new();
        }
        let mut paths: Vec<String> =
            declared.iter().filter(|e| !e.has_path_params()).map(|e| e.sample_path()).collect();
        // Links, forms and calls discovery found but the state guard kept it from fetching.
        paths.extend(
            ctx.client
                .not_sent()
                .into_iter()
                .filter(|(method, path, why)| {
                    let template = ctx.inventory.template_of(path);
                    // A spec or form that declares the path for other methods only is not a GET.
                    let other_methods_only =
                        ctx.inventory.endpoints().any(|e| e.template == template && !e.methods.contains("GET"));
                    method == "GET"
                        && *why == NotSent::NamesStateChange
                        && !template.contains('{')
                        && !other_methods_only
                })
                .map(|(_, path, _)| path),
        );
        let mut seen = BTreeSet::new();
        paths.retain(|p| seen.insert(p.split('?').next().unwrap_or(p).to_string()));
        paths.truncate(MAX_CALLS);
        let mut hits = Vec::new();
        for path in paths {
            if ctx.client.out_of_time() {
                break;
            }
            if let Some(hit) = verify(ctx, &path).await {
                hits.push(hit);
            }
        }
        hits
    })
}

/// A readable listing's size: items in its JSON arrays (and `count`/`total` fields), or rows and
/// list items of an HTML page. `None` for answers that are not a readable listing.
fn size(ex: &Exchange) -> Option<u64> {
    if !ex.is_success() {
        return None;
    }
    if let Some(json) = ex.json() {
        return Some(json_size(&json));
    }
    if ex.is_html() {
        let text = ex.text().to_ascii_lowercase();
        let rows = (text.matches("<tr").count() + text.matches("<li").count()) as u64;
        return Some(rows);
    }
    None
}

fn json_size(value: &Value) -> u64 {
    match value {
        Value::Array(items) => items.len() as u64 + items.iter().map(json_size).sum::<u64>(),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                let counted = matches!(k.to_ascii_lowercase().as_str(), "count" | "total" | "total_count" | "size");
                json_size(v) + if counted { v.as_u64().unwrap_or(0) } else { 0 }
            })
            .sum(),
        _ => 0,
    }
}

/// The readable listings most related to `path`: GET endpoints without placeholders whose words it
/// shares, then the rest, in inventory order.
fn related(ctx: &ScanContext, path: &str) -> Vec<String> {
    let words: BTreeSet<String> = crate::words::path_words(path)
        .into_iter()
        .filter(|w| !COMMON_WORDS.contains(&w.as_str()))
        .map(|w| w.trim_end_matches('s').to_string())
        .collect();
    let mut readable: Vec<(usize, String)> = ctx
        .inventory
        .endpoints()
        .filter(|e| e.methods.contains("GET") && !e.has_path_params())
        .filter(|e| !crate::words::names_state_change(&e.template))
        .map(|e| {
            let shared = crate::words::path_words(&e.template)
                .iter()
                .filter(|w| words.contains(w.trim_end_matches('s')))
                .count();
            (shared, e.sample_path())
        })
        .collect();
    readable.sort_by_key(|(shared, _)| std::cmp::Reverse(*shared));
    readable.into_iter().map(|(_, p)| p).take(MAX_RELATED).collect()
}

/// One snapshot of the related listings: path, size and body.
async fn snapshot(ctx: &ScanContext, paths: &[String]) -> Vec<Option<(u64, bytes::Bytes)>> {
    let reads = paths.iter().map(|p| async move {
        let ex = ctx.client.send_fresh(ctx.client.baseline_get(p.clone())).await.ok()?;
        if ctx.soft404.is_not_found(&ex)
            || crate::content::is_api_description(&ex)
            || crate::content::is_static_asset(&ex)
        {
            return None;
        }
        size(&ex).map(|n| (n, ex.body.clone()))
    });
    futures::future::join_all(reads).await
}

/// What one call did to one listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Effect {
    Unchanged,
    Changed,
    Grew,
    Deleted,
}

fn effect(
    first: &Option<(u64, bytes::Bytes)>,
    second: &Option<(u64, bytes::Bytes)>,
    after: &Option<(u64, bytes::Bytes)>,
) -> Effect {
    let (Some((n1, b1)), Some((n2, b2))) = (first, second) else { return Effect::Unchanged };
    let Some((n3, b3)) = after else {
        // Readable before, gone after: the listing itself was wiped.
        return if *n2 > 0 && n1 == n2 { Effect::Deleted } else { Effect::Unchanged };
    };
    if n1 != n2 {
        // It changes by itself: only a clear drop to empty counts.
        return if *n3 == 0 && *n2 > 0 && *n1 > 0 { Effect::Deleted } else { Effect::Unchanged };
    }
    if n3 < n2 {
        Effect::Deleted
    } else if n3 > n2 {
        Effect::Grew
    } else if b1 == b2 && b2 != b3 {
        Effect::Changed
    } else {
        Effect::Unchanged
    }
}

async fn verify(ctx: &ScanContext, path: &str) -> Option<Hit> {
    let listings = related(ctx, path);
    let first = snapshot(ctx, &listings).await;
    let second = snapshot(ctx, &listings).await;

    let mut call = ctx.client.send_fresh(Probe::get(path).changing_state()).await.ok()?;
    let mut anonymous = true;
    if matches!(call.status, Some(401 | 403)) {
        if let Some(who) = ctx.client.primary_identity() {
            call = ctx.client.send_fresh(Probe::get(path).as_identity(&who).changing_state()).await.ok()?;
            anonymous = false;
        }
    }
    if !call.is_success() || ctx.soft404.is_not_found(&call) {
        return None;
    }
    let after = snapshot(ctx, &listings).await;

    let mut worst = (Effect::Unchanged, String::new());
    for (i, listing) in listings.iter().enumerate() {
        let e = effect(&first[i], &second[i], &after[i]);
        if e > worst.0 {
            let before = second[i].as_ref().map_or(0, |(n, _)| *n);
            let now = after[i].as_ref().map_or_else(|| "no listing".to_string(), |(n, _)| format!("{n} item(s)"));
            worst = (e, format!("GET {listing}: {before} item(s) before, {now} after"));
        }
    }
    let (effect, seen) = worst;
    let (severity, what, kind) = match effect {
        Effect::Unchanged => return None,
        Effect::Deleted => (Severity::High, "deletes data", "deleted"),
        Effect::Grew => (Severity::Medium, "adds data", "changed"),
        Effect::Changed => (Severity::Medium, "changes data", "changed"),
    };
    let who = if anonymous { " without credentials" } else { "" };
    Some(Hit {
        title: format!("A GET request {what}{who}"),
        severity,
        confidence: Confidence::Confirmed,
        method: "GET".into(),
        path: path.split('?').next().unwrap_or(path).to_string(),
        kind: kind.into(),
        pii_types: Vec::new(),
        evidence: format!(
            "GET {path}{} → {}; {seen} (read twice before the call, once after; written by --active, not restorable by the scan)",
            if anonymous { " (no credentials)" } else { "" },
            status(&call)
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(n: u64, body: &str) -> Option<(u64, bytes::Bytes)> {
        Some((n, bytes::Bytes::copy_from_slice(body.as_bytes())))
    }

    #[test]
    fn a_listing_that_lost_items_was_deleted_from() {
        let before = snap(3, "[1,2,3]");
        assert_eq!(effect(&before, &before, &snap(0, "[]")), Effect::Deleted);
        assert_eq!(effect(&before, &before, &None), Effect::Deleted, "the listing itself is gone");
        assert_eq!(effect(&before, &before, &snap(4, "[1,2,3,4]")), Effect::Grew);
        assert_eq!(effect(&before, &before, &snap(3, "[1,2,9]")), Effect::Changed);
        assert_eq!(effect(&before, &before, &before), Effect::Unchanged);
    }

    #[test]
    fn listings_that_change_by_themselves_prove_nothing_but_a_wipe() {
        let (a, b) = (snap(3, "[1,2,3] t=1"), snap(4, "[1,2,3,4] t=2"));
        assert_eq!(effect(&a, &b, &snap(5, "[1,2,3,4,5]")), Effect::Unchanged);
        assert_eq!(effect(&a, &b, &snap(0, "[]")), Effect::Deleted);
        let (c, d) = (snap(3, "[1,2,3] t=1"), snap(3, "[1,2,3] t=2"));
        assert_eq!(effect(&c, &d, &snap(3, "[1,2,3] t=3")), Effect::Unchanged, "a clock is not a change");
    }

    #[test]
    fn sizes_count_items_and_totals() {
        assert_eq!(json_size(&serde_json::json!([{"a": 1}, {"a": 2}])), 2);
        assert_eq!(json_size(&serde_json::json!({"customers": [1, 2, 3], "total": 3})), 6);
        assert_eq!(json_size(&serde_json::json!({"customers": [], "total": 0})), 0);
    }
}
