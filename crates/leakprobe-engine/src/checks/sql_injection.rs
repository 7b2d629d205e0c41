//! `sql_injection`: a quote in one value of an otherwise well-formed request (query, path, form
//! and JSON fields) that reaches SQL unescaped. Two kinds of proof:
//!
//! - **error-based** (confirmed): the quote makes the answer carry a database error (the shared
//!   fingerprints of `data/error-fingerprints.tsv`) that the unquoted baseline does not, and the
//!   escaped quote (`''`) does not either — the quote changed the statement's syntax;
//! - **boolean** (high): with the errors swallowed, a true condition and a false one appended to
//!   the value answer differently (status, item count, length) while two identical baselines
//!   answer alike, and a second pair with other constants splits the same way.
//!
//! Query and path values are GETs and run by default; body fields need `--active`. Probing one
//! value costs two requests (quote and double quote) unless the quote changes the answer.
//!
//! One root cause, one finding: `server_error_on_malformed_input` leaves a 5xx that carries a
//! database error to this check and `sql_error_disclosure`, and this check's own probes are not
//! read by it.
use futures::future::BoxFuture;
use futures::stream::{self, StreamExt};

use super::{CheckInfo, Hit, Runner, Status};
use crate::client::{Exchange, Probe};
use crate::context::ScanContext;
use crate::exercise;
use crate::fingerprints::{self, matched};
use crate::inventory::ParamLocation;
use crate::report::{Category, Confidence, Severity};
use crate::requests::{Slot, WellFormed};

pub static SQL_INJECTION: CheckInfo = CheckInfo {
    id: "sql_injection",
    category: Category::InputValidation,
    status: Status::Stable,
    cwe: &[89],
    summary: "A quote in a query, path, form or JSON value changes the SQL statement (error or boolean proof; bodies need --active)",
    docs: include_str!("../../docs/checks/sql_injection.md"),
    runner: Runner::Active(sql_injection),
};

/// Marks a repeated baseline so the client's cache sends it again instead of answering it.
const REPEAT_HEADER: &str = "X-Leakprobe-Repeat";
/// How much of a database error goes into the evidence.
const ERROR_EXCERPT: usize = 160;

/// A true and a false condition appended to the value, and a second pair with other constants.
struct BooleanPair {
    context: &'static str,
    true_suffix: [&'static str; 2],
    false_suffix: [&'static str; 2],
    numeric_only: bool,
}

/// Ordered by how many statement shapes they fit: a trailing comment ends `= '…'`, `LIKE '%…%'`
/// and `… AND password = …` alike; the quoted form fits statements that close a parenthesis; the
/// AND form last, since it breaks wherever the OR form with the same comment breaks. A numeric value
/// tries the numeric pair first (see `probe_point`).
const PAIRS: &[BooleanPair] = &[
    BooleanPair {
        context: "string, OR",
        true_suffix: ["' OR 1=1-- ", "' OR 2=2-- "],
        false_suffix: ["' OR 1=2-- ", "' OR 2=3-- "],
        numeric_only: false,
    },
    BooleanPair {
        context: "string, quoted OR",
        true_suffix: ["' OR 'a'='a", "' OR 'b'='b"],
        false_suffix: ["' OR 'a'='b", "' OR 'b'='c"],
        numeric_only: false,
    },
    BooleanPair {
        context: "string, AND",
        true_suffix: ["' AND 1=1-- ", "' AND 2=2-- "],
        false_suffix: ["' AND 1=2-- ", "' AND 2=3-- "],
        numeric_only: false,
    },
    BooleanPair {
        context: "numeric, AND",
        true_suffix: [" AND 1=1", " AND 2=2"],
        false_suffix: [" AND 1=2", " AND 2=3"],
        numeric_only: true,
    },
];

/// Consecutive pairs whose true and false variants both fail exactly like the bare quote before the
/// value is taken for one that breaks the statement whatever follows it (a type error, a strict
/// converter): more pairs would only repeat the failure.
const BROKEN_PAIRS_TO_STOP: usize = 2;

fn sql_injection(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        let who = ctx.client.primary_identity();
        let seen = exercise::harvested(ctx);
        let known = exercise::knowledge(ctx, who.as_deref(), &seen);
        let mut points: Vec<(WellFormed, Slot)> = Vec::new();
        for endpoint in ctx.plan(&SQL_INJECTION, ctx.inventory.endpoints()) {
            for request in exercise::requests_for(ctx, endpoint, &known) {
                for slot in request.slots() {
                    points.push((request.clone(), slot));
                }
            }
        }
        let who = who.as_deref();
        let mut hits: Vec<Hit> = stream::iter(points)
            .map(|(request, slot)| probe_point(ctx, request, slot, who))
            .buffer_unordered(ctx.config.concurrency.max(1))
            .filter_map(|hit| async move { hit })
            .collect()
            .await;
        hits.sort_by(|a, b| (&a.path, &a.kind).cmp(&(&b.path, &b.kind)));
        hits
    })
}

