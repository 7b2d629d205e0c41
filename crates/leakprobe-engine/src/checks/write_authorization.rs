//! Write authorization (only with `--active`): writes one identity must not be able to make.
//!
//! [`CROSS_IDENTITY_WRITE`] (`bola`): identity A updates identity B's object — named by a path id
//! (`PUT /api/notes/3`), by a query parameter (`PATCH /api/settings?account=TB-20533`) or by a body
//! field (`PUT /api/profile {"username": "bob", …}`) — and B reads the change back. B's objects come
//! from B's own answers: the items of lists only B receives, the values of records only B receives.
//! The original value is then written back as B and read back again.
//!
//! [`PRIVILEGED_WRITE`] (`bfla`): admin-looking write operations (role changes, user deletes,
//! permissions, promote…) called by a low-privilege identity on a target that does not exist: a
//! refusal (401/403) means the function is enforced; the handler's own answer (404, 422, 2xx) for a
//! caller that anonymous requests are refused for means it is open to users (likely). A role change
//! on the caller's own account that reads back is confirmed, and the old role is put back.
//!
//! Nothing is ever deleted here: DELETE is only sent to ids that do not exist. What was written and
//! whether it was restored is in every finding's evidence.
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures::future::BoxFuture;
use reqwest::Method;
use serde_json::{Map, Value};

use super::{CheckInfo, Hit, Runner, Status};
use crate::client::{status, Exchange, Probe};
use crate::context::ScanContext;
use crate::discovery::openapi::Schema;
use crate::identity::Identity;
use crate::inventory::{fill_template, with_query, Endpoint, ParamLocation};
use crate::report::{Category, Confidence, Severity};
use crate::schedule::SkipReason;
use crate::survey::{has_content, json_body, normalise, replace_last_param, scalar, unwrap};
use crate::writes::{
    encode, fresh_tag, is_privileged, items, lock_identity, lock_object, own_identifier, privileged_value, read_fresh,
    record, request_schema, single_param, vocabulary, writable_path, write_method, PERSON_COLLECTIONS,
};

pub static CROSS_IDENTITY_WRITE: CheckInfo = CheckInfo {
    id: "bola_cross_identity_write",
    category: Category::Bola,
    status: Status::Stable,
    cwe: &[639, 284],
    summary: "One identity changes another identity's objects, by path id, query parameter or body field (--active)",
    docs: include_str!("../../docs/checks/bola_cross_identity_write.md"),
    runner: Runner::Active(cross_identity_write),
};

pub static PRIVILEGED_WRITE: CheckInfo = CheckInfo {
    id: "bfla_privileged_write",
    category: Category::Bfla,
    status: Status::Stable,
    cwe: &[285, 269],
    summary: "Role changes, user deletes and other admin write functions open to low-privilege identities (--active)",
    docs: include_str!("../../docs/checks/bfla_privileged_write.md"),
    runner: Runner::Active(privileged_write),
};

/// Keys that say whose record or object this is; never the field a write probe changes.
const OWNERSHIP_KEYS: [&str; 20] = [
    "id",
    "uuid",
    "userid",
    "uid",
    "username",
    "login",
    "email",
    "owner",
    "ownerid",
    "user",
    "account",
    "accountid",
    "accountnumber",
    "customerid",
    "memberid",
    "createdby",
    "sub",
    "profileid",
    "slug",
    "handle",
];
/// Body keys that can name whose record a write is for, most telling first.
const NAMING_KEYS: [&str; 12] = [
    "username",
    "login",
    "handle",
    "userid",
    "uid",
    "accountnumber",
    "accountid",
    "account",
    "customerid",
    "memberid",
    "ownerid",
    "email",
];
/// Fields a write probe never changes: credentials, privileges, money, contact data.
const UNTOUCHABLE: [&str; 16] = [
    "password",
    "passwordhash",
    "role",
    "roles",
    "isadmin",
    "admin",
    "permissions",
    "scopes",
    "balance",
    "credit",
    "credits",
    "plan",
    "tier",
    "phone",
    "token",
    "apikey",
];
/// Free-text fields, best first: changing them harms nothing and reads back unambiguously.
const PREFERRED_FIELDS: [&str; 14] = [
    "title",
    "displayname",
    "bio",
    "statusmessage",
    "description",
    "body",
    "note",
    "notes",
    "comment",
    "nickname",
    "signature",
    "name",
    "content",
    "text",
];
/// Privilege properties an admin function sets, with the value sent when the API's own vocabulary
/// offers none.
const PRIVILEGE_KEYS: [&str; 5] = ["role", "roles", "isadmin", "permissions", "accounttype"];
/// An id no real object has: a numeric one and a name-shaped one.
const ABSENT_NUMBER: &str = "2147400001";
const ABSENT_NAME: &str = "leakprobe-absent-7f3a9c";
/// Writable templates tried per scan, and candidate objects per template.
const MAX_TEMPLATES: usize = 8;
const MAX_OBJECTS: usize = 2;

