//! The dashboard of `leakprobe serve`: every route behind the session, CSRF on every form, the
//! session cookie, logout, the allow-list page, identity secrets kept out of pages; and a walk
//! through the pages in real headless Chromium (Debian's `chromium`, driven over the DevTools
//! protocol by chromiumoxide). Real `leakprobe serve` processes, real Flask targets, loopback only.
mod common;
mod server_support;

use std::collections::{BTreeSet, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{repo_root, Target};
use serde_json::json;
use server_support::{contains, create_token, database_bytes, sql, temp_dir, Api, Process, ADMIN_PASSWORD};

/// One answer of the dashboard, redirects not followed.
struct Reply {
    status: u16,
    location: String,
    set_cookies: Vec<String>,
    body: String,
}

/// A client of the dashboard without a browser: redirects are not followed, the session cookie is
/// sent only when asked, and `Origin` is this server's unless a test says otherwise.
struct Web {
    base: String,
    client: reqwest::Client,
}

impl Web {
    fn new(base: &str) -> Web {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        Web { base: base.to_string(), client }
    }

    async fn call(&self, method: &str, path: &str, cookie: Option<&str>, form: Option<&[(&str, &str)]>) -> Reply {
        self.call_with(method, path, cookie, form, &[]).await
    }

    async fn call_with(
        &self,
        method: &str,
        path: &str,
        cookie: Option<&str>,
        form: Option<&[(&str, &str)]>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = self.client.request(method.parse().expect("method"), format!("{}{path}", self.base));
        if let Some(cookie) = cookie {
            request = request.header("Cookie", cookie);
        }
        if method == "POST" && !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("origin")) {
            request = request.header("Origin", &self.base);
        }
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        if let Some(form) = form {
            let body: String = url_encode(form);
            request = request.header("Content-Type", "application/x-www-form-urlencoded").body(body);
        }
        let mut response = request.send().await.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status().as_u16();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let location = header("location");
        let set_cookies =
            response.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(String::from).collect();
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.expect("body") {
            bytes.extend_from_slice(&chunk);
            assert!(bytes.len() < 16 << 20, "{path}: answer over 16 MiB");
        }
        Reply { status, location, set_cookies, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    /// Logs in as the admin: the login form's token and cookie, then the session cookie.
    async fn login(&self) -> (String, Vec<String>) {
        let form = self.call("GET", "/login", None, None).await;
        assert_eq!(form.status, 200, "{}", form.body);
        let login_cookie = cookie_pair(&form.set_cookies, "lp_login");
        let csrf = csrf_in(&form.body);
        let reply = self
            .call(
                "POST",
                "/login",
                Some(&login_cookie),
                Some(&[("csrf", &csrf), ("next", "/settings"), ("username", "admin"), ("password", ADMIN_PASSWORD)]),
            )
            .await;
        assert_eq!(reply.status, 303, "login refused: {}", reply.body);
        assert_eq!(reply.location, "/settings", "login does not go back to where it was asked from");
        (cookie_pair(&reply.set_cookies, "lp_session"), reply.set_cookies)
    }
}

fn url_encode(form: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    form.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

/// `name=value` of the cookie `name` among `Set-Cookie` headers.
fn cookie_pair(set_cookies: &[String], name: &str) -> String {
    set_cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("no {name} cookie set: {set_cookies:?}"))
        .to_string()
}

fn csrf_in(body: &str) -> String {
    let start = body.find("name=\"csrf\" value=\"").unwrap_or_else(|| panic!("no CSRF field in: {body}")) + 19;
    body[start..].split('"').next().expect("csrf").to_string()
}

fn unescape(s: &str) -> String {
    s.replace("&amp;", "&").replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">")
}

/// Every local `href` of a page and every form's (method, action).
fn links_and_forms(body: &str) -> (Vec<String>, Vec<(String, String)>) {
    let attr = |tag: &str, name: &str| {
        tag.split(&format!(" {name}=\"")).nth(1).and_then(|rest| rest.split('"').next()).map(unescape)
    };
    let links = body
        .split("<a ")
        .skip(1)
        .filter_map(|tag| attr(tag.split('>').next().unwrap_or_default(), "href"))
        .filter(|h| h.starts_with('/') && !h.starts_with("//"))
        .collect();
    let forms = body
        .split("<form")
        .skip(1)
        .filter_map(|tag| {
            let tag = tag.split('>').next().unwrap_or_default();
            let method = attr(tag, "method").unwrap_or_else(|| "get".into()).to_ascii_uppercase();
            attr(tag, "action").map(|a| (method, a))
        })
        .collect();
    (links, forms)
}

/// An HTTP receiver on loopback for alert test messages: its URL and how many POSTs it got.
async fn receiver() -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = hits.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || async move {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            "ok"
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the receiver");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, hits)
}

/// A form that would change something on any of the POST routes, if it were let through.
fn forged<'a>(url: &'a str, csrf: Option<&'a str>) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![("name", "forged"), ("base_url", url), ("url", url), ("host", "forged.example")];
    form.extend(csrf.map(|t| ("csrf", t)));
    form
}