/// What an answer looks like, for comparing answers whose values differ: status, how many items
/// its JSON holds, and its length without the value we sent (pages echo the search term).
#[derive(Debug, Clone, PartialEq)]
struct Shape {
    status: u16,
    items: Option<usize>,
    len: usize,
}

fn shape(ex: &Exchange, sent: &str) -> Shape {
    let items = ex.json().map(|v| item_count(&v, 0));
    let text = ex.text();
    let len = if sent.is_empty() { text.len() } else { text.replace(sent, "").len() };
    Shape { status: ex.status.unwrap_or(0), items, len }
}

/// Array elements in a JSON answer (nested to a depth): what a changed `WHERE` changes.
fn item_count(value: &serde_json::Value, depth: usize) -> usize {
    if depth > 4 {
        return 0;
    }
    match value {
        serde_json::Value::Array(items) => items.len() + items.iter().map(|v| item_count(v, depth + 1)).sum::<usize>(),
        serde_json::Value::Object(map) => map.values().map(|v| item_count(v, depth + 1)).sum(),
        _ => 0,
    }
}

/// Two answers alike: same status, and the same item count (JSON) or a length within 5 %.
fn alike(a: &Shape, b: &Shape) -> bool {
    if a.status != b.status || a.items != b.items {
        return false;
    }
    if a.items.is_some() {
        return true;
    }
    let (small, large) = (a.len.min(b.len), a.len.max(b.len));
    large - small <= (large / 20).max(16)
}

/// Writes (PUT/PATCH, with `--active`) are probed only on objects the caller can read, and the
/// object's values are written back afterwards: the probes must not leave payloads in real data.
async fn probe_point(ctx: &ScanContext, request: WellFormed, slot: Slot, who: Option<&str>) -> Option<Hit> {
    use crate::writes::{lock_object, snapshot};
    if !matches!(request.method, reqwest::Method::PUT | reqwest::Method::PATCH) {
        return probe_value(ctx, request, slot, who).await;
    }
    let _held = lock_object(ctx, &request.target()).await;
    let snap = snapshot(ctx, &request, who).await?;
    let hit = probe_value(ctx, request, slot, who).await;
    let _ = ctx.client.send(snap.restoring()).await;
    hit
}

