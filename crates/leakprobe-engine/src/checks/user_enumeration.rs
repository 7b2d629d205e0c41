//! `authentication`: login, password reset and registration answering differently for an account
//! that exists and one that does not — status, body or headers, never timing.
//!
//! These are well-formed POSTs: only with `--active`. Bounded so no account can lock: one attempt
//! per known account per endpoint, with a wrong password. Two unknown names are asked too; only
//! when both get the same answer and the known account another is the difference the account's
//! existence (a control against answers that vary anyway: request ids, timestamps, CSRF tokens).
use std::collections::BTreeMap;
use std::sync::Arc;

use futures::future::BoxFuture;
use reqwest::Method;
use serde_json::Value;

use super::{CheckInfo, Hit, Runner, Status};
use crate::client::{status, Exchange, Probe};
use crate::context::ScanContext;
use crate::identity::{Credential, Identity};
use crate::inventory::Endpoint;
use crate::report::{Category, Confidence, Severity};
use crate::requests::{Knowledge, Slot, WellFormed};
use crate::schedule::SkipReason;

pub static USER_ENUMERATION: CheckInfo = CheckInfo {
    id: "user_enumeration",
    category: Category::Authentication,
    status: Status::Preview,
    cwe: &[204, 203],
    summary: "Login, password reset or registration tells existing accounts from unknown ones",
    docs: include_str!("../../docs/checks/user_enumeration.md"),
    runner: Runner::Active(user_enumeration),
};

/// Known accounts tried per endpoint (each once): never enough to lock one.
const MAX_KNOWN: usize = 2;
/// The password sent with a known account: wrong for every real one.
const WRONG_PASSWORD: &str = "Lp-wrong-9d4e1b!Z";
/// The two unknown accounts (the control pair).
const UNKNOWN: [&str; 2] = ["lp-nobody-5c1e9a7f", "lp-nobody-2b8d4e06"];
const UNKNOWN_DOMAIN: &str = "example.com";
/// Answer text shown in evidence, per answer.
const EVIDENCE_CHARS: usize = 70;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Login,
    Reset,
    Register,
}

impl Flow {
    fn as_str(self) -> &'static str {
        match self {
            Flow::Login => "login",
            Flow::Reset => "password reset",
            Flow::Register => "registration",
        }
    }

    fn of(template: &str) -> Option<Flow> {
        let words = crate::words::path_words(template);
        let has = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
        if has(&["reset", "forgot", "recover", "recovery"]) {
            Some(Flow::Reset)
        } else if has(&["register", "registration", "signup", "join"]) {
            Some(Flow::Register)
        } else if has(&["login", "logon", "signin", "authenticate", "token", "session", "sessions"]) {
            Some(Flow::Login)
        } else {
            None
        }
    }
}

/// An account the scan knows exists: the identity's user name and e-mail.
#[derive(Debug, Clone)]
struct Known {
    identity: String,
    username: Option<String>,
    email: Option<String>,
    /// The identity's own login flow (URL and body), when it has one.
    login: Option<(String, Value)>,
}

fn known_accounts(identities: &[Identity]) -> Vec<Known> {
    identities
        .iter()
        .map(|i| {
            let body = i.login.as_ref().map(|l| &l.body);
            let field = |keys: &[&str]| {
                keys.iter().find_map(|k| body.and_then(|b| b.get(*k)).and_then(Value::as_str).map(str::to_string))
            };
            let basic = match &i.credential {
                Some(Credential::Basic { user, .. }) => Some(user.clone()),
                _ => None,
            };
            let claims = i.credential.as_ref().and_then(Credential::jwt).and_then(crate::jwt::Jwt::parse);
            let claim = |keys: &[&str]| {
                claims.as_ref().and_then(|c| keys.iter().find_map(|k| c.claims.get(*k)?.as_str().map(str::to_string)))
            };
            let username = basic
                .or_else(|| field(&["username", "user", "login", "name"]))
                .or_else(|| claim(&["username", "preferred_username"]))
                .or_else(|| claim(&["sub"]).filter(|s| !s.chars().all(|c| c.is_ascii_digit())))
                .filter(|u| !u.contains('@'))
                .or_else(|| Some(i.name.clone()));
            let email = field(&["email", "mail"])
                .or_else(|| claim(&["email"]))
                .or_else(|| field(&["username", "login"]).filter(|u| u.contains('@')));
            Known {
                identity: i.name.clone(),
                username,
                email,
                login: i.login.as_ref().map(|l| (l.url.clone(), l.body.clone())),
            }
        })
        .collect()
}

