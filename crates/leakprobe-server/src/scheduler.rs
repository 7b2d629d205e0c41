//! Scheduled scans: inside `leakprobe serve` (never in `leakprobe worker`), once a second, every
//! target with a schedule whose latest due time has come gets a [`crate::jobs::ScanJob`] queued.
//!
//! A due time is a fact of the schedule, not of the process: `every_minutes: N` is due at each
//! multiple of N minutes since the Unix epoch, a cron expression (croner: five fields, or six with
//! seconds first) at its occurrences. Each (target, due time) acted on gets a row in
//! `lp_schedule_runs`, whose primary key lets one process win, so two `serve` processes on one
//! PostgreSQL never queue the same run twice. Only the latest due time counts (a server that was
//! down for a day runs one scan, not a day's worth), and only one at or after the target was last
//! saved (saving a target does not start a run of a slot already past). A target whose previous
//! scheduled scan is still queued or running is not queued again: the run's row says so in
//! `skipped`, and the log does.
//!
//! The loop is a tokio interval rather than apalis-cron: schedules are data that change while the
//! server runs (one per target, edited through the API), where apalis-cron runs one fixed schedule
//! per worker; and the cross-process guarantee has to come from the database either way.
use std::collections::HashMap;
use std::str::FromStr as _;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use sqlx::Row as _;

use crate::api::App;
use crate::db::{db_error, now};
use crate::scans::{QUEUED, RUNNING};
use crate::targets::Schedule;
use crate::{scans, scope, targets, ServerError};

/// How often schedules are read: the finest cron resolution is a second.
pub const TICK: Duration = Duration::from_secs(1);

/// Runs until the process ends; a failed round (the database away) is logged and retried at the
/// next tick.
pub async fn run(app: App) {
    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    // The due time last handled per target, so an unchanged slot costs no write per tick.
    let mut handled = HashMap::new();
    loop {
        interval.tick().await;
        if let Err(e) = round(&app, Utc::now(), &mut handled).await {
            tracing::warn!("scheduler: {e}");
        }
    }
}

/// The latest due time of `schedule` at or before `now`.
pub fn latest_due(schedule: &Schedule, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match (&schedule.every_minutes, &schedule.cron) {
        (Some(minutes), None) => {
            let period = i64::from(*minutes).max(1) * 60;
            DateTime::from_timestamp(now.timestamp().div_euclid(period) * period, 0)
        }
        // croner keeps the reference time's fraction of a second; due times must not vary with it.
        (None, Some(expr)) => croner::Cron::from_str(expr)
            .ok()?
            .find_previous_occurrence(&DateTime::from_timestamp(now.timestamp(), 0)?, true)
            .ok(),
        _ => None,
    }
}

fn text(at: DateTime<Utc>) -> String {
    humantime::format_rfc3339_millis(SystemTime::from(at)).to_string()
}

/// One pass over the scheduled targets; returns the scans it queued.
pub async fn round(
    app: &App,
    now: DateTime<Utc>,
    handled: &mut HashMap<String, String>,
) -> Result<Vec<String>, ServerError> {
    let rows = sqlx::query("SELECT id, schedule, updated_at FROM lp_targets WHERE schedule IS NOT NULL")
        .fetch_all(&app.db.pool)
        .await
        .map_err(db_error)?;
    let mut queued = Vec::new();
    for row in rows {
        let id: String = row.try_get("id").map_err(db_error)?;
        let schedule: Option<Schedule> =
            serde_json::from_str(&row.try_get::<String, _>("schedule").map_err(db_error)?).ok();
        let Some(due) = schedule.and_then(|s| latest_due(&s, now)).map(text) else {
            continue;
        };
        let updated_at: String = row.try_get("updated_at").map_err(db_error)?;
        if due < updated_at || handled.get(&id) == Some(&due) {
            continue;
        }
        if let Some(scan) = run_due(app, &id, &due).await? {
            queued.push(scan);
        }
        handled.insert(id, due);
    }
    Ok(queued)
}

/// Claims (target, due) and queues its scan, unless another process claimed it first or the
/// target's previous scheduled scan has not finished.
async fn run_due(app: &App, target_id: &str, due: &str) -> Result<Option<String>, ServerError> {
    let claimed = sqlx::query(
        "INSERT INTO lp_schedule_runs (target_id, due_at, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (target_id, due_at) DO NOTHING",
    )
    .bind(target_id)
    .bind(due)
    .bind(now())
    .execute(&app.db.pool)
    .await
    .map_err(db_error)?;
    if claimed.rows_affected() == 0 {
        return Ok(None);
    }
    let busy = sqlx::query(
        "SELECT s.id FROM lp_schedule_runs r JOIN lp_scans s ON s.id = r.scan_id \
         WHERE r.target_id = $1 AND s.status IN ($2, $3) LIMIT 1",
    )
    .bind(target_id)
    .bind(QUEUED)
    .bind(RUNNING)
    .fetch_optional(&app.db.pool)
    .await
    .map_err(db_error)?;
    let outcome = match busy {
        Some(row) => {
            let scan: String = row.try_get("id").map_err(db_error)?;
            Err(format!("the previous scheduled scan {scan} is still queued or running"))
        }
        None => queue(app, target_id).await,
    };
    let (scan, skipped) = match outcome {
        Ok(scan) => {
            tracing::info!(target_id = %target_id, due, scan = %scan, "scheduled scan queued");
            (Some(scan), None)
        }
        Err(why) => {
            tracing::info!(target_id = %target_id, due, "scheduled run skipped: {why}");
            (None, Some(why))
        }
    };
    sqlx::query("UPDATE lp_schedule_runs SET scan_id = $1, skipped = $2 WHERE target_id = $3 AND due_at = $4")
        .bind(&scan)
        .bind(&skipped)
        .bind(target_id)
        .bind(due)
        .execute(&app.db.pool)
        .await
        .map_err(db_error)?;
    Ok(scan)
}

/// The target's scan, checked against the allow-list as `POST /api/v1/scans` checks it (the list
/// may have changed since the target was saved).
async fn queue(app: &App, target_id: &str) -> Result<String, String> {
    let target = targets::load(app, target_id).await.map_err(|e| e.message().to_string())?;
    let request = target.request(app).map_err(|e| e.message().to_string())?;
    let scope = scope::current(app).await.map_err(|e| e.message().to_string())?;
    scope::config(&scope, &request).map_err(|e| e.message().to_string())?;
    scans::enqueue(app, Some(target_id), &target.base_url).await.map_err(|e| e.message().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("time").with_timezone(&Utc)
    }

    #[test]
    fn due_times_are_facts_of_the_schedule_not_of_the_clock_reading() {
        let every_15 = Schedule { every_minutes: Some(15), cron: None };
        assert_eq!(latest_due(&every_15, at("2026-12-06T18:44:59Z")), Some(at("2026-12-06T18:30:00Z")));
        assert_eq!(latest_due(&every_15, at("2026-12-06T18:45:00Z")), Some(at("2026-12-06T18:45:00Z")));
        let every_3s = Schedule { every_minutes: None, cron: Some("*/3 * * * * *".into()) };
        assert_eq!(latest_due(&every_3s, at("2026-12-06T18:44:59.500Z")), Some(at("2026-12-06T18:44:57Z")));
        let nightly = Schedule { every_minutes: None, cron: Some("0 3 * * *".into()) };
        assert_eq!(latest_due(&nightly, at("2026-12-06T02:00:00Z")), Some(at("2026-12-05T03:00:00Z")));
        assert_eq!(text(at("2026-12-06T18:45:00Z")), "2026-12-06T18:45:00.000Z");
    }
}
