//! Where an unsigned twin of a signed route tends to live: the same resource under another API
//! version (`/api/v0/…`, `/api/v2/…`), without the version, without the `/api` prefix, or under a
//! legacy prefix (`/legacy/…`, from `data/legacy-route-prefixes.txt`).
use std::sync::LazyLock;

use crate::discovery::data_lines;

static LEGACY_PREFIXES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| data_lines(include_str!("../../../data/legacy-route-prefixes.txt")).collect());

/// Most candidates tried per signed route.
pub const MAX_TWINS: usize = 12;

/// `v1` → 1.
fn version(segment: &str) -> Option<u32> {
    let digits = segment.strip_prefix('v')?;
    if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn join(segments: &[&str]) -> String {
    format!("/{}", segments.join("/"))
}

/// Candidate twins of `path` (query kept), most likely first, without duplicates or `path` itself.
pub fn candidates(path: &str) -> Vec<String> {
    let (path_only, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    let segments: Vec<&str> = path_only.trim_start_matches('/').split('/').filter(|s| !s.is_empty()).collect();
    if segments.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    let version_at = segments.iter().take(3).position(|s| version(s).is_some());
    if let Some(i) = version_at {
        let current = version(segments[i]).unwrap_or(0);
        // Older versions first: they are the ones left behind when signing was introduced.
        let others = (0..current).rev().chain([current + 1]);
        for v in others {
            let mut swapped = segments.clone();
            let label = format!("v{v}");
            swapped[i] = &label;
            out.push(join(&swapped));
        }
        let mut unversioned = segments.clone();
        unversioned.remove(i);
        if !unversioned.is_empty() {
            out.push(join(&unversioned));
        }
    }
    let without_api = (segments[0] == "api" && segments.len() > 1).then(|| join(&segments[1..]));
    if let Some(p) = &without_api {
        out.push(p.clone());
    }
    if segments[0] == "api" && version_at == Some(1) && segments.len() > 2 {
        out.push(join(&segments[2..]));
    }
    for prefix in LEGACY_PREFIXES.iter() {
        out.push(format!("{prefix}{path_only}"));
        if let Some(p) = &without_api {
            out.push(format!("{prefix}{p}"));
        }
    }
    let mut seen = std::collections::BTreeSet::from([path_only.to_string()]);
    out.retain(|p| seen.insert(p.clone()));
    out.truncate(MAX_TWINS);
    match query {
        Some(q) => out.into_iter().map(|p| format!("{p}?{q}")).collect(),
        None => out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioned_api_paths_get_older_and_newer_twins() {
        let c = candidates("/api/v1/customers/7");
        assert_eq!(
            c,
            [
                "/api/v0/customers/7",
                "/api/v2/customers/7",
                "/api/customers/7",
                "/v1/customers/7",
                "/customers/7",
                "/legacy/api/v1/customers/7",
                "/legacy/v1/customers/7",
                "/old/api/v1/customers/7",
                "/old/v1/customers/7",
            ]
        );
    }

    #[test]
    fn queries_are_kept_and_unversioned_paths_get_prefixes_only() {
        assert_eq!(
            candidates("/api/statements?month=2025-09"),
            [
                "/statements?month=2025-09",
                "/legacy/api/statements?month=2025-09",
                "/legacy/statements?month=2025-09",
                "/old/api/statements?month=2025-09",
                "/old/statements?month=2025-09"
            ]
        );
        assert!(candidates("/").is_empty());
        // Not a version: a resource that happens to start with v.
        assert!(!candidates("/api/vendors").iter().any(|c| c.contains("/v0")));
    }

    #[test]
    fn version_numbers_are_bounded() {
        let c = candidates("/v3/orders");
        assert_eq!(&c[..4], ["/v2/orders", "/v1/orders", "/v0/orders", "/v4/orders"]);
        assert!(c.len() <= MAX_TWINS);
        assert!(candidates("/v99999999999/x").iter().all(|p| !p.contains("v100000000000")));
    }
}
