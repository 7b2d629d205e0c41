//! Paths on the target's origin mentioned in responses: HTML attributes, JSON strings,
//! `robots.txt` rules and `sitemap.xml` locations.
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;
use url::Url;

use crate::client::Exchange;

const MAX_LINKS_PER_BODY: usize = 200;
const MAX_LINK_LEN: usize = 256;
/// Assets that never carry API data; following them only spends the budget.
const SKIPPED_EXTENSIONS: [&str; 12] =
    [".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".woff", ".woff2", ".ttf", ".eot", ".css", ".map"];

/// Form actions are not links: `forms` reads them with their method and fields, and they are
/// confirmed against their directory's own soft-404 model.
#[allow(clippy::unwrap_used)] // constant patterns
static HTML_ATTR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)\b(?:href|src)\s*=\s*["']([^"'#\s]+)"#).unwrap());
#[allow(clippy::unwrap_used)]
static SITEMAP_LOC: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)<loc>\s*([^<\s]+)\s*</loc>").unwrap());

/// Same-origin paths (with query) mentioned in a JSON or HTML body.
pub fn from_body(ex: &Exchange, base: &Url) -> Vec<String> {
    let mut raw = Vec::new();
    if ex.is_json() || ex.body.first().is_some_and(|b| matches!(b, b'{' | b'[')) {
        if let Ok(value) = serde_json::from_slice::<Value>(&ex.body) {
            json_strings(&value, &mut raw);
        }
    } else if ex.is_html() {
        let text = ex.text();
        raw.extend(HTML_ATTR.captures_iter(&text).take(MAX_LINKS_PER_BODY).map(|c| c[1].to_string()));
    }
    let from = &ex.url;
    raw.into_iter().filter_map(|l| same_origin_path(&l, from, base)).take(MAX_LINKS_PER_BODY).collect()
}

fn json_strings(value: &Value, out: &mut Vec<String>) {
    if out.len() >= MAX_LINKS_PER_BODY {
        return;
    }
    match value {
        Value::String(s) if s.starts_with('/') || s.starts_with("http://") || s.starts_with("https://") => {
            out.push(s.clone())
        }
        Value::Array(items) => items.iter().for_each(|v| json_strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| json_strings(v, out)),
        _ => {}
    }
}

/// `Allow`/`Disallow` rules (up to their first wildcard) and `Sitemap` lines of a robots.txt.
pub fn from_robots(ex: &Exchange, base: &Url) -> Vec<String> {
    let text = ex.text();
    if ex.is_html() || !text.to_ascii_lowercase().contains("user-agent") {
        return Vec::new();
    }
    text.lines()
        .filter_map(|line| {
            let (key, value) = line.split_once(':')?;
            let key = key.trim().to_ascii_lowercase();
            let value = value.split('#').next()?.trim();
            match key.as_str() {
                "allow" | "disallow" => Some(value.split(['*', '$']).next()?.to_string()),
                "sitemap" => Some(value.to_string()),
                _ => None,
            }
        })
        .filter(|p| p.len() > 1)
        .filter_map(|l| same_origin_path(&l, &ex.url, base))
        .take(MAX_LINKS_PER_BODY)
        .collect()
}

/// `<loc>` entries of a sitemap (or sitemap index).
pub fn from_sitemap(ex: &Exchange, base: &Url) -> Vec<String> {
    let text = ex.text();
    if !(text.contains("<urlset") || text.contains("<sitemapindex")) {
        return Vec::new();
    }
    SITEMAP_LOC
        .captures_iter(&text)
        .filter_map(|c| same_origin_path(&c[1], &ex.url, base))
        .take(MAX_LINKS_PER_BODY)
        .collect()
}

/// Resolves a link and keeps it only when it stays on the target's origin; returns path + query.
pub(crate) fn same_origin_path(link: &str, from: &Url, base: &Url) -> Option<String> {
    if link.len() > MAX_LINK_LEN || link.starts_with("//") || link.contains(char::is_whitespace) {
        return None;
    }
    let url = from.join(link).ok()?;
    if url.origin() != base.origin() {
        return None;
    }
    let path = url.path();
    if SKIPPED_EXTENSIONS.iter().any(|ext| path.to_ascii_lowercase().ends_with(ext)) {
        return None;
    }
    Some(match url.query() {
        Some(q) => format!("{path}?{q}"),
        None => path.to_string(),
    })
}