fn query_params(endpoint: &Endpoint) -> Vec<&str> {
    endpoint.params.iter().filter(|p| p.location == ParamLocation::Query).map(|p| p.name.as_str()).collect()
}

// ---- what each identity receives that the other does not ----

/// One identity's own answers: records (`/api/me`, `/api/settings`) and list items (`/api/notes`),
/// by the untemplated path they came from.
#[derive(Debug, Default, Clone)]
struct Own {
    records: BTreeMap<String, Map<String, Value>>,
    lists: BTreeMap<String, Vec<Map<String, Value>>>,
}

impl Own {
    /// The identity's value for a key (normalised names compared; `account` finds `account_number`).
    fn value_for(&self, name: &str) -> Option<(String, String)> {
        let want = normalise(name);
        let mut best: Option<(u8, String, String)> = None;
        for record in self.records.values() {
            for (key, value) in record {
                let k = normalise(key);
                let rank = if k == want {
                    3
                } else if k.starts_with(&want) || want.starts_with(&k) && k.len() >= 4 {
                    2
                } else {
                    continue;
                };
                let Some(text) = scalar(value) else { continue };
                if best.as_ref().is_none_or(|b| rank > b.0) {
                    best = Some((rank, key.clone(), text));
                }
            }
        }
        best.map(|(_, k, v)| (k, v))
    }
}

/// What `a` and `b` receive at every untemplated GET endpoint, and keeps what differs between
/// them. The survey's answers are read first; an endpoint or identity it did not cover (budget,
/// more than four identities) is fetched here (the client's cache makes repeats free).
async fn own_views(ctx: &ScanContext, check: &'static CheckInfo, a: &Identity, b: &Identity) -> (Own, Own) {
    let candidates = ctx.inventory.endpoints().filter(|e| {
        e.methods.contains("GET") && !e.has_path_params() && !crate::words::names_state_change(&e.template)
    });
    let surveyed = |template: &str, who: &str| {
        ctx.survey.entry(template).and_then(|e| e.view(&ctx.survey, Some(who))).map(|v| v.exchange.clone())
    };
    let (in_survey, missing): (Vec<&Endpoint>, Vec<&Endpoint>) =
        candidates.partition(|e| surveyed(&e.template, &a.name).is_some() && surveyed(&e.template, &b.name).is_some());
    let mut endpoints = in_survey;
    endpoints.extend(ctx.plan_costing(check, missing, 2));
    let (mut own_a, mut own_b) = (Own::default(), Own::default());
    for endpoint in endpoints {
        let path = endpoint.sample_path();
        let path = path.split('?').next().unwrap_or(&path).to_string();
        let mut answers = Vec::with_capacity(2);
        for who in [&a.name, &b.name] {
            answers.push(match surveyed(&endpoint.template, who) {
                Some(ex) => Some(ex),
                None => ctx.client.send(Probe::get(path.clone()).as_identity(who)).await.ok(),
            });
        }
        let [Some(xa), Some(xb)] = <[Option<Arc<Exchange>>; 2]>::try_from(answers).unwrap_or([None, None]) else {
            continue;
        };
        if !has_content(ctx, &xa) || !has_content(ctx, &xb) || xa.body == xb.body {
            continue;
        }
        let (Some(ja), Some(jb)) = (json_body(&xa), json_body(&xb)) else { continue };
        for (json, own) in [(ja, &mut own_a), (jb, &mut own_b)] {
            if let Some(list) = items(&json) {
                let objects: Vec<Map<String, Value>> = list.iter().filter_map(|v| v.as_object().cloned()).collect();
                if !objects.is_empty() {
                    own.lists.insert(path.clone(), objects);
                }
            } else if let Some(object) = unwrap(&json).as_object() {
                own.records.insert(path.clone(), object.clone());
            }
        }
    }
    (own_a, own_b)
}

/// The two identities compared: the attacker is the last non-admin identity (the one
/// mass-assignment and the role probes act as), the victim the first other one.
fn pair(ctx: &ScanContext) -> Option<(Identity, Identity)> {
    let all = ctx.client.identities();
    let low: Vec<&Identity> = all.iter().filter(|i| !i.is_admin()).collect();
    let attacker = (*low.last()?).clone();
    let victim = all
        .iter()
        .find(|i| i.name != attacker.name && !i.is_admin())
        .or_else(|| all.iter().find(|i| i.name != attacker.name))?;
    Some((attacker, victim.clone()))
}

// ---- the field a probe changes ----

