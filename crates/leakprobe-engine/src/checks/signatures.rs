//! `authentication`, HMAC-signed APIs: whether the signature an identity sends is required,
//! verified, covers the whole request, resists replay, and whether an unsigned twin of a signed
//! route is still mounted.
//!
//! These checks run only when some identity has a signer (`[identity.sign]`). They start from the
//! endpoints that identity reads with a correctly signed GET, then send the same request varied
//! one way at a time ([`AuthMode`]): unsigned, wrongly signed, signed for another path, signed
//! with an old timestamp, signed twice with one nonce. A variation counts as accepted only when it
//! gets the *same data* as the signed request (or, for coverage, *other* data that the signature
//! never vouched for) — status codes alone prove nothing. Every probe is a GET, so they are safe
//! without `--active`; the four checks share their baseline probes through the client's cache.
//! Evidence names paths and statuses only: never the secret, the signature or the credential.
mod twins;

use std::collections::BTreeSet;
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::stream::{self, StreamExt};
use leakprobe_detect::PiiType;

use super::{CheckInfo, Hit, Runner, Status};
use crate::client::{status, AuthMode, Exchange, Probe};
use crate::context::ScanContext;
use crate::identity::Identity;
use crate::inventory::{Endpoint, ParamLocation};
use crate::report::{Category, Confidence, Severity};
use crate::schedule::SkipReason;
use crate::survey::{rejected as refused, same_data};

pub static SIGNATURE_NOT_ENFORCED: CheckInfo = CheckInfo {
    id: "signature_not_enforced",
    category: Category::Authentication,
    status: Status::Stable,
    cwe: &[347, 306],
    summary: "Signed API serves the same data to unsigned or wrongly signed requests",
    docs: include_str!("../../docs/checks/signature_not_enforced.md"),
    runner: Runner::Active(not_enforced),
};

pub static SIGNATURE_PARTIAL_COVERAGE: CheckInfo = CheckInfo {
    id: "signature_partial_coverage",
    category: Category::Authentication,
    status: Status::Stable,
    cwe: &[347, 345],
    summary: "Request signature does not cover the path or query: a signed request can be altered",
    docs: include_str!("../../docs/checks/signature_partial_coverage.md"),
    runner: Runner::Active(partial_coverage),
};

pub static SIGNATURE_REPLAY: CheckInfo = CheckInfo {
    id: "signature_replay",
    category: Category::Authentication,
    status: Status::Stable,
    cwe: &[294],
    summary: "Signed requests with stale timestamps or reused nonces are accepted (replay)",
    docs: include_str!("../../docs/checks/signature_replay.md"),
    runner: Runner::Active(replay),
};

pub static UNSIGNED_LEGACY_ROUTE: CheckInfo = CheckInfo {
    id: "unsigned_legacy_route",
    category: Category::Authentication,
    status: Status::Stable,
    cwe: &[288, 306],
    summary: "Legacy or versioned twin of a signed route (/api/v0/…, /legacy/…) serves the data unsigned",
    docs: include_str!("../../docs/checks/unsigned_legacy_route.md"),
    runner: Runner::Active(legacy_route),
};

/// Signed routes whose replay protection is probed; replay checks usually live in one verifier.
const MAX_REPLAY_ENDPOINTS: usize = 3;
/// Signed routes whose twins are looked for.
const MAX_TWIN_ENDPOINTS: usize = 8;
/// Query parameters per endpoint whose coverage is probed.
const MAX_QUERY_PARAMS: usize = 3;
/// How old the timestamp of the stale probe is: far beyond any sane clock-skew window (300 s is
/// common, 900 s generous).
const STALE_SECONDS: i64 = 3600;
/// A header servers ignore, varied so the client sends a replay instead of answering from its cache.
const REPLAY_MARKER: &str = "X-Request-Id";

/// One endpoint the signing identity reads, with the same GET unsigned and wrongly signed.
struct Signed {
    path: String,
    endpoint: Endpoint,
    signed: Arc<Exchange>,
    unsigned: Arc<Exchange>,
    wrong: Arc<Exchange>,
}

impl Signed {
    /// The route verifies signatures: neither the unsigned nor the wrongly signed request got in.
    fn enforced(&self) -> bool {
        refused(&self.unsigned) && refused(&self.wrong)
    }
}

/// The identity whose requests are signed; `None` turns all four checks off.
fn signing_identity(ctx: &ScanContext) -> Option<Identity> {
    ctx.client.identities().into_iter().find(|i| i.signer.is_some())
}

