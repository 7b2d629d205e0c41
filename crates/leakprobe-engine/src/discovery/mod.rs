//! Discovery: everything we can learn about the API's endpoints without being told — the spec at a
//! known path (or `--spec`), links in bodies, robots.txt and sitemap.xml, and a built-in wordlist;
//! then what a browser and a reader would find in the pages fetched: HTML forms, JavaScript calls,
//! documentation text; then a few guesses derived from all that.
//! Every candidate is fetched once (GET) and kept only when it is not the target's soft-404. A 405
//! proves the path exists: it is kept with the methods its `Allow` header names. A link, form or
//! call to a path that names a state change (`/api/admin/reset-db`) is never fetched: the client's
//! state guard refuses it, whoever asks.
pub mod docs;
pub mod forms;
mod guess;
pub mod links;
pub mod openapi;
pub mod scripts;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use futures::stream::{self, StreamExt};

use crate::client::{Client, Exchange};
use crate::config::{ScanConfig, SpecSource};
use crate::error::ScanError;
use crate::inventory::{BodyTemplate, Inventory, Param, Source};
use crate::soft404::{directory_of, SiblingModel, SoftNotFound};
use openapi::ApiSpec;

const SPEC_PATHS: &str = include_str!("../../data/spec-paths.txt");
/// What a spec fetch asks for: the formats an API description comes in.
const SPEC_ACCEPT: &str = "application/json, application/yaml, application/vnd.oai.openapi, */*;q=0.5";
const API_WORDLIST: &str = include_str!("../../data/api-wordlist.txt");
/// How many link hops from the root (and wordlist hits) discovery follows.
const MAX_LINK_DEPTH: usize = 2;
const MAX_CRAWLED: usize = 300;
/// Candidates (wordlist hits, forms, scripts, docs, 405s) confirmed with a GET per round; the
/// crawl already fetched most of them, so most cost nothing (the client caches).
const MAX_CONFIRMED: usize = 200;
/// Directories whose own not-found answer is learned, per scan; past it the root model decides.
const MAX_SIBLING_PROBES: usize = 20;
/// The most of the request budget discovery spends (percent): the rest is the checks'.
const DISCOVERY_SHARE_PERCENT: usize = 50;

/// A path learned indirectly (a form, a script, documentation, a guess, a 405), to be confirmed.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// As written, placeholders as `{name}` (`/api/users/{id}`), with the query when it has one.
    pub declared: String,
    /// What to request: placeholders filled.
    pub concrete: String,
    /// The method the page, call or document names (`GET` when it names none).
    pub method: &'static str,
    pub source: Source,
    pub body: Option<BodyTemplate>,
    /// Query parameters (GET forms).
    pub params: Vec<Param>,
}

pub struct Discovered {
    pub inventory: Inventory,
    pub spec: Option<ApiSpec>,
}

