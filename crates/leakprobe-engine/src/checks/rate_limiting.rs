//! `rate_limiting`: whether the API throttles the endpoints attackers hammer (login, account
//! lookups, personal-data reads), and whether it caps how many items one request may ask for.
//!
//! A burst is short and bounded ([`BURST`] requests to at most three endpoints, stopped at the first
//! sign of throttling), uses only GET unless the scan is `--active`, and each request carries a
//! distinct `_lp=N` so the client's exchange cache does not fold them into one.
use std::collections::BTreeSet;
use std::time::Instant;

use futures::future::{join_all, BoxFuture};
use leakprobe_detect::PiiType;
use reqwest::Method;
use serde_json::Value;

use super::{CheckInfo, Hit, Runner, Status};
use crate::client::{Exchange, Probe};
use crate::context::ScanContext;
use crate::inventory::{with_query, Endpoint};
use crate::report::{Category, Confidence, Severity};
use crate::schedule::SkipReason;
use crate::survey::Class;

pub static MISSING_RATE_LIMIT: CheckInfo = CheckInfo {
    id: "missing_rate_limit",
    category: Category::RateLimiting,
    status: Status::Stable,
    cwe: &[770, 307],
    summary: "Login, account-lookup or personal-data endpoints answer a burst without any throttling",
    docs: include_str!("../../docs/checks/missing_rate_limit.md"),
    runner: Runner::Active(missing_rate_limit),
};

pub static UNBOUNDED_PAGE_SIZE: CheckInfo = CheckInfo {
    id: "unbounded_page_size",
    category: Category::RateLimiting,
    status: Status::Stable,
    cwe: &[770, 400],
    summary: "limit/per_page/page_size parameters return as many items as asked for",
    docs: include_str!("../../docs/checks/unbounded_page_size.md"),
    runner: Runner::Active(unbounded_page_size),
};

/// Requests in one burst: more than a human sends in a few seconds, so any limit meant for abuse
/// trips, and few enough to stay polite.
const BURST: usize = 20;
/// Bursts start only while this many requests of the budget remain for everything else.
const BUDGET_RESERVE: usize = 100;
const ASKED_PAGE_SIZE: usize = 1000;
/// More items than this in one answer is beyond every common cap (GitHub and Stripe 100, Slack 200).
const PAGE_CAP: usize = 200;

/// Last path segments of login endpoints.
const LOGIN_WORDS: [&str; 10] =
    ["login", "signin", "sign-in", "sign_in", "logon", "authenticate", "token", "session", "sessions", "auth"];
/// Query parameters that identify an account: answering them tells whether the account exists.
const ENUMERATION_PARAMS: [&str; 12] = [
    "email",
    "e-mail",
    "mail",
    "username",
    "user",
    "user_name",
    "login",
    "phone",
    "mobile",
    "msisdn",
    "account",
    "handle",
];
/// Path words of lookup-style endpoints (sign-up availability checks, password-reset requests).
const ENUMERATION_WORDS: [&str; 12] = [
    "lookup",
    "exists",
    "exist",
    "check",
    "available",
    "availability",
    "verify",
    "validate",
    "forgot",
    "reset",
    "recover",
    "find",
];
/// Path words that put an enumeration-style endpoint about accounts.
const ACCOUNT_WORDS: [&str; 18] = [
    "user",
    "users",
    "account",
    "accounts",
    "email",
    "emails",
    "username",
    "usernames",
    "member",
    "members",
    "customer",
    "customers",
    "signup",
    "register",
    "registration",
    "password",
    "login",
    "auth",
];
/// Parameters that set a page size.
const PAGE_PARAMS: [&str; 11] = [
    "limit",
    "per_page",
    "perpage",
    "page_size",
    "pagesize",
    "size",
    "count",
    "max_results",
    "maxresults",
    "top",
    "take",
];
/// Headers by which a server says it meters the caller (IETF draft, the common `X-` forms, back-off).
const THROTTLE_HEADERS: [&str; 12] = [
    "ratelimit",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "ratelimit-policy",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-rate-limit-limit",
    "x-rate-limit-remaining",
    "x-rate-limit-reset",
    "retry-after",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sensitivity {
    Login,
    Enumeration,
    PersonalData,
}

impl Sensitivity {
    fn kind(self) -> &'static str {
        match self {
            Sensitivity::Login => "login",
            Sensitivity::Enumeration => "enumeration",
            Sensitivity::PersonalData => "personal_data",
        }
    }
}

