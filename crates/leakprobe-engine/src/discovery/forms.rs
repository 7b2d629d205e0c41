//! HTML forms as operations: a `<form>`'s action, method and enctype, and the name, type and value
//! of each `input`, `select` and `textarea` it holds.
//!
//! Parsed with `tl`: a real HTML parser (unquoted attributes, attribute order, nesting) that has no
//! dependencies of its own, so it adds seconds, not minutes, to a build on a small machine
//! (`scraper` pulls in html5ever, selectors and cssparser).
use url::Url;

use super::links::same_origin_path;
use super::Candidate;
use crate::client::Exchange;
use crate::inventory::{BodyEncoding, BodyTemplate, Param, ParamLocation, Source};

const MAX_FORMS_PER_PAGE: usize = 20;
const MAX_FIELDS_PER_FORM: usize = 50;
const MAX_VALUE_LEN: usize = 200;

/// Every same-origin form of an HTML page.
pub fn from_page(ex: &Exchange, base: &Url) -> Vec<Candidate> {
    if !ex.is_html() {
        return Vec::new();
    }
    let text = ex.text();
    from_html(&text, &ex.url, base)
}

pub fn from_html(html: &str, page: &Url, base: &Url) -> Vec<Candidate> {
    let Ok(dom) = tl::parse(html, tl::ParserOptions::default()) else { return Vec::new() };
    let parser = dom.parser();
    let mut out = Vec::new();
    let Some(forms) = dom.query_selector("form") else { return out };
    for handle in forms.take(MAX_FORMS_PER_PAGE) {
        let Some(form) = handle.get(parser).and_then(tl::Node::as_tag) else { continue };
        let attr = |name: &str| attribute(form, name);
        // An empty or missing action submits to the page itself.
        let action = attr("action").filter(|a| !a.trim().is_empty()).unwrap_or_else(|| page.as_str().to_string());
        let Some(target) = same_origin_path(action.trim(), page, base) else { continue };
        let method = attr("method").map(|m| m.trim().to_ascii_uppercase()).filter(|m| !m.is_empty());
        let method = match method.as_deref() {
            Some("POST") => "POST",
            // HTML forms only know GET and POST (and `dialog`); anything else is submitted as GET.
            _ => "GET",
        };
        let encoding = match attr("enctype").map(|e| e.to_ascii_lowercase()) {
            Some(e) if e.contains("multipart") => BodyEncoding::Multipart,
            _ => BodyEncoding::Form,
        };
        let fields = fields(form, parser);
        if method == "GET" {
            // A GET form is a URL with a query: `/items/search?q=`.
            let path = target.split('?').next().unwrap_or(&target).to_string();
            let query: Vec<String> = fields
                .iter()
                .map(|f| format!("{}={}", encode(&f.name), encode(f.example.as_deref().unwrap_or(""))))
                .collect();
            let concrete = if query.is_empty() { path.clone() } else { format!("{path}?{}", query.join("&")) };
            let params = fields.into_iter().map(|f| Param { location: ParamLocation::Query, ..f }).collect();
            out.push(Candidate {
                declared: concrete.clone(),
                concrete,
                method: "GET",
                source: Source::Form,
                body: None,
                params,
            });
        } else {
            let body = BodyTemplate { method: "POST".into(), encoding, fields, example: None, source: Source::Form };
            out.push(Candidate {
                declared: target.clone(),
                concrete: target,
                method: "POST",
                source: Source::Form,
                body: Some(body),
                params: Vec::new(),
            });
        }
    }
    out
}

