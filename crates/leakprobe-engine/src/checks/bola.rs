//! `bola`: object-level authorization. Objects that belong to one identity, requested by another.
//!
//! With two or more identities ([`CROSS_IDENTITY`]) every identity's own objects are found in its
//! own responses (ids and links in what only it receives) and requested by the others; with one
//! identity or none ([`ID_ENUMERATION`]) ids next to observed ones are tried. Bodies decide, never
//! status codes: a 200 that carries nobody's data, or the same public data for every id, is not an
//! object the caller was denied.
//!
//! The helpers at the bottom (what counts as content, as the same object, as identifying values)
//! are shared with the `bfla` and `property_authorization` checks.
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::stream::{self, StreamExt};
use leakprobe_detect::PiiType;
use serde_json::Value;

use super::{CheckInfo, Hit, Runner, Status};
use crate::client::{status, Exchange, Probe};
use crate::context::ScanContext;
use crate::discovery::links;
use crate::identity::Identity;
use crate::inventory::{Endpoint, ParamLocation};
use crate::report::{Category, Confidence, Severity};
use crate::schedule::SkipReason;

pub static CROSS_IDENTITY: CheckInfo = CheckInfo {
    id: "bola_cross_identity",
    category: Category::Bola,
    status: Status::Stable,
    cwe: &[639, 284],
    summary: "One identity's objects served to another identity (two or more identities)",
    docs: include_str!("../../docs/checks/bola_cross_identity.md"),
    runner: Runner::Active(cross_identity),
};

pub static ID_ENUMERATION: CheckInfo = CheckInfo {
    id: "bola_id_enumeration",
    category: Category::Bola,
    status: Status::Stable,
    cwe: &[639],
    summary: "Other people's objects at ids next to the caller's own (one identity or none; likely, not confirmed)",
    docs: include_str!("../../docs/checks/bola_id_enumeration.md"),
    runner: Runner::Active(id_enumeration),
};

/// Identities compared; more only multiply requests without finding more kinds of object.
const MAX_IDENTITIES: usize = 4;
/// Object paths tried per identity (links and ids from its own responses, spec examples).
const MAX_CANDIDATES: usize = 10;
/// Id values kept from one identity's own responses.
const MAX_IDS: usize = 8;
/// Neighbouring ids tried per template when enumerating: short ranges only.
const NEIGHBOURS: [i64; 3] = [1, -1, 2];

/// Keys whose values say whose object this is (compared after normalising: lower case, no `_`).
const IDENTIFYING_KEYS: [&str; 14] = [
    "id",
    "userid",
    "uid",
    "uuid",
    "username",
    "login",
    "email",
    "accountid",
    "customerid",
    "memberid",
    "ownerid",
    "sub",
    "profileid",
    "createdby",
];
/// Keys that name an object's owner rather than the object itself.
const OWNER_KEYS: [&str; 9] =
    ["userid", "uid", "ownerid", "owner", "accountid", "customerid", "memberid", "createdby", "profileid"];
/// Path segments naming collections of people: there, the object's own `id` is its person's id.
const PERSON_SEGMENTS: [&str; 12] = [
    "users",
    "user",
    "profiles",
    "profile",
    "members",
    "accounts",
    "customers",
    "people",
    "persons",
    "employees",
    "patients",
    "students",
];
/// Keys that make an object personal even when the detector finds no PII in its values.
const PERSONAL_KEYS: [&str; 12] = [
    "email",
    "phone",
    "ssn",
    "address",
    "dateofbirth",
    "dob",
    "userid",
    "ownerid",
    "customerid",
    "accountid",
    "fullname",
    "birthdate",
];
/// Wrappers APIs put single objects in (`{"data": {…}}`).
const WRAPPERS: [&str; 8] = ["data", "result", "item", "user", "profile", "object", "record", "resource"];

