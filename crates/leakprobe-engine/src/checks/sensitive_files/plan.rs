//! Where to look beyond the fixed list: folders that exist on this target, and file names derived
//! from its host and its app. Both only read answers the scan already has (the root, the pages
//! discovery fetched) or send the folder probes, which the client sends once however many checks
//! ask for them.
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::sync::{Arc, LazyLock};

use futures::stream::{self, StreamExt};
use regex::Regex;

use super::inspect::{inspect, Inspection};
use super::rules::{Inspector, DATA};
use crate::client::{Exchange, Probe};
use crate::context::ScanContext;

/// Folders whose files are probed; each costs one request per `[in-folder]` name.
const MAX_FOLDERS: usize = 4;
/// Pages whose links are read to find folders (root and inventory samples, already fetched).
const MAX_PAGES: usize = 40;
/// Names derived from the host and the app.
const MAX_NAMES: usize = 3;

pub struct Folder {
    /// `/uploads/`, with both slashes.
    pub path: String,
    /// The folder's own answer and what it lists, when it is a directory listing.
    pub listing: Option<(Arc<Exchange>, Inspection)>,
}

#[allow(clippy::unwrap_used)] // constant patterns
static LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)(?:href|src|action)\s*=\s*["']([^"'#?\s]{1,256})|url\(\s*["']?([^"')#?\s]{1,256})|"(/[^"\s?#]{1,256})""#,
    )
    .unwrap()
});
#[allow(clippy::unwrap_used)]
static TITLE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?is)<title[^>]*>([^<]{1,120})</title>").unwrap());

/// Folders that exist: the app links into them, or their own path answers (200 with or without a
/// listing, or 401/403 — the folder is there, its index is just closed). Folders with a listing
/// come first, then by the priority of `[folders]`.
pub async fn folders(ctx: &ScanContext) -> Vec<Folder> {
    let known: Vec<&str> = DATA.folders.iter().map(|f| f.trim_matches('/')).collect();
    let linked = linked_folders(ctx, &known).await;
    let mut candidates: Vec<String> = DATA.folders.clone();
    candidates.extend(linked.iter().filter(|f| !DATA.folders.contains(f)).cloned());

    let listing_rule = DATA.rules.iter().find(|r| r.inspect == Inspector::Listing);
    let answers: Vec<(String, Option<Arc<Exchange>>)> = stream::iter(candidates)
        .map(|path| async move {
            let ex = ctx.client.send(Probe::get(path.clone())).await.ok();
            (path, ex)
        })
        .buffered(ctx.config.concurrency.max(1))
        .collect()
        .await;

    let mut found: Vec<(usize, Folder)> = Vec::new();
    for (path, ex) in answers {
        let answered = ex
            .as_ref()
            .is_some_and(|ex| !ctx.soft404.is_not_found(ex) && matches!(ex.status, Some(200..=299 | 401 | 403)));
        if !answered && !linked.contains(&path) {
            continue;
        }
        let listing = ex.filter(|ex| !ctx.soft404.is_not_found(ex)).and_then(|ex| {
            let rule = listing_rule?;
            if !rule.matches(&ex) {
                return None;
            }
            let inspection = inspect(rule, &ex, ctx)?;
            Some((ex, inspection))
        });
        let name = path.trim_matches('/').rsplit('/').next().unwrap_or_default();
        let priority = known.iter().position(|k| *k == name).unwrap_or(known.len());
        found.push((priority, Folder { path, listing }));
    }
    found.sort_by_key(|(priority, f)| (f.listing.is_none(), *priority));
    found.into_iter().take(MAX_FOLDERS).map(|(_, f)| f).collect()
}

