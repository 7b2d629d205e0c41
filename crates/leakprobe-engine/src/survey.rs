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
//! The helpers below (content, the same object, identifying values, id slots in paths and query
//! strings) are the one definition every check uses.
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, LazyLock};

use futures::stream::{self, StreamExt};
use leakprobe_detect::PiiType;
use regex::Regex;
use serde_json::Value;

use crate::checks::{CheckInfo, Runner, Status};
use crate::client::{Exchange, Probe};
use crate::context::ScanContext;
use crate::discovery::{data_lines, links};
use crate::identity::{Credential, Identity};
use crate::inventory::{Endpoint, ParamLocation};
use crate::report::Category;

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
    // that one is free, the anonymous one is new when there are identities.
    let endpoints: Vec<Endpoint> = ctx.plan_costing(&SURVEY, readable, identities.len()).into_iter().cloned().collect();
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
    let Some(map) = identity.credential.as_ref().and_then(Credential::jwt).and_then(crate::identity::jwt_claims) else {
        return Vec::new();
    };
    KEYS.claims
        .iter()
        .filter_map(|k| Some((normalise(k), scalar(map.get(*k)?)?)))
        .filter(|(_, v)| v.len() >= 2)
        .collect()
}

// ---- shared helpers ----

/// A 2xx answer with something in it: not the soft-404, not `{}`, `[]`, `null` or blank.
pub fn has_content(ctx: &ScanContext, ex: &Exchange) -> bool {
    if !ex.is_success() || ctx.soft404.is_not_found(ex) {
        return false;
    }
    let text = ex.text();
    let trimmed = text.trim();
    !matches!(trimmed, "" | "{}" | "[]" | "null" | "\"\"")
}

pub fn json_body(ex: &Exchange) -> Option<Value> {
    let first = ex.body.iter().find(|b| !b.is_ascii_whitespace())?;
    if !matches!(first, b'{' | b'[') {
        return None;
    }
    serde_json::from_slice(&ex.body).ok()
}

/// The object inside a single-key wrapper (`{"data": {…}}`), else the value itself.
pub fn unwrap(value: &Value) -> &Value {
    if let Value::Object(map) = value {
        if map.len() == 1 {
            if let Some((key, inner)) = map.iter().next() {
                if inner.is_object() && KEYS.wrappers.contains(&normalise(key).as_str()) {
                    return inner;
                }
            }
        }
    }
    value
}

/// Lower case, letters and digits only: `user_id`, `userId` and `User-ID` are one key.
pub fn normalise(key: &str) -> String {
    key.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// A short string or a number as text: what can be an identifier or a field worth comparing.
pub fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() && s.len() <= 256 => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn identifying_key(k: &str) -> bool {
    KEYS.identifying.contains(&k) || KEYS.business.contains(&k)
}

/// `(normalised key, value)` of the identifying fields at the top of an object (ids, e-mail,
/// username, business keys such as `account_number`).
pub fn identifying_values(value: &Value) -> Vec<(String, String)> {
    let Value::Object(map) = value else { return Vec::new() };
    map.iter()
        .filter_map(|(k, v)| {
            let k = normalise(k);
            identifying_key(&k).then_some(())?;
            Some((k, scalar(v)?))
        })
        .collect()
}

/// Id values anywhere in a body (`id`, `*_id`, `*Id`, `uuid`, business keys), shallow first.
pub fn nested_ids(value: &Value, depth: usize, out: &mut Vec<(String, String)>) {
    if depth > 3 || out.len() >= 2 * MAX_IDS {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let k = normalise(key);
                let named = k == "id" || k.ends_with("id") || k == "uuid" || KEYS.business.contains(&k.as_str());
                if named && !matches!(v, Value::Object(_) | Value::Array(_)) {
                    if let Some(text) = scalar(v).filter(|t| id_shaped(t)) {
                        out.push((k, text));
                    }
                }
            }
            for v in map.values() {
                nested_ids(v, depth + 1, out);
            }
        }
        Value::Array(items) => items.iter().take(20).for_each(|v| nested_ids(v, depth + 1, out)),
        _ => {}
    }
}

#[allow(clippy::unwrap_used)]
static HTML_PAIR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?is)<(?:dt|th)[^>]*>(.{1,120}?)</(?:dt|th)>\s*<(?:dd|td)[^>]*>(.{1,400}?)</(?:dd|td)>").unwrap()
});
#[allow(clippy::unwrap_used)]
static TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<[^>]*>").unwrap());

