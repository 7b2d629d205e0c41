//! `leakprobe serve` / `worker` / `token create` end to end: real processes, a real SQLite file,
//! real HTTP on loopback, Flask targets from `tests/targets/`.
mod common;
mod server_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::{assert_valid_report, findings, leakprobe, pii, python, Target};
use serde_json::{json, Value};
use server_support::{contains, create_token, database_bytes, db_url, sql, temp_dir, Api, Process, ADMIN_PASSWORD};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_flow_stores_scans_reports_and_diffs_and_never_shows_an_identity_secret() {
    let dir = temp_dir("flow");
    let leak = dir.join("leak-on");
    std::fs::write(&leak, "").expect("leak switch");
    let identity_secret = "member-token-7Qz9xK2vL5pW";
    let (target, requests) = {
        let log = dir.join("target-requests.jsonl");
        let target = Target::start_env(
            "server_watch",
            &[
                ("TARGET_LEAK_FILE", leak.to_str().expect("utf8")),
                ("TARGET_TOKEN", identity_secret),
                ("TARGET_REQUEST_LOG", log.to_str().expect("utf8")),
            ],
        );
        (target, log)
    };
    let server = Process::serve(&dir, &["--workers", "1"]);
    let api = Api::new(&server.url, &create_token(&dir));

    let created = api
        .send(
            "POST",
            "/api/v1/targets",
            json!({
                "name": "members",
                "base_url": target.url,
                "identities": [format!("member=bearer:{identity_secret}")],
                "settings": {"max_requests": 400, "time_limit": "60s"},
                // Weekly, on epoch-aligned slots: the scheduler queues nothing during this test.
                "schedule": {"every_minutes": 10080},
                "suppressions": [{"check": "server_version_disclosure", "reason": "behind our proxy"}]
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let target_json = created.json();
    let target_id = target_json["id"].as_str().expect("target id").to_string();
    assert_eq!(target_json["identities"], json!([{"name": "member", "kind": "bearer"}]));
    assert_eq!(target_json["schedule"]["every_minutes"], 10080);

    // Invalid input is a 400 with a JSON message, and nothing is stored.
    for bad in [
        json!({"name": "x", "base_url": target.url, "schedule": {"cron": "not a cron"}}),
        json!({"name": "x", "base_url": target.url, "schedule": {"every_minutes": 0}}),
        json!({"name": "x", "base_url": target.url, "identities": ["member=bearer:${LEAKPROBE_SECRET_KEY}"]}),
        json!({"name": "x", "base_url": target.url, "spec": "/etc/passwd"}),
        json!({"name": "x", "base_url": target.url, "settings": {"active": true}}),
        json!({"name": "x", "base_url": target.url, "unknown": 1}),
    ] {
        let reply = api.send("POST", "/api/v1/targets", bad.clone()).await;
        assert!(matches!(reply.status, 400 | 403 | 422), "{bad}: {} {}", reply.status, reply.body);
        assert!(reply.json()["error"].as_str().is_some_and(|e| !e.is_empty()), "{}", reply.body);
    }
    let malformed = api.call("POST", "/api/v1/targets", None, Some(&format!("Bearer {}", api.token))).await;
    assert_eq!(malformed.status, 415, "{}", malformed.body);
    assert!(malformed.json()["error"].is_string());
    assert_eq!(api.get("/api/v1/targets").await.json()["targets"].as_array().expect("targets").len(), 1);

    // First scan: the leak is on.
    let first = api.queue(json!({"target_id": target_id})).await;
    let scan = api.wait(&first, Duration::from_secs(60)).await;
    assert_eq!(scan["status"], "done", "{scan}");
    let report = &scan["report"];
    assert_valid_report(report);
    let leaks: Vec<_> = findings(report)
        .into_iter()
        .filter(|(cat, f)| {
            cat == "data_exposure"
                && pii(f).contains(&"ssn")
                && f["endpoint"].as_str().is_some_and(|e| e.starts_with("/api/members"))
        })
        .collect();
    assert!(!leaks.is_empty(), "the planted SSN leak is not in the report: {report}");
    let indexed =
        sql(&dir, &format!("SELECT finding_id, category, severity FROM lp_findings WHERE scan_id = '{first}'"));
    assert_eq!(indexed.len(), findings(report).len(), "every finding is indexed once");
    assert!(indexed.iter().any(|r| r["finding_id"] == leaks[0].1["id"] && r["category"] == "data_exposure"));
    // The identity was used (its header reached the target) though it is never shown.
    let sent = Target::requests(&requests);
    assert!(sent.iter().any(|r| r["headers"]["authorization"] == format!("Bearer {identity_secret}")));

    // Second scan with the leak switched off, followed live over server-sent events.
    std::fs::remove_file(&leak).expect("switch the leak off");
    let second = api.queue(json!({"target_id": target_id})).await;
    let events = api.get(&format!("/api/v1/scans/{second}/events")).await;
    assert_eq!(events.status, 200);
    assert!(events.content_type.starts_with("text/event-stream"), "{}", events.content_type);
    assert!(events.body.contains("event: progress"), "{}", events.body);
    assert!(events.body.contains("event: done"), "{}", events.body);
    let scan2 = api.wait(&second, Duration::from_secs(30)).await;
    assert_eq!(scan2["status"], "done");

    let diff = api.get(&format!("/api/v1/scans/{first}/diff/{second}")).await;
    assert_eq!(diff.status, 200, "{}", diff.body);
    let diff = diff.json();
    let gone: Vec<_> = diff["disappeared"].as_array().expect("disappeared").iter().map(|e| e["id"].clone()).collect();
    assert!(gone.contains(&leaks[0].1["id"]), "the fixed leak is not in the diff: {diff}");
    assert!(diff["score_change"].as_i64().expect("score_change") > 0, "{diff}");

    // History: newest first, filtered by target, paged.
    let listed = api.get(&format!("/api/v1/scans?target={target_id}")).await.json();
    assert_eq!(listed["total"], 2);
    let ids: Vec<_> =
        listed["scans"].as_array().expect("scans").iter().map(|s| s["id"].as_str().expect("id").to_string()).collect();
    assert_eq!(ids, [second.clone(), first.clone()]);
    let page = api.get(&format!("/api/v1/scans?target={target_id}&limit=1&offset=1")).await.json();
    assert_eq!(page["scans"][0]["id"], first.as_str());
    assert_eq!(api.get("/api/v1/scans?target=no-such-target").await.json()["total"], 0);

    // Every report format, parsed.
    let json_report = api.get(&format!("/api/v1/scans/{first}/report.json")).await;
    assert_eq!(json_report.json()["score"], report["score"]);
    let sarif = api.get(&format!("/api/v1/scans/{first}/report.sarif")).await;
    assert_eq!(sarif.json()["version"], "2.1.0");
    let html = api.get(&format!("/api/v1/scans/{first}/report.html")).await;
    assert!(html.content_type.starts_with("text/html") && html.body.contains("</html>"));
    let md = api.get(&format!("/api/v1/scans/{first}/report.md")).await;
    assert!(md.body.contains(&format!("{}", report["score"])), "{}", md.body);
    let xml = api.get(&format!("/api/v1/scans/{first}/report.xml")).await;
    let parsed = Command::new(python())
        .args(["-c", "import sys, xml.etree.ElementTree as ET; ET.fromstring(sys.stdin.read())"])
        .stdin(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child.stdin.take().expect("stdin").write_all(xml.body.as_bytes())?;
            child.wait()
        })
        .expect("python xml");
    assert!(parsed.success(), "report.xml does not parse: {}", xml.body);
    assert_eq!(api.get(&format!("/api/v1/scans/{first}/report.pdf")).await.status, 404);
    assert_eq!(api.get("/api/v1/scans/nope").await.status, 404);

    // Updating without identities keeps them; deleting the target keeps its scans.
    let updated = api
        .send("PUT", &format!("/api/v1/targets/{target_id}"), json!({"name": "members v2", "base_url": target.url}))
        .await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(updated.json()["identities"][0]["name"], "member");
    assert_eq!(
        api.call("DELETE", &format!("/api/v1/targets/{target_id}"), None, Some(&format!("Bearer {}", api.token)))
            .await
            .status,
        204
    );
    assert_eq!(api.get(&format!("/api/v1/targets/{target_id}")).await.status, 404);
    assert_eq!(api.get(&format!("/api/v1/scans/{first}")).await.json()["status"], "done");

    // The identity's secret: in no API response, not in the server's log, not in the database.
    for body in api.seen.lock().expect("seen").iter() {
        assert!(!body.contains(identity_secret), "an API response shows the identity secret: {body}");
    }
    assert!(!server.log().contains(identity_secret), "the server's log shows the identity secret");
    assert!(!server.stdout.contains(identity_secret));
    assert!(!contains(&database_bytes(&dir), identity_secret), "the database holds the identity secret in clear");
    assert!(!contains(&database_bytes(&dir), ADMIN_PASSWORD), "the database holds the admin password in clear");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_route_refuses_requests_without_a_valid_token() {
    let dir = temp_dir("auth");
    // No LEAKPROBE_ADMIN_PASSWORD: the first start prints a generated one, the next does not.
    let db = db_url(&dir);
    let first =
        Process::spawn(&dir, &["serve", "--listen", "127.0.0.1:0", "--db", &db, "--workers", "0"], &[], "first.log");
    let password = first
        .stdout
        .split("with password ")
        .nth(1)
        .map(|s| s.split_whitespace().next().unwrap_or_default().to_string());
    let password = password.unwrap_or_else(|| panic!("no generated password printed: {}", first.stdout));
    assert!(password.len() >= 20, "{password}");
    assert!(!first.log().contains(&password), "the generated password reached the log");
    drop(first);
    let server =
        Process::spawn(&dir, &["serve", "--listen", "127.0.0.1:0", "--db", &db, "--workers", "0"], &[], "serve.log");
    assert!(!server.stdout.contains("password"), "a second start printed a password again: {}", server.stdout);
    let hash = sql(&dir, "SELECT password_hash FROM lp_users");
    assert!(hash[0]["password_hash"].as_str().expect("hash").starts_with("$argon2id$"));

    let token = create_token(&dir);
    let stored = sql(&dir, "SELECT token_hash FROM lp_tokens");
    assert!(!contains(&database_bytes(&dir), &token), "the token is stored in clear");
    assert_eq!(stored.len(), 1);

    let api = Api::new(&server.url, &token);
    let routes = [
        ("GET", "/api/v1/targets"),
        ("POST", "/api/v1/targets"),
        ("GET", "/api/v1/targets/some-id"),
        ("PUT", "/api/v1/targets/some-id"),
        ("DELETE", "/api/v1/targets/some-id"),
        ("POST", "/api/v1/targets/some-id/alerts/test"),
        ("GET", "/api/v1/targets/some-id/alerts/deliveries"),
        ("GET", "/api/v1/scans"),
        ("POST", "/api/v1/scans"),
        ("GET", "/api/v1/scans/some-id"),
        ("GET", "/api/v1/scans/some-id/events"),
        ("GET", "/api/v1/scans/some-id/report.json"),
        ("GET", "/api/v1/scans/some-id/report.html"),
        ("GET", "/api/v1/scans/some-id/diff/other-id"),
    ];
    let wrong = [
        None,
        Some("Bearer lpt_not-a-token-at-all-0000000000000000000000"),
        Some(&*format!("Bearer {}x", token)),
        Some(&*format!("Basic {}", token)),
        Some("Bearer "),
    ];
    for (method, path) in routes {
        for auth in &wrong {
            let body = (method == "POST" || method == "PUT").then(|| json!({"url": server.url}));
            let reply = api.call(method, path, body, *auth).await;
            assert_eq!(reply.status, 401, "{method} {path} with {auth:?}: {} {}", reply.status, reply.body);
            assert!(reply.content_type.starts_with("application/json"), "{method} {path}: {}", reply.content_type);
            assert!(reply.json()["error"].as_str().is_some_and(|e| !e.is_empty()));
        }
        // With the token the route answers (404 for the made-up ids, 400 for the bodies), never 401.
        let body = (method == "POST" || method == "PUT").then(|| json!({}));
        let reply = api.call(method, path, body, Some(&format!("Bearer {token}"))).await;
        assert_ne!(reply.status, 401, "{method} {path} refused the valid token");
        assert!(reply.json()["error"].is_string() || reply.status == 200, "{method} {path}: {}", reply.body);
    }
    // The API's description is public.
    let spec = api.call("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(spec.status, 200);
    assert_eq!(spec.json()["openapi"], "3.1.0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_outside_the_allow_list_is_refused_before_any_request_is_sent() {
    let dir = temp_dir("scope");
    let (target, requests) = Target::start_logged("server_watch");
    let server = Process::serve(&dir, &["--workers", "1", "--allow-host", "api.staging.example"]);
    let api = Api::new(&server.url, &create_token(&dir));
    // An IPv4-mapped IPv6 address reaches the target on 127.0.0.1, but it is not loopback by the
    // allow-list's rule (literal loopback only), so it must be refused like any other host.
    let outside = [format!("http://[::ffff:127.0.0.1]:{}", target.port), "http://192.0.2.10:8080".to_string()];
    for url in &outside {
        let reply = api.send("POST", "/api/v1/targets", json!({"name": "x", "base_url": url})).await;
        assert_eq!(reply.status, 403, "{url}: {}", reply.body);
        assert!(reply.json()["error"].as_str().expect("error").contains("allow-list"), "{}", reply.body);
        let reply = api.send("POST", "/api/v1/scans", json!({"url": url})).await;
        assert_eq!(reply.status, 403, "{url}: {}", reply.body);
        let spec_elsewhere = api
            .send(
                "POST",
                "/api/v1/targets",
                json!({"name": "x", "base_url": target.url, "spec": format!("{url}/openapi.json")}),
            )
            .await;
        assert!(matches!(spec_elsewhere.status, 400 | 403), "{}", spec_elsewhere.body);
    }
    assert_eq!(api.get("/api/v1/scans").await.json()["total"], 0, "a refused scan was queued");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        Target::requests(&requests).is_empty(),
        "a refused target received requests: {:?}",
        Target::requests(&requests)
    );
    // The same target on loopback is scanned.
    let id = api.queue(json!({"url": target.url})).await;
    assert_eq!(api.wait(&id, Duration::from_secs(60)).await["status"], "done");
    assert!(!Target::requests(&requests).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_scan_leaves_its_job_to_run_again_to_completion_once() {
    let dir = temp_dir("restart");
    let target = Target::start_env("server_watch", &[("TARGET_DELAY", "0.05")]);
    let server = Process::serve(&dir, &["--workers", "0"]);
    let api = Api::new(&server.url, &create_token(&dir));
    let created = api
        .send(
            "POST",
            "/api/v1/targets",
            json!({"name": "slow", "base_url": target.url, "settings": {"max_requests": 150}}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = api.queue(json!({"target_id": created.json()["id"]})).await;

    let mut first = Process::worker(&dir, "worker-1.log");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let scan = api.get(&format!("/api/v1/scans/{id}")).await.json();
        if scan["status"] == "running" && scan["requests"].as_i64().unwrap_or(0) > 0 {
            break;
        }
        assert_ne!(
            scan["status"], "done",
            "the scan finished before the worker could be killed: make the target slower"
        );
        assert!(Instant::now() < deadline, "the worker never started the scan: {scan}\n{}", first.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.kill();
    let scan = api.get(&format!("/api/v1/scans/{id}")).await.json();
    assert_eq!(scan["status"], "running", "{scan}");

    let second = Process::worker(&dir, "worker-2.log");
    let scan = api.wait(&id, Duration::from_secs(60)).await;
    assert_eq!(scan["status"], "done", "{scan}\n{}", second.log());
    assert_eq!(scan["attempts"], 2, "the scan ran once before the kill and once after: {scan}");
    assert!(scan["report"]["requests"].as_i64().expect("requests") > 0);
    // Stored once: one row, its findings indexed once, the job acknowledged once.
    assert_eq!(sql(&dir, &format!("SELECT id FROM lp_scans WHERE id = '{id}'")).len(), 1);
    let indexed = sql(&dir, &format!("SELECT COUNT(*) AS n FROM lp_findings WHERE scan_id = '{id}'"));
    assert_eq!(indexed[0]["n"].as_u64(), Some(findings(&scan["report"]).len() as u64));
    let jobs = sql(&dir, "SELECT status FROM Jobs");
    assert_eq!(jobs, vec![json!({"status": "Done"})], "the queue holds one finished job");

    // The server itself restarted: the stored scan and its report are still there.
    drop(server);
    let server = Process::serve(&dir, &["--workers", "0"]);
    let api = Api::new(&server.url, &api.token);
    let again = api.get(&format!("/api/v1/scans/{id}")).await.json();
    assert_eq!((&again["status"], &again["report"]["score"]), (&json!("done"), &scan["report"]["score"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leakprobe_scans_the_servers_own_api_clean_of_high_findings() {
    let dir = temp_dir("self");
    let server = Process::serve(&dir, &["--workers", "0"]);
    let token = create_token(&dir);
    let spec = format!("{}/api/v1/openapi.json", server.url);
    let identity = format!("admin=bearer:{token}");
    let out = tokio::task::spawn_blocking({
        let url = server.url.clone();
        move || common::scan(&url, &["--spec", &spec, "--identity", &identity, "--max-requests", "600"])
    })
    .await
    .expect("scan");
    assert!(matches!(out.code, 0 | 1), "scan failed: {}", out.stderr);
    let coverage = &out.report["coverage"];
    assert!(coverage["from_spec"].as_i64().unwrap_or(0) >= 5, "the spec was not read: {coverage}");
    let high: Vec<_> = findings(&out.report)
        .into_iter()
        .filter(|(_, f)| matches!(f["severity"].as_str(), Some("high" | "critical")))
        .map(|(c, f)| format!("{c}: {} {} {}", f["check"], f["endpoint"], f["title"]))
        .collect();
    assert!(high.is_empty(), "high findings on the server's own API: {high:#?}");
    assert!(!out.stdout.contains(&token) && !out.stderr.contains(&token));
}

/// A throwaway PostgreSQL cluster on loopback (Debian's `postgresql`), stopped when dropped.
struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
}

impl Postgres {
    /// `None` when PostgreSQL is not installed (`scripts/test.sh` installs it).
    fn start(dir: &Path) -> Option<Postgres> {
        let bin = std::fs::read_dir("/usr/lib/postgresql").ok()?.flatten().map(|e| e.path().join("bin")).max()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        let pg = Postgres { bin, data: dir.join("pgdata"), port };
        // PostgreSQL refuses to run as root; the tests run as root in CI containers.
        let _ = Command::new("chown").arg("postgres").arg(dir).status();
        pg.run("initdb", &["-D", pg.data.to_str()?, "-A", "trust", "-U", "lp"]);
        let options = format!("-h 127.0.0.1 -p {port} -k {}", dir.display());
        let log = dir.join("postgres.log");
        pg.run("pg_ctl", &["-D", pg.data.to_str()?, "-o", &options, "-l", log.to_str()?, "-w", "start"]);
        pg.run("createdb", &["-h", "127.0.0.1", "-p", &port.to_string(), "-U", "lp", "leakprobe"]);
        Some(pg)
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let program = self.bin.join(tool);
        let root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0"));
        let status = if root {
            Command::new("runuser").args(["-u", "postgres", "--"]).arg(&program).args(args).output()
        } else {
            Command::new(&program).args(args).output()
        }
        .expect("postgres tool");
        assert!(status.status.success(), "{tool}: {}", String::from_utf8_lossy(&status.stderr));
    }

    fn url(&self) -> String {
        format!("postgres://lp@127.0.0.1:{}/leakprobe", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(data) = self.data.to_str() {
            self.run("pg_ctl", &["-D", data, "-m", "immediate", "stop"]);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_postgresql_share_one_queue_and_run_each_scan_once() {
    let dir = temp_dir("postgres");
    let Some(pg) = Postgres::start(&dir) else {
        assert_ne!(
            std::env::var("LEAKPROBE_TEST_POSTGRES").as_deref(),
            Ok("required"),
            "PostgreSQL is required (scripts/test.sh) but not installed"
        );
        eprintln!("PostgreSQL is not installed: skipped (scripts/test.sh installs Debian's postgresql)");
        return;
    };
    let target = Target::start("server_watch");
    let db = pg.url();
    let server = Process::spawn(
        &dir,
        &["serve", "--listen", "127.0.0.1:0", "--db", &db, "--workers", "0", "--heartbeat", "1"],
        &[("LEAKPROBE_ADMIN_PASSWORD", ADMIN_PASSWORD)],
        "serve.log",
    );
    let out = leakprobe().args(["token", "create", "tests", "--db", &db]).output().expect("token");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let api = Api::new(&server.url, String::from_utf8(out.stdout).expect("utf8").trim());
    let created = api
        .send(
            "POST",
            "/api/v1/targets",
            json!({"name": "members", "base_url": target.url, "settings": {"max_requests": 40}}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let target_id = created.json()["id"].clone();
    let mut ids = Vec::new();
    for _ in 0..20 {
        ids.push(api.queue(json!({"target_id": target_id})).await);
    }
    let workers: Vec<_> = (1..=2)
        .map(|i| Process::spawn(&dir, &["worker", "--db", &db, "--heartbeat", "1"], &[], &format!("worker-{i}.log")))
        .collect();
    for id in &ids {
        let scan = api.wait(id, Duration::from_secs(90)).await;
        assert_eq!(scan["status"], "done", "{scan}");
        assert_eq!(scan["attempts"], 1, "a scan ran more than once: {scan}");
    }
    let done: Vec<usize> = workers.iter().map(|w| w.log().matches("scan done").count()).collect();
    assert_eq!(done.iter().sum::<usize>(), 20, "scans done per worker: {done:?}");
    assert!(done.iter().all(|&n| n > 0), "one worker ran every scan: {done:?}");
    assert_eq!(api.get("/api/v1/scans?limit=100").await.json()["total"], 20);
}

const HOOK_KEY: &str = "whsec-monitoring-test-key-4c1d9e";

/// A generic-webhook receiver on loopback that keeps each delivery whose HMAC signature verifies
/// under [`HOOK_KEY`] and refuses (401) any other.
#[derive(Clone, Default)]
struct Hook {
    received: std::sync::Arc<Mutex<Vec<Value>>>,
    refused: std::sync::Arc<Mutex<usize>>,
}

impl Hook {
    async fn start() -> (String, Hook) {
        let hook = Hook::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/hooks/leakprobe", listener.local_addr().expect("addr"));
        let app = axum::Router::new().fallback(receive).with_state(hook.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, hook)
    }

    fn received(&self) -> Vec<Value> {
        self.received.lock().expect("lock").clone()
    }
}

async fn receive(
    axum::extract::State(hook): axum::extract::State<Hook>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::http::StatusCode {
    use hmac::{KeyInit as _, Mac as _};
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let timestamp = header("x-leakprobe-timestamp");
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(HOOK_KEY.as_bytes()).expect("key");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(&body);
    let signed = header("x-leakprobe-signature").strip_prefix("sha256=").and_then(|h| hex::decode(h).ok());
    if signed.is_none_or(|s| mac.verify_slice(&s).is_err()) {
        *hook.refused.lock().expect("lock") += 1;
        return axum::http::StatusCode::UNAUTHORIZED;
    }
    hook.received.lock().expect("lock").push(serde_json::from_slice(&body).expect("JSON body"));
    axum::http::StatusCode::NO_CONTENT
}

/// The ids of the target's scans that are done, oldest first.
async fn done_scans(api: &Api, target_id: &str) -> Vec<String> {
    let listed = api.get(&format!("/api/v1/scans?target={target_id}&limit=100")).await.json();
    let mut done: Vec<String> = listed["scans"]
        .as_array()
        .expect("scans")
        .iter()
        .filter(|s| s["status"] == "done")
        .map(|s| s["id"].as_str().expect("id").to_string())
        .collect();
    done.reverse();
    done
}

/// Waits for a scan of the target that was not done when `before` was taken to be done (the
/// scheduler queues it), then for its alerts to be handled; returns its id.
async fn next_scheduled_scan(api: &Api, target_id: &str, before: &[String], dir: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let done = done_scans(api, target_id).await;
        if let Some(new) = done.iter().find(|id| !before.contains(id)) {
            // Alerts follow the stored scan in the same job: the job's row says when it is over.
            let deadline = Instant::now() + Duration::from_secs(15);
            while sql(
                dir,
                &format!("SELECT status FROM Jobs WHERE CAST(job AS TEXT) LIKE '%{new}%' AND status = 'Done'"),
            )
            .is_empty()
            {
                assert!(Instant::now() < deadline, "the job of scan {new} never finished");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            return new.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no scheduled scan finished in 30 s: {:?}",
            sql(dir, "SELECT * FROM lp_schedule_runs")
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn events_of<'a>(notice: &'a Value, kind: &str) -> Vec<&'a Value> {
    notice["events"].as_array().expect("events").iter().filter(|e| e["event"] == kind).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_target_alerts_once_when_a_leak_appears_and_once_when_it_is_fixed() {
    let dir = temp_dir("monitoring");
    let leak = dir.join("leak-on");
    let target = Target::start_env("server_watch", &[("TARGET_LEAK_FILE", leak.to_str().expect("utf8"))]);
    let (hook_url, hook) = Hook::start().await;
    let server = Process::serve(&dir, &["--workers", "1"]);
    let api = Api::new(&server.url, &create_token(&dir));

    // Bad alert settings are refused before anything is stored.
    for bad in [
        json!({"rules": [{"when": "grade_below", "grade": "F"}]}),
        json!({"rules": [{"when": "scan_failed"}, {"when": "scan_failed"}]}),
        json!({"channels": [{"type": "webhook", "url": hook_url, "secret": "short"}]}),
        json!({"channels": [{"type": "webhook", "url": "http://192.0.2.1/hook", "secret": HOOK_KEY}]}),
        json!({"channels": [{"type": "slack"}]}),
    ] {
        let reply =
            api.send("POST", "/api/v1/targets", json!({"name": "x", "base_url": target.url, "alerts": bad})).await;
        assert_eq!(reply.status, 400, "{bad}: {}", reply.body);
    }
    assert_eq!(api.get("/api/v1/targets").await.json()["targets"], json!([]));

    let created = api
        .send(
            "POST",
            "/api/v1/targets",
            json!({
                "name": "members",
                "base_url": target.url,
                "schedule": {"cron": "*/2 * * * * *"},
                "alerts": {
                    "rules": [{"when": "new_finding", "category": "data_exposure", "notify_fixed": true}],
                    "channels": [{"type": "webhook", "url": "http://127.0.0.1:9/old", "secret": "an-older-key-0123456789"}]
                }
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let target_id = created.json()["id"].as_str().expect("id").to_string();
    assert_eq!(
        created.json()["alerts"]["channels"],
        json!([{"kind": "webhook", "label": "webhook http://127.0.0.1:9"}])
    );
    // A new URL and key replace the old ones; a PUT without `alerts` keeps them; a PUT whose
    // channel leaves the secrets out keeps them too (write-only fields).
    let path = format!("/api/v1/targets/{target_id}");
    let base = json!({"name": "members", "base_url": target.url, "schedule": {"cron": "*/2 * * * * *"}});
    let mut with_alerts = base.clone();
    with_alerts["alerts"] = json!({
        "rules": [{"when": "new_finding", "category": "data_exposure", "notify_fixed": true}],
        "channels": [{"type": "webhook", "url": hook_url, "secret": HOOK_KEY}]
    });
    assert_eq!(api.send("PUT", &path, with_alerts.clone()).await.status, 200);
    assert_eq!(api.send("PUT", &path, base.clone()).await.status, 200);
    with_alerts["alerts"]["channels"] = json!([{"type": "webhook", "url": "", "secret": ""}]);
    let kept = api.send("PUT", &path, with_alerts).await;
    assert_eq!(kept.status, 200, "{}", kept.body);
    let port = hook_url.split(':').nth(2).expect("port").split('/').next().expect("port");
    assert_eq!(kept.json()["alerts"]["channels"][0]["label"], format!("webhook http://127.0.0.1:{port}"));
    assert_eq!(kept.json()["alerts"]["rules"][0]["when"], "new_finding");

    // The first scheduled scan: no leak, so nothing to say.
    let first = next_scheduled_scan(&api, &target_id, &[], &dir).await;
    assert!(hook.received().is_empty(), "a clean first scan alerted: {:?}", hook.received());

    std::fs::write(&leak, "").expect("switch the leak on");
    let seen = done_scans(&api, &target_id).await;
    let leaking = next_scheduled_scan(&api, &target_id, &seen, &dir).await;
    let seen = done_scans(&api, &target_id).await;
    let still = next_scheduled_scan(&api, &target_id, &seen, &dir).await;
    let alerts = hook.received();
    assert_eq!(alerts.len(), 1, "one leak, one alert (not one per scan that still sees it): {alerts:#?}");
    assert_eq!(alerts[0]["type"], "leakprobe.alert");
    assert_eq!(alerts[0]["scan"], leaking.as_str());
    let new = events_of(&alerts[0], "new_finding");
    assert_eq!(new.len(), alerts[0]["events"].as_array().expect("events").len(), "{alerts:#?}");
    assert!(
        new.iter().all(|e| e["finding"]["category"] == "data_exposure"
            && e["finding"]["endpoint"].as_str().is_some_and(|p| p.starts_with("/api/members"))),
        "{new:#?}"
    );

    std::fs::remove_file(&leak).expect("switch the leak off");
    let seen = done_scans(&api, &target_id).await;
    let fixed_scan = next_scheduled_scan(&api, &target_id, &seen, &dir).await;
    let alerts = hook.received();
    assert_eq!(alerts.len(), 2, "{alerts:#?}");
    assert_eq!(alerts[1]["scan"], fixed_scan.as_str());
    let fixed: Vec<&Value> = events_of(&alerts[1], "fixed").into_iter().map(|e| &e["finding"]["id"]).collect();
    let appeared: Vec<&Value> = new.iter().map(|e| &e["finding"]["id"]).collect();
    assert_eq!(fixed, appeared, "what appeared is what is reported fixed: {alerts:#?}");
    assert_eq!(*hook.refused.lock().expect("lock"), 0, "a delivery's signature did not verify");

    // The deliveries are recorded, newest first; a test message goes out and is recorded too.
    let tested = api.send("POST", &format!("/api/v1/targets/{target_id}/alerts/test"), json!({})).await;
    assert_eq!(tested.status, 200, "{}", tested.body);
    assert_eq!(tested.json()["deliveries"][0]["ok"], true, "{}", tested.body);
    assert_eq!(hook.received().last().expect("test message")["type"], "leakprobe.test");
    let deliveries = api.get(&format!("/api/v1/targets/{target_id}/alerts/deliveries")).await.json();
    let list = deliveries["deliveries"].as_array().expect("deliveries");
    let scans: Vec<&Value> = list.iter().map(|d| &d["scan_id"]).collect();
    assert_eq!(scans, [&Value::Null, &json!(fixed_scan), &json!(leaking)], "{deliveries:#}");
    assert!(list.iter().all(|d| d["ok"] == true && d["channel"] == "webhook"), "{deliveries:#}");
    assert_eq!(list[2]["events"].as_array().expect("keys").len(), new.len());
    // One scan at a time: a due time that found the previous scan unfinished queued nothing.
    for run in sql(&dir, "SELECT scan_id, skipped FROM lp_schedule_runs") {
        assert!(run["scan_id"].is_null() != run["skipped"].is_null(), "{run}");
    }
    for id in [&first, &leaking, &still, &fixed_scan] {
        assert_eq!(api.get(&format!("/api/v1/scans/{id}")).await.json()["attempts"], 1);
    }

    // The channel's URL path and key: in no response, not in the log, not in the database.
    for body in api.seen.lock().expect("seen").iter() {
        assert!(
            !body.contains(HOOK_KEY) && !body.contains("/hooks/leakprobe"),
            "a response shows a channel secret: {body}"
        );
    }
    assert!(!server.log().contains(HOOK_KEY) && !server.log().contains("/hooks/leakprobe"));
    assert!(!contains(&database_bytes(&dir), HOOK_KEY), "the database holds the HMAC key in clear");
    assert!(!contains(&database_bytes(&dir), "/hooks/leakprobe"), "the database holds the webhook URL in clear");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_killed_mid_scan_keeps_every_stored_scan_and_runs_the_interrupted_one_again_once() {
    let dir = temp_dir("serve-killed");
    let fast = Target::start("server_watch");
    let slow = Target::start_env("server_watch", &[("TARGET_DELAY", "0.05")]);
    let mut server = Process::serve(&dir, &["--workers", "1"]);
    let api = Api::new(&server.url, &create_token(&dir));
    let stored = api.queue(json!({"url": fast.url})).await;
    assert_eq!(api.wait(&stored, Duration::from_secs(60)).await["status"], "done");
    let before = sql(&dir, &format!("SELECT report, score FROM lp_scans WHERE id = '{stored}'"));
    let indexed =
        sql(&dir, &format!("SELECT finding_id FROM lp_findings WHERE scan_id = '{stored}' ORDER BY finding_id"));

    let created = api
        .send(
            "POST",
            "/api/v1/targets",
            json!({"name": "slow", "base_url": slow.url, "settings": {"max_requests": 100}}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let interrupted = api.queue(json!({"target_id": created.json()["id"]})).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let scan = api.get(&format!("/api/v1/scans/{interrupted}")).await.json();
        if scan["status"] == "running" && scan["requests"].as_i64().unwrap_or(0) > 0 {
            break;
        }
        assert_ne!(scan["status"], "done", "the scan finished before serve could be killed");
        assert!(Instant::now() < deadline, "the scan never started: {scan}\n{}", server.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill(); // SIGKILL: no graceful shutdown, the job is left claimed by a dead worker.
    assert_eq!(sql(&dir, &format!("SELECT status FROM lp_scans WHERE id = '{interrupted}'"))[0]["status"], "running");

    let server = Process::serve(&dir, &["--workers", "1"]);
    let api = Api::new(&server.url, &api.token);
    let scan = api.wait(&interrupted, Duration::from_secs(60)).await;
    assert_eq!(scan["status"], "done", "{scan}\n{}", server.log());
    assert_eq!(scan["attempts"], 2, "once before the kill, once after: {scan}");
    assert_eq!(server.log().matches("scan done").count(), 1, "{}", server.log());
    // The scan stored before the kill is intact, row and findings, and nothing was stored twice.
    assert_eq!(sql(&dir, &format!("SELECT report, score FROM lp_scans WHERE id = '{stored}'")), before);
    assert_eq!(
        sql(&dir, &format!("SELECT finding_id FROM lp_findings WHERE scan_id = '{stored}' ORDER BY finding_id")),
        indexed
    );
    assert_eq!(sql(&dir, "SELECT COUNT(*) AS n FROM lp_scans")[0]["n"], 2);
    let indexed_now = sql(&dir, &format!("SELECT COUNT(*) AS n FROM lp_findings WHERE scan_id = '{interrupted}'"));
    assert_eq!(indexed_now[0]["n"].as_u64(), Some(findings(&scan["report"]).len() as u64));
    let jobs = sql(&dir, "SELECT status FROM Jobs");
    assert_eq!(jobs, vec![json!({"status": "Done"}), json!({"status": "Done"})], "two jobs, each finished once");
}
