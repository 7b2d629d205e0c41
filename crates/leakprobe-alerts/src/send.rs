//! Delivery: one message to one channel, bounded in time, size and retries, with a record of how it
//! went for the server to store.
//!
//! The webhook signature scheme receivers verify is documented in the crate overview.
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use backon::{ExponentialBuilder, Retryable};
use hmac::{Hmac, KeyInit, Mac};
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use serde::Serialize;
use sha2::{Digest, Sha256};
use url::Url;

use crate::channel::{http_url, is_loopback, Channel, EmailChannel, Secret, SmtpSecurity};
use crate::message::Notice;

/// The most of a receiver's answer read (for the error text); the rest is dropped unread.
const MAX_ANSWER: usize = 4096;
/// The most of that answer quoted in a delivery record.
const QUOTED: usize = 200;

/// How deliveries behave. The defaults suit Slack and ordinary webhooks.
#[derive(Debug, Clone)]
pub struct Options {
    /// The dashboard's base URL: messages link to `{base}/scans/{scan}` when set.
    pub dashboard_url: Option<Url>,
    /// Per attempt: connecting, sending and reading the answer (for e-mail: the whole SMTP session).
    pub timeout: Duration,
    /// Attempts after the first, on 5xx, 429, timeouts and connection errors (4xx answers and
    /// permanent SMTP errors are final).
    pub retries: usize,
    /// The first back-off; each next one doubles, up to `max_delay` (a `Retry-After` is honoured up
    /// to `max_delay` too).
    pub min_delay: Duration,
    pub max_delay: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            dashboard_url: None,
            timeout: Duration::from_secs(10),
            retries: 3,
            min_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
        }
    }
}

/// What became of one delivery, for the server to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// `slack`, `webhook` or `email`.
    pub channel: &'static str,
    pub ok: bool,
    /// The last HTTP status or SMTP reply code seen, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub attempts: u32,
    /// Why it failed, without the channel's secrets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub duration_ms: u64,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client: {0}")]
pub struct SetupError(String);

/// Sends notices; one per server, shared by every delivery (it holds the connection pool).
#[derive(Debug, Clone)]
pub struct Notifier {
    http: reqwest::Client,
    options: Options,
}

/// Why one attempt failed, and whether another may succeed.
#[derive(Debug)]
struct Failure {
    status: Option<u16>,
    message: String,
    retry: bool,
    retry_after: Option<Duration>,
}

impl Failure {
    fn fatal(message: impl Into<String>) -> Failure {
        Failure { status: None, message: message.into(), retry: false, retry_after: None }
    }
}

impl Notifier {
    pub fn new(options: Options) -> Result<Notifier, SetupError> {
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.timeout)
            // A redirect would carry a signed body, or Slack's payload, to wherever it points.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("leakprobe-alerts/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SetupError(e.without_url().to_string()))?;
        Ok(Notifier { http, options })
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Sends `notice` to `channel`, retrying what may succeed later. Never panics, never returns an
    /// error: every outcome is a [`Delivery`].
    pub async fn deliver(&self, channel: &Channel, notice: &Notice) -> Delivery {
        let started = Instant::now();
        let attempts = AtomicU32::new(0);
        let last_status = Mutex::new(None);
        let result = match channel.validate() {
            Err(e) => Err(Failure::fatal(format!("invalid channel: {e}"))),
            Ok(()) => {
                let (attempts, last_status) = (&attempts, &last_status);
                let attempt = || async move {
                    attempts.fetch_add(1, Ordering::Relaxed);
                    let outcome = self.attempt(channel, notice).await;
                    let status = match &outcome {
                        Ok(status) => *status,
                        Err(failure) => failure.status,
                    };
                    if let Ok(mut last) = last_status.lock() {
                        *last = status.or(*last);
                    }
                    outcome
                };
                let max_delay = self.options.max_delay;
                attempt
                    .retry(
                        ExponentialBuilder::default()
                            .with_min_delay(self.options.min_delay)
                            .with_max_delay(max_delay)
                            .with_factor(2.0)
                            .with_max_times(self.options.retries),
                    )
                    .when(|f: &Failure| f.retry)
                    .adjust(|f: &Failure, backoff| match (f.retry_after, backoff) {
                        (Some(asked), Some(_)) => Some(asked.min(max_delay)),
                        _ => backoff,
                    })
                    .notify(|f: &Failure, wait| {
                        let error = scrub(channel, f.message.clone());
                        tracing::debug!(channel = channel.kind(), %error, ?wait, "alert delivery failed, retrying")
                    })
                    .await
            }
        };
        let status = last_status.lock().ok().and_then(|s| *s);
        let delivery = Delivery {
            channel: channel.kind(),
            ok: result.is_ok(),
            status,
            attempts: attempts.load(Ordering::Relaxed),
            error: result.err().map(|f| scrub(channel, f.message)),
            duration_ms: started.elapsed().as_millis().try_into().unwrap_or(u64::MAX),
        };
        match &delivery.error {
            None => tracing::info!(to = %channel.describe(), attempts = delivery.attempts, "alert delivered"),
            Some(e) => {
                tracing::warn!(to = %channel.describe(), attempts = delivery.attempts, error = %e, "alert not delivered")
            }
        }
        delivery
    }

