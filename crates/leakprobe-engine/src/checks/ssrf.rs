//! `ssrf`: parameters that make the server fetch a URL the caller chooses.
//!
//! `ssrf_url_fetch` (only with `--active`: making the target connect somewhere is an action, not a
//! read) opens a canary listener on loopback, plants `http://127.0.0.1:<port>/lp-<token>` in every
//! URL-looking query parameter and JSON field, and waits briefly for the target to connect. A
//! connection carrying the token proves the fetch. `ssrf_internal_content` is passive: it reports
//! answers to URL-valued parameters that relay cloud metadata or local files.
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use futures::future::{join_all, BoxFuture};
use leakprobe_detect::PiiType;
use regex::Regex;
use reqwest::Method;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use url::{Host, Url};

use super::{CheckInfo, Hit, Runner, Status};
use crate::client::{Exchange, Probe};
use crate::config::is_loopback;
use crate::context::ScanContext;
use crate::discovery::data_lines;
use crate::inventory::{with_query, Endpoint, ParamLocation};
use crate::report::{Category, Confidence, Severity};
use crate::schedule::{risk, SkipReason};

pub static SSRF_URL_FETCH: CheckInfo = CheckInfo {
    id: "ssrf_url_fetch",
    category: Category::Ssrf,
    status: Status::Stable,
    cwe: &[918],
    summary: "URL parameters or JSON fields make the server connect where the caller says (canary; --active)",
    docs: include_str!("../../docs/checks/ssrf_url_fetch.md"),
    runner: Runner::Active(ssrf_url_fetch),
};

pub static SSRF_INTERNAL_CONTENT: CheckInfo = CheckInfo {
    id: "ssrf_internal_content",
    category: Category::Ssrf,
    status: Status::Stable,
    cwe: &[918, 200],
    summary: "Answers to URL parameters that relay cloud metadata or local files",
    docs: include_str!("../../docs/checks/ssrf_internal_content.md"),
    runner: Runner::Passive(ssrf_internal_content),
};

const FETCH_PATH_WORDS: &str = include_str!("../../data/ssrf-paths.txt");
const INTERNAL_CONTENT: &str = include_str!("../../data/internal-content.tsv");

/// How long after the last probe the canary keeps listening: long enough for a webhook verified
/// from a background thread, short enough that a clean target costs under two seconds.
const CANARY_WAIT: Duration = Duration::from_millis(1500);
/// The canary answers at most this many connections; a target looping on it cannot pin us.
const MAX_CANARY_CONNECTIONS: usize = 64;
const MAX_REQUEST_HEAD: usize = 8 * 1024;
/// Relayed content is looked for in this much of a body (and of each JSON string in it).
const MAX_SCANNED: usize = 256 * 1024;
/// What the canary answers; seeing it in the target's response proves the fetch is not blind.
const CANARY_BODY: &str = "leakprobe-canary";
/// Planted when nothing documents the endpoint's parameters (query), in this order.
const BLIND_QUERY: [&str; 10] =
    ["url", "uri", "link", "src", "callback", "webhook", "target", "image", "feed", "redirect"];
/// Planted in a JSON body when the spec names no URL field.
const BLIND_FIELDS: [&str; 8] =
    ["url", "callback_url", "webhook_url", "uri", "target", "link", "image_url", "feed_url"];

#[allow(clippy::unwrap_used)] // constant pattern
static TOKEN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"lp-[0-9a-f]{16}").unwrap());

struct Marker {
    id: &'static str,
    severity: Severity,
    label: &'static str,
    regex: Regex,
}

/// The rules of `internal-content.tsv`; a malformed line is skipped (a unit test keeps them valid).
static MARKERS: LazyLock<Vec<Marker>> = LazyLock::new(|| {
    data_lines(INTERNAL_CONTENT)
        .filter_map(|line| {
            let mut fields = line.splitn(4, '\t');
            let (id, severity, label, pattern) = (fields.next()?, fields.next()?, fields.next()?, fields.next()?);
            Some(Marker { id, severity: severity.parse().ok()?, label, regex: Regex::new(pattern).ok()? })
        })
        .collect()
});

