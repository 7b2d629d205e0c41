//! Triage: hits from every check become findings, one per check + endpoint + kind (the methods it
//! was seen with listed), with stable ids, merged instances and the strongest severity and
//! confidence seen; then one leak is made one finding (a served file's data stays with the file's
//! finding) and consequences link to their root cause.
use std::collections::{BTreeMap, BTreeSet};

use leakprobe_detect::PiiType;

use crate::checks::{CheckInfo, Hit};
use crate::inventory::Inventory;
use crate::report::{Category, Finding};

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

/// Methods in the order a finding names them: a read first, then writes, then the probes.
fn method_rank(method: &str) -> usize {
    ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"].iter().position(|m| *m == method).unwrap_or(8)
}

/// Hits of a response fact that no method explains (a header) carry method `*` and the path they
/// were seen on. Such a fact is origin-wide when it holds across paths: seen on the answer to a
/// path that does not exist (`*` already), or on two paths or more that make at least half of the
/// paths that answered. Otherwise it is reported where it was seen (`X-Powered-By` on `/health`
/// only is `/health`'s).
fn origin_wide_facts(
    hits: &[(&'static CheckInfo, Hit)],
    inventory: &Inventory,
    answered: &BTreeSet<String>,
) -> BTreeSet<(&'static str, String)> {
    let mut seen: BTreeMap<(&'static str, String), BTreeSet<String>> = BTreeMap::new();
    for (check, hit) in hits.iter().filter(|(_, h)| h.method == "*") {
        let endpoint = if hit.path == "*" {
            "*".to_string()
        } else {
            inventory.template_of(hit.path.split('?').next().unwrap_or("/"))
        };
        seen.entry((check.id, hit.kind.clone())).or_default().insert(endpoint);
    }
    seen.into_iter()
        .filter(|(_, paths)| paths.contains("*") || (paths.len() >= 2 && paths.len() * 2 >= answered.len()))
        .map(|(key, _)| key)
        .collect()
}

/// Merges hits into findings: one per check + endpoint + kind, listing every method it was seen
/// with. `answered` holds the endpoint templates that answered (not the soft-404), against which
/// header facts are judged origin-wide or per path.
pub fn merge(
    hits: Vec<(&'static CheckInfo, Hit)>,
    inventory: &Inventory,
    answered: &BTreeSet<String>,
) -> Vec<(&'static CheckInfo, Finding)> {
    let origin_wide = origin_wide_facts(&hits, inventory, answered);
    let mut merged: BTreeMap<String, (&'static CheckInfo, Finding)> = BTreeMap::new();
    for (check, hit) in hits {
        let endpoint = if hit.path == "*" || origin_wide.contains(&(check.id, hit.kind.clone())) {
            "*".to_string()
        } else {
            inventory.template_of(hit.path.split('?').next().unwrap_or("/"))
        };
        let id = stable_id(&[check.id, &endpoint, &hit.kind]);
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
                    methods: Vec::new(),
                    endpoint: endpoint.clone(),
                    pii_types: Vec::new(),
                    evidence: hit.evidence.clone(),
                    cwe: check.cwe.to_vec(),
                    owasp: check.category.owasp().to_string(),
                    remediation: check.remediation(),
                    instances: Vec::new(),
                    related: None,
                    suppressed: None,
                    baseline: None,
                },
            )
        });
        let finding = &mut entry.1;
        let stronger = hit.severity > finding.severity
            || (hit.severity == finding.severity && method_rank(&hit.method) < method_rank(&finding.method));
        if stronger {
            finding.severity = hit.severity;
            finding.title = hit.title;
            finding.evidence = hit.evidence;
        }
        if !finding.methods.contains(&hit.method) {
            finding.methods.push(hit.method);
        }
        finding.confidence = finding.confidence.max(hit.confidence);
        for t in hit.pii_types {
            if !finding.pii_types.contains(&t) {
                finding.pii_types.push(t);
            }
        }
        let instance = hit.path;
        if instance != "*"
            && endpoint != "*"
            && finding.instances.len() < MAX_INSTANCES
            && !finding.instances.contains(&instance)
        {
            finding.instances.push(instance);
        }
    }
    let mut findings: Vec<_> = merged.into_values().collect();
    for (_, f) in &mut findings {
        f.methods.sort_by_key(|m| (method_rank(m), m.clone()));
        if let Some(first) = f.methods.first() {
            f.method = first.clone();
        }
    }
    fold_owned_data(&mut findings);
    link_root_causes(&mut findings);
    for (_, f) in &mut findings {
        f.pii_types.sort();
    }
    findings
}

/// A served file (`.env`, a dump, an export) is reported by its `sensitive_files` check, which
/// carries the secrets and personal data the file holds; the generic `pii_in_response` finding on
/// the same endpoint would say it again with model-serialisation advice. Its kinds move to the
/// file's finding and it goes.
fn fold_owned_data(findings: &mut Vec<(&'static CheckInfo, Finding)>) {
    let owned: BTreeSet<String> = findings
        .iter()
        .filter(|(c, _)| c.category == Category::SensitiveFiles)
        .map(|(_, f)| f.endpoint.clone())
        .collect();
    let mut kinds: BTreeMap<String, Vec<PiiType>> = BTreeMap::new();
    for (_, f) in findings.iter().filter(|(_, f)| f.check == PII_IN_RESPONSE && owned.contains(&f.endpoint)) {
        kinds.entry(f.endpoint.clone()).or_default().extend(f.pii_types.iter().copied());
    }
    findings.retain(|(_, f)| !(f.check == PII_IN_RESPONSE && owned.contains(&f.endpoint)));
    for (_, f) in findings.iter_mut().filter(|(c, _)| c.category == Category::SensitiveFiles) {
        for kind in kinds.get(&f.endpoint).into_iter().flatten() {
            if !f.pii_types.contains(kind) {
                f.pii_types.push(*kind);
            }
        }
    }
}

/// Findings that follow from one root cause link to it instead of deducting again: the 500 an
/// error page came with follows from that page (traceback, debugger page, SQL error) on the same
/// endpoint, and so does personal data that page already reports; a debugger page follows from
/// the enabled debugger.
fn link_root_causes(findings: &mut [(&'static CheckInfo, Finding)]) {
    let id_of = |findings: &[(&'static CheckInfo, Finding)], pick: &dyn Fn(&Finding) -> bool| {
        findings.iter().filter(|(_, f)| pick(f)).max_by_key(|(_, f)| f.severity).map(|(_, f)| f.id.clone())
    };
    let debugger = id_of(findings, &|f| f.check == WERKZEUG_DEBUGGER && f.endpoint == "*");
    let mut links: Vec<(usize, String)> = Vec::new();
    for (i, (_, f)) in findings.iter().enumerate() {
        let root = if f.check == WERKZEUG_DEBUGGER_PAGE {
            debugger.clone()
        } else if f.check == SERVER_ERROR {
            let endpoint = f.endpoint.clone();
            id_of(findings, &|r| ERROR_PAGES.contains(&r.check.as_str()) && r.endpoint == endpoint)
        } else if f.check == PII_IN_RESPONSE {
            // The data an error page shows is that page's finding already (a traceback quoting a
            // customer's e-mail); the generic finding on the same endpoint adds nothing new.
            let (endpoint, kinds) = (f.endpoint.clone(), f.pii_types.clone());
            id_of(findings, &|r| {
                ERROR_PAGES.contains(&r.check.as_str())
                    && r.endpoint == endpoint
                    && kinds.iter().all(|k| r.pii_types.contains(k))
            })
        } else {
            None
        };
        if let Some(root) = root {
            links.push((i, root));
        }
    }
    for (i, root) in links {
        findings[i].1.related = Some(root);
    }
}

const PII_IN_RESPONSE: &str = "pii_in_response";
const WERKZEUG_DEBUGGER: &str = "werkzeug_debugger";
const WERKZEUG_DEBUGGER_PAGE: &str = "werkzeug_debugger_page";
const SERVER_ERROR: &str = "server_error_on_malformed_input";
/// Error answers whose 500 is the same exchange's status.
const ERROR_PAGES: [&str; 3] = ["werkzeug_debugger_page", "stack_trace_disclosure", "sql_error_disclosure"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct() {
        assert_eq!(stable_id(&["a", "b"]), stable_id(&["a", "b"]));
        assert_ne!(stable_id(&["ab", ""]), stable_id(&["a", "b"]));
        // Pinned: a changed id would break every user's baseline and suppressions. Ids come from
        // check, endpoint template and kind; never from the method or display text.
        assert_eq!(stable_id(&["server_version_disclosure", "*", "Server: x"]), PINNED[0]);
        assert_eq!(stable_id(&["pii_in_response", "/api/users/{id}", "pii"]), PINNED[1]);
        assert_eq!(stable_id(&["config_file_exposed", "/.env", "env"]), PINNED[2]);
    }

    const PINNED: [&str; 3] = ["369fbf0c6a25fc1b", "b1c6dfc157de8272", "f0c2a2e530e54ad7"];

    fn hit(method: &str, path: &str, kind: &str) -> Hit {
        Hit {
            title: "t".into(),
            severity: crate::report::Severity::High,
            confidence: crate::report::Confidence::High,
            method: method.into(),
            path: path.into(),
            kind: kind.into(),
            pii_types: vec![],
            evidence: String::new(),
        }
    }

    #[test]
    fn one_leak_on_several_methods_is_one_finding_whose_id_ignores_methods() {
        let check = crate::checks::find("pii_in_response").expect("registered");
        let hits = ["OPTIONS", "GET", "LEAKPROBE", "POST", "HEAD"]
            .iter()
            .map(|m| (check, hit(m, "/console", "pii")))
            .collect();
        let findings = merge(hits, &Inventory::default(), &BTreeSet::new());
        assert_eq!(findings.len(), 1);
        let f = &findings[0].1;
        assert_eq!(f.methods, ["GET", "POST", "HEAD", "OPTIONS", "LEAKPROBE"]);
        assert_eq!(f.method, "GET");
        assert_eq!(f.id, stable_id(&["pii_in_response", "/console", "pii"]));
    }

    #[test]
    fn a_reworded_title_keeps_the_id() {
        let check = crate::checks::find("pii_in_response").expect("registered");
        let id_with_title = |title: &str| {
            let h = Hit { title: title.into(), ..hit("GET", "/api/users", "pii") };
            merge(vec![(check, h)], &Inventory::default(), &BTreeSet::new())[0].1.id.clone()
        };
        assert_eq!(id_with_title("Response exposes email"), id_with_title("Personal data in the response: e-mail"));
    }

    #[test]
    fn a_header_on_one_path_is_that_paths_and_on_most_paths_the_origins() {
        let check = crate::checks::find("powered_by_disclosure").expect("registered");
        let answered: BTreeSet<String> =
            ["/", "/health", "/api/users", "/api/orders"].iter().map(|s| s.to_string()).collect();
        let one = merge(vec![(check, hit("*", "/health", "X-Powered-By: x"))], &Inventory::default(), &answered);
        assert_eq!(one[0].1.endpoint, "/health");
        let many = ["/", "/health", "/api/users"].iter().map(|p| (check, hit("*", p, "X-Powered-By: x"))).collect();
        let many = merge(many, &Inventory::default(), &answered);
        assert_eq!((many.len(), many[0].1.endpoint.as_str()), (1, "*"));
    }
}
