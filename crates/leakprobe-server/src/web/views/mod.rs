//! The dashboard's read-only pages: the targets overview, a target's history, a scan (live while it
//! runs), a finding, and the diff of two scans. The handlers check no session: the web router
//! mounts [`routes`] behind its session layer.
//!
//! Everything shown comes from stored reports, which are the JSON contract with credentials masked
//! and evidence redacted by the engine; the pages escape it ([`esc`]) and never redact again.
//! Ids from the URL are bound SQL parameters.
mod finding;
mod scan;
mod target;

use axum::routing::get;
use axum::Router;
use leakprobe_engine::report::{Report, Severity};
use sqlx::any::AnyRow;
// Only constant column lists are formatted into SQL; every value is bound.
use sqlx::{AssertSqlSafe, Row as _};

use super::layout::{esc, PageError};
use crate::api::App;
use crate::db::db_error;

/// `GET` routes only; see the module's doc.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/targets", get(target::overview))
        .route("/targets/{id}", get(target::show))
        .route("/scans/{id}", get(scan::show))
        .route("/scans/{id}/report.json", get(scan::report_json))
        .route("/scans/{id}/report.sarif", get(scan::report_sarif))
        .route("/scans/{id}/report.html", get(scan::report_html))
        .route("/scans/{id}/report.md", get(scan::report_md))
        .route("/scans/{id}/report.xml", get(scan::report_xml))
        .route("/scans/{id}/findings/{finding_id}", get(finding::show))
        .route("/scans/{a}/diff/{b}", get(scan::diff))
}

/// A scan's row as the pages show it.
struct ScanRow {
    id: String,
    target_id: Option<String>,
    url: String,
    status: String,
    phase: Option<String>,
    requests: i64,
    budget: i64,
    score: Option<i64>,
    grade: Option<String>,
    findings: Option<i64>,
    error: Option<String>,
    created_at: String,
    finished_at: Option<String>,
}

const SCAN_COLUMNS: &str =
    "id, target_id, url, status, phase, requests, budget, score, grade, findings, error, created_at, finished_at";

impl ScanRow {
    fn from_row(row: &AnyRow) -> Result<ScanRow, PageError> {
        let s = |c: &str| row.try_get::<Option<String>, _>(c).map_err(db_error);
        let n = |c: &str| row.try_get::<Option<i64>, _>(c).map_err(db_error);
        Ok(ScanRow {
            id: s("id")?.unwrap_or_default(),
            target_id: s("target_id")?,
            url: s("url")?.unwrap_or_default(),
            status: s("status")?.unwrap_or_default(),
            phase: s("phase")?,
            requests: n("requests")?.unwrap_or_default(),
            budget: n("budget")?.unwrap_or_default(),
            score: n("score")?,
            grade: s("grade")?,
            findings: n("findings")?,
            error: s("error")?,
            created_at: s("created_at")?.unwrap_or_default(),
            finished_at: s("finished_at")?,
        })
    }

    async fn load(app: &App, id: &str) -> Result<ScanRow, PageError> {
        let row = sqlx::query(AssertSqlSafe(format!("SELECT {SCAN_COLUMNS} FROM lp_scans WHERE id = $1")))
            .bind(id)
            .fetch_optional(&app.db.pool)
            .await
            .map_err(db_error)?
            .ok_or_else(|| PageError::not_found(format!("no scan `{id}`")))?;
        ScanRow::from_row(&row)
    }

    /// A target's scans, newest first.
    async fn of_target(app: &App, target_id: &str, limit: i64) -> Result<Vec<ScanRow>, PageError> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {SCAN_COLUMNS} FROM lp_scans WHERE target_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
        )))
        .bind(target_id)
        .bind(limit)
        .fetch_all(&app.db.pool)
        .await
        .map_err(db_error)?
        .iter()
        .map(ScanRow::from_row)
        .collect()
    }

    fn is_done(&self) -> bool {
        self.status == crate::scans::DONE
    }
}

/// A target's name and base URL.
struct TargetRow {
    id: String,
    name: String,
    base_url: String,
}

impl TargetRow {
    async fn find(app: &App, id: &str) -> Result<Option<TargetRow>, PageError> {
        let row = sqlx::query("SELECT id, name, base_url FROM lp_targets WHERE id = $1")
            .bind(id)
            .fetch_optional(&app.db.pool)
            .await
            .map_err(db_error)?;
        row.map(|r| TargetRow::from_row(&r)).transpose()
    }

    fn from_row(row: &AnyRow) -> Result<TargetRow, PageError> {
        Ok(TargetRow {
            id: row.try_get("id").map_err(db_error)?,
            name: row.try_get("name").map_err(db_error)?,
            base_url: row.try_get("base_url").map_err(db_error)?,
        })
    }
}

/// The stored report of a finished scan (a 409 page while it runs).
async fn report(app: &App, id: &str) -> Result<Report, PageError> {
    Ok(crate::scans::report_of(app, id).await?)
}

/// `2026-12-06T18:17:31.123Z` → `2026-12-06 18:17 UTC`.
fn when(timestamp: &str) -> String {
    match (timestamp.get(..10), timestamp.get(11..16)) {
        (Some(day), Some(time)) => format!("{day} {time} UTC"),
        _ => timestamp.to_string(),
    }
}

/// The grade as a badge; `id` marks the page's headline grade.
fn grade_badge(grade: &str, id: Option<&str>) -> String {
    let id = id.map(|i| format!(" id=\"{}\"", esc(i))).unwrap_or_default();
    let class = match grade {
        "A" | "B" | "C" | "D" | "F" => grade,
        _ => "none",
    };
    format!("<span{id} class=\"grade g-{class}\">{}</span>", esc(grade))
}

fn severity_pill(severity: &str) -> String {
    let class = severity.parse::<Severity>().map(Severity::as_str).unwrap_or("info");
    format!("<span class=\"sev sev-{class}\">{}</span>", esc(severity))
}

fn status_tag(status: &str) -> String {
    format!("<span class=\"status status-{0}\">{0}</span>", esc(status))
}

/// Per-category bars of a report, in the report's category order.
fn category_bars(report: &Report) -> String {
    let bars: Vec<super::charts::Bar> = report
        .categories
        .iter()
        .map(|(category, c)| super::charts::Bar {
            label: category.to_string(),
            score: c.score,
            findings: c.findings.iter().filter(|f| f.is_active()).count(),
        })
        .collect();
    super::charts::category_bars(&bars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_badges() {
        assert_eq!(when("2026-12-06T18:17:31.123Z"), "2026-12-06 18:17 UTC");
        assert_eq!(when("x"), "x");
        assert_eq!(grade_badge("B", Some("grade")), "<span id=\"grade\" class=\"grade g-B\">B</span>");
        assert_eq!(grade_badge("<x>", None), "<span class=\"grade g-none\">&lt;x&gt;</span>");
        assert_eq!(severity_pill("bogus\""), "<span class=\"sev sev-info\">bogus&quot;</span>");
    }
}
