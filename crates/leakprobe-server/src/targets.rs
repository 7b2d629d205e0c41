//! Targets: what to scan and how. `POST/GET/PUT/DELETE /api/v1/targets[/{id}]`.
//!
//! Identity specs are the CLI's (`NAME=bearer:TOKEN`, `NAME=basic:USER:PASS`, …). They are checked,
//! sealed with [`SecretKey`](crate::secrets::SecretKey) and never returned: responses carry each
//! identity's name and kind only. A `PUT` without `identities` keeps the sealed ones.
use std::str::FromStr as _;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use leakprobe_engine::report::Category;
use leakprobe_engine::suppress::{Selector, Suppressions};
use leakprobe_mcp::store::ScanRequest;
use leakprobe_mcp::Settings;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::any::AnyRow;
// Only constant column lists and filters are formatted into SQL; every value is bound.
use sqlx::{AssertSqlSafe, Row as _};

use crate::alerting::{self, AlertsInput};
use crate::api::{json_body, ApiError, App};
use crate::db::{db_error, new_id, now};
use crate::scope;
use crate::secrets::KEY_VAR;

/// The scan settings of the CLI a target may set; `active` only on a server started with
/// `--allow-active`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_requests: Option<usize>,
    /// `90s`, `5m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_limit: Option<String>,
    #[serde(default)]
    pub active: bool,
}

/// Exactly one of the two. Stored and validated; the scheduler that runs them reads this field.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every_minutes: Option<u32>,
    /// Five fields (`*/15 * * * *`), or six with seconds first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
}

/// Longest interval `every_minutes` takes: a week.
const MAX_EVERY_MINUTES: u32 = 7 * 24 * 60;

impl Schedule {
    fn validate(&self) -> Result<(), ApiError> {
        match (&self.every_minutes, &self.cron) {
            (Some(m), None) if (1..=MAX_EVERY_MINUTES).contains(m) => Ok(()),
            (Some(_), None) => {
                Err(ApiError::bad_request(format!("schedule.every_minutes must be 1 to {MAX_EVERY_MINUTES}")))
            }
            (None, Some(expr)) => croner::Cron::from_str(expr)
                .map(|_| ())
                .map_err(|e| ApiError::bad_request(format!("schedule.cron `{expr}` is not a cron expression: {e}"))),
            _ => Err(ApiError::bad_request("schedule needs exactly one of `every_minutes` and `cron`")),
        }
    }
}

/// A finding the team accepted, by the same selectors as `[[suppression]]` in leakprobe.toml; the
/// worker applies them to every scan of the target ([`leakprobe_engine::suppress`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suppression {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    pub reason: String,
}

impl Suppression {
    fn selector(&self) -> Selector {
        Selector {
            id: self.id.clone(),
            check: self.check.clone(),
            category: self.category,
            endpoint: self.endpoint.clone(),
            reason: self.reason.clone(),
            expires: None,
        }
    }
}

/// The suppressions as the engine applies them; `suppressions[i] …` names a bad one.
pub fn suppressions(list: &[Suppression]) -> Result<Suppressions, ApiError> {
    Suppressions::new(list.iter().map(Suppression::selector).collect())
        .map_err(|(i, e)| ApiError::bad_request(format!("suppressions[{i}] {e}")))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetInput {
    pub name: String,
    pub base_url: String,
    /// A URL on the target's origin; the server reads no files.
    #[serde(default)]
    pub spec: Option<String>,
    #[serde(default)]
    pub identities: Option<Vec<String>>,
    #[serde(default)]
    pub settings: ScanSettings,
    #[serde(default)]
    pub schedule: Option<Schedule>,
    #[serde(default)]
    pub suppressions: Vec<Suppression>,
    /// Alert rules and channels; on `PUT`, absent keeps the saved ones.
    #[serde(default)]
    pub alerts: Option<AlertsInput>,
}

/// What may be shown of an identity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdentityView {
    pub name: String,
    pub kind: String,
}

/// A stored target, as the worker needs it (identity specs still sealed).
pub struct StoredTarget {
    pub id: String,
    pub base_url: String,
    pub spec: Option<String>,
    pub identities_sealed: Option<String>,
    pub settings: ScanSettings,
    pub suppressions: Vec<Suppression>,
}

impl StoredTarget {
    /// The scan this target asks for, with its identities opened.
    pub fn request(&self, app: &App) -> Result<ScanRequest, ApiError> {
        let identities = match &self.identities_sealed {
            None => Vec::new(),
            Some(sealed) => {
                let key = app.key.as_ref().ok_or_else(|| {
                    ApiError::internal(format!("the target has identities but {KEY_VAR} is not set in this process"))
                })?;
                serde_json::from_slice(&key.open(sealed, &self.id)?)
                    .map_err(|_| ApiError::internal("the target's sealed identities are not a list"))?
            }
        };
        Ok(ScanRequest {
            url: self.base_url.clone(),
            spec: self.spec.clone(),
            identities,
            active: self.settings.active,
            max_requests: self.settings.max_requests,
            time_limit: self.settings.time_limit.clone(),
        })
    }
}

