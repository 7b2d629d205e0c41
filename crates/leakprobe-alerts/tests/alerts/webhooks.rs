//! Slack and signed-webhook delivery against a real HTTP receiver on loopback (axum): the payload
//! shapes, the signature as a receiver checks it, retries with back-off on 5xx and timeouts, none
//! on 4xx, bounded answers, and no secret in what a failed delivery says.
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::Router;
use hmac::{Hmac, KeyInit, Mac};
use leakprobe_alerts::{Channel, Event, EventKind, FindingRef, Notice, Notifier, Options, Secret, TargetInfo};
use leakprobe_engine::report::{Category, Grade, Severity};
use serde_json::Value;
use sha2::Sha256;
use url::Url;

const KEY: &str = "whsec-test-key-5f1c";

#[derive(Debug, Clone)]
struct Received {
    at: Instant,
    path: String,
    headers: HeaderMap,
    body: Bytes,
    signature_ok: bool,
}

/// What the receiver answers next: a status and body, after a delay.
#[derive(Clone)]
struct Reply {
    status: u16,
    body: String,
    delay: Duration,
    retry_after: Option<&'static str>,
}

fn reply(status: u16) -> Reply {
    Reply { status, body: String::new(), delay: Duration::ZERO, retry_after: None }
}

#[derive(Clone, Default)]
struct Receiver {
    received: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<Reply>>>,
    /// When set, requests whose signature does not verify under it get 401.
    key: Option<&'static str>,
    /// Answers this status with the request's path in the body (as some servers do).
    echo_path: Option<u16>,
}

impl Receiver {
    fn scripted(replies: impl IntoIterator<Item = Reply>) -> Receiver {
        Receiver { script: Arc::new(Mutex::new(replies.into_iter().collect())), ..Receiver::default() }
    }

    /// Serves on 127.0.0.1 with an ephemeral port until the test's runtime ends.
    async fn start(self) -> (String, Receiver) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let app = Router::new().fallback(handle).with_state(self.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (base, self)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }
}

async fn handle(
    State(rx): State<Receiver>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, HeaderMap, String) {
    let signature_ok = verify(KEY.as_bytes(), &headers, &body);
    rx.received.lock().expect("lock").push(Received {
        at: Instant::now(),
        path: uri.path().to_string(),
        headers,
        body,
        signature_ok,
    });
    if rx.key.is_some() && !signature_ok {
        return (StatusCode::UNAUTHORIZED, HeaderMap::new(), "bad signature".into());
    }
    if let Some(status) = rx.echo_path {
        let status = StatusCode::from_u16(status).expect("status");
        return (status, HeaderMap::new(), format!("no route for {}", uri.path()));
    }
    let next = rx.script.lock().expect("lock").pop_front().unwrap_or_else(|| Reply { body: "ok".into(), ..reply(200) });
    tokio::time::sleep(next.delay).await;
    let mut answer = HeaderMap::new();
    if let Some(seconds) = next.retry_after {
        answer.insert("retry-after", seconds.parse().expect("header"));
    }
    (StatusCode::from_u16(next.status).expect("status"), answer, next.body)
}

/// What a receiver does with the documented scheme: HMAC-SHA256 over `<timestamp>.<body>`,
/// compared in constant time, and a timestamp no older than five minutes.
fn verify(key: &[u8], headers: &HeaderMap, body: &[u8]) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (Some(timestamp), Some(signature)) = (header("x-leakprobe-timestamp"), header("x-leakprobe-signature")) else {
        return false;
    };
    let Some(Ok(signature)) = signature.strip_prefix("sha256=").map(hex::decode) else { return false };
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs();
    if timestamp.parse::<u64>().map_or(true, |t| now.abs_diff(t) > 300) {
        return false;
    }
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("key");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&signature).is_ok()
}

