//! How the scanner writes without harm, for every phase and check that writes (the exercise
//! phase, `sql_injection`, `mass_assignment`, the write-authorization checks): per-object and
//! per-identity locks, snapshots that make a PUT/PATCH change nothing and put an object back, reads
//! that bypass the probe cache, the caller's own records, and the API's own words for privilege.
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};

use reqwest::Method;
use serde_json::{Map, Value};

use crate::client::{Exchange, Probe};
use crate::context::ScanContext;
use crate::discovery::data_lines;
use crate::discovery::openapi::Schema;
use crate::inventory::{fill_template, Endpoint};
use crate::requests::{Body, WellFormed};
use crate::survey::{has_content, identifying_values, json_body, normalise, unwrap};

pub(crate) type ObjectLocks = std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>;

pub(crate) static LOCKS: LazyLock<ObjectLocks> = LazyLock::new(Default::default);

/// Holds the object at `path` (on this scan's origin) for one read–write–read-back–restore cycle,
/// so two checks writing at the same time never read each other's probe values as originals.
pub(crate) async fn lock_object(ctx: &ScanContext, path: &str) -> tokio::sync::OwnedMutexGuard<()> {
    let key = format!("{}{}", ctx.client.base().origin().ascii_serialization(), path.split('?').next().unwrap_or(path));
    let lock = LOCKS.lock().unwrap_or_else(|p| p.into_inner()).entry(key).or_default().clone();
    lock.lock_owned().await
}

/// Holds an identity's own account while a probe may change its privileges (mass assignment on
/// its records, a role change on its account), so one probe never takes another's raised role for
/// the original it must restore. Taken before any object lock.
pub(crate) async fn lock_identity(ctx: &ScanContext, name: &str) -> tokio::sync::OwnedMutexGuard<()> {
    lock_object(ctx, &format!("/~identity/{name}")).await
}

/// A PUT/PATCH made harmless: the object's current values for the fields the request sends, read
/// as the caller just before.
pub(crate) struct Snapshot {
    /// The request with the object's own values: sending it changes nothing (an idempotent
    /// write), sending it after a probe puts the object back.
    pub unchanged: WellFormed,
    who: Option<String>,
}

impl Snapshot {
    /// The write that puts the object back (a distinct probe each time: never a cache hit).
    pub(crate) fn restoring(&self) -> Probe {
        let probe = self.unchanged.probe().header("X-Leakprobe-Restore", &fresh_tag());
        match &self.who {
            Some(name) => probe.as_identity(name),
            None => probe,
        }
    }
}

/// Reads what `request` (a PUT or PATCH) would change. `None` when the caller cannot read the
/// object or the request sends none of its fields: then the write cannot be undone and must not
/// be sent.
pub(crate) async fn snapshot(ctx: &ScanContext, request: &WellFormed, who: Option<&str>) -> Option<Snapshot> {
    if !matches!(request.method, Method::PUT | Method::PATCH) {
        return None;
    }
    let body = request.body.as_ref()?;
    let Value::Object(sent) = &body.value else { return None };
    let current = read_fresh(ctx, &request.target(), who).await.and_then(|ex| record(ctx, &ex))?;
    // PUT replaces the whole object: every writable field goes back, not only those the request
    // named (an optional field left out would be reset to its default).
    let mut keys: BTreeSet<&String> = sent.keys().collect();
    if request.method == Method::PUT {
        match request_schema(ctx, &request.template, &request.method) {
            Some(schema) => keys.extend(schema.properties.iter().filter(|(_, p)| !p.read_only).map(|(k, _)| k)),
            None => keys.extend(current.keys().filter(|k| normalise(k) != "id")),
        }
    }
    let own: Map<String, Value> =
        keys.into_iter().filter_map(|k| Some((k.clone(), current.get(k).filter(|v| !v.is_null())?.clone()))).collect();
    if own.is_empty() {
        return None;
    }
    let mut unchanged = request.clone();
    unchanged.body = Some(Body { encoding: body.encoding, value: Value::Object(own) });
    Some(Snapshot { unchanged, who: who.map(str::to_string) })
}

