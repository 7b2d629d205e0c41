//! `authentication`: JSON Web Tokens the scan holds (identities' bearer tokens, login results) or
//! sees in answers, attacked the way a first-day pentest does.
//!
//! Offline, at no request: the HS256/384/512 signature is tried against the secrets in
//! `data/jwt-secrets.txt` (and the token's own `iss`/`aud`). Online, on one read-only GET that the
//! token reads and an anonymous caller is refused (401/403): `alg: none` in its casings, the
//! signature stripped and altered, the claims changed under the original signature, and — where the
//! scanner can sign honestly (a cracked secret) — an expired copy and a token for another identity.
//! Every forgery is a deterministic GET through the client's cache, so the four checks here share
//! the probes they have in common; at most [`MAX_PROBES_PER_TOKEN`] new requests per token.
//!
//! Forged tokens travel as [`AuthMode::Token`]: never recorded in clear, never in evidence.
//! Evidence names the algorithm and claim names only; a cracked secret is redacted.
use std::collections::BTreeSet;
use std::sync::Arc;

use futures::future::BoxFuture;
use leakprobe_detect::PiiType;
use serde_json::{Map, Value};

use super::{CheckInfo, Hit, Runner, Status};
use crate::client::{status, AuthMode, Exchange, ForgedToken, Probe};
use crate::context::ScanContext;
use crate::inventory::Endpoint;
use crate::jwt::{find_jwts, Jwt};
use crate::report::{Category, Confidence, Severity};
use crate::schedule::SkipReason;

pub static JWT_NONE_ALGORITHM: CheckInfo = CheckInfo {
    id: "jwt_none_algorithm",
    category: Category::Authentication,
    status: Status::Preview,
    cwe: &[347, 327],
    summary: "A JWT re-issued with `alg: none` and no signature is accepted",
    docs: include_str!("../../docs/checks/jwt_none_algorithm.md"),
    runner: Runner::Active(none_algorithm),
};

pub static JWT_SIGNATURE_NOT_VERIFIED: CheckInfo = CheckInfo {
    id: "jwt_signature_not_verified",
    category: Category::Authentication,
    status: Status::Preview,
    cwe: &[347, 345],
    summary: "A JWT with its signature stripped or altered, or its claims changed, is accepted",
    docs: include_str!("../../docs/checks/jwt_signature_not_verified.md"),
    runner: Runner::Active(signature_not_verified),
};

pub static JWT_WEAK_SECRET: CheckInfo = CheckInfo {
    id: "jwt_weak_secret",
    category: Category::Authentication,
    status: Status::Preview,
    cwe: &[1391, 326],
    summary: "A JWT is signed with a guessable HMAC secret (cracked offline from a wordlist)",
    docs: include_str!("../../docs/checks/jwt_weak_secret.md"),
    runner: Runner::Active(weak_secret),
};

pub static JWT_EXPIRED_ACCEPTED: CheckInfo = CheckInfo {
    id: "jwt_expired_accepted",
    category: Category::Authentication,
    status: Status::Preview,
    cwe: &[613],
    summary: "A correctly signed but expired JWT is still accepted",
    docs: include_str!("../../docs/checks/jwt_expired_accepted.md"),
    runner: Runner::Active(expired_accepted),
};

/// The most new requests the four checks together send for one token (finding its endpoint
/// included, where discovery's answers are not already cached).
pub const MAX_PROBES_PER_TOKEN: usize = 12;
/// Endpoints tried to find one the token reads and anonymous callers are refused.
const ENDPOINT_TRIES: usize = 4;
/// Tokens seen in answers (not an identity's) that are attacked.
const MAX_SEEN_TOKENS: usize = 2;
/// `alg: none` as libraries have spelled the comparison they (fail to) make.
const NONE_CASINGS: [&str; 3] = ["none", "None", "NONE"];
/// Claims that carry who the caller is.
const IDENTITY_CLAIMS: [&str; 7] = ["sub", "user_id", "uid", "userId", "username", "email", "preferred_username"];

// ---- whose token, and where it is read ----

