//! Alerts of monitored targets: each target's rules and channels (channel secrets sealed like
//! identities, never shown again), the alerts raised when one of its scans ends, test messages,
//! and the record of every delivery. The rules and the delivery itself are `leakprobe_alerts`'.
//!
//! ## Each event alerts once
//! [`on_scan_finished`] runs after a scan is stored (done or failed) and again whenever its job
//! runs again (a job re-handed after its worker died finds the scan stored and only alerts). The
//! events of a scan have stable keys; before sending, a process claims each key by inserting it
//! into `lp_alert_events`, whose primary key lets exactly one process win: two workers evaluating
//! the same scan never both send. A claim is `sending` until its delivery ends, then `sent`. A
//! process that dies holding a `sending` claim leaves it to whoever evaluates the scan again: that
//! one waits until the claim is older than [`CLAIM_LEASE`] (longer than any delivery with its
//! retries takes), takes it over (one winner again) and sends. So an event is retried after a
//! crash, and may reach a receiver twice only if the crash fell between the receiver's answer and
//! the claim's update; it is never sent by two processes at once.
use std::sync::OnceLock;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::Json;
use leakprobe_alerts::{
    evaluate, Channel, Delivery, EmailChannel, Event, History, Notice, Notifier, Options, Outcome, Rule, Scan, Secret,
    SmtpSecurity, TargetInfo,
};
use leakprobe_engine::report::Report;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::Row as _;

use crate::api::{ApiError, App};
use crate::db::{db_error, new_id, now};
use crate::scans::{DONE, FAILED};
use crate::secrets::KEY_VAR;
use crate::ServerError;

/// How long a claim on an event may stay `sending` before another process may take it over: more
/// than a delivery with all its retries takes (4 attempts of 10 s, back-off up to 30 s each).
pub const CLAIM_LEASE: Duration = Duration::from_secs(180);
/// Deliveries listed by [`deliveries`] at most.
const MAX_DELIVERIES: i64 = 200;
const CLAIM_SENDING: &str = "sending";
const CLAIM_SENT: &str = "sent";

/// A channel as given in a form or the API. Secret fields are write-only: absent or empty keeps
/// the secret of the saved channel at the same position, if it is of the same kind.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ChannelInput {
    Slack {
        #[serde(default)]
        webhook_url: Option<String>,
    },
    Webhook {
        #[serde(default)]
        url: Option<String>,
        #[serde(default)]
        secret: Option<String>,
    },
    Email {
        host: String,
        #[serde(default)]
        port: Option<u16>,
        #[serde(default)]
        security: SmtpSecurity,
        #[serde(default)]
        username: Option<String>,
        #[serde(default)]
        password: Option<String>,
        from: String,
        to: Vec<String>,
        #[serde(default)]
        root_certificate: Option<String>,
    },
}

/// A target's alert settings as given: the `alerts` object of the target's POST and PUT.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsInput {
    #[serde(default)]
    pub rules: Vec<Rule>,
    #[serde(default)]
    pub channels: Vec<ChannelInput>,
}

/// What may be shown of a channel: its kind and where it goes, without credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelView {
    /// `slack`, `webhook` or `email`.
    pub kind: String,
    /// `slack https://hooks.slack.com`, `email via smtp.example.com:587 to ops@example.com`.
    pub label: String,
}

/// A target's alert settings as shown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertsView {
    pub rules: Vec<Rule>,
    pub channels: Vec<ChannelView>,
}

/// One stored delivery.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryRecord {
    pub id: String,
    /// The scan whose events were delivered; `None` for a test message.
    pub scan_id: Option<String>,
    pub channel: String,
    pub destination: String,
    pub ok: bool,
    pub status: Option<u16>,
    pub attempts: u32,
    pub error: Option<String>,
    pub duration_ms: u64,
    /// The event keys delivered (none for a test message).
    pub events: Vec<String>,
    pub test: bool,
    pub created_at: String,
}

/// Rules and channels checked and channels sealed, ready to store.
pub struct Prepared {
    rules: String,
    views: String,
    sealed: Option<String>,
}

/// The sealing context: a sealed channel list opens only on its own target, and never as identities.
fn context(target_id: &str) -> String {
    format!("{target_id}/alert-channels")
}

