//! Documentation read as text: `METHOD /path` pairs (`POST /api/orders`,
//! `GET /api/v2/customers/{customer_id}`) in HTML, Markdown or plain-text pages, paths alone in
//! `<pre>`/`<code>` or backticks, and the JSON example written right after a write operation, kept
//! as its example body.
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;
use url::Url;

use super::forms::decode_entities;
use super::links::same_origin_path;
use super::Candidate;
use crate::client::Exchange;
use crate::inventory::{BodyEncoding, BodyTemplate, Param, ParamLocation, Source};

const MAX_DOC_BYTES: usize = 512 * 1024;
const MAX_PATHS_PER_PAGE: usize = 100;
/// How far after `POST /path` its request example may start.
const EXAMPLE_WINDOW: usize = 600;

#[allow(clippy::unwrap_used)] // constant patterns
static METHOD_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(GET|POST|PUT|PATCH|DELETE)\s+((?:https?://[^\s/]+)?/[A-Za-z0-9_\-./{}:<>~%]*(?:\?[A-Za-z0-9_\-.=&{}%]*)?)",
    )
    .unwrap()
});
#[allow(clippy::unwrap_used)]
static CODE_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?is)<(?:code|pre)\b[^>]*>\s*(/[A-Za-z0-9_\-./{}:~]+(?:\?[A-Za-z0-9_\-.=&{}%]*)?)\s*</(?:code|pre)>|`(/[A-Za-z0-9_\-./{}:~]+)`").unwrap()
});
#[allow(clippy::unwrap_used)]
static TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)<(?:script|style)\b.*?</(?:script|style)\s*>|<[^>]+>").unwrap());
/// Framework-style parameters: Flask `<int:id>`, Express `:id`.
#[allow(clippy::unwrap_used)]
static FLASK_PARAM: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<(?:[a-z]+:)?([A-Za-z_][A-Za-z0-9_]*)>").unwrap());
#[allow(clippy::unwrap_used)]
static EXPRESS_PARAM: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"/:([A-Za-z_][A-Za-z0-9_]*)").unwrap());

/// Operations documented in a page that reads as text (HTML, Markdown, plain text).
pub fn from_exchange(ex: &Exchange, base: &Url) -> Vec<Candidate> {
    let ct = ex.content_type().to_ascii_lowercase();
    let path = ex.path().to_ascii_lowercase();
    let texty = ex.is_html()
        || ct.contains("markdown")
        || ct.starts_with("text/plain")
        || path.ends_with(".md")
        || path.ends_with(".txt");
    if !texty || ex.is_json() {
        return Vec::new();
    }
    let body = &ex.body[..ex.body.len().min(MAX_DOC_BYTES)];
    from_text(&String::from_utf8_lossy(body), &ex.url, base)
}

pub fn from_text(page_text: &str, page: &Url, base: &Url) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    let code_paths: Vec<String> = CODE_PATH
        .captures_iter(page_text)
        .filter_map(|c| c.get(1).or(c.get(2)).map(|m| m.as_str().to_string()))
        .collect();
    // Tags out, entities decoded: `POST <code>/api/orders</code>` and `GET&nbsp;/x` read as text.
    let text = decode_entities(&TAG.replace_all(page_text, " ").replace("&nbsp;", " "));
    let matches: Vec<_> = METHOD_PATH.captures_iter(&text).collect();
    for (i, c) in matches.iter().enumerate() {
        if out.len() >= MAX_PATHS_PER_PAGE {
            break;
        }
        let method = match &c[1] {
            "POST" => "POST",
            "PUT" => "PUT",
            "PATCH" => "PATCH",
            "DELETE" => "DELETE",
            _ => "GET",
        };
        let Some((declared, concrete)) = path_of(&c[2], page, base) else { continue };
        let end = c.get(0).map_or(0, |m| m.end());
        let next = matches.get(i + 1).and_then(|n| n.get(0)).map_or(text.len(), |m| m.start());
        let example = if method == "GET" || method == "DELETE" { None } else { example_in(&text[end..next]) };
        let body = example.map(|example| BodyTemplate {
            method: method.to_string(),
            encoding: BodyEncoding::Json,
            fields: fields_of(&example),
            example: Some(example),
            source: Source::Docs,
        });
        if let Some(existing) = out.iter_mut().find(|o| o.declared == declared && o.method == method) {
            if existing.body.is_none() {
                existing.body = body;
            }
            continue;
        }
        out.push(Candidate { declared, concrete, method, source: Source::Docs, body, params: Vec::new() });
    }
    for raw in code_paths {
        if out.len() >= MAX_PATHS_PER_PAGE {
            break;
        }
        let Some((declared, concrete)) = path_of(&decode_entities(&raw), page, base) else { continue };
        if !out.iter().any(|o| o.declared == declared) {
            out.push(Candidate {
                declared,
                concrete,
                method: "GET",
                source: Source::Docs,
                body: None,
                params: Vec::new(),
            });
        }
    }
    out
}