/// `ex` carries the data of `reference`, and is not the target's "no such path" page.
fn accepted(ctx: &ScanContext, reference: &Exchange, ex: &Exchange) -> bool {
    same_data(reference, ex) && !ctx.soft404.is_not_found(ex)
}

/// `ex` is a real answer with other data than `reference`: the server acted on what was changed.
fn accepted_other(ctx: &ScanContext, reference: &Exchange, ex: &Exchange) -> bool {
    ex.is_success() && !ex.body.is_empty() && !ctx.soft404.is_not_found(ex) && ex.body != reference.body
}

fn severity_for(pii: &[PiiType]) -> Severity {
    if pii.is_empty() {
        Severity::High
    } else {
        Severity::Critical
    }
}

async fn send(ctx: &ScanContext, probe: Probe) -> Option<Arc<Exchange>> {
    ctx.client.send(probe).await.ok()
}

fn readable(ctx: &ScanContext) -> impl Iterator<Item = &Endpoint> {
    ctx.inventory.endpoints().filter(|e| e.methods.contains("GET"))
}

/// The GET endpoints the identity reads when it signs, each with its unsigned and wrongly signed
/// variations, riskiest first. All four checks call this; the client's cache sends each
/// probe once.
async fn signed_endpoints(ctx: &ScanContext, check: &'static CheckInfo, name: &str) -> Vec<Signed> {
    // Signed, unsigned and wrongly signed.
    let endpoints: Vec<Endpoint> = ctx.plan_costing(check, readable(ctx), 3).into_iter().cloned().collect();
    stream::iter(endpoints)
        .map(|endpoint| async move {
            let path = endpoint.sample_path();
            // The signed read is the survey's (sent once, cached); the variations are ours.
            let signed = match ctx.survey.entry(&endpoint.template).and_then(|e| e.view(&ctx.survey, Some(name))) {
                Some(view) => view.exchange.clone(),
                None => send(ctx, Probe::get(path.clone()).as_identity(name)).await?,
            };
            if !signed.is_success() || signed.body.is_empty() || ctx.soft404.is_not_found(&signed) {
                return None;
            }
            let (unsigned, wrong) = futures::join!(
                send(ctx, Probe::get(path.clone()).as_identity(name).auth(AuthMode::Unsigned)),
                send(ctx, Probe::get(path.clone()).as_identity(name).auth(AuthMode::WrongSignature)),
            );
            Some(Signed { path, endpoint, signed, unsigned: unsigned?, wrong: wrong? })
        })
        .buffered(ctx.config.concurrency.max(1))
        .filter_map(|s| async move { s })
        .collect()
        .await
}

fn not_enforced(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        let Some(identity) = signing_identity(ctx) else {
            ctx.skip(&SIGNATURE_NOT_ENFORCED, SkipReason::NeedsSigningIdentity, readable(ctx));
            return Vec::new();
        };
        let name = identity.name.as_str();
        let all = signed_endpoints(ctx, &SIGNATURE_NOT_ENFORCED, name).await;
        // Somewhere a signature is demanded: the API means to sign, so a route that serves personal
        // data unsigned is a gap even when it asks for nothing else either.
        let enforced_somewhere = all.iter().any(|s| refused(&s.unsigned) || refused(&s.wrong));
        let mut hits = Vec::new();
        for s in &all {
            let unsigned_ok = accepted(ctx, &s.signed, &s.unsigned);
            let wrong_ok = accepted(ctx, &s.signed, &s.wrong);
            if !unsigned_ok && !wrong_ok {
                continue;
            }
            let anonymous_ok = if identity.credential.is_none() {
                unsigned_ok
            } else {
                match send(ctx, Probe::get(s.path.clone())).await {
                    Some(anonymous) => accepted(ctx, &s.signed, &anonymous),
                    None => continue,
                }
            };
            let pii = ctx.exposed_types(&s.signed);
            // A route that serves everybody the same thing is public, not badly signed — unless
            // the API signs elsewhere and this route hands out personal data.
            let confidence = if !anonymous_ok {
                Confidence::Confirmed
            } else if enforced_somewhere && !pii.is_empty() {
                Confidence::High
            } else {
                continue;
            };
            let title = match (unsigned_ok, wrong_ok) {
                (true, true) => "Signature not verified: unsigned and wrongly signed requests get the data",
                (true, false) => "Signature checked only when present: unsigned requests get the data",
                _ => "Any signature accepted: wrongly signed requests get the data",
            };
            let evidence = format!(
                "GET {path} signed → {signed}; unsigned → {unsigned}{u}; wrongly signed → {wrong}{w}",
                path = s.path,
                signed = status(&s.signed),
                unsigned = status(&s.unsigned),
                u = if unsigned_ok { " with the same data" } else { "" },
                wrong = status(&s.wrong),
                w = if wrong_ok { " with the same data" } else { "" },
            );
            hits.push(Hit {
                title: title.into(),
                severity: severity_for(&pii),
                confidence,
                method: "GET".into(),
                path: s.path.clone(),
                kind: "not_enforced".into(),
                pii_types: pii,
                evidence,
            });
        }
        hits
    })
}