/// A token to attack: whose it is, and the GET that shows whether a variation of it is accepted.
struct Subject {
    /// The identity it belongs to; `None` for a token seen in an answer.
    identity: Option<String>,
    /// For evidence: "identity `alice`'s bearer token" / "a token seen in GET /x".
    label: String,
    jwt: Jwt,
    /// Where it was seen, for a token no identity holds.
    seen_at: Option<String>,
    /// The protected GET, with the real token's answer; `None` when no endpoint qualifies.
    read: Option<(String, Arc<Exchange>)>,
    /// Other identities' claims for who-the-caller-is, and their markers (to recognise their data).
    other: Option<(Map<String, Value>, Vec<String>)>,
    own_markers: Vec<String>,
}

impl Subject {
    fn probe(&self, path: &str, token: String) -> Probe {
        let probe = Probe::get(path).auth(AuthMode::Token(ForgedToken(token)));
        match &self.identity {
            Some(name) => probe.as_identity(name),
            None => probe,
        }
    }

    fn path(&self) -> String {
        match (&self.read, &self.seen_at) {
            (Some((path, _)), _) => path.clone(),
            (None, Some(seen)) => seen.clone(),
            (None, None) => "*".into(),
        }
    }
}

fn readable(ctx: &ScanContext) -> impl Iterator<Item = &Endpoint> {
    ctx.inventory.endpoints().filter(|e| e.methods.contains("GET") && !crate::words::names_state_change(&e.template))
}

/// Own-account paths first (`/me`, `/profile`): what a token reads most surely.
fn own_account_rank(endpoint: &Endpoint) -> u8 {
    const OWN: [&str; 8] = ["me", "self", "profile", "account", "whoami", "userinfo", "current-user", "session"];
    let last = crate::words::segments(&endpoint.template).last().cloned().unwrap_or_default();
    if OWN.contains(&last.as_str()) {
        0
    } else if endpoint.has_path_params() {
        2
    } else {
        1
    }
}

/// A GET the token reads (2xx with content) and an anonymous caller is refused (401/403).
async fn protected_read(
    ctx: &ScanContext,
    endpoints: &[&Endpoint],
    identity: Option<&str>,
    token: &str,
) -> Option<(String, Arc<Exchange>)> {
    for endpoint in endpoints.iter().take(ENDPOINT_TRIES) {
        let path = endpoint.sample_path();
        let Ok(anonymous) = ctx.client.send(Probe::get(path.clone())).await else { continue };
        if !matches!(anonymous.status, Some(401 | 403)) {
            continue;
        }
        let probe = match identity {
            Some(name) => Probe::get(path.clone()).as_identity(name),
            None => Probe::get(path.clone()).auth(AuthMode::Token(ForgedToken(token.to_string()))),
        };
        let Ok(authed) = ctx.client.send(probe).await else { continue };
        if crate::survey::has_content(ctx, &authed) {
            return Some((path, authed));
        }
    }
    None
}