fn looks_like_url(value: &str) -> bool {
    let v = value.trim_start().to_ascii_lowercase();
    ["http://", "https://", "file://", "ftp://", "gopher://", "dict://", "//"].iter().any(|p| v.starts_with(p))
}

fn is_fetch_path(template: &str) -> bool {
    crate::words::path_words(template).iter().any(|w| data_lines(FETCH_PATH_WORDS).any(|f| w.eq_ignore_ascii_case(f)))
}

/// What reached the canary.
#[derive(Debug, Clone)]
struct CanaryHit {
    token: String,
    request_line: String,
    user_agent: Option<String>,
}

/// A one-scan HTTP listener on 127.0.0.1 that records requests naming a planted token.
struct Canary {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<CanaryHit>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Canary {
    async fn open() -> std::io::Result<Canary> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let task = tokio::spawn(accept_loop(listener, seen.clone()));
        Ok(Canary { addr, seen, task })
    }

    fn url(&self, token: &str) -> String {
        format!("http://{}/{token}", self.addr)
    }

    fn hits(&self) -> Vec<CanaryHit> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Drop for Canary {
    fn drop(&mut self) {
        // Closing the listener: nothing can reach the scanner once the check is over.
        self.task.abort();
    }
}

async fn accept_loop(listener: TcpListener, seen: Arc<Mutex<Vec<CanaryHit>>>) {
    for _ in 0..MAX_CANARY_CONNECTIONS {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        tokio::spawn(answer(stream, seen.clone()));
    }
}

/// Reads one request head (bounded in size and time), records it if it names a token, and answers
/// with a small body that names the token too.
async fn answer(mut stream: TcpStream, seen: Arc<Mutex<Vec<CanaryHit>>>) {
    let mut head = Vec::with_capacity(1024);
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        let mut chunk = [0u8; 1024];
        while head.len() < MAX_REQUEST_HEAD && !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => head.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    let head = String::from_utf8_lossy(&head);
    let request_line: String = head.lines().next().unwrap_or_default().chars().take(200).collect();
    let Some(token) = TOKEN.find(&request_line).map(|m| m.as_str().to_string()) else {
        return;
    };
    let user_agent = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case("user-agent").then(|| v.trim().chars().take(100).collect())
    });
    let body = format!("{CANARY_BODY} {token}\n");
    seen.lock().unwrap_or_else(|p| p.into_inner()).push(CanaryHit { token, request_line, user_agent });
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

/// One probe and the tokens it planted, by parameter name.
struct Planted {
    method: Method,
    path: String,
    probe: Probe,
    tokens: Vec<(String, String)>,
}

fn new_token() -> String {
    format!("lp-{:016x}", rand::random::<u64>())
}

/// GET probes for URL-looking query parameters (or, on fetch-like paths, the usual names), and
/// JSON bodies for fetch-like paths and POST operations with URL fields.
/// The scheduler decides which of the endpoints that can carry a canary get one, riskiest first.
fn plan(ctx: &ScanContext, canary: &Canary) -> Vec<Planted> {
    let mut by_template: std::collections::BTreeMap<&str, Vec<Planted>> = std::collections::BTreeMap::new();
    for endpoint in ctx.inventory.endpoints() {
        let fetch_path = is_fetch_path(&endpoint.template);
        let mut planted = Vec::new();
        if endpoint.methods.contains("GET") {
            planted.extend(plan_query(endpoint, fetch_path, canary));
        }
        planted.extend(plan_body(endpoint, fetch_path, canary));
        if !planted.is_empty() {
            by_template.insert(endpoint.template.as_str(), planted);
        }
    }
    let candidates = ctx.inventory.endpoints().filter(|e| by_template.contains_key(e.template.as_str()));
    let chosen = ctx.plan_costing(&SSRF_URL_FETCH, candidates, 2);
    chosen.into_iter().flat_map(|e| by_template.remove(e.template.as_str()).unwrap_or_default()).collect()
}