/// The first JSON object or array that starts within reach of `after` and parses.
fn example_in(after: &str) -> Option<Value> {
    let window_end = after.char_indices().map(|(i, _)| i).find(|i| *i >= EXAMPLE_WINDOW).unwrap_or(after.len());
    let start = after[..window_end].find(['{', '['])?;
    let mut values = serde_json::Deserializer::from_str(&after[start..]).into_iter::<Value>();
    values.next()?.ok().filter(|v| v.is_object() || v.is_array())
}

/// The top-level fields of a documented example, with their JSON types and values.
fn fields_of(example: &Value) -> Vec<Param> {
    let Some(object) = example.as_object() else { return Vec::new() };
    object
        .iter()
        .map(|(name, value)| {
            let kind = match value {
                Value::String(_) => "string",
                Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
                Value::Number(_) => "number",
                Value::Bool(_) => "boolean",
                Value::Array(_) => "array",
                Value::Object(_) => "object",
                Value::Null => "null",
            };
            let example = match value {
                Value::String(s) => Some(s.clone()),
                Value::Null => None,
                other => Some(other.to_string()),
            };
            Param { name: name.clone(), location: ParamLocation::Body, kind: Some(kind.into()), example }
        })
        .collect()
}

/// `(declared, concrete)`: the documented path with its parameters as `{name}`, and with them
/// filled so it can be requested.
fn path_of(raw: &str, page: &Url, base: &Url) -> Option<(String, String)> {
    let raw = raw.trim_end_matches(['.', ',', ':', ')']);
    let declared = FLASK_PARAM.replace_all(raw, "{$1}");
    let declared = EXPRESS_PARAM.replace_all(&declared, "/{$1}").into_owned();
    if declared.contains(['<', '>']) || declared.len() < 2 {
        return None;
    }
    let filled = crate::inventory::fill_template(&declared, |_| None);
    let concrete = same_origin_path(&filled, page, base)?;
    let marked = declared.replace('{', "LPOPEN").replace('}', "LPCLOSE");
    let declared = same_origin_path(&marked, page, base)?.replace("LPOPEN", "{").replace("LPCLOSE", "}");
    Some((declared, concrete))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<Candidate> {
        let base = Url::parse("http://127.0.0.1:8000/").expect("url");
        let page = base.join("/developers").expect("url");
        from_text(text, &page, &base)
    }

    #[test]
    fn method_path_pairs_with_their_examples() {
        let found = parse(
            r#"<h3><span class="verb">POST</span> <code>/api/v2/orders</code></h3>
               <p>Request body:</p><pre>{"customer_id": 1042, "items": [{"sku": "CHR-0002", "qty": 2}], "note": "gift"}</pre>
               <p>Response:</p><pre>{"id": 9, "status": "pending"}</pre>
               <h3>GET /api/v2/customers/{customer_id}</h3><pre>{"id": 1042, "name": "Ada"}</pre>
               <li>DELETE /api/v2/orders/&lt;int:order_id&gt;</li>
               <li>PATCH /api/v2/customers/:customer_id/address</li>
               <p>Health: <code>/healthz</code></p>"#,
        );
        let got: Vec<(&str, &str, &str)> =
            found.iter().map(|c| (c.declared.as_str(), c.concrete.as_str(), c.method)).collect();
        assert_eq!(
            got,
            vec![
                ("/api/v2/orders", "/api/v2/orders", "POST"),
                ("/api/v2/customers/{customer_id}", "/api/v2/customers/1", "GET"),
                ("/api/v2/orders/{order_id}", "/api/v2/orders/1", "DELETE"),
                ("/api/v2/customers/{customer_id}/address", "/api/v2/customers/1/address", "PATCH"),
                ("/healthz", "/healthz", "GET"),
            ]
        );
        let body = found[0].body.as_ref().expect("example body");
        assert_eq!(body.example.as_ref().and_then(|e| e["customer_id"].as_i64()), Some(1042));
        let names: Vec<&str> = body.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, vec!["customer_id", "items", "note"]);
        assert!(found[1].body.is_none(), "a GET's response example is not a request body");
    }

    #[test]
    fn prose_is_not_a_path() {
        assert!(parse("<p>We GET paid / you POST letters.</p>").is_empty());
    }
}
