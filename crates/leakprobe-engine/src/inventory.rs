//! The inventory: endpoints as path templates (`/users/7` → `/users/{id}`) with their methods,
//! parameters, concrete examples and where we learned of them.
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Root,
    Spec,
    Link,
    Robots,
    Sitemap,
    Wordlist,
    /// An HTML `<form>` (action, method, enctype, its inputs).
    Form,
    /// A URL or API path in inline or same-origin JavaScript.
    Script,
    /// Documentation rendered as text: `POST /api/orders` lines, paths in `<pre>`/`<code>`.
    Docs,
    /// A guess derived from what was found (a second-level path under a known prefix, a version
    /// sibling), kept only because it passed the soft-404 model.
    Guess,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Root => "root",
            Source::Spec => "spec",
            Source::Link => "link",
            Source::Robots => "robots",
            Source::Sitemap => "sitemap",
            Source::Wordlist => "wordlist",
            Source::Form => "form",
            Source::Script => "script",
            Source::Docs => "docs",
            Source::Guess => "guess",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamLocation {
    Path,
    Query,
    Header,
    Body,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Param {
    pub name: String,
    pub location: ParamLocation,
    /// Declared type (`integer`, `string`…) when the spec says.
    pub kind: Option<String>,
    pub example: Option<String>,
}

/// How a request body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyEncoding {
    Json,
    /// `application/x-www-form-urlencoded`
    Form,
    /// `multipart/form-data`
    Multipart,
}

/// A request body the endpoint is known to accept, learned from an HTML form or a documented
/// example. Spec request schemas stay in [`crate::discovery::openapi::Operation::request`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BodyTemplate {
    pub method: String,
    pub encoding: BodyEncoding,
    /// The fields (location [`ParamLocation::Body`]): name, declared type (`email`, `password`,
    /// `hidden`, `number`…) and the value the page or document gives, if any.
    pub fields: Vec<Param>,
    /// A whole documented JSON example, as written next to the path.
    pub example: Option<serde_json::Value>,
    pub source: Source,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Endpoint {
    pub template: String,
    pub methods: BTreeSet<String>,
    pub params: BTreeSet<Param>,
    /// Concrete paths (with query when seen) that are known to exist, first seen first.
    pub examples: Vec<String>,
    pub sources: BTreeSet<Source>,
    /// The spec declares a security requirement for some operation here.
    pub security_declared: bool,
    pub deprecated: bool,
    /// Bodies it is known to accept (forms, documented examples), one per method and source.
    pub bodies: Vec<BodyTemplate>,
}

impl Endpoint {
    /// A concrete path to request: a seen example, or the template with example values filled in.
    pub fn sample_path(&self) -> String {
        if let Some(first) = self.examples.first() {
            return first.clone();
        }
        fill_template(&self.template, |name| {
            self.params
                .iter()
                .find(|p| p.location == ParamLocation::Path && p.name == name)
                .and_then(|p| p.example.clone())
        })
    }

    pub fn has_path_params(&self) -> bool {
        self.template.contains('{')
    }
}

const MAX_EXAMPLES: usize = 5;

#[derive(Debug, Default)]
pub struct Inventory {
    endpoints: BTreeMap<String, Endpoint>,
}

impl Inventory {
    /// Records a concrete path (query allowed) seen answering; folds it into its template.
    pub fn add_seen(&mut self, path_and_query: &str, method: &str, source: Source) -> &mut Endpoint {
        let path = path_and_query.split(['?', '#']).next().unwrap_or("/");
        let template = self.template_of(path);
        let endpoint = self.entry(&template);
        endpoint.methods.insert(method.to_string());
        endpoint.sources.insert(source);
        if endpoint.examples.len() < MAX_EXAMPLES && !endpoint.examples.iter().any(|e| e == path_and_query) {
            endpoint.examples.push(path_and_query.to_string());
        }
        endpoint
    }

    /// Records a spec template (`/users/{user_id}`) as declared.
    pub fn add_declared(&mut self, template: &str, method: &str) -> &mut Endpoint {
        let endpoint = self.entry(template);
        endpoint.methods.insert(method.to_ascii_uppercase());
        endpoint.sources.insert(Source::Spec);
        endpoint
    }