/// One endpoint to burst: the path (no query) and the query every request repeats.
struct BurstTarget {
    sensitivity: Sensitivity,
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    pii: Vec<PiiType>,
}

impl BurstTarget {
    /// The `n`th request of the burst; each differs so none is served from the exchange cache.
    fn probe(&self, n: usize, run: u64) -> Probe {
        if self.method == Method::GET {
            let mut query = self.query.clone();
            query.push(("_lp".into(), n.to_string()));
            return Probe::get(with_query(&self.path, &query));
        }
        // A login attempt for an account that cannot exist: no real user is ever locked out.
        let user = format!("lp-{run:x}-{n}@leakprobe.invalid");
        let body = serde_json::json!({"email": user, "username": user, "password": format!("lp-wrong-{run:x}-{n}")});
        Probe::new(self.method.clone(), self.path.clone()).body("application/json", body.to_string())
    }

    /// The path with its query values hidden: they may be personal data seen in a link.
    fn display(&self) -> String {
        if self.query.is_empty() {
            return self.path.clone();
        }
        let names: Vec<String> = self.query.iter().map(|(k, _)| format!("{k}=…")).collect();
        format!("{}?{}", self.path, names.join("&"))
    }
}

enum Outcome {
    /// The server metered or refused us: no finding.
    Throttled,
    /// Every request answered normally.
    Open { statuses: BTreeSet<u16>, secs: f64 },
    /// Budget, deadline, errors or 5xx: nothing can be concluded.
    Inconclusive,
}

/// Why an answer shows throttling: a 429, or a header by which the server meters the caller.
fn throttle_signal(ex: &Exchange) -> Option<String> {
    if ex.status == Some(429) {
        return Some("429".into());
    }
    THROTTLE_HEADERS.iter().find(|h| ex.headers.contains_key(**h)).map(|h| format!("header {h}"))
}

async fn burst(ctx: &ScanContext, target: &BurstTarget, run: u64) -> Outcome {
    let was_throttled = ctx.client.throttled();
    let started = Instant::now();
    let mut statuses = BTreeSet::new();
    for n in 1..=BURST {
        let ex = match ctx.client.send(target.probe(n, run)).await {
            Ok(ex) => ex,
            // Budget, deadline or transport error: stop sending, conclude nothing.
            Err(_) => return Outcome::Inconclusive,
        };
        if throttle_signal(&ex).is_some() {
            return Outcome::Throttled;
        }
        match ex.status {
            Some(s) if s < 500 => statuses.insert(s),
            _ => return Outcome::Inconclusive,
        };
    }
    // The client backs off and retries on 429 by itself, so a 429 it absorbed shows only here.
    if !was_throttled && ctx.client.throttled() {
        return Outcome::Throttled;
    }
    Outcome::Open { statuses, secs: started.elapsed().as_secs_f64() }
}

fn missing_rate_limit(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        let left = ctx.config.max_requests.saturating_sub(ctx.client.requests_sent());
        if left < 3 * BURST + BUDGET_RESERVE || ctx.client.out_of_time() {
            let reason = if ctx.client.out_of_time() { SkipReason::TimeLimit } else { SkipReason::Budget };
            ctx.skip(&MISSING_RATE_LIMIT, reason, login_endpoints(ctx));
            return Vec::new();
        }
        let mut targets = Vec::new();
        if ctx.config.active {
            targets.extend(login_targets(ctx));
        } else {
            // Failed logins are writes to the target's counters (lockouts): only with --active.
            ctx.skip(&MISSING_RATE_LIMIT, SkipReason::NeedsActive, login_endpoints(ctx));
        }
        let enumeration = enumeration_target(ctx).await;
        let skip = enumeration.as_ref().map(|t| t.path.clone());
        // Login bursts were planned with their endpoints; these two are chosen first, then paid for.
        let chosen = enumeration.into_iter().chain(personal_data_target(ctx, skip.as_deref()));
        targets.extend(chosen.filter(|t| affordable(ctx, t)));

        let run = rand::random::<u64>();
        let outcomes = join_all(targets.iter().map(|t| burst(ctx, t, run))).await;
        targets.iter().zip(outcomes).filter_map(|(t, outcome)| verdict(t, outcome)).collect()
    })
}