/// A label of an HTML table or definition list as an identifying key: `E-mail address` is
/// `email`, `Account no.` is `accountno`.
fn label_key(label: &str) -> Option<String> {
    let k = normalise(label);
    if k.contains("email") {
        return Some("email".into());
    }
    if k == "user" || k == "username" || k == "login" {
        return Some("username".into());
    }
    let k = k.strip_suffix("address").filter(|s| !s.is_empty()).map_or(k.clone(), str::to_string);
    identifying_key(&k).then_some(k)
}

/// The identifying `(key, value)` pairs of an HTML page's tables (`<th>`/`<td>`) and definition
/// lists (`<dt>`/`<dd>`).
pub fn html_identifying(html: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        TAG.replace_all(s, "").replace("&amp;", "&").replace("&#64;", "@").replace("&lt;", "<").trim().to_string()
    };
    HTML_PAIR
        .captures_iter(html)
        .take(100)
        .filter_map(|c| {
            let key = label_key(&decode(&c[1]))?;
            let value = decode(&c[2]);
            (!value.is_empty() && value.len() <= 256).then_some((key, value))
        })
        .collect()
}

/// The identifying pairs of any answer: JSON at its top (unwrapped), or an HTML page's labels.
fn identifying_of(ex: &Exchange) -> Vec<(String, String)> {
    match json_body(ex) {
        Some(json) => identifying_values(unwrap(&json)),
        None if ex.is_html() => html_identifying(&ex.text()),
        None => Vec::new(),
    }
}