/// Folders the app's own pages link files from: `/static/css/site.css` → `/static/`;
/// `/static/uploads/a.png` → also `/static/uploads/`, a known folder name.
async fn linked_folders(ctx: &ScanContext, known: &[&str]) -> BTreeSet<String> {
    let mut paths: Vec<String> = Vec::new();
    let mut pages = vec![ctx.client.base().path().to_string()];
    for endpoint in ctx.inventory.endpoints() {
        paths.extend(endpoint.examples.iter().cloned());
        if endpoint.methods.contains("GET") && pages.len() < MAX_PAGES {
            pages.push(endpoint.sample_path());
        }
    }
    for page in pages {
        // Already fetched by recon or discovery: the client answers from its cache.
        let Ok(ex) = ctx.client.send(Probe::get(page)).await else { continue };
        if !ex.is_success() || ctx.soft404.is_not_found(&ex) {
            continue;
        }
        let text = ex.text();
        for cap in LINK.captures_iter(&text).take(500) {
            let Some(link) = cap.get(1).or(cap.get(2)).or(cap.get(3)) else { continue };
            let Ok(url) = ex.url.join(link.as_str()) else { continue };
            if url.origin() == ex.url.origin() {
                paths.push(url.path().to_string());
            }
        }
    }
    let mut folders = BTreeSet::new();
    for path in paths {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let Some((file, dirs)) = segments.split_last() else { continue };
        let is_file = file.rsplit_once('.').is_some_and(|(stem, ext)| {
            !stem.is_empty() && (1..=5).contains(&ext.len()) && ext.bytes().all(|b| b.is_ascii_alphanumeric())
        });
        let Some(top) = dirs.first() else { continue };
        if !is_file || top.is_empty() || top.starts_with('.') || top.eq_ignore_ascii_case("api") {
            continue;
        }
        folders.insert(format!("/{top}/"));
        if dirs.len() > 1 && dirs.last().is_some_and(|d| known.contains(d)) {
            folders.insert(format!("/{}/", dirs.join("/")));
        }
    }
    folders
}

/// Names a backup of this site is likely saved under: the app's name (its `<title>` or the
/// `name`/`service` of a JSON root) and the host's distinctive label. `Northwind Outfitters` on
/// `shop.northwind.io` → `northwind-outfitters`, `northwind`.
pub async fn derived_names(ctx: &ScanContext) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut add = |name: String| {
        if name.len() >= 3 && !names.contains(&name) && names.len() < MAX_NAMES {
            names.push(name);
        }
    };
    if let Ok(root) = ctx.client.send(Probe::get(ctx.client.base().path())).await {
        if let Some(app) = app_name(&root) {
            let slug = slug(&app);
            if let Some(first) = slug.split('-').next() {
                let first = first.to_string();
                add(slug);
                add(first);
            }
        }
    }
    if let Some(host) = ctx.client.base().host_str() {
        for label in host_labels(host) {
            add(label);
        }
    }
    names
}

fn app_name(root: &Exchange) -> Option<String> {
    if root.is_json() {
        let value = root.json()?;
        return ["name", "app", "application", "service", "title", "project"]
            .iter()
            .find_map(|k| value.get(k)?.as_str().map(str::to_string));
    }
    let text = root.text();
    let title = TITLE.captures(&text)?[1].trim().to_string();
    let lower = title.to_ascii_lowercase();
    // Generic page titles name no app.
    let generic = ["index of", "not found", "error", "welcome", "login", "sign in", "home", "dashboard", "swagger"];
    (!generic.iter().any(|g| lower.starts_with(g))).then_some(title)
}

/// `Northwind Outfitters — Shop` → `northwind-outfitters-shop` (ASCII letters and digits only).
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= 40 {
            break;
        }
    }
    out.trim_end_matches('-').to_string()
}

/// The labels of a DNS name that could name the site: not IPs, not `localhost`, not `www`/`api`
/// or the public suffix.
fn host_labels(host: &str) -> Vec<String> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.parse::<IpAddr>().is_ok() || host.eq_ignore_ascii_case("localhost") {
        return Vec::new();
    }
    const COMMON: [&str; 16] = [
        "www", "api", "app", "web", "m", "com", "net", "org", "io", "co", "uk", "de", "dev", "staging", "prod", "local",
    ];
    host.split('.').map(str::to_ascii_lowercase).filter(|l| !COMMON.contains(&l.as_str()) && !l.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_host_and_title() {
        assert_eq!(slug("Northwind Outfitters — Shop"), "northwind-outfitters-shop");
        assert_eq!(host_labels("shop.northwind.io"), vec!["shop", "northwind"]);
        assert_eq!(host_labels("api.acme-corp.co.uk"), vec!["acme-corp"]);
        assert!(
            host_labels("127.0.0.1").is_empty()
                && host_labels("[::1]").is_empty()
                && host_labels("localhost").is_empty()
        );
    }
}
