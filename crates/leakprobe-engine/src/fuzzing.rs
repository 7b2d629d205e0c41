//! Entry points for the coverage-guided fuzz targets in `fuzz/` (feature `fuzzing`, off in every
//! real build): each parser that reads what a target sends, called on arbitrary bytes without a
//! scan around it. A panic, a hang or an allocation blow-up found here is one a hostile target could
//! cause; each becomes a regression test next to the code it broke.
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
use reqwest::Method;
use rustls::pki_types::CertificateDer;
use url::Url;

use crate::checks::sensitive_files::inspect;
use crate::client::{AuthMode, Exchange};
use crate::discovery::{docs, forms, links, openapi, scripts};

/// An OpenAPI or Swagger document, JSON or YAML, as served at `/openapi.json` or given with `--spec`.
pub fn openapi(bytes: &[u8]) {
    let _ = openapi::parse(bytes);
}

/// A page or script as discovery reads it: links in JSON and HTML bodies, robots.txt, sitemaps,
/// forms, `fetch`/`axios` calls in scripts and request examples in API docs.
pub fn links(bytes: &[u8]) {
    let Ok(base) = Url::parse("http://127.0.0.1:8000/") else { return };
    for content_type in ["application/json", "text/html", "text/plain", "application/xml"] {
        let ex = answer(&base, content_type, bytes);
        let _ = links::from_body(&ex, &base);
        let _ = links::from_robots(&ex, &base);
        let _ = links::from_sitemap(&ex, &base);
    }
    let text = String::from_utf8_lossy(bytes);
    let _ = forms::from_html(&text, &base, &base);
    let _ = scripts::from_script(&text, &base, &base);
    let _ = docs::from_text(&text, &base, &base);
}

/// A served file as the sensitive-file checks read it: zip and tar listings, a git index, SQLite's
/// schema page and a SQL dump.
pub fn sensitive_files(bytes: &[u8]) {
    let _ = inspect::zip_entries(bytes);
    let _ = inspect::tar_entries(bytes);
    let _ = inspect::git_index(bytes);
    let Ok(base) = Url::parse("http://127.0.0.1:8000/db.sqlite3") else { return };
    let _ = inspect::sqlite(&answer(&base, "application/octet-stream", bytes));
    let _ = inspect::sql(&String::from_utf8_lossy(bytes));
}

/// A server's first TLS record answering a legacy ClientHello, and a leaf certificate's DER.
pub fn tls(bytes: &[u8]) {
    for offered in [0x0301, 0x0302] {
        let _ = crate::tls::legacy::classify(bytes, offered);
    }
    let _ = crate::tls::leaf_facts(&CertificateDer::from(bytes));
}

fn answer(url: &Url, content_type: &'static str, body: &[u8]) -> Exchange {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    Exchange {
        method: Method::GET,
        url: url.clone(),
        request_headers: Vec::new(),
        request_body: None,
        status: Some(200),
        headers,
        body: Bytes::copy_from_slice(body),
        truncated: false,
        elapsed: Duration::ZERO,
        error: None,
        identity: None,
        auth: AuthMode::Normal,
        parsed: Default::default(),
    }
}
