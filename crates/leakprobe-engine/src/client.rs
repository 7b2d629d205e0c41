//! The one HTTP client every request of a scan goes through.
//!
//! It owns the safety contract: scope guard (never leaves the target's origin), per-host rate limit
//! and concurrency, request budget, overall deadline, per-request timeout, body cap (applied after
//! decompression, so compression bombs are bounded too), back-off on 429/503 honouring `Retry-After`,
//! and an exchange cache so no identical request is sent twice in one scan. Every exchange is kept in
//! a log that the passive analyzers read once at the end.
use std::collections::{BTreeSet, HashMap};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Method;
use tokio::sync::{OnceCell, Semaphore};
use url::Url;

use crate::config::ScanConfig;
use crate::error::ScanError;

/// Retries of one request after 429/503 with back-off before its answer is taken as it is.
const MAX_BACKOFF_RETRIES: u32 = 3;
/// The longest `Retry-After` honoured; longer ones are cut to this (and the deadline still applies).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
const MAX_REDIRECTS: usize = 5;

/// What to send. Paths are resolved against the target; anything outside its origin is refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Probe {
    pub method: Method,
    /// Path and query, e.g. `/api/users?id=1`, or an absolute URL on the target's origin.
    pub target: String,
    /// Extra headers for this probe (never secrets: user credentials are added by the client).
    pub headers: Vec<(String, String)>,
    pub body: Option<Bytes>,
}

impl Probe {
    pub fn get(target: impl Into<String>) -> Self {
        Self::new(Method::GET, target)
    }

    pub fn new(method: Method, target: impl Into<String>) -> Self {
        Probe { method, target: target.into(), headers: Vec::new(), body: None }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn body(mut self, content_type: &str, body: impl Into<Bytes>) -> Self {
        self.body = Some(body.into());
        self.header("Content-Type", content_type)
    }
}

/// One request and what came back (or why nothing did).
#[derive(Debug)]
pub struct Exchange {
    pub method: Method,
    pub url: Url,
    /// The probe's own headers; user-supplied headers are not recorded.
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<Bytes>,
    pub status: Option<u16>,
    pub headers: HeaderMap,
    /// Body after decompression, cut at the configured cap.
    pub body: Bytes,
    pub truncated: bool,
    pub elapsed: Duration,
    pub error: Option<String>,
}

impl Exchange {
    pub fn path(&self) -> &str {
        self.url.path()
    }

    /// `/path?query`, for evidence lines.
    pub fn path_and_query(&self) -> String {
        match self.url.query() {
            Some(q) => format!("{}?{q}", self.url.path()),
            None => self.url.path().to_string(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn header_all<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers.get_all(name).iter().filter_map(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }

    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    pub fn is_html(&self) -> bool {
        if self.content_type().contains("html") {
            return true;
        }
        let head = &self.body[..self.body.len().min(512)];
        let head = String::from_utf8_lossy(head).to_ascii_lowercase();
        let head = head.trim_start();
        head.starts_with("<!doctype html") || head.starts_with("<html")
    }

    pub fn is_json(&self) -> bool {
        self.content_type().contains("json")
    }

    pub fn is_success(&self) -> bool {
        matches!(self.status, Some(200..=299))
    }
}

type CacheSlot = Arc<OnceCell<Arc<Exchange>>>;

pub struct Client {
    http: reqwest::Client,
    base: Url,
    host: String,
    user_headers: HeaderMap,
    limiter: DefaultKeyedRateLimiter<String>,
    slots: Semaphore,
    max_requests: usize,
    sent: AtomicUsize,
    deadline: Instant,
    request_timeout: Duration,
    body_cap: usize,
    cache: Mutex<HashMap<Probe, CacheSlot>>,
    log: Mutex<Vec<Arc<Exchange>>>,
    pause_until: Mutex<Option<Instant>>,
    throttled: AtomicBool,
    incomplete: Mutex<BTreeSet<String>>,
    timeouts: AtomicUsize,
    truncated: AtomicUsize,
}

impl Client {
    pub fn new(config: &ScanConfig) -> Result<Self, ScanError> {
        let origin = config.target.origin();
        // Redirects are followed only while they stay on the target's origin; an off-origin
        // redirect is returned as the 3xx it is, never followed.
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                attempt.stop()
            } else if attempt.url().origin() == origin {
                attempt.follow()
            } else {
                attempt.stop()
            }
        });
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .redirect(policy)
            .connect_timeout(config.request_timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("leakprobe/", env!("CARGO_PKG_VERSION")))
            .danger_accept_invalid_certs(config.insecure)
            .pool_max_idle_per_host(config.concurrency);
        for pem in &config.ca_certs {
            let cert = reqwest::Certificate::from_pem(pem)
                .map_err(|e| ScanError::Config(format!("--ca-cert is not a PEM certificate: {e}")))?;
            builder = builder.add_root_certificate(cert);
        }
        let http = builder.build().map_err(|e| ScanError::Config(format!("HTTP client: {e}")))?;

        let mut user_headers = HeaderMap::new();
        for (name, value) in &config.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| ScanError::Config(format!("invalid header name `{name}`")))?;
            // The value is a credential as often as not: it is never echoed in the error.
            let mut value = HeaderValue::from_str(value)
                .map_err(|_| ScanError::Config(format!("invalid value for header `{name}`")))?;
            value.set_sensitive(true);
            user_headers.append(name, value);
        }

