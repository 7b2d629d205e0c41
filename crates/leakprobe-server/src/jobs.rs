//! Scans as durable jobs on the database, run by apalis workers (apalis-sqlite or apalis-postgres).
//!
//! The queue holds only `{"scan_id": …}`; the scan's row in `lp_scans` holds everything else. A
//! worker heartbeats; when one dies mid-scan, another worker (or the same one restarted) puts its
//! job back in the queue once `missed_heartbeats × heartbeat` has passed, and the scan runs again
//! from the start. A job may thus start twice but completes once: the report is stored in one
//! transaction that only a scan not yet done can pass, and a job whose scan is already finished
//! (the worker died between storing and acknowledging) returns at once.
use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::{BoxDynError, Data, TaskBuilder, TaskSink, WorkerBuilder, WorkerBuilderExt};
use apalis_postgres::PostgresStorage;
use apalis_sqlite::SqliteStorage;
use leakprobe_engine::report::Report;
use leakprobe_engine::suppress::Suppressions;
use leakprobe_engine::Progress;
use leakprobe_mcp::Settings;
use leakprobe_render::Format;
use serde::{Deserialize, Serialize};
use sqlx::Row as _;
use tokio::sync::mpsc;

use crate::api::{ApiError, App};
use crate::db::{db_error, now, Db, QueuePool};
use crate::scans::{DONE, FAILED, RUNNING};
use crate::secrets::SecretKey;
use crate::{alerting, scope, targets, ServerError};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanJob {
    pub scan_id: String,
}

/// Attempts per job: the first run plus retries after a worker died or the database failed.
const MAX_ATTEMPTS: usize = 5;
/// Heartbeats a worker may miss before its jobs count as abandoned.
const MISSED_HEARTBEATS: usize = 2;
const QUEUE_NAME: &str = "leakprobe::scan";

#[derive(Clone)]
pub enum Queue {
    Sqlite(SqliteStorage<ScanJob>),
    Postgres(PostgresStorage<ScanJob>),
}

impl Queue {
    pub fn new(db: &Db, heartbeat: Duration) -> Queue {
        match &db.queue {
            QueuePool::Sqlite(pool) => Queue::Sqlite(
                SqliteStorage::new(pool).with_config(
                    apalis_sqlite::Config::default()
                        .queue(QUEUE_NAME)
                        .batch_size(1)
                        .heartbeat_interval(heartbeat)
                        .missed_heartbeats(MISSED_HEARTBEATS),
                ),
            ),
            QueuePool::Postgres(pool) => Queue::Postgres(
                PostgresStorage::new(pool).with_config(
                    apalis_postgres::Config::default()
                        .queue(QUEUE_NAME)
                        .batch_size(1)
                        .heartbeat_interval(heartbeat)
                        .missed_heartbeats(MISSED_HEARTBEATS),
                ),
            ),
        }
    }

    pub async fn push(&self, job: ScanJob) -> Result<(), ServerError> {
        let task = TaskBuilder::new(job).max_attempts(MAX_ATTEMPTS).build();
        let result = match self {
            Queue::Sqlite(s) => s.clone().push_task(task).await.map_err(|e| e.to_string()),
            Queue::Postgres(s) => s.clone().push_task(task).await.map_err(|e| e.to_string()),
        };
        result.map_err(|e| ServerError::Queue(format!("cannot queue the scan: {e}")))
    }

    /// Runs `count` workers, one scan at a time each, until the process ends.
    pub async fn work(self, app: App, count: usize, name: &str) -> Result<(), ServerError> {
        let workers = (0..count.max(1)).map(|i| {
            let worker_name = format!("{name}-{i}");
            let app = app.clone();
            let queue = self.clone();
            async move {
                let result = match queue {
                    Queue::Sqlite(s) => {
                        WorkerBuilder::new(worker_name).backend(s).data(app).concurrency(1).build(run_job).run().await
                    }
                    Queue::Postgres(s) => {
                        WorkerBuilder::new(worker_name).backend(s).data(app).concurrency(1).build(run_job).run().await
                    }
                };
                result.map_err(|e| ServerError::Queue(format!("worker stopped: {e}")))
            }
        });
        futures::future::try_join_all(workers).await.map(|_| ())
    }
}