fn fast(retries: usize) -> Options {
    Options {
        dashboard_url: Some(Url::parse("https://leakprobe.example.test/app/").expect("url")),
        timeout: Duration::from_secs(5),
        retries,
        min_delay: Duration::from_millis(100),
        max_delay: Duration::from_secs(2),
    }
}

fn finding(id: &str, severity: Severity, title: &str, endpoint: &str) -> FindingRef {
    FindingRef {
        id: id.into(),
        check: "pii_in_response".into(),
        category: Category::DataExposure,
        severity,
        title: title.into(),
        method: "GET".into(),
        endpoint: endpoint.into(),
    }
}

fn event(key: &str, kind: EventKind) -> Event {
    Event { key: key.into(), target: "7".into(), scan: "42".into(), rule: "new_finding".into(), kind }
}

/// A scan whose grade fell to F with two new findings and one fixed; one endpoint is hostile
/// (a Slack mention and a forged link in its path).
fn notice() -> Notice {
    Notice {
        target: TargetInfo { id: "7".into(), name: "Payroll API".into(), url: "http://127.0.0.1:5000".into() },
        scan: "42".into(),
        score: Some(41),
        grade: Some(Grade::F),
        previous_score: Some(78),
        events: vec![
            event(
                "7/r/new/ssn1/42",
                EventKind::NewFinding {
                    finding: finding("ssn1", Severity::Critical, "Response exposes SSNs", "/api/users/{id}"),
                },
            ),
            event(
                "7/r/new/mail1/42",
                EventKind::NewFinding {
                    finding: finding(
                        "mail1",
                        Severity::Medium,
                        "E-mails in <b>",
                        "/x/<!channel>/<https://evil.test|click>",
                    ),
                },
            ),
            event(
                "7/r/fixed/card1/42",
                EventKind::Fixed { finding: finding("card1", Severity::High, "Card numbers exposed", "/api/cards") },
            ),
            event(
                "7/g/42",
                EventKind::GradeBelow { threshold: Grade::C, grade: Grade::F, previous: Some(Grade::C), score: 41 },
            ),
        ],
        test: false,
    }
}

fn slack(url: String) -> Channel {
    Channel::Slack { webhook_url: Secret::new(url) }
}

fn webhook(url: String, key: &str) -> Channel {
    Channel::Webhook { url: Secret::new(url), secret: Secret::new(key) }
}

fn texts(blocks: &[Value]) -> String {
    blocks.iter().map(|b| b.to_string()).collect::<Vec<_>>().join("\n")
}

#[tokio::test]
async fn slack_gets_block_kit_with_grade_findings_and_a_dashboard_link() {
    let (base, rx) = Receiver::default().start().await;
    let notifier = Notifier::new(fast(0)).expect("notifier");
    let delivery = notifier.deliver(&slack(format!("{base}/services/T000/B000/XXXXSECRET")), &notice()).await;
    assert!(delivery.ok, "{delivery:?}");
    assert_eq!((delivery.channel, delivery.status, delivery.attempts), ("slack", Some(200), 1));

    let got = rx.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].path, "/services/T000/B000/XXXXSECRET");
    assert_eq!(got[0].headers["content-type"], "application/json");
    let payload: Value = serde_json::from_slice(&got[0].body).expect("json");
    assert!(payload["text"].as_str().expect("fallback text").contains("Payroll API"));
    let blocks = payload["blocks"].as_array().expect("blocks");
    assert_eq!(blocks[0]["type"], "header");
    assert_eq!(blocks[0]["text"]["type"], "plain_text");
    let header = blocks[0]["text"]["text"].as_str().expect("header");
    assert!(
        header.contains("Payroll API") && header.contains("2 new findings") && header.contains("1 fixed"),
        "{header}"
    );
    let fields = blocks.iter().find_map(|b| b["fields"].as_array()).expect("grade/score fields");
    assert_eq!(fields[0]["text"], "*Grade*\nF");
    assert_eq!(fields[1]["text"], "*Score*\n41 (was 78)");
    let all = texts(blocks);
    assert!(all.contains("*CRITICAL* Response exposes SSNs"), "{all}");
    assert!(all.contains("*New findings*") && all.contains("*Fixed*") && all.contains("Card numbers exposed"));
    assert!(all.contains("Grade fell from C to F"), "{all}");
    // What came from the target cannot ping the channel or forge a link.
    assert!(!all.contains("<!channel>") && !all.contains("<https://evil.test"), "{all}");
    assert!(all.contains("&lt;!channel&gt;"), "{all}");
    let button = blocks.iter().find(|b| b["type"] == "actions").expect("actions block");
    assert_eq!(button["elements"][0]["url"], "https://leakprobe.example.test/app/scans/42");
    for block in blocks {
        let kind = block["type"].as_str().expect("type");
        assert!(["header", "section", "context", "actions"].contains(&kind), "unknown block {kind}");
        if let Some(text) = block["text"]["text"].as_str() {
            assert!(text.chars().count() <= 3000);
        }
    }
}

