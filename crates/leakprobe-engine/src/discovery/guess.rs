//! Guesses that earn their requests: version siblings of what was found (`/api/v0/users/1` next to
//! `/api/v1/users/1`), a few debug and internal words under the directories the scan found, and a
//! short fixed list (`/debug/vars`, `/internal/config`). Ordered by promise and bounded; each one
//! is judged by the soft-404 models like any other candidate.
use std::collections::BTreeSet;

use super::{data_lines, Candidate};
use crate::inventory::{Inventory, Source};

const GUESS_PATHS: &str = include_str!("../../data/guess-paths.txt");
/// Guesses per scan, all kinds together.
pub const MAX_GUESSES: usize = 60;
const MAX_VERSION_SIBLINGS: usize = 16;
/// Found directories that get the `under-found` words, most populated first.
const MAX_FOUND_DIRS: usize = 3;

pub fn guesses(inventory: &Inventory) -> Vec<Candidate> {
    let mut out: Vec<String> = Vec::new();
    out.extend(version_siblings(inventory));
    let mut fixed: Vec<String> = Vec::new();
    let mut under_found: Vec<&str> = Vec::new();
    for line in data_lines(GUESS_PATHS) {
        let Some((prefix, words)) = line.split_once(':') else { continue };
        if prefix.trim() == "under-found" {
            under_found.extend(words.split_whitespace());
        } else {
            fixed.extend(words.split_whitespace().map(|w| format!("{}/{w}", prefix.trim())));
        }
    }
    for dir in found_dirs(inventory) {
        out.extend(under_found.iter().map(|w| format!("{dir}/{w}")));
    }
    out.extend(fixed);
    let mut seen = BTreeSet::new();
    out.into_iter()
        .filter(|p| {
            seen.insert(p.clone()) && !inventory.endpoints().any(|e| e.examples.contains(p) || &e.template == p)
        })
        .take(MAX_GUESSES)
        .map(|p| Candidate {
            declared: p.clone(),
            concrete: p,
            method: "GET",
            source: Source::Guess,
            body: None,
            params: Vec::new(),
        })
        .collect()
}

/// `/api/v1/users/7` → `/api/v0/users/7`, `/api/v2/users/7`: older versions linger without the
/// fixes, newer ones ship before they are hardened. At most [`MAX_VERSION_SIBLINGS`]: each costs a
/// template lookup over the whole inventory, so a large API must not pay one per endpoint.
fn version_siblings(inventory: &Inventory) -> Vec<String> {
    let mut out = Vec::new();
    // Endpoints with ids first: a sibling that returns a record is the finding that matters.
    let mut endpoints: Vec<_> = inventory.endpoints().filter(|e| e.methods.contains("GET")).collect();
    endpoints.sort_by_key(|e| !e.has_path_params());
    for e in endpoints {
        if out.len() >= MAX_VERSION_SIBLINGS {
            break;
        }
        let sample = e.sample_path();
        let path = sample.split('?').next().unwrap_or(&sample);
        let segments: Vec<&str> = path.split('/').collect();
        let Some((i, n)) = segments.iter().enumerate().find_map(|(i, s)| Some((i, version_number(s)?))) else {
            continue;
        };
        for sibling in [n.checked_sub(1), Some(n + 1)].into_iter().flatten() {
            let mut s = segments.clone();
            let v = format!("v{sibling}");
            s[i] = &v;
            let candidate = s.join("/");
            let known = inventory.template_for_new(&candidate);
            if inventory.endpoints().any(|e| e.template == known) {
                continue;
            }
            out.push(candidate);
        }
    }
    out.truncate(MAX_VERSION_SIBLINGS);
    out
}

fn version_number(seg: &str) -> Option<u32> {
    let digits = seg.strip_prefix('v').or_else(|| seg.strip_prefix('V'))?;
    if digits.is_empty() || digits.len() > 2 {
        return None;
    }
    digits.parse().ok()
}

/// Directories that hold found endpoints (`/api`, `/api/v1`), most populated first.
fn found_dirs(inventory: &Inventory) -> Vec<String> {
    let mut counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for e in inventory.endpoints().filter(|e| !e.sources.contains(&Source::Guess)) {
        let segments: Vec<&str> = e.template.split('/').filter(|s| !s.is_empty()).collect();
        // Only the leading literal segments: `/api/v1/users/{id}` counts for `/api` and `/api/v1`.
        for depth in 1..segments.len().min(3) {
            if segments[..depth].iter().any(|s| s.contains('{') || s.contains('.')) {
                break;
            }
            *counts.entry(format!("/{}", segments[..depth].join("/"))).or_default() += 1;
        }
    }
    // Under a collection with an `{id}` child (`/api/users/{id}`) a word is taken for an id.
    counts.retain(|dir, _| !inventory.endpoints().any(|e| e.template.starts_with(&format!("{dir}/{{"))));
    let mut dirs: Vec<(String, usize)> = counts.into_iter().collect();
    dirs.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    dirs.into_iter().take(MAX_FOUND_DIRS).map(|(d, _)| d).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_siblings_and_found_directories_come_first() {
        let mut inv = Inventory::default();
        inv.add_seen("/", "GET", Source::Root);
        inv.add_seen("/api/v1/users/7", "GET", Source::Link);
        inv.add_seen("/api/v1/health", "GET", Source::Link);
        let got: Vec<String> = guesses(&inv).into_iter().map(|c| c.concrete).collect();
        assert_eq!(&got[..4], ["/api/v0/users/7", "/api/v2/users/7", "/api/v0/health", "/api/v2/health"]);
        assert!(got.contains(&"/api/v1/debug".to_string()) && got.contains(&"/api/debug".to_string()), "{got:?}");
        assert!(got.contains(&"/debug/vars".to_string()));
        assert!(got.len() <= MAX_GUESSES);
        let unique: BTreeSet<&String> = got.iter().collect();
        assert_eq!(unique.len(), got.len());
    }
}
