//! Resolved settings of one scan: what to scan, who we are, how this run behaves.
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::error::ScanError;
use crate::identity::Identity;

/// Where the API description comes from when the user names one.
#[derive(Debug, Clone)]
pub enum SpecSource {
    File(PathBuf),
    /// A URL on the target's origin (the scope guard applies to it like to any request).
    Url(String),
}

#[derive(Debug, Clone)]
pub struct ScanConfig {
    pub target: Url,
    pub spec: Option<SpecSource>,
    /// Requests per second to the target host.
    pub rate: u32,
    /// Requests in flight at once.
    pub concurrency: usize,
    pub max_requests: usize,
    pub time_limit: Duration,
    pub request_timeout: Duration,
    /// Largest response body read, after decompression.
    pub body_cap: usize,
    /// Total of response bodies one scan keeps for its analyzers; past it, each new body is kept
    /// only in part (its head) and the report says so. Bounds memory per scan, not just per response.
    pub retained_body_cap: usize,
    /// Largest API description read (served, `--spec URL` or `--spec FILE`): specs of large APIs
    /// run to tens of MB, far past what any other answer needs.
    pub max_spec_size: usize,
    /// `(name, value)` added to every request; values are treated as secrets.
    pub headers: Vec<(String, String)>,
    pub show_evidence: bool,
    pub insecure: bool,
    /// PEM bundles to trust in addition to the built-in roots.
    pub ca_certs: Vec<Vec<u8>>,
    /// Probe the built-in API wordlist, and guess paths (`/debug/vars`, `v0` siblings), during
    /// discovery.
    pub wordlist: bool,
    /// Who the scanner may be; checks compare what each of them (and nobody) can reach.
    pub identities: Vec<Identity>,
    /// Allow requests that may change state (well-formed writes, mass assignment, SSRF canaries).
    pub active: bool,
    /// Run only these checks (by id); `None` runs every check. Recon, discovery and inventory
    /// still run in full, because a check needs them to find what it looks at.
    pub only_checks: Option<Vec<&'static str>>,
}

impl ScanConfig {
    /// Defaults that are safe for production and fast enough to finish most APIs in seconds.
    pub fn new(target: &str) -> Result<Self, ScanError> {
        Ok(ScanConfig {
            target: parse_target(target)?,
            spec: None,
            rate: 100,
            concurrency: 8,
            max_requests: 2_000,
            time_limit: Duration::from_secs(120),
            request_timeout: Duration::from_secs(10),
            body_cap: 2 * 1024 * 1024,
            retained_body_cap: 256 * 1024 * 1024,
            max_spec_size: 64 * 1024 * 1024,
            headers: Vec::new(),
            show_evidence: false,
            insecure: false,
            ca_certs: Vec::new(),
            wordlist: true,
            identities: Vec::new(),
            active: false,
            only_checks: None,
        })
    }
}

impl ScanConfig {
    /// Whether the check with this id runs in this scan (see [`ScanConfig::only_checks`]).
    pub fn runs(&self, check: &str) -> bool {
        self.only_checks.as_ref().is_none_or(|only| only.contains(&check))
    }

    /// Moves `--header` values that carry credentials into an identity named `cli`, so that probes
    /// meant to be anonymous are anonymous; other headers stay on every request.
    pub fn credential_headers_as_identity(&mut self) {
        let (credentials, others): (Vec<_>, Vec<_>) = std::mem::take(&mut self.headers)
            .into_iter()
            .partition(|(name, _)| crate::identity::is_credential_header(name));
        self.headers = others;
        if !credentials.is_empty() {
            self.identities.insert(
                0,
                Identity {
                    name: "cli".into(),
                    role: None,
                    credential: Some(crate::identity::Credential::Headers(credentials)),
                    signer: None,
                    login: None,
                },
            );
        }
    }
}

/// A host on this machine (127.0.0.0/8, ::1, localhost and `*.localhost`): a local development
/// target, which some checks judge differently.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        None => false,
    }
}

/// A scan target: an absolute http(s) URL with a host. The path, if any, is where scanning starts.
pub fn parse_target(input: &str) -> Result<Url, ScanError> {
    if !input.contains("://") {
        return Err(ScanError::Config(format!("`{input}` has no scheme; did you mean http://{input} ?")));
    }
    let url = Url::parse(input.trim()).map_err(|e| {
        ScanError::Config(format!("`{input}` is not a valid URL ({e}); expected e.g. http://127.0.0.1:5000"))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ScanError::Config(format!(
            "`{input}` uses the scheme `{}`; only http and https targets can be scanned",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(ScanError::Config(format!("`{input}` has no host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ScanError::Config(
            "credentials in the target URL are not accepted; pass them with --header".into(),
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_must_be_absolute_http_urls() {
        assert!(parse_target("http://127.0.0.1:5000").is_ok());
        assert!(parse_target("https://[::1]:8443/api").is_ok());
        for bad in ["127.0.0.1:5000", "ftp://127.0.0.1/", "http://", "not a url", "http://u:p@127.0.0.1/"] {
            assert!(parse_target(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn only_checks_selects_checks_by_id() {
        let mut config = ScanConfig::new("http://127.0.0.1:5000").expect("config");
        assert!(config.runs("pii_in_response") && config.runs("werkzeug_debugger"));
        config.only_checks = Some(vec!["pii_in_response"]);
        assert!(config.runs("pii_in_response"));
        assert!(!config.runs("werkzeug_debugger"));
    }
}