/// Every JWT the scan holds or has seen, with where each is read. Identical for every check (the
/// probes are answered from the cache after the first).
async fn subjects(ctx: &ScanContext, check: &'static CheckInfo) -> Vec<Subject> {
    let identities = ctx.client.identities();
    let held: Vec<(String, Jwt, Vec<String>)> = identities
        .iter()
        .filter_map(|i| {
            let jwt = Jwt::parse(i.credential.as_ref()?.jwt()?)?;
            Some((i.name.clone(), jwt, i.markers()))
        })
        .collect();
    let held_tokens: BTreeSet<String> =
        identities.iter().filter_map(|i| i.credential.as_ref()?.jwt().map(str::to_string)).collect();
    let mut seen: Vec<(String, String)> = Vec::new();
    for ex in ctx.client.exchanges() {
        if seen.len() >= MAX_SEEN_TOKENS {
            break;
        }
        // Only the answers: a token the scanner itself sent is not one the API handed out. Samples
        // in API descriptions and scripts (jwt.io's token in a README) are nobody's.
        if ex.auth != AuthMode::Normal
            || !ex.is_success()
            || crate::content::is_api_description(&ex)
            || crate::content::is_static_asset(&ex)
        {
            continue;
        }
        let mut text = ex.text().into_owned();
        for (name, value) in &ex.headers {
            if name != reqwest::header::SET_COOKIE && name != reqwest::header::AUTHORIZATION {
                continue;
            }
            text.push(' ');
            text.push_str(value.to_str().unwrap_or_default());
        }
        for token in find_jwts(&text).into_iter().filter(|t| !is_documentation_sample(t)) {
            if !held_tokens.contains(&token) && !seen.iter().any(|(t, _)| *t == token) && seen.len() < MAX_SEEN_TOKENS {
                seen.push((token, format!("{} {}", ex.method, ex.path())));
            }
        }
    }
    if held.is_empty() && seen.is_empty() {
        if identities.is_empty() {
            ctx.skip(check, SkipReason::NeedsIdentity, readable(ctx));
        }
        return Vec::new();
    }

    // A few readable endpoints, own-account paths first, then the riskiest; only these are planned
    // (an anonymous and a real-token GET each, mostly answered from the cache).
    let mut candidates: Vec<&Endpoint> = readable(ctx).collect();
    candidates.sort_by_key(|e| (own_account_rank(e), std::cmp::Reverse(ctx.schedule.weight(e))));
    candidates.truncate(ENDPOINT_TRIES);
    let mut endpoints: Vec<&Endpoint> = ctx.plan_costing(check, candidates, 2);
    endpoints.sort_by_key(|e| (own_account_rank(e), std::cmp::Reverse(ctx.schedule.weight(e))));
    let mut out = Vec::new();
    for (name, jwt, own_markers) in &held {
        let token = identities
            .iter()
            .find(|i| &i.name == name)
            .and_then(|i| i.credential.as_ref()?.jwt().map(str::to_string))
            .unwrap_or_default();
        let read = protected_read(ctx, &endpoints, Some(name), &token).await;
        let other = held.iter().find(|(n, other, _)| n != name && who(other) != who(jwt)).map(|(_, other, markers)| {
            let mut claims = jwt.claims.clone();
            for key in IDENTITY_CLAIMS {
                if let (Some(v), true) = (other.claims.get(key), claims.contains_key(key)) {
                    claims.insert(key.to_string(), v.clone());
                }
            }
            (claims, markers.clone())
        });
        out.push(Subject {
            identity: Some(name.clone()),
            label: format!("identity `{name}`'s token"),
            jwt: jwt.clone(),
            seen_at: None,
            read,
            other,
            own_markers: own_markers.clone(),
        });
    }
    for (token, at) in seen {
        let Some(jwt) = Jwt::parse(&token) else { continue };
        let read = protected_read(ctx, &endpoints, None, &token).await;
        let own_markers = IDENTITY_CLAIMS
            .iter()
            .filter_map(|k| jwt.claims.get(*k).and_then(Value::as_str))
            .map(|m| m.to_ascii_lowercase())
            .filter(|m| m.len() >= 3)
            .collect();
        out.push(Subject {
            identity: None,
            label: format!("a token seen in {at}"),
            jwt,
            seen_at: Some(path_of(&at)),
            read,
            other: None,
            own_markers,
        });
    }
    out
}

/// The token every JWT tutorial shows (jwt.io's: `sub` 1234567890, `name` John Doe).
fn is_documentation_sample(token: &str) -> bool {
    Jwt::parse(token).is_some_and(|jwt| {
        jwt.claims.get("sub").and_then(Value::as_str) == Some("1234567890")
            && jwt.claims.get("name").and_then(Value::as_str) == Some("John Doe")
    })
}

fn path_of(method_and_path: &str) -> String {
    method_and_path.split_once(' ').map_or(method_and_path, |(_, p)| p).to_string()
}

/// The claims that say who the caller is.
fn who(jwt: &Jwt) -> Vec<(&str, &Value)> {
    IDENTITY_CLAIMS.iter().filter_map(|k| jwt.claims.get(*k).map(|v| (*k, v))).collect()
}

