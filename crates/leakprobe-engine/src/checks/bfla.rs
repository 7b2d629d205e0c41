//! `bfla`: function-level authorization. Administrative and internal functions called by a
//! low-privilege identity and by nobody ([`ADMIN_FUNCTION`]), and authorization rules that hold
//! for one method only ([`METHOD_TAMPERING`]).
//!
//! Which functions are administrative comes from four places: path segments (`/admin`,
//! `/internal`, `/manage`, `/debug`…), the spec (tags, summaries, operation ids, scopes), what an
//! identity labelled `admin` receives and low-privilege identities are refused, and the siblings of
//! such admin-only endpoints. A call "gets the function" only when its answer has content, is not
//! a refusal in a 200, and — when an admin identity is configured — looks like what the admin gets.
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, LazyLock};

use futures::future::BoxFuture;
use futures::stream::{self, StreamExt};
use reqwest::Method;
use serde_json::Value;

use super::{CheckInfo, Hit, Runner, Status};
use crate::client::{status, Exchange, Probe};
use crate::context::ScanContext;
use crate::discovery::data_lines;
use crate::identity::Identity;
use crate::inventory::Endpoint;
use crate::report::{Category, Confidence, Severity};
use crate::soft404;
use crate::survey::{count_leaves, critical_pii, denial, has_content, json_body, refused, substantive};

pub static ADMIN_FUNCTION: CheckInfo = CheckInfo {
    id: "admin_function_exposed",
    category: Category::Bfla,
    status: Status::Stable,
    cwe: &[285, 269],
    summary: "Admin and internal functions served to low-privilege identities or without credentials",
    docs: include_str!("../../docs/checks/admin_function_exposed.md"),
    runner: Runner::Active(admin_function_exposed),
};

pub static METHOD_TAMPERING: CheckInfo = CheckInfo {
    id: "method_tampering",
    category: Category::Bfla,
    status: Status::Stable,
    cwe: &[285, 650],
    summary: "Authorization bypassed with HEAD instead of GET, or by X-HTTP-Method-Override (--active)",
    docs: include_str!("../../docs/checks/method_tampering.md"),
    runner: Runner::Active(method_tampering),
};

const PRIVILEGED_PATHS: &str = include_str!("../../data/privileged-paths.txt");
static PRIVILEGED_SEGMENTS: LazyLock<Vec<&'static str>> = LazyLock::new(|| data_lines(PRIVILEGED_PATHS).collect());
/// Words of spec tags, operation ids and scopes (split at `_`, `-`, `:`, `.` and camelCase) that
/// mark a privileged operation.
const PRIVILEGED_WORDS: [&str; 8] =
    ["admin", "admins", "administrator", "administration", "internal", "superuser", "staff", "backoffice"];
/// Phrases of spec summaries that do; single words would match "…or any for admins".
const PRIVILEGED_PHRASES: [&str; 10] = [
    "admin only",
    "admin-only",
    "admins only",
    "administrators only",
    "(admin)",
    "requires admin",
    "admin role",
    "internal only",
    "internal use",
    "staff only",
];

const MAX_LOW_IDENTITIES: usize = 2;
/// Headers frameworks read to tunnel a method through POST; sent together in one probe.
const OVERRIDE_HEADERS: [&str; 3] = ["X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"];
/// An id no real object has, so a tunnelled DELETE or PUT that gets through changes nothing.
const ABSENT_ID: &str = "2147400001";
/// Why an endpoint is taken for an administrative function.
#[derive(Debug, Clone)]
enum Reason {
    Path(String),
    Spec(String),
    /// The admin identity gets it and low-privilege identities are refused.
    AdminOnly,
    /// Shares its prefix with an admin-only endpoint.
    Sibling(String),
}

impl Reason {
    fn describe(&self) -> String {
        match self {
            Reason::Path(seg) => format!("the path segment `{seg}`"),
            Reason::Spec(why) => format!("the spec ({why})"),
            Reason::AdminOnly => "the admin identity gets it and others are refused".to_string(),
            Reason::Sibling(of) => format!("its sibling {of} is admin-only"),
        }
    }

    /// Path keywords alone are a weaker sign than the spec or the identities' roles.
    fn strong(&self) -> bool {
        !matches!(self, Reason::Path(_))
    }
}

/// Who is compared: the first admin identity, the low-privilege ones, and anonymous callers.
struct Callers {
    admin: Option<Identity>,
    low: Vec<Identity>,
}