/// The saved channels of a target, opened (needs the secret key when there are any).
async fn stored_channels(app: &App, target_id: &str) -> Result<Vec<Channel>, ApiError> {
    let row = sqlx::query("SELECT alert_channels_sealed FROM lp_targets WHERE id = $1")
        .bind(target_id)
        .fetch_optional(&app.db.pool)
        .await
        .map_err(db_error)?
        .ok_or_else(|| ApiError::not_found(format!("no target `{target_id}`")))?;
    let Some(sealed) = row.try_get::<Option<String>, _>("alert_channels_sealed").map_err(db_error)? else {
        return Ok(Vec::new());
    };
    let key = app.key.as_ref().ok_or_else(|| {
        ApiError::internal(format!("the target has alert channels but {KEY_VAR} is not set in this process"))
    })?;
    serde_json::from_slice(&key.open(&sealed, &context(target_id))?)
        .map_err(|_| ApiError::internal("the target's sealed alert channels are not a channel list"))
}

/// Empty counts as absent: a form's untouched password field.
fn given(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

/// The channel `input` describes, secrets missing from it taken from `saved`.
fn merge(i: usize, input: ChannelInput, saved: Option<&Channel>) -> Result<Channel, ApiError> {
    let missing = |field: &str| ApiError::bad_request(format!("alerts.channels[{i}] needs `{field}`"));
    let channel = match input {
        ChannelInput::Slack { webhook_url } => {
            let kept = match saved {
                Some(Channel::Slack { webhook_url }) => Some(webhook_url.clone()),
                _ => None,
            };
            Channel::Slack {
                webhook_url: given(webhook_url).map(Secret::new).or(kept).ok_or_else(|| missing("webhook_url"))?,
            }
        }
        ChannelInput::Webhook { url, secret } => {
            let (kept_url, kept_secret) = match saved {
                Some(Channel::Webhook { url, secret }) => (Some(url.clone()), Some(secret.clone())),
                _ => (None, None),
            };
            Channel::Webhook {
                url: given(url).map(Secret::new).or(kept_url).ok_or_else(|| missing("url"))?,
                secret: given(secret).map(Secret::new).or(kept_secret).ok_or_else(|| missing("secret"))?,
            }
        }
        ChannelInput::Email { host, port, security, username, password, from, to, root_certificate } => {
            let kept = match saved {
                Some(Channel::Email(e)) => e.password.clone(),
                _ => None,
            };
            let username = given(username);
            // A kept password only goes with a username: clearing the username clears the login.
            let password = given(password).map(Secret::new).or(kept.filter(|_| username.is_some()));
            Channel::Email(EmailChannel {
                host,
                port,
                security,
                username,
                password,
                from,
                to,
                root_certificate: given(root_certificate),
            })
        }
    };
    channel.validate().map_err(|e| ApiError::bad_request(format!("alerts.channels[{i}]: {e}")))?;
    Ok(channel)
}

/// Checks `input` and seals its channels for `target_id`; `existing` says whether the target is
/// already saved (its sealed secrets are then kept where the input leaves them out).
pub async fn prepare(app: &App, target_id: &str, input: AlertsInput, existing: bool) -> Result<Prepared, ApiError> {
    leakprobe_alerts::validate(&input.rules).map_err(|e| ApiError::bad_request(format!("alerts.rules: {e}")))?;
    let saved = if existing { stored_channels(app, target_id).await? } else { Vec::new() };
    let channels = input
        .channels
        .into_iter()
        .enumerate()
        .map(|(i, c)| merge(i, c, saved.get(i)))
        .collect::<Result<Vec<_>, _>>()?;
    let views: Vec<ChannelView> =
        channels.iter().map(|c| ChannelView { kind: c.kind().to_string(), label: c.describe() }).collect();
    let sealed = if channels.is_empty() {
        None
    } else {
        let key = app.key.as_ref().ok_or_else(|| {
            ApiError::bad_request(format!(
                "alert channels need {KEY_VAR} (32 bytes, hex or base64) in the server's environment: \
                 their URLs, keys and passwords are stored encrypted"
            ))
        })?;
        let plain = serde_json::to_vec(&channels).map_err(|e| ApiError::internal(e.to_string()))?;
        Some(key.seal(&plain, &context(target_id))?)
    };
    Ok(Prepared {
        rules: serde_json::to_string(&input.rules).map_err(|e| ApiError::internal(e.to_string()))?,
        views: serde_json::to_string(&views).map_err(|e| ApiError::internal(e.to_string()))?,
        sealed,
    })
}

pub async fn store(app: &App, target_id: &str, prepared: Prepared) -> Result<(), ApiError> {
    sqlx::query(
        "UPDATE lp_targets SET alert_rules = $1, alert_channels = $2, alert_channels_sealed = $3 WHERE id = $4",
    )
    .bind(prepared.rules)
    .bind(prepared.views)
    .bind(prepared.sealed)
    .bind(target_id)
    .execute(&app.db.pool)
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Saves a target's rules and channels (the settings form): secrets left empty keep the saved ones.
pub async fn save(app: &App, target_id: &str, input: AlertsInput) -> Result<AlertsView, ApiError> {
    let prepared = prepare(app, target_id, input, true).await?;
    store(app, target_id, prepared).await?;
    load_view(app, target_id).await
}

/// A target's rules and channels, without secrets.
pub async fn load_view(app: &App, target_id: &str) -> Result<AlertsView, ApiError> {
    let row = sqlx::query("SELECT alert_rules, alert_channels FROM lp_targets WHERE id = $1")
        .bind(target_id)
        .fetch_optional(&app.db.pool)
        .await
        .map_err(db_error)?
        .ok_or_else(|| ApiError::not_found(format!("no target `{target_id}`")))?;
    view_of(
        &row.try_get::<String, _>("alert_rules").map_err(db_error)?,
        &row.try_get::<String, _>("alert_channels").map_err(db_error)?,
    )
}

/// The view from the two stored (non-secret) columns.
pub fn view_of(rules: &str, channels: &str) -> Result<AlertsView, ApiError> {
    let bad = |_| ApiError::internal("the target's stored alert settings do not parse");
    Ok(AlertsView {
        rules: serde_json::from_str(rules).map_err(bad)?,
        channels: serde_json::from_str(channels).map_err(bad)?,
    })
}

/// One notifier per process: it holds the HTTP connection pool.
fn notifier() -> Result<&'static Notifier, ServerError> {
    static NOTIFIER: OnceLock<Result<Notifier, String>> = OnceLock::new();
    NOTIFIER
        .get_or_init(|| Notifier::new(Options::default()).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| ServerError::Internal(e.clone()))
}

/// Sends a test message on every channel of the target; each delivery is recorded and returned.
pub async fn send_test(app: &App, target_id: &str) -> Result<Vec<DeliveryRecord>, ApiError> {
    let channels = stored_channels(app, target_id).await?;
    if channels.is_empty() {
        return Err(ApiError::bad_request("the target has no alert channels to test"));
    }
    let notifier = notifier()?;
    let deliveries = futures::future::join_all(channels.iter().map(|c| notifier.send_test(c))).await;
    let mut records = Vec::new();
    for (channel, delivery) in channels.iter().zip(deliveries) {
        records.push(record(app, target_id, None, channel, &delivery, &[]).await?);
    }
    Ok(records)
}

/// The target's deliveries, newest first.
pub async fn deliveries(app: &App, target_id: &str, limit: i64) -> Result<Vec<DeliveryRecord>, ApiError> {
    let rows = sqlx::query(
        "SELECT id, scan_id, channel, destination, ok, status, attempts, error, duration_ms, events, test, created_at \
         FROM lp_alert_deliveries WHERE target_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(target_id)
    .bind(limit.clamp(1, MAX_DELIVERIES))
    .fetch_all(&app.db.pool)
    .await
    .map_err(db_error)?;
    rows.iter()
        .map(|r| -> Result<DeliveryRecord, sqlx::Error> {
            Ok(DeliveryRecord {
                id: r.try_get("id")?,
                scan_id: r.try_get("scan_id")?,
                channel: r.try_get("channel")?,
                destination: r.try_get("destination")?,
                ok: r.try_get::<i64, _>("ok")? != 0,
                status: r.try_get::<Option<i64>, _>("status")?.and_then(|s| u16::try_from(s).ok()),
                attempts: u32::try_from(r.try_get::<i64, _>("attempts")?).unwrap_or(0),
                error: r.try_get("error")?,
                duration_ms: u64::try_from(r.try_get::<i64, _>("duration_ms")?).unwrap_or(0),
                events: serde_json::from_str(&r.try_get::<String, _>("events")?).unwrap_or_default(),
                test: r.try_get::<i64, _>("test")? != 0,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| db_error(e).into())
}

async fn record(
    app: &App,
    target_id: &str,
    scan_id: Option<&str>,
    channel: &Channel,
    delivery: &Delivery,
    events: &[String],
) -> Result<DeliveryRecord, ServerError> {
    let record = DeliveryRecord {
        id: new_id(),
        scan_id: scan_id.map(str::to_string),
        channel: delivery.channel.to_string(),
        destination: channel.describe(),
        ok: delivery.ok,
        status: delivery.status,
        attempts: delivery.attempts,
        error: delivery.error.clone(),
        duration_ms: delivery.duration_ms,
        events: events.to_vec(),
        test: scan_id.is_none(),
        created_at: now(),
    };
    sqlx::query(
        "INSERT INTO lp_alert_deliveries (id, target_id, scan_id, channel, destination, ok, status, attempts, error, \
         duration_ms, events, test, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&record.id)
    .bind(target_id)
    .bind(&record.scan_id)
    .bind(&record.channel)
    .bind(&record.destination)
    .bind(i64::from(record.ok))
    .bind(record.status.map(i64::from))
    .bind(i64::from(record.attempts))
    .bind(&record.error)
    .bind(i64::try_from(record.duration_ms).unwrap_or(i64::MAX))
    .bind(serde_json::to_string(&record.events).unwrap_or_else(|_| "[]".into()))
    .bind(i64::from(record.test))
    .bind(&record.created_at)
    .execute(&app.db.pool)
    .await
    .map_err(db_error)?;
    Ok(record)
}

/// `POST /api/v1/targets/{id}/alerts/test`.
pub async fn test_route(State(app): State<App>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "deliveries": send_test(&app, &id).await? })))
}

/// `GET /api/v1/targets/{id}/alerts/deliveries`.
pub async fn deliveries_route(State(app): State<App>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    load_view(&app, &id).await?;
    Ok(Json(json!({ "deliveries": deliveries(&app, &id, MAX_DELIVERIES).await? })))
}

/// This process, as named in claims.
fn claimer() -> String {
    let host = std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "local".into());
    format!("{host}-{}", std::process::id())
}

fn cutoff() -> String {
    let then = std::time::SystemTime::now().checked_sub(CLAIM_LEASE).unwrap_or(std::time::UNIX_EPOCH);
    humantime::format_rfc3339_millis(then).to_string()
}

enum Claim {
    Mine,
    /// Another process is delivering it (or died doing so: its claim goes stale after the lease).
    Held,
    Sent,
}

async fn claim(app: &App, event: &Event, me: &str) -> Result<Claim, ServerError> {
    let inserted = sqlx::query(
        "INSERT INTO lp_alert_events (event_key, target_id, scan_id, state, claimed_by, claimed_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_key) DO NOTHING",
    )
    .bind(&event.key)
    .bind(&event.target)
    .bind(&event.scan)
    .bind(CLAIM_SENDING)
    .bind(me)
    .bind(now())
    .execute(&app.db.pool)
    .await
    .map_err(db_error)?;
    if inserted.rows_affected() == 1 {
        return Ok(Claim::Mine);
    }
    let taken = sqlx::query(
        "UPDATE lp_alert_events SET claimed_by = $1, claimed_at = $2 WHERE event_key = $3 AND state = $4 AND claimed_at < $5",
    )
    .bind(me)
    .bind(now())
    .bind(&event.key)
    .bind(CLAIM_SENDING)
    .bind(cutoff())
    .execute(&app.db.pool)
    .await
    .map_err(db_error)?;
    if taken.rows_affected() == 1 {
        return Ok(Claim::Mine);
    }
    let state: Option<String> = sqlx::query("SELECT state FROM lp_alert_events WHERE event_key = $1")
        .bind(&event.key)
        .fetch_optional(&app.db.pool)
        .await
        .map_err(db_error)?
        .map(|r| r.try_get("state"))
        .transpose()
        .map_err(db_error)?;
    Ok(if state.as_deref() == Some(CLAIM_SENT) { Claim::Sent } else { Claim::Held })
}

/// The alerts of a stored scan: evaluated against the target's previous scans, each event claimed,
/// delivered on every channel, recorded. Safe to call again for the same scan (see the module
/// docs); a scan without a target, or a target without rules, alerts nothing.
pub async fn on_scan_finished(app: &App, scan_id: &str) -> Result<(), ServerError> {
    let Some(scan) = sqlx::query("SELECT target_id, status, report, error, created_at FROM lp_scans WHERE id = $1")
        .bind(scan_id)
        .fetch_optional(&app.db.pool)
        .await
        .map_err(db_error)?
    else {
        return Ok(());
    };
    let status: String = scan.try_get("status").map_err(db_error)?;
    let Some(target_id) = scan.try_get::<Option<String>, _>("target_id").map_err(db_error)? else {
        return Ok(());
    };
    if status != DONE && status != FAILED {
        return Ok(());
    }
    let Some(target) = sqlx::query("SELECT name, base_url, alert_rules FROM lp_targets WHERE id = $1")
        .bind(&target_id)
        .fetch_optional(&app.db.pool)
        .await
        .map_err(db_error)?
    else {
        return Ok(());
    };
    let rules: Vec<Rule> = serde_json::from_str(&target.try_get::<String, _>("alert_rules").map_err(db_error)?)
        .map_err(|e| ServerError::Internal(format!("target {target_id}: stored alert rules: {e}")))?;
    if rules.is_empty() {
        return Ok(());
    }
    let created_at: String = scan.try_get("created_at").map_err(db_error)?;
    let report = parse_report(scan.try_get("report").map_err(db_error)?)?;
    let error: Option<String> = scan.try_get("error").map_err(db_error)?;

    // Earlier scans of the target, newest first: the one right before (did it fail?) and the
    // last one that completed (what the findings are compared with).
    const EARLIER: &str = "FROM lp_scans WHERE target_id = $1 AND (created_at < $2 OR (created_at = $2 AND id < $3))";
    let before = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT status {EARLIER} AND status IN ($4, $5) ORDER BY created_at DESC, id DESC LIMIT 1"
    )))
    .bind(&target_id)
    .bind(&created_at)
    .bind(scan_id)
    .bind(DONE)
    .bind(FAILED)
    .fetch_optional(&app.db.pool)
    .await
    .map_err(db_error)?;
    let previous_failed = match before {
        Some(row) => row.try_get::<String, _>("status").map_err(db_error)? == FAILED,
        None => false,
    };
    let previous = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT report {EARLIER} AND status = $4 ORDER BY created_at DESC, id DESC LIMIT 1"
    )))
    .bind(&target_id)
    .bind(&created_at)
    .bind(scan_id)
    .bind(DONE)
    .fetch_optional(&app.db.pool)
    .await
    .map_err(db_error)?;
    let previous = match previous {
        Some(row) => parse_report(row.try_get("report").map_err(db_error)?)?,
        None => None,
    };

    let failure = error.unwrap_or_else(|| "the scan failed".into());
    let outcome = match (&report, status == DONE) {
        (Some(report), true) => Outcome::Completed(report),
        _ => Outcome::Failed(&failure),
    };
    let this = Scan { target: &target_id, id: scan_id, outcome };
    let events = evaluate(&rules, History { previous: previous.as_ref(), previous_failed }, this);
    if events.is_empty() {
        return Ok(());
    }

    let me = claimer();
    let mut mine = Vec::new();
    let mut held = Vec::new();
    for event in events {
        match claim(app, &event, &me).await? {
            Claim::Mine => mine.push(event),
            Claim::Held => held.push(event),
            Claim::Sent => {}
        }
    }
    if !held.is_empty() {
        // Claimed by a process that is sending them, or that died doing so: only once its claim is
        // stale can it be taken over. This path only runs when a scan's job runs twice.
        tracing::info!(scan = %scan_id, events = held.len(), "alert events claimed elsewhere; waiting for the claim lease");
        tokio::time::sleep(CLAIM_LEASE + Duration::from_secs(1)).await;
        for event in held {
            if let Claim::Mine = claim(app, &event, &me).await? {
                mine.push(event);
            }
        }
    }
    if mine.is_empty() {
        return Ok(());
    }
    let keys: Vec<String> = mine.iter().map(|e| e.key.clone()).collect();
    let info = TargetInfo {
        id: target_id.clone(),
        name: target.try_get("name").map_err(db_error)?,
        url: target.try_get("base_url").map_err(db_error)?,
    };
    let notice = Notice::new(info, this, previous.as_ref(), mine);
    let channels = stored_channels(app, &target_id).await.map_err(|e| ServerError::Internal(e.message().into()))?;
    let notifier = notifier()?;
    for channel in &channels {
        let delivery = notifier.deliver(channel, &notice).await;
        record(app, &target_id, Some(scan_id), channel, &delivery, &keys).await?;
    }
    if channels.is_empty() {
        tracing::warn!(target_id = %target_id, "alert rules fired but the target has no alert channels");
    }
    for key in &keys {
        sqlx::query("UPDATE lp_alert_events SET state = $1 WHERE event_key = $2")
            .bind(CLAIM_SENT)
            .bind(key)
            .execute(&app.db.pool)
            .await
            .map_err(db_error)?;
    }
    tracing::info!(scan = %scan_id, events = keys.len(), channels = channels.len(), "alerts sent");
    Ok(())
}

fn parse_report(stored: Option<String>) -> Result<Option<Report>, ServerError> {
    stored
        .map(|text| serde_json::from_str(&text).map_err(|e| ServerError::Internal(format!("stored report: {e}"))))
        .transpose()
}
