//! A PII scanner must not become a PII leak: no raw value in any output unless --show-evidence.
mod common;

use common::{leakprobe, Target};

/// Synthetic values the crm_debug target serves (see tests/targets/crm_models.py).
const RAW: [&str; 5] =
    ["maria.lopez@fastmail.fm", "536-22-8410", "4539148803436467", "412-67-2291", "t.becker@posteo.de"];

fn outputs(url: &str, extra: &[&str]) -> String {
    let mut all = String::new();
    for format in ["json", "terminal"] {
        let out = leakprobe().args(["scan", url, "--format", format]).args(extra).output().expect("run");
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        all.push_str(&String::from_utf8_lossy(&out.stdout));
        all.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    all
}

#[test]
fn raw_pii_never_reaches_outputs_by_default_and_does_with_show_evidence() {
    let target = Target::start("crm_debug");
    let redacted = outputs(&target.url, &[]);
    assert!(redacted.contains("ssn"), "the SSNs were not found at all");
    for raw in RAW {
        assert!(!redacted.contains(raw), "raw `{raw}` in the default output");
    }
    // Masked, shape kept.
    assert!(redacted.contains("***-**-8410") || redacted.contains("***-**-2291"), "no shaped SSN mask");

    let shown = outputs(&target.url, &["--show-evidence"]);
    assert!(RAW.iter().any(|raw| shown.contains(raw)), "--show-evidence showed nothing raw");
}