fn fields(form: &tl::HTMLTag, parser: &tl::Parser) -> Vec<Param> {
    let mut out: Vec<Param> = Vec::new();
    for node in form.children().all(parser) {
        if out.len() >= MAX_FIELDS_PER_FORM {
            break;
        }
        let Some(tag) = node.as_tag() else { continue };
        let element = tag.name().as_utf8_str().to_ascii_lowercase();
        let Some(name) = attribute(tag, "name").filter(|n| !n.is_empty()) else { continue };
        let (kind, value) = match element.as_str() {
            "input" => {
                let kind = attribute(tag, "type").map_or_else(|| "text".to_string(), |t| t.to_ascii_lowercase());
                if matches!(kind.as_str(), "submit" | "button" | "image" | "reset") {
                    continue;
                }
                (kind, attribute(tag, "value"))
            }
            "textarea" => ("textarea".to_string(), Some(tag.inner_text(parser).trim().to_string())),
            "select" => ("select".to_string(), first_option(tag, parser)),
            _ => continue,
        };
        if out.iter().any(|f| f.name == name) {
            continue;
        }
        let value = value.filter(|v| !v.is_empty()).map(|v| v.chars().take(MAX_VALUE_LEN).collect());
        out.push(Param { name, location: ParamLocation::Body, kind: Some(kind), example: value });
    }
    out
}

/// The selected option's value, or the first one's.
fn first_option(select: &tl::HTMLTag, parser: &tl::Parser) -> Option<String> {
    let options: Vec<&tl::HTMLTag> = select
        .children()
        .all(parser)
        .iter()
        .filter_map(tl::Node::as_tag)
        .filter(|t| t.name().as_utf8_str().eq_ignore_ascii_case("option"))
        .collect();
    let chosen = options.iter().find(|o| o.attributes().contains("selected")).or(options.first())?;
    attribute(chosen, "value").or_else(|| Some(chosen.inner_text(parser).trim().to_string()))
}

fn attribute(tag: &tl::HTMLTag, name: &str) -> Option<String> {
    let value = tag.attributes().get(name)??;
    Some(decode_entities(&value.as_utf8_str()))
}

/// The few entities that appear in attribute values that are URLs or short values.
pub(crate) fn decode_entities(s: &str) -> String {
    s.replace("&amp;", "&").replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">")
}

/// Percent-encodes a query component (RFC 3986 unreserved characters stay).
fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(html: &str) -> Vec<Candidate> {
        let base = Url::parse("http://127.0.0.1:5000/").expect("url");
        let page = base.join("/portal/support").expect("url");
        from_html(html, &page, &base)
    }

    #[test]
    fn post_form_becomes_an_operation_with_a_body() {
        let found = parse(
            r#"<form method=post action="/portal/tickets" enctype="multipart/form-data">
                 <input type="hidden" name="csrf_token" value="abc&amp;1">
                 <input name=subject required><input type="email" name="email" placeholder="you@example.com">
                 <select name="priority"><option value="low">Low</option><option value="high" selected>High</option></select>
                 <textarea name="message">Hello</textarea><button type="submit" name="go">Send</button>
                 <input type="submit" value="Send">
               </form>"#,
        );
        assert_eq!(found.len(), 1);
        let c = &found[0];
        assert_eq!((c.concrete.as_str(), c.method, c.source), ("/portal/tickets", "POST", Source::Form));
        let body = c.body.as_ref().expect("body");
        assert_eq!(body.encoding, BodyEncoding::Multipart);
        let fields: Vec<(&str, &str, Option<&str>)> = body
            .fields
            .iter()
            .map(|f| (f.name.as_str(), f.kind.as_deref().unwrap_or(""), f.example.as_deref()))
            .collect();
        assert_eq!(
            fields,
            vec![
                ("csrf_token", "hidden", Some("abc&1")),
                ("subject", "text", None),
                ("email", "email", None),
                ("priority", "select", Some("high")),
                ("message", "textarea", Some("Hello")),
            ]
        );
    }

    #[test]
    fn get_forms_are_queries_and_empty_actions_post_to_the_page() {
        let found = parse(
            r#"<form action="search"><input name="q"><input name="page" value="1"></form>
               <form method="POST"><input name="note"></form>
               <form action="https://elsewhere.invalid/collect" method="post"><input name="x"></form>"#,
        );
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].concrete.as_str(), found[0].method), ("/portal/search?q=&page=1", "GET"));
        assert_eq!(found[0].params.len(), 2);
        assert_eq!((found[1].concrete.as_str(), found[1].method), ("/portal/support", "POST"));
    }
}
