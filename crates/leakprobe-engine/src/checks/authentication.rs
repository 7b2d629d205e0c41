//! `authentication`: what the API gives to callers without (valid) credentials, and how it
//! handles the credentials it gets. These checks need at least one `--identity`.
use futures::future::BoxFuture;
use futures::stream::{self, StreamExt};
use leakprobe_detect::PiiType;

use super::{CheckInfo, Hit, Runner, Status};
use crate::client::{status, AuthMode, Exchange, Probe};
use crate::context::ScanContext;
use crate::identity::Credential;
use crate::report::{Category, Confidence, Severity};
use crate::schedule::SkipReason;
use crate::survey::{refused, same_data, Class, Entry};

pub static UNAUTHENTICATED_ACCESS: CheckInfo = CheckInfo {
    id: "unauthenticated_access",
    category: Category::Authentication,
    status: Status::Stable,
    cwe: &[306, 287],
    summary: "Data an identity receives is also served without credentials, or with broken ones",
    docs: include_str!("../../docs/checks/unauthenticated_access.md"),
    runner: Runner::Active(unauthenticated_access),
};

pub static API_KEY_IN_QUERY: CheckInfo = CheckInfo {
    id: "api_key_in_query",
    category: Category::Authentication,
    status: Status::Stable,
    cwe: &[598],
    summary: "API keys or tokens accepted in the URL's query string",
    docs: include_str!("../../docs/checks/api_key_in_query.md"),
    runner: Runner::Active(api_key_in_query),
};

pub static CREDENTIAL_ECHO: CheckInfo = CheckInfo {
    id: "credential_echo",
    category: Category::Authentication,
    status: Status::Stable,
    cwe: &[200, 522],
    summary: "Keys, tokens or passwords echoed back in response bodies or error messages",
    docs: include_str!("../../docs/checks/credential_echo.md"),
    runner: Runner::Passive(credential_echo),
};

/// Where APIs commonly accept keys in the URL.
const QUERY_KEY_NAMES: [&str; 5] = ["api_key", "apikey", "key", "access_token", "token"];

struct Comparison {
    path: String,
    authed: std::sync::Arc<Exchange>,
    anonymous: std::sync::Arc<Exchange>,
    broken: std::sync::Arc<Exchange>,
}

fn unauthenticated_access(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        let candidates = ctx.inventory.endpoints().filter(|e| e.methods.contains("GET"));
        let Some(name) = ctx.client.primary_identity() else {
            ctx.skip(&UNAUTHENTICATED_ACCESS, SkipReason::NeedsIdentity, candidates);
            return Vec::new();
        };
        let name = name.as_str();
        // As the identity and anonymously: the survey's; with a broken credential: this check's.
        let surveyed = ctx.survey.entries.iter().map(|e| &e.endpoint);
        let granted: std::collections::BTreeSet<String> =
            ctx.plan_costing(&UNAUTHENTICATED_ACCESS, surveyed, 1).into_iter().map(|e| e.template.clone()).collect();
        let entries: Vec<&Entry> =
            ctx.survey.entries.iter().filter(|e| granted.contains(&e.endpoint.template)).collect();
        // Indices, not borrowed entries: closures over `&&Entry` trip the higher-ranked lifetime
        // inference of `Send` futures.
        let comparisons: Vec<Comparison> = stream::iter(0..entries.len())
            .map(|i| {
                let entry = entries[i];
                async move {
                    let authed = entry.view(&ctx.survey, Some(name))?;
                    // Scripts, styles and fonts are served to everybody by design: not data.
                    if authed.class != Class::Ok || crate::content::is_static_asset(&authed.exchange) {
                        return None;
                    }
                    let anonymous = entry.view(&ctx.survey, None)?;
                    let path = entry.path.clone();
                    let broken = ctx
                        .client
                        .send(Probe::get(path.clone()).as_identity(name).auth(AuthMode::BrokenCredential))
                        .await
                        .ok()?;
                    Some(Comparison {
                        path,
                        authed: authed.exchange.clone(),
                        anonymous: anonymous.exchange.clone(),
                        broken,
                    })
                }
            })
            .buffer_unordered(ctx.config.concurrency.max(1))
            .filter_map(|c| async move { c })
            .collect()
            .await;
        // An API that refuses anonymous callers somewhere means it intends to authenticate; an
        // entirely public API serving the same data to everybody is not a finding here.
        let enforced_somewhere = comparisons.iter().any(|c| refused(&c.anonymous));
        let mut hits = Vec::new();
        for c in &comparisons {
            let pii = ctx.exposed_types(&c.authed);
            let severity = if pii.is_empty() { Severity::High } else { Severity::Critical };
            let anonymous_ok = same_data(&c.authed, &c.anonymous) && !ctx.soft404.is_not_found(&c.anonymous);
            let broken_ok = same_data(&c.authed, &c.broken);
            // Each kind is frozen at the title it first shipped with: ids (and users' baselines)
            // must not move when a title is reworded.
            let (title, kind, confidence, evidence) = if anonymous_ok && refused(&c.broken) {
                (
                    "Credentials are checked only when present: no credential gets the data",
                    "Credentials are checked only when present: no credential gets the data",
                    Confidence::Confirmed,
                    format!(
                        "GET {} as {name} → {}; with a broken credential → {}; with none → {} and the same data",
                        c.path,
                        status(&c.authed),
                        status(&c.broken),
                        status(&c.anonymous)
                    ),
                )
            } else if anonymous_ok && enforced_somewhere && !pii.is_empty() {
                // Same answer for everybody is what public routes do; personal data in it is what
                // says this one was meant to be private.
                (
                    "Endpoint serves the same data without credentials",
                    "Endpoint serves the same data without credentials",
                    Confidence::High,
                    format!("GET {} as {name} → {}; without credentials → {} with the same data (other endpoints answer 401/403)", c.path, status(&c.authed), status(&c.anonymous)),
                )
            } else if refused(&c.anonymous) && broken_ok {
                (
                    "Invalid credentials are accepted",
                    "Invalid credentials are accepted",
                    Confidence::Confirmed,
                    format!(
                        "GET {} without credentials → {}; with a broken credential → {} and the data",
                        c.path,
                        status(&c.anonymous),
                        status(&c.broken)
                    ),
                )
            } else {
                continue;
            };
            hits.push(Hit {
                title: title.into(),
                severity,
                confidence,
                method: "GET".into(),
                path: c.path.clone(),
                kind: kind.into(),
                pii_types: pii,
                evidence,
            });
        }
        hits
    })
}

