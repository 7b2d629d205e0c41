//! `GET /targets` (every target at a glance) and `GET /targets/{id}` (its history).
use std::fmt::Write as _;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sqlx::Row as _;

use super::{category_bars, grade_badge, report, status_tag, when, ScanRow, TargetRow};
use crate::api::App;
use crate::db::db_error;
use crate::web::charts::{self, Point};
use crate::web::layout::{esc, page, Nav, PageError};

/// Scans the overview's sparkline draws.
const SPARK_SCANS: i64 = 20;
/// Scans a target's page lists and charts.
const PAGE_SCANS: i64 = 200;

/// Every target: grade, score trend, last scan, open critical and high findings.
pub async fn overview(State(app): State<App>) -> Result<Response, PageError> {
    let rows = sqlx::query("SELECT id, name, base_url FROM lp_targets ORDER BY name, id")
        .fetch_all(&app.db.pool)
        .await
        .map_err(db_error)?;
    let targets = rows.iter().map(TargetRow::from_row).collect::<Result<Vec<_>, _>>()?;
    let mut body = String::from(
        "<header class=\"heading\"><h1>Targets</h1><a class=\"button\" href=\"/targets/new\">Add a target</a></header>",
    );
    if targets.is_empty() {
        body.push_str(
            "<section class=\"card empty-state\"><p>No targets yet.</p><p><a href=\"/targets/new\">Add a target</a> \
             to keep its scan history and watch it on a schedule, or paste a URL on \
             <a href=\"/\">the scan page</a> for a one-off scan.</p></section>",
        );
        return Ok(page("Targets", Nav::Targets, None, &body));
    }
    body.push_str(
        "<table id=\"targets\"><thead><tr><th>Target</th><th>Grade</th><th>Trend</th><th>Last scan</th>\
         <th class=\"num\">Open critical</th><th class=\"num\">Open high</th></tr></thead><tbody>",
    );
    for target in &targets {
        let scans = ScanRow::of_target(&app, &target.id, SPARK_SCANS).await?;
        let latest_done = scans.iter().find(|s| s.is_done());
        let mut trend: Vec<u32> = scans.iter().filter_map(|s| s.score).map(clamp_score).collect();
        trend.reverse();
        let (critical, high) = match latest_done {
            Some(scan) => open_counts(&app, &scan.id).await?,
            None => (0, 0),
        };
        let grade = latest_done.and_then(|s| s.grade.as_deref()).map(|g| grade_badge(g, None)).unwrap_or_default();
        let last = scans
            .first()
            .map(|s| {
                format!(
                    "<a href=\"/scans/{}\">{}</a> {}",
                    esc(&s.id),
                    esc(&when(s.finished_at.as_deref().unwrap_or(&s.created_at))),
                    status_tag(&s.status)
                )
            })
            .unwrap_or_else(|| "<span class=\"meta\">never scanned</span>".into());
        let _ = write!(
            body,
            "<tr class=\"target\"><td><a href=\"/targets/{id}\">{name}</a><div class=\"meta\">{url}</div></td>\
             <td>{grade}</td><td>{spark}</td><td>{last}</td><td class=\"num{crit_class}\">{critical}</td>\
             <td class=\"num\">{high}</td></tr>",
            id = esc(&target.id),
            name = esc(&target.name),
            url = esc(&target.base_url),
            spark = charts::sparkline(&trend, &format!("Score of the last {} scans of {}", trend.len(), target.name)),
            crit_class = if critical > 0 { " alarm" } else { "" },
        );
    }
    body.push_str("</tbody></table>");
    Ok(page("Targets", Nav::Targets, None, &body))
}

fn clamp_score(score: i64) -> u32 {
    u32::try_from(score.clamp(0, 100)).unwrap_or_default()
}

/// Critical and high findings of a scan that count (not suppressed).
async fn open_counts(app: &App, scan_id: &str) -> Result<(i64, i64), PageError> {
    let rows = sqlx::query(
        "SELECT severity, COUNT(*) AS n FROM lp_findings WHERE scan_id = $1 AND suppressed = 0 GROUP BY severity",
    )
    .bind(scan_id)
    .fetch_all(&app.db.pool)
    .await
    .map_err(db_error)?;
    let (mut critical, mut high) = (0, 0);
    for row in rows {
        let severity: String = row.try_get("severity").map_err(db_error)?;
        let n: i64 = row.try_get("n").map_err(db_error)?;
        match severity.as_str() {
            "critical" => critical = n,
            "high" => high = n,
            _ => {}
        }
    }
    Ok((critical, high))
}

/// The compare form's choice: `old` and `new` scan ids.
#[derive(Debug, Deserialize)]
pub struct Compare {
    #[serde(default)]
    old: Option<String>,
    #[serde(default)]
    new: Option<String>,
}

