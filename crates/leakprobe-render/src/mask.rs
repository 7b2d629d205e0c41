//! Defensive masking of credentials in excerpts, applied to every format.
//!
//! Header values given with `-H` never reach the report, and checks redact their evidence; this is
//! the last line: any `Authorization:`/`Cookie:`/`X-Api-Key:`-looking value, and key-looking query
//! parameters in paths, become `***` before a renderer sees them.
use std::borrow::Cow;
use std::sync::LazyLock;

use leakprobe_engine::report::Report;
use regex::Regex;

const MASK: &str = "***";

/// A credential header name at the start of a line or after a delimiter (a JSON key path such as
/// `debug.headers.Authorization` included), then `:` or `=` (with an optional closing quote for
/// JSON-ish excerpts such as `"Authorization": "Bearer …"`). `-` is not a delimiter, so
/// `Set-Cookie:` (response cookies, whose flags checks quote) is left to the checks' redaction.
static HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?im)(?:^|[\s"'{,;(\[.])(?:proxy-authorization|authorization|cookie|x[-_]api[-_]key|api[-_]key|x[-_]auth[-_]token|x[-_]access[-_]token|x[-_]csrf[-_]token)["']?[ \t]*[:=][ \t]*"#,
    )
    .expect("header mask regex")
});

/// Key-looking query parameters (`?api_key=…`, `&token=…`) in paths and excerpts.
static QUERY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)([?&](?:api[_-]?key|apikey|key|token|access_token|auth|authorization|password|passwd|secret|sig|signature)=)[^&#\s]+")
        .expect("query mask regex")
});

/// `text` with credential header values and key-looking query values replaced by `***`.
pub fn mask_credentials(text: &str) -> Cow<'_, str> {
    let text = QUERY.replace_all(text, |c: &regex::Captures<'_>| format!("{}{MASK}", &c[1]));
    if !HEADER.is_match(&text) {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest_from = 0;
    for m in HEADER.find_iter(&text) {
        if m.start() < rest_from {
            continue;
        }
        out.push_str(&text[rest_from..m.end()]);
        let value = &text[m.end()..];
        // A quoted value ends at its closing quote; a bare one runs to the end of the line (over-masking
        // a line is the safe way to be wrong).
        let len = match value.chars().next() {
            Some(q @ ('"' | '\'')) => value[1..].find(q).map_or(value.len(), |i| i + 2),
            _ => value.find(['\r', '\n']).unwrap_or(value.len()),
        };
        if len > 0 {
            let quoted = value.starts_with(['"', '\'']) && len >= 2 && value[..len].ends_with(&value[..1]);
            if quoted {
                out.push_str(&value[..1]);
                out.push_str(MASK);
                out.push_str(&value[..1]);
            } else {
                out.push_str(MASK);
            }
        }
        rest_from = m.end() + len;
    }
    out.push_str(&text[rest_from..]);
    Cow::Owned(out)
}

/// A copy of the report whose excerpts are masked: evidence, titles, instance paths and the ledger
/// reasons (which quote titles).
pub(crate) fn mask_report(report: &Report) -> Report {
    let mut masked = report.clone();
    for category in masked.categories.values_mut() {
        for finding in &mut category.findings {
            for field in [&mut finding.evidence, &mut finding.title] {
                if let Cow::Owned(m) = mask_credentials(field) {
                    *field = m;
                }
            }
            for instance in &mut finding.instances {
                if let Cow::Owned(m) = mask_credentials(instance) {
                    *instance = m;
                }
            }
        }
    }
    for line in &mut masked.ledger {
        if let Cow::Owned(m) = mask_credentials(&line.reason) {
            line.reason = m;
        }
    }
    masked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_are_masked_in_every_shape() {
        let cases = [
            (
                "GET / HTTP/1.1\nAuthorization: Bearer eyJhbGciOi.secret\nAccept: */*",
                "GET / HTTP/1.1\nAuthorization: ***\nAccept: */*",
            ),
            ("cookie: session=abc123; theme=dark", "cookie: ***"),
            (r#"{"X-Api-Key": "k-123456", "ok": true}"#, r#"{"X-Api-Key": "***", "ok": true}"#),
            ("headers: x-auth-token=zzz", "headers: x-auth-token=***"),
            // A finding's evidence as JSON key paths (the scan echoed its own credentials).
            (
                "GET /api/me → 200: debug.headers.Authorization: tok-1; debug.headers.X-Api-Key: k-2",
                "GET /api/me → 200: debug.headers.Authorization: ***",
            ),
            ("config.api_key = 'abc123' in settings", "config.api_key = '***' in settings"),
        ];
        for (input, want) in cases {
            assert_eq!(mask_credentials(input), want, "{input}");
        }
    }

    #[test]
    fn key_looking_query_values_are_masked() {
        assert_eq!(mask_credentials("/api/users?api_key=s3cr3t&page=2"), "/api/users?api_key=***&page=2");
        assert_eq!(mask_credentials("/x?token=abc#frag"), "/x?token=***#frag");
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        let text = "Server: Werkzeug/3.1.8 Python/3.11.7; Set-Cookie: session=*** (no Secure)";
        assert!(matches!(mask_credentials(text), Cow::Borrowed(_)));
        assert_eq!(mask_credentials("authorization failed for user"), "authorization failed for user");
    }
}
