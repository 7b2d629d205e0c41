//! The inventory: endpoints as path templates (`/users/7` → `/users/{id}`) with their methods,
//! parameters, concrete examples and where we learned of them.
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;

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

    /// Query parameters known for the endpoint, with an example value when one is known: the
    /// names in seen URLs first (their values are real), then those the spec declares.
    pub fn query_examples(&self) -> Vec<(String, Option<String>)> {
        let mut out: Vec<(String, Option<String>)> = Vec::new();
        for example in &self.examples {
            let Some((_, query)) = example.split_once('?') else { continue };
            for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
                if !out.iter().any(|(n, _)| *n == k) {
                    out.push((k.into_owned(), Some(v.into_owned())));
                }
            }
        }
        for p in self.params.iter().filter(|p| p.location == ParamLocation::Query) {
            if !out.iter().any(|(n, _)| *n == p.name) {
                out.push((p.name.clone(), p.example.clone()));
            }
        }
        out
    }

    /// The endpoint's concrete path without any query.
    pub fn base_path(&self) -> String {
        let sample = self.sample_path();
        sample.split(['?', '#']).next().unwrap_or("/").to_string()
    }
}

/// `path` with `query` appended, form-encoded.
pub fn with_query(path: &str, query: &[(String, String)]) -> String {
    if query.is_empty() {
        return path.to_string();
    }
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in query {
        ser.append_pair(k, v);
    }
    format!("{path}?{}", ser.finish())
}

const MAX_EXAMPLES: usize = 5;

#[derive(Debug, Default)]
pub struct Inventory {
    endpoints: BTreeMap<String, Endpoint>,
    /// Templates already matched, by path and strictness, since the inventory last changed: the
    /// analysis asks for the template of the same paths many times, and each answer costs a pass
    /// over every endpoint (thousands on a large API). Emptied by every `&mut self` method.
    matched: Mutex<HashMap<(String, bool), String>>,
}