/// A distinct tag per read-back, so the client's cache never answers a read made after a write.
pub(crate) fn fresh_tag() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("{}", N.fetch_add(1, Ordering::Relaxed))
}

/// GET `path` as `identity`, never from the cache.
pub(crate) async fn read_fresh(ctx: &ScanContext, path: &str, identity: Option<&str>) -> Option<Arc<Exchange>> {
    let mut probe = Probe::get(path.to_string()).header("X-Leakprobe-Read", &fresh_tag());
    if let Some(name) = identity {
        probe = probe.as_identity(name);
    }
    ctx.client.send(probe).await.ok()
}

/// The JSON object an answer carries (inside a `{"data": …}` wrapper), if it has content.
pub(crate) fn record(ctx: &ScanContext, ex: &Exchange) -> Option<Map<String, Value>> {
    if !has_content(ctx, ex) {
        return None;
    }
    unwrap(&*json_body(ex)?).as_object().cloned()
}

/// The items of a list answer: a top-level array, or the one array inside an object
/// (`{"users": […]}`, `{"items": […], "total": 3}`).
pub(crate) fn items(value: &Value) -> Option<&Vec<Value>> {
    match value {
        Value::Array(items) => Some(items),
        Value::Object(map) => {
            let arrays: Vec<&Vec<Value>> = map.values().filter_map(Value::as_array).collect();
            (arrays.len() == 1).then(|| arrays[0])
        }
        _ => None,
    }
}

/// Whether the scan may write to `template` at all: not a path that ends a session or names a
/// state change beyond the object itself (`/reset`, `/logout`).
pub(crate) fn writable_path(template: &str) -> bool {
    !crate::words::ends_session(template) && !crate::words::names_state_change(template)
}

/// The write method to probe an endpoint with: PATCH (changes one field) before PUT.
pub(crate) fn write_method(endpoint: &Endpoint) -> Option<Method> {
    ["PATCH", "PUT"]
        .into_iter()
        .find(|m| endpoint.methods.contains(*m))
        .and_then(|m| Method::from_bytes(m.as_bytes()).ok())
}

pub(crate) fn request_schema<'a>(ctx: &'a ScanContext, template: &str, method: &Method) -> Option<&'a Schema> {
    let spec = ctx.spec.as_ref()?;
    spec.operations.iter().find(|o| o.path == template && o.method == method.as_str())?.request.as_ref()
}

pub(crate) fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>().replace('+', "%20")
}

/// Values the API itself uses for a property: the spec's enums for properties of that name, then
/// the values its answers carried, each once, in the API's own casing.
pub(crate) fn vocabulary(ctx: &ScanContext, key: &str) -> Vec<String> {
    let want = normalise(key);
    let mut out: Vec<String> = Vec::new();
    let mut push = |v: &str| {
        if !v.is_empty() && v.len() <= 40 && !out.iter().any(|o| o == v) {
            out.push(v.to_string());
        }
    };
    fn walk_schema(schema: &Schema, want: &str, depth: usize, found: &mut Vec<String>) {
        if depth > 6 {
            return;
        }
        for (name, prop) in &schema.properties {
            if normalise(name) == want {
                found.extend(prop.enum_values.iter().filter_map(|v| v.as_str().map(str::to_string)));
                if let Some(items) = &prop.items {
                    found.extend(items.enum_values.iter().filter_map(|v| v.as_str().map(str::to_string)));
                }
            }
            walk_schema(prop, want, depth + 1, found);
        }
        if let Some(items) = &schema.items {
            walk_schema(items, want, depth + 1, found);
        }
    }
    let mut from_spec = Vec::new();
    for op in ctx.spec.iter().flat_map(|s| &s.operations) {
        for schema in op.request.iter().chain(op.response.iter()) {
            walk_schema(schema, &want, 0, &mut from_spec);
        }
    }
    from_spec.iter().for_each(|v| push(v));
    fn walk_json(value: &Value, want: &str, depth: usize, found: &mut Vec<String>) {
        if depth > 5 || found.len() > 20 {
            return;
        }
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    if normalise(k) == want {
                        if let Some(s) = v.as_str() {
                            found.push(s.to_string());
                        }
                    }
                    walk_json(v, want, depth + 1, found);
                }
            }
            Value::Array(items) => items.iter().take(20).for_each(|v| walk_json(v, want, depth + 1, found)),
            _ => {}
        }
    }
    let mut seen = Vec::new();
    for ex in ctx.client.exchanges().iter().filter(|e| e.is_success() && e.is_json()) {
        if let Some(json) = json_body(ex) {
            walk_json(&json, &want, 0, &mut seen);
        }
    }
    seen.iter().for_each(|v| push(v));
    out
}