#[tokio::test]
async fn webhook_signature_verifies_with_the_shared_key_and_tampering_breaks_it() {
    let (base, rx) = Receiver { key: Some(KEY), ..Receiver::default() }.start().await;
    let notifier = Notifier::new(fast(2)).expect("notifier");
    let delivery = notifier.deliver(&webhook(format!("{base}/hooks/leakprobe"), KEY), &notice()).await;
    assert!(delivery.ok, "{delivery:?}");
    assert_eq!(delivery.attempts, 1);

    let got = rx.received().pop().expect("one request");
    assert!(got.signature_ok);
    let body: Value = serde_json::from_slice(&got.body).expect("json");
    assert_eq!(body["type"], "leakprobe.alert");
    assert_eq!(body["target"]["name"], "Payroll API");
    assert_eq!(body["grade"], "F");
    assert_eq!(body["link"], "https://leakprobe.example.test/app/scans/42");
    let events = body["events"].as_array().expect("events");
    assert_eq!(events.len(), 4);
    assert_eq!(events[0]["event"], "new_finding");
    assert_eq!(events[0]["key"], "7/r/new/ssn1/42");
    assert_eq!(events[0]["finding"]["severity"], "critical");
    assert_eq!(events[2]["event"], "fixed");

    // The same request with one byte of the body changed, or a newer timestamp, fails the check.
    let mut tampered = got.body.to_vec();
    let at = tampered.iter().position(|b| *b == b'F').expect("an F");
    tampered[at] = b'A';
    assert!(!verify(KEY.as_bytes(), &got.headers, &tampered));
    let mut replayed = got.headers.clone();
    let later = got.headers["x-leakprobe-timestamp"].to_str().expect("ts").parse::<u64>().expect("n") + 60;
    replayed.insert("x-leakprobe-timestamp", later.to_string().parse().expect("header"));
    assert!(!verify(KEY.as_bytes(), &replayed, &got.body));
    assert!(!verify(b"another key", &got.headers, &got.body));

    // A sender with the wrong key is refused (401): a 4xx is final, not retried.
    let wrong = notifier.deliver(&webhook(format!("{base}/hooks/leakprobe"), "not-the-shared-key"), &notice()).await;
    assert!(!wrong.ok);
    assert_eq!((wrong.status, wrong.attempts), (Some(401), 1));
    assert_eq!(rx.received().len(), 2);
    let error = wrong.error.expect("error");
    assert!(error.contains("401") && !error.contains("not-the-shared-key"), "{error}");
}

