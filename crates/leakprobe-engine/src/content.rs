//! What a response body is, beyond its status: a static asset, a vendored library bundle, or data.
//! Discovery and the analyzers ask here, so "JavaScript is not data" is decided in one place.
//!
//! A vendored bundle (swagger-ui, React, jQuery, …) is recognised by its file name or by a
//! fingerprint near its top (license banners and UMD headers sit in the first KiB); the list is
//! `data/vendored-scripts.txt`. A static asset is JavaScript, CSS, a font or an image, by content
//! type or, when the server sends none that says so, by extension.
use std::sync::LazyLock;

use crate::client::Exchange;

/// Bytes of a script searched for a fingerprint: banners come first.
const FINGERPRINT_WINDOW: usize = 1024;

struct Vendored {
    names: Vec<String>,
    marks: Vec<&'static str>,
}

static VENDORED: LazyLock<Vendored> = LazyLock::new(|| {
    let mut v = Vendored { names: Vec::new(), marks: Vec::new() };
    for line in crate::discovery::data_lines(include_str!("../data/vendored-scripts.txt")) {
        if let Some(glob) = line.strip_prefix("name ") {
            v.names.push(glob.trim().to_ascii_lowercase());
        } else if let Some(mark) = line.strip_prefix("mark ") {
            v.marks.push(mark.trim());
        }
    }
    v
});

/// `*` matches any run of characters; everything else literally.
fn glob_match(glob: &str, name: &str) -> bool {
    let mut parts = glob.split('*');
    let Some(first) = parts.next() else { return true };
    let Some(mut rest) = name.strip_prefix(first) else { return false };
    let parts: Vec<&str> = parts.collect();
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

/// A well-known third-party bundle (swagger-ui, React, jQuery, …), by file name or fingerprint:
/// neither a source of the API's own paths nor of anyone's personal data.
pub fn is_vendored_script(path: &str, body: &[u8]) -> bool {
    let file = path.split(['?', '#']).next().unwrap_or(path);
    let file = file.rsplit('/').next().unwrap_or(file).to_ascii_lowercase();
    let script = file.ends_with(".js") || file.ends_with(".mjs");
    if script && VENDORED.names.iter().any(|g| glob_match(g, &file)) {
        return true;
    }
    let head = String::from_utf8_lossy(&body[..body.len().min(FINGERPRINT_WINDOW)]);
    let trimmed = head.trim_start();
    // Only code is fingerprinted: an HTML page that mentions swagger-ui is not a bundle.
    let looks_like_code = !trimmed.starts_with('<') && !trimmed.starts_with('{') && !trimmed.starts_with('[');
    looks_like_code && VENDORED.marks.iter().any(|m| head.contains(m))
}

/// Extensions of code, styles, fonts and images.
const STATIC_EXTENSIONS: &[&str] = &[
    "js", "mjs", "cjs", "map", "css", "woff", "woff2", "ttf", "otf", "eot", "png", "jpg", "jpeg", "gif", "svg", "ico",
    "webp", "avif", "bmp",
];

/// A JavaScript, CSS, font or image response: code and presentation, not records.
pub fn is_static_asset(ex: &Exchange) -> bool {
    let ct = ex.content_type().to_ascii_lowercase();
    let by_type = ct.contains("javascript")
        || ct.contains("ecmascript")
        || ct.starts_with("text/css")
        || ct.starts_with("font/")
        || ct.contains("font-woff")
        || ct.starts_with("image/");
    if by_type {
        return true;
    }
    // A JSON or HTML answer is what it says, whatever the path ends with (`/api/users.js` routes).
    if ex.is_json() || ex.is_html() {
        return false;
    }
    let file = ex.path().rsplit('/').next().unwrap_or_default();
    file.rsplit_once('.').is_some_and(|(_, ext)| STATIC_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()))
}

/// An OpenAPI or Swagger document: its `example` values document the API's shape (a sample card
/// number, a sample e-mail) and belong to nobody. Hard-coded keys in it still count.
pub fn is_api_description(ex: &Exchange) -> bool {
    let head = &ex.body[..ex.body.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start();
    let json_spec = trimmed.starts_with('{')
        && (trimmed.contains("\"openapi\"") || trimmed.contains("\"swagger\""))
        && memchr_like(&ex.body, b"\"paths\"");
    let yaml_spec =
        (trimmed.starts_with("openapi:") || trimmed.starts_with("swagger:")) && memchr_like(&ex.body, b"\npaths:");
    json_spec || yaml_spec
}

fn memchr_like(body: &[u8], needle: &[u8]) -> bool {
    body.windows(needle.len()).any(|w| w == needle)
}

/// The Werkzeug debugger's traceback page or its console: its script globals carry a per-process
/// `SECRET` that is the debugger's, not the application's. Reported by `error_disclosure`.
pub fn is_werkzeug_debugger(body: &[u8]) -> bool {
    let head = &body[..body.len().min(64 * 1024)];
    let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    (has(b"CONSOLE_MODE") && has(b"EVALEX")) || has(b"// Werkzeug Debugger</title>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendored_bundles_by_name_and_by_banner() {
        assert!(is_vendored_script("/docs/swagger-ui-bundle.js", b"!function(e,t){}"));
        assert!(is_vendored_script("/static/js/jquery-3.7.1.min.js", b""));
        assert!(is_vendored_script("/static/react-dom.production.min.js", b""));
        assert!(is_vendored_script("/assets/lib.4f2a9c.js", b"/*! @license React v18.2.0 react.production.min.js */"));
        assert!(is_vendored_script("/assets/x.js", b"/*!\n * Bootstrap v5.3.2 (the MIT-licensed build)\n */"));
        assert!(!is_vendored_script("/static/app.js", b"fetch('/api/users').then(r=>r.json())"));
        assert!(!is_vendored_script("/static/main.4f2a9c.js", b"n.password=e.value"));
        // A page about swagger-ui is not the bundle.
        assert!(!is_vendored_script("/docs", b"<!doctype html><script src=swagger-ui-bundle.js>"));
        assert!(is_vendored_script("/static/vendor/jquery-3.7.1.min.js", b"!function(e){}"));
        assert!(is_vendored_script("/static/lib.js", b"/*! jQuery v3.7.1 | (c) OpenJS Foundation */"));
        assert!(!is_vendored_script("/static/js/app.js", b"fetch('/api/accounts')"));
    }

    #[test]
    fn globs() {
        assert!(glob_match("jquery*.js", "jquery.min.js"));
        assert!(glob_match("react.*.js", "react.production.min.js"));
        assert!(!glob_match("react.*.js", "reactor.js"));
        assert!(!glob_match("vue*.js", "revue.js"));
    }
}
