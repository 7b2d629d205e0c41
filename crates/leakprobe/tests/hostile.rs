//! Hostile targets (`tests/targets/hostile.py`, one misbehaviour per `HOSTILE_CASE`): each scan ends
//! within its time limit + 15 s, under 512 MB of memory, with a parseable report or a documented
//! exit code, and a target that answers nearly nothing usable is reported as partial, never clean.
mod common;

use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use common::{run_watching_memory, Target};
use serde_json::Value;

const TIME_LIMIT_S: u64 = 6;
/// What each scan may take beyond its `--time-limit` (the acceptance bound).
const GRACE: Duration = Duration::from_secs(15);
const MAX_RSS_KIB: u64 = 512 * 1024;
/// Scans run at once: each is a Python target and a scanner, on a machine of two cores.
const WORKERS: usize = 6;

/// How a hostile case must end.
#[derive(Clone, Copy, Debug)]
enum Ends {
    /// A report marked partial with a reason containing this text.
    Partial(&'static str),
    /// A report (complete or not): the misbehaviour costs nothing the report must mention.
    Report,
    /// Exit code 3 (the scan could not start), with this text in the error.
    Failed(&'static str),
}

struct Case {
    name: &'static str,
    /// `https` with a fresh self-signed certificate instead of plain HTTP (scanned without --insecure).
    tls: bool,
    args: &'static [&'static str],
    ends: Ends,
}

const fn case(name: &'static str, ends: Ends) -> Case {
    Case { name, tls: false, args: &[], ends }
}

/// Cases whose cost is in the requests: they end within the limit whatever the analysis costs.
fn transport_cases() -> Vec<Case> {
    use Ends::*;
    vec![
        case("mixed", Partial("cut at")),
        // Never reaches the body cap: only time ends each body.
        case("endless_trickle", Partial("within the timeout")),
        case("slow_headers", Partial("within the timeout")),
        case("silent", Partial("within the timeout")),
        case("silent_root", Failed("did not answer")),
        case("reset", Partial("no usable answer (")),
        case("garbage_status", Partial("no usable answer (")),
        case("garbage_root", Failed("")),
        case("header_flood", Partial("no usable answer (")),
        case("huge_header", Partial("no usable answer (")),
        case("storm_429", Partial("no usable answer (")),
        case("storm_429_retry", Partial("no usable answer (")),
        case("storm_503_long", Partial("slow down beyond the time limit")),
        case("redirect_loop", Report),
        case("offorigin_redirect", Report),
        case("non_utf8_json", Report),
        // A TLS port that answers garbage, and a certificate nobody vouches for (no --insecure).
        Case { name: "bad_tls", tls: true, args: &[], ends: Failed("") },
        Case { name: "wrong_cert", tls: true, args: &[], ends: Failed("--insecure") },
    ]
}

/// Cases that hand the scan many bodies of 2 MiB (the cap): the client bounds their time and memory,
/// and the analysis after the requests must be bounded too.
fn body_cases() -> Vec<Case> {
    use Ends::*;
    vec![
        case("endless_chunked", Partial("cut at")),
        case("endless_chunked_root", Partial("cut at")),
        case("endless_length", Partial("cut at")),
        case("endless_length_root", Partial("cut at")),
        case("huge_body", Partial("cut at")),
        case("big_array", Partial("cut at")),
        case("gzip_bomb", Partial("cut at")),
        case("brotli_bomb", Partial("cut at")),
        // Many ~2 MiB pages: past the scan's total, only heads are kept.
        Case {
            name: "many_pages",
            tls: false,
            args: &["--max-total-body-mib", "32"],
            ends: Partial("kept only in part"),
        },
        case("deep_json", Report),
    ]
}

/// Runs one case; `Err` says how it failed the contract.
fn run(case: &Case) -> Result<String, String> {
    let target = if case.tls {
        Target::start_tls_self_signed("hostile", &[("HOSTILE_CASE", case.name)])
    } else {
        Target::start_env("hostile", &[("HOSTILE_CASE", case.name)])
    };
    let limit = format!("{TIME_LIMIT_S}s");
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("leakprobe"));
    cmd.env("NO_COLOR", "1").env_remove("LEAKPROBE_LOG");
    cmd.args(["scan", &target.url, "--format", "json", "--no-wordlist", "--timeout", "3s", "--time-limit", &limit]);
    cmd.args(case.args);
    let (out, peak_kib, elapsed) = run_watching_memory(cmd);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let code = out.status.code().unwrap_or(-1);
    let line = format!("{}: exit {code}, {:.1} s, peak {} MiB", case.name, elapsed.as_secs_f64(), peak_kib / 1024);
    if elapsed > Duration::from_secs(TIME_LIMIT_S) + GRACE {
        return Err(format!("{line}: longer than --time-limit {limit} + {GRACE:?}"));
    }
    if peak_kib > MAX_RSS_KIB {
        return Err(format!("{line}: over {} MiB", MAX_RSS_KIB / 1024));
    }
    let report: Option<Value> = serde_json::from_slice(&out.stdout).ok();
    let incomplete: Vec<String> = report
        .as_ref()
        .and_then(|r| r["coverage"]["incomplete"].as_array())
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    match (case.ends, &report) {
        (Ends::Failed(why), _) => {
            if code != 3 || !stderr.contains(why) {
                return Err(format!("{line}: expected exit 3 naming {why:?}, stderr: {stderr}"));
            }
        }
        (_, None) => return Err(format!("{line}: no JSON report; stderr: {stderr}")),
        (Ends::Report, Some(_)) if code != 0 => return Err(format!("{line}: stderr: {stderr}")),
        (Ends::Report, Some(_)) => {}
        (Ends::Partial(why), Some(report)) => {
            if code != 0 || report["coverage"]["complete"] != false || !incomplete.iter().any(|r| r.contains(why)) {
                return Err(format!("{line}: expected a partial report naming {why:?}, got {incomplete:?}"));
            }
        }
    }
    Ok(format!("{line} {incomplete:?}"))
}

