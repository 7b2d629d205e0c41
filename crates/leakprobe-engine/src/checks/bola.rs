//! `bola`: object-level authorization. Objects that belong to one identity, requested by another.
//!
//! With two or more identities ([`CROSS_IDENTITY`]) every identity's own objects are found in its
//! own responses (ids and links in what only it receives) and requested by the others; with one
//! identity or none ([`ID_ENUMERATION`]) ids next to observed ones are tried. Bodies decide, never
//! status codes: a 200 that carries nobody's data, or the same public data for every id, is not an
//! object the caller was denied.
//!
//! What each identity owns, and how every caller sees each endpoint, comes from the survey
//! ([`crate::survey`]); this check sends only the object reads it alone needs. Ids go into path
//! parameters and into id-like query parameters (`?account_id=`, `?user=`).
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::stream::{self, StreamExt};

use super::{CheckInfo, Hit, Runner, Status};
use crate::client::{status, Exchange, Probe};
use crate::context::ScanContext;
use crate::identity::Identity;
use crate::inventory::{Endpoint, ParamLocation};
use crate::report::{Category, Confidence, Severity};
use crate::schedule::SkipReason;
use crate::survey::{
    critical_pii, differs, has_content, identifying_summary, is_personal, last_param, owned_by, people_collection,
    replace_last_param, same_object, slot_name, slot_value, slots, with_slot, Own, Slot,
};

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

/// Object paths tried per identity (links and ids from its own responses, spec examples).
const MAX_CANDIDATES: usize = 10;
/// Neighbouring ids tried per template when enumerating: short ranges only.
const NEIGHBOURS: [i64; 3] = [1, -1, 2];

/// An object path as one identity received it.
struct Object {
    template: String,
    path: String,
    slot: Slot,
    /// The id at the slot.
    id: String,
    reader: String,
    exchange: Arc<Exchange>,
    /// Its body carries the reader's identifying values (an e-mail, a username, an owner id).
    owned: bool,
}

