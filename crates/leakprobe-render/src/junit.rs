//! JUnit XML, for CI systems that show test results (GitLab, Jenkins, Azure, test-reporter actions).
//!
//! One `<testsuite>` per category that has checks, one `<testcase>` per registered check (so a
//! check that found nothing shows as a passing test), one `<failure>` per finding that counts.
//! The `failures` attributes count failing test cases (checks), as JUnit consumers expect
//! `failures <= tests`; each failing case carries one `<failure>` element per finding.
//! Suppressed and info findings are not failures: they are listed in the test case's
//! `<system-out>`, so nothing is silently dropped. Checks run concurrently, so the scan's duration
//! is reported once, on `<testsuites>`, not split over suites.
use std::fmt::Write;

use leakprobe_engine::checks::CHECKS;
use leakprobe_engine::report::{Category, Finding, Report, Severity};

use crate::text::{baseline_label, escape_xml, one_line, where_};

fn is_failure(f: &Finding) -> bool {
    f.is_active() && f.severity > Severity::Info
}

fn failure(out: &mut String, f: &Finding) {
    let mut message = format!("[{}] {} ({})", f.severity, f.title, where_(f));
    if let Some(label) = baseline_label(f.baseline) {
        message.push_str(&format!(" [{label}]"));
    }
    let mut body = format!(
        "{}\nseverity: {} · confidence: {} · id: {}\nendpoint: {}\n",
        f.title,
        f.severity,
        format!("{:?}", f.confidence).to_lowercase(),
        f.id,
        where_(f)
    );
    if !f.instances.is_empty() {
        let _ = writeln!(body, "seen at: {}", f.instances.join(", "));
    }
    if !f.evidence.is_empty() {
        let _ = writeln!(body, "evidence: {}", one_line(&f.evidence, 400));
    }
    let cwe: Vec<String> = f.cwe.iter().map(|c| format!("CWE-{c}")).collect();
    let _ = writeln!(body, "{} · {}", cwe.join(", "), f.owasp);
    if let Some(fix) = f.remediation.split("\n\n").next() {
        let _ = writeln!(body, "fix: {}", one_line(fix, 400));
    }
    let _ = writeln!(
        out,
        "      <failure message=\"{}\" type=\"{}\">{}</failure>",
        escape_xml(&message),
        f.severity,
        escape_xml(&body)
    );
}

pub fn render(report: &Report) -> String {
    let seconds = report.duration_ms as f64 / 1000.0;
    let mut suites = String::new();
    let (mut total_tests, mut total_failures) = (0usize, 0usize);
    for category in Category::ALL {
        let checks: Vec<_> = CHECKS.iter().filter(|c| c.category == category).collect();
        if checks.is_empty() {
            continue;
        }
        let findings: &[Finding] = report.categories.get(&category).map_or(&[], |c| &c.findings);
        let mut cases = String::new();
        let mut failures = 0;
        let mut skipped = 0;
        for check in &checks {
            let mine: Vec<&Finding> = findings.iter().filter(|f| f.check == check.id).collect();
            let failing: Vec<&&Finding> = mine.iter().filter(|f| is_failure(f)).collect();
            failures += usize::from(!failing.is_empty());
            let _ = write!(
                cases,
                "    <testcase classname=\"leakprobe.{}\" name=\"{}\" time=\"0\"",
                category.id(),
                escape_xml(check.id)
            );
            let quiet: Vec<&&Finding> = mine.iter().filter(|f| !is_failure(f)).collect();
            // A check that did nothing at all, for a reason the coverage gives, is a skipped test.
            let coverage = report.coverage.checks.iter().find(|c| c.check == check.id);
            let not_run = coverage.filter(|c| mine.is_empty() && !c.did_run() && !c.skipped.is_empty());
            if let Some(c) = not_run {
                skipped += 1;
                let why: Vec<&str> = c.skipped.iter().map(|s| s.reason.as_str()).collect();
                let _ =
                    writeln!(cases, ">\n      <skipped message=\"{}\"/>\n    </testcase>", escape_xml(&why.join(", ")));
                continue;
            }
            if failing.is_empty() && quiet.is_empty() {
                cases.push_str("/>\n");
                continue;
            }
            cases.push_str(">\n");
            for f in failing {
                failure(&mut cases, f);
            }
            if !quiet.is_empty() {
                let mut text = String::new();
                for f in quiet {
                    match &f.suppressed {
                        Some(s) => {
                            let _ = writeln!(
                                text,
                                "suppressed: [{}] {} ({}) — {}: {}",
                                f.severity,
                                f.title,
                                where_(f),
                                s.rule,
                                s.reason
                            );
                        }
                        None => {
                            let _ = writeln!(text, "info: {} ({})", f.title, where_(f));
                        }
                    }
                }
                let _ = writeln!(cases, "      <system-out>{}</system-out>", escape_xml(&text));
            }
            cases.push_str("    </testcase>\n");
        }
        total_tests += checks.len();
        total_failures += failures;
        let _ = write!(
            suites,
            "  <testsuite name=\"leakprobe.{id}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"0\" timestamp=\"{ts}\">\n\
             \x20   <properties>\n\
             \x20     <property name=\"category_score\" value=\"{score}\"/>\n\
             \x20     <property name=\"category_grade\" value=\"{grade}\"/>\n\
             \x20   </properties>\n{cases}  </testsuite>\n",
            id = category.id(),
            tests = checks.len(),
            ts = escape_xml(report.started_at.trim_end_matches('Z')),
            score = report.categories.get(&category).map_or(100, |c| c.score),
            grade = report.categories.get(&category).map_or("A".to_string(), |c| c.grade.to_string()),
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <testsuites name=\"leakprobe {target}\" tests=\"{total_tests}\" failures=\"{total_failures}\" errors=\"0\" time=\"{seconds:.3}\">\n\
         {suites}</testsuites>\n",
        target = escape_xml(&report.target),
    )
}