    /// What the settings page's "send a test message" does.
    pub async fn send_test(&self, channel: &Channel) -> Delivery {
        self.deliver(channel, &Notice::test()).await
    }

    async fn attempt(&self, channel: &Channel, notice: &Notice) -> Result<Option<u16>, Failure> {
        let dashboard = self.options.dashboard_url.as_ref();
        match channel {
            Channel::Slack { webhook_url } => {
                let url = http_url(webhook_url, "Slack webhook").map_err(|e| Failure::fatal(e.to_string()))?;
                let body = serde_json::to_vec(&notice.slack(dashboard)).map_err(|e| Failure::fatal(e.to_string()))?;
                self.post(url, body, HeaderMap::new()).await.map(Some)
            }
            Channel::Webhook { url, secret } => {
                let url = http_url(url, "webhook").map_err(|e| Failure::fatal(e.to_string()))?;
                let body = serde_json::to_vec(&notice.webhook(dashboard)).map_err(|e| Failure::fatal(e.to_string()))?;
                let headers = signed_headers(secret, &body, notice)?;
                self.post(url, body, headers).await.map(Some)
            }
            Channel::Email(email) => {
                // lettre's own timeout bounds each read and write; this bounds the whole session.
                match tokio::time::timeout(self.options.timeout, send_email(email, notice, &self.options)).await {
                    Ok(result) => result,
                    Err(_) => Err(Failure {
                        status: None,
                        message: format!("SMTP session timed out after {:?}", self.options.timeout),
                        retry: true,
                        retry_after: None,
                    }),
                }
            }
        }
    }

    async fn post(&self, url: Url, body: Vec<u8>, mut headers: HeaderMap) -> Result<u16, Failure> {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(USER_AGENT, HeaderValue::from_static(concat!("leakprobe-alerts/", env!("CARGO_PKG_VERSION"))));
        let mut response = match self.http.post(url).headers(headers).body(body).send().await {
            Ok(r) => r,
            Err(e) => return Err(transport_failure(e)),
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let mut answer = Vec::new();
        // The answer only feeds the error text: read a little of it, under the request's timeout.
        while answer.len() < MAX_ANSWER {
            match response.chunk().await {
                Ok(Some(chunk)) => answer.extend_from_slice(&chunk[..chunk.len().min(MAX_ANSWER - answer.len())]),
                Ok(None) | Err(_) => break,
            }
        }
        if status.is_success() {
            return Ok(status.as_u16());
        }
        let quoted = quote(&answer);
        let code = status.as_u16();
        Err(Failure {
            status: Some(code),
            message: if quoted.is_empty() { format!("HTTP {code}") } else { format!("HTTP {code}: {quoted}") },
            retry: status.is_server_error() || code == 429 || code == 408,
            retry_after,
        })
    }
}

/// The signature headers for one attempt (each attempt signs its own timestamp).
fn signed_headers(secret: &Secret, body: &[u8], notice: &Notice) -> Result<HeaderMap, Failure> {
    let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0).to_string();
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.expose().as_bytes())
        .map_err(|_| Failure::fatal("webhook secret unusable as an HMAC key"))?;
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    let signature = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    let mut delivery_id = Sha256::new();
    for event in &notice.events {
        delivery_id.update(event.key.as_bytes());
        delivery_id.update(b"\n");
    }
    delivery_id.update(notice.scan.as_bytes());
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("x-leakprobe-timestamp", timestamp),
        ("x-leakprobe-signature", signature),
        ("x-leakprobe-delivery", hex::encode(&delivery_id.finalize()[..16])),
    ] {
        let value = HeaderValue::from_str(&value).map_err(|_| Failure::fatal("unencodable header"))?;
        headers.insert(name, value);
    }
    Ok(headers)
}