/// Endpoints the canaries would go to, as far as can be told without opening one.
fn fetch_candidates(ctx: &ScanContext) -> impl Iterator<Item = &Endpoint> {
    ctx.inventory.endpoints().filter(|e| is_fetch_path(&e.template) || risk::signals(e, ctx.spec.as_ref()).takes_url)
}

fn plan_query(endpoint: &Endpoint, fetch_path: bool, canary: &Canary) -> Option<Planted> {
    let params = endpoint.query_examples();
    let mut tokens = Vec::new();
    let mut query: Vec<(String, String)> = Vec::new();
    for (name, value) in &params {
        if crate::words::is_url_param(name) || value.as_deref().is_some_and(looks_like_url) {
            let token = new_token();
            query.push((name.clone(), canary.url(&token)));
            tokens.push((token, name.clone()));
        } else if let Some(v) = value {
            query.push((name.clone(), v.clone()));
        }
    }
    if tokens.is_empty() {
        if !fetch_path || !params.is_empty() {
            return None;
        }
        for name in BLIND_QUERY {
            let token = new_token();
            query.push((name.to_string(), canary.url(&token)));
            tokens.push((token, name.to_string()));
        }
    }
    let path = endpoint.base_path();
    Some(Planted { method: Method::GET, probe: Probe::get(with_query(&path, &query)), path, tokens })
}

fn plan_body(endpoint: &Endpoint, fetch_path: bool, canary: &Canary) -> Option<Planted> {
    let declared: Vec<&str> = endpoint
        .params
        .iter()
        .filter(|p| p.location == ParamLocation::Body && crate::words::is_url_param(&p.name))
        .map(|p| p.name.as_str())
        .collect();
    let posts = endpoint.methods.contains("POST");
    let fields: Vec<&str> = match (declared.is_empty(), fetch_path) {
        (false, _) => declared,
        (true, true) => BLIND_FIELDS.to_vec(),
        (true, false) => return None,
    };
    if !posts && !fetch_path {
        return None;
    }
    let mut body = serde_json::Map::new();
    let mut tokens = Vec::new();
    for field in fields {
        let token = new_token();
        body.insert(field.to_string(), Value::String(canary.url(&token)));
        tokens.push((token, field.to_string()));
    }
    let path = endpoint.base_path();
    let probe = Probe::new(Method::POST, path.clone()).body("application/json", Value::Object(body).to_string());
    Some(Planted { method: Method::POST, path, probe, tokens })
}

fn ssrf_url_fetch(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        // A loopback canary can only be reached by a target on this machine; elsewhere the probes
        // would point the target at its own loopback and prove nothing, so none are sent.
        if !ctx.config.active {
            ctx.skip(&SSRF_URL_FETCH, SkipReason::NeedsActive, fetch_candidates(ctx));
            return Vec::new();
        }
        if !is_loopback(ctx.client.base()) {
            ctx.skip(&SSRF_URL_FETCH, SkipReason::RemoteTarget, fetch_candidates(ctx));
            return Vec::new();
        }
        let canary = match Canary::open().await {
            Ok(c) => c,
            Err(e) => {
                tracing::debug!(%e, "no canary listener");
                return Vec::new();
            }
        };
        let planted = plan(ctx, &canary);
        if planted.is_empty() {
            return Vec::new();
        }
        // All at once; the client bounds concurrency and rate.
        let answers: Vec<Option<Arc<Exchange>>> = join_all(planted.iter().map(|p| ctx.client.send(p.probe.clone())))
            .await
            .into_iter()
            .map(Result::ok)
            .collect();
        let total: usize = planted.iter().map(|p| p.tokens.len()).sum();
        let deadline = Instant::now() + CANARY_WAIT.min(ctx.client.time_left());
        while Instant::now() < deadline && canary.hits().len() < total {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let seen = canary.hits();
        drop(canary);

        let mut hits = Vec::new();
        let mut follow_ups = Vec::new();
        for (i, p) in planted.iter().enumerate() {
            let answer = answers.get(i).and_then(Option::as_ref);
            for (token, param) in &p.tokens {
                let Some(hit) = seen.iter().find(|h| h.token == *token) else {
                    continue;
                };
                let relayed = answer.is_some_and(|ex| ex.text().contains(&format!("{CANARY_BODY} {token}")));
                hits.push(fetch_hit(p, param, hit, answer.map(Arc::as_ref), relayed));
                if p.method == Method::GET {
                    follow_ups.push(file_probe(p, param));
                }
            }
        }
        // A proven fetch is asked for a local file once: `ssrf_internal_content` judges what comes
        // back. Read-only, and only where the server already fetches for us.
        for probe in follow_ups.into_iter().flatten() {
            let _ = ctx.client.send(probe).await;
        }
        hits
    })
}