/// Runs every case on [`WORKERS`] threads; panics listing each case that broke the contract.
fn run_all(cases: Vec<Case>) {
    let total = cases.len();
    let queue = Mutex::new(cases);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..WORKERS {
            s.spawn(|| loop {
                let Some(case) = queue.lock().unwrap_or_else(|p| p.into_inner()).pop() else { break };
                let outcome = run(&case);
                results.lock().unwrap_or_else(|p| p.into_inner()).push(outcome);
            });
        }
    });
    let results = results.into_inner().unwrap_or_else(|p| p.into_inner());
    assert_eq!(results.len(), total);
    for line in results.iter().flatten() {
        println!("{line}");
    }
    let failures: Vec<&str> = results.iter().filter_map(|r| r.as_ref().err()).map(String::as_str).collect();
    assert!(failures.is_empty(), "{} hostile case(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn hostile_transports_end_in_time_in_bounded_memory_with_an_honest_report() {
    run_all(transport_cases());
}

/// Bodies cut by size and time, the retained-body cap, and an analysis that stops at the deadline.
#[test]
fn hostile_bodies_end_in_time_in_bounded_memory_with_an_honest_report() {
    run_all(body_cases());
}

#[test]
fn a_header_echoing_target_never_gets_a_credential_into_any_output() {
    const HEADER_SECRET: &str = "Zq8secretHeaderToken41";
    const IDENTITY_SECRET: &str = "Wx3secretIdentityToken77";
    let target = Target::start_env("hostile", &[("HOSTILE_CASE", "header_echo")]);
    let dir = std::env::temp_dir().join(format!("leakprobe-echo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let files: Vec<_> =
        ["report.json", "report.sarif", "report.html", "report.md"].iter().map(|f| dir.join(f)).collect();
    let auth = format!("Authorization: Bearer {HEADER_SECRET}");
    let identity = format!("bob=bearer:{IDENTITY_SECRET}");
    let shared = ["--no-wordlist", "--timeout", "3s", "--time-limit", "6s", "-H", &auth, "--identity", &identity];
    let mut outputs = Vec::new();
    for format in ["json", "terminal"] {
        let mut cmd = common::leakprobe();
        // -vv: debug logs, where a credential would show if anywhere.
        cmd.args(["-vv", "scan", &target.url, "--format", format]).args(shared);
        if format == "json" {
            for f in &files {
                cmd.arg("-o").arg(f);
            }
        }
        let out = cmd.output().expect("run leakprobe");
        assert!(matches!(out.status.code(), Some(0 | 1)), "{format}: {}", String::from_utf8_lossy(&out.stderr));
        outputs.push((format!("{format} stdout"), String::from_utf8_lossy(&out.stdout).into_owned()));
        outputs.push((format!("{format} stderr (-vv)"), String::from_utf8_lossy(&out.stderr).into_owned()));
    }
    for f in &files {
        outputs.push((f.display().to_string(), std::fs::read_to_string(f).expect("report file")));
    }
    // The scan did read echoed answers and log at debug level (the test would prove nothing otherwise)…
    let json: Value = serde_json::from_str(&outputs[0].1).expect("json report");
    assert!(json["requests"].as_u64().is_some_and(|n| n > 5), "{}", outputs[0].1);
    assert!(outputs[1].1.contains("DEBUG"), "no debug log to check: {}", outputs[1].1);
    // …and no credential reached any output.
    for (name, text) in &outputs {
        for secret in [HEADER_SECRET, IDENTITY_SECRET] {
            assert!(!text.contains(secret), "{name} contains a credential");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `[identity.login]` goes through the client: its answer is read under the body cap, the request
/// counts against the budget, and the deadline bounds it. Before, an endless login answer was read
/// without limit (`Response::bytes`) and a silent one waited past `--time-limit`.
#[test]
fn logins_obey_the_body_cap_the_budget_and_the_deadline() {
    let scan_with_login = |case: &str, configure: &dyn Fn(&mut leakprobe_engine::ScanConfig)| {
        let target = Target::start_env("hostile", &[("HOSTILE_CASE", case)]);
        let mut config = leakprobe_engine::ScanConfig::new(&target.url).expect("config");
        config.wordlist = false;
        config.time_limit = Duration::from_secs(3);
        config.identities =
            vec![common::login_identity("bob", "/api/login", serde_json::json!({"user": "bob"}), Some("/token"), None)];
        configure(&mut config);
        let started = std::time::Instant::now();
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let outcome = runtime.block_on(leakprobe_engine::scan(config, &leakprobe_engine::NoProgress));
        match outcome {
            Err(leakprobe_engine::ScanError::Login(why)) => (why, started.elapsed()),
            other => panic!("{case}: expected a login error, got {:?}", other.map(|r| r.score)),
        }
    };
    // An endless answer is cut at the body cap (and is then no JSON), not read forever.
    let (why, took) = scan_with_login("endless_chunked", &|c| c.body_cap = 64 * 1024);
    assert!(why.contains("not JSON"), "{why}");
    assert!(took < Duration::from_secs(5), "endless login answer took {took:?}");
    // A silent login ends at the scan's deadline, not the (longer) request timeout.
    let (why, took) = scan_with_login("silent", &|c| c.request_timeout = Duration::from_secs(30));
    assert!(why.contains("timeout"), "{why}");
    assert!(took < Duration::from_secs(6), "silent login took {took:?} with a 3 s time limit");
    // The login request is one of the budget's: with none left it is not sent.
    let (why, _) = scan_with_login("mixed", &|c| c.max_requests = 0);
    assert!(why.contains("budget"), "{why}");
}