fn callers(ctx: &ScanContext) -> Callers {
    let all = ctx.client.identities();
    Callers {
        admin: all.iter().find(|i| i.is_admin()).cloned(),
        low: all.into_iter().filter(|i| !i.is_admin()).take(MAX_LOW_IDENTITIES).collect(),
    }
}

/// One GET endpoint as every caller sees it.
struct View {
    endpoint: Endpoint,
    path: String,
    admin: Option<Arc<Exchange>>,
    anonymous: Option<Arc<Exchange>>,
    low: Vec<(Identity, Option<Arc<Exchange>>)>,
    reasons: Vec<Reason>,
}

/// Every GET endpoint as the admin, each low-privilege identity and anonymous callers saw it in
/// the survey ([`crate::survey`]), with the reasons it is taken for an administrative function.
fn views(ctx: &ScanContext, check: &'static CheckInfo, who: &Callers) -> Vec<View> {
    let survey = &ctx.survey;
    // Nothing new to send: the survey read every endpoint as every caller.
    let endpoints = survey.entries.iter().map(|e| &e.endpoint);
    let granted: BTreeSet<String> =
        ctx.plan_costing(check, endpoints, 0).into_iter().map(|e| e.template.clone()).collect();
    let answer = |entry: &crate::survey::Entry, caller: Option<&str>| {
        entry.view(survey, caller).map(|v| Arc::clone(&v.exchange))
    };
    let mut views: Vec<View> = survey
        .entries
        .iter()
        .filter(|e| granted.contains(&e.endpoint.template))
        .map(|entry| View {
            endpoint: entry.endpoint.clone(),
            path: entry.path.clone(),
            admin: who.admin.as_ref().and_then(|a| answer(entry, Some(&a.name))),
            anonymous: answer(entry, None),
            low: who.low.iter().map(|i| (i.clone(), answer(entry, Some(&i.name)))).collect(),
            reasons: static_reasons(ctx, &entry.endpoint),
        })
        .collect();
    views.sort_by(|a, b| a.endpoint.template.cmp(&b.endpoint.template));

    // Role differential: what the admin gets and every low-privilege identity is refused.
    let admin_only: Vec<String> = views
        .iter()
        .filter(|v| {
            v.admin.as_ref().is_some_and(|a| has_content(ctx, a))
                && !v.low.is_empty()
                && v.low.iter().all(|(_, e)| e.as_ref().is_some_and(|e| refused(e)))
        })
        .map(|v| v.endpoint.template.clone())
        .collect();
    for view in &mut views {
        if admin_only.contains(&view.endpoint.template) {
            view.reasons.push(Reason::AdminOnly);
        } else if let Some(sibling) =
            admin_only.iter().find(|t| parent(t) == parent(&view.endpoint.template) && parent(t).len() > 1)
        {
            view.reasons.push(Reason::Sibling(sibling.clone()));
        }
    }
    views
}

fn parent(template: &str) -> &str {
    template.rsplit_once('/').map_or("", |(p, _)| p)
}

/// Reasons known without sending anything: path segments and the spec.
fn static_reasons(ctx: &ScanContext, endpoint: &Endpoint) -> Vec<Reason> {
    let mut reasons = Vec::new();
    if let Some(seg) = endpoint.template.split('/').find(|s| privileged_segment(s)) {
        reasons.push(Reason::Path(seg.to_string()));
    }
    if let Some(spec) = &ctx.spec {
        for op in spec.operations.iter().filter(|o| o.path == endpoint.template) {
            let mut named: Vec<(&str, &str)> = op.tags.iter().map(|t| ("tag", t.as_str())).collect();
            named.extend(op.scopes.iter().map(|s| ("scope", s.as_str())));
            named.extend(op.operation_id.iter().map(|id| ("operationId", id.as_str())));
            let why = named
                .into_iter()
                .find(|(_, text)| crate::words::words(text).iter().any(|w| PRIVILEGED_WORDS.contains(&w.as_str())))
                .map(|(what, text)| format!("{what} `{text}`"))
                .or_else(|| {
                    let summary = op.summary.to_ascii_lowercase();
                    PRIVILEGED_PHRASES.iter().any(|p| summary.contains(p)).then(|| format!("summary `{}`", op.summary))
                });
            if let Some(why) = why {
                reasons.push(Reason::Spec(why));
                break;
            }
        }
    }
    reasons
}

fn privileged_segment(segment: &str) -> bool {
    PRIVILEGED_SEGMENTS.iter().any(|p| crate::words::segment_is(segment, p))
}