fn fetch_hit(p: &Planted, param: &str, hit: &CanaryHit, answer: Option<&Exchange>, relayed: bool) -> Hit {
    let status = answer.and_then(|ex| ex.status).map_or_else(|| "no answer".to_string(), |s| s.to_string());
    let place = if p.method == Method::GET { format!("?{param}=") } else { format!(" with JSON `{param}`: ") };
    let ua = hit.user_agent.as_deref().map(|u| format!(" (User-Agent: {u})")).unwrap_or_default();
    Hit {
        title: if relayed {
            format!("Server fetches any URL given in `{param}` and returns what it got")
        } else {
            format!("Server fetches any URL given in `{param}` (blind)")
        },
        severity: Severity::Critical,
        confidence: Confidence::Confirmed,
        method: p.method.to_string(),
        path: p.path.clone(),
        kind: param.to_string(),
        pii_types: Vec::new(),
        evidence: format!(
            "{} {}{place}http://127.0.0.1:<canary>/{} → {status}; the canary received `{}`{ua}{}",
            p.method,
            p.path,
            hit.token,
            hit.request_line,
            if relayed { "; its answer came back in the response body" } else { "" }
        ),
    }
}

/// The same GET with `param` pointing at a local file.
fn file_probe(p: &Planted, param: &str) -> Option<Probe> {
    let url = Url::parse("http://x").ok()?.join(&p.probe.target).ok()?;
    let query: Vec<(String, String)> = url
        .query_pairs()
        // Other planted canaries go: the file is asked through the proven parameter alone.
        .filter(|(k, _)| !p.tokens.iter().any(|(_, planted)| k == planted))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .chain(std::iter::once((param.to_string(), "file:///etc/passwd".to_string())))
        .collect();
    Some(Probe::get(with_query(&p.path, &query)))
}

/// The URL-valued argument of the request (a query value, or a string in a JSON body) most likely
/// to have fetched internal content: a local-file or legacy scheme first, then an internal host.
fn url_argument(ex: &Exchange) -> Option<(String, String)> {
    let mut args: Vec<(String, String)> = ex
        .url
        .query_pairs()
        .filter(|(_, v)| looks_like_url(v))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if let Some(Value::Object(body)) = ex.request_body.as_deref().and_then(|b| serde_json::from_slice(b).ok()) {
        args.extend(
            body.into_iter()
                .filter_map(|(k, v)| v.as_str().filter(|s| looks_like_url(s)).map(|s| (k.clone(), s.to_string()))),
        );
    }
    args.into_iter().max_by_key(|(_, v)| inwardness(v))
}