impl Inventory {
    /// Forgets [`Inventory::matched`]: called first by every method that may change an endpoint.
    fn changing(&mut self) {
        self.matched.get_mut().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// Records a concrete path (query allowed) seen answering; folds it into its template.
    pub fn add_seen(&mut self, path_and_query: &str, method: &str, source: Source) -> &mut Endpoint {
        self.changing();
        let path = path_and_query.split(['?', '#']).next().unwrap_or("/");
        let template = self.match_uncached(path, true);
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
        self.changing();
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

    /// Records a path learned from a page, a script, documentation or a guess, after it passed the
    /// soft-404 models. `declared` may hold placeholders (`/users/{user_id}`, from a template literal
    /// or a doc line); `concrete` is the path (and query) that was requested for it.
    pub fn add_found(&mut self, declared: &str, concrete: &str, method: &str, source: Source) -> &mut Endpoint {
        self.changing();
        let path = concrete.split(['?', '#']).next().unwrap_or("/");
        let known = self.match_uncached(path, true);
        let template = if declared.contains('{') && !self.endpoints.contains_key(&known) {
            let declared_path = declared.split(['?', '#']).next().unwrap_or("/");
            fold_path(declared_path)
        } else {
            known
        };
        let endpoint = self.entry(&template);
        endpoint.methods.insert(method.to_ascii_uppercase());
        endpoint.sources.insert(source);
        if endpoint.examples.len() < MAX_EXAMPLES && !endpoint.examples.iter().any(|e| e == concrete) {
            endpoint.examples.push(concrete.to_string());
        }
        endpoint
    }

    /// The endpoint a template names exactly, if known.
    pub fn get_mut(&mut self, template: &str) -> Option<&mut Endpoint> {
        self.changing();
        self.endpoints.get_mut(template)
    }

    /// The template a concrete path belongs to, for a response or a probe: the path itself when it
    /// is an endpoint, a known template one of whose examples it is or whose placeholders it fills
    /// (with any value: a probe's `leakprobe'"` is still `/users/{id}`; `/items/search` is its own
    /// endpoint only when discovery found it as one), or the path with id-like segments folded.
    pub fn template_of(&self, path: &str) -> String {
        self.match_template(path, false)
    }

    /// The template a newly seen path joins. Stricter than [`Self::template_of`]: only id-like
    /// values fill a placeholder (spec templates also take what their declared type allows), so
    /// `/items/search` stays itself whether it arrives before or after `/items/7`.
    pub fn template_for_new(&self, path: &str) -> String {
        self.match_template(path, true)
    }

    fn match_template(&self, path: &str, strict: bool) -> String {
        if self.endpoints.contains_key(path) {
            return path.to_string();
        }
        let key = (path.to_string(), strict);
        if let Some(template) = self.matched.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return template.clone();
        }
        let template = self.match_uncached(path, strict);
        self.matched.lock().unwrap_or_else(|p| p.into_inner()).insert(key, template.clone());
        template
    }

    fn match_uncached(&self, path: &str, strict: bool) -> String {
        if self.endpoints.contains_key(path) {
            return path.to_string();
        }
        let segments: Vec<&str> = path.split('/').collect();
        let templated = || self.endpoints.values().filter(|e| e.template.contains('{'));
        if let Some(e) = templated().find(|e| e.examples.iter().any(|x| x.split(['?', '#']).next() == Some(path))) {
            return e.template.clone();
        }
        let accepts = |e: &Endpoint, t: &str, s: &str| {
            if strict {
                placeholder_accepts(e, t, s)
            } else {
                t.starts_with('{') && !s.is_empty()
            }
        };
        let known = templated().find(|e| {
            let ts: Vec<&str> = e.template.split('/').collect();
            ts.len() == segments.len() && ts.iter().zip(&segments).all(|(t, s)| t == s || accepts(e, t, s))
        });
        match known {
            Some(e) => e.template.clone(),
            None => fold_path(path),
        }
    }

    /// Folds sibling paths that differ only in one segment under a collection of named things
    /// (`/users/alice`, `/users/bob`, `/users/carol` → `/users/{id}`): usernames and slugs are ids
    /// too, but only several distinct siblings show it. Run once all paths are in, so the result does
    /// not depend on the order they arrived in.
    pub fn fold_named_siblings(&mut self) {
        self.changing();
        let mut groups: BTreeMap<(String, usize), Vec<String>> = BTreeMap::new();
        for template in self.endpoints.keys() {
            let segs: Vec<&str> = template.split('/').collect();
            for i in 2..segs.len() {
                let parent = segs[i - 1].to_ascii_lowercase();
                let seg = segs[i];
                if !NAMED_COLLECTIONS.contains(&parent.as_str()) || !is_name_like(seg) || is_route_word(seg) {
                    continue;
                }
                let mut key_segs = segs.clone();
                key_segs[i] = "{id}";
                groups.entry((key_segs.join("/"), i)).or_default().push(template.clone());
            }
        }
        for ((folded, _), members) in groups {
            if members.len() < MIN_NAMED_SIBLINGS {
                continue;
            }
            let mut merged = match self.endpoints.remove(&folded) {
                Some(existing) => existing,
                None => Endpoint { template: folded.clone(), ..Default::default() },
            };
            for member in members {
                let Some(e) = self.endpoints.remove(&member) else { continue };
                merged.methods.extend(e.methods);
                merged.params.extend(e.params);
                merged.sources.extend(e.sources);
                merged.security_declared |= e.security_declared;
                merged.deprecated |= e.deprecated;
                merged.bodies.extend(e.bodies);
                for x in e.examples {
                    if merged.examples.len() < MAX_EXAMPLES && !merged.examples.contains(&x) {
                        merged.examples.push(x);
                    }
                }
            }
            self.endpoints.insert(folded, merged);
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
    path.split('/').map(|seg| if is_id_segment(seg) { "{id}" } else { seg }).collect::<Vec<_>>().join("/")
}

/// Whether `seg` may fill the placeholder `t` of `endpoint`'s template.
fn placeholder_accepts(endpoint: &Endpoint, t: &str, seg: &str) -> bool {
    let Some(name) = t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) else { return false };
    if seg.is_empty() {
        return false;
    }
    if is_id_segment(seg) {
        return true;
    }
    // A spec's `{username}` takes `alice`; its `{item_id: integer}` does not take `search`.
    endpoint.sources.contains(&Source::Spec)
        && !is_route_word(seg)
        && !endpoint.params.iter().any(|p| {
            p.location == ParamLocation::Path
                && p.name == name
                && matches!(p.kind.as_deref(), Some("integer" | "number"))
        })
}

const ROUTE_WORDS: &str = include_str!("../data/route-words.txt");
/// Collections whose members are addressed by name (`/users/alice`): from this data file's
/// `collections:` line.
static NAMED_COLLECTIONS: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
    ROUTE_WORDS.lines().filter_map(|l| l.trim().strip_prefix("collections:")).flat_map(str::split_whitespace).collect()
});
static ROUTE_WORD_SET: std::sync::LazyLock<BTreeSet<&'static str>> = std::sync::LazyLock::new(|| {
    ROUTE_WORDS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("collections:"))
        .flat_map(str::split_whitespace)
        .collect()
});
/// Distinct named siblings it takes to call a segment position an id.
const MIN_NAMED_SIBLINGS: usize = 3;