/// The lines of a data file, without comments and blanks.
pub fn data_lines(data: &'static str) -> impl Iterator<Item = &'static str> {
    data.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'))
}

pub async fn discover(
    client: &Client,
    config: &ScanConfig,
    soft404: &SoftNotFound,
    root: &Exchange,
) -> Result<Discovered, ScanError> {
    let base = client.base().clone();
    let mut inventory = Inventory::default();
    inventory.add_seen(base.path(), "GET", Source::Root);

    let mut spec = match &config.spec {
        Some(source) => Some(load_spec(client, config, source).await?),
        None => find_spec(client, config, soft404).await,
    };
    if let Some(spec) = spec.as_mut() {
        settle_base(client, soft404, spec).await;
    }
    if let Some(spec) = &spec {
        for op in &spec.operations {
            let endpoint = inventory.add_declared(&op.path, &op.method);
            endpoint.params.extend(op.params.iter().cloned());
            endpoint.security_declared |= op.security_declared;
            endpoint.deprecated |= op.deprecated;
        }
    }

    // Seeds for the crawl: root links, robots/sitemap entries, wordlist hits.
    let mut queue: VecDeque<(String, Source, usize)> = VecDeque::new();
    queue.extend(links::from_body(root, &base).into_iter().map(|l| (l, Source::Link, 1)));
    let mut candidates = harvest(root, &base);
    for (path, source) in [("/robots.txt", Source::Robots), ("/sitemap.xml", Source::Sitemap)] {
        let Ok(ex) = client.send(client.baseline_get(path)).await else { continue };
        if soft404.is_not_found(&ex) {
            continue;
        }
        let found = match source {
            Source::Robots => links::from_robots(&ex, &base),
            _ => links::from_sitemap(&ex, &base),
        };
        queue.extend(found.into_iter().map(|l| (l, source, 1)));
    }
    if config.wordlist {
        queue.extend(data_lines(API_WORDLIST).map(|w| (w.to_string(), Source::Wordlist, 1)));
    }

    // Breadth-first, one wave at a time so each wave's requests run concurrently.
    let mut seen: BTreeSet<String> = BTreeSet::from([base.path().to_string()]);
    let mut crawled = 0;
    let mut stopped = false;
    while !queue.is_empty() && crawled < MAX_CRAWLED && !stopped {
        let wave: Vec<_> = std::iter::from_fn(|| queue.pop_front())
            .filter(|(path, _, _)| seen.insert(path.clone()))
            .take(MAX_CRAWLED - crawled)
            .collect();
        crawled += wave.len();
        let results: Vec<_> = stream::iter(wave)
            .map(|(path, source, depth)| async move {
                let ex = client.send(client.baseline_get(path.clone())).await;
                (path, source, depth, ex)
            })
            .buffer_unordered(config.concurrency.max(1) * 2)
            .collect()
            .await;
        for (path, source, depth, ex) in results {
            let ex = match ex {
                Ok(ex) => ex,
                Err(ScanError::Budget | ScanError::TimeLimit) => {
                    stopped = true;
                    continue;
                }
                Err(_) => continue,
            };
            if ex.status == Some(405) {
                // The path exists for other methods: confirmed below against its directory.
                candidates.push(Candidate {
                    declared: path.clone(),
                    concrete: path,
                    method: "GET",
                    source,
                    body: None,
                    params: Vec::new(),
                });
                continue;
            }
            if ex.status.is_none() || soft404.is_not_found(&ex) {
                continue;
            }
            if source == Source::Wordlist {
                // A guess like any other: it counts once its directory's own model agrees.
                candidates.push(Candidate {
                    declared: path.clone(),
                    concrete: path.clone(),
                    method: "GET",
                    source,
                    body: None,
                    params: Vec::new(),
                });
            } else {
                inventory.add_seen(&path, "GET", source);
            }
            candidates.extend(harvest(&ex, &base));
            if depth < MAX_LINK_DEPTH {
                queue.extend(links::from_body(&ex, &base).into_iter().map(|l| (l, Source::Link, depth + 1)));
            }
        }
    }

    if !stopped {
        let mut siblings = SiblingModels::default();
        confirm(client, config, soft404, &mut inventory, candidates, &mut siblings).await;
        // Guessing is the wordlist's kin: `--no-wordlist` turns both off.
        if config.wordlist {
            let guesses = guess::guesses(&inventory);
            confirm(client, config, soft404, &mut inventory, guesses, &mut siblings).await;
        }
    }
    inventory.fold_named_siblings();

    // Fetch each endpoint's sample once, so every endpoint has a baseline exchange the passive
    // analyzers see (spec endpoints are otherwise never requested), within discovery's share of
    // the budget: on a large API the share buys the riskiest endpoints, then a sample spread over
    // the rest; the checks plan what is left with the scheduler. Those never read are counted in
    // the passive checks' coverage.
    let room = (config.max_requests * DISCOVERY_SHARE_PERCENT / 100).saturating_sub(client.requests_sent());
    let mut weighted: Vec<(u32, String)> = inventory
        .endpoints()
        .filter(|e| e.methods.contains("GET"))
        .map(|e| (crate::schedule::risk::signals(e, spec.as_ref()).weight(), e.sample_path()))
        .collect();
    weighted.sort_by_key(|(weight, _)| std::cmp::Reverse(*weight));
    let mut samples = crate::schedule::risk::spread(weighted, room);
    samples.truncate(room);
    let _ = stream::iter(samples)
        .map(|p| client.send(client.baseline_get(p)))
        .buffer_unordered(config.concurrency.max(1) * 2)
        .collect::<Vec<_>>()
        .await;

    Ok(Discovered { inventory, spec })
}

async fn load_spec(client: &Client, config: &ScanConfig, source: &SpecSource) -> Result<ApiSpec, ScanError> {
    let cap = config.max_spec_size;
    let bytes = match source {
        SpecSource::File(path) => read_capped(path, cap)?,
        SpecSource::Url(url) => {
            let doc = client.send_document(client.baseline_get(url.clone()), cap).await?;
            let ex = &doc.exchange;
            if !ex.is_success() {
                return Err(ScanError::Spec(format!(
                    "{url} answered {}",
                    ex.status.map_or_else(|| ex.error.clone().unwrap_or_default(), |s| s.to_string())
                )));
            }
            if doc.cut {
                return Err(ScanError::Spec(format!("{url}: {}", too_large(cap))));
            }
            return openapi::parse_owned(doc.body);
        }
    };
    openapi::parse_owned(bytes)
}

/// What a spec past the limit is told: the limit and the flag that moves it.
fn too_large(cap: usize) -> String {
    format!("the API description is larger than the spec size limit of {} (--max-spec-size)", human_size(cap))
}

fn human_size(bytes: usize) -> String {
    if bytes >= 1024 * 1024 && bytes.is_multiple_of(1024 * 1024) {
        format!("{} MiB", bytes / (1024 * 1024))
    } else {
        format!("{bytes} bytes")
    }
}

/// A spec file, read only up to `cap` bytes: a larger one is refused before it is read.
fn read_capped(path: &std::path::Path, cap: usize) -> Result<Vec<u8>, ScanError> {
    use std::io::Read;
    let cannot = |e: std::io::Error| ScanError::Spec(format!("cannot read {}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut bytes = Vec::new();
    #[allow(clippy::disallowed_methods)] // bounded: `take` stops one byte past the spec limit
    file.take(cap as u64 + 1).read_to_end(&mut bytes).map_err(cannot)?;
    if bytes.len() > cap {
        return Err(ScanError::Spec(format!("{}: {}", path.display(), too_large(cap))));
    }
    Ok(bytes)
}

/// Moves the spec's operations to where they really are served. A spec often names the
/// production gateway (`servers: [{url: https://api.example.com/v1}]`) while the app under test
/// serves the same routes at `/`, or the target URL carries a prefix (`http://host/api`) the spec
/// leaves out. One readable operation is tried under each candidate base, the spec's own first:
/// the first answer that is not "no such path" decides. Costs one request when the spec is right.
async fn settle_base(client: &Client, soft404: &SoftNotFound, spec: &mut ApiSpec) {
    let Some(rest) = spec
        .operations
        .iter()
        .filter(|o| o.method == "GET" && !o.path.contains('{') && !crate::words::names_state_change(&o.path))
        .map(|o| o.path.strip_prefix(spec.base.as_str()).unwrap_or(&o.path).to_string())
        .find(|rest| rest.len() > 1)
    else {
        return;
    };
    let prefix = client.base().path().trim_end_matches('/').to_string();
    let mut candidates: Vec<String> = vec![spec.base.clone()];
    candidates.extend(spec.server_bases.iter().cloned());
    candidates.push(String::new());
    if !prefix.is_empty() {
        candidates.push(format!("{prefix}{}", spec.base));
        candidates.push(prefix);
    }
    let mut tried: Vec<String> = Vec::new();
    for base in candidates {
        if tried.contains(&base) {
            continue;
        }
        tried.push(base.clone());
        let Ok(ex) = client.send(client.baseline_get(format!("{base}{rest}"))).await else { continue };
        if ex.status.is_some_and(|s| s != 404) && !soft404.is_not_found(&ex) {
            if base != spec.base {
                tracing::info!(from = %spec.base, to = %base, "the spec's operations are served under another base path");
                spec.rebase(&base);
            }
            return;
        }
    }
}

/// The first spec published at a well-known path, if any. A published spec that cannot be used
/// (past the size limit, or unreadable) is never passed over in silence: the scan is incomplete
/// without its operations, and the report says why.
async fn find_spec(client: &Client, config: &ScanConfig, soft404: &SoftNotFound) -> Option<ApiSpec> {
    // Every well-known path under the ordinary body cap: an endless or huge answer at a dozen
    // spec paths must not cost the spec limit a dozen times. Only an answer cut at the body cap
    // whose head reads as a spec is fetched again, once, under the spec's own limit.
    let answers: Vec<_> = stream::iter(data_lines(SPEC_PATHS))
        .map(|path| client.send(client.baseline_get(path)))
        .buffered(4)
        .collect()
        .await;
    let mut unusable: Option<String> = None;
    let mut refetched = false;
    for ex in answers.into_iter().flatten() {
        if !ex.is_success() || soft404.is_not_found(&ex) || ex.is_html() {
            continue;
        }
        let parsed = if ex.truncated {
            // Cut at the body cap: worth the spec's own limit only when its head reads as a spec.
            if refetched || !openapi::looks_like_spec(&ex.body) {
                continue;
            }
            refetched = true;
            // A probe of its own (the Accept header); only its head stays in the exchange log.
            let whole = client.baseline_get(ex.path()).header("Accept", SPEC_ACCEPT);
            match client.send_document(whole, config.max_spec_size).await {
                Ok(doc) if doc.exchange.is_success() && !doc.cut => openapi::parse_owned(doc.body),
                Ok(doc) if doc.exchange.is_success() => {
                    unusable.get_or_insert_with(|| {
                        format!("{}: {}; its operations were not read", ex.path(), too_large(config.max_spec_size))
                    });
                    continue;
                }
                _ => continue,
            }
        } else {
            openapi::parse(&ex.body)
        };
        match parsed {
            Ok(spec) => return Some(spec),
            Err(e) if openapi::looks_like_spec(&ex.body) => {
                unusable.get_or_insert_with(|| format!("the API description at {} was not read: {e}", ex.path()));
            }
            Err(_) => {}
        }
    }
    if let Some(reason) = unusable {
        tracing::warn!("{reason}");
        client.mark_incomplete(reason);
    }
    None
}

/// What a browser and a reader find in one fetched page or script: forms, script calls, documented
/// operations.
fn harvest(ex: &Exchange, base: &url::Url) -> Vec<Candidate> {
    let mut out = forms::from_page(ex, base);
    out.extend(scripts::from_exchange(ex, base));
    out.extend(docs::from_exchange(ex, base));
    out
}

/// Each directory's own not-found answer, learned once, when first needed.
#[derive(Default)]
struct SiblingModels {
    models: BTreeMap<String, Option<SiblingModel>>,
}

/// Confirms candidates with one GET each (cached: a path the crawl already fetched costs nothing)
/// and records those that exist. An answer counts when neither the root model nor the model of its
/// own directory calls it "not found"; a 405 counts with its `Allow` methods; an honest 404 on GET
/// still counts for a non-GET operation a form, a script call or a document names, since many
/// frameworks answer 404 to a method a route does not take.
async fn confirm(
    client: &Client,
    config: &ScanConfig,
    soft404: &SoftNotFound,
    inventory: &mut Inventory,
    candidates: Vec<Candidate>,
    siblings: &mut SiblingModels,
) {
    let mut merged: Vec<Candidate> = Vec::new();
    // A candidate whose path names a state change is refused by the client's state guard when
    // confirmed below, and listed in the report's `coverage.not_called`.
    for c in candidates {
        match merged.iter_mut().find(|m| m.declared == c.declared && m.method == c.method) {
            Some(m) => {
                if m.body.is_none() {
                    m.body = c.body;
                }
            }
            None => merged.push(c),
        }
    }
    // What is already known needs no request: a form on a known page adds its method and body.
    let mut to_fetch: Vec<Candidate> = Vec::new();
    for c in merged {
        let path = c.concrete.split('?').next().unwrap_or("/");
        let template = inventory.template_for_new(path);
        let known_method =
            inventory.get_mut(&template).is_some_and(|e| c.method == "GET" || e.methods.contains(c.method));
        if let (Some(e), true) = (inventory.get_mut(&template), known_method || c.source == Source::Form) {
            if !matches!(c.source, Source::Guess | Source::Wordlist) {
                record(e, &c, c.method);
                continue;
            }
        }
        to_fetch.push(c);
    }
    to_fetch.truncate(MAX_CONFIRMED);
    let answers: Vec<_> = stream::iter(to_fetch)
        .map(|c| async move {
            let ex = client.send(client.baseline_get(c.concrete.clone())).await;
            (c, ex)
        })
        .buffered(config.concurrency.max(1) * 2)
        .collect()
        .await;

    let mut pending: Vec<(Candidate, std::sync::Arc<Exchange>, Vec<&'static str>)> = Vec::new();
    for (c, ex) in answers {
        let Ok(ex) = ex else { continue };
        let Some(status) = ex.status else { continue };
        let methods: Vec<&'static str> = match status {
            405 => {
                let mut allowed = allowed_methods(&ex);
                if allowed.is_empty() && c.method != "GET" {
                    allowed.push(c.method);
                }
                allowed
            }
            404 | 410 if c.method != "GET" && !matches!(c.source, Source::Guess | Source::Wordlist) => {
                // Evidence from the page itself; nothing to compare with a sibling.
                record_found(inventory, &c, c.method);
                continue;
            }
            _ if soft404.is_not_found(&ex) => continue,
            _ => {
                let mut m = vec!["GET"];
                if c.method != "GET" {
                    m.push(c.method);
                }
                m
            }
        };
        if !methods.is_empty() {
            pending.push((c, ex, methods));
        }
    }

    // Each directory's not-found answer, fetched concurrently for the directories still unknown.
    let dirs: BTreeSet<String> = pending
        .iter()
        .map(|(c, _, _)| directory_of(&c.concrete).to_string())
        .filter(|d| !siblings.models.contains_key(d))
        .collect();
    let room = MAX_SIBLING_PROBES.saturating_sub(siblings.models.len());
    let probes: Vec<_> = stream::iter(dirs.into_iter().take(room))
        .map(|dir| async move {
            let probe = SiblingModel::probe_path(&format!("{dir}x"));
            let ex = client.send(client.baseline_get(probe)).await;
            (dir, ex.ok().map(|ex| SiblingModel::from_exchange(&ex)))
        })
        .buffered(config.concurrency.max(1) * 2)
        .collect()
        .await;
    siblings.models.extend(probes);

    for (c, ex, methods) in pending {
        let dir = directory_of(&c.concrete);
        if let Some(Some(model)) = siblings.models.get(dir) {
            if model.is_not_found(&ex) {
                continue;
            }
        }
        for method in methods {
            record_found(inventory, &c, method);
        }
    }
}

fn record_found(inventory: &mut Inventory, c: &Candidate, method: &str) {
    let endpoint = inventory.add_found(&c.declared, &c.concrete, method, c.source);
    record(endpoint, c, method);
}

/// Adds what a candidate teaches about an endpoint: its method, source, body and query parameters.
fn record(endpoint: &mut crate::inventory::Endpoint, c: &Candidate, method: &str) {
    endpoint.methods.insert(method.to_string());
    endpoint.sources.insert(c.source);
    endpoint.params.extend(c.params.iter().cloned());
    if let Some(body) = &c.body {
        if body.method == method && !endpoint.bodies.iter().any(|b| b.method == body.method && b.source == body.source)
        {
            endpoint.bodies.push(body.clone());
        }
    }
    if endpoint.examples.is_empty() {
        endpoint.examples.push(c.concrete.clone());
    }
}

/// The methods a 405's `Allow` header names, without HEAD and OPTIONS (every path has those).
fn allowed_methods(ex: &Exchange) -> Vec<&'static str> {
    let mut out = Vec::new();
    for value in ex.header_all("allow") {
        for m in value.split(',') {
            let m = match m.trim().to_ascii_uppercase().as_str() {
                "GET" => "GET",
                "POST" => "POST",
                "PUT" => "PUT",
                "PATCH" => "PATCH",
                "DELETE" => "DELETE",
                _ => continue,
            };
            if !out.contains(&m) {
                out.push(m);
            }
        }
    }
    out
}
