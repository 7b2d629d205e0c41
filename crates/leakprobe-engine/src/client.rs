//! The one HTTP client every request of a scan goes through.
//!
//! It owns the safety contract: scope guard (never leaves the target's origin), per-host rate limit
//! and concurrency, request budget, overall deadline, per-request timeout, body cap (applied after
//! decompression, so compression bombs are bounded too), a total cap on the bodies one scan keeps,
//! back-off on 429/503 honouring `Retry-After`, and an exchange cache so no identical request is sent
//! twice in one scan. Every exchange is kept in a log that the passive analyzers read once at the end.
//! The deadline bounds every wait and every read: rate slots, back-offs, bodies and logins.
use std::collections::{BTreeMap, BTreeSet, HashMap};
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
use crate::identity::{Credential, Identity, SignInput};

/// Retries of one request after 429/503 with back-off before its answer is taken as it is.
const MAX_BACKOFF_RETRIES: u32 = 3;
/// The longest `Retry-After` honoured; longer ones are cut to this (and the deadline still applies).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
const MAX_REDIRECTS: usize = 5;
/// Logins one identity's expired credential may trigger mid-phase in one scan.
const MAX_RENEWALS: u32 = 20;
/// Renewals after which the request still got a 401 (the API answers 401 where it means 403):
/// past this many, 401s of that identity no longer trigger a login.
const MAX_USELESS_RENEWALS: u32 = 2;
/// What is kept of each body once the scan's retained bodies reach their total cap: enough for the
/// analyzers that read a body's start (error pages, titles, the first records of a list).
const KEPT_HEAD: usize = 64 * 1024;
/// Requests without a usable answer that make a scan partial whatever their share: below this, a
/// share of one in twenty (a stray reset among thousands of requests is noise, not a hole).
const UNUSABLE_ALWAYS_PARTIAL: usize = 10;

tokio::task_local! {
    /// The body cap of the requests the current task sends, when it is not the scan's own: API
    /// descriptions have their own, larger limit (`ScanConfig::max_spec_size`).
    pub static BODY_CAP: usize;
}

/// What to send. Paths are resolved against the target; anything outside its origin is refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Probe {
    pub method: Method,
    /// Path and query, e.g. `/api/users?id=1`, or an absolute URL on the target's origin.
    pub target: String,
    /// Extra headers for this probe (never secrets: user credentials are added by the client).
    pub headers: Vec<(String, String)>,
    pub body: Option<Bytes>,
    /// Send as this identity (by name): the client adds its credential and signature.
    pub identity: Option<String>,
    /// How the identity's credential and signature are applied (checks vary them on purpose).
    pub auth: AuthMode,
    /// A GET/HEAD to a path that names a state change, sent on purpose by the one check that
    /// verifies such operations; the client still sends it only with `--active`.
    pub changes_state: bool,
}

/// Variations of an identity's credentials that authentication checks send deliberately.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum AuthMode {
    #[default]
    Normal,
    /// The credential with a spoiled secret.
    BrokenCredential,
    /// A query-string or cookie credential moved into the query string (API key in the URL).
    CredentialInQuery(String),
    /// Credential as usual, but no signature.
    Unsigned,
    /// Credential as usual, signature of different data.
    WrongSignature,
    /// Signed with a timestamp this many seconds in the past.
    StaleTimestamp(i64),
    /// Signed with this fixed nonce (sent twice to test replay protection).
    FixedNonce(String),
    /// Signature computed over this path instead of the one sent (tests what the signature covers).
    SignedPath(String),
    /// The identity's token replaced by this one (a forged or altered JWT), in the same header the
    /// identity uses; without an identity, as `Authorization: Bearer`.
    Token(ForgedToken),
}

/// A token the scanner made or altered. It is a credential all the same: never printed, and the
/// exchange records only that it was sent.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ForgedToken(pub String);

impl std::fmt::Debug for ForgedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ForgedToken(***)")
    }
}

impl Probe {
    pub fn get(target: impl Into<String>) -> Self {
        Self::new(Method::GET, target)
    }

    pub fn new(method: Method, target: impl Into<String>) -> Self {
        Probe {
            method,
            target: target.into(),
            headers: Vec::new(),
            body: None,
            identity: None,
            auth: AuthMode::Normal,
            changes_state: false,
        }
    }

    /// Marks a GET/HEAD to a state-changing path as deliberate (see [`Client::send`]).
    pub fn changing_state(mut self) -> Self {
        self.changes_state = true;
        self
    }

    pub fn as_identity(mut self, name: &str) -> Self {
        self.identity = Some(name.to_string());
        self
    }

