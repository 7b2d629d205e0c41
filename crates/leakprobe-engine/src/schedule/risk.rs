//! How promising an endpoint is, from what discovery learned about it: the scheduler spends the
//! request budget on the riskiest endpoints first.
//!
//! The signals are the ones leaks are found behind in practice: an endpoint that already returned
//! personal data, a spec that declares sensitive properties in its answer, an authentication flow,
//! a parameter that takes a URL (SSRF), and object ids (BOLA, enumeration).
use std::collections::BTreeSet;
use std::sync::LazyLock;

use crate::discovery::data_lines;
use crate::discovery::openapi::{ApiSpec, Schema};
use crate::inventory::{Endpoint, ParamLocation};

const AUTH_FLOW_WORDS: &str = include_str!("../../data/auth-flow-words.txt");
const SENSITIVE_PROPERTIES: &str = include_str!("../../data/sensitive-properties.tsv");

/// How deep into a declared response schema sensitive properties are looked for.
const MAX_SCHEMA_DEPTH: usize = 6;

static AUTH_WORDS: LazyLock<BTreeSet<&'static str>> = LazyLock::new(|| data_lines(AUTH_FLOW_WORDS).collect());
static SENSITIVE_NAMES: LazyLock<BTreeSet<String>> = LazyLock::new(|| {
    data_lines(SENSITIVE_PROPERTIES).filter_map(|l| l.split('\t').next()).map(crate::words::squash).collect()
});

/// What makes one endpoint worth probing before another; the weights order them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Signals {
    /// Its discovery answer carried personal data or secrets (the detector said so).
    pub returned_pii: bool,
    /// The spec declares sensitive properties (SSNs, password hashes, card numbers…) in its answer.
    pub sensitive_schema: bool,
    /// A path word names an authentication flow (login, register, reset, token, password…).
    pub auth_flow: bool,
    /// A parameter takes a URL the server may fetch.
    pub takes_url: bool,
    /// It addresses objects by id (path parameters, `id`/`*_id` query parameters).
    pub carries_ids: bool,
}

impl Signals {
    /// Higher is riskier. What the target has shown outweighs what names suggest.
    pub fn weight(self) -> u32 {
        u32::from(self.returned_pii) * 8
            + u32::from(self.sensitive_schema) * 6
            + u32::from(self.auth_flow) * 4
            + u32::from(self.takes_url) * 4
            + u32::from(self.carries_ids) * 2
    }
}

/// The signals discovery can read without sending anything (all but `returned_pii`).
pub fn signals(endpoint: &Endpoint, spec: Option<&ApiSpec>) -> Signals {
    Signals {
        returned_pii: false,
        sensitive_schema: spec.is_some_and(|s| declares_sensitive(endpoint, s)),
        auth_flow: is_auth_flow(&endpoint.template),
        takes_url: endpoint.params.iter().any(|p| crate::words::is_url_param(&p.name))
            || endpoint.bodies.iter().flat_map(|b| &b.fields).any(|f| crate::words::is_url_param(&f.name)),
        carries_ids: endpoint.has_path_params()
            || endpoint.params.iter().any(|p| p.location == ParamLocation::Query && is_id_name(&p.name))
            || endpoint.examples.iter().any(|e| query_names(e).any(is_id_name)),
    }
}

/// `endpoints` riskiest first; equally risky ones keep their order (alphabetical, from the
/// inventory), so the order is the same on every run.
pub fn by_risk<'a>(endpoints: impl IntoIterator<Item = &'a Endpoint>, spec: Option<&ApiSpec>) -> Vec<&'a Endpoint> {
    let mut ranked: Vec<(u32, &Endpoint)> = endpoints.into_iter().map(|e| (signals(e, spec).weight(), e)).collect();
    ranked.sort_by_key(|r| std::cmp::Reverse(r.0));
    ranked.into_iter().map(|(_, e)| e).collect()
}