async fn probe_value(ctx: &ScanContext, request: WellFormed, slot: Slot, who: Option<&str>) -> Option<Hit> {
    let original = request.value(&slot)?;
    let send = |value: Option<&str>, repeat: Option<&'static str>| {
        let variant = match value {
            Some(v) => request.with(&slot, v),
            None => request.clone(),
        };
        let mut probe: Probe = variant.probe();
        if let Some(tag) = repeat {
            probe = probe.header(REPEAT_HEADER, tag);
        }
        if let Some(name) = who {
            probe = probe.as_identity(name);
        }
        ctx.client.send(probe)
    };
    let baseline = send(None, None).await.ok()?;
    baseline.status?;
    let baseline_errors = baseline.error_text().matched(fingerprints::SQL);

    // Error-based proof.
    let quoted = format!("{original}'");
    let quote = send(Some(&quoted), None).await.ok()?;
    if let Some(hit) = error_proof(ctx, &request, &slot, &baseline, &baseline_errors, &quote, &quoted, "'").await {
        return Some(hit);
    }
    let double = format!("{original}\"");
    if let Ok(ex) = send(Some(&double), None).await {
        if let Some(hit) = error_proof(ctx, &request, &slot, &baseline, &baseline_errors, &ex, &double, "\"").await {
            return Some(hit);
        }
    }

    // Boolean proof, only where the quote changed the answer (or for body fields, sent only with
    // --active, where a login may answer a broken statement like a failed one).
    let base_shape = shape(&baseline, &original);
    let quote_shape = shape(&quote, &quoted);
    // A 422 is a validator refusing the value's type (FastAPI, pydantic): it never reached SQL.
    let validation_reject =
        quote_shape.status == 422 || (slot.location() == ParamLocation::Path && quote_shape.status == 404);
    let gate = !validation_reject && (slot.location() == ParamLocation::Body || !alike(&base_shape, &quote_shape));
    if !gate {
        return None;
    }
    let again = send(None, Some("1")).await.ok()?;
    if !alike(&base_shape, &shape(&again, &original)) {
        return None; // a dynamic answer: differences would prove nothing
    }
    let numeric = !original.is_empty() && original.bytes().all(|b| b.is_ascii_digit());
    let mut pairs: Vec<&BooleanPair> = PAIRS.iter().filter(|p| !p.numeric_only || numeric).collect();
    pairs.sort_by_key(|p| !p.numeric_only);
    let mut broken_in_a_row = 0;
    for pair in pairs {
        let t0 = format!("{original}{}", pair.true_suffix[0]);
        let f0 = format!("{original}{}", pair.false_suffix[0]);
        let (t, f) = futures::join!(send(Some(&t0), None), send(Some(&f0), None));
        let (Ok(t), Ok(f)) = (t, f) else { continue };
        let (ts, fs) = (shape(&t, &t0), shape(&f, &f0));
        if alike(&ts, &fs) && alike(&ts, &quote_shape) {
            if (400..500).contains(&ts.status) {
                break; // every variant is refused like the bare quote: the value is validated away
            }
            broken_in_a_row += 1;
            if broken_in_a_row == BROKEN_PAIRS_TO_STOP {
                break;
            }
            continue;
        }
        broken_in_a_row = 0;
        if ts.status >= 500 || fs.status >= 500 || alike(&ts, &fs) {
            continue;
        }
        let t1 = format!("{original}{}", pair.true_suffix[1]);
        let f1 = format!("{original}{}", pair.false_suffix[1]);
        let (t2, f2) = futures::join!(send(Some(&t1), None), send(Some(&f1), None));
        let (Ok(t2), Ok(f2)) = (t2, f2) else { continue };
        if !alike(&ts, &shape(&t2, &t1)) || !alike(&fs, &shape(&f2, &f1)) {
            continue;
        }
        let evidence = format!(
            "{} {} with {} `{}` (true) → {}, with `{}` (false) → {}; the unchanged request → {} twice ({})",
            t.method,
            request.template,
            describe(&slot),
            t0,
            describe_shape(&ts),
            f0,
            describe_shape(&fs),
            describe_shape(&base_shape),
            pair.context,
        );
        return Some(hit(&request, &slot, Confidence::High, "boolean", evidence));
    }
    None
}