    fn entry(&mut self, template: &str) -> &mut Endpoint {
        self.endpoints
            .entry(template.to_string())
            .or_insert_with(|| Endpoint { template: template.to_string(), ..Default::default() })
    }

    /// The template a concrete path belongs to: a known template that matches it (spec templates
    /// keep their parameter names), or the path with id-like segments folded to `{id}`.
    pub fn template_of(&self, path: &str) -> String {
        if self.endpoints.contains_key(path) {
            return path.to_string();
        }
        let segments: Vec<&str> = path.split('/').collect();
        let known = self.endpoints.keys().find(|t| {
            let ts: Vec<&str> = t.split('/').collect();
            t.contains('{')
                && ts.len() == segments.len()
                && ts.iter().zip(&segments).all(|(t, s)| t == s || (t.starts_with('{') && t.ends_with('}')))
        });
        match known {
            Some(t) => t.clone(),
            None => fold_path(path),
        }
    }

    pub fn endpoints(&self) -> impl Iterator<Item = &Endpoint> {
        self.endpoints.values()
    }

    pub fn len(&self) -> usize {
        self.endpoints.len()
    }

    pub fn is_empty(&self) -> bool {
        self.endpoints.is_empty()
    }

    pub fn from_spec(&self) -> usize {
        self.endpoints.values().filter(|e| e.sources.contains(&Source::Spec)).count()
    }
}

/// `/users/7/orders/3f2a…` → `/users/{id}/orders/{id}`.
pub fn fold_path(path: &str) -> String {
    path.split('/')
        .map(|seg| if is_id_segment(seg) { "{id}" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

fn is_id_segment(seg: &str) -> bool {
    if seg.is_empty() {
        return false;
    }
    let all_digits = seg.bytes().all(|b| b.is_ascii_digit());
    let uuid = seg.len() == 36
        && seg.bytes().enumerate().all(|(i, b)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                b == b'-'
            } else {
                b.is_ascii_hexdigit()
            }
        });
    let hex = seg.len() >= 16 && seg.bytes().all(|b| b.is_ascii_hexdigit());
    // Opaque tokens (Mongo ids, hashids, ulids) mix digits and letters and are long.
    let opaque = seg.len() >= 20
        && seg.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && seg.bytes().any(|b| b.is_ascii_digit())
        && seg.bytes().any(|b| b.is_ascii_alphabetic());
    all_digits || uuid || hex || opaque
}

/// Replaces each `{name}` with `value(name)`, or `1` when there is no example.
pub fn fill_template(template: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else { break };
        out.push_str(&rest[..open]);
        let name = &rest[open + 1..open + close];
        out.push_str(&value(name).unwrap_or_else(|| "1".to_string()));
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_fold_into_templates() {
        assert_eq!(fold_path("/users/7"), "/users/{id}");
        assert_eq!(fold_path("/users/550e8400-e29b-41d4-a716-446655440000/orders"), "/users/{id}/orders");
        assert_eq!(fold_path("/api/v1/health"), "/api/v1/health");
        assert_eq!(fold_path("/blobs/9f86d081884c7d659a2feaa0c55ad015"), "/blobs/{id}");
        assert_eq!(fold_path("/static/app.js"), "/static/app.js");
    }

    #[test]
    fn seen_paths_join_spec_templates() {
        let mut inv = Inventory::default();
        inv.add_declared("/users/{user_id}", "get");
        inv.add_seen("/users/42", "GET", Source::Link);
        inv.add_seen("/users/43?expand=1", "GET", Source::Link);
        assert_eq!(inv.len(), 1);
        let e = inv.endpoints().next().expect("one endpoint");
        assert_eq!(e.template, "/users/{user_id}");
        assert_eq!(e.examples, vec!["/users/42", "/users/43?expand=1"]);
        assert_eq!(e.sample_path(), "/users/42");
    }

    #[test]
    fn templates_fill_with_examples() {
        assert_eq!(fill_template("/a/{x}/b/{y}", |n| (n == "x").then(|| "9".into())), "/a/9/b/1");
    }
}
