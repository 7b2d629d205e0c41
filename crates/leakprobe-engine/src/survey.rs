//! The survey: every readable endpoint fetched once anonymously and once as each identity, before
//! the checks run, and what the answers say decided here once.
//!
//! Per endpoint and caller the survey keeps the answer's [`Class`] (ok / refused / not found /
//! error), its shape (the JSON keys), the personal data exposed in it and the identifiers it names.
//! Per identity it learns what is its own ([`Own`]): the values that identify it (JWT claims, login
//! name, `/me`-like answers only it receives, business keys such as account numbers, in JSON and
//! in HTML tables), the ids and links of its objects, and the ids of objects that public lists name
//! it as the owner of. The authorization checks ask this model questions and send only the probes
//! they alone need; the client's cache makes their repeats of survey requests free.
//!
//! The helpers every check uses, one definition each: [`answers`] (content, the same object,
//! identifying values, ownership markers) and [`slots`] (where an id travels: path segments and
//! query parameters).
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, LazyLock};

use futures::stream::{self, StreamExt};
use leakprobe_detect::PiiType;
use serde_json::Value;

use crate::checks::{CheckInfo, Runner, Status};
use crate::client::{Exchange, Probe};
use crate::context::ScanContext;
use crate::discovery::{data_lines, links};
use crate::identity::{Credential, Identity};
use crate::inventory::Endpoint;
use crate::report::Category;

mod answers;
mod slots;

pub use answers::*;
pub use slots::*;

/// The phase's entry for [`ScanContext::plan`]: not a check, but it spends requests the scheduler
/// accounts for.
pub static SURVEY: CheckInfo = CheckInfo {
    id: "survey",
    category: Category::Bola,
    status: Status::Preview,
    cwe: &[],
    summary: "Reads every GET endpoint once anonymously and as each identity; the checks read the result",
    docs: "## What it finds\n\nNothing by itself: the authorization checks read what it saw.\n",
    runner: Runner::Passive(|_, _, _| {}),
};

/// The checks that read the survey; when none of them runs (`--checks cors`), neither does it.
const READERS: [&str; 14] = [
    "bola_cross_identity",
    "bola_cross_identity_write",
    "bola_id_enumeration",
    "admin_function_exposed",
    "method_tampering",
    "unauthenticated_access",
    "signature_not_enforced",
    "signature_partial_coverage",
    "signature_replay",
    "unsigned_legacy_route",
    "missing_rate_limit",
    "declared_security_not_enforced",
    "deprecated_operation_active",
    "unlinked_operation_reachable",
];

/// Identities surveyed; more only multiply requests without finding more kinds of object.
pub const MAX_IDENTITIES: usize = 4;
/// Id values kept per identity (its own responses, then lists that name it as owner).
const MAX_IDS: usize = 12;
/// List items read per body when looking for owners.
const MAX_ITEMS: usize = 50;

const IDENTIFIER_KEYS: &str = include_str!("../data/identifier-keys.txt");

struct Keys {
    identifying: Vec<&'static str>,
    business: Vec<&'static str>,
    owner: Vec<&'static str>,
    people: Vec<&'static str>,
    personal: Vec<&'static str>,
    wrappers: Vec<&'static str>,
    query: Vec<&'static str>,
    denial: Vec<&'static str>,
    claims: Vec<&'static str>,
}

static KEYS: LazyLock<Keys> = LazyLock::new(|| {
    let group = |name: &str| -> Vec<&'static str> {
        data_lines(IDENTIFIER_KEYS)
            .filter_map(|l| l.split_once(':'))
            .filter(|(g, _)| g.trim() == name)
            .flat_map(|(_, words)| {
                if name == "denial" {
                    words.split('|').map(str::trim).collect::<Vec<_>>()
                } else {
                    words.split_whitespace().collect()
                }
            })
            .collect()
    };
    Keys {
        identifying: group("identifying"),
        business: group("business"),
        owner: group("owner"),
        people: group("people"),
        personal: group("personal"),
        wrappers: group("wrappers"),
        query: group("query"),
        denial: group("denial"),
        claims: group("claims"),
    }
});