    pub fn auth(mut self, mode: AuthMode) -> Self {
        self.auth = mode;
        self
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
    /// The identity the request was sent as, if any.
    pub identity: Option<String>,
    pub auth: AuthMode,
    /// The body as the analyzers read it, worked out once: see [`crate::parsed`].
    pub parsed: crate::parsed::Parsed,
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

#[cfg(test)]
impl Exchange {
    /// An answer as unit tests need one: `GET http://127.0.0.1{path}` → `status` (none: no answer)
    /// with `body`. Nothing is sent to make it.
    pub(crate) fn for_test(path: &str, status: Option<u16>, body: &str) -> Exchange {
        Exchange {
            method: Method::GET,
            url: Url::parse("http://127.0.0.1").and_then(|u| u.join(path)).expect("url"),
            request_headers: Vec::new(),
            request_body: None,
            status,
            headers: HeaderMap::new(),
            body: Bytes::copy_from_slice(body.as_bytes()),
            truncated: false,
            elapsed: Duration::ZERO,
            error: status.is_none().then(|| "no answer".to_string()),
            identity: None,
            auth: AuthMode::Normal,
            parsed: Default::default(),
        }
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
    retained_body_cap: usize,
    /// Body bytes held by recorded exchanges so far.
    retained: AtomicUsize,
    /// Bodies kept only in part because `retained` had reached `retained_body_cap`.
    kept_head_only: AtomicUsize,
    /// Requests that got no usable answer (malformed, reset, throttled to the end), by kind.
    unusable: Mutex<BTreeMap<&'static str, usize>>,
    cache: Mutex<HashMap<Probe, CacheSlot>>,
    log: Mutex<Vec<Arc<Exchange>>>,
    pause_until: Mutex<Option<Instant>>,
    throttled: AtomicBool,
    incomplete: Mutex<BTreeSet<String>>,
    timeouts: AtomicUsize,
    /// Bodies cut at the body cap, by path: a path whose document was then read under its own
    /// limit ([`Client::send_document`]) is no longer a cut the report mentions.
    truncated: Mutex<BTreeMap<String, usize>>,
    identities: std::sync::RwLock<Vec<Identity>>,
    /// Requests sent and refused per check (the check a request is sent for is the task-local of
    /// [`crate::schedule::run_as`]), for the scheduler's shares and the report's coverage.
    by_check: Mutex<HashMap<&'static str, CheckTally>>,
    /// `--active`: the scan may send requests that change state.
    active: bool,
    /// Requests the state guard refused, by method and path, with the reason.
    not_sent: Mutex<BTreeMap<(String, String), NotSent>>,
    /// Per identity: how many times its login flow has run (the credential's generation).
    generations: Mutex<HashMap<String, u64>>,
    /// Per identity: mid-phase renewals so far; held across a login so concurrent 401s log in once.
    renewals: tokio::sync::Mutex<HashMap<String, Renewals>>,
    /// Per identity: the identifying values its login answer named (`user.id`, `username`).
    login_identifiers: Mutex<HashMap<String, Vec<(String, String)>>>,
}

#[derive(Debug, Default)]
struct Renewals {
    total: u32,
    useless: u32,
}

/// Why the client refused to send a request that may change the target's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NotSent {
    /// A GET/HEAD (or, without `--active`, any method) to a path that names a state change
    /// (`/api/admin/reset-db`, `/cache/flush`): only the `state_changing_get` check calls such a
    /// GET, and only with `--active`.
    NamesStateChange,
    /// It would end the session the scan runs in (`/logout`): never sent.
    EndsSession,
}

impl NotSent {
    pub fn as_str(self) -> &'static str {
        match self {
            NotSent::NamesStateChange => "its path names a state change (called only by --active state_changing_get)",
            NotSent::EndsSession => "it would end the scan's own session",
        }
    }
}

/// What one check's requests came to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckTally {
    pub sent: usize,
    /// Refused by the client because the request budget was spent.
    pub over_budget: usize,
    /// Refused by the client because the scan's time limit had passed.
    pub over_time: usize,
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
            retained_body_cap: config.retained_body_cap,
            retained: AtomicUsize::new(0),
            kept_head_only: AtomicUsize::new(0),
            unusable: Mutex::new(BTreeMap::new()),
            cache: Mutex::new(HashMap::new()),
            log: Mutex::new(Vec::new()),
            pause_until: Mutex::new(None),
            throttled: AtomicBool::new(false),
            incomplete: Mutex::new(BTreeSet::new()),
            timeouts: AtomicUsize::new(0),
            truncated: Mutex::new(BTreeMap::new()),
            identities: std::sync::RwLock::new(config.identities.clone()),
            by_check: Mutex::new(HashMap::new()),
            active: config.active,
            not_sent: Mutex::new(BTreeMap::new()),
            generations: Mutex::new(HashMap::new()),
            renewals: tokio::sync::Mutex::new(HashMap::new()),
            login_identifiers: Mutex::new(HashMap::new()),
        })
    }

    /// The identity discovery and baseline requests are sent as: the first that is not an admin.
    /// An API behind an authentication wall shows nothing to anonymous discovery.
    pub fn primary_identity(&self) -> Option<String> {
        let all = self.identities.read().unwrap_or_else(|p| p.into_inner());
        all.iter().find(|i| !i.is_admin()).or_else(|| all.first()).map(|i| i.name.clone())
    }

    /// A GET as the primary identity (anonymous when there is none).
    pub fn baseline_get(&self, target: impl Into<String>) -> Probe {
        let probe = Probe::get(target);
        match self.primary_identity() {
            Some(name) => probe.as_identity(&name),
            None => probe,
        }
    }

    /// The scan's identities (credentials filled in by their login flows once logged in).
    pub fn identities(&self) -> Vec<Identity> {
        self.identities.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Runs every identity's login flow and keeps the credential it yields. Login requests are
    /// not recorded as exchanges: their bodies hold passwords.
    pub async fn log_in(&self) -> Result<(), ScanError> {
        for identity in self.identities() {
            self.log_in_as(&identity).await?;
        }
        Ok(())
    }

    /// Runs the login flow of the identity `name` again (its token expired or was revoked).
    /// `Ok(false)` when it has no login flow to run.
    pub async fn refresh_login(&self, name: &str) -> Result<bool, ScanError> {
        let Some(identity) = self.identities().into_iter().find(|i| i.name == name) else { return Ok(false) };
        if identity.login.is_none() {
            return Ok(false);
        }
        self.log_in_as(&identity).await.map(|()| true)
    }

    /// Logs `identity` in through the same limits as every other request (deadline, budget, rate,
    /// timeout, body cap), but never records the exchange: its bodies hold passwords and tokens.
    async fn log_in_as(&self, identity: &Identity) -> Result<(), ScanError> {
        let Some(login) = &identity.login else { return Ok(()) };
        let failed = |why: String| ScanError::Login(format!("identity {}: {why}", identity.name));
        let url = self.resolve(&login.url)?;
        let body = serde_json::to_vec(&login.body).map_err(|e| failed(e.to_string()))?;
        let _permit = self.admit().await.map_err(|e| failed(e.to_string()))?;
        let request = self.http.post(url).header(reqwest::header::CONTENT_TYPE, "application/json").body(body);
        let answer = match self.read_answer(request, self.request_limit(), self.body_cap).await {
            Answered::Yes(answer) => *answer,
            Answered::Failed(e) => return Err(failed(root_cause(&e))),
            Answered::TimedOut => return Err(failed("no answer within the timeout".into())),
        };
        let status = reqwest::StatusCode::from_u16(answer.status).unwrap_or(reqwest::StatusCode::BAD_GATEWAY);
        let cookie = login.cookie.as_ref().and_then(|name| {
            answer.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
                let (k, rest) = v.split(';').next()?.split_once('=')?;
                (k.trim() == name).then(|| rest.trim().to_string())
            })
        });
        let body = answer.body;
        if !status.is_success() {
            return Err(failed(format!("login answered {status}")));
        }
        if let Ok(answer) = serde_json::from_slice::<serde_json::Value>(&body) {
            // The answer often names whose login it was: `{"token": …, "user": {"id": 7, …}}`.
            let mut ids = crate::survey::identifying_values(&answer);
            if let Some(map) = answer.as_object() {
                ids.extend(map.values().filter(|v| v.is_object()).flat_map(crate::survey::identifying_values));
            }
            self.login_identifiers.lock().unwrap_or_else(|p| p.into_inner()).insert(identity.name.clone(), ids);
        }
        let credential = match (&login.token_pointer, cookie) {
            (Some(pointer), _) => {
                let json: serde_json::Value =
                    serde_json::from_slice(&body).map_err(|_| failed("login answer is not JSON".into()))?;
                let token = json
                    .pointer(pointer)
                    .and_then(|t| t.as_str())
                    .ok_or_else(|| failed(format!("no string at {pointer} in the login answer")))?
                    .to_string();
                match login.use_as.as_deref().and_then(|u| u.strip_prefix("header:")) {
                    Some(name) => Credential::Header { name: name.to_string(), value: token },
                    None => Credential::Bearer(token),
                }
            }
            (None, Some(value)) => Credential::Cookie { name: login.cookie.clone().unwrap_or_default(), value },
            (None, None) => return Err(failed("the login answer set no such cookie".into())),
        };
        let mut all = self.identities.write().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = all.iter_mut().find(|i| i.name == identity.name) {
            i.credential = Some(credential);
        }
        *self.generations.lock().unwrap_or_else(|p| p.into_inner()).entry(identity.name.clone()).or_default() += 1;
        Ok(())
    }

    /// What `name`'s last login answer said identifies it (normalised key, value).
    pub fn login_identifiers(&self, name: &str) -> Vec<(String, String)> {
        self.login_identifiers.lock().unwrap_or_else(|p| p.into_inner()).get(name).cloned().unwrap_or_default()
    }

    /// The generation of the credential a probe would be sent with, when a 401 to it may be
    /// answered by logging in again: sent as an identity with a login flow, credential unaltered.
    fn renewable(&self, probe: &Probe) -> Option<(String, u64)> {
        let name = probe.identity.as_deref()?;
        // A 401 from a login, token or password endpoint answers the credentials in the request
        // body (the exercise phase's well-formed login), not an expired session.
        let path = probe.target.split('?').next().unwrap_or(&probe.target);
        if probe.auth != AuthMode::Normal || crate::schedule::risk::is_auth_flow(path) {
            return None;
        }
        let has_login = self
            .identities
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .any(|i| i.name == name && i.login.is_some());
        if !has_login {
            return None;
        }
        Some((name.to_string(), self.generation(name)))
    }

    fn generation(&self, name: &str) -> u64 {
        self.generations.lock().unwrap_or_else(|p| p.into_inner()).get(name).copied().unwrap_or(0)
    }

    /// Renews `name`'s credential after a 401 to a request sent with generation `sent_with`.
    /// True when the request is worth retrying: renewed now, or by another request meanwhile.
    async fn renew(&self, name: &str, sent_with: u64) -> bool {
        let mut renewals = self.renewals.lock().await;
        if self.generation(name) != sent_with {
            return true;
        }
        let state = renewals.entry(name.to_string()).or_default();
        if state.total >= MAX_RENEWALS || state.useless >= MAX_USELESS_RENEWALS {
            return false;
        }
        state.total += 1;
        let Some(identity) = self.identities().into_iter().find(|i| i.name == name) else { return false };
        match self.log_in_as(&identity).await {
            Ok(()) => {
                tracing::info!(identity = %name, "credential renewed after a 401");
                true
            }
            Err(e) => {
                // A login that fails now will fail again: the health check reports the identity.
                tracing::warn!(identity = %name, error = %e, "renewing the credential failed");
                state.total = MAX_RENEWALS;
                false
            }
        }
    }

    async fn renewal_was_useless(&self, name: &str) {
        self.renewals.lock().await.entry(name.to_string()).or_default().useless += 1;
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    /// Resolves a probe target against the base URL and refuses anything off-origin.
    pub fn resolve(&self, target: &str) -> Result<Url, ScanError> {
        let url = self.base.join(target).map_err(|e| ScanError::OutOfScope(format!("{target}: {e}")))?;
        if url.origin() != self.base.origin() {
            return Err(ScanError::OutOfScope(url.to_string()));
        }
        Ok(url)
    }

    /// Sends a probe once per scan: an identical probe gets the first exchange back.
    ///
    /// The state guard lives here, so it holds whoever asks (discovery, exercise, any check): a
    /// path that would end the scan's session is never requested; a path that names a state change
    /// (`data/state-changing-words.txt`) is never requested with GET/HEAD unless the probe is
    /// marked [`Probe::changing_state`] and the scan is `--active`, and never with any other method
    /// (OPTIONS aside) without `--active` — an unparseable body does not stop a handler that never
    /// reads it. A refused probe is [`ScanError::NotSent`] and is listed in `coverage.not_called`.
    pub async fn send(&self, probe: Probe) -> Result<Arc<Exchange>, ScanError> {
        let url = self.resolve(&probe.target)?;
        self.guard(&probe, &url)?;
        let slot = {
            let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            cache.entry(probe.clone()).or_default().clone()
        };
        let exchange = slot.get_or_try_init(|| self.fetch(probe, url)).await?;
        Ok(exchange.clone())
    }

    /// Fetches a document that is read whole once (an API description) under its own size limit
    /// `cap`, past the cache. The caller gets the whole body; the exchange log keeps only its head,
    /// so a large spec is neither held nor analysed for the rest of the scan. When it answers,
    /// earlier answers of the same path cut at the body cap stop counting as cut: the path has now
    /// been read under its own limit, and a document past that limit is the caller's to report.
    pub async fn send_document(&self, probe: Probe, cap: usize) -> Result<Document, ScanError> {
        let url = self.resolve(&probe.target)?;
        self.guard(&probe, &url)?;
        let mut exchange = BODY_CAP.scope(cap, self.fetch_answer(probe, url.clone())).await?;
        if exchange.is_success() {
            self.truncated.lock().unwrap_or_else(|p| p.into_inner()).remove(url.path());
        }
        let cut = exchange.truncated;
        let body = std::mem::take(&mut exchange.body);
        // A copy, not a slice: a slice would keep the whole body alive.
        exchange.body = Bytes::copy_from_slice(&body[..body.len().min(KEPT_HEAD)]);
        exchange.truncated |= body.len() > KEPT_HEAD;
        Ok(Document { exchange: self.record(exchange), body, cut })
    }

    /// Sends a probe past the exchange cache: for answers that must be fresh (before/after
    /// comparisons, identity health). Still guarded, limited and recorded like any other request.
    pub async fn send_fresh(&self, probe: Probe) -> Result<Arc<Exchange>, ScanError> {
        let url = self.resolve(&probe.target)?;
        self.guard(&probe, &url)?;
        self.fetch(probe, url).await
    }

    /// Whether `probe` may be sent (see [`Client::send`]); a refusal is remembered for the report.
    fn guard(&self, probe: &Probe, url: &Url) -> Result<(), ScanError> {
        let Some(reason) = refusal(probe, url, self.active) else { return Ok(()) };
        let path = url.path().to_string();
        tracing::debug!(method = %probe.method, %path, reason = reason.as_str(), "not sent");
        let mut not_sent = self.not_sent.lock().unwrap_or_else(|p| p.into_inner());
        not_sent.entry((probe.method.to_string(), path.clone())).or_insert(reason);
        Err(ScanError::NotSent(format!("{} {path}: {}", probe.method, reason.as_str())))
    }

    /// Requests the state guard refused: method, path and why, sorted, each once.
    pub fn not_sent(&self) -> Vec<(String, String, NotSent)> {
        let not_sent = self.not_sent.lock().unwrap_or_else(|p| p.into_inner());
        not_sent.iter().map(|((m, p), r)| (m.clone(), p.clone(), *r)).collect()
    }

    pub fn is_active(&self) -> bool {
        self.active
    }

    pub fn requests_sent(&self) -> usize {
        self.sent.load(Ordering::Relaxed)
    }

    pub fn max_requests(&self) -> usize {
        self.max_requests
    }

    /// What the requests sent on behalf of `check` (its id) came to so far.
    pub fn tally(&self, check: &str) -> CheckTally {
        self.by_check.lock().unwrap_or_else(|p| p.into_inner()).get(check).copied().unwrap_or_default()
    }

    fn count_for_check(&self, count: impl FnOnce(&mut CheckTally)) {
        if let Some(check) = crate::schedule::current_check() {
            count(self.by_check.lock().unwrap_or_else(|p| p.into_inner()).entry(check).or_default());
        }
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
        let truncated: usize = self.truncated.lock().unwrap_or_else(|p| p.into_inner()).values().sum();
        if truncated > 0 {
            reasons.push(format!("{truncated} response body(ies) cut at {} KiB", self.body_cap / 1024));
        }
        let head_only = self.kept_head_only.load(Ordering::Relaxed);
        if head_only > 0 {
            reasons.push(format!(
                "{head_only} response body(ies) kept only in part (first {} KiB): the scan's bodies reached {} MiB",
                KEPT_HEAD / 1024,
                self.retained_body_cap / (1024 * 1024)
            ));
        }
        reasons.extend(self.unusable_reason());
        reasons
    }

    /// "193 of 194 requests got no usable answer (…)", when that many did to matter (see
    /// [`UNUSABLE_ALWAYS_PARTIAL`]): a target that answers garbage must not look clean.
    fn unusable_reason(&self) -> Option<String> {
        let unusable = self.unusable.lock().unwrap_or_else(|p| p.into_inner());
        let count: usize = unusable.values().sum();
        let sent = self.requests_sent().max(count);
        if count == 0 || (count < UNUSABLE_ALWAYS_PARTIAL && count * 20 < sent) {
            return None;
        }
        let kinds: Vec<String> = unusable.iter().map(|(kind, n)| format!("{n} {kind}")).collect();
        Some(format!("{count} of {sent} requests got no usable answer ({})", kinds.join(", ")))
    }

    fn count_unusable(&self, kind: &'static str) {
        *self.unusable.lock().unwrap_or_else(|p| p.into_inner()).entry(kind).or_default() += 1;
    }

    /// Sends a probe, backing off on 429/503 and, when an identity's credential has expired
    /// (a 401 to a request sent with its current credential), running its login flow once and
    /// sending the request again.
    async fn fetch(&self, probe: Probe, url: Url) -> Result<Arc<Exchange>, ScanError> {
        Ok(self.record(self.fetch_answer(probe, url).await?))
    }

    /// [`Client::fetch`] without recording the final exchange.
    async fn fetch_answer(&self, probe: Probe, url: Url) -> Result<Exchange, ScanError> {
        let mut attempt = 0;
        let mut renewable = self.renewable(&probe);
        let mut renewed: Option<(String, u64)> = None;
        loop {
            let exchange = self.fetch_once(&probe, &url).await?;
            let status = exchange.status.unwrap_or(0);
            if status == 401 {
                if let Some((name, generation)) = renewable.take() {
                    if self.renew(&name, generation).await {
                        renewed = Some((name.clone(), self.generation(&name)));
                        continue;
                    }
                } else if let Some((name, generation)) = renewed.take() {
                    // The credential just obtained was refused at once (nobody renewed since):
                    // this 401 means "not allowed", not "expired".
                    if self.generation(&name) == generation {
                        self.renewal_was_useless(&name).await;
                    }
                }
            }
            if (status == 429 || status == 503) && attempt < MAX_BACKOFF_RETRIES {
                let wait =
                    retry_after(&exchange.headers).or((status == 429).then(|| Duration::from_secs(1 << attempt)));
                if let Some(wait) = wait {
                    self.throttled.store(true, Ordering::Relaxed);
                    let wait = wait.min(MAX_RETRY_AFTER);
                    if wait >= self.time_left() {
                        self.mark_incomplete("the target asked to slow down beyond the time limit");
                        return Ok(exchange);
                    }
                    tracing::debug!(?wait, %status, "target asked to back off");
                    self.pause(wait);
                    attempt += 1;
                    continue;
                }
            }
            return Ok(exchange);
        }
    }

    fn record(&self, exchange: Exchange) -> Arc<Exchange> {
        if matches!(exchange.status, Some(429 | 503)) {
            // Still refused after the back-off: nothing was learnt about the endpoint.
            self.count_unusable("throttled or unavailable (429/503)");
        }
        self.retained.fetch_add(exchange.body.len(), Ordering::Relaxed);
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
        let outcome = self.fetch_within_limits(probe, url).await;
        match &outcome {
            Ok(_) => self.count_for_check(|t| t.sent += 1),
            Err(ScanError::Budget) => self.count_for_check(|t| t.over_budget += 1),
            Err(ScanError::TimeLimit) => self.count_for_check(|t| t.over_time += 1),
            Err(_) => {}
        }
        outcome
    }

    /// Waits for a connection slot, any back-off pause and a rate slot, never past the deadline,
    /// then takes one request from the budget. The permit is the connection slot.
    async fn admit(&self) -> Result<tokio::sync::SemaphorePermit<'_>, ScanError> {
        let over_time = || {
            self.mark_incomplete("time limit reached");
            ScanError::TimeLimit
        };
        if self.out_of_time() {
            return Err(over_time());
        }
        // A spent budget refuses at once: no waiting for a connection slot or a rate-limiter slot
        // that would only lead to the same refusal (the count is checked again below, exactly).
        if self.sent.load(Ordering::Relaxed) >= self.max_requests {
            self.mark_incomplete(format!("request budget of {} reached", self.max_requests));
            return Err(ScanError::Budget);
        }
        let waits = async {
            let permit = self.slots.acquire().await.ok()?;
            let pause = *self.pause_until.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(until) = pause {
                tokio::time::sleep_until(until.into()).await;
            }
            self.limiter.until_key_ready(&self.host).await;
            Some(permit)
        };
        let Ok(Some(permit)) = tokio::time::timeout(self.time_left(), waits).await else { return Err(over_time()) };
        if self.sent.fetch_add(1, Ordering::Relaxed) >= self.max_requests {
            self.sent.fetch_sub(1, Ordering::Relaxed);
            self.mark_incomplete(format!("request budget of {} reached", self.max_requests));
            return Err(ScanError::Budget);
        }
        if self.out_of_time() {
            return Err(over_time());
        }
        Ok(permit)
    }

    /// How long one request (head and body) may take: the per-request timeout, and never past the
    /// scan's deadline.
    fn request_limit(&self) -> Duration {
        self.request_timeout.min(self.time_left())
    }

    /// The most of the next body the scan keeps: the per-response cap, or only a head once the
    /// bodies kept so far reach the scan's total.
    fn body_room(&self) -> usize {
        if self.retained.load(Ordering::Relaxed) >= self.retained_body_cap {
            self.body_cap.min(KEPT_HEAD)
        } else {
            self.body_cap
        }
    }

    /// Sends `request` and reads its answer within `limit` (head and body: a body that never ends
    /// is cut by time as well as by `cap`). A body cut by time or broken after the head keeps the
    /// head and what arrived.
    async fn read_answer(&self, request: reqwest::RequestBuilder, limit: Duration, cap: usize) -> Answered {
        let deadline = tokio::time::Instant::now() + limit;
        let mut response = match tokio::time::timeout_at(deadline, request.send()).await {
            Ok(Ok(response)) => response,
            Ok(Err(e)) if e.is_timeout() && !e.is_connect() => return Answered::TimedOut,
            Ok(Err(e)) => return Answered::Failed(e),
            Err(_) => return Answered::TimedOut,
        };
        let status = response.status().as_u16();
        let headers = std::mem::take(response.headers_mut());
        let url = response.url().clone();
        let expected = usize::try_from(response.content_length().unwrap_or(0)).unwrap_or(usize::MAX);
        let mut body = BytesMut::with_capacity(expected.min(cap));
        let mut answer = Answer { status, headers, url, body: Bytes::new(), truncated: false, cut: None };
        // Read chunk by chunk so the cap holds however large or endless the body is.
        loop {
            match tokio::time::timeout_at(deadline, response.chunk()).await {
                Ok(Ok(Some(chunk))) => {
                    let room = cap - body.len();
                    if chunk.len() > room {
                        body.extend_from_slice(&chunk[..room]);
                        answer.truncated = true;
                        break;
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(Ok(None)) => break,
                Ok(Err(e)) => {
                    answer.cut = Some(Cut::Broken(root_cause(&e)));
                    break;
                }
                Err(_) => {
                    answer.cut = Some(Cut::Time);
                    break;
                }
            }
        }
        // A body that grew by doubling may hold twice its length; the scan keeps many of them.
        answer.body =
            if body.capacity() - body.len() > body.len() / 4 { Bytes::copy_from_slice(&body) } else { body.freeze() };
        Answered::Yes(Box::new(answer))
    }

    async fn fetch_within_limits(&self, probe: &Probe, url: &Url) -> Result<Exchange, ScanError> {
        let _permit = self.admit().await?;
        let mut wire_url = url.clone();
        let mut headers = self.user_headers.clone();
        if let Some(name) = probe.identity.as_deref() {
            let identities = self.identities.read().unwrap_or_else(|p| p.into_inner());
            if let Some(identity) = identities.iter().find(|i| i.name == name) {
                apply_identity(identity, probe, &mut wire_url, &mut headers);
            }
        } else if let AuthMode::Token(token) = &probe.auth {
            if let Ok(mut value) = HeaderValue::from_str(&format!("Bearer {}", token.0)) {
                value.set_sensitive(true);
                headers.insert(reqwest::header::AUTHORIZATION, value);
            }
        }
        let mut request = self.http.request(probe.method.clone(), wire_url);
        request = request.headers(headers);
        for (name, value) in &probe.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        if let Some(body) = &probe.body {
            request = request.body(body.clone());
        }
        let started = Instant::now();
        // Spec fetches carry their own cap (`--max-spec-size`); every other body the scan's room.
        let cap = BODY_CAP.try_with(|cap| *cap).unwrap_or_else(|_| self.body_room());
        let outcome = self.read_answer(request, self.request_limit(), cap).await;

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
            identity: probe.identity.clone(),
            auth: probe.auth.clone(),
            parsed: Default::default(),
        };
        match outcome {
            Answered::Yes(answer) => {
                let answer = *answer;
                if answer.truncated && cap < self.body_cap {
                    self.kept_head_only.fetch_add(1, Ordering::Relaxed);
                } else if answer.truncated && BODY_CAP.try_with(|_| ()).is_err() {
                    // (A document read under its own limit is reported by its reader.)
                    *self
                        .truncated
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .entry(url.path().to_string())
                        .or_default() += 1;
                }
                match &answer.cut {
                    Some(Cut::Time) => {
                        self.timeouts.fetch_add(1, Ordering::Relaxed);
                        exchange.error = Some("body cut: timed out".into());
                    }
                    Some(Cut::Broken(cause)) => {
                        self.count_unusable("body broken off");
                        exchange.error = Some(format!("body cut: {cause}"));
                    }
                    None => {}
                }
                exchange.status = Some(answer.status);
                exchange.headers = answer.headers;
                // The recorded URL never carries a query credential: keep the probe's own URL unless
                // a redirect took us elsewhere on the origin.
                if answer.url.path() != url.path() {
                    exchange.url = answer.url;
                    exchange.url.set_query(None);
                }
                exchange.body = answer.body;
                exchange.truncated = answer.truncated || answer.cut.is_some();
            }
            Answered::Failed(e) if e.is_connect() => {
                let cause = root_cause(&e);
                let hint = if cause.contains("certificate") {
                    " (trust its CA with --ca-cert PEM, or scan anyway with --insecure)"
                } else {
                    ""
                };
                return Err(ScanError::Unreachable(format!("{url}: {cause}{hint}")));
            }
            Answered::Failed(e) => {
                self.count_unusable(unusable_kind(&e));
                exchange.error = Some(root_cause(&e));
            }
            Answered::TimedOut => {
                self.timeouts.fetch_add(1, Ordering::Relaxed);
                exchange.error = Some("timed out".into());
            }
        }
        // `-vv`: what was sent and how it went. The path only: a query may carry a credential, and
        // headers and bodies are never logged.
        tracing::debug!(
            method = %exchange.method,
            path = exchange.url.path(),
            status = exchange.status.map_or_else(|| exchange.error.clone().unwrap_or_default(), |s| s.to_string()),
            ms = u64::try_from(exchange.elapsed.as_millis()).unwrap_or(u64::MAX),
            identity = exchange.identity.as_deref().unwrap_or("-"),
            "request"
        );
        Ok(exchange)
    }
}