fn verdict(target: &BurstTarget, outcome: Outcome) -> Option<Hit> {
    let Outcome::Open { statuses, secs } = outcome else {
        return None;
    };
    let codes: Vec<String> = statuses.iter().map(u16::to_string).collect();
    let (title, severity, confidence) = match target.sensitivity {
        Sensitivity::Login => {
            // 404/405: not a login endpoint after all. 400 only: the attempts were rejected as
            // malformed, which a limiter keyed on failed logins may not count.
            if statuses.iter().any(|s| matches!(s, 404 | 405)) {
                return None;
            }
            let rejected_as_login = statuses.iter().all(|s| matches!(s, 401 | 403));
            (
                "Login accepts a burst of failed attempts without throttling",
                Severity::High,
                if rejected_as_login { Confidence::High } else { Confidence::Medium },
            )
        }
        Sensitivity::Enumeration => {
            if !statuses.iter().all(|s| (200..300).contains(s)) {
                return None;
            }
            ("Account lookup answers a burst without throttling (enumeration)", Severity::Medium, Confidence::Medium)
        }
        Sensitivity::PersonalData => {
            if !statuses.iter().all(|s| (200..300).contains(s)) {
                return None;
            }
            ("Personal-data endpoint answers a burst without throttling", Severity::Medium, Confidence::Medium)
        }
    };
    Some(Hit {
        title: title.into(),
        severity,
        confidence,
        method: target.method.to_string(),
        path: target.path.clone(),
        kind: target.sensitivity.kind().into(),
        pii_types: target.pii.clone(),
        evidence: format!(
            "{BURST} × {} {}{} in {secs:.1} s: every answer {}, none 429, no RateLimit-*, X-RateLimit-* or Retry-After header",
            target.method,
            target.display(),
            match (target.method == Method::GET, target.query.is_empty()) {
                (true, true) => "?_lp=N",
                (true, false) => "&_lp=N",
                (false, _) => " with a wrong password for a made-up account",
            },
            codes.join("/"),
        ),
    })
}

/// Whether the scheduler grants a burst at `target`'s endpoint.
fn affordable(ctx: &ScanContext, target: &BurstTarget) -> bool {
    let template = ctx.inventory.template_of(&target.path);
    let endpoint = ctx.inventory.endpoints().filter(|e| e.template == template);
    !ctx.plan_costing(&MISSING_RATE_LIMIT, endpoint, BURST).is_empty()
}

/// POST login endpoints of the inventory.
fn login_endpoints(ctx: &ScanContext) -> impl Iterator<Item = &Endpoint> {
    ctx.inventory
        .endpoints()
        .filter(|e| e.methods.contains("POST") && !e.has_path_params() && is_login_path(&e.template))
}

/// Every POST login endpoint, each with its own burst, as far as the budget share pays for them
/// (only with `--active`: failed logins are writes to the target's counters).
fn login_targets(ctx: &ScanContext) -> Vec<BurstTarget> {
    let mut paths: Vec<String> = ctx
        .plan_costing(&MISSING_RATE_LIMIT, login_endpoints(ctx), BURST)
        .into_iter()
        .map(|e| e.template.clone())
        .collect();
    // A GET answered 405 with `Allow: POST` names a POST-only login discovery may not have kept.
    for ex in ctx.client.exchanges() {
        let allows_post =
            ex.status == Some(405) && ex.header("allow").is_some_and(|a| a.to_ascii_uppercase().contains("POST"));
        let path = ex.path().to_string();
        let known = paths.contains(&path) || ctx.inventory.endpoints().any(|e| e.template == path);
        if allows_post && is_login_path(&path) && !known {
            paths.push(path);
        }
    }
    paths
        .into_iter()
        .map(|path| BurstTarget {
            sensitivity: Sensitivity::Login,
            method: Method::POST,
            path,
            query: Vec::new(),
            pii: Vec::new(),
        })
        .collect()
}

fn is_login_path(path: &str) -> bool {
    crate::words::last_segment(path).is_some_and(|w| LOGIN_WORDS.contains(&w.as_str()))
}

fn normalize(name: &str) -> String {
    name.to_ascii_lowercase().replace('-', "_")
}

