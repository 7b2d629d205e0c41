//! `hsts_missing_or_weak`: the `Strict-Transport-Security` policy of an https target.
//!
//! Browsers take the policy from any https response of the host, so the check looks at every
//! answer the scan has so far (recon and discovery, the root included) and judges the first policy
//! it finds; the root's exchange comes from the client's cache, no request is added.
use futures::future::BoxFuture;

use crate::checks::Hit;
use crate::client::Probe;
use crate::context::ScanContext;
use crate::report::{Confidence, Severity};

/// 180 days: the floor of the Mozilla Observatory and of most TLS guides (one or two years is usual).
const MIN_MAX_AGE: u64 = 180 * 86_400;

#[derive(Debug, PartialEq, Eq)]
pub struct Policy {
    /// `None` when absent or unparseable: browsers then ignore the whole header (RFC 6797 §6.1).
    pub max_age: Option<u64>,
    pub include_subdomains: bool,
}

pub fn parse(value: &str) -> Policy {
    let mut policy = Policy { max_age: None, include_subdomains: false };
    for directive in value.split(';') {
        let (name, val) = directive.split_once('=').unwrap_or((directive, ""));
        match name.trim().to_ascii_lowercase().as_str() {
            "max-age" => policy.max_age = val.trim().trim_matches('"').parse().ok(),
            "includesubdomains" => policy.include_subdomains = true,
            _ => {}
        }
    }
    policy
}

/// `(kind, severity, title)` for each weakness of `value` (`None`: no header at all).
pub fn judge(value: Option<&str>) -> Vec<(&'static str, Severity, String)> {
    let Some(value) = value else {
        return vec![("missing", Severity::Medium, "No Strict-Transport-Security header on https responses".into())];
    };
    let policy = parse(value);
    let mut found = Vec::new();
    match policy.max_age {
        None => found.push((
            "invalid",
            Severity::Medium,
            "Strict-Transport-Security has no valid max-age, so browsers ignore it".into(),
        )),
        Some(0) => {
            found.push(("disabled", Severity::Medium, "Strict-Transport-Security is switched off (max-age=0)".into()))
        }
        Some(age) if age < MIN_MAX_AGE => found.push((
            "short",
            Severity::Low,
            format!(
                "Strict-Transport-Security max-age is short ({} days; use at least 180, ideally 365+)",
                age / 86_400
            ),
        )),
        Some(_) => {}
    }
    if policy.max_age.is_some_and(|a| a > 0) && !policy.include_subdomains {
        found.push((
            "no_subdomains",
            Severity::Low,
            "Strict-Transport-Security does not cover subdomains (no includeSubDomains)".into(),
        ));
    }
    found
}

pub fn run(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        if ctx.client.base().scheme() != "https" {
            return Vec::new();
        }
        let Ok(root) = ctx.client.send(Probe::get(ctx.client.base().path())).await else {
            return Vec::new();
        };
        let exchanges = ctx.client.exchanges();
        let seen = std::iter::once(&root)
            .chain(exchanges.iter())
            .filter(|e| e.url.scheme() == "https" && e.status.is_some())
            .find_map(|e| e.header("strict-transport-security").map(|v| (e.clone(), v.to_string())));
        let (ex, value) = match &seen {
            Some((ex, value)) => (ex, Some(value.as_str())),
            None => (&root, None),
        };
        let evidence = match value {
            Some(v) => format!("GET {} → {} Strict-Transport-Security: {v}", ex.path(), ex.status.unwrap_or_default()),
            None => format!(
                "GET {} → {} over https without Strict-Transport-Security (nor on any of {} other responses)",
                ex.path(),
                ex.status.unwrap_or_default(),
                exchanges.len().saturating_sub(1)
            ),
        };
        judge(value)
            .into_iter()
            .map(|(kind, severity, title)| Hit {
                title,
                severity,
                confidence: Confidence::Confirmed,
                method: "*".into(),
                path: "*".into(),
                kind: kind.into(),
                pii_types: Vec::new(),
                evidence: evidence.clone(),
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(value: Option<&str>) -> Vec<(&'static str, Severity)> {
        judge(value).into_iter().map(|(k, s, _)| (k, s)).collect()
    }

    #[test]
    fn policies_are_judged_like_the_observatory_does() {
        assert_eq!(kinds(None), vec![("missing", Severity::Medium)]);
        assert!(kinds(Some("max-age=63072000; includeSubDomains; preload")).is_empty());
        assert!(kinds(Some("MAX-AGE=\"31536000\"; INCLUDESUBDOMAINS")).is_empty(), "case and quotes");
        assert_eq!(kinds(Some("max-age=86400")), vec![("short", Severity::Low), ("no_subdomains", Severity::Low)]);
        assert_eq!(kinds(Some("max-age=31536000")), vec![("no_subdomains", Severity::Low)]);
        assert_eq!(kinds(Some("max-age=0; includeSubDomains")), vec![("disabled", Severity::Medium)]);
        assert_eq!(kinds(Some("includeSubDomains")), vec![("invalid", Severity::Medium)]);
        assert_eq!(kinds(Some("max-age=one-year")), vec![("invalid", Severity::Medium)]);
    }
}