// ---- the model ----

/// What an answer was, decided in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// A 2xx that is neither the soft-404 nor a refusal.
    Ok,
    /// 401/403, or a 2xx that refuses (a login form, "forbidden").
    Refused,
    /// 404/410, or the target's soft-404.
    NotFound,
    /// No answer, a 5xx, or another status.
    Error,
}

/// One endpoint's answer to one caller.
#[derive(Debug, Clone)]
pub struct View {
    pub exchange: Arc<Exchange>,
    pub class: Class,
    /// [`has_content`]: a 2xx with something in it.
    pub content: bool,
    /// The keys of the (first) JSON object: the body's shape.
    pub keys: BTreeSet<String>,
    pub pii: Vec<PiiType>,
    /// `(normalised key, value)` of the identifiers it names (JSON and HTML).
    pub ids: Vec<(String, String)>,
}

/// One readable endpoint as every caller sees it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub endpoint: Endpoint,
    pub path: String,
    pub anonymous: Option<View>,
    /// One per [`Survey::identities`], in that order.
    pub identities: Vec<Option<View>>,
}

impl Entry {
    /// The view of `caller` (by identity name; `None` is anonymous).
    pub fn view(&self, survey: &Survey, caller: Option<&str>) -> Option<&View> {
        match caller {
            None => self.anonymous.as_ref(),
            Some(name) => {
                let i = survey.identities.iter().position(|x| x.name == name)?;
                self.identities.get(i).and_then(Option::as_ref)
            }
        }
    }
}

/// What one identity receives that nobody else does.
#[derive(Debug, Default, Clone)]
pub struct Own {
    /// Values that identify it (lower case): claims, login name, e-mail, its own ids.
    pub values: BTreeSet<String>,
    /// `(normalised key, value)` of its objects' ids, most telling first.
    pub ids: Vec<(String, String)>,
    /// Templated paths found in its own answers.
    pub links: Vec<String>,
}

#[derive(Debug, Default)]
pub struct Survey {
    /// The identities surveyed (at most [`MAX_IDENTITIES`]; an admin among them when there is one).
    pub identities: Vec<Identity>,
    pub entries: Vec<Entry>,
    pub own: BTreeMap<String, Own>,
}

impl Survey {
    pub fn entry(&self, template: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.endpoint.template == template)
    }

    /// What the identity owns (empty for one that was not surveyed).
    pub fn own_of(&self, name: &str) -> Own {
        self.own.get(name).cloned().unwrap_or_default()
    }
}

/// The identities to survey: all of them up to [`MAX_IDENTITIES`], keeping the first admin.
fn surveyed(ctx: &ScanContext) -> Vec<Identity> {
    let all = ctx.client.identities();
    if all.len() <= MAX_IDENTITIES {
        return all;
    }
    let admin = all.iter().find(|i| i.is_admin()).cloned();
    let mut chosen: Vec<Identity> =
        all.into_iter().filter(|i| !i.is_admin()).take(MAX_IDENTITIES - usize::from(admin.is_some())).collect();
    chosen.extend(admin);
    chosen
}