/// Polls the API until the scan is done or failed.
async fn finished(api: &Api, id: &str) -> serde_json::Value {
    let scan = api.wait(id, Duration::from_secs(90)).await;
    assert_eq!(scan["status"], "done", "{scan}");
    scan
}

/// Every GET page of the dashboard (`{t}` a target, `{s}`/`{s2}` scans, `{f}` a finding) and every
/// state-changing route (`{k}` an API token). The crawl below adds every link and form it finds,
/// so a page or form added later without an entry here is still checked.
const PAGES: &[&str] = &[
    "/",
    "/targets",
    "/targets/new",
    "/targets/{t}",
    "/targets/{t}/edit",
    "/scans/{s}",
    "/scans/{s}/events",
    "/scans/{s}/findings/{f}",
    "/scans/{s}/diff/{s2}",
    "/scans/{s}/report.json",
    "/scans/{s}/report.html",
    "/settings",
    "/settings/alerts/{t}",
];
const POSTS: &[&str] = &[
    "/scans",
    "/targets",
    "/targets/{t}",
    "/targets/{t}/delete",
    "/targets/{t}/scan",
    "/settings/allow-list",
    "/settings/allow-list/remove",
    "/settings/tokens",
    "/settings/tokens/{k}/revoke",
    "/settings/alerts/{t}",
    "/settings/alerts/{t}/test",
    "/logout",
];
const API: &[(&str, &str)] = &[
    ("GET", "/api/v1/targets"),
    ("POST", "/api/v1/targets"),
    ("GET", "/api/v1/targets/{t}"),
    ("PUT", "/api/v1/targets/{t}"),
    ("DELETE", "/api/v1/targets/{t}"),
    ("GET", "/api/v1/scans"),
    ("POST", "/api/v1/scans"),
    ("GET", "/api/v1/scans/{s}"),
    ("GET", "/api/v1/scans/{s}/events"),
    ("GET", "/api/v1/scans/{s}/report.json"),
    ("GET", "/api/v1/scans/{s}/diff/{s2}"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_needs_a_session_every_form_its_csrf_token_and_no_page_shows_an_identity_secret() {
    let started = Instant::now();
    let dir = temp_dir("dashboard-security");
    let leak = dir.join("leak-on");
    std::fs::write(&leak, "").expect("leak switch");
    let secret = "member-token-Web14xQ7pZ2kR";
    let target = Target::start_env(
        "server_watch",
        &[("TARGET_LEAK_FILE", leak.to_str().expect("utf8")), ("TARGET_TOKEN", secret)],
    );
    let server = Process::serve(&dir, &["--workers", "1"]);
    let api = Api::new(&server.url, &create_token(&dir));
    let web = Web::new(&server.url);

    // A wrong password: refused after a delay (a timer, not a blocked thread), no session given.
    let form = web.call("GET", "/login", None, None).await;
    let login_cookie = cookie_pair(&form.set_cookies, "lp_login");
    let tried = Instant::now();
    let wrong = web
        .call(
            "POST",
            "/login",
            Some(&login_cookie),
            Some(&[("csrf", &csrf_in(&form.body)), ("username", "admin"), ("password", "admin-pw-for-testz")]),
        )
        .await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    assert!(wrong.body.contains("Wrong user name or password"), "{}", wrong.body);
    assert!(tried.elapsed() >= Duration::from_millis(900), "a failed login answered in {:?}", tried.elapsed());
    assert!(!wrong.set_cookies.iter().any(|c| c.starts_with("lp_session=")), "{:?}", wrong.set_cookies);
    // The login form's own token: missing, or from another site, refused even with the password.
    let without_cookie =
        web.call("POST", "/login", None, Some(&[("csrf", &csrf_in(&form.body)), ("password", ADMIN_PASSWORD)])).await;
    assert_eq!(without_cookie.status, 403);
    let cross = web
        .call_with(
            "POST",
            "/login",
            Some(&login_cookie),
            Some(&[("csrf", &csrf_in(&form.body)), ("username", "admin"), ("password", ADMIN_PASSWORD)]),
            &[("Origin", "http://127.0.0.1:9")],
        )
        .await;
    assert_eq!(cross.status, 403);

    let (cookie, set_cookies) = web.login().await;
    let session_header = set_cookies.iter().find(|c| c.starts_with("lp_session=")).expect("session cookie");
    let attributes: Vec<String> = session_header.split(';').skip(1).map(|a| a.trim().to_ascii_lowercase()).collect();
    for wanted in ["httponly", "samesite=strict", "secure", "path=/"] {
        assert!(attributes.iter().any(|a| a == wanted), "session cookie lacks {wanted}: {session_header}");
    }
    let token_value = cookie.trim_start_matches("lp_session=").to_string();
    assert!(token_value.len() >= 43, "a session token of 256 bits: {token_value}");

    // A target with an identity through the form; then a scan of it and one of a pasted URL.
    let home = web.call("GET", "/", Some(&cookie), None).await;
    assert_eq!(home.status, 200);
    let csrf = csrf_in(&home.body);
    let identity = format!("member=bearer:{secret}");
    let created = web
        .call(
            "POST",
            "/targets",
            Some(&cookie),
            Some(&[
                ("csrf", &csrf),
                ("name", "members"),
                ("base_url", &target.url),
                ("identities", &identity),
                ("max_requests", "150"),
                ("schedule", "every"),
                ("every_minutes", "30"),
            ]),
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let target_id = created.location.trim_start_matches("/targets/").to_string();
    let stored = api.get(&format!("/api/v1/targets/{target_id}")).await.json();
    assert_eq!(stored["identities"], json!([{"name": "member", "kind": "bearer"}]), "{stored}");
    assert_eq!(stored["schedule"]["every_minutes"], 30);
    assert_eq!(stored["settings"]["max_requests"], 150);
    let edit = web.call("GET", &format!("/targets/{target_id}/edit"), Some(&cookie), None).await;
    assert!(edit.body.contains("member") && edit.body.contains("bearer"), "{}", edit.body);
    // Saving again with the identities box empty keeps them.
    let saved = web
        .call(
            "POST",
            &format!("/targets/{target_id}"),
            Some(&cookie),
            Some(&[("csrf", &csrf), ("name", "members"), ("base_url", &target.url), ("max_requests", "150")]),
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(api.get(&format!("/api/v1/targets/{target_id}")).await.json()["identities"][0]["name"], "member");
    // A refused form (a bad cron) comes back with the reason and without the typed secret.
    let refused = web
        .call(
            "POST",
            "/targets",
            Some(&cookie),
            Some(&[
                ("csrf", &csrf),
                ("name", "x"),
                ("base_url", &target.url),
                ("identities", &identity),
                ("schedule", "cron"),
                ("cron", "not a cron"),
            ]),
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("cron") && !refused.body.contains(secret), "{}", refused.body);

    // Alerts: a signed webhook whose secret is write-only, and a test message to a real receiver.
    let hook_secret = "hook-secret-Web14mN8vB3";
    let (hook_url, hook_hits) = receiver().await;
    let alerts_path = format!("/settings/alerts/{target_id}");
    let alerts = web
        .call(
            "POST",
            &alerts_path,
            Some(&cookie),
            Some(&[
                ("csrf", &csrf),
                ("grade_below", "C"),
                ("scan_failed", "on"),
                ("webhook", "on"),
                ("webhook_url", &hook_url),
                ("webhook_secret", hook_secret),
            ]),
        )
        .await;
    assert_eq!(alerts.status, 303, "{}", alerts.body);
    let stored = api.get(&format!("/api/v1/targets/{target_id}")).await.json();
    assert_eq!(stored["alerts"]["rules"].as_array().map(Vec::len), Some(2), "{stored}");
    assert_eq!(stored["alerts"]["channels"][0]["kind"], "webhook", "{stored}");
    let tested = web.call("POST", &format!("{alerts_path}/test"), Some(&cookie), Some(&[("csrf", &csrf)])).await;
    assert_eq!(tested.status, 200, "{}", tested.body);
    assert!(tested.body.contains("id=\"test-results\"") && tested.body.contains("delivered"), "{}", tested.body);
    assert_eq!(hook_hits.load(std::sync::atomic::Ordering::SeqCst), 1, "the receiver got no test message");
    // Saving again with the secret field empty keeps the sealed secret.
    let kept = web
        .call(
            "POST",
            &alerts_path,
            Some(&cookie),
            Some(&[("csrf", &csrf), ("webhook", "on"), ("webhook_url", &hook_url), ("scan_failed", "on")]),
        )
        .await;
    assert_eq!(kept.status, 303, "{}", kept.body);

    let queued = web.call("POST", &format!("/targets/{target_id}/scan"), Some(&cookie), Some(&[("csrf", &csrf)])).await;
    assert_eq!(queued.status, 303, "{}", queued.body);
    let first = queued.location.trim_start_matches("/scans/").to_string();
    let pasted = web.call("POST", "/scans", Some(&cookie), Some(&[("csrf", &csrf), ("url", &target.url)])).await;
    assert_eq!(pasted.status, 303, "{}", pasted.body);
    let second = pasted.location.trim_start_matches("/scans/").to_string();
    let report = finished(&api, &first).await["report"].clone();
    finished(&api, &second).await;
    let finding = common::findings(&report).first().map(|(_, f)| f["id"].as_str().expect("id").to_string());
    let finding = finding.expect("the leaky target has findings");
    let tokens = sql(&dir, "SELECT id FROM lp_tokens");
    let token_id = tokens[0]["id"].as_str().expect("token id").to_string();
    let fill = |path: &str| {
        path.replace("{t}", &target_id)
            .replace("{s2}", &second)
            .replace("{s}", &first)
            .replace("{f}", &finding)
            .replace("{k}", &token_id)
    };

    // Crawl every page reachable from the listed ones, logged in; collect every form.
    let mut pages: BTreeSet<String> = PAGES.iter().map(|p| fill(p)).collect();
    let mut posts: BTreeSet<String> = POSTS.iter().map(|p| fill(p)).collect();
    let mut queue: VecDeque<String> = pages.iter().cloned().collect();
    let mut bodies = Vec::new();
    let mut visited = BTreeSet::new();
    while let Some(path) = queue.pop_front() {
        if !visited.insert(path.clone()) || visited.len() > 150 {
            continue;
        }
        let reply = web.call("GET", &path, Some(&cookie), None).await;
        assert!(matches!(reply.status, 200 | 303), "GET {path} logged in: {} {}", reply.status, reply.body);
        if path.contains("/report.") || path.ends_with("/events") {
            bodies.push((path, reply.body));
            continue;
        }
        let (links, forms) = links_and_forms(&reply.body);
        for link in links.into_iter().filter(|l| !l.starts_with("/static/") && !l.starts_with("/api/")) {
            if pages.insert(link.clone()) {
                queue.push_back(link);
            }
        }
        for (method, action) in forms {
            if method == "POST" {
                posts.insert(action);
            }
        }
        bodies.push((path, reply.body));
    }
    assert!(visited.len() >= PAGES.len(), "crawled {visited:?}");
    for (path, body) in &bodies {
        assert!(!body.contains(secret), "GET {path} shows the identity secret");
        assert!(!body.contains(hook_secret), "GET {path} shows the webhook's signing secret");
        assert!(!body.contains(&token_value), "GET {path} shows the session token");
    }

    // Without a session (no cookie, or a made-up one): pages go to the login, forms are refused.
    let made_up = format!("lp_session={}", "A".repeat(43));
    for cookie in [None, Some(made_up.as_str())] {
        for path in &pages {
            let reply = web.call("GET", path, cookie, None).await;
            assert_eq!(reply.status, 303, "GET {path} without a session: {} {}", reply.status, reply.body);
            assert!(reply.location.starts_with("/login?next=%2F"), "GET {path}: {}", reply.location);
        }
        for path in &posts {
            let reply = web.call("POST", path, cookie, Some(&[("csrf", &csrf), ("name", "x")])).await;
            assert_eq!(reply.status, 403, "POST {path} without a session: {} {}", reply.status, reply.body);
        }
    }
    // The API takes its Bearer token only: a session cookie is no way in.
    for (method, path) in API {
        let path = fill(path);
        let body = matches!(*method, "POST" | "PUT").then(|| json!({"url": target.url}));
        let reply = api.call(method, &path, body.clone(), None).await;
        assert_eq!(reply.status, 401, "{method} {path}: {}", reply.body);
        let mut request = web.client.request(method.parse().expect("method"), format!("{}{path}", server.url));
        request = request.header("Cookie", &cookie);
        let status = request.send().await.expect("api with cookie").status().as_u16();
        assert_eq!(status, 401, "{method} {path} accepted the session cookie instead of a token");
    }

    // With the session but without its CSRF token, with another's, or from another site: refused,
    // and nothing changed.
    let wrong_csrf = {
        let mut c: Vec<char> = csrf.chars().collect();
        c[0] = if c[0] == 'a' { 'b' } else { 'a' };
        c.into_iter().collect::<String>()
    };
    let url = target.url.as_str();
    type Form<'a> = Vec<(&'a str, &'a str)>;
    type Headers<'a> = &'a [(&'a str, &'a str)];
    for path in &posts {
        let cases: [(Form, Headers, &str); 5] = [
            (forged(url, None), &[], "no token"),
            (forged(url, Some(&wrong_csrf)), &[], "a wrong token"),
            (forged(url, Some(&csrf)), &[("Origin", "http://127.0.0.1:9")], "another origin"),
            (forged(url, Some(&csrf)), &[("Sec-Fetch-Site", "cross-site")], "a cross-site fetch"),
            (forged(url, Some(&csrf)), &[("Origin", "null")], "an opaque origin"),
        ];
        for (form, headers, what) in cases {
            let reply = web.call_with("POST", path, Some(&cookie), Some(form.as_slice()), headers).await;
            assert_eq!(reply.status, 403, "POST {path} with {what}: {} {}", reply.status, reply.body);
        }
    }
    assert_eq!(api.get(&format!("/api/v1/targets/{target_id}")).await.json()["name"], "members");
    assert_eq!(api.get("/api/v1/scans").await.json()["total"], 2, "a forged form queued a scan");
    assert_eq!(sql(&dir, "SELECT id FROM lp_tokens").len(), 1, "a forged form created or revoked a token");
    assert!(sql(&dir, "SELECT host FROM lp_allow_hosts").is_empty(), "a forged form changed the allow-list");
    assert_eq!(web.call("GET", "/", Some(&cookie), None).await.status, 200, "a forged logout ended the session");

    // The allow-list page: a host added there is scanned by the API and the URL box, removed it is
    // refused again, and a refused URL is never queued. `[::ffff:127.0.0.1]` reaches the target on
    // loopback but is not loopback to the policy (see server.rs), so it stands in for a remote host.
    let outside = format!("http://[::ffff:127.0.0.1]:{}", target.port);
    let refused = web.call("POST", "/scans", Some(&cookie), Some(&[("csrf", &csrf), ("url", &outside)])).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("allow-list"), "{}", refused.body);
    assert_eq!(api.send("POST", "/api/v1/scans", json!({"url": outside})).await.status, 403);
    let host = format!("[::ffff:127.0.0.1]:{}", target.port);
    let added =
        web.call("POST", "/settings/allow-list", Some(&cookie), Some(&[("csrf", &csrf), ("host", &host)])).await;
    assert_eq!(added.status, 303, "{}", added.body);
    let settings = web.call("GET", "/settings", Some(&cookie), None).await;
    assert!(settings.body.contains("[::ffff:7f00:1]"), "{}", settings.body);
    let allowed = api.queue(json!({"url": outside})).await;
    let allowed = api.wait(&allowed, Duration::from_secs(90)).await;
    assert_eq!(allowed["status"], "done", "a scan of a host on the page's allow-list: {allowed}");
    let bad_host =
        web.call("POST", "/settings/allow-list", Some(&cookie), Some(&[("csrf", &csrf), ("host", "*.example")])).await;
    assert_eq!(bad_host.status, 400, "{}", bad_host.body);
    let removed = web
        .call(
            "POST",
            "/settings/allow-list/remove",
            Some(&cookie),
            Some(&[("csrf", &csrf), ("host", &format!("[::ffff:7f00:1]:{}", target.port))]),
        )
        .await;
    assert_eq!(removed.status, 303);
    assert_eq!(api.send("POST", "/api/v1/scans", json!({"url": outside})).await.status, 403);

    // API tokens: created on the page (shown once), listed by name, revoked.
    let made = web.call("POST", "/settings/tokens", Some(&cookie), Some(&[("csrf", &csrf), ("name", "ci")])).await;
    assert_eq!(made.status, 201, "{}", made.body);
    let new_token = made.body.split("<code id=\"new-token\">").nth(1).and_then(|r| r.split('<').next()).expect("token");
    assert_eq!(Api::new(&server.url, new_token).get("/api/v1/scans").await.status, 200);
    let listed = web.call("GET", "/settings", Some(&cookie), None).await;
    assert!(listed.body.contains(">ci<") && !listed.body.contains(new_token), "{}", listed.body);
    let new_id = sql(&dir, "SELECT id FROM lp_tokens WHERE name = 'ci'")[0]["id"].as_str().expect("id").to_string();
    let revoked =
        web.call("POST", &format!("/settings/tokens/{new_id}/revoke"), Some(&cookie), Some(&[("csrf", &csrf)])).await;
    assert_eq!(revoked.status, 303);
    assert_eq!(Api::new(&server.url, new_token).get("/api/v1/scans").await.status, 401);

    // Logout ends the session in the database: the old cookie is refused afterwards.
    let out = web.call("POST", "/logout", Some(&cookie), Some(&[("csrf", &csrf)])).await;
    assert_eq!((out.status, out.location.as_str()), (303, "/login"));
    assert!(
        out.set_cookies.iter().any(|c| c.starts_with("lp_session=;")
            || c.starts_with("lp_session=\"\"")
            || c.to_ascii_lowercase().contains("max-age=0")),
        "{:?}",
        out.set_cookies
    );
    assert!(sql(&dir, "SELECT token_hash FROM lp_sessions").is_empty(), "the session row outlived the logout");
    let after = web.call("GET", "/", Some(&cookie), None).await;
    assert_eq!(after.status, 303, "the old cookie still opens pages after logout");
    let after = web.call("POST", "/settings/tokens", Some(&cookie), Some(&[("csrf", &csrf), ("name", "late")])).await;
    assert_eq!(after.status, 403);

    // The identity secret and the session token: in no log, not in the database in clear.
    let db = database_bytes(&dir);
    assert!(!contains(&db, secret), "the database holds the identity secret in clear");
    assert!(!contains(&db, hook_secret), "the database holds the webhook secret in clear");
    assert!(!server.log().contains(hook_secret), "the log shows the webhook secret");
    assert!(!contains(&db, &token_value), "the database holds a session token in clear");
    assert!(!server.log().contains(secret) && !server.stdout.contains(secret), "the log shows the identity secret");
    assert!(!server.log().contains(&token_value), "the log shows a session token");
    eprintln!("dashboard security: {} pages, {} forms checked in {:?}", pages.len(), posts.len(), started.elapsed());
}

/// Where the browser test keeps its screenshots: `$CARGO_TARGET_DIR/test-artefacts/dashboard/`
/// (`target/test-artefacts/dashboard/` in the repository by default).
fn artefacts() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| repo_root().join("target"));
    let dir = target.join("test-artefacts/dashboard");
    std::fs::create_dir_all(&dir).expect("artefacts dir");
    dir
}

mod browser {
    use std::path::Path;
    use std::time::{Duration, Instant};

    use chromiumoxide::cdp::browser_protocol::log::{EventEntryAdded, LogEntryLevel};
    use chromiumoxide::cdp::browser_protocol::network::EventRequestWillBeSent;
    use chromiumoxide::cdp::browser_protocol::page::CaptureScreenshotFormat;
    use chromiumoxide::cdp::js_protocol::runtime::{ConsoleApiCalledType, EventConsoleApiCalled, EventExceptionThrown};
    use chromiumoxide::page::ScreenshotParams;
    use chromiumoxide::{Browser, BrowserConfig, Element, Page};
    use futures::StreamExt as _;

    use super::*;

    /// What the page did that the test must see: console errors, uncaught exceptions, requests.
    #[derive(Default)]
    pub struct Seen {
        pub errors: Vec<String>,
        pub requests: Vec<String>,
    }

    pub async fn launch(profile: &Path) -> (Browser, tokio::task::JoinHandle<()>) {
        let config = BrowserConfig::builder()
            // Debian's `chromium`, found on PATH (scripts/test.sh installs it).
            .chrome_executable(
                std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                    .map(|d| d.join("chromium"))
                    .find(|p| p.is_file())
                    .expect("Debian's chromium on PATH (scripts/test.sh installs it)"),
            )
            .new_headless_mode()
            // Containers run the tests as root, where Chromium's sandbox cannot start.
            .no_sandbox()
            .user_data_dir(profile)
            .window_size(1280, 1000)
            // Nothing but loopback: no name resolves, and any proxied request goes nowhere.
            .args([
                "--host-resolver-rules=MAP * ~NOTFOUND",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ])
            .build()
            .expect("browser config");
        let (browser, mut handler) = Browser::launch(config).await.expect("launch chromium");
        let driver = tokio::spawn(async move { while handler.next().await.is_some() {} });
        (browser, driver)
    }

    /// Records the page's console errors, exceptions, error log entries (CSP violations land there)
    /// and every request it makes.
    pub async fn watch(page: &Page, seen: Arc<Mutex<Seen>>) {
        let mut console = page.event_listener::<EventConsoleApiCalled>().await.expect("console events");
        let mut thrown = page.event_listener::<EventExceptionThrown>().await.expect("exception events");
        let mut log = page.event_listener::<EventEntryAdded>().await.expect("log events");
        let mut requests = page.event_listener::<EventRequestWillBeSent>().await.expect("network events");
        let s = seen.clone();
        tokio::spawn(async move {
            while let Some(e) = console.next().await {
                if matches!(e.r#type, ConsoleApiCalledType::Error | ConsoleApiCalledType::Assert) {
                    s.lock().expect("seen").errors.push(format!("console.{:?}: {:?}", e.r#type, e.args));
                }
            }
        });
        let s = seen.clone();
        tokio::spawn(async move {
            while let Some(e) = thrown.next().await {
                s.lock().expect("seen").errors.push(format!("uncaught: {:?}", e.exception_details));
            }
        });
        let s = seen.clone();
        tokio::spawn(async move {
            while let Some(e) = log.next().await {
                if e.entry.level == LogEntryLevel::Error {
                    s.lock().expect("seen").errors.push(format!("log: {} {:?}", e.entry.text, e.entry.url));
                }
            }
        });
        tokio::spawn(async move {
            while let Some(e) = requests.next().await {
                seen.lock().expect("seen").requests.push(e.request.url.clone());
            }
        });
    }

    pub async fn wait_for(page: &Page, selector: &str, limit: Duration) -> Element {
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(element) = page.find_element(selector).await {
                return element;
            }
            let url = page.url().await.ok().flatten().unwrap_or_default();
            assert!(Instant::now() < deadline, "no `{selector}` on {url} after {limit:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Clicks and waits for the page the click leads to.
    pub async fn click_through(page: &Page, selector: &str) {
        let before = page.url().await.ok().flatten();
        page.find_element(selector)
            .await
            .unwrap_or_else(|e| panic!("no `{selector}`: {e}"))
            .click()
            .await
            .expect("click");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let _ = tokio::time::timeout(Duration::from_secs(5), page.wait_for_navigation()).await;
            let now = page.url().await.ok().flatten();
            let ready = page.evaluate("document.readyState").await.ok().and_then(|r| r.into_value::<String>().ok());
            if now != before && ready.as_deref() == Some("complete") {
                return;
            }
            assert!(Instant::now() < deadline, "clicking `{selector}` led nowhere from {before:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn shot(page: &Page, dir: &Path, name: &str) {
        let params = ScreenshotParams::builder().format(CaptureScreenshotFormat::Png).full_page(true).build();
        page.save_screenshot(params, dir.join(format!("{name}.png"))).await.expect("screenshot");
    }

    pub async fn text(page: &Page, selector: &str) -> String {
        wait_for(page, selector, Duration::from_secs(5)).await.inner_text().await.ok().flatten().unwrap_or_default()
    }
}

/// Logs in, pastes the URL of a leaky Flask target, watches the scan's progress, reads its grade and
/// categories, opens a finding, scans again with the leak fixed and compares the two scans. The
/// screenshots of each step are kept in `$CARGO_TARGET_DIR/test-artefacts/dashboard/` (see
/// [`artefacts`]). No page may log a console error (a CSP violation is one), throw, or ask any
/// origin but the server's for anything: the target is scanned by the server, never the browser.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_browser_a_pasted_url_is_scanned_watched_graded_and_compared() {
    let started = Instant::now();
    let dir = temp_dir("dashboard-browser");
    let shots = artefacts();
    let leak = dir.join("leak-on");
    std::fs::write(&leak, "").expect("leak switch");
    // Slow enough that the progress block is on screen before the scan ends.
    let target = Target::start_env(
        "server_watch",
        &[("TARGET_LEAK_FILE", leak.to_str().expect("utf8")), ("TARGET_DELAY", "0.01")],
    );
    let server = Process::serve(&dir, &["--workers", "1"]);
    let api = Api::new(&server.url, &create_token(&dir));
    let (mut browser, driver) = browser::launch(&dir.join("chromium-profile")).await;
    let page = browser.new_page("about:blank").await.expect("page");
    let seen = Arc::new(Mutex::new(browser::Seen::default()));
    browser::watch(&page, seen.clone()).await;

    // Not logged in: the dashboard sends the browser to the login page.
    page.goto(format!("{}/", server.url)).await.expect("open the dashboard");
    browser::wait_for(&page, "input[name=password]", Duration::from_secs(10)).await;
    assert!(page.url().await.ok().flatten().unwrap_or_default().contains("/login?next="));
    browser::shot(&page, &shots, "01-login").await;
    browser::wait_for(&page, "input[name=password]", Duration::from_secs(5))
        .await
        .click()
        .await
        .expect("focus")
        .type_str(ADMIN_PASSWORD)
        .await
        .expect("type the password");
    browser::click_through(&page, "form.login button[type=submit]").await;
    browser::wait_for(&page, "#url", Duration::from_secs(10)).await;
    // The browser kept the Secure, HttpOnly session cookie on http://127.0.0.1.
    let cookies = page.get_cookies().await.expect("cookies");
    let session = cookies.iter().find(|c| c.name == "lp_session").expect("the browser kept no session cookie");
    assert!(session.secure && session.http_only, "{session:?}");
    browser::shot(&page, &shots, "02-home").await;

    // Paste the URL, start the scan, watch it.
    browser::wait_for(&page, "#url", Duration::from_secs(5))
        .await
        .click()
        .await
        .expect("focus")
        .type_str(&target.url)
        .await
        .expect("type the URL");
    browser::click_through(&page, "form.scan-box button[type=submit]").await;
    let first_url = page.url().await.ok().flatten().unwrap_or_default();
    let first = first_url.rsplit("/scans/").next().expect("scan id").to_string();
    assert!(first_url.contains("/scans/"), "{first_url}");
    let progress_seen = page.find_element("#progress").await.is_ok();
    browser::shot(&page, &shots, "03-progress").await;
    let grade = browser::wait_for(&page, "#grade", Duration::from_secs(90)).await;
    let grade = grade.inner_text().await.ok().flatten().unwrap_or_default();
    let scan = api.get(&format!("/api/v1/scans/{first}")).await.json();
    assert_eq!(scan["status"], "done", "{scan}");
    assert!(progress_seen || scan["requests"].as_i64().unwrap_or(0) < 50, "no progress block while the scan ran");
    assert!(grade.contains(scan["grade"].as_str().expect("grade")), "the page shows grade {grade:?}: {scan}");
    let categories = page.find_elements(".category").await.expect("categories");
    assert!(categories.len() >= 3, "{} category rows", categories.len());
    let findings = page.find_elements(".finding").await.expect("findings");
    assert!(!findings.is_empty(), "no findings listed for a leaky target");
    browser::shot(&page, &shots, "04-scan-done").await;

    // Open a finding.
    browser::click_through(&page, ".finding").await;
    let finding_page = page.content().await.expect("finding page");
    assert!(page.url().await.ok().flatten().unwrap_or_default().contains("/findings/"));
    assert!(finding_page.contains("CWE"), "the finding page names no CWE");
    browser::shot(&page, &shots, "05-finding").await;

    // The leak is fixed; scan again from the URL box and compare.
    std::fs::remove_file(&leak).expect("switch the leak off");
    page.goto(format!("{}/", server.url)).await.expect("home");
    browser::wait_for(&page, "#url", Duration::from_secs(10))
        .await
        .click()
        .await
        .expect("focus")
        .type_str(&target.url)
        .await
        .expect("type the URL");
    browser::click_through(&page, "form.scan-box button[type=submit]").await;
    let second_url = page.url().await.ok().flatten().unwrap_or_default();
    let second = second_url.rsplit("/scans/").next().expect("scan id").to_string();
    browser::wait_for(&page, "#grade", Duration::from_secs(90)).await;
    browser::shot(&page, &shots, "06-second-scan").await;
    page.goto(format!("{}/scans/{first}/diff/{second}", server.url)).await.expect("diff");
    let diff = browser::text(&page, "#diff").await;
    let fixed = api.get(&format!("/api/v1/scans/{first}/diff/{second}")).await.json();
    let gone = fixed["disappeared"].as_array().expect("disappeared");
    assert!(!gone.is_empty(), "the fixed leak is not in the diff: {fixed}");
    let title = gone[0]["title"].as_str().unwrap_or_default();
    assert!(diff.contains(title), "the diff page does not show the fixed finding {title:?}: {diff}");
    browser::shot(&page, &shots, "07-diff").await;

    browser.close().await.expect("close chromium");
    let _ = browser.wait().await;
    driver.abort();
    let seen = seen.lock().expect("seen");
    assert!(seen.errors.is_empty(), "the pages logged errors: {:#?}", seen.errors);
    let elsewhere: Vec<_> = seen
        .requests
        .iter()
        .filter(|u| !u.starts_with(&format!("{}/", server.url)) && !u.starts_with("data:") && *u != "about:blank")
        .collect();
    assert!(elsewhere.is_empty(), "the browser asked other origins: {elsewhere:#?}");
    assert!(seen.requests.iter().any(|u| u.ends_with("/static/app.js")), "{:#?}", seen.requests);
    eprintln!("dashboard browser walk: {:?}, screenshots in {}", started.elapsed(), shots.display());
}