/// What one identity receives that nobody else does: the values that identify it, and the ids and
/// links of its own objects.
#[derive(Debug, Default)]
struct Own {
    values: BTreeSet<String>,
    /// `(normalised key, value)`, most telling first.
    ids: Vec<(String, String)>,
    links: Vec<String>,
}

/// An object path as one identity received it.
struct Object {
    template: String,
    path: String,
    /// The id in the path (its last parameter).
    id: String,
    reader: String,
    exchange: Arc<Exchange>,
    /// Its body carries the reader's identifying values (an e-mail, a username, an owner id).
    owned: bool,
}

fn cross_identity(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        let identities: Vec<Identity> = ctx.client.identities().into_iter().take(MAX_IDENTITIES).collect();
        if identities.len() < 2 {
            ctx.skip(&CROSS_IDENTITY, SkipReason::NeedsTwoIdentities, templated(ctx));
            return Vec::new();
        }
        let own = own_responses(ctx, &CROSS_IDENTITY, &identities).await;
        // Each identity reads, the others try it, anonymous tries it, a neighbour proves it distinct.
        let templates = ctx.plan_costing(&CROSS_IDENTITY, templated(ctx), 2 * identities.len() + 1);
        let objects = read_objects(ctx, &templates, &identities, &own).await;

        let mut best: BTreeMap<String, (u8, Hit)> = BTreeMap::new();
        for object in &objects {
            for attacker in identities.iter().filter(|i| i.name != object.reader && !i.is_admin()) {
                let Ok(theirs) = ctx.client.send(Probe::get(object.path.clone()).as_identity(&attacker.name)).await
                else {
                    continue;
                };
                // The attacker's own values in it: the endpoint answers with the caller's own
                // view, or the object is shared with them.
                if !has_content(ctx, &theirs)
                    || !same_object(&object.exchange, &theirs)
                    || owned_by(&theirs, &own[&attacker.name].values, &object.template)
                {
                    continue;
                }
                let Some(distinct) = distinct_object(ctx, object, &objects).await else { continue };
                let anonymous = ctx.client.send(Probe::get(object.path.clone())).await.ok();
                let anonymous_gets_it =
                    anonymous.as_ref().is_some_and(|a| has_content(ctx, a) && same_object(&object.exchange, a));
                let pii = ctx.exposed_types(&object.exchange);
                let confirmed = object.owned && !anonymous_gets_it;
                if !confirmed && pii.is_empty() && !is_personal(&object.exchange) {
                    continue;
                }
                let severity = match (confirmed, critical_pii(&pii), pii.is_empty()) {
                    (true, true, _) => Severity::Critical,
                    (true, false, _) | (false, _, false) => Severity::High,
                    (false, _, true) => Severity::Medium,
                };
                let whose = if object.owned { format!("{}'s object", object.reader) } else { "an object".to_string() };
                let anonymous_status = anonymous.as_ref().map_or_else(|| "no answer".to_string(), |a| status(a));
                let mut evidence = format!(
                    "GET {} as {} → {} with {whose} ({}); as {} → {}; without credentials → {anonymous_status}; {distinct}",
                    object.path,
                    attacker.name,
                    status(&theirs),
                    identifying_summary(ctx, &object.exchange),
                    object.reader,
                    status(&object.exchange),
                );
                let (title, confidence, rank) = if confirmed {
                    (format!("{} reads other identities' objects", attacker.name), Confidence::Confirmed, 2)
                } else {
                    if anonymous_gets_it {
                        evidence.push_str("; served to anonymous callers too (see authentication)");
                    } else {
                        evidence.push_str("; whose object it is could not be proven");
                    }
                    (format!("{} likely reads other people's objects", attacker.name), Confidence::Medium, 1)
                };
                let hit = Hit {
                    title,
                    severity,
                    confidence,
                    method: "GET".into(),
                    path: object.path.clone(),
                    kind: "cross_identity".into(),
                    pii_types: pii,
                    evidence,
                };
                let slot = best.entry(object.template.clone()).or_insert_with(|| (0, hit.clone()));
                if rank > slot.0 || (rank == slot.0 && hit.severity > slot.1.severity) {
                    *slot = (rank, hit);
                }
            }
        }
        best.into_values().map(|(_, h)| h).collect()
    })
}

