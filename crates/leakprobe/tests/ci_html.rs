//! The HTML report in a real browser: Debian's headless Chromium renders it, takes a screenshot, and
//! dumps the DOM after its script ran. No console message, no network request from the page (read
//! from Chromium's own network log), grade and category names in the DOM, filters that work.
//!
//! Chromium runs isolated: every host name resolves to nothing and every request goes to a closed
//! loopback proxy, so neither the page nor the browser's own background services reach out.
mod ci_support;
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use ci_support::{read, read_json, temp_dir};
use common::{leakprobe, Target};
use serde_json::Value;

struct Page {
    dir: PathBuf,
    html: PathBuf,
    report: Value,
}

fn page() -> &'static Page {
    static PAGE: OnceLock<Page> = OnceLock::new();
    PAGE.get_or_init(|| {
        let target = Target::start("crm_verbose_errors");
        let dir = temp_dir("ci-html");
        let (html, json) = (dir.join("report.html"), dir.join("report.json"));
        let started = Instant::now();
        let out = leakprobe().args(["scan", &target.url, "-o"]).arg(&html).arg("-o").arg(&json).output().expect("run");
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        eprintln!("scan + html render: {:?}", started.elapsed());
        Page { dir, html, report: read_json(&json) }
    })
}

fn chromium_binary() -> &'static str {
    for candidate in ["chromium", "chromium-browser"] {
        if Command::new(candidate)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
        {
            return candidate;
        }
    }
    panic!("Debian's `chromium` is needed for the HTML report tests; scripts/test.sh installs it (apt-get install chromium)");
}

/// Runs headless Chromium with a fresh profile, fully offline, killing it after 60 s.
fn chromium(profile: &Path, args: &[String]) -> Output {
    let mut child = Command::new(chromium_binary())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-extensions",
            "--no-default-browser-check",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=http://127.0.0.1:9",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("chromium status").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("chromium output")
}

/// URLs the page itself asked the network for: Chromium's net log tags requests made on behalf of
/// a `file://` document with a `file://` network isolation key; the browser's own background
/// requests carry other keys.
fn page_requests(netlog: &Path) -> Vec<String> {
    let log: Value = serde_json::from_str(&read(netlog)).expect("net log is JSON");
    let start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"].as_u64().expect("event type");
    log["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["type"].as_u64() == Some(start_job))
        .filter_map(|e| {
            let params = &e["params"];
            let url = params["url"].as_str()?;
            let from_page = params["network_isolation_key"].as_str().is_some_and(|k| k.starts_with("file://"));
            (from_page && !url.starts_with("file:") && !url.starts_with("data:")).then(|| url.to_string())
        })
        .collect()
}

fn console_lines(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr).lines().filter(|l| l.contains(":CONSOLE")).map(str::to_string).collect()
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

#[test]
fn html_report_renders_offline_without_console_errors() {
    let page = page();
    let html = read(&page.html);

    // Statically: no reference to anything outside the file.
    let external = regex_lite_find(&html);
    assert!(external.is_empty(), "external references: {external:?}");
    assert!(html.contains("Content-Security-Policy") && html.contains("default-src 'none'"));

    // In the browser: the DOM after the script ran, the console, and the network log.
    let profile = page.dir.join("profile-dom");
    let netlog = page.dir.join("netlog.json");
    let started = Instant::now();
    let out =
        chromium(&profile, &[format!("--log-net-log={}", netlog.display()), "--dump-dom".into(), file_url(&page.html)]);
    eprintln!("chromium --dump-dom: {:?}", started.elapsed());
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("data-ready=\"1\""), "the page's script ran to the end");
    assert_eq!(console_lines(&out.stderr), Vec::<String>::new(), "console messages");
    assert_eq!(page_requests(&netlog), Vec::<String>::new(), "the page loaded network resources");

    let grade = page.report["grade"].as_str().expect("grade");
    assert!(dom.contains(&format!("id=\"grade\" title=\"grade\">{grade}</div>")), "grade {grade} in the DOM");
    assert!(dom.contains(&format!("<span id=\"score\">{}</span>", page.report["score"])));
    for category in page.report["categories"].as_object().expect("categories").keys() {
        assert!(
            dom.contains(&format!("data-category=\"{category}\">{category}</div>")),
            "category {category} in the DOM"
        );
    }
    let total = common::findings(&page.report).len();
    assert!(dom.contains(&format!("<span id=\"shown\">{total} of {total}</span>")), "filter counter filled in");

    // A screenshot, as a person would see it.
    let png = page.dir.join("report.png");
    let out = chromium(
        &page.dir.join("profile-shot"),
        &["--window-size=1280,2200".into(), format!("--screenshot={}", png.display()), file_url(&page.html)],
    );
    assert_eq!(console_lines(&out.stderr), Vec::<String>::new());
    let bytes = std::fs::read(&png).expect("screenshot written");
    assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000, "a real screenshot ({} bytes)", bytes.len());
    if let Ok(keep) = std::env::var("LEAKPROBE_KEEP_SCREENSHOT") {
        let _ = std::fs::copy(&png, keep);
    }
}