/// The claims a privilege check reads, raised: what a forger asks for when it knows no other user.
fn elevated(claims: &Map<String, Value>) -> Map<String, Value> {
    let mut out = claims.clone();
    let mut changed = false;
    for (key, value) in out.iter_mut() {
        let norm = crate::survey::normalise(key);
        match (norm.as_str(), &*value) {
            ("role" | "usertype" | "group", Value::String(_)) => *value = Value::String("admin".into()),
            ("roles" | "groups", Value::Array(_)) => *value = Value::Array(vec![Value::String("admin".into())]),
            ("isadmin" | "admin" | "superuser" | "isstaff" | "staff", Value::Bool(_)) => *value = Value::Bool(true),
            ("scope" | "scopes", Value::String(s)) => *value = Value::String(format!("{s} admin")),
            _ => continue,
        }
        changed = true;
    }
    if !changed {
        out.insert("is_admin".into(), Value::Bool(true));
    }
    out
}

// ---- verdicts ----

/// What the answer to a forged token shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// The data of the identity the forged token names: a forged identity was accepted.
    OtherIdentity,
    /// The real token's data (or other real content), while anonymous callers are refused.
    Accepted,
    Refused,
}

/// What a forged token is expected to get when accepted.
#[derive(Clone, Copy)]
enum Expect<'a> {
    /// The real token's answer (same claims, only the signature or `alg` varied).
    SameCaller,
    /// Claims naming the identity with these markers: its data, or the real token's.
    Identity(&'a [String]),
    /// Raised privileges: any real content.
    Anything,
}

fn judge(ctx: &ScanContext, subject: &Subject, reference: &Exchange, ex: &Exchange, expect: Expect<'_>) -> Outcome {
    if !crate::survey::has_content(ctx, ex) {
        return Outcome::Refused;
    }
    let body = ex.text().to_ascii_lowercase();
    let names = |markers: &[String]| markers.iter().any(|m| body.contains(&format!("\"{m}\"")));
    if let Expect::Identity(markers) = expect {
        if names(markers) && !names(&subject.own_markers) {
            return Outcome::OtherIdentity;
        }
    }
    // Raised privileges may show more than the real token did, but still the caller's own record.
    let own = matches!(expect, Expect::Anything) && names(&subject.own_markers);
    if own || ex.body == reference.body || crate::survey::same_object(reference, ex) {
        return Outcome::Accepted;
    }
    // Another answer than the real token's that names nobody expected: the server acted on
    // something, but what is not proven.
    Outcome::Refused
}

impl Subject {
    /// The claims a forger would send, what to expect when they are honoured, and for whom.
    fn forged_claims(&self) -> (Map<String, Value>, Expect<'_>, &'static str) {
        match &self.other {
            Some((claims, markers)) => (claims.clone(), Expect::Identity(markers), "another identity"),
            None => (elevated(&self.jwt.claims), Expect::Anything, "raised privileges"),
        }
    }
}

fn hit(subject: &Subject, title: &str, kind: &str, severity: Severity, pii: Vec<PiiType>, evidence: String) -> Hit {
    Hit {
        title: title.into(),
        severity,
        confidence: Confidence::Confirmed,
        method: "GET".into(),
        path: subject.path(),
        kind: kind.into(),
        pii_types: pii,
        evidence,
    }
}

async fn send(ctx: &ScanContext, probe: Probe) -> Option<Arc<Exchange>> {
    ctx.client.send(probe).await.ok()
}

/// The anonymous answer on the subject's protected path (cached from [`protected_read`]).
async fn anonymous_status(ctx: &ScanContext, path: &str) -> String {
    send(ctx, Probe::get(path)).await.map_or_else(|| "no answer".into(), |ex| status(&ex))
}

// ---- the checks ----

/// The first `alg: none` casing the API accepts with the subject's claims, if any.
async fn accepted_none(ctx: &ScanContext, subject: &Subject, path: &str, reference: &Exchange) -> Option<&'static str> {
    for alg in NONE_CASINGS {
        let ex = send(ctx, subject.probe(path, subject.jwt.with_none(alg))).await?;
        if judge(ctx, subject, reference, &ex, Expect::SameCaller) != Outcome::Refused {
            return Some(alg);
        }
    }
    None
}