/// Runs the survey. GETs only, never to a path that names a state change.
pub async fn run(ctx: &ScanContext) -> Survey {
    if !READERS.iter().any(|id| ctx.config.runs(id)) {
        return Survey::default();
    }
    let identities = surveyed(ctx);
    let readable = ctx
        .inventory
        .endpoints()
        .filter(|e| e.methods.contains("GET") && !crate::words::names_state_change(&e.sample_path()));
    // Discovery fetched each sample as the primary identity (anonymously when there is none):
    // that one is free, the anonymous one is new when there are identities. On a large API
    // discovery read only its share of the samples: the others cost one request more.
    let read = crate::schedule::read_templates(ctx);
    let (fetched, unread): (Vec<&Endpoint>, Vec<&Endpoint>) = readable.partition(|e| read.contains(&e.template));
    let mut endpoints: Vec<Endpoint> =
        ctx.plan_costing(&SURVEY, fetched, identities.len()).into_iter().cloned().collect();
    endpoints.extend(ctx.plan_costing(&SURVEY, unread, identities.len() + 1).into_iter().cloned());
    let ids = &identities;
    let mut entries: Vec<Entry> = stream::iter(endpoints)
        .map(|endpoint| async move {
            let path = endpoint.sample_path();
            let anonymous = ctx.client.send(Probe::get(path.clone())).await.ok().map(|ex| view(ctx, ex));
            let mut each = Vec::with_capacity(ids.len());
            for identity in ids {
                let ex = ctx.client.send(Probe::get(path.clone()).as_identity(&identity.name)).await.ok();
                each.push(ex.map(|ex| view(ctx, ex)));
            }
            Entry { endpoint, path, anonymous, identities: each }
        })
        .buffer_unordered(ctx.config.concurrency.max(1))
        .collect()
        .await;
    entries.sort_by(|a, b| a.endpoint.template.cmp(&b.endpoint.template));
    let mut survey = Survey { identities, entries, own: BTreeMap::new() };
    survey.own = ownership(ctx, &survey);
    survey
}

fn view(ctx: &ScanContext, exchange: Arc<Exchange>) -> View {
    let class = classify(ctx, &exchange);
    let content = has_content(ctx, &exchange);
    let (keys, ids) = if content { (shape(&exchange), identifiers(&exchange)) } else { Default::default() };
    let pii = if content { ctx.exposed_types(&exchange) } else { Vec::new() };
    View { exchange, class, content, keys, pii, ids }
}

/// The one place where an answer's status class is decided.
pub fn classify(ctx: &ScanContext, ex: &Exchange) -> Class {
    match ex.status {
        Some(401 | 403) => Class::Refused,
        Some(404 | 410) => Class::NotFound,
        Some(200..=299) if ctx.soft404.is_not_found(ex) => Class::NotFound,
        Some(200..=299) if denial(ex) => Class::Refused,
        Some(200..=299) => Class::Ok,
        _ => Class::Error,
    }
}

/// The server said no by status: 401 or 403.
pub fn refused(ex: &Exchange) -> bool {
    matches!(ex.status, Some(401 | 403))
}

/// Any 4xx: some verifiers answer 400 or hide the route (404) instead of 401/403.
pub fn rejected(ex: &Exchange) -> bool {
    matches!(ex.status, Some(400..=499))
}

/// A 2xx whose body is a refusal ("forbidden", a login form).
pub fn denial(ex: &Exchange) -> bool {
    let text = ex.text().to_ascii_lowercase();
    login_form(&text) || (ex.body.len() < 400 && KEYS.denial.iter().any(|w| text.contains(w)))
}

/// Enough in the body to be a function's result, not a health ping (`{"status": "ok"}`).
pub fn substantive(ex: &Exchange) -> bool {
    match json_body(ex) {
        Some(json) => count_leaves(&json, 0) >= 2,
        None if ex.is_html() => ex.body.len() > 256,
        None => ex.text().lines().filter(|l| !l.trim().is_empty()).count() >= 2,
    }
}

/// Scalar leaves of a JSON value (the first 50 items of each list).
pub fn count_leaves(value: &Value, depth: usize) -> usize {
    if depth > 8 {
        return 0;
    }
    match value {
        Value::Object(map) => map.values().map(|v| count_leaves(v, depth + 1)).sum(),
        Value::Array(items) => items.iter().take(50).map(|v| count_leaves(v, depth + 1)).sum(),
        Value::Null => 0,
        _ => 1,
    }
}

fn login_form(lower_text: &str) -> bool {
    lower_text.contains("<form") && lower_text.contains("type=\"password\"")
}

/// The keys of the body's (first) object.
fn shape(ex: &Exchange) -> BTreeSet<String> {
    let Some(json) = json_body(ex) else { return BTreeSet::new() };
    let first = match unwrap(&json) {
        Value::Array(items) => items.first().cloned().unwrap_or_default(),
        other => other.clone(),
    };
    first.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
}