/// The field of `record` to change and the value to write: a free-text field the request schema
/// declares writable (or any such field without a schema), never one that says whose object it is.
fn pick_field(record: &Map<String, Value>, schema: Option<&Schema>, tag: &str) -> Option<(String, Value)> {
    let allowed = |key: &str| {
        let k = normalise(key);
        let declared = schema.is_none_or(|s| s.properties.get(key).is_some_and(|p| !p.read_only));
        declared
            && !OWNERSHIP_KEYS.contains(&k.as_str())
            && !UNTOUCHABLE.contains(&k.as_str())
            && !k.ends_with("id")
            && !k.contains("password")
            && !k.contains("email")
    };
    let mut candidates: Vec<(usize, &String, &Value)> = record
        .iter()
        .filter(|(k, v)| v.is_string() && allowed(k))
        .map(|(k, v)| {
            (PREFERRED_FIELDS.iter().position(|p| *p == normalise(k)).unwrap_or(PREFERRED_FIELDS.len()), k, v)
        })
        .collect();
    candidates.sort_by_key(|c| c.0);
    for (_, key, current) in candidates {
        let declared = schema.and_then(|s| s.properties.get(key.as_str()));
        let enums: Vec<&Value> = declared.map(|p| p.enum_values.iter().collect()).unwrap_or_default();
        if !enums.is_empty() {
            if let Some(other) = enums.into_iter().find(|e| *e != current && e.is_string()) {
                return Some((key.clone(), other.clone()));
            }
            continue;
        }
        return Some((key.clone(), Value::String(format!("leakprobe write check {tag}"))));
    }
    None
}

/// The body of a write that sets `changes` on `record`: only the changes for PATCH, the record's
/// writable fields with the changes for PUT.
fn write_body(
    method: &Method,
    record: &Map<String, Value>,
    schema: Option<&Schema>,
    changes: &Map<String, Value>,
) -> Value {
    let mut body = Map::new();
    if *method == Method::PUT {
        for (key, value) in record {
            let keep = match schema {
                Some(s) => s.properties.get(key).is_some_and(|p| !p.read_only),
                None => normalise(key) != "id",
            };
            if keep {
                body.insert(key.clone(), value.clone());
            }
        }
    }
    body.extend(changes.clone());
    Value::Object(body)
}

fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    }
}

// ---- bola_cross_identity_write ----

/// Where the victim's object is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    Path,
    Query,
    Body,
}

impl Via {
    fn kind(self) -> &'static str {
        match self {
            Via::Path => "path",
            Via::Query => "query",
            Via::Body => "body",
        }
    }
}

/// One write to try: as the attacker, `method` to `path`; the victim reads it at `read_path`.
#[derive(Clone)]
struct Attempt {
    via: Via,
    template: String,
    method: Method,
    /// Where the attacker writes.
    path: String,
    /// Where the victim reads its object and restores it.
    read_path: String,
    /// Body keys that name the victim's record (the body variant).
    naming: Map<String, Value>,
    why: String,
}

fn cross_identity_write(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        let writable: Vec<&Endpoint> =
            ctx.inventory.endpoints().filter(|e| write_method(e).is_some() && writable_path(&e.template)).collect();
        if !ctx.config.active {
            ctx.skip(&CROSS_IDENTITY_WRITE, SkipReason::NeedsActive, writable);
            return Vec::new();
        }
        let Some((attacker, victim)) = pair(ctx) else {
            ctx.skip(&CROSS_IDENTITY_WRITE, SkipReason::NeedsTwoIdentities, writable);
            return Vec::new();
        };
        let (own_a, own_b) = own_views(ctx, &CROSS_IDENTITY_WRITE, &attacker, &victim).await;
        // Read, write, read back, restore, read again: about five requests per object.
        let planned = ctx.plan_costing(&CROSS_IDENTITY_WRITE, writable, 5 * MAX_OBJECTS);
        let mut attempts = Vec::new();
        for endpoint in planned.into_iter().take(MAX_TEMPLATES) {
            let schema = write_method(endpoint).and_then(|m| request_schema(ctx, &endpoint.template, &m));
            attempts.extend(attempts_for(endpoint, schema, &own_a, &own_b));
        }
        let mut hits: BTreeMap<(String, &'static str), Hit> = BTreeMap::new();
        for attempt in attempts {
            let key = (attempt.template.clone(), attempt.via.kind());
            if hits.contains_key(&key) {
                continue;
            }
            if let Some(hit) = try_write(ctx, &attacker, &victim, &own_a, attempt).await {
                hits.insert(key, hit);
            }
        }
        let mut hits: Vec<Hit> = hits.into_values().collect();
        for (collection, owner_key, owner) in create_targets(ctx, &own_a, &own_b).into_iter().take(MAX_TEMPLATES) {
            if let Some(hit) = try_create(ctx, &attacker, &victim, &collection, &owner_key, &owner).await {
                hits.push(hit);
            }
        }
        hits
    })
}