async fn run_job(job: ScanJob, app: Data<App>) -> Result<(), BoxDynError> {
    run_scan(&app, &job.scan_id).await.map_err(|e| {
        tracing::error!(scan = %job.scan_id, "scan job failed, the queue will retry it: {e}");
        Box::new(e) as BoxDynError
    })?;
    // Also when the scan was stored by an earlier run of this job whose worker died before
    // alerting: events are claimed by key, so what was sent is not sent again.
    if let Err(e) = alerting::on_scan_finished(&app, &job.scan_id).await {
        tracing::error!(scan = %job.scan_id, "alerts not sent: {e}");
    }
    Ok(())
}

/// One scan from its row to its stored report. An error here is the job's (the database went
/// away): the queue retries it. A scan that fails (refused, unreachable target) is a result,
/// stored as `failed`.
async fn run_scan(app: &App, scan_id: &str) -> Result<(), ServerError> {
    let row = sqlx::query("SELECT status, target_id, url, attempts FROM lp_scans WHERE id = $1")
        .bind(scan_id)
        .fetch_optional(&app.db.pool)
        .await
        .map_err(db_error)?;
    let Some(row) = row else {
        tracing::warn!(scan = %scan_id, "queued scan has no row; dropped");
        return Ok(());
    };
    let status: String = row.try_get("status").map_err(db_error)?;
    if status == DONE || status == FAILED {
        return Ok(());
    }
    // A scan that took its worker down every time (a hostile target exhausting memory) must not
    // stay `running` for ever: the queue hands a dead worker's re-enqueued job out again whatever
    // its attempt count, so the scan's own count decides.
    let attempts: i64 = row.try_get("attempts").map_err(db_error)?;
    if attempts >= MAX_ATTEMPTS as i64 {
        let error = format!("gave up after {attempts} attempts: the worker running this scan stopped every time");
        return finish_failed(&app.db, scan_id, &error).await;
    }
    let target_id: Option<String> = row.try_get("target_id").map_err(db_error)?;
    let url: String = row.try_get("url").map_err(db_error)?;
    sqlx::query(
        "UPDATE lp_scans SET status = $1, started_at = $2, attempts = attempts + 1, phase = NULL, requests = 0 WHERE id = $3",
    )
    .bind(RUNNING)
    .bind(now())
    .bind(scan_id)
    .execute(&app.db.pool)
    .await
    .map_err(db_error)?;

    let config = match scan_config(app, target_id.as_deref(), &url).await {
        Ok(config) => config,
        Err(refused) => return finish_failed(&app.db, scan_id, refused.message()).await,
    };
    let suppressions = match target_suppressions(app, target_id.as_deref()).await {
        Ok(suppressions) => suppressions,
        Err(bad) => return finish_failed(&app.db, scan_id, bad.message()).await,
    };
    let (tx, mut rx) = mpsc::unbounded_channel::<(String, usize, usize)>();
    let writer = {
        let db = app.db.clone();
        let id = scan_id.to_string();
        tokio::spawn(async move {
            while let Some((phase, sent, budget)) = rx.recv().await {
                let _ = sqlx::query(
                    "UPDATE lp_scans SET phase = $1, requests = $2, budget = $3 WHERE id = $4 AND status = $5",
                )
                .bind(phase)
                .bind(sent as i64)
                .bind(budget as i64)
                .bind(&id)
                .bind(RUNNING)
                .execute(&db.pool)
                .await;
            }
        })
    };
    let progress = DbProgress { tx, state: std::sync::Mutex::new((String::new(), 0, 0)) };
    let runtime = tokio::runtime::Handle::current();
    // The engine's scan future is not Send (it borrows the progress sink across awaits); a blocking
    // thread drives it so this job's future stays Send, as the MCP server does.
    let outcome = tokio::task::spawn_blocking(move || runtime.block_on(leakprobe_engine::scan(config, &progress)))
        .await
        .map_err(|e| ServerError::Internal(format!("the scan panicked: {e}")))?;
    let _ = writer.await;
    match outcome {
        Ok(mut report) => {
            // As the CLI does with leakprobe.toml: suppressed findings stay listed and score nothing.
            if !suppressions.is_empty() {
                suppressions.apply(&mut report, &leakprobe_engine::suppress::today());
            }
            store_report(&app.db, scan_id, &report).await?;
            tracing::info!(scan = %scan_id, score = report.score, "scan done");
            Ok(())
        }
        Err(e) => finish_failed(&app.db, scan_id, &format!("scan failed: {e}")).await,
    }
}