/// The identifiers an answer names: top-level identifying values, ids and business keys anywhere
/// (shallow first), and the labelled identifiers of an HTML page.
fn identifiers(ex: &Exchange) -> Vec<(String, String)> {
    let mut out = Vec::new();
    match json_body(ex) {
        Some(json) => {
            out.extend(identifying_values(unwrap(&json)));
            nested_ids(&json, 0, &mut out);
        }
        None if ex.is_html() => out.extend(html_identifying(&ex.text())),
        None => {}
    }
    let mut seen = BTreeSet::new();
    out.retain(|pair| seen.insert(pair.clone()));
    out
}

// ---- ownership ----

/// What each identity owns: its credential's claims and login name, what only it receives, and
/// the objects public lists name it the owner of.
fn ownership(ctx: &ScanContext, survey: &Survey) -> BTreeMap<String, Own> {
    let n = survey.identities.len();
    let mut own: BTreeMap<String, Own> = BTreeMap::new();
    for identity in &survey.identities {
        let entry = own.entry(identity.name.clone()).or_default();
        entry.values.extend(identity.markers());
        for (key, value) in token_claims(identity) {
            entry.values.insert(value.to_ascii_lowercase());
            if id_shaped(&value) && matches!(key.as_str(), "sub" | "userid" | "uid") {
                push_id(entry, "userid", &value);
            }
        }
        // The login answer names whose login it was (`{"token": …, "member": {"member_number": …}}`):
        // with an opaque token, often the only place an identity learns its own id.
        for (key, value) in ctx.client.login_identifiers(&identity.name) {
            entry.values.insert(value.to_ascii_lowercase());
            if id_shaped(&value) {
                push_id(entry, &key, &value);
            }
        }
    }
    // Answers only this identity receives, from endpoints that take no id (`/me`, `/accounts`).
    for e in survey.entries.iter().filter(|e| slots(&e.endpoint).is_empty()) {
        for (i, identity) in survey.identities.iter().enumerate() {
            let Some(mine) = e.identities[i].as_ref().filter(|v| v.content) else { continue };
            let same_as = |other: Option<&View>| {
                other.is_some_and(|o| o.exchange.is_success() && o.exchange.body == mine.exchange.body)
            };
            let others_differ = (0..n).filter(|j| *j != i).any(|j| !same_as(e.identities[j].as_ref()));
            if same_as(e.anonymous.as_ref()) || (n > 1 && !others_differ) {
                continue;
            }
            let entry = own.get_mut(&identity.name).expect("every identity has an entry");
            collect_own(ctx, mine, entry);
        }
    }
    // Lists (public or not) whose items name their owner: the items' ids are the owner's.
    let values: Vec<(String, BTreeSet<String>)> = own.iter().map(|(k, v)| (k.clone(), v.values.clone())).collect();
    for e in &survey.entries {
        let views = e.anonymous.iter().chain(e.identities.iter().flatten());
        let mut named: Vec<(String, String, String)> = Vec::new();
        for v in views.filter(|v| v.content) {
            let Some(json) = json_body(&v.exchange) else { continue };
            owned_items(&json, 0, &mut |owner, key, id| {
                let holders: Vec<&String> = values
                    .iter()
                    .filter(|(_, vals)| vals.contains(&owner.to_ascii_lowercase()))
                    .map(|(k, _)| k)
                    .collect();
                if let [only] = holders.as_slice() {
                    named.push(((*only).clone(), key, id));
                }
            });
        }
        for (name, key, id) in named {
            if let Some(entry) = own.get_mut(&name) {
                push_id(entry, &key, &id);
            }
        }
    }
    own
}

fn push_id(own: &mut Own, key: &str, value: &str) {
    if own.ids.len() < MAX_IDS && !own.ids.iter().any(|(k, v)| k == key && v == value) {
        own.ids.push((key.to_string(), value.to_string()));
    }
}