/// The hit when `answer` (to the value `sent`) carries a database error that the baseline does not
/// and the escaped form of the same quote does not either.
#[allow(clippy::too_many_arguments)]
async fn error_proof(
    ctx: &ScanContext,
    request: &WellFormed,
    slot: &Slot,
    baseline: &Exchange,
    baseline_errors: &[&'static str],
    answer: &Exchange,
    sent: &str,
    quote: &str,
) -> Option<Hit> {
    let errors_text = answer.error_text();
    let text = &errors_text.text;
    let errors = errors_text.matched(fingerprints::SQL);
    if errors.is_empty() || !baseline_errors.is_empty() {
        return None;
    }
    // The doubled quote is the escaped one: if it errors too, something else broke.
    let escaped = format!("{sent}{quote}");
    let mut probe = request.with(slot, &escaped).probe();
    if let Some(name) = &baseline.identity {
        probe = probe.as_identity(name);
    }
    if let Ok(ex) = ctx.client.send(probe).await {
        if !ex.error_text().matched(fingerprints::SQL).is_empty() {
            return None;
        }
    }
    let excerpt = error_excerpt(ctx, text);
    let evidence = format!(
        "{} {} with {} `{}` → {} ({}){}; unchanged → {}",
        answer.method,
        request.template,
        describe(slot),
        sent,
        answer.status.unwrap_or(0),
        errors.join(", "),
        excerpt.map(|e| format!(": {e}")).unwrap_or_default(),
        baseline.status.unwrap_or(0),
    );
    Some(hit(request, slot, Confidence::Confirmed, "error", evidence))
}

/// The line of the error that names the database problem, cut short; left out when it holds
/// personal data (the statement may carry someone's record).
fn error_excerpt(ctx: &ScanContext, text: &str) -> Option<String> {
    let line = text
        .lines()
        .find(|l| !matched(l, fingerprints::SQL).is_empty())
        .unwrap_or_else(|| text.lines().next().unwrap_or(""));
    let excerpt: String = line.trim().chars().take(ERROR_EXCERPT).collect();
    (!excerpt.is_empty() && ctx.pii_types(excerpt.as_bytes()).is_empty()).then_some(excerpt)
}

fn describe(slot: &Slot) -> String {
    let place = match slot {
        Slot::Path(_) => "path parameter",
        Slot::Query(_) => "query parameter",
        Slot::Body(_) => "body field",
    };
    format!("{place} `{}` =", slot.name())
}

fn describe_shape(s: &Shape) -> String {
    match s.items {
        Some(n) => format!("{} with {n} item(s)", s.status),
        None => format!("{} with {} bytes", s.status, s.len),
    }
}

fn hit(request: &WellFormed, slot: &Slot, confidence: Confidence, proof: &str, evidence: String) -> Hit {
    let location = match slot.location() {
        ParamLocation::Path => "path",
        ParamLocation::Query => "query",
        ParamLocation::Header => "header",
        ParamLocation::Body => "body",
    };
    Hit {
        title: format!("SQL injection in {location} parameter `{}` ({proof}-based proof)", slot.name()),
        severity: Severity::High,
        confidence,
        method: request.method.to_string(),
        path: request.template.clone(),
        kind: format!("{location}:{}", slot.name()),
        pii_types: Vec::new(),
        evidence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_compare_items_and_lengths() {
        let a = Shape { status: 200, items: Some(3), len: 300 };
        assert!(alike(&a, &Shape { status: 200, items: Some(3), len: 340 }), "JSON compares items, not bytes");
        assert!(!alike(&a, &Shape { status: 200, items: Some(12), len: 300 }));
        assert!(!alike(&a, &Shape { status: 401, items: Some(3), len: 300 }));
        let page = Shape { status: 200, items: None, len: 4000 };
        assert!(alike(&page, &Shape { status: 200, items: None, len: 4090 }));
        assert!(!alike(&page, &Shape { status: 200, items: None, len: 9000 }));
    }

    #[test]
    fn items_are_counted_in_wrapped_lists() {
        let v = serde_json::json!({"page": 1, "results": [{"id": 1, "tags": ["a"]}, {"id": 2, "tags": []}]});
        assert_eq!(item_count(&v, 0), 3);
    }
}
