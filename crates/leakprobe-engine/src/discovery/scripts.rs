//! API paths in JavaScript: the URL of `fetch(...)`, `axios.get/post/...`, `$.ajax/$.get/$.post`
//! and `XMLHttpRequest.open(...)` calls (with the method when the call names it), and string or
//! template literals that look like API paths. `` `/api/users/${user.id}` `` becomes
//! `/api/users/{id}`.
use std::sync::LazyLock;

use regex::Regex;
use url::Url;

use super::links::same_origin_path;
use super::Candidate;
use crate::client::Exchange;
use crate::content;
use crate::inventory::Source;

/// How much of one script is read: app code, not the megabytes of a bundle.
const MAX_SCRIPT_BYTES: usize = 512 * 1024;
const MAX_PATHS_PER_SCRIPT: usize = 100;
const MAX_PATH_LEN: usize = 200;
/// How far after a `$.ajax({` or `fetch(url, {` the `method`/`type` option is looked for.
const OPTIONS_WINDOW: usize = 300;

/// A quoted string or template literal (without nested backticks).
const LITERAL: &str = r#"(?:'([^'\n]{1,200})'|"([^"\n]{1,200})"|`([^`]{1,200})`)"#;

#[allow(clippy::unwrap_used)] // constant patterns
static FETCH: LazyLock<Regex> = LazyLock::new(|| Regex::new(&format!(r"\bfetch\s*\(\s*{LITERAL}")).unwrap());
#[allow(clippy::unwrap_used)]
static AXIOS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"\b(?:axios|http|api|client)\.(get|post|put|patch|delete|head)\s*\(\s*{LITERAL}")).unwrap()
});
#[allow(clippy::unwrap_used)]
static JQUERY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?:\$|jQuery)\.(get|post|getJSON)\s*\(\s*{LITERAL}")).unwrap());
#[allow(clippy::unwrap_used)]
static URL_OPTION: LazyLock<Regex> = LazyLock::new(|| Regex::new(&format!(r"\burl\s*:\s*{LITERAL}")).unwrap());
#[allow(clippy::unwrap_used)]
static XHR_OPEN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r#"\.open\s*\(\s*['"]([A-Za-z]+)['"]\s*,\s*{LITERAL}"#)).unwrap());
#[allow(clippy::unwrap_used)]
static METHOD_OPTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\b(?:method|type)\s*:\s*['"]([A-Za-z]+)['"]"#).unwrap());
/// Any literal that starts like an API path.
#[allow(clippy::unwrap_used)]
static API_LITERAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"['"`](/(?:api|v[0-9]+|rest|graphql|internal|admin)(?:/[^'"`\s<>]*)?)['"`]"#).unwrap()
});
#[allow(clippy::unwrap_used)]
static INLINE_SCRIPT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)<script\b([^>]*)>(.*?)</script\s*>").unwrap());
#[allow(clippy::unwrap_used)]
static INTERPOLATION: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\$\{([^}]{0,80})\}").unwrap());
#[allow(clippy::unwrap_used)]
static IDENTIFIER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[A-Za-z_][A-Za-z0-9_]*").unwrap());

/// Paths in a fetched script file (skipped when it is a vendored bundle) or in the inline
/// `<script>`s of an HTML page.
pub fn from_exchange(ex: &Exchange, base: &Url) -> Vec<Candidate> {
    let body = &ex.body[..ex.body.len().min(MAX_SCRIPT_BYTES)];
    if ex.is_html() {
        let text = String::from_utf8_lossy(body);
        return INLINE_SCRIPT
            .captures_iter(&text)
            .filter(|c| !c[1].to_ascii_lowercase().contains("src=") && !c[1].contains("json"))
            .flat_map(|c| from_script(&c[2], &ex.url, base))
            .take(MAX_PATHS_PER_SCRIPT)
            .collect();
    }
    if !is_script(ex) || content::is_vendored_script(ex.path(), &ex.body) {
        return Vec::new();
    }
    from_script(&String::from_utf8_lossy(body), &ex.url, base)
}

fn is_script(ex: &Exchange) -> bool {
    let ct = ex.content_type().to_ascii_lowercase();
    let path = ex.path().to_ascii_lowercase();
    ct.contains("javascript") || ct.contains("ecmascript") || path.ends_with(".js") || path.ends_with(".mjs")
}

pub fn from_script(code: &str, page: &Url, base: &Url) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    let mut push = |literal: &str, end: usize, method: &'static str| {
        if out.len() >= MAX_PATHS_PER_SCRIPT {
            return;
        }
        // `'/api/payees/' + id`: the concatenated value is the next segment.
        let concatenated = literal.ends_with('/') && code[end..].trim_start().starts_with('+');
        let literal = if concatenated { format!("{literal}${{id}}") } else { literal.to_string() };
        let Some((declared, concrete)) = path_of(&literal, page, base) else { return };
        if out.iter().any(|c| c.declared == declared && c.method == method) {
            return;
        }
        out.push(Candidate { declared, concrete, method, source: Source::Script, body: None, params: Vec::new() });
    };
    let end_of = |c: &regex::Captures| c.get(0).map_or(0, |m| m.end());
    for c in FETCH.captures_iter(code) {
        push(literal(&c, 1), end_of(&c), method_in(&code[end_of(&c)..]));
    }
    for c in AXIOS.captures_iter(code).chain(JQUERY.captures_iter(code)) {
        push(literal(&c, 2), end_of(&c), known_method(&c[1]));
    }
    for c in XHR_OPEN.captures_iter(code) {
        push(literal(&c, 2), end_of(&c), known_method(&c[1]));
    }
    for c in URL_OPTION.captures_iter(code) {
        // `$.ajax({type: 'POST', url: '/x'})`: the method option is in the same object, either side.
        let at = c.get(0).map_or(0, |m| m.start());
        let open = code[..at].rfind('{').map_or(at, |i| i + 1);
        let close = code[at..].find('}').map_or(code.len(), |i| at + i);
        let options = &code[open..close];
        let method = METHOD_OPTION.captures(options).map_or("GET", |m| known_method(&m[1]));
        push(literal(&c, 1), end_of(&c), method);
    }
    for c in API_LITERAL.captures_iter(code) {
        push(&c[1], end_of(&c), "GET");
    }
    out
}