/// Plausible as an id in a path: digits, a UUID, or a short token without spaces, slashes or `@`.
pub fn id_shaped(value: &str) -> bool {
    (1..=64).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// True when two answers carry the same object: identical bodies, or objects (JSON, or the labelled
/// fields of HTML pages) whose identifying fields present in both all agree.
pub fn same_object(a: &Exchange, b: &Exchange) -> bool {
    if a.body == b.body {
        return true;
    }
    let (x, y) = (identifying_of(a), identifying_of(b));
    let shared: Vec<bool> = x
        .iter()
        .filter_map(|(k, v)| y.iter().find(|(k2, _)| k2 == k).map(|(_, w)| w.eq_ignore_ascii_case(v)))
        .collect();
    !shared.is_empty() && shared.iter().all(|same| *same)
}

/// True when `other` carries the same data as `reference`: identical bodies, or JSON with the
/// same shape (keys) and the same identifying values.
pub fn same_data(reference: &Exchange, other: &Exchange) -> bool {
    if !other.is_success() || other.body.is_empty() {
        return false;
    }
    if reference.body == other.body {
        return true;
    }
    let (Some(a), Some(b)) = (json_body(reference), json_body(other)) else { return false };
    let first = |v: Value| match v {
        Value::Array(items) => items.into_iter().next().unwrap_or_default(),
        other => other,
    };
    let (a, b) = (first(a), first(b));
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else { return false };
    let keys_match = a.keys().collect::<BTreeSet<_>>() == b.keys().collect::<BTreeSet<_>>();
    let ids_match =
        ["id", "user_id", "email", "username"].iter().any(|k| a.get(*k).is_some() && a.get(*k) == b.get(*k));
    keys_match && ids_match
}

/// True when two objects of one template differ beyond echoing their own ids.
pub fn differs(a: &Exchange, id_a: &str, b: &Exchange, id_b: &str) -> bool {
    let (la, lb) = (leaves(a, id_a), leaves(b, id_b));
    !la.is_empty() && !lb.is_empty() && la != lb
}

/// The body's `(path, value)` leaves, without those that only repeat the id the path asked for.
fn leaves(ex: &Exchange, id: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    match json_body(ex) {
        Some(json) => walk_leaves(&json, String::new(), id, &mut out),
        None => {
            let text = ex.text().replace(id, "{id}");
            out.insert((String::new(), text));
        }
    }
    out
}

fn walk_leaves(value: &Value, path: String, id: &str, out: &mut BTreeSet<(String, String)>) {
    if out.len() > 2_000 {
        return;
    }
    match value {
        Value::Object(map) => map.iter().for_each(|(k, v)| walk_leaves(v, format!("{path}.{k}"), id, out)),
        Value::Array(items) => {
            items.iter().enumerate().for_each(|(i, v)| walk_leaves(v, format!("{path}[{i}]"), id, out))
        }
        Value::Null => {}
        other => {
            let text = scalar(other).unwrap_or_else(|| other.to_string());
            if text != id {
                out.insert((path, text.replace(id, "{id}")));
            }
        }
    }
}

/// The body carries one of the identity's own identifying values where an owner would be named:
/// an e-mail or username anywhere identifying, an owner key (`user_id`, `owner`, `author`…), a
/// business key, or the object's own `id` in a collection of people. HTML pages count by their
/// labelled fields.
pub fn owned_by(ex: &Exchange, values: &BTreeSet<String>, template: &str) -> bool {
    if values.is_empty() {
        return false;
    }
    let pairs = match json_body(ex) {
        Some(json) => {
            let top = unwrap(&json);
            let mut pairs = identifying_values(top);
            if let Value::Object(map) = top {
                for (k, v) in map {
                    let k = normalise(k);
                    if KEYS.owner.contains(&k.as_str()) && !identifying_key(&k) {
                        pairs.extend(scalar(v).map(|s| (k, s)));
                    }
                }
            }
            pairs
        }
        None if ex.is_html() => html_identifying(&ex.text()),
        None => return false,
    };
    let people = crate::words::segments(template).iter().any(|s| KEYS.people.contains(&s.as_str()));
    pairs.iter().any(|(key, value)| {
        let telling = matches!(key.as_str(), "email" | "username" | "login" | "uuid")
            || KEYS.owner.contains(&key.as_str())
            || KEYS.business.contains(&key.as_str());
        values.contains(&value.to_ascii_lowercase()) && (telling || (key == "id" && people))
    })
}

/// Personal keys at the object's top level (an e-mail, a phone, an owner id), or labelled in an
/// HTML page.
pub fn is_personal(ex: &Exchange) -> bool {
    match json_body(ex) {
        Some(json) => {
            let Value::Object(map) = unwrap(&json) else { return false };
            map.iter().any(|(k, v)| !v.is_null() && KEYS.personal.contains(&normalise(k).as_str()))
        }
        None if ex.is_html() => html_identifying(&ex.text()).iter().any(|(k, _)| k == "email"),
        None => false,
    }
}

/// The kinds whose exposure alone makes a finding critical.
pub fn critical_pii(types: &[PiiType]) -> bool {
    use PiiType::*;
    types.iter().any(|t| matches!(t, Ssn | CreditCard | NationalId | PasswordHash | Password | Iban | PrivateKey))
}

/// `email: a***@p***.me, id: 1` — what identifies the object, redacted for the report.
pub fn identifying_summary(ctx: &ScanContext, ex: &Exchange) -> String {
    let parts: Vec<String> = identifying_of(ex)
        .into_iter()
        .take(3)
        .map(|(k, v)| match k.as_str() {
            "email" => format!("{k}: {}", ctx.redact(PiiType::Email, &v)),
            "iban" => format!("{k}: {}", ctx.redact(PiiType::Iban, &v)),
            _ => format!("{k}: {v}"),
        })
        .collect();
    if parts.is_empty() {
        format!("{} bytes", ex.body.len())
    } else {
        parts.join(", ")
    }
}

// ---- where ids go: path segments and query parameters ----

/// Where an endpoint takes an object's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    /// Its last path parameter.
    Path,
    /// A query parameter named like an id or an owner (`?account_id=`, `?user=`).
    Query(String),
}

/// The endpoint's id slots: its last path parameter, then id-like query parameters (declared, or
/// seen in its examples).
pub fn slots(endpoint: &Endpoint) -> Vec<Slot> {
    let mut out = Vec::new();
    if endpoint.has_path_params() {
        out.push(Slot::Path);
    }
    let declared = endpoint.params.iter().filter(|p| p.location == ParamLocation::Query).map(|p| p.name.clone());
    let seen = endpoint
        .examples
        .iter()
        .filter_map(|e| e.split_once('?').map(|(_, q)| q.to_string()))
        .flat_map(|q| url::form_urlencoded::parse(q.as_bytes()).map(|(k, _)| k.into_owned()).collect::<Vec<_>>());
    let mut names: Vec<String> = declared.chain(seen).filter(|n| id_param(n)).collect();
    names.sort();
    names.dedup();
    out.extend(names.into_iter().map(Slot::Query));
    out
}

