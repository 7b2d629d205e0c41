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
    let mut matches: Vec<Match> = ctx
        .detector
        .scan_bytes(&ex.body)
        .into_iter()
        .filter(|m| m.confidence > MatchConfidence::Low)
        .collect();
    for (name, value) in &ex.headers {
        // A session cookie handed to the client it belongs to is not a leak; it is the encryption
        // category's business how it is protected.
        if name == reqwest::header::SET_COOKIE {
            continue;
        }
        if let Ok(value) = value.to_str() {
            matches.extend(
                ctx.detector
                    .scan_text(value)
                    .into_iter()
                    .filter(|m| m.confidence > MatchConfidence::Low)
                    .map(|mut m| {
                        m.key_path = Some(format!("header {name}"));
                        m
                    }),
            );
        }
    }
    if matches.is_empty() {
        return;
    }
    let types: BTreeSet<PiiType> = matches.iter().map(|m| m.kind).collect();
    let distinct_values: BTreeSet<&str> = matches.iter().map(|m| m.value.as_str()).collect();
    let mut severity = severity_of(&types, distinct_values.len());
    // One record of contact data, fetched as an identity, is most likely the caller's own
    // profile: worth knowing, not an alarm. Other people's data or secrets keep their weight.
    let single_record = types.iter().all(|t| matches.iter().filter(|m| m.kind == *t).map(|m| &m.value).collect::<BTreeSet<_>>().len() <= 1);
    // Contact data of many people shown to an admin identity is what admin screens are for;
    // critical kinds (SSNs, cards, hashes) keep their weight even there.
    let as_admin = ex.identity.as_ref().is_some_and(|name| {
        ctx.client.identities().iter().any(|i| &i.name == name && i.is_admin())
    });
    if ex.identity.is_some() && (single_record || as_admin) && severity == Severity::Medium {
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
