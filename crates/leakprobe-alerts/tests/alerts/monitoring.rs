//! Rules over real reports: a Flask target (`tests/targets/server_watch.py`) scanned by the engine
//! while its leak is switched on and off, as a monitored target is between scheduled scans.
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use leakprobe_alerts::{evaluate, EventKind, History, Notice, Outcome, Rule, Scan, TargetInfo};
use leakprobe_engine::report::{Category, Report};
use leakprobe_engine::{scan, NoProgress, ScanConfig};
use leakprobe_testkit::Target;

async fn scan_once(url: &str) -> Report {
    let mut config = ScanConfig::new(url).expect("config");
    config.wordlist = false;
    config.time_limit = Duration::from_secs(60);
    scan(config, &NoProgress).await.expect("scan")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leak_switched_on_alerts_once_and_switched_off_is_reported_fixed() {
    let nonce = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_nanos();
    let flag = std::env::temp_dir().join(format!("leakprobe-alerts-leak-{}-{nonce}", std::process::id()));
    let target = Target::start_env("server_watch", &[("TARGET_LEAK_FILE", flag.to_str().expect("utf8"))]);
    let rules: Vec<Rule> = serde_json::from_str(
        r#"[{"when": "new_finding", "category": "data_exposure", "notify_fixed": true},
            {"when": "score_drop", "points": 10}, {"when": "scan_failed"}]"#,
    )
    .expect("rules");
    let at = |id, report| Scan { target: "payroll", id, outcome: Outcome::Completed(report) };
    let after = |previous| History { previous: Some(previous), previous_failed: false };

    let clean = scan_once(&target.url).await;
    assert!(evaluate(&rules, History::default(), at("1", &clean)).is_empty(), "a clean first scan is quiet");

    std::fs::write(&flag, b"on").expect("switch the leak on");
    let leaking = scan_once(&target.url).await;
    let events = evaluate(&rules, after(&clean), at("2", &leaking));
    let new: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::NewFinding { finding } => Some(finding),
            _ => None,
        })
        .collect();
    // One leak (the whole row serialized on /api/members and /api/members/<id>): a finding per
    // endpoint that shows it, each in data_exposure, nothing else new.
    assert!(!new.is_empty(), "the leak raised no event: {events:?}");
    assert!(
        new.iter().all(|f| f.category == Category::DataExposure && f.endpoint.starts_with("/api/members")),
        "{events:?}"
    );
    // A critical finding costs more than 10 points: the score rule fires on the same scan.
    assert_eq!(events.len(), new.len() + 1, "{events:?}");
    assert!(matches!(events[new.len()].kind, EventKind::ScoreDrop { threshold: 10, .. }), "{events:?}");
    assert!(events.iter().all(|e| e.key.ends_with("/2")), "keys name the scan the leak appeared in");
    let notice = Notice::new(
        TargetInfo { id: "payroll".into(), name: "Payroll".into(), url: target.url.clone() },
        at("2", &leaking),
        Some(&clean),
        events.clone(),
    );
    assert_eq!(
        notice.headline(),
        format!(
            "leakprobe: Payroll — {} new finding{}, score −{}",
            new.len(),
            if new.len() == 1 { "" } else { "s" },
            clean.score - leaking.score
        )
    );

    // Still leaking at the next scan: nothing new, no alert.
    let still = scan_once(&target.url).await;
    assert!(evaluate(&rules, after(&leaking), at("3", &still)).is_empty());

    std::fs::remove_file(&flag).expect("switch the leak off");
    let fixed_scan = scan_once(&target.url).await;
    let fixed = evaluate(&rules, after(&still), at("4", &fixed_scan));
    let mut fixed_ids: Vec<&str> = fixed
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Fixed { finding } => Some(finding.id.as_str()),
            _ => None,
        })
        .collect();
    let mut new_ids: Vec<&str> = new.iter().map(|f| f.id.as_str()).collect();
    fixed_ids.sort_unstable();
    new_ids.sort_unstable();
    assert_eq!(fixed_ids, new_ids, "what appeared is what is reported fixed: {fixed:?}");
}