#[test]
fn the_network_check_sees_a_page_that_loads_resources() {
    // The control for the test above: the same net-log reading must catch a page with an external
    // stylesheet and image, or "no request seen" would prove nothing.
    let dir = temp_dir("ci-html-control");
    let control = dir.join("control.html");
    std::fs::write(
        &control,
        "<!DOCTYPE html><html><head><link rel=stylesheet href=\"https://fonts.leakprobe-control.test/a.css\"></head>\
         <body><img src=\"http://cdn.leakprobe-control.test/b.png\"></body></html>",
    )
    .expect("write");
    let netlog = dir.join("netlog.json");
    chromium(
        &dir.join("profile"),
        &[format!("--log-net-log={}", netlog.display()), "--dump-dom".into(), file_url(&control)],
    );
    let requests = page_requests(&netlog);
    assert!(requests.iter().any(|u| u.contains("fonts.leakprobe-control.test")), "{requests:?}");
    assert!(requests.iter().any(|u| u.contains("cdn.leakprobe-control.test")), "{requests:?}");
    assert!(!regex_lite_find(&read(&control)).is_empty(), "the static check catches it too");
}

#[test]
fn filters_follow_the_url_fragment() {
    let page = page();
    let url = format!("{}#severity=critical,high&suppressed=0", file_url(&page.html));
    let out = chromium(&page.dir.join("profile-filter"), &["--dump-dom".into(), url]);
    let dom = String::from_utf8_lossy(&out.stdout);
    assert_eq!(console_lines(&out.stderr), Vec::<String>::new());
    let mut visible = 0;
    let mut seen = 0;
    for tag in dom.split("<details class=\"finding").skip(1).map(|t| &t[..t.find('>').unwrap_or(t.len())]) {
        seen += 1;
        let severe = tag.contains("data-severity=\"critical\"") || tag.contains("data-severity=\"high\"");
        assert_eq!(!tag.contains("hidden"), severe, "only critical and high findings stay visible: {tag}");
        visible += usize::from(severe);
    }
    assert_eq!(seen, common::findings(&page.report).len());
    assert!(visible > 0, "the verbose CRM target has critical or high findings");
    assert!(dom.contains(&format!("<span id=\"shown\">{visible} of {seen}</span>")));
}

/// `src=`/`href=` attributes and CSS `url(` / `@import` that point outside the file.
fn regex_lite_find(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut found = Vec::new();
    for marker in ["src=", "href=", "url(", "@import", "srcset="] {
        let mut from = 0;
        while let Some(i) = lower[from..].find(marker) {
            let at = from + i + marker.len();
            let rest = lower[at..].trim_start_matches([' ', '"', '\'']);
            if rest.starts_with("http:") || rest.starts_with("https:") || rest.starts_with("//") {
                found.push(html[from + i..].chars().take(60).collect());
            }
            from = at;
        }
    }
    found
}
