//! Scans: queued as jobs, run by workers, stored whole. `POST/GET /api/v1/scans`,
//! `GET /api/v1/scans/{id}[/events|/report.FORMAT|/diff/{other}]`.
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::Stream;
use leakprobe_engine::report::Report;
use leakprobe_mcp::store::ScanRequest;
use leakprobe_render::Format;
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::any::AnyRow;
// Only constant column lists and filters are formatted into SQL; every value is bound.
use sqlx::{AssertSqlSafe, Row as _};

use crate::api::{json_body, ApiError, App};
use crate::db::{db_error, new_id, now};
use crate::jobs::ScanJob;
use crate::{scope, targets};

pub const QUEUED: &str = "queued";
pub const RUNNING: &str = "running";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanInput {
    #[serde(default)]
    pub target_id: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
}

pub async fn create(
    State(app): State<App>,
    body: Result<Json<ScanInput>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let id = queue(&app, json_body(body)?).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "id": id, "status": QUEUED }))))
}

/// Checks the scan against the allow-list (as it is now, the settings page's hosts included) and
/// queues it; a refused scan is neither stored nor sent anywhere. The API and the dashboard both
/// start scans here.
pub async fn queue(app: &App, input: ScanInput) -> Result<String, ApiError> {
    let scope = scope::current(app).await?;
    let (target_id, url) = match (input.target_id, input.url) {
        (Some(id), None) => {
            let target = targets::load(app, &id).await?;
            // The allow-list may have changed since the target was saved.
            scope::config(&scope, &target.request(app)?)?;
            (Some(id), target.base_url)
        }
        (None, Some(url)) => {
            scope::config(&scope, &ScanRequest { url: url.clone(), ..ScanRequest::default() })?;
            (None, url)
        }
        _ => return Err(ApiError::bad_request("give exactly one of `target_id` and `url`")),
    };
    enqueue(app, target_id.as_deref(), &url).await
}

/// A scan's row and its job (the API's and the scheduler's way in); the row goes again if the
/// queue refuses the job.
pub async fn enqueue(app: &App, target_id: Option<&str>, url: &str) -> Result<String, ApiError> {
    let id = new_id();
    sqlx::query("INSERT INTO lp_scans (id, target_id, url, status, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&id)
        .bind(target_id)
        .bind(url)
        .bind(QUEUED)
        .bind(now())
        .execute(&app.db.pool)
        .await
        .map_err(db_error)?;
    if let Err(e) = app.queue.push(ScanJob { scan_id: id.clone() }).await {
        let _ = sqlx::query("DELETE FROM lp_scans WHERE id = $1").bind(&id).execute(&app.db.pool).await;
        return Err(e.into());
    }
    Ok(id)
}

const SUMMARY: &str =
    "id, target_id, url, status, phase, requests, budget, attempts, score, grade, findings, error, created_at, started_at, finished_at";

fn summary(row: &AnyRow) -> Result<Value, ApiError> {
    let s = |c: &str| row.try_get::<Option<String>, _>(c).map_err(db_error);
    let n = |c: &str| row.try_get::<Option<i64>, _>(c).map_err(db_error);
    Ok(json!({
        "id": s("id")?, "target_id": s("target_id")?, "url": s("url")?, "status": s("status")?,
        "phase": s("phase")?, "requests": n("requests")?, "budget": n("budget")?, "attempts": n("attempts")?,
        "score": n("score")?, "grade": s("grade")?, "findings": n("findings")?, "error": s("error")?,
        "created_at": s("created_at")?, "started_at": s("started_at")?, "finished_at": s("finished_at")?,
    }))
}

async fn row(app: &App, id: &str, columns: &str) -> Result<AnyRow, ApiError> {
    sqlx::query(AssertSqlSafe(format!("SELECT {columns} FROM lp_scans WHERE id = $1")))
        .bind(id)
        .fetch_optional(&app.db.pool)
        .await
        .map_err(db_error)?
        .ok_or_else(|| ApiError::not_found(format!("no scan `{id}`")))
}

/// The scan's status, and its whole report once done.
pub async fn get(State(app): State<App>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let row = row(&app, &id, &format!("{SUMMARY}, report")).await?;
    let mut out = summary(&row)?;
    if let Some(report) = row.try_get::<Option<String>, _>("report").map_err(db_error)? {
        out["report"] = serde_json::from_str(&report).map_err(|e| ApiError::internal(format!("stored report: {e}")))?;
    }
    Ok(Json(out))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub target: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

const MAX_LIMIT: u32 = 500;

/// Newest first; `target` filters by target id.
pub async fn list(
    State(app): State<App>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let limit = q.limit.unwrap_or(50).clamp(1, MAX_LIMIT);
    let offset = q.offset.unwrap_or(0);
    // `$1 IS NULL` needs a typed NULL on PostgreSQL; an empty string means "every target" instead.
    let target = q.target.unwrap_or_default();
    let filter = "($1 = '' OR target_id = $1)";
    let total: i64 = sqlx::query(AssertSqlSafe(format!("SELECT COUNT(*) AS n FROM lp_scans WHERE {filter}")))
        .bind(&target)
        .fetch_one(&app.db.pool)
        .await
        .and_then(|r| r.try_get("n"))
        .map_err(db_error)?;
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {SUMMARY} FROM lp_scans WHERE {filter} ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"
    )))
    .bind(&target)
    .bind(i64::from(limit))
    .bind(i64::from(offset))
    .fetch_all(&app.db.pool)
    .await
    .map_err(db_error)?;
    let scans = rows.iter().map(summary).collect::<Result<Vec<_>, _>>()?;
    Ok(Json(json!({ "scans": scans, "total": total, "limit": limit, "offset": offset })))
}

