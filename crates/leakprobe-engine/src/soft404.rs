//! The soft-404 model: what this target answers for paths that do not exist.
//!
//! Status codes prove nothing: a catch-all single-page app answers 200 with its `index.html` for
//! `/.env`. Two random paths of different lengths tell a fixed page from one that echoes the URL
//! (feroxbuster's wildcard heuristic); any later response that looks like them is "not found".
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use rand::distr::{Alphanumeric, SampleString};

use crate::client::Exchange;

pub const SHORT_LEN: usize = 32;
pub const LONG_LEN: usize = 96;

/// A random path that no real API serves.
pub fn random_path(len: usize) -> String {
    format!("/{}", Alphanumeric.sample_string(&mut rand::rng(), len).to_lowercase())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// The target answers unknown paths with a real 404 (or 410): those statuses mean "not found".
    Honest,
    /// Same body whatever the path.
    Fixed { status: u16, len: usize, digest: u64 },
    /// The body grows with the path: the page echoes the URL.
    Echo { status: u16, base_len: usize, times: usize },
    /// No usable calibration (errors, timeouts): only 404/410 count as not found.
    Unknown,
}

#[derive(Debug, Clone)]
pub struct SoftNotFound {
    pub shape: Shape,
    title: Option<String>,
}

impl SoftNotFound {
    /// Builds the model from the answers to a [`SHORT_LEN`] and a [`LONG_LEN`] random path.
    pub fn calibrate(short: &Exchange, long: &Exchange) -> Self {
        let title = title_of(short);
        let shape = match (short.status, long.status) {
            (Some(a), Some(b)) if is_not_found_status(a) && is_not_found_status(b) => Shape::Honest,
            (Some(a), Some(b)) if a == b => {
                let (ls, ll) = (short.body.len(), long.body.len());
                if digest(&short.body) == digest(&long.body) || ls == ll {
                    Shape::Fixed { status: a, len: ls, digest: digest(&short.body) }
                } else if ll.saturating_sub(ls) % (LONG_LEN - SHORT_LEN) == 0 && ll > ls {
                    // The path shows up k times in the page (title, link, message…).
                    let times = (ll - ls) / (LONG_LEN - SHORT_LEN);
                    Shape::Echo { status: a, base_len: ls.saturating_sub(times * (SHORT_LEN + 1)), times }
                } else {
                    // Different bodies of unrelated lengths: compare by title and rough size.
                    Shape::Fixed { status: a, len: ls, digest: digest(&short.body) }
                }
            }
            _ => Shape::Unknown,
        };
        SoftNotFound { shape, title }
    }

    /// No calibration at all (the budget or the time ran out before the probes): only 404/410
    /// count as not found.
    pub fn uncalibrated() -> Self {
        SoftNotFound { shape: Shape::Unknown, title: None }
    }

    /// True when the response is this target's way of saying "no such path".
    pub fn is_not_found(&self, ex: &Exchange) -> bool {
        let Some(status) = ex.status else { return true };
        if is_not_found_status(status) {
            return true;
        }
        match &self.shape {
            Shape::Honest | Shape::Unknown => false,
            Shape::Fixed { status: s, len, digest: d } => {
                // The length first: hashing every large body to compare it with a small page costs seconds.
                status == *s && ((ex.body.len() == *len && digest(&ex.body) == *d) || self.similar(ex, *len, 0))
            }
            Shape::Echo { status: s, base_len, times } => {
                let echoed = base_len + times * ex.url.path().len();
                status == *s && (ex.body.len() == echoed || self.similar(ex, echoed, 0))
            }
        }
    }

    /// Same `<title>` and a size within 5% (plus whatever the echoed path may add).
    fn similar(&self, ex: &Exchange, len: usize, slack: usize) -> bool {
        let Some(title) = &self.title else { return false };
        let n = ex.body.len();
        let tolerance = len / 20 + slack;
        title_of(ex).as_ref() == Some(title) && n + tolerance >= len && n <= len + tolerance
    }
}

fn is_not_found_status(status: u16) -> bool {
    matches!(status, 404 | 410)
}

fn digest(body: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    body.hash(&mut h);
    h.finish()
}

fn title_of(ex: &Exchange) -> Option<String> {
    // A `<title>` sits in the head of a page: the first 64 KiB are enough, whatever the body's size.
    let text = String::from_utf8_lossy(&ex.body[..ex.body.len().min(64 * 1024)]);
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title")?;
    let open_end = start + lower[start..].find('>')? + 1;
    let close = open_end + lower[open_end..].find("</title")?;
    Some(text[open_end..close].trim().to_string())
}