fn is_password_key(key: &str) -> bool {
    let k = crate::survey::normalise(key);
    k.contains("pass") || k.contains("pwd") || k == "pin" || k == "secret"
}

fn is_account_key(key: &str) -> bool {
    let k = crate::survey::normalise(key);
    ["user", "email", "mail", "login", "account", "name", "phone", "identifier"].iter().any(|w| k.contains(w))
}

/// The requests to compare on one endpoint: per known account, and the two unknown ones. Each is
/// the same well-formed request with only the account value (and a wrong password) changed.
struct Plan {
    flow: Flow,
    path: String,
    known: Vec<(String, String, Probe)>,
    unknown: Vec<(String, Probe)>,
}

fn unknown_like(value: &str, n: usize) -> String {
    if value.contains('@') {
        format!("{}@{UNKNOWN_DOMAIN}", UNKNOWN[n])
    } else {
        UNKNOWN[n].to_string()
    }
}

/// From the identity's own login body: its account field kept (known) or replaced (unknown).
fn from_login_body(url: &str, body: &Value, account: Option<&str>) -> Option<(String, Probe)> {
    let mut body = body.clone();
    let map = body.as_object_mut()?;
    let key = map.keys().find(|k| is_account_key(k) && !is_password_key(k))?.clone();
    let original = map.get(&key)?.as_str()?.to_string();
    for (k, v) in map.iter_mut() {
        if is_password_key(k) && v.is_string() {
            *v = Value::String(WRONG_PASSWORD.into());
        }
    }
    let value = account.map_or(original.clone(), str::to_string);
    map.insert(key, Value::String(value.clone()));
    Some((value, Probe::new(Method::POST, url).body("application/json", body.to_string())))
}

/// From the endpoint's well-formed request, filled with `known`'s name and e-mail: the slot
/// holding one of them carries the account.
fn from_request(request: &WellFormed, known: &Known) -> Option<(Slot, String)> {
    let values: Vec<&String> = known.email.iter().chain(known.username.iter()).collect();
    request.slots().into_iter().find_map(|slot| {
        let v = request.value(&slot)?;
        values.iter().any(|k| **k == v).then_some((slot, v))
    })
}

fn with_wrong_password(request: &WellFormed) -> WellFormed {
    let mut out = request.clone();
    for slot in request.slots() {
        if is_password_key(&slot.name()) {
            out = out.with(&slot, WRONG_PASSWORD);
        }
    }
    out
}

fn plan(ctx: &ScanContext, endpoint: &Endpoint, flow: Flow, accounts: &[Known]) -> Option<Plan> {
    let path = endpoint.sample_path();
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for account in accounts.iter().take(MAX_KNOWN) {
        // The identity's own login flow, as configured, where this is its login endpoint.
        if let Some((url, body)) =
            account.login.as_ref().filter(|(url, _)| ctx.inventory.template_of(url) == endpoint.template)
        {
            let Some((value, probe)) = from_login_body(url, body, None) else { continue };
            if unknown.is_empty() {
                for n in 0..UNKNOWN.len() {
                    unknown.extend(from_login_body(url, body, Some(&unknown_like(&value, n))));
                }
            }
            known.push((account.identity.clone(), value, probe));
            continue;
        }
        let knowledge =
            Knowledge { username: account.username.clone(), email: account.email.clone(), seen: BTreeMap::new() };
        let request =
            crate::exercise::requests_for(ctx, endpoint, &knowledge).into_iter().find(|r| r.method == Method::POST)?;
        let request = with_wrong_password(&request);
        let Some((slot, value)) = from_request(&request, account) else { continue };
        if unknown.is_empty() {
            unknown = (0..UNKNOWN.len())
                .map(|n| {
                    let v = unknown_like(&value, n);
                    (v.clone(), request.with(&slot, &v).probe())
                })
                .collect();
        }
        known.push((account.identity.clone(), value, request.probe()));
    }
    (!known.is_empty() && unknown.len() == UNKNOWN.len()).then_some(Plan { flow, path, known, unknown })
}