#[tokio::test]
async fn server_errors_are_retried_with_exponential_back_off() {
    let (base, rx) = Receiver::scripted([reply(503), reply(503)]).start().await;
    // Sleeps last at least their back-off, whatever the load: lower bounds alone prove the doubling.
    let options = Options { min_delay: Duration::from_millis(150), ..fast(3) };
    let notifier = Notifier::new(options).expect("notifier");
    let delivery = notifier.deliver(&webhook(format!("{base}/hook"), KEY), &notice()).await;
    assert!(delivery.ok, "{delivery:?}");
    assert_eq!((delivery.status, delivery.attempts), (Some(200), 3));

    let got = rx.received();
    assert_eq!(got.len(), 3);
    let (first, second) = (got[1].at - got[0].at, got[2].at - got[1].at);
    assert!(first >= Duration::from_millis(150), "first back-off {first:?}");
    assert!(second >= Duration::from_millis(300), "back-off does not double: {first:?} then {second:?}");
    // Each attempt is signed afresh; all carry the one delivery id for receivers that deduplicate.
    assert!(got.iter().all(|r| r.signature_ok));
    let ids: Vec<_> = got.iter().map(|r| r.headers["x-leakprobe-delivery"].clone()).collect();
    assert!(ids.windows(2).all(|w| w[0] == w[1]));
}

#[tokio::test]
async fn a_client_error_is_not_retried_and_retries_stop_at_the_limit() {
    let invalid = Reply { body: "invalid_payload".into(), ..reply(400) };
    let (base, rx) = Receiver::scripted([invalid]).start().await;
    let notifier = Notifier::new(fast(3)).expect("notifier");
    let delivery = notifier.deliver(&slack(format!("{base}/services/T/B/C")), &notice()).await;
    assert!(!delivery.ok);
    assert_eq!((delivery.status, delivery.attempts), (Some(400), 1));
    assert_eq!(delivery.error.as_deref(), Some("HTTP 400: invalid_payload"));
    assert_eq!(rx.received().len(), 1);

    // Always 500, with a 2 MiB answer: three attempts (one and two retries), and the answer is
    // read only as far as the error text needs.
    let huge = Reply { body: "x".repeat(2 << 20), ..reply(500) };
    let (base, rx) = Receiver::scripted(vec![huge; 5]).start().await;
    let notifier = Notifier::new(fast(2)).expect("notifier");
    let delivery = notifier.deliver(&webhook(format!("{base}/hook"), KEY), &notice()).await;
    assert!(!delivery.ok);
    assert_eq!((delivery.status, delivery.attempts), (Some(500), 3));
    assert_eq!(rx.received().len(), 3);
    let error = delivery.error.expect("error");
    assert!(error.starts_with("HTTP 500: xxx") && error.len() < 250, "{} chars", error.len());
}

#[tokio::test]
async fn a_timeout_is_retried() {
    let slow = Reply { delay: Duration::from_secs(10), ..reply(200) };
    let (base, rx) = Receiver::scripted([slow]).start().await;
    let options = Options { timeout: Duration::from_secs(1), ..fast(1) };
    let delivery =
        Notifier::new(options).expect("notifier").deliver(&webhook(format!("{base}/hook"), KEY), &notice()).await;
    assert!(delivery.ok, "{delivery:?}");
    assert_eq!(delivery.attempts, 2);
    assert_eq!(rx.received().len(), 2);
}

#[tokio::test]
async fn secrets_stay_out_of_errors_and_debug_output() {
    // A receiver that echoes the request path (the Slack token) in its 404 answer.
    let (base, _rx) = Receiver { echo_path: Some(404), ..Receiver::default() }.start().await;
    let channel = slack(format!("{base}/services/T0/B0/TOKEN-9f8e7d"));
    let notifier = Notifier::new(fast(1)).expect("notifier");
    let delivery = notifier.deliver(&channel, &notice()).await;
    assert_eq!((delivery.ok, delivery.status, delivery.attempts), (false, Some(404), 1));
    let error = delivery.error.expect("error");
    assert!(error.contains("no route for ***") && !error.contains("TOKEN-9f8e7d"), "{error}");

    // Nothing listens on the port: the connection error names neither URL nor token.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let channel = webhook(format!("http://127.0.0.1:{closed}/hooks/TOKEN-1a2b?sig=TOKEN-3c4d"), "KEY-5e6f-0000-0000");
    let delivery = notifier.deliver(&channel, &notice()).await;
    assert_eq!((delivery.ok, delivery.status, delivery.attempts), (false, None, 2));
    let error = delivery.error.expect("error");
    assert!(!error.contains("TOKEN") && !error.contains("KEY-5e6f-0000-0000") && !error.contains("/hooks"), "{error}");
    let shown = format!("{channel:?} {}", channel.describe());
    assert!(!shown.contains("TOKEN") && !shown.contains("KEY-5e6f-0000-0000"), "{shown}");
    assert!(shown.contains(&format!("webhook http://127.0.0.1:{closed}")), "{shown}");

    // Plain http off loopback is refused before anything is sent.
    let far = webhook("http://alerts.example.test/hook".into(), KEY);
    let delivery = notifier.deliver(&far, &notice()).await;
    assert_eq!((delivery.ok, delivery.attempts), (false, 0));
    assert!(delivery.error.expect("error").contains("https"));
}