/// The best account-lookup endpoint that answers: named parameters first, then path words.
async fn enumeration_target(ctx: &ScanContext) -> Option<BurstTarget> {
    let lookups = ctx.inventory.endpoints().filter(|e| e.methods.contains("GET") && lookup_score(e).is_some());
    let mut candidates: Vec<(u8, &Endpoint)> = ctx
        .plan(&MISSING_RATE_LIMIT, lookups)
        .into_iter()
        .filter_map(|e| lookup_score(e).map(|score| (score, e)))
        .collect();
    candidates.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
    for (_, endpoint) in candidates.into_iter().take(3) {
        let path = endpoint.base_path();
        let query: Vec<(String, String)> = endpoint
            .query_examples()
            .into_iter()
            .filter(|(n, _)| !PAGE_PARAMS.contains(&normalize(n).as_str()))
            .map(|(n, v)| {
                let value = v.unwrap_or_else(|| placeholder(&n));
                (n, value)
            })
            .collect();
        let Ok(baseline) = ctx.client.send(Probe::get(with_query(&path, &query))).await else {
            continue;
        };
        if ctx.soft404.is_not_found(&baseline) || baseline.status.is_none_or(|s| s >= 500 || s == 405) {
            continue;
        }
        if throttle_signal(&baseline).is_some() {
            // The most lookup-like endpoint is metered: that is the answer for this kind.
            return None;
        }
        return Some(BurstTarget {
            sensitivity: Sensitivity::Enumeration,
            method: Method::GET,
            path,
            query,
            pii: ctx.exposed_types(&baseline),
        });
    }
    None
}

/// How much an endpoint looks like an account lookup: named parameters and path words.
fn lookup_score(e: &Endpoint) -> Option<u8> {
    let by_param = e.query_examples().iter().any(|(n, _)| ENUMERATION_PARAMS.contains(&normalize(n).as_str()));
    // Whole words (`preset` is not `reset`, `checkout` is not `check`), about accounts:
    // `/api/cards/{number}/validate` checks a card, it does not tell who has an account.
    let by_word = crate::words::last_segment(&e.template)
        .is_some_and(|w| crate::words::find_word(&w, &ENUMERATION_WORDS).is_some())
        && crate::words::path_words(&e.template).iter().any(|w| ACCOUNT_WORDS.contains(&w.as_str()));
    match (by_param, by_word) {
        (true, true) => Some(2),
        (true, false) | (false, true) => Some(1),
        _ => None,
    }
}

/// A value for a required lookup parameter that has no example: a syntactically valid one.
fn placeholder(name: &str) -> String {
    let n = normalize(name);
    if n.contains("mail") {
        "leakprobe@example.com".into()
    } else if n.contains("phone") || n == "mobile" || n == "msisdn" {
        "+15555550100".into()
    } else {
        "leakprobe".into()
    }
}

/// The GET endpoint whose baseline answer carries the most kinds of personal data.
fn personal_data_target(ctx: &ScanContext, skip: Option<&str>) -> Option<BurstTarget> {
    let base = ctx.client.base().clone();
    let mut best: Option<(usize, usize, BurstTarget)> = None;
    // Reads the survey's anonymous answers: no request to budget, so every endpoint is looked at.
    for entry in &ctx.survey.entries {
        let Some(view) = entry.anonymous.as_ref() else { continue };
        let ex = &view.exchange;
        let Ok(url) = base.join(&entry.path) else {
            continue;
        };
        if view.class != Class::Ok || throttle_signal(ex).is_some() || view.pii.is_empty() {
            continue;
        }
        let path = url.path().to_string();
        if skip == Some(path.as_str()) {
            continue;
        }
        let pii = view.pii.clone();
        let matches = ex.detected(&ctx.detector).matches.len();
        if best.as_ref().is_none_or(|(t, m, _)| (pii.len(), matches) > (*t, *m)) {
            let query = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
            let target = BurstTarget {
                sensitivity: Sensitivity::PersonalData,
                method: Method::GET,
                path,
                query,
                pii: pii.clone(),
            };
            best = Some((pii.len(), matches, target));
        }
    }
    best.map(|(_, _, t)| t)
}

/// A list endpoint and its page-size parameter; `rest` is the rest of its query, with examples.
struct PageCandidate {
    path: String,
    rest: Vec<(String, String)>,
    size: String,
}

fn unbounded_page_size(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        let paged = ctx.inventory.endpoints().filter(|e| {
            e.methods.contains("GET")
                && e.query_examples().iter().any(|(n, _)| PAGE_PARAMS.contains(&normalize(n).as_str()))
        });
        // The default page, then the asked-for large one.
        let candidates: Vec<PageCandidate> = ctx
            .plan_costing(&UNBOUNDED_PAGE_SIZE, paged, 2)
            .into_iter()
            .filter_map(|e| {
                let params = e.query_examples();
                let size = params.iter().find(|(n, _)| PAGE_PARAMS.contains(&normalize(n).as_str()))?.0.clone();
                // Other parameters keep their examples; a page offset stays at its start.
                let rest: Vec<(String, String)> =
                    params.into_iter().filter(|(n, _)| *n != size).filter_map(|(n, v)| Some((n, v?))).collect();
                Some(PageCandidate { path: e.base_path(), rest, size })
            })
            .collect();
        let checks = candidates.iter().map(|c| page_size_check(ctx, c));
        join_all(checks).await.into_iter().flatten().collect()
    })
}