/// `path` with the parameter `name` set to `value` (added when absent), and without it.
fn with_param(path: &str, name: &str, value: &str) -> String {
    let (base, query) = path.split_once('?').unwrap_or((path, ""));
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    match pairs.iter_mut().find(|(k, _)| k == name) {
        Some(pair) => pair.1 = value.to_string(),
        None => pairs.push((name.to_string(), value.to_string())),
    }
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    format!("{base}?{query}")
}

fn without_query(path: &str) -> &str {
    path.split('?').next().unwrap_or(path)
}

/// Another value of the same kind: the next number, or the text with a character added.
fn other_value(value: &str) -> String {
    match value.parse::<u64>() {
        Ok(n) => n.checked_add(1).unwrap_or(n - 1).to_string(),
        Err(_) => format!("{value}0"),
    }
}

/// Only numbers are shown in evidence: other query values may be personal data.
fn shown(path: &str) -> String {
    let Some((base, query)) = path.split_once('?') else { return path.to_string() };
    let pairs: Vec<String> = url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| if v.bytes().all(|b| b.is_ascii_digit()) { format!("{k}={v}") } else { format!("{k}=…") })
        .collect();
    format!("{base}?{}", pairs.join("&"))
}

/// The same path with its last numeric segment changed (`/customers/1` → `/customers/2`), or
/// another example of the endpoint.
fn neighbour_path(s: &Signed) -> Option<String> {
    if let Some(other) = s.endpoint.examples.iter().find(|e| **e != s.path && !e.contains('?')) {
        return Some(other.clone());
    }
    let path = without_query(&s.path);
    let mut segments: Vec<String> = path.split('/').map(str::to_string).collect();
    let last_id = segments
        .iter()
        .rposition(|seg| !seg.is_empty() && seg.len() < 19 && seg.bytes().all(|b| b.is_ascii_digit()))?;
    segments[last_id] = other_value(&segments[last_id]);
    Some(segments.join("/"))
}

/// Sends `path` carrying the signature made for `signed_for` and tells whether the server acted
/// on the unsigned difference: another answer than `signed_for` gets, while the same path sent
/// unsigned is refused.
async fn unsigned_part_accepted(ctx: &ScanContext, name: &str, path: &str, signed_for: &str) -> Option<Arc<Exchange>> {
    let reference = send(ctx, Probe::get(signed_for).as_identity(name)).await?;
    if !reference.is_success() {
        return None;
    }
    let swapped =
        send(ctx, Probe::get(path).as_identity(name).auth(AuthMode::SignedPath(signed_for.to_string()))).await?;
    if !accepted_other(ctx, &reference, &swapped) {
        return None;
    }
    let unsigned = send(ctx, Probe::get(path).as_identity(name).auth(AuthMode::Unsigned)).await?;
    refused(&unsigned).then_some(swapped)
}

fn partial_coverage(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        let Some(identity) = signing_identity(ctx) else {
            ctx.skip(&SIGNATURE_PARTIAL_COVERAGE, SkipReason::NeedsSigningIdentity, readable(ctx));
            return Vec::new();
        };
        let name = identity.name.as_str();
        let all = signed_endpoints(ctx, &SIGNATURE_PARTIAL_COVERAGE, name).await;
        let mut hits = Vec::new();
        for s in all.iter().filter(|s| s.enforced()) {
            if let Some(neighbour) = neighbour_path(s) {
                if let Some(ex) = unsigned_part_accepted(ctx, name, &neighbour, &s.path).await {
                    let pii = ctx.exposed_types(&ex);
                    hits.push(Hit {
                        title: "Signature does not cover the path: a request signed for one resource reads another".into(),
                        severity: severity_for(&pii),
                        confidence: Confidence::Confirmed,
                        method: "GET".into(),
                        path: s.path.clone(),
                        kind: "path".into(),
                        evidence: format!(
                            "GET {} carrying the signature made for GET {} → {} with other data; the same request unsigned → refused",
                            shown(&neighbour),
                            shown(&s.path),
                            status(&ex)
                        ),
                        pii_types: pii,
                    });
                }
            }
            if let Some(hit) = query_coverage(ctx, name, s).await {
                hits.push(hit);
            }
        }
        hits
    })
}