/// 2 for `file:`/`gopher:`/`dict:`, 1 for loopback, private and link-local hosts, 0 otherwise.
fn inwardness(value: &str) -> u8 {
    let Ok(url) = Url::parse(value) else { return 0 };
    if matches!(url.scheme(), "file" | "gopher" | "dict") {
        return 2;
    }
    let internal = match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback() || ip.is_private() || ip.is_link_local() || ip.is_unspecified(),
        Some(Host::Ipv6(ip)) => ip.is_loopback() || ip.is_unspecified() || (ip.segments()[0] & 0xfe00) == 0xfc00,
        Some(Host::Domain(d)) => {
            d.eq_ignore_ascii_case("localhost") || d.ends_with(".internal") || d.ends_with(".local")
        }
        None => false,
    };
    u8::from(internal)
}

/// `scheme://host/path` of a planted or linked URL: no query, no credentials, bounded.
fn display_url(value: &str) -> String {
    match Url::parse(value) {
        Ok(u) => {
            let host = u.host_str().map(|h| match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_string(),
            });
            format!("{}://{}{}", u.scheme(), host.unwrap_or_default(), u.path()).chars().take(120).collect()
        }
        Err(_) => "(unparsable URL)".into(),
    }
}

/// The body as text, plus every string inside it when it is JSON (a relayed file is usually one
/// escaped string value, whose lines only start after unescaping).
fn texts(ex: &Exchange) -> Vec<String> {
    fn strings(v: &Value, out: &mut Vec<String>, budget: &mut usize) {
        match v {
            Value::String(s) if s.len() <= *budget => {
                *budget -= s.len();
                out.push(s.clone());
            }
            Value::Array(items) => items.iter().for_each(|x| strings(x, out, budget)),
            Value::Object(map) => map.values().for_each(|x| strings(x, out, budget)),
            _ => {}
        }
    }
    let body = &ex.body[..ex.body.len().min(MAX_SCANNED)];
    let mut out = vec![String::from_utf8_lossy(body).into_owned()];
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        let mut budget = MAX_SCANNED;
        strings(&value, &mut out, &mut budget);
    }
    out
}