/// `"/api/users/2 holds a different object"`, or `None` when every other id this template was
/// tried with gave the same body, or nothing: then it serves no per-object data at all.
async fn distinct_object(ctx: &ScanContext, object: &Object, objects: &[Object]) -> Option<String> {
    for other in objects.iter().filter(|o| o.template == object.template && o.path != object.path) {
        if differs(&object.exchange, &object.id, &other.exchange, &other.id) {
            return Some(format!("{} holds a different object", other.path));
        }
    }
    let base: i64 = object.id.parse().ok()?;
    for step in [1, -1] {
        let id = base + step;
        if id < 0 {
            continue;
        }
        let path = replace_last_param(&object.template, &object.path, &id.to_string())?;
        let Ok(ex) = ctx.client.send(Probe::get(path.clone()).as_identity(&object.reader)).await else { continue };
        if has_content(ctx, &ex) && differs(&object.exchange, &object.id, &ex, &id.to_string()) {
            return Some(format!("{path} holds a different object"));
        }
    }
    None
}

/// Reads every endpoint without path parameters as each identity and keeps, per identity, what
/// only it receives.
async fn own_responses(ctx: &ScanContext, check: &'static CheckInfo, identities: &[Identity]) -> BTreeMap<String, Own> {
    let untemplated = ctx.inventory.endpoints().filter(|e| e.methods.contains("GET") && !e.has_path_params());
    let paths: Vec<String> =
        ctx.plan_costing(check, untemplated, identities.len()).into_iter().map(Endpoint::sample_path).collect();
    let mut own: BTreeMap<String, Own> = identities.iter().map(|i| (i.name.clone(), Own::default())).collect();
    // Per path: the anonymous answer, then each identity's (in `identities` order).
    type Answer = Option<Arc<Exchange>>;
    let views: Vec<(Answer, Vec<Answer>)> = stream::iter(paths)
        .map(|path| async move {
            let anonymous = ctx.client.send(Probe::get(path.clone())).await.ok();
            let mut each = Vec::new();
            for identity in identities {
                each.push(ctx.client.send(Probe::get(path.clone()).as_identity(&identity.name)).await.ok());
            }
            (anonymous, each)
        })
        .buffer_unordered(ctx.config.concurrency.max(1))
        .collect()
        .await;
    for (anonymous, each) in &views {
        for (i, identity) in identities.iter().enumerate() {
            let Some(mine) = each[i].as_ref().filter(|e| has_content(ctx, e)) else { continue };
            let same_as =
                |other: &Option<Arc<Exchange>>| other.as_ref().is_some_and(|o| o.is_success() && o.body == mine.body);
            let others_differ = each.iter().enumerate().filter(|(j, _)| *j != i).any(|(_, o)| !same_as(o));
            if same_as(anonymous) || (identities.len() > 1 && !others_differ) {
                continue;
            }
            let entry = own.get_mut(&identity.name).expect("every identity has an entry");
            collect_own(ctx, mine, entry);
        }
    }
    own
}

fn collect_own(ctx: &ScanContext, ex: &Exchange, own: &mut Own) {
    for link in links::from_body(ex, ctx.client.base()) {
        let path = link.split('?').next().unwrap_or(&link).to_string();
        if ctx.inventory.template_of(&path).contains('{') && !own.links.contains(&path) {
            own.links.push(path);
        }
    }
    let Some(json) = json_body(ex) else { return };
    let top = unwrap(&json);
    for (key, value) in identifying_values(top) {
        own.values.insert(value.clone());
        if own.ids.len() < MAX_IDS && !own.ids.iter().any(|(_, v)| *v == value) && id_shaped(&value) {
            own.ids.push((key, value));
        }
    }
    let mut nested = Vec::new();
    nested_ids(&json, 0, &mut nested);
    for (key, value) in nested {
        if own.ids.len() < MAX_IDS && !own.ids.iter().any(|(_, v)| *v == value) {
            own.ids.push((key, value));
        }
    }
}