/// A path the identity can read and nobody else can: where accepted credentials show.
async fn protected_path(ctx: &ScanContext, identity: &str) -> Option<(String, std::sync::Arc<Exchange>)> {
    for endpoint in
        ctx.plan_costing(&API_KEY_IN_QUERY, ctx.inventory.endpoints().filter(|e| e.methods.contains("GET")), 2)
    {
        let path = endpoint.sample_path();
        let Ok(anonymous) = ctx.client.send(Probe::get(path.clone())).await else { continue };
        if !refused(&anonymous) {
            continue;
        }
        let Ok(authed) = ctx.client.send(Probe::get(path.clone()).as_identity(identity)).await else { continue };
        if authed.is_success() {
            return Some((path, authed));
        }
    }
    None
}

fn api_key_in_query(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        let mut hits = Vec::new();
        if ctx.client.identities().is_empty() {
            let candidates = ctx.inventory.endpoints().filter(|e| e.methods.contains("GET"));
            ctx.skip(&API_KEY_IN_QUERY, SkipReason::NeedsIdentity, candidates);
        }
        for identity in ctx.client.identities() {
            let Some(credential) = &identity.credential else { continue };
            let Some((path, authed)) = protected_path(ctx, &identity.name).await else { continue };
            let accepted_param = match credential {
                Credential::Query { name, .. } => Some(name.clone()),
                Credential::Header { .. } | Credential::Bearer(_) => {
                    let mut found = None;
                    for param in QUERY_KEY_NAMES {
                        let probe = Probe::get(path.clone())
                            .as_identity(&identity.name)
                            .auth(AuthMode::CredentialInQuery(param.into()));
                        if let Ok(ex) = ctx.client.send(probe).await {
                            if same_data(&authed, &ex) {
                                found = Some(param.to_string());
                                break;
                            }
                        }
                    }
                    found
                }
                _ => None,
            };
            if let Some(param) = accepted_param {
                hits.push(Hit {
                    title: format!("API key accepted in the query string (`{param}=`)"),
                    severity: Severity::Medium,
                    confidence: Confidence::Confirmed,
                    method: "GET".into(),
                    path: path.clone(),
                    kind: "api_key_in_query".into(),
                    pii_types: vec![PiiType::ApiKey],
                    evidence: format!(
                        "GET {path}?{param}=*** → {} with the data; without it → 401/403",
                        status(&authed)
                    ),
                });
            }
        }
        hits
    })
}

fn credential_echo(ex: &Exchange, ctx: &ScanContext, hits: &mut Vec<Hit>) {
    let Some(name) = &ex.identity else { return };
    let identities = ctx.client.identities();
    let Some(identity) = identities.iter().find(|i| &i.name == name) else { return };
    let text = ex.text();
    let echoed = identity.secrets().into_iter().any(|secret| text.contains(secret.as_str()));
    if echoed {
        let kind = identity.credential.as_ref().map_or("signing", Credential::kind);
        hits.push(Hit {
            title: "Response echoes the caller's credential".into(),
            severity: Severity::High,
            confidence: Confidence::Confirmed,
            method: ex.method.to_string(),
            path: ex.path().to_string(),
            kind: "secret".into(),
            pii_types: vec![PiiType::Secret],
            evidence: format!(
                "the {kind} credential of identity `{name}` appears in the body of {} {} → {}",
                ex.method,
                ex.path(),
                status(ex)
            ),
        });
    }
}
