//! `insecure_cookie`: every `Set-Cookie` of the scan, checked for `Secure`, `HttpOnly` and
//! `SameSite`. One finding per cookie name, origin-wide.
use std::sync::LazyLock;
use std::time::SystemTime;

use leakprobe_detect::PiiType;

use super::is_loopback;
use crate::checks::Hit;
use crate::client::Exchange;
use crate::context::ScanContext;
use crate::report::{Confidence, Severity};

static SESSION_NAMES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    include_str!("../../../data/session-cookie-names.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

/// The parts of a `Set-Cookie` header this check needs.
#[derive(Debug, PartialEq, Eq)]
pub struct SetCookie<'a> {
    pub name: &'a str,
    pub value: &'a str,
    /// The attributes as sent (`Path=/; HttpOnly`), for evidence.
    pub attributes: &'a str,
    pub secure: bool,
    pub http_only: bool,
    pub same_site: Option<String>,
    /// An expired or emptied cookie: the server is deleting it, not setting it.
    pub deletion: bool,
}

pub fn parse(header: &str) -> Option<SetCookie<'_>> {
    let (pair, attributes) = header.split_once(';').unwrap_or((header, ""));
    let (name, value) = pair.split_once('=')?;
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    let value = value.trim().trim_matches('"');
    let mut cookie = SetCookie {
        name,
        value,
        attributes: attributes.trim(),
        secure: false,
        http_only: false,
        same_site: None,
        deletion: value.is_empty(),
    };
    for attribute in attributes.split(';') {
        let (key, val) = attribute.split_once('=').unwrap_or((attribute, ""));
        let val = val.trim();
        match key.trim().to_ascii_lowercase().as_str() {
            "secure" => cookie.secure = true,
            "httponly" => cookie.http_only = true,
            "samesite" => cookie.same_site = Some(val.to_ascii_lowercase()),
            "max-age" => cookie.deletion |= val.parse::<i64>().is_ok_and(|s| s <= 0),
            "expires" => {
                cookie.deletion |= httpdate::parse_http_date(val).is_ok_and(|when| when <= SystemTime::now());
            }
            _ => {}
        }
    }
    Some(cookie)
}

/// Session and credential cookies by name; CSRF cookies are meant to be read by scripts.
fn holds_session(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    !name.contains("csrf") && !name.contains("xsrf") && SESSION_NAMES.iter().any(|f| name.contains(f))
}

pub fn analyze(ex: &Exchange, ctx: &ScanContext, hits: &mut Vec<Hit>) {
    // A local http dev server cannot be expected to mark cookies Secure: production config does.
    let local_http = ex.url.scheme() == "http" && is_loopback(ctx.client.base());
    for header in ex.header_all("set-cookie") {
        let Some(cookie) = parse(header) else {
            continue;
        };
        if cookie.deletion {
            continue;
        }
        let Some((severity, missing)) = verdict(&cookie, local_http) else {
            continue;
        };
        let what = if holds_session(cookie.name) { "Session cookie" } else { "Cookie" };
        let shown = ctx.redact(PiiType::Token, cookie.value);
        let attributes = if cookie.attributes.is_empty() { String::new() } else { format!("; {}", cookie.attributes) };
        hits.push(Hit {
            title: format!("{what} `{}` is set without {}", cookie.name, missing.join(", ")),
            severity,
            confidence: Confidence::Confirmed,
            method: "*".into(),
            path: "*".into(),
            kind: cookie.name.to_string(),
            pii_types: Vec::new(),
            evidence: format!("Set-Cookie: {}={shown}{attributes}", cookie.name),
        });
    }
}

/// What the cookie lacks and how much that matters; `None` when it lacks nothing that matters.
fn verdict(cookie: &SetCookie<'_>, local_http: bool) -> Option<(Severity, Vec<&'static str>)> {
    let session = holds_session(cookie.name);
    let mut missing: Vec<&'static str> = Vec::new();
    let mut severity = Severity::Info;
    let mut raise = |s: Severity| severity = severity.max(s);
    let same_site_none = cookie.same_site.as_deref() == Some("none");
    if !cookie.secure {
        // Browsers drop `SameSite=None` without `Secure`: that cookie silently never arrives.
        missing.push(if same_site_none { "Secure (required with SameSite=None)" } else { "Secure" });
        raise(match (session, local_http) {
            (true, false) => Severity::Medium,
            (true, true) | (false, false) => Severity::Low,
            (false, true) if same_site_none => Severity::Low,
            (false, true) => Severity::Info,
        });
    }
    if session && !cookie.http_only {
        missing.push("HttpOnly");
        raise(Severity::Medium);
    }
    if session && cookie.same_site.is_none() {
        missing.push("SameSite");
        raise(Severity::Low);
    }
    (!missing.is_empty()).then_some((severity, missing))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_cookie_attributes_are_parsed_case_insensitively() {
        let c = parse("session=eyJ1c2VyIjo3fQ.Zx; Path=/; secure; HTTPONLY; SameSite=Lax").expect("cookie");
        assert_eq!((c.name, c.value), ("session", "eyJ1c2VyIjo3fQ.Zx"));
        assert!(c.secure && c.http_only && !c.deletion);
        assert_eq!(c.same_site.as_deref(), Some("lax"));

        let bare = parse("remember_token=abc123").expect("cookie");
        assert!(!bare.secure && !bare.http_only && bare.same_site.is_none());
        assert!(parse("no-equals-sign").is_none());
        assert!(parse("=value").is_none());
    }

    #[test]
    fn deletions_are_recognised() {
        assert!(parse("session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/").expect("c").deletion);
        assert!(parse("sid=x; Max-Age=0").expect("c").deletion);
        assert!(parse("sid=x; Expires=Wed, 21 Oct 2015 07:28:00 GMT").expect("c").deletion);
        assert!(!parse("sid=x; Max-Age=3600").expect("c").deletion);
    }

    #[test]
    fn session_cookies_need_all_three_flags_and_others_only_secure() {
        let v = |h: &str, local| verdict(&parse(h).expect("cookie"), local);
        assert_eq!(v("session=x; Path=/", false), Some((Severity::Medium, vec!["Secure", "HttpOnly", "SameSite"])));
        assert_eq!(v("session=x; Secure; HttpOnly; SameSite=Lax", false), None);
        assert_eq!(v("session=x; HttpOnly; SameSite=Lax", false), Some((Severity::Medium, vec!["Secure"])));
        assert_eq!(v("session=x; HttpOnly; SameSite=Lax", true), Some((Severity::Low, vec!["Secure"])), "local http");
        assert_eq!(v("session=x; Secure; HttpOnly", false), Some((Severity::Low, vec!["SameSite"])));
        assert_eq!(v("theme=dark; SameSite=Lax", false), Some((Severity::Low, vec!["Secure"])));
        assert_eq!(v("theme=dark", true), Some((Severity::Info, vec!["Secure"])));
        assert_eq!(v("theme=dark; Secure", false), None, "preference cookies may be read by scripts");
        assert_eq!(
            v("sid=x; HttpOnly; SameSite=None", false),
            Some((Severity::Medium, vec!["Secure (required with SameSite=None)"]))
        );
    }

    #[test]
    fn session_cookies_are_told_from_preferences() {
        for name in ["session", "PHPSESSID", "connect.sid", "remember_token", "access_token", "auth"] {
            assert!(holds_session(name), "{name}");
        }
        for name in ["theme", "csrf_token", "XSRF-TOKEN", "_ga", "locale"] {
            assert!(!holds_session(name), "{name}");
        }
    }
}