/// The same result as the admin's: identical bodies, or JSON of the same shape (same keys; for
/// lists, as many entries), or text with as many lines.
fn same_result(admin: &Exchange, other: &Exchange) -> bool {
    if admin.body == other.body {
        return true;
    }
    match (json_body(admin).as_deref(), json_body(other).as_deref()) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => a.keys().eq(b.keys()),
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            let keys =
                |v: Option<&Value>| v.and_then(Value::as_object).map(|o| o.keys().cloned().collect::<BTreeSet<_>>());
            a.len() == b.len() && keys(a.first()) == keys(b.first())
        }
        (None, None) => admin.text().lines().count() == other.text().lines().count(),
        _ => false,
    }
}

/// `as alice (role user)`, or `without credentials`.
fn as_who(identity: Option<&Identity>) -> String {
    match identity {
        Some(i) => match &i.role {
            Some(role) => format!("as {} (role {role})", i.name),
            None => format!("as {}", i.name),
        },
        None => "without credentials".to_string(),
    }
}

fn admin_function_exposed(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        let who = callers(ctx);
        let views = views(ctx, &ADMIN_FUNCTION, &who);
        let mut hits = Vec::new();
        for view in views.iter().filter(|v| !v.reasons.is_empty()) {
            let admin_view = view.admin.as_ref().filter(|a| has_content(ctx, a));
            // Anonymous first: when nobody needs credentials, low-privilege access is implied.
            let mut attempts: Vec<(Option<&Identity>, Option<&Arc<Exchange>>)> = vec![(None, view.anonymous.as_ref())];
            attempts.extend(view.low.iter().map(|(i, e)| (Some(i), e.as_ref())));
            for (identity, ex) in attempts {
                let Some(ex) = ex else { continue };
                if !has_content(ctx, ex) || denial(ex) || !substantive(ex) {
                    continue;
                }
                let matches_admin = admin_view.map(|a| same_result(a, ex));
                if matches_admin == Some(false) {
                    continue; // a view of its own (the caller's own records), not the admin's
                }
                let labelled_low = identity.is_none_or(|i| i.role.is_some());
                let strong = view.reasons.iter().any(Reason::strong);
                let pii = ctx.exposed_types(ex);
                // A path keyword alone, nothing to compare with and no personal data: only a
                // result with some substance counts (not `{"status": "ok", "version": "1.2"}`).
                if !strong
                    && matches_admin.is_none()
                    && pii.is_empty()
                    && json_body(ex).is_some_and(|j| count_leaves(&j, 0) < 4)
                {
                    continue;
                }
                // Confirmed: the spec or the roles say the function is the admin's, and a caller
                // labelled as not an admin (or nobody) gets the admin's result.
                let confidence = match (matches_admin == Some(true), strong) {
                    (true, true) if labelled_low => Confidence::Confirmed,
                    (true, _) | (false, true) => Confidence::High,
                    (false, false) => Confidence::Medium,
                };
                let severity = if critical_pii(&pii) || (identity.is_none() && !pii.is_empty()) {
                    Severity::Critical
                } else if !pii.is_empty() || strong || matches_admin == Some(true) {
                    Severity::High
                } else {
                    Severity::Medium
                };
                let reasons: Vec<String> = view.reasons.iter().map(Reason::describe).collect();
                let mut evidence = format!(
                    "GET {} {} → {} with {} bytes of data; admin function by {}",
                    view.path,
                    as_who(identity),
                    status(ex),
                    ex.body.len(),
                    reasons.join(", ")
                );
                if let (Some(admin), Some(a)) = (&who.admin, admin_view) {
                    evidence.push_str(&format!("; as {} → {} with the same result", admin.name, status(a)));
                }
                let (title, kind) = match identity {
                    None => ("Admin function reachable without credentials".to_string(), "anonymous"),
                    Some(i) => {
                        (format!("Admin function reachable by low-privilege identity {}", i.name), "low_privilege")
                    }
                };
                hits.push(Hit {
                    title,
                    severity,
                    confidence,
                    method: "GET".into(),
                    path: view.path.clone(),
                    kind: kind.into(),
                    pii_types: pii,
                    evidence,
                });
                break;
            }
        }
        hits
    })
}