fn none_algorithm(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        let mut hits = Vec::new();
        for subject in subjects(ctx, &JWT_NONE_ALGORITHM).await {
            let Some((path, reference)) = &subject.read else { continue };
            if let Some(alg) = accepted_none(ctx, &subject, path, reference).await {
                let Some(ex) = send(ctx, subject.probe(path, subject.jwt.with_none(alg))).await else { continue };
                hits.push(hit(
                    &subject,
                    "JWT with `alg: none` and no signature is accepted",
                    "alg_none",
                    Severity::Critical,
                    ctx.exposed_types(&ex),
                    format!(
                        "{} ({}; claims {}) re-issued with alg `{alg}` and an empty signature: GET {path} → {} with the \
                         caller's data; without a token → {}",
                        subject.label,
                        subject.jwt.alg(),
                        subject.jwt.claim_names(),
                        status(&ex),
                        anonymous_status(ctx, path).await
                    ),
                ));
            }
        }
        hits
    })
}

fn signature_not_verified(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        let mut hits = Vec::new();
        for subject in subjects(ctx, &JWT_SIGNATURE_NOT_VERIFIED).await {
            let Some((path, reference)) = &subject.read else { continue };
            let anonymous = anonymous_status(ctx, path).await;
            let alg = subject.jwt.alg().to_string();
            let (stripped, altered) = futures::join!(
                send(ctx, subject.probe(path, subject.jwt.stripped())),
                send(ctx, subject.probe(path, subject.jwt.altered())),
            );
            let stripped_ok = stripped
                .as_ref()
                .is_some_and(|ex| judge(ctx, &subject, reference, ex, Expect::SameCaller) != Outcome::Refused);
            let altered_ok = altered
                .as_ref()
                .is_some_and(|ex| judge(ctx, &subject, reference, ex, Expect::SameCaller) != Outcome::Refused);
            if stripped_ok || altered_ok {
                let (title, what, ex) = match (stripped_ok, &stripped, &altered) {
                    (true, Some(s), _) => {
                        ("JWT signature is not verified: a token without one is accepted", "signature removed", s)
                    }
                    (_, _, Some(a)) => {
                        ("JWT signature is not verified: an altered signature is accepted", "signature altered", a)
                    }
                    _ => continue,
                };
                hits.push(hit(
                    &subject,
                    title,
                    "signature",
                    Severity::Critical,
                    ctx.exposed_types(ex),
                    format!(
                        "{} ({alg}; claims {}) with its {what}: GET {path} → {} with the caller's data; without a token → {anonymous}",
                        subject.label,
                        subject.jwt.claim_names(),
                        status(ex)
                    ),
                ));
            }
            // Claims changed under the original signature: another identity's, else raised privileges.
            let (claims, expect, whom) = subject.forged_claims();
            let changed_names: Vec<&str> =
                claims.keys().filter(|k| subject.jwt.claims.get(*k) != claims.get(*k)).map(String::as_str).collect();
            let Some(ex) = send(ctx, subject.probe(path, subject.jwt.with_claims_unsigned(&claims))).await else {
                continue;
            };
            let outcome = judge(ctx, &subject, reference, &ex, expect);
            let title = match outcome {
                Outcome::Refused => continue,
                Outcome::OtherIdentity => {
                    "Forged JWT accepted: claims changed under the original signature impersonate another user"
                }
                Outcome::Accepted => "JWT claims changed under the original signature are accepted",
            };
            hits.push(hit(
                &subject,
                title,
                "claims",
                Severity::Critical,
                ctx.exposed_types(&ex),
                format!(
                    "{} ({alg}) with claims changed for {whom} ({}) and its original signature: GET {path} → {}{}; \
                     without a token → {anonymous}",
                    subject.label,
                    changed_names.join(", "),
                    status(&ex),
                    if outcome == Outcome::OtherIdentity { " with the other identity's data" } else { " with data" },
                ),
            ));
        }
        hits
    })
}