/// The first of the literal's alternatives that matched, starting at capture group `first`.
fn literal<'a>(c: &regex::Captures<'a>, first: usize) -> &'a str {
    (first..first + 3).find_map(|i| c.get(i)).map_or("", |m| m.as_str())
}

/// The `method: 'POST'` of the options that follow a URL, if they are within reach.
fn method_in(after: &str) -> &'static str {
    let window = &after[..floor_char_boundary(after, OPTIONS_WINDOW.min(after.len()))];
    // Stop at the end of this call's options: the next call's method is not ours.
    let window = window.split(['}', ';']).next().unwrap_or(window);
    METHOD_OPTION.captures(window).map_or("GET", |c| known_method(&c[1]))
}

fn known_method(m: &str) -> &'static str {
    match m.to_ascii_uppercase().as_str() {
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        _ => "GET",
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// `(declared, concrete)`: the literal with interpolations as `{name}` placeholders, and with them
/// filled so it can be requested. `None` for anything that is not a same-origin path.
fn path_of(literal: &str, page: &Url, base: &Url) -> Option<(String, String)> {
    let literal = literal.trim();
    if literal.len() > MAX_PATH_LEN || !(literal.starts_with('/') || literal.starts_with("http")) {
        return None;
    }
    if literal.starts_with("//") || literal.contains(char::is_whitespace) && !literal.contains("${") {
        return None;
    }
    let declared = INTERPOLATION
        .replace_all(literal, |c: &regex::Captures| {
            let name = IDENTIFIER.find_iter(&c[1]).last().map_or("id", |m| m.as_str());
            format!("{{{name}}}")
        })
        .into_owned();
    if declared.contains(['$', '`', '\\', ' ']) || declared.ends_with(".js") || declared.ends_with(".css") {
        return None;
    }
    // A literal that ends in a placeholder query or path piece (`'/api/items?page=' + n`) is used
    // as is: the concrete request fills every placeholder with 1.
    let filled = crate::inventory::fill_template(&declared, |_| None);
    let concrete = same_origin_path(&filled, page, base)?;
    Some((declared_path_of(&declared, page, base)?, concrete))
}

/// Resolves a template with `{name}` placeholders without letting `url` percent-encode them.
fn declared_path_of(declared: &str, page: &Url, base: &Url) -> Option<String> {
    let marked = declared.replace('{', "LPOPEN").replace('}', "LPCLOSE");
    Some(same_origin_path(&marked, page, base)?.replace("LPOPEN", "{").replace("LPCLOSE", "}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(code: &str) -> Vec<(String, String, &'static str)> {
        let base = Url::parse("http://127.0.0.1:5000/").expect("url");
        let page = base.join("/static/js/app.js").expect("url");
        from_script(code, &page, &base).into_iter().map(|c| (c.declared, c.concrete, c.method)).collect()
    }

    #[test]
    fn calls_name_their_methods() {
        let found = paths(
            r#"
            const r = await fetch(`/api/accounts/${account.id}/statements?month=${m}`);
            fetch('/api/transfers', { method: 'POST', body: JSON.stringify(t) });
            axios.delete("/api/payees/" + id);
            axios.patch(`/api/profile`, data);
            $.post('/portal/feedback', {text: t});
            $.ajax({ type: "PUT", url: '/api/cards/limit' });
            xhr.open("GET", "/api/notifications?unread=1");
            const ENDPOINTS = { export: '/api/v1/exports/latest', other: '/about/team' };
            "#,
        );
        let want = [
            ("/api/accounts/{id}/statements?month={m}", "/api/accounts/1/statements?month=1", "GET"),
            ("/api/transfers", "/api/transfers", "POST"),
            ("/api/payees/{id}", "/api/payees/1", "DELETE"),
            ("/api/profile", "/api/profile", "PATCH"),
            ("/portal/feedback", "/portal/feedback", "POST"),
            ("/api/notifications?unread=1", "/api/notifications?unread=1", "GET"),
            ("/api/cards/limit", "/api/cards/limit", "PUT"),
            ("/api/v1/exports/latest", "/api/v1/exports/latest", "GET"),
        ];
        for w in want {
            assert!(found.iter().any(|f| (f.0.as_str(), f.1.as_str(), f.2) == w), "missing {w:?} in {found:?}");
        }
        assert!(!found.iter().any(|f| f.0.contains("/about/team")), "a non-API literal became a path: {found:?}");
    }

    #[test]
    fn other_origins_and_non_paths_are_ignored() {
        assert!(paths(r#"fetch("https://cdn.elsewhere.invalid/api/x"); fetch("data:text/plain,hi"); "/api/x y""#)
            .is_empty());
    }
}