        // Burst of one: the configured rate holds over any one-second window, not just on average.
        let rate = NonZeroU32::new(config.rate.max(1)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_second(rate).allow_burst(NonZeroU32::MIN);
        Ok(Client {
            http,
            host: config.target.host_str().unwrap_or_default().to_string(),
            base: config.target.clone(),
            user_headers,
            limiter: RateLimiter::keyed(quota),
            slots: Semaphore::new(config.concurrency.max(1)),
            max_requests: config.max_requests,
            sent: AtomicUsize::new(0),
            deadline: Instant::now() + config.time_limit,
            request_timeout: config.request_timeout,
            body_cap: config.body_cap,
            cache: Mutex::new(HashMap::new()),
            log: Mutex::new(Vec::new()),
            pause_until: Mutex::new(None),
            throttled: AtomicBool::new(false),
            incomplete: Mutex::new(BTreeSet::new()),
            timeouts: AtomicUsize::new(0),
            truncated: AtomicUsize::new(0),
        })
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    /// Resolves a probe target against the base URL and refuses anything off-origin.
    pub fn resolve(&self, target: &str) -> Result<Url, ScanError> {
        let url = self
            .base
            .join(target)
            .map_err(|e| ScanError::OutOfScope(format!("{target}: {e}")))?;
        if url.origin() != self.base.origin() {
            return Err(ScanError::OutOfScope(url.to_string()));
        }
        Ok(url)
    }

    /// Sends a probe once per scan: an identical probe gets the first exchange back.
    pub async fn send(&self, probe: Probe) -> Result<Arc<Exchange>, ScanError> {
        let url = self.resolve(&probe.target)?;
        let slot = {
            let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            cache.entry(probe.clone()).or_default().clone()
        };
        let exchange = slot.get_or_try_init(|| self.fetch(probe, url)).await?;
        Ok(exchange.clone())
    }

    pub fn requests_sent(&self) -> usize {
        self.sent.load(Ordering::Relaxed)
    }

    pub fn throttled(&self) -> bool {
        self.throttled.load(Ordering::Relaxed)
    }

    pub fn time_left(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    pub fn out_of_time(&self) -> bool {
        self.time_left().is_zero()
    }

    /// Every exchange of the scan so far, in the order they completed.
    pub fn exchanges(&self) -> Vec<Arc<Exchange>> {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn mark_incomplete(&self, reason: impl Into<String>) {
        self.incomplete.lock().unwrap_or_else(|p| p.into_inner()).insert(reason.into());
    }

    /// Reasons the results may be partial, including counts of timeouts and truncated bodies.
    pub fn incomplete(&self) -> Vec<String> {
        let mut reasons: Vec<String> =
            self.incomplete.lock().unwrap_or_else(|p| p.into_inner()).iter().cloned().collect();
        let timeouts = self.timeouts.load(Ordering::Relaxed);
        if timeouts > 0 {
            reasons.push(format!("{timeouts} request(s) got no complete answer within the timeout"));
        }
        let truncated = self.truncated.load(Ordering::Relaxed);
        if truncated > 0 {
            reasons.push(format!(
                "{truncated} response body(ies) cut at {} KiB",
                self.body_cap / 1024
            ));
        }
        reasons
    }

    async fn fetch(&self, probe: Probe, url: Url) -> Result<Arc<Exchange>, ScanError> {
        let mut attempt = 0;
        loop {
            let exchange = self.fetch_once(&probe, &url).await?;
            let status = exchange.status.unwrap_or(0);
            if (status == 429 || status == 503) && attempt < MAX_BACKOFF_RETRIES {
                let wait = retry_after(&exchange.headers)
                    .or((status == 429).then(|| Duration::from_secs(1 << attempt)));
                if let Some(wait) = wait {
                    self.throttled.store(true, Ordering::Relaxed);
                    let wait = wait.min(MAX_RETRY_AFTER);
                    if wait >= self.time_left() {
                        self.mark_incomplete("the target asked to slow down beyond the time limit");
                        return Ok(self.record(exchange));
                    }
                    tracing::debug!(?wait, %status, "target asked to back off");
                    self.pause(wait);
                    attempt += 1;
                    continue;
                }
            }
            return Ok(self.record(exchange));
        }
    }

    fn record(&self, exchange: Exchange) -> Arc<Exchange> {
        let exchange = Arc::new(exchange);
        self.log.lock().unwrap_or_else(|p| p.into_inner()).push(exchange.clone());
        exchange
    }

    /// Every request of this host waits until `wait` has passed: back-off is per host, not per request.
    fn pause(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut pause = self.pause_until.lock().unwrap_or_else(|p| p.into_inner());
        if pause.is_none_or(|p| p < until) {
            *pause = Some(until);
        }
    }

    async fn fetch_once(&self, probe: &Probe, url: &Url) -> Result<Exchange, ScanError> {
        if self.out_of_time() {
            self.mark_incomplete("time limit reached");
            return Err(ScanError::TimeLimit);
        }
        let _permit = self.slots.acquire().await.map_err(|_| ScanError::TimeLimit)?;
        let pause = *self.pause_until.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(until) = pause {
            tokio::time::sleep_until(until.into()).await;
        }
        self.limiter.until_key_ready(&self.host).await;
        if self.sent.fetch_add(1, Ordering::Relaxed) >= self.max_requests {
            self.sent.fetch_sub(1, Ordering::Relaxed);
            self.mark_incomplete(format!("request budget of {} reached", self.max_requests));
            return Err(ScanError::Budget);
        }
        let time_left = self.time_left();
        if time_left.is_zero() {
            self.mark_incomplete("time limit reached");
            return Err(ScanError::TimeLimit);
        }

        let mut request = self.http.request(probe.method.clone(), url.clone());
        request = request.headers(self.user_headers.clone());
        for (name, value) in &probe.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        if let Some(body) = &probe.body {
            request = request.body(body.clone());
        }
        let started = Instant::now();
        let limit = self.request_timeout.min(time_left);
        let outcome = tokio::time::timeout(limit, async {
            let mut response = request.send().await?;
            let status = response.status().as_u16();
            let headers = std::mem::take(response.headers_mut());
            let final_url = response.url().clone();
            let mut body = BytesMut::new();
            let mut truncated = false;
            // Read chunk by chunk so the cap holds however large or endless the body is.
            while let Some(chunk) = response.chunk().await? {
                let room = self.body_cap - body.len();
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    truncated = true;
                    break;
                }
                body.extend_from_slice(&chunk);
            }
            Ok::<_, reqwest::Error>((status, headers, final_url, body.freeze(), truncated))
        })
        .await;

        let mut exchange = Exchange {
            method: probe.method.clone(),
            url: url.clone(),
            request_headers: probe.headers.clone(),
            request_body: probe.body.clone(),
            status: None,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            truncated: false,
            elapsed: started.elapsed(),
            error: None,
        };
        match outcome {
            Ok(Ok((status, headers, final_url, body, truncated))) => {
                if truncated {
                    self.truncated.fetch_add(1, Ordering::Relaxed);
                }
                exchange.status = Some(status);
                exchange.headers = headers;
                exchange.url = final_url;
                exchange.body = body;
                exchange.truncated = truncated;
            }
            Ok(Err(e)) if e.is_connect() => {
                return Err(ScanError::Unreachable(format!("{}: {}", url, root_cause(&e))));
            }
            Ok(Err(e)) if e.is_timeout() => {
                self.timeouts.fetch_add(1, Ordering::Relaxed);
                exchange.error = Some("timed out".into());
            }
            Ok(Err(e)) => exchange.error = Some(root_cause(&e)),
            Err(_) => {
                self.timeouts.fetch_add(1, Ordering::Relaxed);
                exchange.error = Some("timed out".into());
            }
        }
        Ok(exchange)
    }
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get("retry-after")?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(std::time::SystemTime::now()).unwrap_or_default())
}

/// The innermost error message: "connection refused", not reqwest's wrapper chain.
fn root_cause(e: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = e;
    while let Some(next) = source.source() {
        source = next;
    }
    source.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after", HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert_eq!(retry_after(&h), Some(Duration::ZERO), "a date in the past means now");
        h.insert("retry-after", HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }
}