async fn scan_config(app: &App, target_id: Option<&str>, url: &str) -> Result<leakprobe_engine::ScanConfig, ApiError> {
    let request = match target_id {
        Some(id) => targets::load(app, id).await?.request(app)?,
        None => leakprobe_mcp::store::ScanRequest { url: url.to_string(), ..Default::default() },
    };
    scope::config(&scope::current(app).await?, &request)
}

/// A target's suppressions, applied to each of its scans; a bare URL scan has none.
async fn target_suppressions(app: &App, target_id: Option<&str>) -> Result<Suppressions, ApiError> {
    match target_id {
        Some(id) => targets::suppressions(&targets::load(app, id).await?.suppressions),
        None => Ok(Suppressions::default()),
    }
}

async fn finish_failed(db: &Db, scan_id: &str, error: &str) -> Result<(), ServerError> {
    sqlx::query("UPDATE lp_scans SET status = $1, error = $2, finished_at = $3 WHERE id = $4 AND status <> $5")
        .bind(FAILED)
        .bind(error)
        .bind(now())
        .bind(scan_id)
        .bind(DONE)
        .execute(&db.pool)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// The report as the JSON contract (credentials masked, as `--format json` writes it) and its
/// findings indexed, in one transaction that only the first completion passes.
async fn store_report(db: &Db, scan_id: &str, report: &Report) -> Result<(), ServerError> {
    let json = leakprobe_render::render(report, Format::Json);
    let mut tx = db.pool.begin().await.map_err(db_error)?;
    let updated = sqlx::query(
        "UPDATE lp_scans SET status = $1, report = $2, score = $3, grade = $4, findings = $5, finished_at = $6, \
         phase = $7, requests = $8, error = NULL WHERE id = $9 AND status <> $10",
    )
    .bind(DONE)
    .bind(&json)
    .bind(i64::from(report.score))
    .bind(report.grade.to_string())
    .bind(report.findings().count() as i64)
    .bind(now())
    .bind(DONE)
    .bind(report.requests as i64)
    .bind(scan_id)
    .bind(DONE)
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    if updated.rows_affected() == 0 {
        return Ok(());
    }
    sqlx::query("DELETE FROM lp_findings WHERE scan_id = $1")
        .bind(scan_id)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    for (category, f) in report.findings() {
        sqlx::query(
            "INSERT INTO lp_findings (scan_id, finding_id, check_id, category, severity, title, method, endpoint, suppressed) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(scan_id)
        .bind(&f.id)
        .bind(&f.check)
        .bind(category.to_string())
        .bind(f.severity.as_str())
        .bind(&f.title)
        .bind(&f.method)
        .bind(&f.endpoint)
        .bind(i64::from(!f.is_active()))
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    }
    tx.commit().await.map_err(db_error)
}

/// Engine progress into the scan's row (through a task: the engine calls this synchronously).
struct DbProgress {
    tx: mpsc::UnboundedSender<(String, usize, usize)>,
    /// Phase, requests sent, budget: each call changes one, the row gets all three.
    state: std::sync::Mutex<(String, usize, usize)>,
}

impl DbProgress {
    fn update(&self, change: impl FnOnce(&mut (String, usize, usize))) {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        change(&mut state);
        let _ = self.tx.send(state.clone());
    }
}

impl Progress for DbProgress {
    fn phase(&self, name: &str) {
        self.update(|s| s.0 = name.to_string());
    }

    fn requests(&self, sent: usize, budget: usize) {
        self.update(|s| (s.1, s.2) = (sent, budget));
    }
}

/// A process's workers: the same [`App`] as the API (database, allow-list, secret key).
pub fn app(db: Db, scope: Settings, key: Option<SecretKey>, heartbeat: Duration) -> App {
    let queue = Queue::new(&db, heartbeat);
    App { db, queue, scope: Arc::new(scope), key }
}