/// The stored report of a finished scan.
pub(crate) async fn report_of(app: &App, id: &str) -> Result<Report, ApiError> {
    let row = row(app, id, "status, report").await?;
    let status: String = row.try_get("status").map_err(db_error)?;
    let report: Option<String> = row.try_get("report").map_err(db_error)?;
    match report {
        Some(text) => serde_json::from_str(&text).map_err(|e| ApiError::internal(format!("stored report: {e}"))),
        None => Err(ApiError::conflict(format!("scan `{id}` is {status}: it has no report"))),
    }
}

/// `report.json`, `report.sarif`, `report.html`, `report.md`, `report.xml` (JUnit).
pub async fn report(State(app): State<App>, Path((id, file)): Path<(String, String)>) -> Result<Response, ApiError> {
    let (format, content_type) = match file.as_str() {
        "report.json" => (Format::Json, "application/json"),
        "report.sarif" => (Format::Sarif, "application/sarif+json"),
        "report.html" => (Format::Html, "text/html; charset=utf-8"),
        "report.md" => (Format::Markdown, "text/markdown; charset=utf-8"),
        "report.xml" => (Format::Junit, "application/xml"),
        _ => return Err(ApiError::not_found("no such report: report.json, .sarif, .html, .md or .xml")),
    };
    let report = report_of(&app, &id).await?;
    let body = leakprobe_render::render(&report, format);
    let mut response = ([(header::CONTENT_TYPE, content_type)], body).into_response();
    if format == Format::Html {
        // The page is self-contained: its own inline style and script, nothing from elsewhere.
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            header::HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'",
            ),
        );
    }
    Ok(response)
}

/// What appeared, disappeared and changed from scan `id` to scan `other` (the CLI's `diff`).
pub async fn diff(State(app): State<App>, Path((id, other)): Path<(String, String)>) -> Result<Json<Value>, ApiError> {
    let old = report_of(&app, &id).await?;
    let new = report_of(&app, &other).await?;
    let d = leakprobe_engine::compare::diff(&old, &new);
    serde_json::to_value(&d).map(Json).map_err(|e| ApiError::internal(e.to_string()))
}

/// How often the event stream looks at the scan's row. Progress is written to the database by
/// whichever worker runs the scan, in this process or another.
const EVENT_POLL: Duration = Duration::from_millis(250);

/// Server-sent events: `progress` (status, phase, requests sent, budget) whenever it changes, then
/// one `done` or `failed` with the score, grade and number of findings, and the stream ends.
pub async fn events(
    State(app): State<App>,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    row(&app, &id, "id").await?;
    let stream = futures::stream::unfold((app, id, None::<Value>, false), |(app, id, last, finished)| async move {
        if finished {
            return None;
        }
        loop {
            let current = match row(&app, &id, SUMMARY).await.and_then(|r| summary(&r)) {
                Ok(v) => v,
                Err(e) => {
                    let event = Event::default().event("error").data(json!({ "error": e.message() }).to_string());
                    return Some((Ok(event), (app, id, last, true)));
                }
            };
            let status = current["status"].as_str().unwrap_or_default().to_string();
            if status == DONE || status == FAILED {
                let event = Event::default().event(status).data(current.to_string());
                return Some((Ok(event), (app, id, Some(current), true)));
            }
            if last.as_ref() != Some(&current) {
                let event = Event::default().event("progress").data(current.to_string());
                return Some((Ok(event), (app, id, Some(current), false)));
            }
            tokio::time::sleep(EVENT_POLL).await;
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