/// Score history, the last scan's categories, and every scan with a form to compare two of them
/// (a GET form: it lands here with `?old=…&new=…` and is sent on to the diff page).
pub async fn show(
    State(app): State<App>,
    Path(id): Path<String>,
    compare: Result<Query<Compare>, QueryRejection>,
) -> Result<Response, PageError> {
    let Query(compare) = compare.map_err(|e| PageError::new(StatusCode::BAD_REQUEST, e.body_text()))?;
    let app = &app;
    let id = id.as_str();
    let target = TargetRow::find(app, id).await?.ok_or_else(|| PageError::not_found(format!("no target `{id}`")))?;
    if let (Some(old), Some(new)) = (compare.old.as_deref(), compare.new.as_deref()) {
        let plain = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric());
        if !plain(old) || !plain(new) {
            return Err(PageError::new(StatusCode::BAD_REQUEST, "pick two scans to compare"));
        }
        return Ok((StatusCode::SEE_OTHER, [(header::LOCATION, format!("/scans/{old}/diff/{new}"))]).into_response());
    }
    let scans = ScanRow::of_target(app, &target.id, PAGE_SCANS).await?;
    let done: Vec<&ScanRow> = scans.iter().filter(|s| s.is_done()).collect();
    let mut body = format!(
        "<header class=\"heading\"><div><h1>{name}</h1><p class=\"meta\">{url}</p></div>{grade}\
         <a class=\"button\" href=\"/targets/{id}/edit\">Edit</a></header>",
        name = esc(&target.name),
        url = esc(&target.base_url),
        id = esc(&target.id),
        grade =
            done.first().and_then(|s| s.grade.as_deref()).map(|g| grade_badge(g, Some("grade"))).unwrap_or_default(),
    );

    let points: Vec<Point> = done
        .iter()
        .rev()
        .filter_map(|s| {
            s.score.map(|score| Point {
                score: clamp_score(score),
                label: when(s.finished_at.as_deref().unwrap_or(&s.created_at)),
                href: format!("/scans/{}", s.id),
            })
        })
        .collect();
    let _ = write!(
        body,
        "<h2>Score history</h2><section class=\"card chart\">{}</section>",
        charts::history(&points, &format!("Score history of {}", target.name))
    );

    if let Some(latest) = done.first() {
        let report = report(app, &latest.id).await?;
        let _ = write!(
            body,
            "<h2>Categories <span class=\"meta\">in the <a href=\"/scans/{}\">last scan</a></span></h2>\
             <section class=\"card\">{}</section>",
            esc(&latest.id),
            category_bars(&report)
        );
    }

    body.push_str("<h2>Scans</h2>");
    if scans.is_empty() {
        body.push_str("<section class=\"card empty-state\"><p>This target has not been scanned yet.</p></section>");
        return Ok(page(&target.name, Nav::Targets, None, &body));
    }
    let _ = write!(
        body,
        "<form method=\"get\" action=\"/targets/{}\" id=\"compare\"><table id=\"scans\"><thead><tr><th>Time</th>\
         <th>Status</th><th>Grade</th><th class=\"num\">Score</th><th class=\"num\">Findings</th>\
         <th>Old</th><th>New</th></tr></thead><tbody>",
        esc(&target.id)
    );
    // The two newest finished scans are picked by default: "what changed last time".
    let default_new = done.first().map(|s| s.id.as_str());
    let default_old = done.get(1).map(|s| s.id.as_str());
    for scan in &scans {
        let radio = |name: &str, checked: bool| {
            if scan.is_done() {
                format!(
                    "<input type=\"radio\" name=\"{name}\" value=\"{}\" aria-label=\"{name}: {}\"{}>",
                    esc(&scan.id),
                    esc(&when(&scan.created_at)),
                    if checked { " checked" } else { "" }
                )
            } else {
                String::new()
            }
        };
        let _ = write!(
            body,
            "<tr class=\"scan\"><td><a href=\"/scans/{id}\">{time}</a></td><td>{status}</td><td>{grade}</td>\
             <td class=\"num\">{score}</td><td class=\"num\">{findings}</td><td>{old}</td><td>{new}</td></tr>",
            id = esc(&scan.id),
            time = esc(&when(&scan.created_at)),
            status = status_tag(&scan.status),
            grade = scan.grade.as_deref().map(|g| grade_badge(g, None)).unwrap_or_default(),
            score = scan.score.map(|s| s.to_string()).unwrap_or_default(),
            findings = scan.findings.map(|s| s.to_string()).unwrap_or_default(),
            old = radio("old", default_old == Some(scan.id.as_str())),
            new = radio("new", default_new == Some(scan.id.as_str())),
        );
    }
    body.push_str("</tbody></table>");
    if done.len() >= 2 {
        body.push_str("<p><button type=\"submit\">Compare the two scans</button></p>");
    }
    body.push_str("</form>");
    Ok(page(&target.name, Nav::Targets, None, &body))
}