/// A document read by [`Client::send_document`].
pub struct Document {
    /// What the scan keeps: the answer with only the head of its body.
    pub exchange: Arc<Exchange>,
    /// The whole body, up to the document's limit.
    pub body: Bytes,
    /// The body was cut: past the document's limit, by time, or broken off.
    pub cut: bool,
}

/// An answer's head and (possibly cut) body, as [`Client::read_answer`] read it.
struct Answer {
    status: u16,
    headers: HeaderMap,
    url: Url,
    body: Bytes,
    /// Cut at the body cap.
    truncated: bool,
    /// Cut short otherwise.
    cut: Option<Cut>,
}

enum Cut {
    /// The request's time ran out while the body was still coming.
    Time,
    /// The connection broke mid-body (reset, bad chunk framing, bad compression).
    Broken(String),
}

enum Answered {
    Yes(Box<Answer>),
    Failed(reqwest::Error),
    TimedOut,
}

/// What kind of unusable answer a transport error (after connecting) stands for, for the report.
fn unusable_kind(e: &reqwest::Error) -> &'static str {
    let cause = root_cause(e).to_ascii_lowercase();
    if e.is_redirect() {
        "redirect loop"
    } else if cause.contains("too large") || cause.contains("too many headers") {
        "oversized headers"
    } else if cause.contains("reset") || cause.contains("closed") || cause.contains("broken pipe") {
        "connection reset or closed"
    } else if cause.contains("invalid") || cause.contains("parse") {
        "malformed answer"
    } else {
        "transport error"
    }
}

