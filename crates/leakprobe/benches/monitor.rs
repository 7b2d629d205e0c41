//! Scheduled monitoring throughput (`cargo bench -p leakprobe --bench monitor`): how many scheduled
//! scans per hour one worker sustains, and the `serve` process's peak RSS while it does.
//!
//! `leakprobe serve --workers 1` on a fresh SQLite file, two Flask targets on loopback with default
//! scan settings (server_watch with its leak on, and crm_debug, a leaky debug-mode app), each
//! scheduled every second, so the one worker is never idle: the scheduler skips a due time while
//! the target's previous scan runs, and the worker's pace is what is measured. Runs
//! `LEAKPROBE_BENCH_SECS` seconds (default 60) after the first scan of each target is done.
//! Nothing is asserted; the numbers are for people.
#[path = "../tests/common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Target;
use serde_json::{json, Value};

/// `VmHWM` (peak RSS) or `VmRSS` of a process, in KiB.
fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field)?.trim().strip_suffix("kB")?.trim().parse().ok())
        .unwrap_or(0)
}

struct Api {
    base: String,
    token: String,
    client: reqwest::Client,
}

impl Api {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.client.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let mut response = request.send().await.expect("request");
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.expect("body") {
            bytes.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&bytes).expect("JSON")
    }

    async fn scans(&self) -> Vec<Value> {
        self.call(reqwest::Method::GET, "/api/v1/scans?limit=500", None).await["scans"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

fn millis(a: &Value, b: &Value) -> Option<u64> {
    let parse = |v: &Value| humantime::parse_rfc3339(v.as_str()?).ok();
    Some(parse(b)?.duration_since(parse(a)?).ok()?.as_millis() as u64)
}

fn main() {
    let secs: u64 = std::env::var("LEAKPROBE_BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    let dir = std::env::temp_dir().join(format!("leakprobe-bench-monitor-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let leak = dir.join("leak-on");
    std::fs::write(&leak, "").expect("leak switch");
    let watch = Target::start_env("server_watch", &[("TARGET_LEAK_FILE", leak.to_str().expect("utf8"))]);
    let crm = Target::start("crm_debug");

    let bin = assert_cmd::cargo::cargo_bin("leakprobe");
    let db = format!("sqlite://{}", dir.join("leakprobe.db").display());
    let mut serve = Command::new(&bin)
        .args(["serve", "--listen", "127.0.0.1:0", "--db", &db, "--workers", "1", "--heartbeat", "5"])
        .env("LEAKPROBE_ADMIN_PASSWORD", "bench-admin-password")
        .env("LEAKPROBE_LOG", "warn")
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let pid = serve.id();
    let mut base = String::new();
    for line in BufReader::new(serve.stdout.take().expect("stdout")).lines() {
        let line = line.expect("line");
        if let Some(rest) = line.strip_prefix("leakprobe: serving ") {
            base = rest.split_whitespace().next().expect("url").to_string();
            break;
        }
    }
    let out = Command::new(&bin).args(["token", "create", "bench", "--db", &db]).output().expect("token");
    let api = Api {
        base,
        token: String::from_utf8(out.stdout).expect("utf8").trim().to_string(),
        client: reqwest::Client::new(),
    };

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        for (name, url) in [("server_watch", &watch.url), ("crm_debug", &crm.url)] {
            let body = json!({"name": name, "base_url": url, "schedule": {"cron": "* * * * * *"}});
            let created = api.call(reqwest::Method::POST, "/api/v1/targets", Some(body)).await;
            assert!(created["id"].is_string(), "{created}");
        }
        // Warm-up: one finished scan per target (the first also builds the process's caches).
        let warm = Instant::now();
        loop {
            let done = api.scans().await.iter().filter(|s| s["status"] == "done").count();
            if done >= 2 {
                break;
            }
            assert!(warm.elapsed() < Duration::from_secs(300), "no scan finished in 5 minutes");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let start_done: Vec<String> = api
            .scans()
            .await
            .iter()
            .filter(|s| s["status"] == "done" || s["status"] == "failed")
            .filter_map(|s| s["id"].as_str().map(str::to_string))
            .collect();
        let started = Instant::now();
        let mut peak_rss = 0;
        while started.elapsed() < Duration::from_secs(secs) {
            peak_rss = peak_rss.max(status_kib(pid, "VmRSS:"));
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let elapsed = started.elapsed();
        let scans = api.scans().await;
        let finished: Vec<&Value> = scans
            .iter()
            .filter(|s| s["status"] == "done" || s["status"] == "failed")
            .filter(|s| !start_done.iter().any(|id| s["id"] == id.as_str()))
            .collect();
        let failed = finished.iter().filter(|s| s["status"] == "failed").count();
        let per_hour = finished.len() as f64 * 3600.0 / elapsed.as_secs_f64();
        println!("monitor: {secs} s window, 1 worker, 2 targets scheduled every second (default scan settings)");
        println!("  scans finished  {:>6}  ({failed} failed)  → {per_hour:.0} scheduled scans/hour", finished.len());
        for name in ["server_watch", "crm_debug"] {
            let url = if name == "server_watch" { &watch.url } else { &crm.url };
            let mut times: Vec<u64> = finished
                .iter()
                .filter(|s| s["url"] == url.as_str())
                .filter_map(|s| millis(&s["started_at"], &s["finished_at"]))
                .collect();
            times.sort_unstable();
            let requests: i64 =
                finished.iter().filter(|s| s["url"] == url.as_str()).filter_map(|s| s["requests"].as_i64()).sum();
            let median = times.get(times.len() / 2).copied().unwrap_or(0);
            println!(
                "  {name:<14}  {:>4} scans, median {median} ms, {} requests/scan",
                times.len(),
                requests / times.len().max(1) as i64
            );
        }
        println!(
            "  serve RSS: peak (VmHWM) {} MiB, highest sampled VmRSS {} MiB",
            status_kib(pid, "VmHWM:") / 1024,
            peak_rss / 1024
        );
    });
    let _ = serve.kill();
    let _ = serve.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
