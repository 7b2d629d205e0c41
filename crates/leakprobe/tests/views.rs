//! The dashboard's read-only pages (`leakprobe_server::web::views`), in process: the router on a
//! temporary SQLite database, requests through `tower::ServiceExt::oneshot`, and reports made the
//! way `leakprobe serve` makes them: real scans of a Flask target (`server_watch`, whose leak is
//! switched on between scans) run by the server's own queue workers and stored by them.
mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, Request, StatusCode};
use axum::Json;
use common::Target;
use leakprobe_server::api::App;
use leakprobe_server::secrets::SecretKey;
use leakprobe_server::{db, jobs, scans, scope, targets};
use serde_json::{json, Value};
use sqlx::Row as _;
use tower::ServiceExt as _;

const SECRET_KEY: &str = "5f0c7a1e9b3d2c4f6a8e0b1d3c5f7a9e2b4d6f8a0c1e3b5d7f9a2c4e6b8d0f1a";
/// An identity secret of the target: no page may show it.
const IDENTITY_SECRET: &str = "views-identity-s3cret-7Qz9";
/// What `server_watch` leaks while its flag file exists; pages show evidence only redacted.
const LEAKED: [&str; 4] = ["512-48-3391", "409-52-2002", "4111 1111 1111 1111", "5500 0000 0000 0004"];

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("leakprobe-views-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

async fn app(dir: &Path) -> App {
    let db = db::open(&format!("sqlite://{}", dir.join("views.db").display())).await.expect("database");
    let key = SecretKey::parse(SECRET_KEY).expect("key");
    jobs::app(db, scope::settings(&[], false).expect("scope"), Some(key), Duration::from_secs(5))
}

/// A page: status, Content-Type, Content-Security-Policy, Location and body.
struct Page {
    status: StatusCode,
    content_type: String,
    csp: String,
    location: String,
    body: String,
}

async fn get(app: &App, path: &str) -> Page {
    let request = Request::builder().uri(path).body(Body::empty()).expect("request");
    let response =
        leakprobe_server::web::views::routes().with_state(app.clone()).oneshot(request).await.expect("response");
    let header = |name: header::HeaderName| {
        response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
    };
    let (status, content_type, csp, location) = (
        response.status(),
        header(header::CONTENT_TYPE),
        header(header::CONTENT_SECURITY_POLICY),
        header(header::LOCATION),
    );
    let bytes = axum::body::to_bytes(response.into_body(), 16 << 20).await.expect("body");
    Page { status, content_type, csp, location, body: String::from_utf8(bytes.to_vec()).expect("utf-8") }
}

/// A dashboard page that rendered: 200, HTML under the strict CSP, no inline script or style.
async fn html(app: &App, path: &str, seen: &mut Vec<String>) -> String {
    let page = get(app, path).await;
    assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
    assert!(page.content_type.starts_with("text/html"), "{path}: {}", page.content_type);
    assert!(page.csp.contains("script-src 'self'"), "{path}: CSP {}", page.csp);
    assert!(!page.body.contains("style="), "{path}: an inline style breaks the CSP");
    assert_eq!(page.body.matches("<script").count(), 1, "{path}: only the page's own script tag");
    seen.push(page.body.clone());
    page.body
}

async fn create_target(app: &App, input: Value) -> String {
    let input = serde_json::from_value(input).expect("target input");
    let (status, Json(target)) = targets::create(State(app.clone()), Ok(Json(input))).await.expect("target");
    assert_eq!(status, StatusCode::CREATED);
    target["id"].as_str().expect("id").to_string()
}

async fn queue_scan(app: &App, target_id: &str) -> String {
    let input = serde_json::from_value(json!({ "target_id": target_id })).expect("scan input");
    let (_, Json(scan)) = scans::create(State(app.clone()), Ok(Json(input))).await.expect("queued");
    scan["id"].as_str().expect("id").to_string()
}

/// The scan's row once a worker finished it.
async fn finished(app: &App, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let Json(scan) = scans::get(State(app.clone()), axum::extract::Path(id.to_string())).await.expect("scan");
        if scan["status"] == "done" || scan["status"] == "failed" {
            assert_eq!(scan["status"], "done", "{scan}");
            return scan;
        }
        assert!(Instant::now() < deadline, "scan {id} never finished: {scan}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The `(id, category, suppressed)` of a scan's findings whose category is data_exposure.
fn data_exposure(scan: &Value) -> Vec<(String, bool)> {
    scan["report"]["categories"]["data_exposure"]["findings"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|f| (f["id"].as_str().unwrap_or_default().to_string(), f.get("suppressed").is_some()))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_show_stored_scans_history_and_diffs() {
    let dir = temp_dir("pages");
    let flag = dir.join("leak-on");
    let target = Target::start_env("server_watch", &[("TARGET_LEAK_FILE", flag.to_str().expect("utf-8"))]);
    let app = app(&dir).await;
    let payroll = create_target(
        &app,
        json!({
            "name": "Payroll <API> & co",
            "base_url": target.url,
            "identities": [format!("alice=bearer:{IDENTITY_SECRET}")],
        }),
    )
    .await;
    let accepted = create_target(
        &app,
        json!({
            "name": "Payroll (accepted)",
            "base_url": target.url,
            "suppressions": [{ "category": "data_exposure", "reason": "test data only" }],
        }),
    )
    .await;
    let workers = tokio::spawn(app.queue.clone().work(app.clone(), 2, "views-test"));
    let started = Instant::now();

    // Leak off, then on for two scans (and for the target that accepts data exposure).
    let clean = queue_scan(&app, &payroll).await;
    let clean_row = finished(&app, &clean).await;
    std::fs::write(&flag, "on").expect("flag");
    let (leaky, suppressed) = (queue_scan(&app, &payroll).await, queue_scan(&app, &accepted).await);
    let leaky_row = finished(&app, &leaky).await;
    let suppressed_row = finished(&app, &suppressed).await;
    let again = queue_scan(&app, &payroll).await;
    let again_row = finished(&app, &again).await;
    eprintln!("views: 4 scans run and stored by the workers in {:.1} s", started.elapsed().as_secs_f64());
    workers.abort();

    assert!(data_exposure(&clean_row).is_empty(), "the clean look-alike has no data exposure: {clean_row}");
    let leaks = data_exposure(&leaky_row);
    assert!(!leaks.is_empty() && leaks.iter().all(|(_, s)| !s), "the leak is found and counts: {leaks:?}");
    let (leak_id, _) = leaks[0].clone();
    let mut pages = Vec::new();

    // The overview: both targets, grades, sparklines, open findings.
    let overview = html(&app, "/targets", &mut pages).await;
    assert!(overview.contains("Payroll &lt;API&gt; &amp; co"), "{overview}");
    assert!(
        overview.contains(&format!("href=\"/targets/{payroll}\""))
            && overview.contains(&format!("href=\"/targets/{accepted}\""))
    );
    assert_eq!(overview.matches("<svg class=\"spark\"").count(), 2, "{overview}");
    let grade = again_row["grade"].as_str().expect("grade");
    assert!(overview.contains(&format!("class=\"grade g-{grade}\">{grade}</span>")), "{overview}");
    assert!(overview.contains(&format!("href=\"/scans/{again}\"")), "the last scan is linked: {overview}");

    // The target page: history chart with one linked point per finished scan, the last scan's
    // categories, every scan with the compare form.
    let page = html(&app, &format!("/targets/{payroll}"), &mut pages).await;
    assert!(page.contains("<svg class=\"history\""), "{page}");
    for scan in [&clean, &leaky, &again] {
        assert!(page.contains(&format!("<a href=\"/scans/{scan}\"><circle")), "{scan} on the chart: {page}");
        assert!(page.contains(&format!("name=\"old\" value=\"{scan}\"")), "{scan} in the form: {page}");
    }
    assert!(page.contains(&format!("id=\"grade\" class=\"grade g-{grade}\"")), "{page}");
    assert_eq!(page.matches("class=\"category\"").count(), 13, "one bar per category: {page}");
    assert!(page.contains(&format!("name=\"new\" value=\"{again}\" aria-label=\"new: ")), "{page}");
    let go = get(&app, &format!("/targets/{payroll}?old={clean}&new={leaky}")).await;
    assert_eq!(go.status, StatusCode::SEE_OTHER);
    assert_eq!(go.location, format!("/scans/{clean}/diff/{leaky}"));

    // One scan: grade, score, categories, each finding linked, the downloads.
    let scan = html(&app, &format!("/scans/{leaky}"), &mut pages).await;
    let leaky_grade = leaky_row["grade"].as_str().expect("grade");
    assert!(
        scan.contains(&format!("<span id=\"grade\" class=\"grade g-{leaky_grade}\">{leaky_grade}</span>")),
        "{scan}"
    );
    assert!(scan.contains(&format!("<div class=\"score\">{}<", leaky_row["score"])), "{scan}");
    assert_eq!(scan.matches("class=\"category\"").count(), 13);
    let findings = leaky_row["findings"].as_i64().expect("findings") as usize;
    assert_eq!(scan.matches("class=\"finding\"").count(), findings, "{scan}");
    assert!(scan.contains(&format!("href=\"/scans/{leaky}/findings/{leak_id}\"")), "{scan}");
    assert!(!scan.contains("id=\"progress\""));
    let clean_page = html(&app, &format!("/scans/{clean}"), &mut pages).await;
    assert!(!clean_page.contains(&leak_id), "the clean scan lists no leak");
    let json_report = get(&app, &format!("/scans/{leaky}/report.json")).await;
    assert_eq!(json_report.status, StatusCode::OK);
    assert_eq!(json_report.content_type, "application/json");
    let downloaded: Value = serde_json::from_str(&json_report.body).expect("report.json");
    assert_eq!(downloaded["score"], leaky_row["score"]);
    for file in ["report.sarif", "report.html", "report.md", "report.xml"] {
        let download = get(&app, &format!("/scans/{leaky}/{file}")).await;
        assert_eq!(download.status, StatusCode::OK, "{file}");
        assert!(scan.contains(&format!("href=\"/scans/{leaky}/{file}\"")), "{file} linked");
        pages.push(download.body);
    }

    // The finding: facts, redacted evidence, remediation, first and last seen.
    let finding = html(&app, &format!("/scans/{leaky}/findings/{leak_id}"), &mut pages).await;
    let leak = leaky_row["report"]["categories"]["data_exposure"]["findings"][0].clone();
    assert!(
        finding.contains(&format!("<dd id=\"owasp\">{}</dd>", leak["owasp"].as_str().expect("owasp"))),
        "{finding}"
    );
    let cwe = leak["cwe"][0].as_u64().expect("a CWE");
    assert!(finding.contains(&format!("CWE-{cwe}")), "{finding}");
    assert!(finding.contains("<pre id=\"evidence\">"), "{finding}");
    let remediation = &finding[finding.find("id=\"remediation\">").expect("remediation")..];
    assert!(remediation.find("</section>").expect("end") > 60, "the report's remediation is shown: {remediation}");
    assert!(finding.contains(&format!("<span id=\"first-seen\"><a href=\"/scans/{leaky}\">")), "{finding}");
    assert!(finding.contains(&format!("<span id=\"last-seen\"><a href=\"/scans/{again}\">")), "{finding}");
    assert!(finding.contains("in 2 scan(s)"), "not in the clean scan, nor in the other target's: {finding}");
    assert!(!finding.contains("id=\"suppressed\""));

    // The diff, both ways: the leak is new, then fixed.
    let diff = html(&app, &format!("/scans/{clean}/diff/{leaky}"), &mut pages).await;
    assert!(diff.contains("<section id=\"diff\">"), "{diff}");
    let new_table = &diff[diff.find("<table id=\"new\"").expect("new findings")..];
    assert!(new_table.contains(&format!("/scans/{leaky}/findings/{leak_id}")), "{diff}");
    assert!(diff.contains("<p class=\"meta\" id=\"fixed\">None.</p>"), "{diff}");
    let back = html(&app, &format!("/scans/{again}/diff/{clean}"), &mut pages).await;
    let fixed_table = &back[back.find("<table id=\"fixed\"").expect("fixed findings")..];
    assert!(fixed_table.contains(&format!("/scans/{again}/findings/{leak_id}")), "{back}");
    assert!(back.contains("<p class=\"meta\" id=\"new\">None.</p>"), "{back}");

    // The target that accepted data exposure: the same leak, stored suppressed, scoring nothing.
    let accepted_leaks = data_exposure(&suppressed_row);
    assert!(!accepted_leaks.is_empty() && accepted_leaks.iter().all(|(_, s)| *s), "{accepted_leaks:?}");
    let stored = sqlx::query("SELECT suppressed FROM lp_findings WHERE scan_id = $1 AND category = 'data_exposure'")
        .bind(&suppressed)
        .fetch_all(&app.db.pool)
        .await
        .expect("lp_findings");
    assert_eq!(stored.len(), accepted_leaks.len());
    assert!(stored.iter().all(|r| r.get::<i64, _>("suppressed") == 1), "stored as suppressed");
    assert!(
        suppressed_row["score"].as_i64() > leaky_row["score"].as_i64(),
        "suppressed findings deduct nothing: {} vs {}",
        suppressed_row["score"],
        leaky_row["score"]
    );
    assert_eq!(suppressed_row["report"]["suppressions"][0]["matched"], accepted_leaks.len());
    let accepted_finding =
        html(&app, &format!("/scans/{suppressed}/findings/{}", accepted_leaks[0].0), &mut pages).await;
    assert!(accepted_finding.contains("id=\"suppressed\"") && accepted_finding.contains("test data only"));
    let accepted_overview = html(&app, "/targets", &mut pages).await;
    let row = &accepted_overview[accepted_overview.find(&format!("/targets/{accepted}")).expect("row")..];
    let row = &row[..row.find("</tr>").expect("end of row")];
    // Open critical and high: only what counts, so none of the suppressed leaks.
    let open = |severity: &str| {
        let categories = suppressed_row["report"]["categories"].as_object().expect("categories");
        let findings = categories.values().flat_map(|c| c["findings"].as_array().cloned().unwrap_or_default());
        findings.filter(|f| f["severity"] == severity && f.get("suppressed").is_none()).count()
    };
    let cells = format!("\">{}</td><td class=\"num\">{}</td></tr>", open("critical"), open("high"));
    assert!(format!("{row}</tr>").ends_with(&cells), "{row} should end with {cells}");

    // Nothing shows an identity secret or a leaked value in clear.
    for body in &pages {
        assert!(!body.contains(IDENTITY_SECRET), "an identity secret in a page");
        for value in LEAKED {
            assert!(!body.contains(value), "unredacted evidence `{value}` in a page");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_scan_shows_progress_and_unknown_ids_are_404() {
    let dir = temp_dir("progress");
    let app = app(&dir).await;
    let mut pages = Vec::new();
    let empty = html(&app, "/targets", &mut pages).await;
    assert!(empty.contains("href=\"/targets/new\"") && empty.contains("href=\"/\""), "{empty}");

    // No worker runs: the scan stays queued.
    let input = serde_json::from_value(json!({ "url": "http://127.0.0.1:9/" })).expect("input");
    let (_, Json(queued)) = scans::create(State(app.clone()), Ok(Json(input))).await.expect("queued");
    let id = queued["id"].as_str().expect("id");
    let page = html(&app, &format!("/scans/{id}"), &mut pages).await;
    assert!(page.contains(&format!("id=\"progress\" data-events=\"/scans/{id}/events\"")), "{page}");
    assert!(page.contains("<progress></progress>") && page.contains("<span data-field=\"status\">queued</span>"));
    assert!(!page.contains("id=\"grade\""));
    assert_eq!(get(&app, &format!("/scans/{id}/report.json")).await.status, StatusCode::CONFLICT);

    for path in [
        "/targets/01nosuchtarget".to_string(),
        "/scans/01nosuchscan".to_string(),
        "/scans/%27%20OR%20%271%27%3D%271".to_string(),
        format!("/scans/{id}/diff/01nosuchscan"),
        "/scans/01nosuchscan/findings/abc".to_string(),
        "/scans/01nosuchscan/report.json".to_string(),
    ] {
        let page = get(&app, &path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}: {}", page.body);
        assert!(page.content_type.starts_with("text/html"), "{path}: an HTML error page");
    }
    assert_eq!(get(&app, "/targets/x?old=a&new=b%2F..").await.status, StatusCode::NOT_FOUND, "unknown target first");
}