#[tokio::test]
async fn a_test_message_reaches_both_http_channels() {
    let (base, rx) = Receiver::default().start().await;
    let notifier = Notifier::new(fast(0)).expect("notifier");
    assert!(notifier.send_test(&webhook(format!("{base}/hook"), KEY)).await.ok);
    assert!(notifier.send_test(&slack(format!("{base}/services/T/B/C"))).await.ok);
    let got = rx.received();
    assert!(got[0].signature_ok, "a test message is signed like any other");
    let hook: Value = serde_json::from_slice(&got[0].body).expect("json");
    assert_eq!(hook["type"], "leakprobe.test");
    assert_eq!(hook["events"], serde_json::json!([]));
    let slack: Value = serde_json::from_slice(&got[1].body).expect("json");
    assert_eq!(slack["blocks"][0]["text"]["text"], "leakprobe: test message");
}

#[tokio::test]
async fn retry_after_is_honoured_on_429() {
    let limited = Reply { body: "rate_limited".into(), retry_after: Some("1"), ..reply(429) };
    let (base, rx) = Receiver::scripted([limited]).start().await;
    // The answer's Retry-After (1 s) outweighs the 100 ms back-off.
    let delivery =
        Notifier::new(fast(2)).expect("notifier").deliver(&slack(format!("{base}/s/T/B/C")), &notice()).await;
    assert!(delivery.ok, "{delivery:?}");
    let got = rx.received();
    assert_eq!(got.len(), 2);
    assert!(got[1].at - got[0].at >= Duration::from_millis(950), "{:?}", got[1].at - got[0].at);
}

/// The server spawns deliveries on its runtime: the future must be `Send`.
#[test]
fn a_delivery_can_be_spawned() {
    fn spawnable<T: Send + 'static>(_: &T) {}
    let notifier = Notifier::new(Options::default()).expect("notifier");
    let fut = async move {
        let channel = slack("https://hooks.slack.test/services/T/B/C".into());
        notifier.deliver(&channel, &Notice::test()).await
    };
    spawnable(&fut);
}

/// The log lines of a delivery that is retried (debug) and fails (warn) name no secret either.
#[tokio::test]
async fn secrets_stay_out_of_the_logs() {
    #[derive(Clone, Default)]
    struct Log(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Log {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let log = Log::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let (base, rx) = Receiver { echo_path: Some(500), ..Receiver::default() }.start().await;
    let channel = slack(format!("{base}/services/T0/B0/TOKEN-77aa"));
    let delivery = Notifier::new(fast(1)).expect("notifier").deliver(&channel, &notice()).await;
    assert_eq!((delivery.ok, delivery.attempts, rx.received().len()), (false, 2, 2));
    let text = String::from_utf8(log.0.lock().expect("lock").clone()).expect("utf-8");
    assert!(text.contains("retrying") && text.contains("alert not delivered"), "{text}");
    assert!(text.contains("no route for ***") && !text.contains("TOKEN-77aa"), "{text}");
}