/// `ranked` (riskiest first, equal weights in inventory order) reordered so that its first `room`
/// items are the ones to spend on: whole risk levels while they fit, then the level that does not
/// fit sampled evenly across the API instead of cut after its first paths in alphabetical order
/// (on a large API those would all be one corner of it). The items left out follow, in rank order.
pub fn spread<T>(ranked: Vec<(u32, T)>, room: usize) -> Vec<T> {
    if ranked.len() <= room {
        return ranked.into_iter().map(|(_, t)| t).collect();
    }
    let mut chosen = Vec::with_capacity(ranked.len());
    let mut left_out = Vec::new();
    let mut items = ranked.into_iter().peekable();
    while let Some((weight, first)) = items.next() {
        let mut level = vec![first];
        while let Some((_, t)) = items.next_if(|(w, _)| *w == weight) {
            level.push(t);
        }
        let left = room - chosen.len();
        if level.len() <= left {
            chosen.extend(level);
            continue;
        }
        // Evenly spaced picks: item `i * len / left` for i in 0..left (distinct since left < len).
        let len = level.len();
        let mut next = 0;
        for (index, t) in level.into_iter().enumerate() {
            if next < left && index == next * len / left {
                chosen.push(t);
                next += 1;
            } else {
                left_out.push(t);
            }
        }
        left_out.extend(items.by_ref().map(|(_, t)| t));
    }
    chosen.extend(left_out);
    chosen
}

/// A path segment word names an authentication flow. Whole words only: `/presets` is not a reset,
/// `/tokenizer` is not a token.
pub fn is_auth_flow(template: &str) -> bool {
    template
        .split('/')
        .filter(|seg| !seg.starts_with('{'))
        .flat_map(crate::words::words)
        .any(|w| AUTH_WORDS.contains(w.as_str()))
}

fn is_id_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "id" || lower.ends_with("_id") || lower.ends_with("-id") || (name.ends_with("Id") && name.len() > 2)
}

fn query_names(example: &str) -> impl Iterator<Item = &str> {
    example
        .split_once('?')
        .map(|(_, q)| q)
        .unwrap_or("")
        .split('&')
        .filter_map(|pair| pair.split('=').next())
        .filter(|n| !n.is_empty())
}

fn declares_sensitive(endpoint: &Endpoint, spec: &ApiSpec) -> bool {
    spec.operations
        .iter()
        .filter(|op| op.path == endpoint.template)
        .filter_map(|op| op.response.as_ref())
        .any(|schema| has_sensitive_property(schema, 0))
}

fn has_sensitive_property(schema: &Schema, depth: usize) -> bool {
    if depth > MAX_SCHEMA_DEPTH {
        return false;
    }
    schema.properties.iter().any(|(name, inner)| {
        SENSITIVE_NAMES.contains(&crate::words::squash(name)) || has_sensitive_property(inner, depth + 1)
    }) || schema.items.as_deref().is_some_and(|items| has_sensitive_property(items, depth + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{Inventory, Param, Source};

    #[test]
    fn auth_flow_words_are_whole_words() {
        assert!(is_auth_flow("/api/auth/login"));
        assert!(is_auth_flow("/users/{id}/reset-password"));
        assert!(is_auth_flow("/account/resetPassword"));
        assert!(is_auth_flow("/oauth/token"));
        assert!(!is_auth_flow("/api/presets"));
        assert!(!is_auth_flow("/tokenizer/run"));
        assert!(!is_auth_flow("/catalog/{reset}"));
        assert!(!is_auth_flow("/blog/posts"));
    }

    #[test]
    fn url_and_id_parameters_are_signals() {
        let mut inv = Inventory::default();
        inv.add_seen("/proxy?target_url=http://x", "GET", Source::Link).params.insert(Param {
            name: "callbackUrl".into(),
            location: ParamLocation::Query,
            kind: None,
            example: None,
        });
        inv.add_seen("/orders?customer_id=4", "GET", Source::Link);
        inv.add_seen("/about", "GET", Source::Link);
        let by_template = |t: &str| inv.endpoints().find(|e| e.template == t).map(|e| signals(e, None));
        assert!(by_template("/proxy").is_some_and(|s| s.takes_url));
        assert!(by_template("/orders").is_some_and(|s| s.carries_ids && !s.takes_url));
        assert_eq!(by_template("/about").map(Signals::weight), Some(0));
    }

    #[test]
    fn what_the_target_showed_outranks_names() {
        let pii = Signals { returned_pii: true, ..Default::default() };
        let named = Signals { auth_flow: true, carries_ids: true, ..Default::default() };
        assert!(pii.weight() > named.weight());
        let schema = Signals { sensitive_schema: true, ..Default::default() };
        assert!(schema.weight() > Signals { carries_ids: true, ..Default::default() }.weight());
    }

    #[test]
    fn ties_keep_inventory_order() {
        let mut inv = Inventory::default();
        for p in ["/a", "/b/{id}", "/c", "/login", "/d/{id}"] {
            inv.add_declared(p, "get");
        }
        let order: Vec<&str> = by_risk(inv.endpoints(), None).iter().map(|e| e.template.as_str()).collect();
        assert_eq!(order, ["/login", "/b/{id}", "/d/{id}", "/a", "/c"]);
    }
}