/// A query parameter that names an object or its owner.
fn id_param(name: &str) -> bool {
    let k = normalise(name);
    (k.len() > 2 && k.ends_with("id") && !matches!(k.as_str(), "paid" | "valid" | "void" | "android" | "grid"))
        || KEYS.query.contains(&k.as_str())
        || KEYS.business.contains(&k.as_str())
}

/// The name of the parameter a slot fills.
pub fn slot_name<'a>(template: &'a str, slot: &'a Slot) -> Option<&'a str> {
    match slot {
        Slot::Path => last_param_name(template),
        Slot::Query(name) => Some(name),
    }
}

/// The value in `path` at the slot.
pub fn slot_value(template: &str, slot: &Slot, path: &str) -> Option<String> {
    match slot {
        Slot::Path => last_param(template, path),
        Slot::Query(name) => {
            let (_, query) = path.split_once('?')?;
            url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name.as_str()).map(|(_, v)| v.into_owned())
        }
    }
}

/// `sample` (a concrete path of `template`) with the slot set to `value`.
pub fn with_slot(template: &str, sample: &str, slot: &Slot, value: &str) -> Option<String> {
    match slot {
        Slot::Path => {
            let (_, query) = sample.split_once('?').unwrap_or((sample, ""));
            let path = replace_last_param(template, sample, value)?;
            Some(if query.is_empty() { path } else { format!("{path}?{query}") })
        }
        Slot::Query(name) => {
            let (path, query) = sample.split_once('?').unwrap_or((sample, ""));
            let mut pairs: Vec<(String, String)> =
                url::form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
            match pairs.iter_mut().find(|(k, _)| k == name) {
                Some(pair) => pair.1 = value.to_string(),
                None => pairs.push((name.clone(), value.to_string())),
            }
            let query: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
            Some(format!("{path}?{query}"))
        }
    }
}

pub fn last_param_name(template: &str) -> Option<&str> {
    template.split('/').rev().find(|s| s.starts_with('{') && s.ends_with('}')).map(|s| &s[1..s.len() - 1])
}

/// The concrete value of the template's last parameter in `path`.
pub fn last_param(template: &str, path: &str) -> Option<String> {
    let path = path.split('?').next().unwrap_or(path);
    let (ts, ps): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    if ts.len() != ps.len() {
        return None;
    }
    ts.iter().zip(&ps).rev().find(|(t, _)| t.starts_with('{')).map(|(_, p)| (*p).to_string())
}

/// `sample` (a concrete path of `template`) with its last parameter set to `value`; the query is
/// dropped.
pub fn replace_last_param(template: &str, sample: &str, value: &str) -> Option<String> {
    let sample = sample.split('?').next().unwrap_or(sample);
    let ts: Vec<&str> = template.split('/').collect();
    let mut ps: Vec<String> = sample.split('/').map(str::to_string).collect();
    if ts.len() != ps.len() {
        return None;
    }
    let index = ts.iter().rposition(|t| t.starts_with('{'))?;
    ps[index] = value.to_string();
    Some(ps.join("/"))
}