/// Collections the attacker may POST to whose items name their owner (`owner`, `user_id`), with
/// the owner key and the victim's value for it: `POST /api/notes {…, "owner": "alice"}`. Only
/// where a DELETE on the created item exists, so the scan can remove what it created.
fn create_targets(ctx: &ScanContext, own_a: &Own, own_b: &Own) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, theirs) in &own_b.lists {
        let Some(endpoint) = ctx.inventory.endpoints().find(|e| e.template == *path) else { continue };
        let deletable = ctx.inventory.endpoints().any(|e| {
            e.methods.contains("DELETE")
                && e.template.rsplit_once('/').is_some_and(|(p, last)| p == path && last.starts_with('{'))
        });
        if !endpoint.methods.contains("POST") || !deletable || !writable_path(path) {
            continue;
        }
        let Some(first) = theirs.first() else { continue };
        let mine = own_a.lists.get(path).and_then(|l| l.first());
        let owner = first.iter().find(|(k, v)| {
            let n = normalise(k);
            ["owner", "ownerid", "userid", "user", "username", "createdby", "accountid", "memberid"]
                .contains(&n.as_str())
                && scalar(v).is_some()
                && mine.is_none_or(|m| m.get(*k) != Some(*v))
        });
        if let Some((key, value)) = owner {
            out.push((path.clone(), key.clone(), value.clone()));
        }
    }
    out
}

/// POSTs a new item as the attacker with the owner key set to the victim; confirmed when the item
/// shows up in the victim's own list. The created item is then deleted (as the victim, its owner
/// now, or as the attacker) and the list read again.
async fn try_create(
    ctx: &ScanContext,
    attacker: &Identity,
    victim: &Identity,
    collection: &str,
    owner_key: &str,
    owner: &Value,
) -> Option<Hit> {
    let (a, b) = (attacker.name.as_str(), victim.name.as_str());
    let endpoint = ctx.inventory.endpoints().find(|e| e.template == collection)?;
    let seen = crate::exercise::harvested(ctx);
    let knowledge = crate::exercise::knowledge(ctx, Some(a), &seen);
    let request = crate::exercise::requests_for(ctx, endpoint, &knowledge)
        .into_iter()
        .find(|r| r.method == Method::POST && r.body.as_ref().is_some_and(|b| b.value.is_object()))?;
    let Some(Value::Object(mut body)) = request.body.map(|b| b.value) else { return None };
    let tag = fresh_tag();
    // A free-text field carries a marker, so the item is recognisable in the victim's list.
    let marker = format!("leakprobe write check {tag}");
    let text_field = body
        .iter()
        .filter(|(k, v)| v.is_string() && !OWNERSHIP_KEYS.contains(&normalise(k).as_str()))
        .map(|(k, _)| k.clone())
        .min_by_key(|k| PREFERRED_FIELDS.iter().position(|p| *p == normalise(k)).unwrap_or(PREFERRED_FIELDS.len()))?;
    body.insert(text_field.clone(), Value::String(marker.clone()));
    body.insert(owner_key.to_string(), owner.clone());
    let _held = lock_object(ctx, collection).await;
    let create = Probe::new(Method::POST, collection.to_string())
        .as_identity(a)
        .header("X-Leakprobe-Write", &tag)
        .body("application/json", Value::Object(body.clone()).to_string());
    let created = ctx.client.send(create).await.ok()?;
    // The id to delete is taken from a list item that carries this probe's unique marker, never
    // from the answer alone: only the object this probe created can match.
    let marked = |ex: Option<Arc<Exchange>>| {
        ex.and_then(|e| json_body(&e))
            .and_then(|j| items(&j).cloned())
            .unwrap_or_default()
            .into_iter()
            .find(|item| item.get(&text_field).and_then(Value::as_str) == Some(marker.as_str()))
            .and_then(|item| item.get("id").and_then(scalar))
            .unwrap_or_default()
    };
    let in_victims = marked(read_fresh(ctx, collection, Some(b)).await);
    // Whatever happened, what the scan created goes: it is the scan's own object, deleted as the
    // identity whose list holds it.
    let (id, holder) = if in_victims.is_empty() {
        (marked(read_fresh(ctx, collection, Some(a)).await), a)
    } else {
        (in_victims.clone(), b)
    };
    let mut deleted = false;
    if !id.is_empty() {
        let item = format!("{collection}/{}", encode(&id));
        let gone = ctx
            .client
            .send(Probe::new(Method::DELETE, item).as_identity(holder).header("X-Leakprobe-Cleanup", &fresh_tag()))
            .await;
        deleted = gone.as_ref().is_ok_and(|g| g.is_success());
    }
    if in_victims.is_empty() {
        return None;
    }
    let still = !marked(read_fresh(ctx, collection, Some(b)).await).is_empty();
    let cleanup = if deleted && !still {
        format!("the created item {id} was deleted again as {b} (the scan's own object)")
    } else {
        format!("NOT cleaned up: the created item {id} could not be deleted")
    };
    Some(Hit {
        title: format!("{a} creates objects in {b}'s name through POST {collection} (a body field names the owner)"),
        severity: Severity::High,
        confidence: Confidence::Confirmed,
        method: "POST".into(),
        path: collection.to_string(),
        kind: "body".into(),
        pii_types: Vec::new(),
        evidence: format!(
            "POST {collection} as {a} with {{{owner_key}: {}, {text_field}: \"{marker}\"}} → {}; GET {collection} as {b} \
             afterwards lists it; {cleanup}",
            shown(owner),
            status(&created),
        ),
    })
}

