//! Where an id travels in a request: a path parameter or a query parameter (`?account_id=`), and
//! the helpers that read and replace it.
use super::{normalise, KEYS};
use crate::inventory::{Endpoint, ParamLocation};

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
}