/// Segments naming collections of people, where an object's own `id` is its person's id.
pub fn people_collection(segment: &str) -> bool {
    KEYS.people.contains(&segment)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Exchange {
        Exchange::for_test("/x", Some(status), body)
    }

    #[test]
    fn last_params_are_found_and_replaced() {
        assert_eq!(last_param("/api/users/{id}/orders/{order_id}", "/api/users/1/orders/7").as_deref(), Some("7"));
        assert_eq!(replace_last_param("/api/users/{id}", "/api/users/1", "2").as_deref(), Some("/api/users/2"));
        assert_eq!(replace_last_param("/api/users/{id}", "/api/users", "2"), None);
        assert_eq!(last_param_name("/a/{x}/b/{y}"), Some("y"));
    }

    #[test]
    fn ids_travel_in_query_parameters_too() {
        let slot = Slot::Query("account_id".into());
        let path = with_slot("/api/statements", "/api/statements?account_id=5001&page=2", &slot, "5002");
        assert_eq!(path.as_deref(), Some("/api/statements?account_id=5002&page=2"));
        assert_eq!(slot_value("/api/statements", &slot, "/api/statements?account_id=5001").as_deref(), Some("5001"));
        let added = with_slot("/api/invoices", "/api/invoices", &Slot::Query("user".into()), "bob");
        assert_eq!(added.as_deref(), Some("/api/invoices?user=bob"));
        assert!(id_param("account_id") && id_param("user") && id_param("accountNumber"));
        assert!(!id_param("page") && !id_param("paid") && !id_param("q"));
    }

    #[test]
    fn same_object_needs_agreeing_identifying_fields() {
        let alice = answer(200, r#"{"id": 1, "email": "alice@proton.me", "ssn": "524-71-3386"}"#);
        let alice_masked = answer(200, r#"{"data": {"id": 1, "email": "alice@proton.me", "ssn": "***"}}"#);
        let bob = answer(200, r#"{"id": 2, "email": "bob@fastmail.com"}"#);
        let anonymous_fields = answer(200, r#"{"title": "Spring", "items": []}"#);
        assert!(same_object(&alice, &alice_masked));
        assert!(!same_object(&alice, &bob));
        assert!(!same_object(&alice, &anonymous_fields), "nothing identifying in common");
    }

    #[test]
    fn id_echoes_and_identical_bodies_are_not_distinct_objects() {
        let seven = answer(200, r#"{"id": 7, "stock": null}"#);
        let eight = answer(200, r#"{"id": 8, "stock": null}"#);
        assert!(!differs(&seven, "7", &eight, "8"), "only the id differs");
        let featured = answer(200, r#"{"collection": "spring", "items": [{"sku": "A"}]}"#);
        assert!(!differs(&featured, "1", &featured, "2"));
        let alice = answer(200, r#"{"id": 1, "name": "Alice"}"#);
        let bob = answer(200, r#"{"id": 2, "name": "Bob"}"#);
        assert!(differs(&alice, "1", &bob, "2"));
    }

    #[test]
    fn ownership_needs_a_telling_key() {
        let values: BTreeSet<String> = ["1", "alice", "alice@proton.me"].into_iter().map(String::from).collect();
        let profile = answer(200, r#"{"id": 1, "email": "alice@proton.me"}"#);
        let order = answer(200, r#"{"id": 1, "total": "9.90"}"#);
        let own_order = answer(200, r#"{"id": 77, "user_id": 1}"#);
        let draft = answer(200, r#"{"id": 12, "author": "alice", "body": "…"}"#);
        assert!(owned_by(&profile, &values, "/api/users/{id}"));
        assert!(!owned_by(&order, &values, "/api/orders/{id}"), "an order whose own id happens to be 1");
        assert!(owned_by(&own_order, &values, "/api/orders/{id}"));
        assert!(owned_by(&draft, &values, "/api/posts/{id}/draft"), "an author field names the owner");
    }

    #[test]
    fn html_pages_name_their_owner_in_labelled_fields() {
        let page = "<html><nav>Signed in as bob</nav><dl><dt>Order no.</dt><dd>ORD-20417</dd>\
                    <dt>Customer</dt><dd>Alice Moreau</dd><dt>E-mail</dt><dd>alice.moreau@proton.me</dd></dl>\
                    <table><tr><th>Account number</th><td><b>ACC-10023</b></td></tr></table></html>";
        let pairs = html_identifying(page);
        assert!(pairs.contains(&("email".to_string(), "alice.moreau@proton.me".to_string())), "{pairs:?}");
        assert!(pairs.contains(&("orderno".to_string(), "ORD-20417".to_string())), "{pairs:?}");
        assert!(pairs.contains(&("accountnumber".to_string(), "ACC-10023".to_string())), "{pairs:?}");
        let mut ex = answer(200, page);
        ex.headers.insert("content-type", reqwest::header::HeaderValue::from_static("text/html"));
        let alice: BTreeSet<String> = ["alice.moreau@proton.me".to_string()].into();
        let bob: BTreeSet<String> = ["bob".to_string()].into();
        assert!(owned_by(&ex, &alice, "/orders/{id}"));
        assert!(!owned_by(&ex, &bob, "/orders/{id}"), "the navigation bar names the reader, not the owner");
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
    fn business_keys_are_identifiers() {
        let v: Value = serde_json::json!({"data": {"userId": 7, "Email": "a@b.c", "name": "x"}});
        let mut ids = identifying_values(unwrap(&v));
        ids.sort();
        assert_eq!(ids, vec![("email".to_string(), "a@b.c".to_string()), ("userid".to_string(), "7".to_string())]);
        let accounts = serde_json::json!([{"account_number": "ACC-10023", "type": "checking"}]);
        let mut nested = Vec::new();
        nested_ids(&accounts, 0, &mut nested);
        assert_eq!(nested, vec![("accountnumber".to_string(), "ACC-10023".to_string())]);
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