fn ssrf_internal_content(ex: &Exchange, ctx: &ScanContext, hits: &mut Vec<Hit>) {
    if !ex.is_success() || ex.body.is_empty() || ctx.soft404.is_not_found(ex) {
        return;
    }
    let Some((param, value)) = url_argument(ex) else {
        return;
    };
    let texts = texts(ex);
    for marker in MARKERS.iter() {
        if !texts.iter().any(|t| marker.regex.is_match(t)) {
            continue;
        }
        hits.push(Hit {
            title: format!("Response relays {} fetched through `{param}`", marker.label),
            severity: marker.severity,
            confidence: Confidence::High,
            method: ex.method.to_string(),
            path: ex.path().to_string(),
            kind: marker.id.to_string(),
            pii_types: if marker.severity == Severity::Critical { vec![PiiType::Secret] } else { Vec::new() },
            evidence: format!(
                "{} {} with `{param}` = {} → {}; the body holds {}",
                ex.method,
                ex.path(),
                display_url(&value),
                ex.status.unwrap_or_default(),
                marker.label
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_marker_rule_compiles_and_matches_its_sample() {
        assert_eq!(MARKERS.len(), data_lines(INTERNAL_CONTENT).count(), "a rule failed to parse");
        let samples = [
            ("passwd", "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin"),
            ("aws_metadata", "ami-id\nami-launch-index\nhostname\niam/\ninstance-action\ninstance-id\nlocal-ipv4"),
            ("aws_identity", r#"{"accountId":"123456789012","imageId":"ami-0abcdef1234567890","instanceId":"i-1"}"#),
            (
                "aws_credentials",
                r#"{"Code":"Success","AccessKeyId":"ASIAIOSFODNN7EXAMPLE","SecretAccessKey":"x","Token":"y"}"#,
            ),
            ("gcp_metadata", r#"{"project":{"numericProjectId":123,"projectId":"p"}}"#),
            ("azure_metadata", r#"{"compute":{"azEnvironment":"AzurePublicCloud"}}"#),
            ("win_ini", "; for 16-bit app support\n[fonts]\n[extensions]\n[mci extensions]"),
        ];
        for (id, sample) in samples {
            let m = MARKERS.iter().find(|m| m.id == id).unwrap_or_else(|| panic!("no rule {id}"));
            assert!(m.regex.is_match(sample), "{id} misses its sample");
            for other in MARKERS.iter().filter(|o| o.id != id) {
                assert!(!other.regex.is_match(sample), "{} matches the {id} sample", other.id);
            }
        }
        assert!(!MARKERS.iter().any(|m| m.regex.is_match("user root logged in; uid 0; instance started")));
    }

    #[test]
    fn url_names_and_values_are_recognised() {
        for name in ["url", "callback_url", "callbackUrl", "webhook-url", "imageURL", "src", "redirect_uri", "feed"] {
            assert!(crate::words::is_url_param(name), "{name}");
        }
        for name in ["limit", "email", "id", "q", "page"] {
            assert!(!crate::words::is_url_param(name), "{name}");
        }
        assert!(
            looks_like_url("https://a.example/x")
                && looks_like_url("//cdn.example")
                && looks_like_url("file:///etc/passwd")
        );
        assert!(!looks_like_url("/api/users") && !looks_like_url("hello"));
        assert!(
            is_fetch_path("/api/link-preview") && is_fetch_path("/api/webhooks/{id}") && !is_fetch_path("/api/users")
        );
    }

    #[test]
    fn only_loopback_targets_get_a_canary() {
        for (u, want) in [
            ("http://127.0.0.1:5000", true),
            ("http://[::1]:80", true),
            ("http://localhost", true),
            ("https://api.example.com", false),
            ("http://192.0.2.8", false),
        ] {
            assert_eq!(is_loopback(&Url::parse(u).expect("url")), want, "{u}");
        }
    }

    #[test]
    fn the_most_inward_url_argument_is_the_one_reported() {
        assert_eq!(inwardness("file:///etc/passwd"), 2);
        assert_eq!(inwardness("http://169.254.169.254/latest/meta-data/"), 1);
        assert_eq!(inwardness("http://metadata.google.internal/"), 1);
        assert_eq!(inwardness("https://partner.example/x"), 0);
    }

    #[test]
    fn displayed_urls_lose_query_and_credentials() {
        assert_eq!(display_url("http://u:p@192.0.2.5:8080/a/b?sig=secret"), "http://192.0.2.5:8080/a/b");
        assert_eq!(display_url("file:///etc/passwd"), "file:///etc/passwd");
    }

    #[tokio::test]
    async fn canary_records_token_requests_and_answers_with_the_token() {
        let canary = Canary::open().await.expect("listener");
        let token = new_token();
        let mut stream = TcpStream::connect(canary.addr).await.expect("connect");
        stream
            .write_all(format!("GET /{token} HTTP/1.1\r\nHost: x\r\nUser-Agent: Python-urllib/3.12\r\n\r\n").as_bytes())
            .await
            .expect("write");
        let mut answer = String::new();
        // The test's own canary answers once and closes: bounded.
        #[allow(clippy::disallowed_methods)]
        stream.read_to_string(&mut answer).await.expect("read");
        assert!(answer.starts_with("HTTP/1.1 200") && answer.contains(&format!("{CANARY_BODY} {token}")), "{answer}");
        let hits = canary.hits();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].token, token);
        assert_eq!(hits[0].user_agent.as_deref(), Some("Python-urllib/3.12"));
        // A connection without a token is not a hit.
        let mut other = TcpStream::connect(canary.addr).await.expect("connect");
        other.write_all(b"GET / HTTP/1.1\r\n\r\n").await.expect("write");
        #[allow(clippy::disallowed_methods)] // the canary closes at once
        let _ = other.read_to_string(&mut String::new()).await;
        assert_eq!(canary.hits().len(), 1);
    }
}
