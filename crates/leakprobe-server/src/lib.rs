//! `leakprobe serve`: scan history, targets and scans as durable jobs behind a REST API, on SQLite
//! (embedded, the default) or PostgreSQL (several `leakprobe worker` processes sharing one queue).
//!
//! The parts: [`db`] (one URL, portable migrations), [`auth`] (the admin account, API tokens),
//! [`targets`] (what to scan; identity secrets sealed by [`secrets`]), [`scope`] (the allow-list
//! every scan passes before a request is sent), [`jobs`] (apalis workers running the engine) and
//! [`api`] (the axum router), [`scheduler`] (scheduled scans, queued as [`jobs::ScanJob`]s like
//! any other) and [`alerting`] (each target's alert rules and channels, evaluated when a scan is
//! stored). The dashboard's HTML routes slot in beside them.
//!
//! ```no_run
//! # async fn run() -> Result<(), leakprobe_server::ServerError> {
//! use leakprobe_server::{serve, ServeOptions};
//! serve(ServeOptions {
//!     listen: "127.0.0.1:8080".parse().expect("address"),
//!     db: "sqlite://leakprobe.db".into(),
//!     workers: 2,
//!     allow_hosts: vec!["staging.internal.example".into()],
//!     allow_active: false,
//!     heartbeat: std::time::Duration::from_secs(30),
//! })
//! .await
//! # }
//! ```
pub mod alerting;
pub mod api;
pub mod auth;
pub mod db;
pub mod jobs;
pub mod scans;
pub mod scheduler;
pub mod scope;
pub mod secrets;
pub mod targets;
pub mod web;

use std::io::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use crate::secrets::SecretKey;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Something the operator asked for is wrong (a flag, an environment variable).
    #[error("{0}")]
    Usage(String),
    #[error("database: {0}")]
    Db(String),
    #[error("job queue: {0}")]
    Queue(String),
    #[error("{0}")]
    Internal(String),
}

pub const DEFAULT_DB: &str = "sqlite://leakprobe.db";

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    pub db: String,
    /// Workers inside this process; 0 leaves every scan to `leakprobe worker` processes.
    pub workers: usize,
    pub allow_hosts: Vec<String>,
    pub allow_active: bool,
    /// How often workers prove they are alive; a worker silent for two beats loses its jobs to
    /// the others.
    pub heartbeat: Duration,
}

#[derive(Debug, Clone)]
pub struct WorkerOptions {
    pub db: String,
    pub workers: usize,
    pub allow_hosts: Vec<String>,
    pub allow_active: bool,
    pub heartbeat: Duration,
}

fn scope(allow_hosts: &[String], allow_active: bool) -> Result<leakprobe_mcp::Settings, ServerError> {
    scope::settings(allow_hosts, allow_active)
        .map_err(|e| ServerError::Usage(format!("cannot read the working directory: {e}")))
}

/// A worker name unique across machines and restarts: host, process, and the worker's index.
fn worker_name() -> String {
    let host = std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "local".into());
    format!("{host}-{}-{}", std::process::id(), &db::new_id()[20..])
}

/// `leakprobe serve`: the API on `listen`, `workers` workers beside it, until Ctrl-C.
pub async fn serve(options: ServeOptions) -> Result<(), ServerError> {
    let db = db::open(&options.db).await?;
    if let Some(password) = auth::ensure_admin(&db).await? {
        // Shown once, on stdout, never logged; only its argon2 hash is stored.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "leakprobe: created the admin account `{}` with password {password}\n\
             leakprobe: it is shown this once; set {} before the first start to choose it",
            auth::ADMIN,
            auth::ADMIN_PASSWORD_VAR
        );
    }
    let key = SecretKey::from_env()?;
    let app = jobs::app(db, scope(&options.allow_hosts, options.allow_active)?, key, options.heartbeat);
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|e| ServerError::Usage(format!("--listen {}: {e}", options.listen)))?;
    let addr = listener.local_addr().map_err(|e| ServerError::Internal(e.to_string()))?;
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "leakprobe: serving http://{addr} (API at http://{addr}/api/v1)");
        let _ = out.flush();
    }
    let router = api::router(app.clone());
    // Only `serve` schedules: `worker` processes just run what is queued.
    tokio::spawn(scheduler::run(app.clone()));
    let server = async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| ServerError::Internal(format!("server: {e}")))
    };
    if options.workers == 0 {
        return server.await;
    }
    let name = worker_name();
    let workers = app.queue.clone().work(app, options.workers, &name);
    tokio::select! {
        result = server => result,
        result = workers => result,
    }
}

/// `leakprobe worker`: runs queued scans from the database, nothing else.
pub async fn worker(options: WorkerOptions) -> Result<(), ServerError> {
    let db = db::open(&options.db).await?;
    let key = SecretKey::from_env()?;
    let app = jobs::app(db, scope(&options.allow_hosts, options.allow_active)?, key, options.heartbeat);
    tracing::info!("worker: {} worker(s) on the queue", options.workers.max(1));
    let name = worker_name();
    let work = app.queue.clone().work(app, options.workers, &name);
    tokio::select! {
        result = work => result,
        _ = tokio::signal::ctrl_c() => Ok(()),
    }
}

/// `leakprobe token create NAME`: the token, to be printed once.
pub async fn create_token(db_url: &str, name: &str) -> Result<String, ServerError> {
    let db = db::open(db_url).await?;
    auth::create_token(&db, name).await
}