/// Id values anywhere in a body (`id`, `*_id`, `*Id`, `uuid`), shallow first.
fn nested_ids(value: &Value, depth: usize, out: &mut Vec<(String, String)>) {
    if depth > 3 || out.len() >= MAX_IDS {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let k = normalise(key);
                if (k == "id" || k.ends_with("id") || k == "uuid") && !matches!(v, Value::Object(_) | Value::Array(_)) {
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

/// Object paths to try for each identity, read as that identity: links from its own responses,
/// its ids in templated endpoints (best-matching templates first), and the spec's examples.
async fn read_objects(
    ctx: &ScanContext,
    templates: &[&Endpoint],
    identities: &[Identity],
    own: &BTreeMap<String, Own>,
) -> Vec<Object> {
    // Room for one try per planned template beyond the links, however many were planned.
    let per_identity = MAX_CANDIDATES.max(templates.len() + MAX_CANDIDATES / 2);
    let mut tries: Vec<(String, String)> = Vec::new();
    for identity in identities {
        let mine = &own[&identity.name];
        let mut paths: Vec<String> = mine.links.iter().take(MAX_CANDIDATES / 2).cloned().collect();
        let mut ranked: Vec<(u8, String)> = Vec::new();
        for endpoint in templates {
            for (key, value) in &mine.ids {
                if !fits(endpoint, value) {
                    continue;
                }
                if let Some(path) = replace_last_param(&endpoint.template, &endpoint.sample_path(), value) {
                    ranked.push((affinity(&endpoint.template, key), path));
                }
            }
        }
        ranked.sort_by_key(|r| std::cmp::Reverse(r.0));
        paths.extend(ranked.into_iter().map(|(_, p)| p));
        paths.extend(templates.iter().map(|e| e.sample_path()));
        let mut seen = BTreeSet::new();
        paths.retain(|p| seen.insert(p.clone()));
        tries.extend(paths.into_iter().take(per_identity).map(|p| (identity.name.clone(), p)));
    }
    let fetched: Vec<Option<Object>> = stream::iter(tries)
        .map(|(reader, path)| async move {
            let ex = ctx.client.send(Probe::get(path.clone()).as_identity(&reader)).await.ok()?;
            if !has_content(ctx, &ex) {
                return None;
            }
            let template = ctx.inventory.template_of(&path);
            let id = last_param(&template, &path)?;
            let owned = owned_by(&ex, &own[&reader].values, &template);
            Some(Object { template, path, id, reader, exchange: ex, owned })
        })
        .buffer_unordered(ctx.config.concurrency.max(1))
        .collect()
        .await;
    let mut objects: Vec<Object> = fetched.into_iter().flatten().collect();
    // One reader per path: its owner when one identity's values prove it.
    objects.sort_by(|a, b| a.path.cmp(&b.path).then(b.owned.cmp(&a.owned)));
    objects.dedup_by(|later, first| later.path == first.path);
    objects
}

/// GET endpoints that address objects by id.
fn templated(ctx: &ScanContext) -> impl Iterator<Item = &Endpoint> {
    ctx.inventory.endpoints().filter(|e| e.methods.contains("GET") && e.has_path_params())
}

/// Whether an id value may go into the endpoint's (last) path parameter.
fn fits(endpoint: &Endpoint, value: &str) -> bool {
    let Some(name) = last_param_name(&endpoint.template) else { return false };
    let numeric = value.bytes().all(|b| b.is_ascii_digit());
    let declared = endpoint.params.iter().find(|p| p.location == ParamLocation::Path && p.name == name);
    match declared.and_then(|p| p.kind.as_deref()) {
        Some("integer" | "number") => numeric,
        _ => true,
    }
}

/// How well an id's key matches the template: `user_id` into `/users/{id}` first.
fn affinity(template: &str, key: &str) -> u8 {
    let collection =
        template.split('/').rev().skip_while(|s| !s.starts_with('{')).nth(1).unwrap_or("").to_ascii_lowercase();
    let stem = key.strip_suffix("id").unwrap_or(key);
    if !stem.is_empty() && collection.starts_with(stem) {
        3
    } else if key == "id" && PERSON_SEGMENTS.contains(&collection.as_str()) {
        2
    } else if key == "id" {
        1
    } else {
        0
    }
}

fn id_enumeration(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        let identities = ctx.client.identities();
        if identities.len() >= 2 {
            return Vec::new(); // bola_cross_identity has the stronger proof
        }
        let caller = identities.first().cloned();
        if caller.as_ref().is_some_and(Identity::is_admin) {
            return Vec::new(); // an admin may read everybody's objects
        }
        let own = match &caller {
            Some(identity) => own_responses(ctx, &ID_ENUMERATION, std::slice::from_ref(identity))
                .await
                .remove(&identity.name)
                .unwrap_or_default(),
            None => Own::default(),
        };
        let name = caller.as_ref().map(|i| i.name.clone());
        let as_caller = |path: String| {
            let probe = Probe::get(path);
            match &name {
                Some(n) => probe.as_identity(n),
                None => probe,
            }
        };
        let mut hits = Vec::new();
        for endpoint in ctx.plan_costing(&ID_ENUMERATION, templated(ctx), NEIGHBOURS.len()) {
            let Some(base) = base_id(endpoint, &own) else { continue };
            let Some(base_path) = replace_last_param(&endpoint.template, &endpoint.sample_path(), &base.to_string())
            else {
                continue;
            };
            let Ok(base_ex) = ctx.client.send(as_caller(base_path.clone())).await else { continue };
            if !has_content(ctx, &base_ex) {
                continue;
            }
            let mut found: Vec<(String, Arc<Exchange>)> = Vec::new();
            for step in NEIGHBOURS {
                let id = base + step;
                if id < 0 {
                    continue;
                }
                let Some(path) = replace_last_param(&endpoint.template, &base_path, &id.to_string()) else { continue };
                let Ok(ex) = ctx.client.send(as_caller(path.clone())).await else { break };
                let someone_else = !owned_by(&ex, &own.values, &endpoint.template);
                if has_content(ctx, &ex)
                    && differs(&base_ex, &base.to_string(), &ex, &id.to_string())
                    && someone_else
                    && (is_personal(&ex) || !ctx.exposed_types(&ex).is_empty())
                {
                    found.push((path, ex));
                }
            }
            let Some((path, ex)) = found.first() else { continue };
            let pii = ctx.exposed_types(ex);
            let who = name.as_deref().map_or("without credentials".to_string(), |n| format!("as {n}"));
            let others: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
            hits.push(Hit {
                title: "Objects at neighbouring ids are likely other people's".into(),
                severity: if pii.is_empty() { Severity::Medium } else { Severity::High },
                confidence: Confidence::Medium,
                method: "GET".into(),
                path: path.clone(),
                kind: "enumeration".into(),
                evidence: format!(
                    "GET {base_path} {who} → {}; the neighbouring {} → {} with different personal data ({}); \
                     likely, not confirmed: scan with two identities to prove whose objects they are",
                    status(&base_ex),
                    others.join(", "),
                    status(ex),
                    identifying_summary(ctx, ex),
                ),
                pii_types: pii,
            });
        }
        hits
    })
}

/// The numeric id to enumerate from: the caller's own, else one seen in a concrete path, else the
/// spec's example.
fn base_id(endpoint: &Endpoint, own: &Own) -> Option<i64> {
    let numeric = |v: &str| v.parse::<i64>().ok().filter(|n| *n >= 0 && v.len() <= 12);
    let mut owned: Vec<(u8, i64)> =
        own.ids.iter().filter_map(|(k, v)| Some((affinity(&endpoint.template, k), numeric(v)?))).collect();
    owned.sort_by_key(|o| std::cmp::Reverse(o.0));
    owned
        .first()
        .map(|(_, n)| *n)
        .or_else(|| endpoint.examples.iter().find_map(|e| last_param(&endpoint.template, e).and_then(|v| numeric(&v))))
        .or_else(|| last_param(&endpoint.template, &endpoint.sample_path()).and_then(|v| numeric(&v)))
}

// ---- shared helpers ----

/// A 2xx answer with something in it: not the soft-404, not `{}`, `[]`, `null` or blank.
pub(super) fn has_content(ctx: &ScanContext, ex: &Exchange) -> bool {
    if !ex.is_success() || ctx.soft404.is_not_found(ex) {
        return false;
    }
    let text = ex.text();
    let trimmed = text.trim();
    !matches!(trimmed, "" | "{}" | "[]" | "null" | "\"\"")
}

pub(super) fn json_body(ex: &Exchange) -> Option<Value> {
    let first = ex.body.iter().find(|b| !b.is_ascii_whitespace())?;
    if !matches!(first, b'{' | b'[') {
        return None;
    }
    serde_json::from_slice(&ex.body).ok()
}

/// The object inside a single-key wrapper (`{"data": {…}}`), else the value itself.
pub(super) fn unwrap(value: &Value) -> &Value {
    if let Value::Object(map) = value {
        if map.len() == 1 {
            if let Some((key, inner)) = map.iter().next() {
                if inner.is_object() && WRAPPERS.contains(&normalise(key).as_str()) {
                    return inner;
                }
            }
        }
    }
    value
}

/// Lower case, letters and digits only: `user_id`, `userId` and `User-ID` are one key.
pub(super) fn normalise(key: &str) -> String {
    key.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() && s.len() <= 256 => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `(normalised key, value)` of the identifying fields at the top of an object.
pub(super) fn identifying_values(value: &Value) -> Vec<(String, String)> {
    let Value::Object(map) = value else { return Vec::new() };
    map.iter()
        .filter_map(|(k, v)| {
            let k = normalise(k);
            (IDENTIFYING_KEYS.contains(&k.as_str())).then_some(())?;
            Some((k, scalar(v)?))
        })
        .collect()
}

/// Plausible as an id in a path: digits, a UUID, or a short token without spaces, slashes or `@`.
fn id_shaped(value: &str) -> bool {
    (1..=64).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// True when two answers carry the same object: identical bodies, or JSON objects whose
/// identifying fields (id, e-mail, username…) present in both all agree.
pub(super) fn same_object(a: &Exchange, b: &Exchange) -> bool {
    if a.body == b.body {
        return true;
    }
    let (Some(x), Some(y)) = (json_body(a), json_body(b)) else { return false };
    let (x, y) = (identifying_values(unwrap(&x)), identifying_values(unwrap(&y)));
    let shared: Vec<bool> =
        x.iter().filter_map(|(k, v)| y.iter().find(|(k2, _)| k2 == k).map(|(_, w)| w == v)).collect();
    !shared.is_empty() && shared.iter().all(|same| *same)
}

/// True when two objects of one template differ beyond echoing their own ids.
fn differs(a: &Exchange, id_a: &str, b: &Exchange, id_b: &str) -> bool {
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
/// an e-mail or username anywhere identifying, an owner key (`user_id`, `owner_id`…), or the
/// object's own `id` in a collection of people.
fn owned_by(ex: &Exchange, values: &BTreeSet<String>, template: &str) -> bool {
    if values.is_empty() {
        return false;
    }
    let Some(json) = json_body(ex) else { return false };
    let top = unwrap(&json);
    let people = crate::words::segments(template).iter().any(|s| PERSON_SEGMENTS.contains(&s.as_str()));
    identifying_values(top).iter().any(|(key, value)| {
        let telling = key == "email"
            || key == "username"
            || key == "login"
            || key == "uuid"
            || OWNER_KEYS.contains(&key.as_str());
        values.contains(value) && (telling || (key == "id" && people))
    })
}

/// Personal keys at the object's top level (an e-mail, a phone, an owner id).
fn is_personal(ex: &Exchange) -> bool {
    let Some(json) = json_body(ex) else { return false };
    let Value::Object(map) = unwrap(&json) else { return false };
    map.iter().any(|(k, v)| !v.is_null() && PERSONAL_KEYS.contains(&normalise(k).as_str()))
}

/// The kinds whose exposure alone makes a finding critical.
pub(super) fn critical_pii(types: &[PiiType]) -> bool {
    use PiiType::*;
    types.iter().any(|t| matches!(t, Ssn | CreditCard | NationalId | PasswordHash | Password | Iban | PrivateKey))
}

/// `email: a***@p***.me, id: 1` — what identifies the object, redacted for the report.
fn identifying_summary(ctx: &ScanContext, ex: &Exchange) -> String {
    let Some(json) = json_body(ex) else { return format!("{} bytes", ex.body.len()) };
    let parts: Vec<String> = identifying_values(unwrap(&json))
        .into_iter()
        .take(3)
        .map(
            |(k, v)| {
                if k == "email" {
                    format!("{k}: {}", ctx.redact(PiiType::Email, &v))
                } else {
                    format!("{k}: {v}")
                }
            },
        )
        .collect();
    if parts.is_empty() {
        format!("{} bytes", ex.body.len())
    } else {
        parts.join(", ")
    }
}

fn last_param_name(template: &str) -> Option<&str> {
    template.split('/').rev().find(|s| s.starts_with('{') && s.ends_with('}')).map(|s| &s[1..s.len() - 1])
}

/// The concrete value of the template's last parameter in `path`.
fn last_param(template: &str, path: &str) -> Option<String> {
    let path = path.split('?').next().unwrap_or(path);
    let (ts, ps): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    if ts.len() != ps.len() {
        return None;
    }
    ts.iter().zip(&ps).rev().find(|(t, _)| t.starts_with('{')).map(|(_, p)| (*p).to_string())
}

/// `sample` (a concrete path of `template`) with its last parameter set to `value`.
fn replace_last_param(template: &str, sample: &str, value: &str) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_params_are_found_and_replaced() {
        assert_eq!(last_param("/api/users/{id}/orders/{order_id}", "/api/users/1/orders/7").as_deref(), Some("7"));
        assert_eq!(replace_last_param("/api/users/{id}", "/api/users/1", "2").as_deref(), Some("/api/users/2"));
        assert_eq!(replace_last_param("/api/users/{id}", "/api/users", "2"), None);
        assert_eq!(last_param_name("/a/{x}/b/{y}"), Some("y"));
    }

    #[test]
    fn ids_go_to_the_templates_they_name() {
        assert!(affinity("/api/users/{user_id}", "userid") > affinity("/api/orders/{id}", "userid"));
        assert!(affinity("/profiles/{id}", "id") > affinity("/products/{id}", "id"));
        assert!(id_shaped("3f9c2b1e-8d4a-4c6f-9b2e-1a7d5e3c9f01"));
        assert!(!id_shaped("a b") && !id_shaped("x@y.z") && !id_shaped(""));
    }

    fn answer(status: u16, body: &str) -> Exchange {
        Exchange::for_test("/x", Some(status), body)
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
        assert!(owned_by(&profile, &values, "/api/users/{id}"));
        assert!(!owned_by(&order, &values, "/api/orders/{id}"), "an order whose own id happens to be 1");
        assert!(owned_by(&own_order, &values, "/api/orders/{id}"));
    }

    #[test]
    fn wrappers_and_keys_normalise() {
        let v: Value = serde_json::json!({"data": {"userId": 7, "Email": "a@b.c", "name": "x"}});
        let mut ids = identifying_values(unwrap(&v));
        ids.sort();
        assert_eq!(ids, vec![("email".to_string(), "a@b.c".to_string()), ("userid".to_string(), "7".to_string())]);
    }
}
