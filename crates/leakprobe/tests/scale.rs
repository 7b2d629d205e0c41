//! Scale and honest partial results: a generated API with planted leaks (tests/targets/generated_api.py),
//! budgets too small for it, spec bombs, `--fail-on-incomplete` and the `-vv` request log.
//! The big measurements (1,000 and 5,000 operations, a 20 MB spec) are in `benches/scale.rs`.
mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use common::{assert_valid_report, python, repo_root, scan, Target};
use serde_json::Value;

/// Operations in the generated API: large enough that the planted leaks sit deep in the alphabet
/// and past what a per-check cap of a few dozen endpoints would reach, small enough for CI.
const OPS: &str = "200";

/// The planted leaks (check id, endpoint template) for the generator's environment.
fn planted(env: &[(&str, &str)]) -> Vec<(String, String)> {
    let out = std::process::Command::new(python())
        .arg(repo_root().join("tests/targets/generated_api.py"))
        .arg("--planted")
        .envs(env.iter().copied())
        .output()
        .expect("generator");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("planted line"))
        .map(|v| (v["check"].as_str().unwrap_or("").to_string(), v["endpoint"].as_str().unwrap_or("").to_string()))
        .collect()
}

fn found(report: &Value) -> BTreeSet<(String, String)> {
    common::findings(report)
        .into_iter()
        .map(|(_, f)| (f["check"].as_str().unwrap_or("").to_string(), f["endpoint"].as_str().unwrap_or("").to_string()))
        .collect()
}

/// `/api/v1/{resource}` of an endpoint under the API, if it is one.
fn resource(endpoint: &str) -> Option<String> {
    let parts: Vec<&str> = endpoint.split('/').collect();
    (parts.len() > 3 && parts[1] == "api").then(|| parts[..4].join("/"))
}