/// The writes that would change the victim's objects through `endpoint`.
fn attempts_for(endpoint: &Endpoint, schema: Option<&Schema>, own_a: &Own, own_b: &Own) -> Vec<Attempt> {
    let Some(method) = write_method(endpoint) else { return Vec::new() };
    let template = endpoint.template.clone();
    let mut out = Vec::new();
    if endpoint.has_path_params() {
        // Admin functions on people (`/users/{name}/role`) are bfla_privileged_write's.
        if is_privileged(&template) {
            return out;
        }
        // The victim's objects: items of the victim's list at the template's parent path that the
        // attacker's list does not hold.
        let parent = template.rsplit_once('/').map_or("", |(p, _)| p);
        let Some(theirs) = own_b.lists.get(parent) else { return out };
        let mine: BTreeSet<String> =
            own_a.lists.get(parent).into_iter().flatten().filter_map(|o| o.get("id").and_then(scalar)).collect();
        for object in theirs.iter().take(10) {
            let Some(id) = object.get("id").and_then(scalar) else { continue };
            if mine.contains(&id) {
                continue;
            }
            let Some(path) = replace_last_param(&endpoint.template, &endpoint.sample_path(), &encode(&id)) else {
                continue;
            };
            out.push(Attempt {
                via: Via::Path,
                template: template.clone(),
                method: method.clone(),
                path: path.clone(),
                read_path: path,
                naming: Map::new(),
                why: format!("it is in the victim's {parent} and not in the attacker's"),
            });
            if out.len() >= MAX_OBJECTS {
                break;
            }
        }
        return out;
    }
    let path = template.clone();
    for name in query_params(endpoint) {
        let (Some((key_b, value_b)), Some((_, value_a))) = (own_b.value_for(name), own_a.value_for(name)) else {
            continue;
        };
        if value_a == value_b {
            continue;
        }
        let target = with_query(&path, &[(name.to_string(), value_b.clone())]);
        out.push(Attempt {
            via: Via::Query,
            template: template.clone(),
            method: method.clone(),
            path: target.clone(),
            read_path: target,
            naming: Map::new(),
            why: format!("`{name}` is the victim's {key_b}"),
        });
        break;
    }
    // The body variant: a record both identities read at this path, named by a key whose value
    // differs between them (`username`, `user_id`, `account_number`).
    if let (Some(ra), Some(rb)) = (own_a.records.get(&path), own_b.records.get(&path)) {
        let declared = |key: &str| schema.is_none_or(|s| s.properties.get(key).is_some_and(|p| !p.read_only));
        let naming = NAMING_KEYS.iter().find_map(|want| {
            rb.iter().find(|(k, v)| {
                normalise(k) == *want && declared(k) && ra.get(*k).is_some_and(|a| a != *v) && scalar(v).is_some()
            })
        });
        if let Some((key, value)) = naming {
            out.push(Attempt {
                via: Via::Body,
                template: template.clone(),
                method,
                path: path.clone(),
                read_path: path,
                naming: Map::from_iter([(key.clone(), value.clone())]),
                why: format!("the body's `{key}` names the victim"),
            });
        }
    }
    out
}