fn cross_identity(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        let identities: Vec<Identity> = ctx.survey.identities.clone();
        if identities.len() < 2 {
            ctx.skip(&CROSS_IDENTITY, SkipReason::NeedsTwoIdentities, templated(ctx));
            return Vec::new();
        }
        let own = &ctx.survey.own;
        // Each identity reads, the others try it, anonymous tries it, a neighbour proves it distinct.
        let templates = ctx.plan_costing(&CROSS_IDENTITY, templated(ctx), 2 * identities.len() + 1);
        let objects = read_objects(ctx, &templates, &identities, own).await;

        let mut best: BTreeMap<String, (u8, Hit)> = BTreeMap::new();
        for object in &objects {
            for attacker in identities.iter().filter(|i| i.name != object.reader && !i.is_admin()) {
                let Ok(theirs) = ctx.client.send(Probe::get(object.path.clone()).as_identity(&attacker.name)).await
                else {
                    continue;
                };
                // The attacker's own values in it: the endpoint answers with the caller's own
                // view, or the object is shared with them.
                let attacker_values = own.get(&attacker.name).map(|o| o.values.clone()).unwrap_or_default();
                if !has_content(ctx, &theirs)
                    || !same_object(&object.exchange, &theirs)
                    || owned_by(&theirs, &attacker_values, &object.template)
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
                // One finding per template, the best proof kept; the personal data of every
                // instance merged.
                let slot = best.entry(object.template.clone()).or_insert_with(|| (0, hit.clone()));
                let mut merged: BTreeSet<_> = slot.1.pii_types.iter().chain(&hit.pii_types).copied().collect();
                if rank > slot.0 || (rank == slot.0 && hit.severity > slot.1.severity) {
                    *slot = (rank, hit);
                }
                slot.1.pii_types = std::mem::take(&mut merged).into_iter().collect();
                if slot.0 == 2 && critical_pii(&slot.1.pii_types) {
                    slot.1.severity = Severity::Critical;
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
        let path = with_slot(&object.template, &object.path, &object.slot, &id.to_string())?;
        let Ok(ex) = ctx.client.send(Probe::get(path.clone()).as_identity(&object.reader)).await else { continue };
        if has_content(ctx, &ex) && differs(&object.exchange, &object.id, &ex, &id.to_string()) {
            return Some(format!("{path} holds a different object"));
        }
    }
    None
}

/// Object paths to try for each identity, read as that identity: links from its own responses,
/// its ids in the id slots of templated endpoints (best-matching first), and the samples.
async fn read_objects(
    ctx: &ScanContext,
    templates: &[&Endpoint],
    identities: &[Identity],
    own: &BTreeMap<String, Own>,
) -> Vec<Object> {
    // Room for one try per planned template beyond the links, however many were planned.
    let per_identity = MAX_CANDIDATES.max(templates.len() + MAX_CANDIDATES / 2);
    let empty = Own::default();
    let mut tries: Vec<(String, String, Slot, String)> = Vec::new();
    for identity in identities {
        let mine = own.get(&identity.name).unwrap_or(&empty);
        let mut paths: Vec<(String, Slot)> =
            mine.links.iter().take(MAX_CANDIDATES / 2).map(|l| (l.clone(), Slot::Path)).collect();
        let mut ranked: Vec<(u8, String, Slot)> = Vec::new();
        for endpoint in templates {
            for slot in slots(endpoint) {
                for (key, value) in &mine.ids {
                    if !fits(endpoint, &slot, value) {
                        continue;
                    }
                    if let Some(path) = with_slot(&endpoint.template, &endpoint.sample_path(), &slot, value) {
                        ranked.push((affinity(&endpoint.template, &slot, key), path, slot.clone()));
                    }
                }
            }
        }
        ranked.sort_by_key(|r| std::cmp::Reverse(r.0));
        paths.extend(ranked.into_iter().map(|(_, p, s)| (p, s)));
        for endpoint in templates {
            if let Some(slot) = slots(endpoint).into_iter().next() {
                paths.push((endpoint.sample_path(), slot));
            }
        }
        let mut seen = BTreeSet::new();
        paths.retain(|(p, _)| seen.insert(p.clone()));
        tries.extend(paths.into_iter().take(per_identity).map(|(p, s)| {
            let template = ctx.inventory.template_of(p.split('?').next().unwrap_or(&p));
            (identity.name.clone(), p, s, template)
        }));
    }
    let fetched: Vec<Option<Object>> = stream::iter(tries)
        .map(|(reader, path, slot, template)| async move {
            let ex = ctx.client.send(Probe::get(path.clone()).as_identity(&reader)).await.ok()?;
            if !has_content(ctx, &ex) {
                return None;
            }
            let id = slot_value(&template, &slot, &path)?;
            let values = own.get(&reader).map(|o| o.values.clone()).unwrap_or_default();
            let owned = owned_by(&ex, &values, &template);
            Some(Object { template, path, slot, id, reader, exchange: ex, owned })
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

/// GET endpoints that address objects by id, in a path parameter or an id-like query parameter.
fn templated(ctx: &ScanContext) -> impl Iterator<Item = &Endpoint> {
    ctx.inventory
        .endpoints()
        .filter(|e| e.methods.contains("GET") && !slots(e).is_empty() && !crate::words::names_state_change(&e.template))
}

/// Whether an id value may go into the slot.
fn fits(endpoint: &Endpoint, slot: &Slot, value: &str) -> bool {
    let Some(name) = slot_name(&endpoint.template, slot) else { return false };
    let numeric = value.bytes().all(|b| b.is_ascii_digit());
    let location = if matches!(slot, Slot::Path) { ParamLocation::Path } else { ParamLocation::Query };
    let declared = endpoint.params.iter().find(|p| p.location == location && p.name == name);
    match declared.and_then(|p| p.kind.as_deref()) {
        Some("integer" | "number") => numeric,
        _ => true,
    }
}

/// How well an id's key matches the slot: `user_id` into `/users/{id}` or `?user_id=` first.
fn affinity(template: &str, slot: &Slot, key: &str) -> u8 {
    let name = slot_name(template, slot).map(crate::survey::normalise).unwrap_or_default();
    let stem = key.strip_suffix("id").unwrap_or(key);
    let named =
        name == key || (!stem.is_empty() && name.len() > 2 && (name.starts_with(stem) || stem.starts_with(&name)));
    if named && name != "id" {
        return 3;
    }
    if let Slot::Query(_) = slot {
        return u8::from(key == "id");
    }
    let collection =
        template.split('/').rev().skip_while(|s| !s.starts_with('{')).nth(1).unwrap_or("").to_ascii_lowercase();
    if !stem.is_empty() && collection.starts_with(stem) {
        3
    } else if key == "id" && people_collection(&collection) {
        2
    } else if key == "id" {
        1
    } else {
        0
    }
}

fn id_enumeration(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        let identities = &ctx.survey.identities;
        if identities.len() >= 2 {
            return Vec::new(); // bola_cross_identity has the stronger proof
        }
        let caller = identities.first().cloned();
        if caller.as_ref().is_some_and(Identity::is_admin) {
            return Vec::new(); // an admin may read everybody's objects
        }
        let own = caller.as_ref().map(|i| ctx.survey.own_of(&i.name)).unwrap_or_default();
        let name = caller.as_ref().map(|i| i.name.clone());
        let as_caller = |path: String| {
            let probe = Probe::get(path);
            match &name {
                Some(n) => probe.as_identity(n),
                None => probe,
            }
        };
        let mut hits = Vec::new();
        let with_path_ids = templated(ctx).filter(|e| e.has_path_params());
        for endpoint in ctx.plan_costing(&ID_ENUMERATION, with_path_ids, NEIGHBOURS.len()) {
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
        own.ids.iter().filter_map(|(k, v)| Some((affinity(&endpoint.template, &Slot::Path, k), numeric(v)?))).collect();
    owned.sort_by_key(|o| std::cmp::Reverse(o.0));
    owned
        .first()
        .map(|(_, n)| *n)
        .or_else(|| endpoint.examples.iter().find_map(|e| last_param(&endpoint.template, e).and_then(|v| numeric(&v))))
        .or_else(|| last_param(&endpoint.template, &endpoint.sample_path()).and_then(|v| numeric(&v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_go_to_the_slots_they_name() {
        let path = |t| affinity(t, &Slot::Path, "userid");
        assert!(path("/api/users/{user_id}") > path("/api/orders/{id}"));
        assert!(affinity("/profiles/{id}", &Slot::Path, "id") > affinity("/products/{id}", &Slot::Path, "id"));
        assert_eq!(affinity("/accounts/{account_number}", &Slot::Path, "accountnumber"), 3);
        let query = Slot::Query("account_id".into());
        assert!(affinity("/api/statements", &query, "accountid") > affinity("/api/statements", &query, "userid"));
    }
}