/// An action or view of a collection (`search`, `export`, `me`), never an id.
pub fn is_route_word(seg: &str) -> bool {
    ROUTE_WORD_SET.contains(seg.to_ascii_lowercase().as_str())
}

/// A lowercase handle such as a username or slug: `alice`, `j.doe`, `mary-ann`.
fn is_name_like(seg: &str) -> bool {
    (2..=40).contains(&seg.len())
        && !seg.contains('{')
        && seg.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && seg.bytes().any(|b| b.is_ascii_alphabetic())
        && !seg.contains(".json")
        && !seg.contains(".html")
}

pub fn is_id_segment(seg: &str) -> bool {
    if seg.is_empty() {
        return false;
    }
    let all_digits = seg.bytes().all(|b| b.is_ascii_digit());
    let uuid =
        seg.len() == 36
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
    // Business keys: `AC-100234`, `INV-2024-0042`, `cus_8810342`: mostly digits, a short prefix.
    let digits = seg.bytes().filter(u8::is_ascii_digit).count();
    let code = digits >= 4
        && digits * 2 >= seg.len()
        && seg.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    all_digits || uuid || hex || opaque || code
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
    fn business_keys_fold_but_versions_and_words_do_not() {
        assert_eq!(fold_path("/accounts/AC-100234/statements"), "/accounts/{id}/statements");
        assert_eq!(fold_path("/invoices/INV-2024-0042"), "/invoices/{id}");
        assert_eq!(fold_path("/api/v1/oauth2/x509"), "/api/v1/oauth2/x509");
        assert_eq!(fold_path("/api/items/search"), "/api/items/search");
    }

    fn templates(inv: &Inventory) -> Vec<String> {
        inv.endpoints().map(|e| e.template.clone()).collect()
    }

    #[test]
    fn a_word_next_to_an_id_stays_its_own_endpoint_in_any_order() {
        let paths = ["/api/items/7", "/api/items/search?q=", "/api/items/8", "/api/items/export"];
        let mut orders = vec![paths.to_vec()];
        let mut reversed = paths.to_vec();
        reversed.reverse();
        orders.push(reversed);
        orders.push(vec![paths[1], paths[3], paths[0], paths[2]]);
        for order in orders {
            let mut inv = Inventory::default();
            for p in &order {
                inv.add_seen(p, "GET", Source::Link);
            }
            inv.fold_named_siblings();
            assert_eq!(
                templates(&inv),
                vec!["/api/items/export", "/api/items/search", "/api/items/{id}"],
                "order {order:?}"
            );
        }
    }

    #[test]
    fn spec_templates_take_names_but_not_route_words() {
        let mut inv = Inventory::default();
        inv.add_declared("/users/{username}", "get");
        inv.add_seen("/users/search", "GET", Source::Link);
        inv.add_seen("/users/alice", "GET", Source::Link);
        assert_eq!(templates(&inv), vec!["/users/search", "/users/{username}"]);
    }

    #[test]
    fn named_siblings_fold_into_one_template_in_any_order() {
        let paths = ["/users/alice", "/users/bob/orders", "/users/me", "/users/carol", "/users/dave", "/users/bob"];
        let mut a = Inventory::default();
        let mut b = Inventory::default();
        for p in paths {
            a.add_seen(p, "GET", Source::Link);
        }
        for p in paths.iter().rev() {
            b.add_seen(p, "GET", Source::Link);
        }
        a.fold_named_siblings();
        b.fold_named_siblings();
        assert_eq!(templates(&a), vec!["/users/bob/orders", "/users/me", "/users/{id}"]);
        assert_eq!(templates(&a), templates(&b));
        assert_eq!(a.template_of("/users/carol"), "/users/{id}");
        assert_eq!(a.template_of("/users/leakprobe'\""), "/users/{id}", "a probe's bad id is still the endpoint's");
        // Two named pages are not yet a pattern.
        let mut c = Inventory::default();
        c.add_seen("/users/alice", "GET", Source::Link);
        c.add_seen("/users/bob", "GET", Source::Link);
        c.fold_named_siblings();
        assert_eq!(templates(&c), vec!["/users/alice", "/users/bob"]);
    }

    #[test]
    fn found_paths_keep_their_declared_placeholders() {
        let mut inv = Inventory::default();
        inv.add_found("/api/v2/customers/{customer_id}", "/api/v2/customers/1", "GET", Source::Docs);
        inv.add_seen("/api/v2/customers/2", "GET", Source::Link);
        assert_eq!(templates(&inv), vec!["/api/v2/customers/{customer_id}"]);
    }

    #[test]
    fn templates_fill_with_examples() {
        assert_eq!(fill_template("/a/{x}/b/{y}", |n| (n == "x").then(|| "9".into())), "/a/9/b/1");
    }
}