fn weak_secret(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        let mut hits = Vec::new();
        for subject in subjects(ctx, &JWT_WEAK_SECRET).await {
            let extra = subject.jwt.derived_candidates();
            let Some(secret) = subject.jwt.crack(&extra) else { continue };
            let alg = subject.jwt.alg().to_string();
            let redacted = ctx.redact(PiiType::Secret, secret);
            let cracked = format!(
                "{} ({alg}; claims {}) verifies with a secret from the wordlist, `{redacted}` ({} characters), found offline",
                subject.label,
                subject.jwt.claim_names(),
                secret.chars().count()
            );
            // The proof that matters: a token the scanner signed for someone else is honoured.
            let confirmed = match &subject.read {
                Some((path, reference)) => {
                    let (claims, expect, whom) = subject.forged_claims();
                    match subject.jwt.signed_with(&claims, secret.as_bytes()) {
                        Some(forged) => match send(ctx, subject.probe(path, forged)).await {
                            Some(ex) => match judge(ctx, &subject, reference, &ex, expect) {
                                Outcome::Refused => None,
                                outcome => Some((ex, whom, outcome)),
                            },
                            None => None,
                        },
                        None => None,
                    }
                }
                None => None,
            };
            let (title, severity, pii, evidence) = match confirmed {
                Some((ex, whom, outcome)) => (
                    "JWT secret cracked offline: a token forged with it is accepted",
                    Severity::Critical,
                    ctx.exposed_types(&ex),
                    format!(
                        "{cracked}; a token signed with it for {whom} → GET {} {}{}",
                        subject.path(),
                        status(&ex),
                        if outcome == Outcome::OtherIdentity { " with that identity's data" } else { " with data" }
                    ),
                ),
                None => ("JWT is signed with a guessable secret", Severity::High, vec![PiiType::Secret], cracked),
            };
            hits.push(hit(&subject, title, "weak_secret", severity, pii, evidence));
        }
        hits
    })
}