/// What one directory answers, for one method, to a path that does not exist in it.
///
/// The root model misses catch-alls mounted below the root: a Flask blueprint whose
/// `/api/<path:rest>` answers 200 `{"error": "not found"}`, or a POST-only catch-all that answers
/// every GET under `/api/` with 405. Paths learned indirectly (forms, scripts, docs, guesses) are
/// compared with a random sibling in their own directory before they count.
#[derive(Debug, Clone)]
pub struct SiblingModel {
    status: Option<u16>,
    len: usize,
    digest: u64,
    path_len: usize,
    json_keys: Option<Vec<String>>,
    title: Option<String>,
}

impl SiblingModel {
    /// A random path in the directory of `path` (`/api/v0/users/1` → `/api/v0/users/<random>`).
    pub fn probe_path(path: &str) -> String {
        let dir = directory_of(path);
        let name = Alphanumeric.sample_string(&mut rand::rng(), 20).to_lowercase();
        format!("{dir}{name}")
    }

    pub fn from_exchange(ex: &Exchange) -> Self {
        SiblingModel {
            status: ex.status,
            len: ex.body.len(),
            digest: digest(&ex.body),
            path_len: ex.url.path().len(),
            json_keys: json_keys(&ex.body),
            title: title_of(ex),
        }
    }

    /// True when `ex` looks like this directory's answer for a path that is not there.
    pub fn is_not_found(&self, ex: &Exchange) -> bool {
        let Some(status) = ex.status else { return true };
        if is_not_found_status(status) {
            return true;
        }
        match self.status {
            None => false,
            Some(s) if is_not_found_status(s) || s != status => false,
            // The same error for a random name: a parameter route failing on a word (`/users/<id>`
            // answering 500 to `/users/config`), a directory-wide 401/403, a POST-only catch-all's
            // 405. Not proof that the path exists.
            Some(s) if s >= 400 => true,
            Some(_) => {
                if digest(&ex.body) == self.digest {
                    return true;
                }
                // The same error object with the path echoed in it, or the same page.
                let keys = json_keys(&ex.body);
                if keys.is_some() && keys == self.json_keys {
                    return true;
                }
                let slack = self.len / 20 + 2 * ex.url.path().len().abs_diff(self.path_len) + 8;
                let close = ex.body.len().abs_diff(self.len) <= slack;
                close && (self.json_keys.is_none() || keys.is_none()) && title_of(ex) == self.title
            }
        }
    }
}

/// `/a/b/c` → `/a/b/`; `/a/b/` → `/a/b/`.
pub fn directory_of(path: &str) -> &str {
    let path = path.split(['?', '#']).next().unwrap_or("/");
    match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "/",
    }
}

/// The sorted top-level keys of a JSON object body.
fn json_keys(body: &[u8]) -> Option<Vec<String>> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let mut keys: Vec<String> = value.as_object()?.keys().cloned().collect();
    keys.sort();
    Some(keys)
}

#[cfg(test)]
mod sibling_tests {
    use super::*;

    fn answer(path: &str, status: u16, body: &str) -> Exchange {
        Exchange::for_test(path, Some(status), body)
    }

    #[test]
    fn a_directory_catch_all_is_told_from_real_endpoints() {
        let random = "/api/v0/k2j4h5g6f7d8s9a0q1w2";
        let catch_all = SiblingModel::from_exchange(&answer(
            random,
            200,
            &format!(r#"{{"error": "not found", "path": "{random}"}}"#),
        ));
        let guess = answer("/api/v0/users", 200, r#"{"error": "not found", "path": "/api/v0/users"}"#);
        assert!(catch_all.is_not_found(&guess), "the same error object with another path echoed");
        let real = answer("/api/v0/users", 200, r#"{"users": [{"id": 1}]}"#);
        assert!(!catch_all.is_not_found(&real));

        // A POST-only catch-all answers every GET with 405: a 405 proves nothing there.
        let post_only = SiblingModel::from_exchange(&answer("/hooks/zz", 405, "Method Not Allowed"));
        assert!(post_only.is_not_found(&answer("/hooks/stripe", 405, "Method Not Allowed")));
        // Where unknown paths are honest 404s, a 405 is a real POST-only route.
        let honest = SiblingModel::from_exchange(&answer("/orders/zz", 404, "{}"));
        assert!(!honest.is_not_found(&answer("/orders/lookup", 405, "{}")));
        // A parameter route failing on any word is not a path per word.
        let failing = SiblingModel::from_exchange(&answer("/api/users/zz", 500, "<title>ValueError zz</title>"));
        assert!(failing.is_not_found(&answer("/api/users/config", 500, "<title>ValueError config</title>")));
    }

    #[test]
    fn directories_of_paths() {
        assert_eq!(directory_of("/api/v0/users/1"), "/api/v0/users/");
        assert_eq!(directory_of("/debug/pprof/"), "/debug/pprof/");
        assert_eq!(directory_of("/x?y=/z"), "/");
        assert!(SiblingModel::probe_path("/api/v0/users/1").starts_with("/api/v0/users/"));
    }
}