/// The privileged value to send for `key`: the API's own most privileged word (`ADMIN` where it
/// writes roles in capitals), else `admin` in the casing its other values use.
pub(crate) fn privileged_value(vocabulary: &[String], key: &str) -> Value {
    let k = normalise(key);
    if k.starts_with("is") || k == "admin" {
        return Value::Bool(true);
    }
    for wanted in PRIVILEGED_VALUES {
        if let Some(v) = vocabulary.iter().find(|v| v.eq_ignore_ascii_case(wanted)) {
            return Value::String(v.clone());
        }
    }
    if let Some(v) = vocabulary.iter().find(|v| PRIVILEGED_VALUES.iter().any(|p| v.to_ascii_lowercase().contains(p))) {
        return Value::String(v.clone());
    }
    let upper = vocabulary.iter().any(|v| v.chars().any(char::is_alphabetic) && v.chars().all(|c| !c.is_lowercase()));
    let admin = if upper { "ADMIN" } else { "admin" };
    if k == "roles" || k == "permissions" {
        return Value::Array(vec![Value::String(admin.to_string())]);
    }
    Value::String(admin.to_string())
}

pub(crate) fn is_privileged(template: &str) -> bool {
    crate::words::path_words(template).iter().any(|w| PRIVILEGED_WORDS.contains(w.as_str()))
}

/// The only path parameter of a template.
pub(crate) fn single_param(template: &str) -> Option<&str> {
    let params: Vec<&str> =
        template.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect();
    match params.as_slice() {
        [one] => Some(one),
        _ => None,
    }
}

/// The caller's own value for a path parameter that names a person (`{username}`, `{user_id}`),
/// from its own record: an untemplated GET (`/api/me`) answering with an identifying value of that
/// name (and with `needs`, when given). Returns the record's path, the record and the value.
pub(crate) async fn own_identifier(
    ctx: &ScanContext,
    identity: &str,
    param: &str,
    needs: Option<&str>,
) -> Option<(String, Map<String, Value>, String)> {
    let wanted = normalise(param);
    let candidates = ctx.inventory.endpoints().filter(|e| {
        e.methods.contains("GET") && !e.has_path_params() && !crate::words::names_state_change(&e.template)
    });
    for e in candidates {
        let Some(ex) = ctx.client.send(Probe::get(e.template.clone()).as_identity(identity)).await.ok() else {
            continue;
        };
        let Some(rec) = record(ctx, &ex) else { continue };
        if needs.is_some_and(|k| !rec.contains_key(k)) {
            continue;
        }
        let value = identifying_values(&Value::Object(rec.clone()))
            .into_iter()
            .find(|(k, _)| {
                *k == wanted || (wanted.ends_with("id") && k == "id") || (wanted == "user" && k == "username")
            })
            .map(|(_, v)| v);
        if let Some(v) = value {
            return Some((e.template.clone(), rec, v));
        }
    }
    None
}