fn expired_accepted(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        let mut hits = Vec::new();
        for subject in subjects(ctx, &JWT_EXPIRED_ACCEPTED).await {
            let Some((path, reference)) = &subject.read else { continue };
            let mut claims = subject.jwt.claims.clone();
            // Fixed instants (an hour-long token that ended on 2024-12-31) keep the probe identical
            // across checks and runs, so the client's cache answers repeats.
            claims.insert("iat".into(), Value::from(1_735_599_600_i64));
            claims.insert("exp".into(), Value::from(1_735_603_200_i64));
            if claims.contains_key("nbf") {
                claims.insert("nbf".into(), Value::from(1_735_599_600_i64));
            }
            // Only an honest expired token proves the expiry is ignored: one signed with the real
            // secret (cracked offline), or unsigned where the API takes `alg: none` anyway (the
            // same probes as jwt_none_algorithm's, answered from the cache).
            let extra = subject.jwt.derived_candidates();
            let (token, how) = match subject.jwt.crack(&extra) {
                Some(secret) => match subject.jwt.signed_with(&claims, secret.as_bytes()) {
                    Some(token) => (token, "re-signed with the secret cracked offline".to_string()),
                    None => continue,
                },
                None => match accepted_none(ctx, &subject, path, reference).await {
                    Some(alg) => (
                        subject.jwt.none_with_claims(alg, &claims),
                        format!("unsigned with alg `{alg}`, which the API accepts"),
                    ),
                    None => continue,
                },
            };
            let Some(ex) = send(ctx, subject.probe(path, token)).await else { continue };
            if judge(ctx, &subject, reference, &ex, Expect::SameCaller) == Outcome::Refused {
                continue;
            }
            hits.push(hit(
                &subject,
                "Expired JWT is still accepted",
                "expired",
                Severity::Medium,
                ctx.exposed_types(&ex),
                format!(
                    "{} ({}) with `exp` set to 2024-12-31 and {how}: GET {path} → {} with the caller's data; without a \
                     token → {}",
                    subject.label,
                    subject.jwt.alg(),
                    status(&ex),
                    anonymous_status(ctx, path).await
                ),
            ));
        }
        hits
    })
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;

    use super::*;
    use crate::jwt::hmac_sign;

    fn now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
    }

    fn token(header: &str, claims: &str, secret: &[u8]) -> String {
        let input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(claims));
        let alg = Jwt::parse(&format!("{input}.x")).map(|j| j.alg().to_string()).unwrap_or_default();
        let mac = hmac_sign(&alg, secret, input.as_bytes()).unwrap_or_default();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac))
    }

    #[test]
    fn matches_the_rfc_7515_hs256_example() {
        // RFC 7515 appendix A.1: the signature of the example JWS, recomputed from its key.
        let key = URL_SAFE_NO_PAD
            .decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")
            .expect("key");
        let input = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
        let mac = hmac_sign("HS256", &key, input.as_bytes()).expect("mac");
        assert_eq!(URL_SAFE_NO_PAD.encode(mac), "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    }

    #[test]
    fn cracks_wordlist_secrets_of_every_hs_size_and_nothing_else() {
        for alg in ["HS256", "HS384", "HS512"] {
            let t =
                token(&format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#), r#"{"sub":"alice","role":"user"}"#, b"changeme");
            assert_eq!(Jwt::parse(&t).expect("jwt").crack(&[]), Some("changeme"), "{alg}");
        }
        let fastapi = "09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7";
        let t = token(r#"{"alg":"HS256","typ":"JWT"}"#, r#"{"sub":"alice"}"#, fastapi.as_bytes());
        assert_eq!(Jwt::parse(&t).expect("jwt").crack(&[]), Some(fastapi), "the FastAPI tutorial's key");
        let strong = token(r#"{"alg":"HS256"}"#, r#"{"sub":"alice"}"#, b"k7Q9x2vLmP4wR8tZ1nB6cF3hJ5sD0gYe");
        assert_eq!(Jwt::parse(&strong).expect("jwt").crack(&[]), None);
        let rs = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl";
        assert_eq!(Jwt::parse(rs).expect("jwt").crack(&[]), None, "RS256 is not an HMAC");
    }

    #[test]
    fn the_issuer_name_is_a_candidate() {
        let t = token(r#"{"alg":"HS256"}"#, r#"{"sub":"7","iss":"Payrollo"}"#, b"payrollo-secret");
        let jwt = Jwt::parse(&t).expect("jwt");
        assert_eq!(jwt.crack(&jwt.derived_candidates()), Some("payrollo-secret"));
    }

    #[test]
    fn forgeries_keep_claims_and_change_what_they_say() {
        let t = token(r#"{"alg":"HS256","typ":"JWT"}"#, r#"{"sub":"alice","role":"user","exp":4102444800}"#, b"x");
        let jwt = Jwt::parse(&t).expect("jwt");
        let none = Jwt::parse(&jwt.with_none("None")).expect("none");
        assert_eq!(none.alg(), "None");
        assert_eq!(none.claims, jwt.claims);
        assert!(jwt.with_none("none").ends_with('.'));
        assert!(jwt.stripped().ends_with('.') && jwt.stripped().matches('.').count() == 2);
        let altered = jwt.altered();
        assert_ne!(altered, t);
        assert_eq!(altered.len(), t.len());
        let raised = elevated(&jwt.claims);
        assert_eq!(raised["role"], "admin");
        let resigned = Jwt::parse(&jwt.signed_with(&raised, b"x").expect("signed")).expect("jwt");
        assert_eq!(resigned.crack(&["x".to_string()]), Some("x"));
        assert!(!jwt.expired(now()));
        assert!(Jwt::parse(
            &jwt.signed_with(
                &{
                    let mut c = jwt.claims.clone();
                    c.insert("exp".into(), Value::from(1_735_603_200_i64));
                    c
                },
                b"x"
            )
            .expect("signed")
        )
        .expect("jwt")
        .expired(now()));
    }

    #[test]
    fn finds_tokens_in_answers_but_not_look_alikes() {
        let t = token(r#"{"alg":"HS256"}"#, r#"{"sub":"alice"}"#, b"k");
        let body = format!(r#"{{"access_token":"{t}","token_type":"bearer","note":"eyJ is how JSON starts"}}"#);
        assert_eq!(find_jwts(&body), vec![t.clone()]);
        assert_eq!(find_jwts(&format!("Bearer {t}; {t}")), vec![t]);
        assert!(find_jwts("eyJhbGciOi.notjson.x and eyJ.eyJ.").is_empty());
        let sample = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        assert!(is_documentation_sample(sample));
        assert_eq!(Jwt::parse(sample).expect("jwt").crack(&[]), Some("your-256-bit-secret"), "jwt.io's own secret");
    }

    #[test]
    fn forged_tokens_never_print() {
        let mode = AuthMode::Token(ForgedToken("eyJhbGciOiJub25lIn0.eyJzdWIiOiJib2IifQ.".into()));
        assert!(!format!("{mode:?}").contains("eyJ"));
    }
}
