//! CI outputs from real scans: every format from one run (`-o` repeatable, format by extension,
//! `--format` for stdout), SARIF validated against the OASIS SARIF 2.1.0 schema, JUnit read by
//! `junitparser`, the Markdown summary, and no credential header value in any format.
mod ci_support;
mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::OnceLock;

use ci_support::{active, ids, python_ok, read, read_json, temp_dir};
use common::{leakprobe, Target};
use leakprobe_engine::checks::CHECKS;
use serde_json::Value;

const SECRETS: [&str; 3] = ["lp-secret-bearer-7f3a9c1e", "lp-secret-cookie-51d2e8aa", "lp-secret-apikey-c0ffee42"];

fn secret_headers() -> Vec<String> {
    vec![
        format!("Authorization: Bearer {}", SECRETS[0]),
        format!("Cookie: session={}", SECRETS[1]),
        format!("X-Api-Key: {}", SECRETS[2]),
    ]
}

struct Run {
    dir: PathBuf,
    stdout: String,
    stderr: String,
    report: Value,
}

/// One scan of the findings-rich CRM target writing every format at once; shared by the tests.
fn run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let target = Target::start("crm_verbose_errors");
        let dir = temp_dir("ci-outputs");
        let mut cmd = leakprobe();
        cmd.args(["scan", &target.url, "--format", "markdown"]);
        for name in ["r.json", "r.sarif", "r.html", "r.md", "r.xml", "r.txt"] {
            cmd.arg("-o").arg(dir.join(name));
        }
        for h in secret_headers() {
            cmd.args(["-H", &h]);
        }
        let out = cmd.output().expect("run leakprobe");
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let report = read_json(&dir.join("r.json"));
        Run {
            dir,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            report,
        }
    })
}

#[test]
fn one_run_writes_every_format_by_extension_and_stdout_keeps_format() {
    let run = run();
    common::assert_valid_report(&run.report);
    let n = active(&run.report).len();
    assert!(n >= 3, "the verbose CRM target has several findings: {n}");

    assert!(run.stdout.starts_with("## "), "stdout is the --format markdown summary: {}", run.stdout);
    assert_eq!(run.stdout, read(&run.dir.join("r.md")), "stdout and -o r.md render the same report");
    assert!(read(&run.dir.join("r.html")).starts_with("<!DOCTYPE html>"));
    assert!(read(&run.dir.join("r.xml")).starts_with("<?xml"));
    let txt = read(&run.dir.join("r.txt"));
    assert!(txt.contains("Score") && !txt.contains('\u{1b}'), "plain terminal report: {txt}");

    // Every format tells the same story.
    let sarif = read_json(&run.dir.join("r.sarif"));
    assert_eq!(sarif["runs"][0]["results"].as_array().expect("results").len(), n);
    assert!(run.stdout.contains(&format!("**{n}** finding(s)")), "{}", run.stdout);
    let junit = read(&run.dir.join("r.xml"));
    let failing_checks: BTreeSet<String> = active(&run.report)
        .iter()
        .filter(|(_, f)| f["severity"] != "info")
        .map(|(_, f)| f["check"].to_string())
        .collect();
    assert!(
        junit.contains(&format!("failures=\"{}\"", failing_checks.len())),
        "failures count failing checks: {junit}"
    );

    for file in ["r.json", "r.sarif", "r.html", "r.md", "r.xml", "r.txt"] {
        let text = read(&run.dir.join(file));
        for secret in SECRETS {
            assert!(!text.contains(secret), "{file} contains a header value");
        }
    }
    assert!(SECRETS.iter().all(|s| !run.stdout.contains(s) && !run.stderr.contains(s)));
}

#[test]
fn sarif_validates_against_the_sarif_2_1_0_schema() {
    let run = run();
    // Draft 4 is the schema's own dialect; the format checker also enforces `uri-reference`, which
    // is what GitHub's upload rejects most often.
    let script = "import json, sys, jsonschema\n\
        schema = json.load(open(sys.argv[1]))\n\
        jsonschema.Draft4Validator.check_schema(schema)\n\
        v = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())\n\
        errors = sorted(v.iter_errors(json.load(open(sys.argv[2]))), key=lambda e: list(e.path))\n\
        for e in errors[:10]: print(list(e.path), e.message, file=sys.stderr)\n\
        sys.exit(1 if errors else 0)\n";
    let schema = common::repo_root().join("schema/sarif-2.1.0.json");
    python_ok(script, [schema.as_os_str(), run.dir.join("r.sarif").as_os_str()]);
}

#[test]
fn sarif_has_a_rule_per_check_and_fingerprints_from_finding_ids() {
    let run = run();
    let sarif = read_json(&run.dir.join("r.sarif"));
    assert_eq!(sarif["version"], "2.1.0");
    let sarif_run = &sarif["runs"][0];
    let rules = sarif_run["tool"]["driver"]["rules"].as_array().expect("rules");
    let rule_ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().expect("rule id")).collect();
    assert_eq!(rule_ids, CHECKS.iter().map(|c| c.id).collect::<Vec<_>>(), "one rule per check, registry order");
    for (rule, check) in rules.iter().zip(CHECKS) {
        assert_eq!(rule["help"]["markdown"].as_str(), Some(check.docs.trim()), "help is the check's docs");
        let tags: Vec<&str> =
            rule["properties"]["tags"].as_array().expect("tags").iter().filter_map(Value::as_str).collect();
        for cwe in check.cwe {
            assert!(tags.contains(&format!("external/cwe/cwe-{cwe}").as_str()), "{}: {tags:?}", check.id);
        }
    }

    let results = sarif_run["results"].as_array().expect("results");
    let fingerprints: BTreeSet<String> = results
        .iter()
        .map(|r| r["partialFingerprints"]["leakprobeFindingId/v1"].as_str().expect("fingerprint").to_string())
        .collect();
    assert_eq!(fingerprints, ids(&active(&run.report)), "fingerprints are the JSON report's stable ids");
    for r in results {
        let rule = &rules[usize::try_from(r["ruleIndex"].as_u64().expect("ruleIndex")).expect("index")];
        assert_eq!(rule["id"], r["ruleId"]);
        let severity: f64 =
            r["properties"]["security-severity"].as_str().expect("security-severity").parse().expect("number");
        assert!((0.0..=10.0).contains(&severity));
        assert!(
            rule["properties"]["security-severity"].is_string(),
            "rules with results carry security-severity for GitHub"
        );
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().expect("uri");
        assert!(!uri.starts_with("http"), "GitHub rejects http artifact URIs: {uri}");
        let request = r["properties"]["request"].as_str().expect("request line");
        assert!(
            request.ends_with(" HTTP/1.1") && request.starts_with(r["webRequest"]["method"].as_str().expect("method"))
        );
    }
}

