//! The database: one URL (`sqlite://PATH` or `postgres://…`), our tables through sqlx's `Any`
//! driver (the SQL is portable, see `migrations/`), and a typed pool of the same database for the
//! job queue, whose apalis backends need their concrete driver.
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use sqlx::any::AnyPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{AnyPool, PgPool, SqlitePool};

use crate::ServerError;

/// The concrete pool the job queue runs on.
#[derive(Clone)]
pub enum QueuePool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub queue: QueuePool,
}

/// `sqlite://PATH` (created when missing) or `postgres://…`.
pub async fn open(url: &str) -> Result<Db, ServerError> {
    sqlx::any::install_default_drivers();
    let bad = |e: sqlx::Error| ServerError::Db(format!("{}: {e}", redact_url(url)));
    let (any_url, queue) = if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(bad)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await.map_err(bad)?;
        // The Any pool opens the file the typed pool just created (WAL is a property of the file).
        let any_url = if url.contains('?') { url.to_string() } else { format!("{url}?mode=rwc") };
        (any_url, QueuePool::Sqlite(pool))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let pool = sqlx::postgres::PgPoolOptions::new().max_connections(8).connect(url).await.map_err(bad)?;
        (url.to_string(), QueuePool::Postgres(pool))
    } else {
        return Err(ServerError::Usage(format!(
            "--db {}: expected sqlite://PATH or postgres://USER@HOST/DB",
            redact_url(url)
        )));
    };
    let pool = AnyPoolOptions::new()
        .max_connections(8)
        .after_connect(|conn, _| {
            Box::pin(async move {
                // SQLite only enforces the findings' foreign key (and its cascade) when asked, per connection.
                if conn.backend_name() == "SQLite" {
                    sqlx::query("PRAGMA foreign_keys = ON").execute(&mut *conn).await?;
                    sqlx::query("PRAGMA busy_timeout = 30000").execute(&mut *conn).await?;
                }
                Ok(())
            })
        })
        .connect(&any_url)
        .await
        .map_err(bad)?;
    let db = Db { pool, queue };
    db.migrate().await?;
    Ok(db)
}

impl Db {
    /// The queue's migrations, then ours. Both record themselves in sqlx's one migrations table,
    /// so each migrator ignores the other's entries.
    async fn migrate(&self) -> Result<(), ServerError> {
        let fail = |e: sqlx::migrate::MigrateError| ServerError::Db(format!("migrations: {e}"));
        match &self.queue {
            QueuePool::Sqlite(pool) => {
                let mut m = apalis_sqlite::SqliteStorage::migrations();
                m.set_ignore_missing(true);
                m.run(pool).await.map_err(fail)?;
            }
            QueuePool::Postgres(pool) => {
                let mut m = apalis_postgres::PostgresStorage::migrations();
                m.set_ignore_missing(true);
                m.run(pool).await.map_err(fail)?;
            }
        }
        let mut ours = sqlx::migrate!("./migrations");
        ours.set_ignore_missing(true);
        ours.run(&self.pool).await.map_err(fail)
    }
}

/// A new id: time-ordered (ULID), so ids sort in creation order on both databases.
pub fn new_id() -> String {
    ulid::Ulid::new().to_string().to_ascii_lowercase()
}

/// Now as RFC 3339 UTC with milliseconds: fixed width, so text order is time order.
pub fn now() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

/// The URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

pub fn db_error(e: sqlx::Error) -> ServerError {
    ServerError::Db(e.to_string())
}