async fn page_size_check(ctx: &ScanContext, candidate: &PageCandidate) -> Option<Hit> {
    let PageCandidate { path, rest, size } = candidate;
    let default = ctx.client.send(Probe::get(with_query(path, rest))).await.ok()?;
    if !default.is_success() || ctx.soft404.is_not_found(&default) {
        return None;
    }
    let mut asked = rest.to_vec();
    asked.push((size.to_string(), ASKED_PAGE_SIZE.to_string()));
    let big = ctx.client.send(Probe::get(with_query(path, &asked))).await.ok()?;
    if !big.is_success() || ctx.soft404.is_not_found(&big) {
        return None;
    }
    let default_count = item_count(&default.body);
    let shown = format!("{path}?{size}={ASKED_PAGE_SIZE}");
    let evidence = match (item_count(&big.body), big.truncated) {
        (Some(n), _) if n > PAGE_CAP && default_count.is_none_or(|d| n > d) => format!(
            "GET {shown} → {} with {n} items; without `{size}` → {} items",
            big.status.unwrap_or_default(),
            default_count.map_or_else(|| "?".to_string(), |d| d.to_string()),
        ),
        // Cut at the body cap while the default page was not: far more than any page should hold.
        (None, true) if !default.truncated && big.body.len() > 4 * default.body.len() => format!(
            "GET {shown} → {} with a body cut at {} KiB; without `{size}` → {} bytes",
            big.status.unwrap_or_default(),
            big.body.len() / 1024,
            default.body.len()
        ),
        _ => return None,
    };
    let pii = ctx.exposed_types(&big);
    Some(Hit {
        title: format!("`{size}` is not capped: one request returns more than {PAGE_CAP} items"),
        severity: if pii.is_empty() { Severity::Medium } else { Severity::High },
        confidence: Confidence::Confirmed,
        method: "GET".into(),
        path: path.to_string(),
        kind: size.to_string(),
        pii_types: pii,
        evidence,
    })
}

/// Items in a JSON answer: a top-level array, or the largest array one or two levels down
/// (`{"data": […]}`, `{"result": {"items": […]}}`).
fn item_count(body: &[u8]) -> Option<usize> {
    fn largest(v: &Value, depth: usize) -> Option<usize> {
        match v {
            Value::Array(items) => Some(items.len()),
            Value::Object(map) if depth < 2 => map.values().filter_map(|x| largest(x, depth + 1)).max(),
            _ => None,
        }
    }
    largest(&serde_json::from_slice(body).ok()?, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_items_at_the_top_or_one_or_two_levels_down() {
        assert_eq!(item_count(b"[1,2,3]"), Some(3));
        assert_eq!(item_count(br#"{"data":[1,2],"limit":2}"#), Some(2));
        assert_eq!(item_count(br#"{"result":{"items":[1,2,3,4]},"tags":[1]}"#), Some(4));
        assert_eq!(item_count(br#"{"a":{"b":{"c":[1]}}}"#), None, "too deep to be the page");
        assert_eq!(item_count(b"<html>"), None);
    }

    #[test]
    fn login_and_lookup_paths_are_recognised() {
        assert!(is_login_path("/api/login"));
        assert!(is_login_path("/oauth/token"));
        assert!(!is_login_path("/api/login-history/{id}/events"));
        assert_eq!(crate::words::last_segment("/api/users/{id}").as_deref(), Some("users"));
        assert_eq!(placeholder("email"), "leakprobe@example.com");
    }

    #[test]
    fn burst_query_hides_values_and_varies_per_request() {
        let t = BurstTarget {
            sensitivity: Sensitivity::Enumeration,
            method: Method::GET,
            path: "/api/users/lookup".into(),
            query: vec![("email".into(), "ann@fastmail.fm".into())],
            pii: Vec::new(),
        };
        assert_eq!(t.display(), "/api/users/lookup?email=…");
        assert_ne!(t.probe(1, 7), t.probe(2, 7));
        assert_eq!(t.probe(3, 7).target, "/api/users/lookup?email=ann%40fastmail.fm&_lp=3");
    }
}