fn transport_failure(e: reqwest::Error) -> Failure {
    // reqwest names the URL in its errors, and a webhook URL is a credential.
    let e = e.without_url();
    let mut message = if e.is_timeout() { "timed out".to_string() } else { e.to_string() };
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    Failure { status: None, message, retry: true, retry_after: None }
}

async fn send_email(email: &EmailChannel, notice: &Notice, options: &Options) -> Result<Option<u16>, Failure> {
    let (subject, body) = notice.email(options.dashboard_url.as_ref());
    let mut message = lettre::Message::builder()
        .from(email.from.parse::<Mailbox>().map_err(|e| Failure::fatal(format!("from: {e}")))?)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN);
    for to in &email.to {
        message = message.to(to.parse::<Mailbox>().map_err(|e| Failure::fatal(format!("to: {e}")))?);
    }
    let message = message.body(body).map_err(|e| Failure::fatal(e.to_string()))?;

    let mut tls = TlsParameters::builder(email.host.clone());
    if let Some(pem) = &email.root_certificate {
        let cert = Certificate::from_pem(pem.as_bytes()).map_err(|_| Failure::fatal("root certificate unusable"))?;
        tls = tls.add_root_certificate(cert);
    }
    let tls = tls.build_rustls().map_err(|e| Failure::fatal(format!("TLS setup: {e}")))?;
    let tls = match email.security {
        SmtpSecurity::Tls => Tls::Wrapper(tls),
        SmtpSecurity::Starttls if !is_loopback(&email.host) => Tls::Required(tls),
        SmtpSecurity::Starttls | SmtpSecurity::Opportunistic => Tls::Opportunistic(tls),
    };
    let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(email.host.as_str())
        .port(email.port())
        .tls(tls)
        .timeout(Some(options.timeout));
    if let (Some(user), Some(password)) = (&email.username, &email.password) {
        transport = transport.credentials(Credentials::new(user.clone(), password.expose().to_string()));
    }
    match transport.build::<Tokio1Executor>().send(message).await {
        Ok(response) => Ok(Some(response.code().into())),
        Err(e) => Err(Failure {
            status: e.status().map(u16::from),
            message: format!("SMTP: {e}"),
            // 4xx replies and lost connections may pass later; 5xx replies, TLS and client errors will not.
            retry: e.is_transient() || !(e.is_permanent() || e.is_client() || e.is_tls() || e.is_response()),
            retry_after: None,
        }),
    }
}

/// Printable text of a receiver's answer, cut short.
fn quote(answer: &[u8]) -> String {
    let text = String::from_utf8_lossy(answer);
    let mut out: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).take(QUOTED).collect();
    out.truncate(out.trim_end().len());
    out
}

/// Removes the channel's secrets from an error text: the errors above are built not to hold them,
/// and this keeps it so whatever a library or a receiver puts in its messages.
fn scrub(channel: &Channel, mut message: String) -> String {
    let secrets: Vec<&Secret> = match channel {
        Channel::Slack { webhook_url } => vec![webhook_url],
        Channel::Webhook { url, secret } => vec![url, secret],
        Channel::Email(e) => e.password.iter().collect(),
    };
    for secret in secrets {
        let value = secret.expose();
        // A URL's path alone (`/services/T…/B…/…`) is the credential too.
        let path = Url::parse(value).ok().map(|u| u.path().to_string()).filter(|p| p.len() > 1);
        for s in std::iter::once(value.to_string()).chain(path) {
            if !s.is_empty() {
                message = message.replace(&s, "***");
            }
        }
    }
    message
}