/// The caller's own record at a templated path (`PATCH /api/users/{username}` with its own
/// username): person collections whose one parameter the caller's own record fills, readable with
/// GET and writable with PATCH or PUT. For mass assignment, which reads, writes and restores it.
pub(crate) async fn own_object_paths(ctx: &ScanContext, identity: &str) -> Vec<(String, Method)> {
    let mut out = Vec::new();
    let templated = ctx.inventory.endpoints().filter(|e| {
        e.has_path_params()
            && e.methods.contains("GET")
            && e.template.ends_with('}')
            && writable_path(&e.template)
            && !is_privileged(&e.template)
            && crate::words::segments(&e.template).last().is_some_and(|s| PERSON_COLLECTIONS.contains(&s.as_str()))
    });
    for endpoint in templated {
        let (Some(method), Some(param)) = (write_method(endpoint), single_param(&endpoint.template)) else { continue };
        if let Some((_, _, me)) = own_identifier(ctx, identity, param, None).await {
            out.push((fill_template(&endpoint.template, |_| Some(encode(&me))), method));
        }
    }
    out
}

pub(crate) const PRIVILEGED_WRITES: &str = include_str!("../data/privileged-writes.txt");

pub(crate) const PRIVILEGED_PATHS: &str = include_str!("../data/privileged-paths.txt");

/// Path words of admin write functions (`role`, `promote`, `permissions`…) and admin path segments.
pub(crate) static PRIVILEGED_WORDS: LazyLock<BTreeSet<&'static str>> =
    LazyLock::new(|| data_lines(PRIVILEGED_WRITES).chain(data_lines(PRIVILEGED_PATHS)).collect());

/// Path segments naming collections of people: a DELETE there removes somebody's account.
pub(crate) const PERSON_COLLECTIONS: [&str; 8] =
    ["users", "members", "accounts", "customers", "employees", "people", "staff", "admins"];

/// Privileged values, matched case-insensitively against the API's vocabulary.
pub(crate) const PRIVILEGED_VALUES: [&str; 6] = ["admin", "administrator", "superuser", "superadmin", "owner", "root"];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn privileged_values_follow_the_apis_vocabulary() {
        let upper: Vec<String> = ["MEMBER", "MAINTAINER", "ADMIN"].into_iter().map(String::from).collect();
        assert_eq!(privileged_value(&upper, "role"), json!("ADMIN"));
        let lower: Vec<String> = ["member", "admin"].into_iter().map(String::from).collect();
        assert_eq!(privileged_value(&lower, "role"), json!("admin"));
        let capitals_without_admin: Vec<String> = ["READER", "EDITOR"].into_iter().map(String::from).collect();
        assert_eq!(privileged_value(&capitals_without_admin, "role"), json!("ADMIN"));
        let super_admin: Vec<String> = ["user", "super_admin"].into_iter().map(String::from).collect();
        assert_eq!(privileged_value(&super_admin, "role"), json!("super_admin"));
        assert_eq!(privileged_value(&[], "is_admin"), json!(true));
    }

    #[test]
    fn admin_write_paths_are_recognised() {
        assert!(is_privileged("/api/users/{username}/role"));
        assert!(is_privileged("/admin/users/{id}/promote"));
        assert!(is_privileged("/api/users/{id}/permissions"));
        assert!(!is_privileged("/api/notes/{note_id}"));
        assert!(!is_privileged("/api/profile"));
    }

    #[test]
    fn list_items_are_found_in_wrappers() {
        assert_eq!(items(&json!({"users": [{"id": 1}], "total": 1})).map(Vec::len), Some(1));
        assert_eq!(items(&json!([{"id": 1}, {"id": 2}])).map(Vec::len), Some(2));
        assert!(items(&json!({"id": 1, "name": "x"})).is_none());
    }
}
