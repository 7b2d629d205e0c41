//! Triage: hits from every check become findings, one per check + method + endpoint + kind, with
//! stable ids, merged instances and the strongest severity and confidence seen.
use std::collections::BTreeMap;

use crate::checks::{CheckInfo, Hit};
use crate::inventory::Inventory;
use crate::report::Finding;

const MAX_INSTANCES: usize = 5;

/// FNV-1a: tiny and stable across Rust versions and platforms, unlike `std`'s hasher, so ids
/// survive upgrades and can be baselined.
fn stable_id(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0x1f)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

pub fn merge(hits: Vec<(&'static CheckInfo, Hit)>, inventory: &Inventory) -> Vec<(&'static CheckInfo, Finding)> {
    let mut merged: BTreeMap<String, (&'static CheckInfo, Finding)> = BTreeMap::new();
    for (check, hit) in hits {
        let endpoint = if hit.path == "*" {
            "*".to_string()
        } else {
            inventory.template_of(hit.path.split('?').next().unwrap_or("/"))
        };
        let id = stable_id(&[check.id, &hit.method, &endpoint, &hit.kind]);
        let entry = merged.entry(id.clone()).or_insert_with(|| {
            (
                check,
                Finding {
                    id,
                    check: check.id.to_string(),
                    title: hit.title.clone(),
                    severity: hit.severity,
                    confidence: hit.confidence,
                    method: hit.method.clone(),
                    endpoint,
                    pii_types: Vec::new(),
                    evidence: hit.evidence.clone(),
                    cwe: check.cwe.to_vec(),
                    owasp: check.category.owasp().to_string(),
                    remediation: check.remediation(),
                    instances: Vec::new(),
                    suppressed: None,
                    baseline: None,
                },
            )
        });
        let finding = &mut entry.1;
        if hit.severity > finding.severity {
            finding.severity = hit.severity;
            finding.title = hit.title;
            finding.evidence = hit.evidence;
        }
        finding.confidence = finding.confidence.max(hit.confidence);
        for t in hit.pii_types {
            if !finding.pii_types.contains(&t) {
                finding.pii_types.push(t);
            }
        }
        if hit.path != "*" && finding.instances.len() < MAX_INSTANCES && !finding.instances.contains(&hit.path) {
            finding.instances.push(hit.path);
        }
    }
    let mut findings: Vec<_> = merged.into_values().collect();
    for (_, f) in &mut findings {
        f.pii_types.sort();
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct() {
        assert_eq!(stable_id(&["a", "b"]), stable_id(&["a", "b"]));
        assert_ne!(stable_id(&["ab", ""]), stable_id(&["a", "b"]));
        // Pinned: a changed id would break every user's baseline and suppressions.
        assert_eq!(stable_id(&["server_version_disclosure", "*", "*", "Server: x"]).len(), 16);
    }
}