fn skipped_for(report: &Value, reason: &str) -> Vec<String> {
    report["coverage"]["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["skipped"].as_array().into_iter().flatten().any(|s| s["reason"] == reason))
        .filter_map(|c| c["check"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn generated_api_every_planted_leak_found_and_a_tight_budget_names_what_it_skipped() {
    let env = [("GEN_OPS", OPS)];
    let target = Target::start_env("generated_api", &env);
    let planted = planted(&env);
    assert_eq!(planted.len(), 10, "{planted:?}");
    let url = target.url.clone();
    let tight_url = target.url.clone();
    // The full scan and the starved one run side by side.
    let tight = std::thread::spawn(move || scan(&tight_url, &["--max-requests", "120", "--time-limit", "40s"]));
    let full = scan(&url, &["--time-limit", "60s"]);
    let tight = tight.join().expect("tight scan");

    assert_eq!(full.code, 0, "stderr: {}", full.stderr);
    assert_valid_report(&full.report);
    let found = found(&full.report);
    let missed: Vec<_> = planted.iter().filter(|p| !found.contains(*p)).collect();
    assert!(missed.is_empty(), "planted leaks missed: {missed:?}\nfound: {found:?}");
    // Precision: every other resource of the API answers cleanly.
    let leaky: BTreeSet<String> = planted.iter().filter_map(|(_, e)| resource(e)).collect();
    // (`server_error_on_malformed_input` is left out: the generator's catch-all route answers some
    // malformed path values with a 500 of its own, which is a true finding, not a planted one.)
    let stray: Vec<_> = found
        .iter()
        .filter(|(check, e)| {
            check != "server_error_on_malformed_input" && resource(e).is_some_and(|r| !leaky.contains(&r))
        })
        .collect();
    assert!(stray.is_empty(), "findings on clean resources: {stray:?}");
    let coverage = &full.report["coverage"];
    assert!(coverage["without_schema"].as_u64().unwrap_or(0) > 0, "operations without a schema not counted");

    // 120 requests cannot cover 200 operations: a partial report that names the checks it cut.
    assert_eq!(tight.code, 0, "stderr: {}", tight.stderr);
    assert_valid_report(&tight.report);
    assert!(tight.report["requests"].as_u64().unwrap_or(999) <= 120);
    let coverage = &tight.report["coverage"];
    assert_eq!(coverage["complete"], false, "{coverage}");
    let reasons: Vec<&str> =
        coverage["incomplete"].as_array().expect("incomplete").iter().filter_map(Value::as_str).collect();
    let skipped = skipped_for(&tight.report, "budget");
    assert!(!skipped.is_empty(), "no check says it was cut by the budget: {coverage}");
    let named = reasons.iter().find(|r| r.contains("left work undone")).expect("a reason that names the checks");
    for check in &skipped {
        assert!(named.contains(check.as_str()), "{check} skipped but not named in {named}");
    }
    assert!(reasons.iter().any(|r| r.contains("request budget of 120 reached")), "{reasons:?}");
}

#[test]
fn a_budget_of_one_request_is_a_partial_report_and_fail_on_incomplete_fails_it() {
    let target = Target::start_env("generated_api", &[("GEN_OPS", "40")]);
    let url = target.url.clone();
    let gated = std::thread::spawn(move || scan(&url, &["--max-requests", "5", "--fail-on-incomplete"]));
    let one = scan(&target.url, &["--max-requests", "1"]);
    assert_eq!(one.code, 0, "a tiny budget is a partial report, not a failure; stderr: {}", one.stderr);
    assert_valid_report(&one.report);
    assert_eq!(one.report["requests"], 1);
    assert_eq!(one.report["coverage"]["complete"], false);
    let reasons = one.report["coverage"]["incomplete"].to_string();
    assert!(reasons.contains("request budget of 1 reached"), "{reasons}");

    let gated = gated.join().expect("gated scan");
    assert_eq!(gated.code, 1, "--fail-on-incomplete on a partial scan; stderr: {}", gated.stderr);
    assert!(gated.stderr.contains("--fail-on-incomplete"), "no reason line: {}", gated.stderr);
    assert_valid_report(&gated.report);
    // The same scan without the flag passes: the flag, not the findings, failed it.
    let plain = scan(&target.url, &["--max-requests", "5"]);
    assert_eq!(plain.code, 0, "stderr: {}", plain.stderr);
}

#[test]
fn debug_log_lists_each_request_without_the_credential() {
    let target = Target::start_env("generated_api", &[("GEN_OPS", "40")]);
    let secret = "qk7Zr2Lw9Xs4Tb";
    let out = common::leakprobe()
        .args(["-vv", "scan", &target.url, "--format", "json", "--max-requests", "30", "--no-wordlist"])
        .args(["--identity", &format!("ops=query:api_key={secret}")])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| l.contains(" request ")).collect();
    assert!(lines.len() >= 10, "too few request lines:\n{stderr}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("method=GET") && l.contains("path=\"/openapi.json\"") && l.contains("status=\"200\"")),
        "no line for the spec fetch:\n{stderr}"
    );
    assert!(lines.iter().all(|l| l.contains("ms=")), "a request line without its time:\n{stderr}");
    assert!(!stderr.contains(secret) && !stdout.contains(secret), "the credential reached the output");
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write spec");
    path.to_string_lossy().into_owned()
}

/// Spec bombs given with `--spec` end at once with exit 2 and a reason; one served at
/// `/openapi.json` (nested a million deep, or past `--max-spec-size`) is an incomplete entry.
#[test]
fn spec_bombs_end_in_seconds_with_a_reason() {
    let dir = std::env::temp_dir().join(format!("leakprobe-spec-bombs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let depth = 1_000_000;
    let deep_json = write(
        &dir,
        "deep.json",
        &format!(r#"{{"openapi": "3.0.0", "paths": {{}}, "x": {}{}}}"#, "[".repeat(depth), "]".repeat(depth)),
    );
    let deep_yaml =
        write(&dir, "deep.yaml", &format!("openapi: 3.0.0\npaths:\n  x: {}{}\n", "[".repeat(depth), "]".repeat(depth)));
    let mut laughs = String::from("openapi: \"3.0.0\"\npaths: {}\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    let mut previous = "a".to_string();
    for i in 1..10 {
        laughs.push_str(&format!("l{i}: &l{i} [{}]\n", vec![format!("*{previous}"); 9].join(",")));
        previous = format!("l{i}");
    }
    let laughs = write(&dir, "laughs.yaml", &laughs);
    // A $ref chain 2,000 long ending in a cycle, and a schema that refers to itself, on 200 paths.
    let mut schemas = serde_json::Map::new();
    for i in 0..2000 {
        schemas.insert(format!("S{i}"), serde_json::json!({"$ref": format!("#/components/schemas/S{}", i + 1)}));
    }
    schemas.insert(
        "S2000".into(),
        serde_json::json!({"type": "object", "properties": {"self": {"$ref": "#/components/schemas/S0"}}}),
    );
    schemas.insert("C".into(), serde_json::json!({"$ref": "#/components/schemas/C"}));
    let paths: serde_json::Map<String, Value> = (0..200)
        .map(|i| {
            let schema = if i % 2 == 0 { "#/components/schemas/S0" } else { "#/components/schemas/C" };
            let ok =
                serde_json::json!({"description": "ok", "content": {"application/json": {"schema": {"$ref": schema}}}});
            (format!("/api/v1/r{i}"), serde_json::json!({"get": {"responses": {"200": ok}}}))
        })
        .collect();
    let refs = serde_json::json!({"openapi": "3.0.0", "paths": paths, "components": {"schemas": schemas}});
    let refs = write(&dir, "refs.json", &refs.to_string());
    let big =
        write(&dir, "big.json", &format!(r#"{{"openapi": "3.0.0", "paths": {{}}, "x": "{}"}}"#, "a".repeat(1_200_000)));

    let target = Target::start_env("generated_api", &[("GEN_OPS", "40")]);
    let cases: Vec<(&str, Vec<String>, i32, &str)> = vec![
        ("deep JSON", vec!["--spec".into(), deep_json], 2, "recursion limit"),
        ("deep YAML", vec!["--spec".into(), deep_yaml], 2, "nested deeper than 128"),
        ("billion laughs", vec!["--spec".into(), laughs], 2, "repetition limit"),
        ("over the size limit", vec!["--spec".into(), big, "--max-spec-size".into(), "1".into()], 2, "--max-spec-size"),
        ("$ref chains and cycles", vec!["--spec".into(), refs], 0, ""),
    ];
    let runs: Vec<_> = cases
        .into_iter()
        .map(|(name, args, code, reason)| {
            let url = target.url.clone();
            std::thread::spawn(move || {
                let mut all = args;
                all.extend(["--max-requests", "40", "--time-limit", "20s"].map(String::from));
                let refs: Vec<&str> = all.iter().map(String::as_str).collect();
                (name, code, reason, scan(&url, &refs))
            })
        })
        .collect();
    for run in runs {
        let (name, code, reason, out) = run.join().expect("bomb scan");
        assert_eq!(out.code, code, "{name}: stderr {}", out.stderr);
        assert!(out.stderr.contains(reason), "{name}: `{reason}` not in {}", out.stderr);
        assert!(out.elapsed < Duration::from_secs(25), "{name} took {:?}", out.elapsed);
        if code == 0 {
            assert_valid_report(&out.report);
            assert_eq!(out.report["coverage"]["from_spec"], 200, "{name}");
        }
    }

    // Served: a spec nested a million deep, and one past --max-spec-size; both scans go on without
    // it and say why.
    let deep = Target::start_env("generated_api", &[("GEN_SPEC_BOMB", "deep")]);
    let padded = Target::start_env("generated_api", &[("GEN_OPS", "40"), ("GEN_SPEC_PAD_MB", "2")]);
    let padded_url = padded.url.clone();
    let cut = std::thread::spawn(move || scan(&padded_url, &["--max-spec-size", "1", "--max-requests", "60"]));
    let served = scan(&deep.url, &["--max-requests", "60", "--time-limit", "20s"]);
    let cut = cut.join().expect("cut scan");
    for (name, out, reason) in
        [("served deep", served, "recursion limit"), ("served over the size limit", cut, "--max-spec-size")]
    {
        assert_eq!(out.code, 0, "{name}: stderr {}", out.stderr);
        assert_valid_report(&out.report);
        assert_eq!(out.report["coverage"]["complete"], false, "{name}");
        let reasons = out.report["coverage"]["incomplete"].to_string();
        assert!(reasons.contains("/openapi.json") && reasons.contains(reason), "{name}: {reasons}");
        assert!(out.elapsed < Duration::from_secs(25), "{name} took {:?}", out.elapsed);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `leakprobe scan URL --format json ARGS…` by the debug binary, watching its peak memory.
fn scan_watched(url: &str, args: &[&str]) -> (Value, Option<i32>, u64, Duration) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_leakprobe"));
    cmd.env("NO_COLOR", "1").env_remove("LEAKPROBE_LOG").args(["scan", url, "--format", "json"]).args(args);
    let (out, peak_kib, elapsed) = common::run_watching_memory(cmd);
    (serde_json::from_slice(&out.stdout).unwrap_or(Value::Null), out.status.code(), peak_kib, elapsed)
}

/// Spec bombs of size, served at `/openapi.json`: 20,000 operations, and a 50 MB spec (25 times
/// the body cap, so its first answer is cut and it is fetched again under `--max-spec-size`).
/// Each ends within its time limit + 15 s, under 512 MB, with a report built from the spec; the
/// cut first answer of a spec then read whole is not reported as a cut body.
#[test]
fn huge_specs_end_in_time_in_bounded_memory_without_a_spurious_cut() {
    let many = Target::start_env("generated_api", &[("GEN_OPS", "20000")]);
    let padded = Target::start_env("generated_api", &[("GEN_OPS", "2000"), ("GEN_SPEC_PAD_MB", "50")]);
    let args = ["--time-limit", "15s", "--max-requests", "80"];
    let padded_url = padded.url.clone();
    let padded_run = std::thread::spawn(move || scan_watched(&padded_url, &args));
    let many_run = scan_watched(&many.url, &args);
    let padded_run = padded_run.join().expect("50 MB spec scan");
    for (name, (report, code, peak_kib, elapsed), operations) in
        [("20,000 operations", many_run, 20_000), ("50 MB spec", padded_run, 2_000)]
    {
        eprintln!(
            "{name}: {:.1} s, {} MB peak RSS, {} requests",
            elapsed.as_secs_f64(),
            peak_kib / 1024,
            report["requests"]
        );
        assert_eq!(code, Some(0), "{name}");
        assert_valid_report(&report);
        assert!(elapsed < Duration::from_secs(15 + 15), "{name} took {elapsed:?}");
        assert!(peak_kib < 512 * 1024, "{name}: {} MB peak RSS", peak_kib / 1024);
        let coverage = &report["coverage"];
        assert!(coverage["from_spec"].as_u64().unwrap_or(0) >= operations / 2, "{name}: spec not read: {coverage}");
        let reasons = coverage["incomplete"].to_string();
        assert!(!reasons.contains("cut at"), "{name}: the spec's first answer reported as cut: {reasons}");
        assert!(reasons.contains("request budget of 80 reached"), "{name}: {reasons}");
    }
}

/// Floors kept for checks that then need little are granted again, once every check has run, to
/// the checks the budget cut: the budget is spent on their endpoints instead of being left over.
#[test]
fn budget_left_unspent_goes_to_the_checks_it_cut() {
    let target = Target::start_env("generated_api", &[("GEN_OPS", OPS)]);
    let out = scan(&target.url, &["--max-requests", "500", "--time-limit", "60s"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert_valid_report(&out.report);
    let requests = out.report["requests"].as_u64().unwrap_or(0);
    let checks = out.report["coverage"]["checks"].as_array().expect("checks").clone();
    let cut: Vec<&Value> = checks
        .iter()
        .filter(|c| c["unit"] != "exchanges")
        .filter(|c| c["skipped"].as_array().into_iter().flatten().any(|s| s["reason"] == "budget"))
        .collect();
    // Still work left undone for want of budget: then the budget is what ended the scan.
    assert!(!cut.is_empty(), "no check was cut: the budget is too large for this test");
    assert!(requests >= 490, "{requests} of 500 requests sent while checks were cut: {cut:?}");
    // Without the re-grant these checks sent 43 requests between them and 71 of the budget were
    // left over.
    let spent_by_cut: u64 = cut.iter().filter_map(|c| c["requests"].as_u64()).sum();
    assert!(spent_by_cut >= 100, "the cut checks sent only {spent_by_cut} requests: {cut:?}");
}