pub async fn load(app: &App, id: &str) -> Result<StoredTarget, ApiError> {
    let row = sqlx::query(
        "SELECT id, base_url, spec, identities_sealed, settings, suppressions FROM lp_targets WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&app.db.pool)
    .await
    .map_err(db_error)?
    .ok_or_else(|| ApiError::not_found(format!("no target `{id}`")))?;
    Ok(StoredTarget {
        id: row.try_get("id").map_err(db_error)?,
        base_url: row.try_get("base_url").map_err(db_error)?,
        spec: row.try_get("spec").map_err(db_error)?,
        identities_sealed: row.try_get("identities_sealed").map_err(db_error)?,
        settings: serde_json::from_str(&row.try_get::<String, _>("settings").map_err(db_error)?).unwrap_or_default(),
        suppressions: serde_json::from_str(&row.try_get::<String, _>("suppressions").map_err(db_error)?)
            .map_err(|e| ApiError::internal(format!("the target's stored suppressions: {e}")))?,
    })
}

/// Everything the input says, checked the way a scan would check it, before anything is stored.
fn validate(scope: &Settings, input: &TargetInput, identities: &[String]) -> Result<(), ApiError> {
    if input.name.trim().is_empty() || input.name.len() > 200 {
        return Err(ApiError::bad_request("`name` must be 1 to 200 characters"));
    }
    scope::check(scope, &input.base_url)?;
    if let Some(spec) = &input.spec {
        if !(spec.starts_with("http://") || spec.starts_with("https://")) {
            return Err(ApiError::bad_request(
                "`spec` must be a URL on the target's origin (the server reads no files)",
            ));
        }
    }
    for spec in identities {
        // `${VAR}` would read this server's environment (its secret key included) into a request.
        if spec.contains("${") {
            let name = spec.split('=').next().unwrap_or_default();
            return Err(ApiError::bad_request(format!(
                "identities: `{name}=…` uses ${{…}}; the server does not expand environment variables, give the value"
            )));
        }
    }
    if let Some(schedule) = &input.schedule {
        schedule.validate()?;
    }
    suppressions(&input.suppressions)?;
    let request = ScanRequest {
        url: input.base_url.clone(),
        spec: input.spec.clone(),
        identities: identities.to_vec(),
        active: input.settings.active,
        max_requests: input.settings.max_requests,
        time_limit: input.settings.time_limit.clone(),
    };
    scope::config(scope, &request).map(|_| ())
}

fn identity_views(identities: &[String]) -> Vec<IdentityView> {
    identities
        .iter()
        .map(|spec| {
            let (name, rest) = spec.split_once('=').unwrap_or((spec, ""));
            IdentityView { name: name.to_string(), kind: rest.split(':').next().unwrap_or_default().to_string() }
        })
        .collect()
}

fn view(row: &AnyRow) -> Result<Value, ApiError> {
    let text = |col: &str| row.try_get::<String, _>(col).map_err(db_error);
    let parse = |col: &str| -> Result<Value, ApiError> {
        Ok(match row.try_get::<Option<String>, _>(col).map_err(db_error)? {
            Some(s) => serde_json::from_str(&s).unwrap_or(Value::Null),
            None => Value::Null,
        })
    };
    Ok(json!({
        "id": text("id")?,
        "name": text("name")?,
        "base_url": text("base_url")?,
        "spec": row.try_get::<Option<String>, _>("spec").map_err(db_error)?,
        "identities": parse("identities")?,
        "settings": parse("settings")?,
        "schedule": parse("schedule")?,
        "suppressions": parse("suppressions")?,
        "alerts": alerting::view_of(&text("alert_rules")?, &text("alert_channels")?)?,
        "created_at": text("created_at")?,
        "updated_at": text("updated_at")?,
    }))
}

const COLUMNS: &str =
    "id, name, base_url, spec, identities, settings, schedule, suppressions, alert_rules, alert_channels, created_at, updated_at";

pub(crate) async fn fetch_view(app: &App, id: &str) -> Result<Value, ApiError> {
    let row = sqlx::query(AssertSqlSafe(format!("SELECT {COLUMNS} FROM lp_targets WHERE id = $1")))
        .bind(id)
        .fetch_optional(&app.db.pool)
        .await
        .map_err(db_error)?
        .ok_or_else(|| ApiError::not_found(format!("no target `{id}`")))?;
    view(&row)
}

fn seal(app: &App, id: &str, identities: &[String]) -> Result<Option<String>, ApiError> {
    if identities.is_empty() {
        return Ok(None);
    }
    let key = app.key.as_ref().ok_or_else(|| {
        ApiError::bad_request(format!(
            "identities need {KEY_VAR} (32 bytes, hex or base64) in the server's environment: they are stored encrypted"
        ))
    })?;
    let plain = serde_json::to_vec(identities).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Some(key.seal(&plain, id)?))
}