fn method_tampering(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        let who = callers(ctx);
        let views = views(ctx, &METHOD_TAMPERING, &who);
        let mut hits = Vec::new();
        // The first caller refused on each endpoint, and the admin's answer to compare with.
        let refused_views: Vec<(&View, Option<&Identity>)> = views
            .iter()
            .filter_map(|v| {
                let low = v.low.iter().find(|(_, e)| e.as_ref().is_some_and(|e| refused(e))).map(|(i, _)| Some(i));
                let anonymous = v.anonymous.as_ref().filter(|e| refused(e)).map(|_| None);
                // A low-privilege refusal is the interesting one: anonymous HEAD bypasses are rarer
                // and show up under authentication too.
                low.or(anonymous).map(|caller| (v, caller))
            })
            .collect();
        if refused_views.is_empty() {
            return hits;
        }

        // HEAD runs the GET handler in most frameworks (Flask, Express, Rails) but is often left
        // out of per-method rules. Control: HEAD on a path that does not exist must not be a 2xx.
        let control_path = soft404::random_path(soft404::SHORT_LEN);
        let control = ctx.client.send(Probe::new(Method::HEAD, control_path)).await.ok();
        let head_always_ok = control.as_ref().is_some_and(|c| c.is_success());
        if !head_always_ok {
            // Indices, not borrowed tuples: closures over `&(&View, …)` trip the higher-ranked
            // lifetime inference of `Send` futures.
            let answers: Vec<_> = stream::iter(0..refused_views.len())
                .map(|i| {
                    let (view, caller) = refused_views[i];
                    let mut probe = Probe::new(Method::HEAD, view.path.clone());
                    if let Some(identity) = caller {
                        probe = probe.as_identity(&identity.name);
                    }
                    async move { (view, caller, ctx.client.send(probe).await.ok()) }
                })
                .buffer_unordered(ctx.config.concurrency.max(1))
                .collect()
                .await;
            for (view, caller, head) in answers {
                let Some(head) = head.filter(|h| h.is_success()) else { continue };
                let got = caller_view(view, caller);
                let head_len = head.header("content-length").and_then(|l| l.parse::<usize>().ok());
                let admin_len = view.admin.as_ref().filter(|a| has_content(ctx, a)).map(|a| a.body.len());
                let confidence =
                    if head_len.is_some() && head_len == admin_len { Confidence::Confirmed } else { Confidence::High };
                let mut evidence = format!(
                    "GET {} {} → {}; HEAD → {}",
                    view.path,
                    as_who(caller),
                    got.map_or_else(|| "no answer".to_string(), |g| status(g)),
                    status(&head)
                );
                if let Some(len) = head_len {
                    evidence.push_str(&format!(" (Content-Length {len}"));
                    if admin_len == Some(len) {
                        evidence.push_str(", the size of the admin's answer");
                    }
                    evidence.push(')');
                }
                evidence.push_str(": the handler ran for HEAD");
                hits.push(Hit {
                    title: "Authorization enforced for GET but not for HEAD".into(),
                    severity: Severity::High,
                    confidence,
                    method: "HEAD".into(),
                    path: view.path.clone(),
                    kind: "head".into(),
                    pii_types: Vec::new(),
                    evidence,
                });
            }
        }

        // Tunnelled methods are POST requests the server may act on: only with --active.
        if ctx.config.active {
            hits.extend(override_get(ctx, &refused_views).await);
            hits.extend(override_writes(ctx, &who, &views).await);
        }
        hits
    })
}

fn caller_view<'a>(view: &'a View, caller: Option<&Identity>) -> Option<&'a Arc<Exchange>> {
    match caller {
        Some(i) => view.low.iter().find(|(l, _)| l.name == i.name).and_then(|(_, e)| e.as_ref()),
        None => view.anonymous.as_ref(),
    }
}

fn with_override(mut probe: Probe, method: &str) -> Probe {
    for header in OVERRIDE_HEADERS {
        probe = probe.header(header, method);
    }
    probe
}

/// POST + `X-HTTP-Method-Override: GET` where GET itself was refused.
async fn override_get(ctx: &ScanContext, refused_views: &[(&View, Option<&Identity>)]) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (view, caller) in refused_views {
        let mut probe = with_override(Probe::new(Method::POST, view.path.clone()), "GET");
        if let Some(i) = caller {
            probe = probe.as_identity(&i.name);
        }
        let Ok(ex) = ctx.client.send(probe).await else { continue };
        if !has_content(ctx, &ex) || denial(&ex) || !substantive(&ex) {
            continue;
        }
        let admin = view.admin.as_ref().filter(|a| has_content(ctx, a));
        if admin.is_some_and(|a| !same_result(a, &ex)) {
            continue;
        }
        let pii = ctx.exposed_types(&ex);
        hits.push(Hit {
            title: "Authorization bypassed by tunnelling GET through POST (X-HTTP-Method-Override)".into(),
            severity: if pii.is_empty() { Severity::High } else { Severity::Critical },
            confidence: Confidence::Confirmed,
            method: "POST".into(),
            path: view.path.clone(),
            kind: "override_get".into(),
            pii_types: pii,
            evidence: format!(
                "GET {} {} → refused; POST with X-HTTP-Method-Override: GET → {} with {} bytes of data",
                view.path,
                as_who(*caller),
                status(&ex),
                ex.body.len()
            ),
        });
    }
    hits
}