/// Why the state guard refuses `probe`, if it does.
fn refusal(probe: &Probe, url: &Url, active: bool) -> Option<NotSent> {
    if probe.method == Method::OPTIONS {
        return None;
    }
    let path = url.path();
    if crate::words::ends_session(path) {
        return Some(NotSent::EndsSession);
    }
    if !crate::words::names_state_change(path) && !crate::words::query_names_state_change(url.query().unwrap_or("")) {
        return None;
    }
    let allowed = match probe.method {
        Method::GET | Method::HEAD => active && probe.changes_state,
        _ => active,
    };
    (!allowed).then_some(NotSent::NamesStateChange)
}

/// Adds the identity's credential (varied as the probe's [`AuthMode`] says) and signature. Every
/// value set here is marked sensitive so it never shows in debug output.
fn apply_identity(identity: &Identity, probe: &Probe, url: &mut Url, headers: &mut HeaderMap) {
    let credential = match (&probe.auth, &identity.credential) {
        (AuthMode::BrokenCredential, Some(c)) => Some(c.broken()),
        (AuthMode::Token(token), Some(c)) => Some(c.with_token(&token.0)),
        (_, c) => c.clone(),
    };
    let mut set = |name: &str, value: String| {
        if let (Ok(name), Ok(mut value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&value)) {
            value.set_sensitive(true);
            headers.insert(name, value);
        }
    };
    match (&probe.auth, credential) {
        (AuthMode::CredentialInQuery(param), Some(Credential::Header { value, .. } | Credential::Bearer(value))) => {
            url.query_pairs_mut().append_pair(param, &value);
        }
        (_, Some(Credential::Basic { user, password })) => {
            use base64::Engine as _;
            let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            set("authorization", format!("Basic {token}"));
        }
        (_, Some(Credential::Bearer(token))) => set("authorization", format!("Bearer {token}")),
        (_, Some(Credential::Header { name, value })) => set(&name, value),
        (_, Some(Credential::Query { name, value })) => {
            url.query_pairs_mut().append_pair(&name, &value);
        }
        (_, Some(Credential::Cookie { name, value })) => set("cookie", format!("{name}={value}")),
        (_, Some(Credential::Headers(all))) => {
            for (name, value) in all {
                set(&name, value);
            }
        }
        (_, None) => {}
    }
    let Some(signer) = &identity.signer else { return };
    if probe.auth == AuthMode::Unsigned {
        return;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let timestamp = match probe.auth {
        AuthMode::StaleTimestamp(age) => now - age,
        _ => now,
    };
    let nonce = match &probe.auth {
        AuthMode::FixedNonce(n) => n.clone(),
        _ => format!("{:016x}", rand::random::<u64>()),
    };
    let sent_path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let signed_path = match &probe.auth {
        AuthMode::SignedPath(p) => p.clone(),
        _ => sent_path,
    };
    let body = probe.body.as_deref().unwrap_or_default();
    let wrong_body = [body, b"#"].concat();
    let input = SignInput {
        method: probe.method.as_str(),
        path_and_query: &signed_path,
        body: if probe.auth == AuthMode::WrongSignature { &wrong_body } else { body },
        timestamp,
        nonce: &nonce,
    };
    set(&signer.header, signer.sign(&input));
    if let Some(h) = &signer.timestamp_header {
        set(h, timestamp.to_string());
    }
    if let Some(h) = &signer.nonce_header {
        set(h, nonce);
    }
}

/// The status code for evidence lines, or `no answer`.
pub fn status(ex: &Exchange) -> String {
    ex.status.map_or_else(|| "no answer".to_string(), |s| s.to_string())
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

    #[test]
    fn unusable_answers_make_the_scan_partial_once_they_matter() {
        let client = Client::new(&ScanConfig::new("http://127.0.0.1:9").expect("config")).expect("client");
        client.sent.store(1000, Ordering::Relaxed);
        for _ in 0..3 {
            client.count_unusable("connection reset or closed");
        }
        assert_eq!(client.unusable_reason(), None, "3 resets in 1000 requests are noise");
        for _ in 0..7 {
            client.count_unusable("malformed answer");
        }
        assert_eq!(
            client.unusable_reason().as_deref(),
            Some("10 of 1000 requests got no usable answer (3 connection reset or closed, 7 malformed answer)")
        );
        let few = Client::new(&ScanConfig::new("http://127.0.0.1:9").expect("config")).expect("client");
        few.sent.store(3, Ordering::Relaxed);
        few.count_unusable("oversized headers");
        few.count_unusable("oversized headers");
        assert!(few.incomplete().contains(&"2 of 3 requests got no usable answer (2 oversized headers)".to_string()));
    }

    fn refused(method: Method, path: &str, deliberate: bool, active: bool) -> Option<NotSent> {
        let url = Url::parse("http://127.0.0.1:9").and_then(|u| u.join(path)).expect("url");
        let mut probe = Probe::new(method, path);
        if deliberate {
            probe = probe.changing_state();
        }
        refusal(&probe, &url, active)
    }

    #[test]
    fn state_guard_refuses_state_changing_gets_whoever_asks() {
        use NotSent::*;
        // Without --active: never, even when a check marks it deliberate (a spec's GET /api/admin/reset).
        assert_eq!(refused(Method::GET, "/api/admin/reset", false, false), Some(NamesStateChange));
        assert_eq!(refused(Method::GET, "/api/admin/reset", true, false), Some(NamesStateChange));
        assert_eq!(refused(Method::HEAD, "/api/cache/flush", false, false), Some(NamesStateChange));
        assert_eq!(refused(Method::GET, "/api/items?action=delete", false, false), Some(NamesStateChange));
        // An unparseable body does not stop a handler that never reads it.
        assert_eq!(refused(Method::POST, "/api/cache/flush", false, false), Some(NamesStateChange));
        assert_eq!(refused(Method::OPTIONS, "/api/cache/flush", false, false), None);
        // With --active: only the deliberate GET (the state_changing_get check), and writes.
        assert_eq!(refused(Method::GET, "/api/admin/reset-db", false, true), Some(NamesStateChange));
        assert_eq!(refused(Method::GET, "/api/admin/reset-db", true, true), None);
        assert_eq!(refused(Method::POST, "/api/v1/password-reset", false, true), None);
        // The scan's own session: never, with any method.
        assert_eq!(refused(Method::GET, "/api/session/logout", true, true), Some(EndsSession));
        assert_eq!(refused(Method::POST, "/auth/logout", false, true), Some(EndsSession));
        // Ordinary reads pass.
        for path in
            ["/api/settings", "/api/activity", "/api/resets/history", "/api/items", "/api/password-reset/status"]
        {
            assert_eq!(refused(Method::GET, path, false, false), None, "{path}");
        }
    }
}
