//! `data_exposure`: personal data and secrets in any response body or header the scan receives.
use std::collections::BTreeSet;

use leakprobe_detect::{Confidence as MatchConfidence, Match, PiiType};

use super::{CheckInfo, Hit, Runner, Status};
use crate::client::Exchange;
use crate::context::ScanContext;
use crate::report::{Category, Confidence, Severity};

pub static PII_IN_RESPONSE: CheckInfo = CheckInfo {
    id: "pii_in_response",
    category: Category::DataExposure,
    status: Status::Stable,
    cwe: &[359, 200],
    summary: "Personal data and secrets in response bodies and headers",
    docs: include_str!("../../docs/checks/pii_in_response.md"),
    runner: Runner::Passive(pii_in_response),
};

/// Matches shown as evidence per finding; the rest are counted.
const EVIDENCE_SAMPLES: usize = 3;

fn pii_in_response(ex: &Exchange, ctx: &ScanContext, hits: &mut Vec<Hit>) {
    if ex.status.is_none() || ctx.soft404.is_not_found(ex) {
        return;
    }
    let mut matches: Vec<Match> = ctx.exposed(ex);
    for (name, value) in &ex.headers {
        // A session cookie handed to the client it belongs to is not a leak; it is the encryption
        // category's business how it is protected.
        if name == reqwest::header::SET_COOKIE {
            continue;
        }
        if let Ok(value) = value.to_str() {
            matches.extend(
                ctx.detector.scan_text(value).into_iter().filter(|m| m.confidence > MatchConfidence::Low).map(
                    |mut m| {
                        m.key_path = Some(format!("header {name}"));
                        m
                    },
                ),
            );
        }
    }
    if matches.is_empty() {
        return;
    }
    let types: BTreeSet<PiiType> = matches.iter().map(|m| m.kind).collect();
    let distinct_values: BTreeSet<&str> = matches.iter().map(|m| m.value.as_str()).collect();
    let mut severity = severity_of(&types, distinct_values.len());
    // The signed-in caller's own record (one person, their own markers or a `/me`-shaped path)
    // is what a profile page is for, however many name fields it has: worth knowing, not an
    // alarm. Other people's data, and secrets or critical kinds even of oneself, keep their weight.
    // Contact data of many people shown to an admin identity is what admin screens are for.
    let as_admin = ex
        .identity
        .as_ref()
        .is_some_and(|name| ctx.client.identities().iter().any(|i| &i.name == name && i.is_admin()));
    let contact_only = types.iter().all(|t| CONTACT_KINDS.contains(t));
    // One value of each kind, fetched as an identity, is one record, most likely the caller's.
    let single_record = types
        .iter()
        .all(|t| matches.iter().filter(|m| m.kind == *t).map(|m| &m.value).collect::<BTreeSet<_>>().len() <= 1);
    let one_of_many = ex.identity.is_some() && (single_record || as_admin) && severity == Severity::Medium;
    if one_of_many || (ex.identity.is_some() && contact_only && own_record(ex, ctx, &matches)) {
        severity = Severity::Low;
    }
    let confidence = if matches.iter().any(|m| m.confidence == MatchConfidence::High) {
        Confidence::High
    } else {
        Confidence::Medium
    };
    let mut samples: Vec<String> = Vec::new();
    for m in &matches {
        if samples.len() == EVIDENCE_SAMPLES {
            break;
        }
        let label = m.key_path.clone().unwrap_or_else(|| m.kind.as_str().to_string());
        let sample = format!("{label}: {}", ctx.redact(m.kind, &m.value));
        if !samples.contains(&sample) {
            samples.push(sample);
        }
    }
    let more = distinct_values.len().saturating_sub(samples.len());
    let evidence = if more > 0 { format!("{} (+{more} more)", samples.join("; ")) } else { samples.join("; ") };
    let names: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
    hits.push(Hit {
        title: format!("Response exposes {}", names.join(", ")),
        severity,
        confidence,
        method: ex.method.to_string(),
        path: ex.path().to_string(),
        kind: "pii".into(),
        pii_types: types.into_iter().collect(),
        evidence,
    });
}

/// Kinds a person's own profile shows them: contact details, names, a birthday.
const CONTACT_KINDS: [PiiType; 6] =
    [PiiType::Email, PiiType::Phone, PiiType::Name, PiiType::Address, PiiType::DateOfBirth, PiiType::IpAddress];

/// Last path segments that name the caller's own account.
const OWN_ACCOUNT_SEGMENTS: [&str; 9] =
    ["me", "self", "profile", "account", "whoami", "userinfo", "myself", "my-profile", "current-user"];

/// One person's record, and that person is the caller: every kind but names has at most one
/// value (first, last and display names of one person differ), the answer is not a list, and
/// the identity's markers (its user name or e-mail) appear in it or the path names the caller's
/// own account (`/api/me`, `/profile`).
fn own_record(ex: &Exchange, ctx: &ScanContext, matches: &[Match]) -> bool {
    let one_person =
        matches.iter().filter(|m| m.kind != PiiType::Name).map(|m| m.kind).collect::<BTreeSet<_>>().into_iter().all(
            |kind| {
                matches
                    .iter()
                    .filter(|m| m.kind == kind)
                    .map(|m| m.value.to_ascii_lowercase())
                    .collect::<BTreeSet<_>>()
                    .len()
                    <= 1
            },
        );
    let listed = ex.body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    if !one_person || listed {
        return false;
    }
    let own_path = crate::words::segments(ex.path()).last().is_some_and(|s| OWN_ACCOUNT_SEGMENTS.contains(&s.as_str()));
    let Some(name) = &ex.identity else { return false };
    let identities = ctx.client.identities();
    let markers = identities.iter().find(|i| &i.name == name).map(|i| i.markers()).unwrap_or_default();
    let body = String::from_utf8_lossy(&ex.body).to_ascii_lowercase();
    let marked =
        markers.iter().any(|marker| body.contains(&format!("\"{marker}\"")) || body.contains(&format!("\"{marker}@")));
    own_path || marked
}

/// Card numbers, SSNs, national ids, password hashes and keys are critical; a lone e-mail is low.
fn severity_of(types: &BTreeSet<PiiType>, distinct_values: usize) -> Severity {
    use PiiType::*;
    let has = |t: PiiType| types.contains(&t);
    if [CreditCard, Ssn, NationalId, PasswordHash, PrivateKey, Iban].into_iter().any(has) {
        Severity::Critical
    } else if [ApiKey, Token, Secret, Password].into_iter().any(has) || (has(DateOfBirth) && has(Name)) {
        Severity::High
    } else if [Phone, Address, DateOfBirth, IpAddress].into_iter().any(has) || distinct_values > 1 {
        Severity::Medium
    } else {
        Severity::Low
    }
}