fn collect_own(ctx: &ScanContext, view: &View, own: &mut Own) {
    for link in links::from_body(&view.exchange, ctx.client.base()) {
        let path = link.split('?').next().unwrap_or(&link).to_string();
        if ctx.inventory.template_of(&path).contains('{') && !own.links.contains(&path) {
            own.links.push(path);
        }
    }
    for (key, value) in &view.ids {
        if key != "id" || is_top_level(view, key, value) {
            own.values.insert(value.to_ascii_lowercase());
        }
        if id_shaped(value) {
            push_id(own, key, value);
        }
    }
}

/// The pair is one of the body's top-level identifying values (the caller's own record's id).
fn is_top_level(view: &View, key: &str, value: &str) -> bool {
    json_body(&view.exchange)
        .is_some_and(|json| identifying_values(unwrap(&json)).iter().any(|(k, v)| k == key && v == value))
}

/// Calls `found(owner, id key, id)` for every list item that names its owner (`author`, `owner`,
/// `user_id`…) next to its own id or business key.
fn owned_items(value: &Value, depth: usize, found: &mut dyn FnMut(String, String, String)) {
    if depth > 3 {
        return;
    }
    match value {
        Value::Array(items) => {
            for item in items.iter().take(MAX_ITEMS) {
                if let Value::Object(map) = item {
                    let owner = map.iter().find_map(|(k, v)| {
                        let k = normalise(k);
                        if !KEYS.owner.contains(&k.as_str()) {
                            return None;
                        }
                        match v {
                            Value::Object(inner) => identifying_values(&Value::Object(inner.clone()))
                                .into_iter()
                                .find(|(ik, _)| ik == "username" || ik == "login" || ik == "email")
                                .map(|(_, v)| v),
                            other => scalar(other),
                        }
                    });
                    if let Some(owner) = owner {
                        for (k, v) in map {
                            let k = normalise(k);
                            let is_id = k == "id" || k == "uuid" || KEYS.business.contains(&k.as_str());
                            if let Some(text) = scalar(v).filter(|t| is_id && id_shaped(t)) {
                                found(owner.clone(), k, text);
                            }
                        }
                    }
                }
                owned_items(item, depth + 1, found);
            }
        }
        Value::Object(map) => map.values().for_each(|v| owned_items(v, depth + 1, found)),
        _ => {}
    }
}

/// The claims of the identity's bearer token (a JWT) that name its holder, unverified: only used
/// to recognise its own records, never to trust anything.
fn token_claims(identity: &Identity) -> Vec<(String, String)> {
    let Some(map) =
        identity.credential.as_ref().and_then(Credential::jwt).and_then(crate::jwt::Jwt::parse).map(|j| j.claims)
    else {
        return Vec::new();
    };
    KEYS.claims
        .iter()
        .filter_map(|k| Some((normalise(k), scalar(map.get(*k)?)?)))
        .filter(|(_, v)| v.len() >= 2)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Exchange {
        Exchange::for_test("/x", Some(status), body)
    }

    #[test]
    fn public_lists_name_owners_of_their_items() {
        let list = serde_json::json!([
            {"id": 1, "title": "Spring", "author": "bob"},
            {"id": 2, "title": "Notes", "author": {"username": "alice"}},
            {"slug": "summer-2026", "owner": "carol"}
        ]);
        let mut found = Vec::new();
        owned_items(&list, 0, &mut |owner, key, id| found.push((owner, key, id)));
        assert!(found.contains(&("bob".into(), "id".into(), "1".into())), "{found:?}");
        assert!(found.contains(&("alice".into(), "id".into(), "2".into())), "{found:?}");
        assert!(found.contains(&("carol".into(), "slug".into(), "summer-2026".into())), "{found:?}");
    }

    #[test]
    fn every_reader_is_a_registered_check() {
        for id in READERS {
            assert!(crate::checks::find(id).is_some(), "{id}");
        }
    }

    #[test]
    fn refusals_are_classified_once() {
        assert!(denial(&answer(200, r#"{"error": "forbidden"}"#)));
        assert!(denial(&answer(200, r#"<form><input type="password"></form>"#)));
        assert!(!denial(&answer(200, r#"{"id": 1, "email": "a@b.c"}"#)));
    }
}