/// What the answer says, with the account values sent and digits (ids, timestamps) blanked.
fn shape(ex: &Exchange, sent: &[&str]) -> (Option<u16>, String, Vec<String>) {
    let mut body = ex.text().to_ascii_lowercase();
    for value in sent {
        body = body.replace(&value.to_ascii_lowercase(), "<account>");
    }
    let mut digitless = String::with_capacity(body.len());
    for c in body.chars() {
        if c.is_ascii_digit() {
            if !digitless.ends_with('0') {
                digitless.push('0');
            }
        } else {
            digitless.push(c);
        }
    }
    let mut headers: Vec<String> =
        ["location", "www-authenticate"].iter().filter_map(|h| ex.header(h).map(|v| format!("{h}: {v}"))).collect();
    headers.extend(
        ex.header_all("set-cookie")
            .filter_map(|c| c.split('=').next())
            .map(|name| format!("set-cookie: {}", name.trim())),
    );
    headers.sort();
    (ex.status, digitless, headers)
}

fn snippet(ctx: &ScanContext, ex: &Exchange, sent: &[&str]) -> String {
    let mut text = ex.text().split_whitespace().collect::<Vec<_>>().join(" ");
    for value in sent {
        text = text.replace(value, "<account>");
    }
    // Whatever personal data an error message holds stays masked.
    for m in ctx.exposed(ex) {
        text = text.replace(&m.value, &ctx.redact(m.kind, &m.value));
    }
    let cut: String = text.chars().take(EVIDENCE_CHARS).collect();
    if cut.len() < text.len() {
        format!("{} {cut}…", status(ex))
    } else {
        format!("{} {cut}", status(ex))
    }
}

/// No answer, or a throttled one: a limit reached by earlier requests says nothing about accounts.
fn inconclusive(ex: &Exchange) -> bool {
    matches!(ex.status, None | Some(429 | 503))
}