/// Changes one query parameter at a time (those in the sample path, then those the spec declares)
/// under a signature made without it or with its old value.
async fn query_coverage(ctx: &ScanContext, name: &str, s: &Signed) -> Option<Hit> {
    let (_, query) = s.path.split_once('?').unwrap_or((&s.path, ""));
    let mut params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    for p in s.endpoint.params.iter().filter(|p| p.location == ParamLocation::Query) {
        if !params.iter().any(|(k, _)| *k == p.name) {
            params.push((p.name.clone(), p.example.clone().unwrap_or_else(|| "1".into())));
        }
    }
    for (param, value) in params.into_iter().take(MAX_QUERY_PARAMS) {
        let original = with_param(&s.path, &param, &value);
        let changed = with_param(&s.path, &param, &other_value(&value));
        // Signed with the old value (the query is not verified at all), or signed without any
        // query (the verifier only hashes the path).
        let mut signed_for = vec![original.clone(), without_query(&s.path).to_string()];
        signed_for.dedup();
        for reference in signed_for {
            let Some(ex) = unsigned_part_accepted(ctx, name, &changed, &reference).await else { continue };
            let pii = ctx.exposed_types(&ex);
            return Some(Hit {
                title: format!("Signature does not cover the query string: `{param}` can be changed on a signed request"),
                severity: severity_for(&pii),
                confidence: Confidence::Confirmed,
                method: "GET".into(),
                path: s.path.clone(),
                kind: "query".into(),
                evidence: format!(
                    "GET {} carrying the signature made for GET {} → {} with other data; the same request unsigned → refused",
                    shown(&changed),
                    shown(&reference),
                    status(&ex)
                ),
                pii_types: pii,
            });
        }
    }
    None
}

fn replay(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        let Some(identity) = signing_identity(ctx) else {
            ctx.skip(&SIGNATURE_REPLAY, SkipReason::NeedsSigningIdentity, readable(ctx));
            return Vec::new();
        };
        let Some(signer) = identity.signer.as_ref() else { return Vec::new() };
        let name = identity.name.as_str();
        let has_timestamp = signer.timestamp_header.is_some() || signer.template.contains("{timestamp}");
        let has_nonce = signer.nonce_header.is_some();
        let all = signed_endpoints(ctx, &SIGNATURE_REPLAY, name).await;
        let mut hits = Vec::new();
        let (mut stale_found, mut nonce_found) = (false, false);
        let replay_tag = format!("{:08x}", rand::random::<u32>());
        for s in all.iter().filter(|s| s.enforced()).take(MAX_REPLAY_ENDPOINTS) {
            let hit = |kind: &str, title: &str, evidence: String| Hit {
                title: title.into(),
                severity: Severity::Medium,
                confidence: Confidence::Confirmed,
                method: "GET".into(),
                path: s.path.clone(),
                kind: kind.into(),
                pii_types: Vec::new(),
                evidence,
            };
            if !has_timestamp && !has_nonce {
                // Nothing in the request changes over time: the signature of one request is
                // valid for it forever. Show it by sending it again.
                let again = Probe::get(s.path.clone())
                    .as_identity(name)
                    .header(REPLAY_MARKER, &format!("leakprobe-{replay_tag}"));
                let Some(ex) = send(ctx, again).await else { continue };
                if accepted(ctx, &s.signed, &ex) {
                    hits.push(hit(
                        "no_freshness",
                        "Signed requests carry no timestamp or nonce: any captured request can be replayed",
                        format!(
                            "GET {} signed without timestamp or nonce, sent twice → {} and {} with the same data",
                            s.path,
                            status(&s.signed),
                            status(&ex)
                        ),
                    ));
                    break;
                }
                continue;
            }
            if has_timestamp && !stale_found {
                let stale = Probe::get(s.path.clone()).as_identity(name).auth(AuthMode::StaleTimestamp(STALE_SECONDS));
                if let Some(ex) = send(ctx, stale).await {
                    if accepted(ctx, &s.signed, &ex) {
                        stale_found = true;
                        hits.push(hit(
                            "stale_timestamp",
                            "Stale signed requests accepted: the timestamp is not checked against the clock",
                            format!("GET {} signed with a timestamp one hour old → {} with the same data as a fresh request", s.path, status(&ex)),
                        ));
                    }
                }
            }
            if has_nonce && !nonce_found {
                let nonce = format!("lp{replay_tag}{:08x}", rand::random::<u32>());
                let probe = |n: u8| {
                    Probe::get(s.path.clone())
                        .as_identity(name)
                        .auth(AuthMode::FixedNonce(nonce.clone()))
                        .header(REPLAY_MARKER, &format!("leakprobe-{replay_tag}-{n}"))
                };
                // In order: the second must reach the server after the first was accepted.
                let Some(first) = send(ctx, probe(1)).await else { continue };
                if accepted(ctx, &s.signed, &first) {
                    if let Some(second) = send(ctx, probe(2)).await {
                        if accepted(ctx, &s.signed, &second) {
                            nonce_found = true;
                            hits.push(hit(
                                "nonce_replay",
                                "Replayed nonce accepted: the server does not remember the nonces it has seen",
                                format!(
                                    "GET {} sent twice with the same nonce → {} then {} with the same data",
                                    s.path,
                                    status(&first),
                                    status(&second)
                                ),
                            ));
                        }
                    }
                }
            }
            if (stale_found || !has_timestamp) && (nonce_found || !has_nonce) {
                break;
            }
        }
        hits
    })
}