fn to_text<T: Serialize>(value: &T) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(|e| ApiError::internal(e.to_string()))
}

pub async fn create(
    State(app): State<App>,
    body: Result<Json<TargetInput>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let input = json_body(body)?;
    let identities = input.identities.clone().unwrap_or_default();
    validate(&scope::current(&app).await?, &input, &identities)?;
    let id = new_id();
    let alerts = match input.alerts.clone() {
        Some(alerts) => Some(alerting::prepare(&app, &id, alerts, false).await?),
        None => None,
    };
    let at = now();
    sqlx::query(
        "INSERT INTO lp_targets (id, name, base_url, spec, identities, identities_sealed, settings, schedule, suppressions, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&id)
    .bind(input.name.trim())
    .bind(&input.base_url)
    .bind(&input.spec)
    .bind(to_text(&identity_views(&identities))?)
    .bind(seal(&app, &id, &identities)?)
    .bind(to_text(&input.settings)?)
    .bind(input.schedule.as_ref().map(to_text).transpose()?)
    .bind(to_text(&input.suppressions)?)
    .bind(&at)
    .bind(&at)
    .execute(&app.db.pool)
    .await
    .map_err(db_error)?;
    if let Some(alerts) = alerts {
        alerting::store(&app, &id, alerts).await?;
    }
    Ok((StatusCode::CREATED, Json(fetch_view(&app, &id).await?)))
}

pub async fn update(
    State(app): State<App>,
    Path(id): Path<String>,
    body: Result<Json<TargetInput>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let input = json_body(body)?;
    let stored = load(&app, &id).await?;
    let alerts = match input.alerts.clone() {
        Some(alerts) => Some(alerting::prepare(&app, &id, alerts, true).await?),
        None => None,
    };
    let result = match &input.identities {
        Some(identities) => {
            validate(&scope::current(&app).await?, &input, identities)?;
            sqlx::query("UPDATE lp_targets SET identities = $1, identities_sealed = $2 WHERE id = $3")
                .bind(to_text(&identity_views(identities))?)
                .bind(seal(&app, &id, identities)?)
                .bind(&id)
                .execute(&app.db.pool)
                .await
        }
        None => {
            // The saved identities are checked again with the new URL and settings.
            let kept = stored.request(&app)?.identities;
            validate(&scope::current(&app).await?, &input, &kept)?;
            Ok(Default::default())
        }
    };
    result.map_err(db_error)?;
    sqlx::query(
        "UPDATE lp_targets SET name = $1, base_url = $2, spec = $3, settings = $4, schedule = $5, suppressions = $6, updated_at = $7 \
         WHERE id = $8",
    )
    .bind(input.name.trim())
    .bind(&input.base_url)
    .bind(&input.spec)
    .bind(to_text(&input.settings)?)
    .bind(input.schedule.as_ref().map(to_text).transpose()?)
    .bind(to_text(&input.suppressions)?)
    .bind(now())
    .bind(&id)
    .execute(&app.db.pool)
    .await
    .map_err(db_error)?;
    if let Some(alerts) = alerts {
        alerting::store(&app, &id, alerts).await?;
    }
    Ok(Json(fetch_view(&app, &id).await?))
}

pub async fn get(State(app): State<App>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(fetch_view(&app, &id).await?))
}

pub async fn list(State(app): State<App>) -> Result<Json<Value>, ApiError> {
    let rows = sqlx::query(AssertSqlSafe(format!("SELECT {COLUMNS} FROM lp_targets ORDER BY created_at, id")))
        .fetch_all(&app.db.pool)
        .await
        .map_err(db_error)?;
    let targets = rows.iter().map(view).collect::<Result<Vec<_>, _>>()?;
    Ok(Json(json!({ "targets": targets })))
}

/// The target goes; its scans stay in the history (their `target_id` then names no target).
pub async fn delete(State(app): State<App>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    let done =
        sqlx::query("DELETE FROM lp_targets WHERE id = $1").bind(&id).execute(&app.db.pool).await.map_err(db_error)?;
    if done.rows_affected() == 0 {
        return Err(ApiError::not_found(format!("no target `{id}`")));
    }
    Ok(StatusCode::NO_CONTENT)
}