#[test]
fn junit_is_read_by_junitparser() {
    let run = run();
    let script = r#"
import json, sys
from junitparser import JUnitXml, Failure
xml = JUnitXml.fromfile(sys.argv[1])
cases, failures = [], []
for suite in xml:
    for case in suite:
        cases.append(case.name)
        failures += [{"check": case.name, "message": r.message, "type": r.type} for r in case.result if isinstance(r, Failure)]
print(json.dumps({"suites": len(list(xml)), "cases": cases, "failures": failures, "tests": xml.tests}))
"#;
    let parsed: Value = serde_json::from_str(&python_ok(script, [run.dir.join("r.xml")])).expect("junitparser summary");
    let cases: Vec<&str> = parsed["cases"].as_array().expect("cases").iter().filter_map(Value::as_str).collect();
    let mut expected: Vec<&str> = CHECKS.iter().map(|c| c.id).collect();
    let mut got = cases.clone();
    expected.sort_unstable();
    got.sort_unstable();
    assert_eq!(got, expected, "one test case per check");
    assert_eq!(parsed["tests"].as_u64(), Some(CHECKS.len() as u64));

    let failures = parsed["failures"].as_array().expect("failures");
    let findings: Vec<_> = active(&run.report).into_iter().filter(|(_, f)| f["severity"] != "info").collect();
    assert_eq!(failures.len(), findings.len(), "one failure per finding");
    for (_, f) in &findings {
        let title = f["title"].as_str().expect("title");
        assert!(
            failures.iter().any(|x| x["check"] == f["check"]
                && x["message"].as_str().is_some_and(|m| m.contains(title))
                && x["type"] == f["severity"]),
            "no failure for {title}"
        );
    }
}

#[test]
fn markdown_summary_has_grade_badge_category_table_and_top_findings() {
    let run = run();
    let md = &run.stdout;
    let grade = run.report["grade"].as_str().expect("grade");
    assert!(md.contains(&format!("grade **{grade}** · score **{}/100**", run.report["score"])), "{md}");
    for category in run.report["categories"].as_object().expect("categories").keys() {
        assert!(md.contains(&format!("| {category} |")), "category row {category}: {md}");
    }
    let worst = active(&run.report)
        .into_iter()
        .max_by_key(|(_, f)| ["info", "low", "medium", "high", "critical"].iter().position(|s| f["severity"] == *s));
    let (_, worst) = worst.expect("a finding");
    assert!(md.contains("### Top findings") && md.contains(worst["title"].as_str().expect("title")), "{md}");
    assert!(md.len() < 65_536, "fits a pull-request comment");
}

#[test]
fn credential_headers_never_reach_any_format_even_with_evidence_shown() {
    // The target echoes request headers into its body: the secrets are in responses the scanner
    // reads, and --show-evidence turns redaction off. Masking must still keep them out.
    let (target, log) = Target::start_logged("whoami_debug");
    let dir = temp_dir("ci-secrets");
    let mut cmd = leakprobe();
    cmd.args(["scan", &target.url, "--show-evidence", "--format", "json"]);
    for name in ["s.sarif", "s.html", "s.md", "s.xml", "s.txt"] {
        cmd.arg("-o").arg(dir.join(name));
    }
    for h in secret_headers() {
        cmd.args(["-H", &h]);
    }
    let out = cmd.output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));

    let echoed = Target::requests(&log).iter().any(|r| {
        r["path"] == "/api/me" && r["headers"]["authorization"].as_str().is_some_and(|v| v.contains(SECRETS[0]))
    });
    assert!(echoed, "the scan fetched /api/me with the credentials, so its body carried them");
    let report: Value = serde_json::from_slice(&out.stdout).expect("json report");
    assert!(common::findings(&report).iter().any(|(_, f)| f["endpoint"] == "/api/me"), "the echo endpoint is flagged");

    // Where a check quotes the echoed headers (with evidence shown), the value is masked in place.
    for (_, f) in common::findings(&report) {
        let evidence = f["evidence"].as_str().unwrap_or_default();
        if let Some(at) = evidence.find("Authorization: ") {
            assert!(evidence[at..].starts_with("Authorization: ***"), "{evidence}");
        }
    }

    let mut texts = vec![("stdout".to_string(), String::from_utf8_lossy(&out.stdout).into_owned())];
    texts.push(("stderr".into(), String::from_utf8_lossy(&out.stderr).into_owned()));
    for name in ["s.sarif", "s.html", "s.md", "s.xml", "s.txt"] {
        texts.push((name.into(), read(&dir.join(name))));
    }
    for (name, text) in texts {
        for secret in SECRETS {
            assert!(!text.contains(secret), "{name} repeats a credential header value");
        }
    }
}
