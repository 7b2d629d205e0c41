//! The check registry: every check is listed once in [`CHECKS`], with a stable id, its category,
//! CWEs and docs. `leakprobe explain`, `leakprobe checks` and report metadata all read this list.
//!
//! A check is either *passive* (it reads every exchange of the scan once, after the active phase)
//! or *active* (it sends the probes it needs through the scan's client).
mod authentication;
mod bfla;
mod bola;
mod cors;
mod data_exposure;
mod encryption;
mod error_disclosure;
mod fingerprinting;
mod input_validation;
pub mod jwt;
mod property_authorization;
mod rate_limiting;
pub(crate) mod sensitive_files;
mod signatures;
mod spec_conformance;
pub mod sql_injection;
mod ssrf;
mod state_change;
mod user_enumeration;
mod write_authorization;

use futures::future::BoxFuture;
use leakprobe_detect::PiiType;

use crate::client::Exchange;
use crate::context::ScanContext;
use crate::report::{Category, Confidence, Severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Stable,
    Preview,
}

pub type PassiveFn = fn(&Exchange, &ScanContext, &mut Vec<Hit>);
pub type ActiveFn = for<'a> fn(&'a ScanContext) -> BoxFuture<'a, Vec<Hit>>;

#[derive(Clone, Copy)]
pub enum Runner {
    Passive(PassiveFn),
    Active(ActiveFn),
}

pub struct CheckInfo {
    /// Stable id: used in reports, suppressions and `leakprobe explain`; never renamed.
    pub id: &'static str,
    pub category: Category,
    pub status: Status,
    pub cwe: &'static [u32],
    /// One line for listings.
    pub summary: &'static str,
    /// Markdown: What it finds / Why it matters / Example exchange / Remediation (Flask) / References.
    pub docs: &'static str,
    pub runner: Runner,
}

impl CheckInfo {
    /// The `## Remediation (Flask)` section of the docs, as it goes into reports.
    pub fn remediation(&self) -> String {
        section(self.docs, "## Remediation").unwrap_or_default()
    }
}

/// What a check saw; triage merges hits into findings per check, method, endpoint and kind.
#[derive(Debug, Clone)]
pub struct Hit {
    pub title: String,
    pub severity: Severity,
    pub confidence: Confidence,
    pub method: String,
    /// The concrete path it was seen on, or `*` for what holds across the origin.
    pub path: String,
    /// What distinguishes two findings of one check on one endpoint (a header value, a file kind).
    pub kind: String,
    pub pii_types: Vec<PiiType>,
    /// Already redacted unless the scan shows evidence (see [`ScanContext::redact`]).
    pub evidence: String,
}

pub static CHECKS: &[&CheckInfo] = &[
    &data_exposure::PII_IN_RESPONSE,
    &error_disclosure::WERKZEUG_DEBUGGER,
    &error_disclosure::WERKZEUG_DEBUGGER_PAGE,
    &error_disclosure::STACK_TRACE,
    &error_disclosure::SQL_ERROR,
    &input_validation::MALFORMED_INPUT,
    &input_validation::DANGEROUS_METHODS,
    &state_change::STATE_CHANGING_GET,
    &sql_injection::SQL_INJECTION,
    &authentication::UNAUTHENTICATED_ACCESS,
    &authentication::API_KEY_IN_QUERY,
    &authentication::CREDENTIAL_ECHO,
    &jwt::JWT_NONE_ALGORITHM,
    &jwt::JWT_SIGNATURE_NOT_VERIFIED,
    &jwt::JWT_WEAK_SECRET,
    &jwt::JWT_EXPIRED_ACCEPTED,
    &user_enumeration::USER_ENUMERATION,
    &signatures::SIGNATURE_NOT_ENFORCED,
    &signatures::SIGNATURE_PARTIAL_COVERAGE,
    &signatures::SIGNATURE_REPLAY,
    &signatures::UNSIGNED_LEGACY_ROUTE,
    &fingerprinting::SERVER_VERSION,
    &fingerprinting::POWERED_BY,
    &fingerprinting::AUTH_REALM,
    &sensitive_files::BACKUP_FILES,
    &sensitive_files::DATA_EXPORTS,
    &sensitive_files::VCS_METADATA,
    &sensitive_files::CONFIG_FILES,
    &sensitive_files::KEY_FILES,
    &sensitive_files::DIRECTORY_LISTING,
    &cors::REFLECTION,
    &cors::NULL_ORIGIN,
    &cors::BYPASS,
    &cors::WILDCARD,
    &encryption::CLEARTEXT,
    &encryption::BASIC_CLEARTEXT,
    &encryption::COOKIES,
    &encryption::HSTS,
    &encryption::CERTIFICATE,
    &encryption::LEGACY_TLS,
    &rate_limiting::MISSING_RATE_LIMIT,
    &rate_limiting::UNBOUNDED_PAGE_SIZE,
    &ssrf::SSRF_URL_FETCH,
    &ssrf::SSRF_INTERNAL_CONTENT,
    &spec_conformance::DECLARED_SECURITY_NOT_ENFORCED,
    &spec_conformance::DEPRECATED_OPERATION_ACTIVE,
    &spec_conformance::UNLINKED_OPERATION_REACHABLE,
    &bola::CROSS_IDENTITY,
    &bola::ID_ENUMERATION,
    &write_authorization::CROSS_IDENTITY_WRITE,
    &bfla::ADMIN_FUNCTION,
    &bfla::METHOD_TAMPERING,
    &write_authorization::PRIVILEGED_WRITE,
    &property_authorization::UNDECLARED,
    &property_authorization::WRITE_ONLY,
    &property_authorization::SENSITIVE,
    &property_authorization::MASS_ASSIGNMENT,
];

/// Checks that run alone after every other check has finished: they may change the target's data
/// (with `--active`), which would falsify what the others compare.
pub static RUN_LAST: &[&str] = &[state_change::STATE_CHANGING_GET.id];

pub fn find(id: &str) -> Option<&'static CheckInfo> {
    CHECKS.iter().copied().find(|c| c.id == id)
}

/// The text under a `## Heading…` line, up to the next `## `.
fn section(docs: &str, heading: &str) -> Option<String> {
    let start = docs.find(heading)?;
    let body = &docs[start..];
    let body = &body[body.find('\n')? + 1..];
    let end = body.find("\n## ").unwrap_or(body.len());
    Some(body[..end].trim().to_string())
}