/// `DELETE`/`PUT`/`PATCH` on admin functions: refused when sent directly, but let through when
/// tunnelled in a POST? Sent to an id that does not exist, so nothing is deleted or changed: a
/// "not found" from the handler (instead of the refusal) proves the rule was bypassed.
async fn override_writes(ctx: &ScanContext, who: &Callers, views: &[View]) -> Vec<Hit> {
    let caller = who.low.first();
    let privileged: BTreeSet<&str> =
        views.iter().filter(|v| !v.reasons.is_empty()).map(|v| v.endpoint.template.as_str()).collect();
    let mut targets: BTreeMap<String, String> = BTreeMap::new();
    // Only endpoints with an object id: the absent id is what keeps the tunnelled write harmless.
    let templated = ctx.inventory.endpoints().filter(|e| e.has_path_params());
    for endpoint in ctx.plan_costing(&METHOD_TAMPERING, templated, 2) {
        let admin_like = privileged.contains(endpoint.template.as_str()) || !static_reasons(ctx, endpoint).is_empty();
        if !admin_like {
            continue;
        }
        for method in ["DELETE", "PUT", "PATCH"] {
            if endpoint.methods.contains(method) {
                let path = crate::inventory::fill_template(&endpoint.template, |_| Some(ABSENT_ID.to_string()));
                targets.entry(format!("{method} {path}")).or_insert(path);
            }
        }
    }
    let mut hits = Vec::new();
    for (key, path) in targets {
        let method_name = key.split(' ').next().unwrap_or("DELETE").to_string();
        let Ok(method) = Method::from_bytes(method_name.as_bytes()) else { continue };
        let as_caller = |p: Probe| match caller {
            Some(i) => p.as_identity(&i.name),
            None => p,
        };
        let Ok(direct) = ctx.client.send(as_caller(Probe::new(method, path.clone()))).await else { continue };
        if !refused(&direct) {
            continue;
        }
        let Ok(plain) = ctx.client.send(as_caller(Probe::new(Method::POST, path.clone()))).await else { continue };
        let tunnelled = with_override(Probe::new(Method::POST, path.clone()), &method_name);
        let Ok(tunnelled) = ctx.client.send(as_caller(tunnelled)).await else { continue };
        let Some(code) = tunnelled.status else { continue };
        if matches!(code, 401 | 403 | 405) || tunnelled.status == plain.status || tunnelled.status == direct.status {
            continue;
        }
        hits.push(Hit {
            title: format!("{method_name} refused, but let through when tunnelled with X-HTTP-Method-Override"),
            severity: Severity::High,
            confidence: if tunnelled.is_success() { Confidence::Confirmed } else { Confidence::High },
            method: method_name.clone(),
            path: path.clone(),
            kind: "override".into(),
            pii_types: Vec::new(),
            evidence: format!(
                "{method_name} {path} {} → {}; POST → {}; POST with X-HTTP-Method-Override: {method_name} → {} \
                 (the handler answered; the id does not exist, so nothing was changed)",
                as_who(caller),
                status(&direct),
                status(&plain),
                code
            ),
        });
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::words;

    #[test]
    fn privileged_segments_match_whole_words() {
        assert!(privileged_segment("admin"));
        assert!(privileged_segment("Admin-API"));
        assert!(privileged_segment("internal_tools"));
        assert!(privileged_segment("__debug__"));
        assert!(!privileged_segment("administrivia"));
        assert!(!privileged_segment("badminton"));
        assert!(!privileged_segment("users"));
    }

    #[test]
    fn spec_names_split_into_words() {
        assert_eq!(words("listAdminUsers"), vec!["list", "admin", "users"]);
        assert_eq!(words("users:admin"), vec!["users", "admin"]);
        assert_eq!(words("get_user_by_id"), vec!["get", "user", "by", "id"]);
        assert!(!words("badminton").contains(&"admin".to_string()));
    }

    #[test]
    fn parents_group_siblings() {
        assert_eq!(parent("/api/admin/audit"), "/api/admin");
        assert_eq!(parent("/api/admin/users"), "/api/admin");
        assert_eq!(parent("/x"), "");
    }
}