async fn try_write(
    ctx: &ScanContext,
    attacker: &Identity,
    victim: &Identity,
    own_a: &Own,
    attempt: Attempt,
) -> Option<Hit> {
    let (a, b) = (attacker.name.as_str(), victim.name.as_str());
    let _held = lock_object(ctx, &attempt.read_path).await;
    let before_ex = read_fresh(ctx, &attempt.read_path, Some(b)).await?;
    let before = record(ctx, &before_ex)?;
    let schema = request_schema(ctx, &attempt.template, &attempt.method);
    let tag = fresh_tag();
    let (field, value) = pick_field(&before, schema, &tag)?;
    let original = before.get(&field).cloned().unwrap_or(Value::Null);
    let mut changes = attempt.naming.clone();
    changes.insert(field.clone(), value.clone());
    let body = write_body(&attempt.method, &before, schema, &changes);
    let write = Probe::new(attempt.method.clone(), attempt.path.clone())
        .as_identity(a)
        .body("application/json", body.to_string());
    let written = ctx.client.send(write).await.ok()?;
    let after = read_fresh(ctx, &attempt.read_path, Some(b)).await.and_then(|ex| record(ctx, &ex));
    let changed = after.as_ref().and_then(|r| r.get(&field)) == Some(&value);

    // Put things back: the victim's value as the victim, and the attacker's own record if the
    // write landed there instead (a server that ignores the body's name and uses the token).
    let restored =
        if changed { Some(restore(ctx, b, &attempt, &before, schema, &field, &original).await) } else { None };
    if attempt.via == Via::Body {
        if let Some(mine) = own_a.records.get(&attempt.read_path) {
            let now = read_fresh(ctx, &attempt.read_path, Some(a)).await.and_then(|ex| record(ctx, &ex));
            if now.as_ref().is_some_and(|n| n.get(&field) != mine.get(&field)) {
                let undo = Attempt { naming: Map::new(), path: attempt.read_path.clone(), ..attempt.clone() };
                let original_a = mine.get(&field).cloned().unwrap_or(Value::Null);
                let _ = restore(ctx, a, &undo, mine, schema, &field, &original_a).await;
            }
        }
    }
    if !changed {
        return None;
    }
    let denied_read = if attempt.via == Via::Path {
        let theirs = ctx.client.send(Probe::get(attempt.read_path.clone()).as_identity(a)).await.ok();
        match theirs {
            Some(t) if !has_content(ctx, &t) => {
                format!("; GET {} as {a} → {} (the read is protected)", attempt.read_path, status(&t))
            }
            _ => String::new(),
        }
    } else {
        String::new()
    };
    let naming: Vec<String> = attempt.naming.iter().map(|(k, v)| format!("{k}: {}", shown(v))).collect();
    let sent = if naming.is_empty() {
        format!("{field}: {}", shown(&value))
    } else {
        format!("{}, {field}: {}", naming.join(", "), shown(&value))
    };
    let restored_text = match restored {
        Some(true) => format!("restored: {b}'s original {field} was written back as {b} and read back"),
        _ => format!("NOT restored: {b}'s original {field} could not be written back"),
    };
    let object = match attempt.via {
        Via::Path => "objects",
        Via::Query | Via::Body => "records",
    };
    Some(Hit {
        title: format!("{a} changes {b}'s {object} through {} {} ({} names the target)", attempt.method, attempt.template, match attempt.via {
            Via::Path => "the path id",
            Via::Query => "a query parameter",
            Via::Body => "a body field",
        }),
        severity: Severity::High,
        confidence: Confidence::Confirmed,
        method: attempt.method.to_string(),
        path: attempt.path.split('?').next().unwrap_or(&attempt.path).to_string(),
        kind: attempt.via.kind().into(),
        pii_types: Vec::new(),
        evidence: format!(
            "{} {} as {a} with {{{sent}}} → {}; GET {} as {b} afterwards shows {field}: {} ({b}'s: {}){denied_read}; {restored_text}",
            attempt.method,
            attempt.path,
            status(&written),
            attempt.read_path,
            shown(&value),
            attempt.why,
        ),
    })
}

/// Writes `original` back into `field` as `owner` and reads it back: true when it holds.
async fn restore(
    ctx: &ScanContext,
    owner: &str,
    attempt: &Attempt,
    before: &Map<String, Value>,
    schema: Option<&Schema>,
    field: &str,
    original: &Value,
) -> bool {
    let changes = Map::from_iter([(field.to_string(), original.clone())]);
    let mut body = write_body(&attempt.method, before, schema, &changes);
    if let (Value::Object(b), false) = (&mut body, attempt.naming.is_empty()) {
        b.extend(attempt.naming.clone());
    }
    let undo = Probe::new(attempt.method.clone(), attempt.read_path.clone())
        .as_identity(owner)
        .header("X-Leakprobe-Restore", &fresh_tag())
        .body("application/json", body.to_string());
    let _ = ctx.client.send(undo).await;
    let now = read_fresh(ctx, &attempt.read_path, Some(owner)).await.and_then(|ex| record(ctx, &ex));
    now.as_ref().and_then(|r| r.get(field)) == Some(original)
}

// ---- bfla_privileged_write ----

/// Admin-looking write operations with an object in the path (so a harmless target exists):
/// role, permission and promotion functions, admin paths, and DELETE on collections of people.
fn privileged_operations(ctx: &ScanContext) -> Vec<(&Endpoint, Method)> {
    let mut out = Vec::new();
    for endpoint in ctx.inventory.endpoints().filter(|e| e.has_path_params() && writable_path(&e.template)) {
        for method in ["PUT", "PATCH", "POST", "DELETE"] {
            if !endpoint.methods.contains(method) {
                continue;
            }
            let people_delete = method == "DELETE"
                && crate::words::segments(&endpoint.template)
                    .last()
                    .is_some_and(|s| PERSON_COLLECTIONS.contains(&s.as_str()))
                && endpoint.template.ends_with('}');
            if is_privileged(&endpoint.template) || people_delete {
                if let Ok(m) = Method::from_bytes(method.as_bytes()) {
                    out.push((endpoint, m));
                }
            }
        }
    }
    out
}

