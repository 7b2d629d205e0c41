//! Discovery: everything we can learn about the API's endpoints without being told — the spec at a
//! known path (or `--spec`), links in bodies, robots.txt and sitemap.xml, and a built-in wordlist.
//! Every candidate is fetched once (GET) and kept only when it is not the target's soft-404.
pub mod links;
pub mod openapi;

use std::collections::{BTreeSet, VecDeque};

use futures::stream::{self, StreamExt};

use crate::client::{Client, Exchange};
use crate::config::{ScanConfig, SpecSource};
use crate::error::ScanError;
use crate::inventory::{Inventory, Source};
use crate::soft404::SoftNotFound;
use openapi::ApiSpec;

const SPEC_PATHS: &str = include_str!("../../data/spec-paths.txt");
const API_WORDLIST: &str = include_str!("../../data/api-wordlist.txt");
/// How many link hops from the root (and wordlist hits) discovery follows.
const MAX_LINK_DEPTH: usize = 2;
const MAX_CRAWLED: usize = 300;

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

    let spec = match &config.spec {
        Some(source) => Some(load_spec(client, source).await?),
        None => find_spec(client, soft404).await,
    };
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
            if ex.status.is_none() || soft404.is_not_found(&ex) || ex.status == Some(405) {
                continue;
            }
            inventory.add_seen(&path, "GET", source);
            if depth < MAX_LINK_DEPTH {
                queue.extend(links::from_body(&ex, &base).into_iter().map(|l| (l, Source::Link, depth + 1)));
            }
        }
    }

    // Fetch each endpoint's sample once, so every endpoint has a baseline exchange the passive
    // analyzers see (spec endpoints are otherwise never requested). Riskiest first: when the
    // budget or the time runs out here, what is left unfetched is the least promising.
    let samples: Vec<String> =
        crate::schedule::risk::by_risk(inventory.endpoints().filter(|e| e.methods.contains("GET")), spec.as_ref())
            .into_iter()
            .map(|e| e.sample_path())
            .collect();
    let _ = stream::iter(samples)
        .map(|p| client.send(client.baseline_get(p)))
        .buffer_unordered(config.concurrency.max(1) * 2)
        .collect::<Vec<_>>()
        .await;

    Ok(Discovered { inventory, spec })
}

async fn load_spec(client: &Client, source: &SpecSource) -> Result<ApiSpec, ScanError> {
    let bytes = match source {
        SpecSource::File(path) => std::fs::read(path)
            .map_err(|e| ScanError::Spec(format!("cannot read {}: {e}", path.display())))?,
        SpecSource::Url(url) => {
            let ex = client.send(client.baseline_get(url.clone())).await?;
            if !ex.is_success() {
                return Err(ScanError::Spec(format!(
                    "{url} answered {}",
                    ex.status.map_or_else(|| ex.error.clone().unwrap_or_default(), |s| s.to_string())
                )));
            }
            ex.body.to_vec()
        }
    };
    openapi::parse(&bytes)
}

/// The first spec published at a well-known path, if any.
async fn find_spec(client: &Client, soft404: &SoftNotFound) -> Option<ApiSpec> {
    let answers: Vec<_> = stream::iter(data_lines(SPEC_PATHS))
        .map(|path| client.send(client.baseline_get(path)))
        .buffered(4)
        .collect()
        .await;
    answers
        .into_iter()
        .flatten()
        .filter(|ex| ex.is_success() && !soft404.is_not_found(ex) && !ex.is_html())
        .find_map(|ex| openapi::parse(&ex.body).ok())
}
