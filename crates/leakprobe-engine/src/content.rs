//! What a response body is, beyond its status: a static asset, a vendored library bundle, or data.
//! Discovery and the analyzers ask here, so "JavaScript is not data" is decided in one place.
//!
//! (`is_static_asset` is an interface placeholder; `is_vendored_script` reads
//! `data/vendored-scripts.txt`.)
use crate::client::Exchange;

const VENDORED_SCRIPTS: &str = include_str!("../data/vendored-scripts.txt");
/// How much of a script's start is searched for a library's banner comment.
const BANNER_WINDOW: usize = 1024;

/// A well-known third-party bundle (swagger-ui, React, jQuery, …), by file name or fingerprint:
/// neither a source of the API's own paths nor of anyone's personal data.
pub fn is_vendored_script(path: &str, body: &[u8]) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let head = String::from_utf8_lossy(&body[..body.len().min(BANNER_WINDOW)]).to_ascii_lowercase();
    VENDORED_SCRIPTS.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).any(|rule| {
        match rule.strip_prefix("banner:") {
            Some(banner) => head.contains(&banner.trim().to_ascii_lowercase()),
            None => name_matches(rule, &name),
        }
    })
}

/// `jquery*.js` style patterns: one `*` at most, matched against the file name.
fn name_matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        Some((prefix, suffix)) => {
            name.len() >= prefix.len() + suffix.len() && name.starts_with(prefix) && name.ends_with(suffix)
        }
        None => name == pattern,
    }
}

/// A JavaScript, CSS, font or image response: code and presentation, not records.
pub fn is_static_asset(_ex: &Exchange) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendored_bundles_by_name_and_banner() {
        assert!(is_vendored_script("/static/vendor/jquery-3.7.1.min.js", b"!function(e){}"));
        assert!(is_vendored_script("/static/lib.js", b"/*! jQuery v3.7.1 | (c) OpenJS Foundation */"));
        assert!(is_vendored_script("/docs/swagger-ui-bundle.js", b""));
        assert!(!is_vendored_script("/static/js/app.js", b"fetch('/api/accounts')"));
    }
}