/// The value an absent object gets for a path parameter: numeric for ids, a name otherwise.
fn absent_value(endpoint: &Endpoint, name: &str) -> String {
    let kind = endpoint
        .params
        .iter()
        .find(|p| p.location == ParamLocation::Path && p.name == name)
        .and_then(|p| p.kind.clone());
    let n = normalise(name);
    match kind.as_deref() {
        Some("integer" | "number") => ABSENT_NUMBER.to_string(),
        Some(_) => ABSENT_NAME.to_string(),
        None if n == "id" || n.ends_with("id") => ABSENT_NUMBER.to_string(),
        None => ABSENT_NAME.to_string(),
    }
}

/// The privilege properties of an operation's request, else `role`, with the value to send.
fn privilege_body(ctx: &ScanContext, endpoint: &Endpoint, method: &Method) -> Option<Map<String, Value>> {
    if *method == Method::DELETE {
        return None;
    }
    let schema = request_schema(ctx, &endpoint.template, method);
    let declared: Vec<&String> = schema
        .map(|s| s.properties.keys().filter(|k| PRIVILEGE_KEYS.contains(&normalise(k).as_str())).collect())
        .unwrap_or_default();
    let key = declared.first().map_or_else(|| "role".to_string(), |k| (*k).clone());
    let enums: Vec<String> = schema
        .and_then(|s| s.properties.get(&key))
        .map(|p| p.enum_values.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let words = if enums.is_empty() { vocabulary(ctx, &key) } else { enums };
    Some(Map::from_iter([(key.clone(), privileged_value(&words, &key))]))
}

fn privileged_write(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        let operations = privileged_operations(ctx);
        let endpoints: Vec<&Endpoint> = operations.iter().map(|(e, _)| *e).collect();
        if !ctx.config.active {
            ctx.skip(&PRIVILEGED_WRITE, SkipReason::NeedsActive, endpoints);
            return Vec::new();
        }
        let all = ctx.client.identities();
        let Some(low) = all.iter().rfind(|i| !i.is_admin()).cloned() else {
            ctx.skip(&PRIVILEGED_WRITE, SkipReason::NeedsIdentity, endpoints);
            return Vec::new();
        };
        // Low-privilege and anonymous probes on an absent target, and the own-account proof.
        let planned: BTreeSet<String> =
            ctx.plan_costing(&PRIVILEGED_WRITE, endpoints, 3).into_iter().map(|e| e.template.clone()).collect();
        let mut hits = Vec::new();
        for (endpoint, method) in operations.iter().filter(|(e, _)| planned.contains(&e.template)) {
            if let Some(hit) = probe_privileged(ctx, &low, endpoint, method).await {
                hits.push(hit);
            }
        }
        hits
    })
}

async fn probe_privileged(ctx: &ScanContext, low: &Identity, endpoint: &Endpoint, method: &Method) -> Option<Hit> {
    let path = fill_template(&endpoint.template, |name| Some(encode(&absent_value(endpoint, name))));
    let body = privilege_body(ctx, endpoint, method);
    let probe = |who: Option<&str>| {
        let mut p = Probe::new(method.clone(), path.clone());
        if let Some(b) = &body {
            p = p.body("application/json", Value::Object(b.clone()).to_string());
        }
        match who {
            Some(name) => p.as_identity(name),
            None => p,
        }
    };
    let anonymous = ctx.client.send(probe(None)).await.ok()?;
    if !matches!(anonymous.status, Some(401 | 403)) {
        return None; // nothing to compare with: open to everybody, or not there at all
    }
    let theirs = ctx.client.send(probe(Some(&low.name))).await.ok()?;
    let code = theirs.status?;
    // A 404 counts here: the route exists (anonymous callers are refused on it), so the "not
    // found" is the handler's own lookup of the absent target. A 2xx must not be the soft-404.
    let ran = match code {
        200..=299 => !ctx.soft404.is_not_found(&theirs),
        400 | 404 | 409 | 410 | 422 => true,
        _ => false,
    };
    if !ran {
        return None;
    }
    let who = match &low.role {
        Some(role) => format!("{} (role {role})", low.name),
        None => low.name.clone(),
    };
    let sent = body.as_ref().map_or_else(String::new, |b| format!(" with {}", Value::Object(b.clone())));
    let mut evidence = format!(
        "{method} {path}{sent} without credentials → {}; as {who} → {code}: the handler ran for a low-privilege \
         caller (a refusal would be 401/403); the target does not exist, so nothing was changed",
        status(&anonymous)
    );
    let mut confidence = Confidence::Medium;
    let mut severity = Severity::High;
    let mut title = format!("Admin function {method} {} open to low-privilege identities (likely)", endpoint.template);
    if let Some(proof) = own_account_proof(ctx, low, endpoint, method, body.as_ref()).await {
        evidence.push_str("; ");
        evidence.push_str(&proof);
        confidence = Confidence::Confirmed;
        severity = Severity::Critical;
        title = format!("{} raised its own role through {method} {}", low.name, endpoint.template);
    }
    Some(Hit {
        title,
        severity,
        confidence,
        method: method.to_string(),
        path: path.clone(),
        kind: "privileged_write".into(),
        pii_types: Vec::new(),
        evidence,
    })
}