fn legacy_route(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        let Some(identity) = signing_identity(ctx) else {
            ctx.skip(&UNSIGNED_LEGACY_ROUTE, SkipReason::NeedsSigningIdentity, readable(ctx));
            return Vec::new();
        };
        let name = identity.name.as_str();
        let all = signed_endpoints(ctx, &UNSIGNED_LEGACY_ROUTE, name).await;
        // Only routes that demand a signature can have a twin that skips it.
        let signed_routes: Vec<&Signed> =
            all.iter().filter(|s| refused(&s.unsigned)).take(MAX_TWIN_ENDPOINTS).collect();
        let mut seen = BTreeSet::new();
        let mut candidates: Vec<(usize, String)> = Vec::new();
        for (i, s) in signed_routes.iter().enumerate() {
            for twin in twins::candidates(&s.path) {
                if seen.insert(twin.clone()) {
                    candidates.push((i, twin));
                }
            }
        }
        // Items carry indices, not references: the stream's closure must not be generic over a
        // borrow's lifetime (the boxed future could not name it).
        let routes = &signed_routes;
        let found: Vec<(usize, String, Arc<Exchange>)> = stream::iter(candidates)
            .map(|(i, twin)| async move {
                let ex = send(ctx, Probe::get(twin.clone()).as_identity(name).auth(AuthMode::Unsigned)).await?;
                accepted(ctx, &routes[i].signed, &ex).then_some((i, twin, ex))
            })
            .buffered(ctx.config.concurrency.max(1))
            .filter_map(|f| async move { f })
            .collect()
            .await;
        let mut hits = Vec::new();
        for (i, twin, ex) in found {
            let s = signed_routes[i];
            let anonymous_ok = if identity.credential.is_none() {
                true
            } else {
                match send(ctx, Probe::get(twin.clone())).await {
                    Some(anonymous) => accepted(ctx, &s.signed, &anonymous),
                    None => false,
                }
            };
            let (title, how) = if anonymous_ok {
                ("Unsigned twin of a signed route serves the same data to anyone", "without signature or credentials")
            } else {
                ("Unsigned twin of a signed route serves the same data", "without a signature")
            };
            let pii = ctx.exposed_types(&ex);
            hits.push(Hit {
                title: title.into(),
                severity: severity_for(&pii),
                confidence: Confidence::Confirmed,
                method: "GET".into(),
                path: twin.clone(),
                kind: "unsigned_twin".into(),
                evidence: format!(
                    "GET {} {how} → {} with the same data as the signed GET {} (which refuses unsigned requests: {})",
                    shown(&twin),
                    status(&ex),
                    shown(&s.path),
                    status(&s.unsigned)
                ),
                pii_types: pii,
            });
        }
        hits
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_are_set_or_added() {
        assert_eq!(with_param("/s", "customer_id", "2"), "/s?customer_id=2");
        assert_eq!(with_param("/s?customer_id=1&page=3", "customer_id", "2"), "/s?customer_id=2&page=3");
        assert_eq!(without_query("/s?customer_id=1"), "/s");
    }

    #[test]
    fn other_values_differ() {
        assert_eq!(other_value("41"), "42");
        assert_eq!(other_value("18446744073709551615"), "18446744073709551614");
        assert_eq!(other_value("gold"), "gold0");
    }

    #[test]
    fn evidence_shows_numbers_but_not_other_query_values() {
        assert_eq!(shown("/s?customer_id=2&email=maria%40fastmail.com"), "/s?customer_id=2&email=…");
        assert_eq!(shown("/s"), "/s");
    }
}