fn user_enumeration(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        let candidates: Vec<(&Endpoint, Flow)> = ctx
            .inventory
            .endpoints()
            .filter(|e| e.methods.contains("POST"))
            .filter_map(|e| Flow::of(&e.template).map(|f| (e, f)))
            .collect();
        if !ctx.config.active {
            ctx.skip(&USER_ENUMERATION, SkipReason::NeedsActive, candidates.iter().map(|(e, _)| *e));
            return Vec::new();
        }
        let accounts = known_accounts(&ctx.client.identities());
        if accounts.is_empty() {
            ctx.skip(&USER_ENUMERATION, SkipReason::NeedsIdentity, candidates.iter().map(|(e, _)| *e));
            return Vec::new();
        }
        let per_endpoint = accounts.len().min(MAX_KNOWN) + UNKNOWN.len();
        let granted = ctx.plan_costing(&USER_ENUMERATION, candidates.iter().map(|(e, _)| *e), per_endpoint);
        let mut hits = Vec::new();
        for (endpoint, flow) in candidates.iter().filter(|(e, _)| granted.iter().any(|g| g.template == e.template)) {
            let Some(plan) = plan(ctx, endpoint, *flow, &accounts) else { continue };
            let mut answers: Vec<Arc<Exchange>> = Vec::new();
            for (_, probe) in &plan.unknown {
                let Ok(ex) = ctx.client.send(probe.clone()).await else { break };
                answers.push(ex);
            }
            if answers.len() != UNKNOWN.len() || answers.iter().any(|a| inconclusive(a)) {
                continue;
            }
            let unknown_sent: Vec<&str> = plan.unknown.iter().map(|(v, _)| v.as_str()).collect();
            let control = shape(&answers[0], &unknown_sent);
            if control != shape(&answers[1], &unknown_sent) {
                // The answer varies by itself: nothing can be told from a difference.
                continue;
            }
            for (identity, value, probe) in &plan.known {
                let Ok(ex) = ctx.client.send(probe.clone()).await else { continue };
                if inconclusive(&ex) {
                    continue;
                }
                let sent = [value.as_str()];
                let known_shape = shape(&ex, &sent);
                if known_shape == control {
                    continue;
                }
                let what = if known_shape.0 != control.0 {
                    "status"
                } else if known_shape.1 != control.1 {
                    "body"
                } else {
                    "headers"
                };
                let title = format!("The {} answer tells existing accounts from unknown ones", plan.flow.as_str());
                let password = if plan.flow == Flow::Login { " with a wrong password" } else { "" };
                hits.push(Hit {
                    title,
                    severity: Severity::Medium,
                    confidence: Confidence::Confirmed,
                    method: "POST".into(),
                    path: plan.path.clone(),
                    kind: plan.flow.as_str().into(),
                    pii_types: Vec::new(),
                    evidence: format!(
                        "POST {}{password}: identity `{identity}`'s account → {}; two unknown accounts → {} (the {what} \
                         differs)",
                        plan.path,
                        snippet(ctx, &ex, &sent),
                        snippet(ctx, &answers[0], &unknown_sent),
                    ),
                });
                break;
            }
        }
        hits
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flows_are_named_by_whole_words() {
        assert_eq!(Flow::of("/api/auth/login"), Some(Flow::Login));
        assert_eq!(Flow::of("/api/v1/password-reset"), Some(Flow::Reset));
        assert_eq!(Flow::of("/users/forgot_password"), Some(Flow::Reset));
        assert_eq!(Flow::of("/api/signup"), Some(Flow::Register));
        assert_eq!(Flow::of("/api/presets"), None, "`preset` is not `reset`");
        assert_eq!(Flow::of("/api/orders"), None);
    }

    #[test]
    fn the_login_body_keeps_its_shape_with_a_wrong_password() {
        let body = serde_json::json!({"username": "alice", "password": "real-one", "remember": true});
        let (value, probe) = from_login_body("/login", &body, None).expect("known");
        assert_eq!(value, "alice");
        let sent: Value = serde_json::from_slice(probe.body.as_deref().expect("body")).expect("json");
        assert_eq!(sent["password"], WRONG_PASSWORD);
        assert_eq!(sent["remember"], true);
        let (other, _) = from_login_body("/login", &body, Some(&unknown_like("alice", 0))).expect("unknown");
        assert_eq!(other, UNKNOWN[0]);
        assert_eq!(unknown_like("alice@corp.example", 1), format!("{}@{UNKNOWN_DOMAIN}", UNKNOWN[1]));
    }

    #[test]
    fn answers_compare_without_the_account_or_the_numbers_in_them() {
        let a = Exchange::for_test("/login", Some(401), r#"{"detail":"no user lp-nobody-5c1e9a7f","request":812}"#);
        let b = Exchange::for_test("/login", Some(401), r#"{"detail":"no user lp-nobody-2b8d4e06","request":90}"#);
        assert_eq!(shape(&a, &UNKNOWN), shape(&b, &UNKNOWN));
        let known = Exchange::for_test("/login", Some(401), r#"{"detail":"wrong password","request":7}"#);
        assert_ne!(shape(&known, &["alice"]), shape(&a, &UNKNOWN));
    }
}