/// The caller's own account as the target: `PUT /api/users/{me}/role {"role": "ADMIN"}`, read back
/// from the caller's own record, then the old value written back. Only when the template names a
/// person by a value the caller's own record holds, and the record shows the property to restore.
async fn own_account_proof(
    ctx: &ScanContext,
    low: &Identity,
    endpoint: &Endpoint,
    method: &Method,
    body: Option<&Map<String, Value>>,
) -> Option<String> {
    let body = body?;
    let param = single_param(&endpoint.template)?;
    let (key, sent) = body.iter().next()?;
    let _held = lock_identity(ctx, &low.name).await;
    let (record_path, _, me) = own_identifier(ctx, &low.name, param, Some(key)).await?;
    // The value to restore is the one the account holds now, not a cached earlier answer.
    let before = read_fresh(ctx, &record_path, Some(&low.name)).await.and_then(|ex| record(ctx, &ex))?;
    let original = before.get(key)?.clone();
    if &original == sent {
        return None;
    }
    let path = fill_template(&endpoint.template, |_| Some(encode(&me)));
    let send = |value: &Value, tag: &str| {
        Probe::new(method.clone(), path.clone())
            .as_identity(&low.name)
            .header("X-Leakprobe-Write", tag)
            .body("application/json", Value::Object(Map::from_iter([(key.clone(), value.clone())])).to_string())
    };
    let written = ctx.client.send(send(sent, &fresh_tag())).await.ok()?;
    let after = read_fresh(ctx, &record_path, Some(&low.name)).await.and_then(|ex| record(ctx, &ex));
    let raised = after.as_ref().and_then(|r| r.get(key)) == Some(sent);
    if !raised {
        return None;
    }
    let _ = ctx.client.send(send(&original, &fresh_tag())).await;
    let now = read_fresh(ctx, &record_path, Some(&low.name)).await.and_then(|ex| record(ctx, &ex));
    let restored = now.as_ref().and_then(|r| r.get(key)) == Some(&original);
    Some(format!(
        "{method} {path} (its own account) with {{\"{key}\": {}}} → {}; GET {record_path} then shows {key}: {}; {}",
        shown(sent),
        status(&written),
        shown(sent),
        if restored {
            format!("restored: {key} {} written back and read back", shown(&original))
        } else {
            format!("NOT restored: {key} could not be set back to {}", shown(&original))
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn probes_change_free_text_never_ownership_or_privilege() {
        let note = json!({"id": 3, "owner": "bob", "title": "Groceries", "body": "Oat milk"});
        let (field, value) = pick_field(note.as_object().expect("object"), None, "7").expect("a field");
        assert_eq!(field, "title");
        assert_eq!(value, json!("leakprobe write check 7"));
        let profile = json!({"username": "bob", "email": "b@x.io", "role": "member", "user_id": 2});
        assert_eq!(pick_field(profile.as_object().expect("object"), None, "7"), None);
    }

    #[test]
    fn enum_fields_get_another_declared_value() {
        let mut schema = Schema::default();
        let digest = Schema { enum_values: vec![json!("daily"), json!("weekly"), json!("never")], ..Schema::default() };
        schema.properties.insert("digest".into(), digest);
        let record = json!({"account": "TB-1", "digest": "daily"});
        let (field, value) = pick_field(record.as_object().expect("object"), Some(&schema), "1").expect("field");
        assert_eq!((field.as_str(), value), ("digest", json!("weekly")));
    }

    #[test]
    fn put_bodies_carry_the_writable_record_patch_bodies_the_change() {
        let record = json!({"id": 3, "owner": "bob", "title": "Groceries", "body": "Oat milk"});
        let record = record.as_object().expect("object");
        let changes = Map::from_iter([("title".to_string(), json!("x"))]);
        assert_eq!(write_body(&Method::PATCH, record, None, &changes), json!({"title": "x"}));
        assert_eq!(
            write_body(&Method::PUT, record, None, &changes),
            json!({"owner": "bob", "title": "x", "body": "Oat milk"})
        );
    }
}
