//! `leakprobe serve`, `leakprobe worker` and `leakprobe token create` (crate `leakprobe-server`).
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use leakprobe_server::{ServeOptions, ServerError, WorkerOptions, DEFAULT_DB};

use crate::{UsageError, EXIT_OK};

#[derive(Debug, Args)]
pub struct DbArgs {
    /// The database: `sqlite://PATH` (created when missing) or `postgres://USER@HOST/DB`.
    // The URL may hold a password: `--help` names the variable but never shows its value.
    #[arg(long, value_name = "URL", default_value = DEFAULT_DB, env = "LEAKPROBE_DB", hide_env_values = true)]
    pub db: String,
}

#[derive(Debug, Args)]
pub struct ScopeArgs {
    /// Also allow scans of this host (`name` or `name:port`) besides loopback (repeatable).
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allow_hosts: Vec<String>,
    /// Let targets set `settings.active` (requests that may change state).
    #[arg(long)]
    pub allow_active: bool,
    /// Seconds between worker heartbeats; a worker silent for two of them loses its job to
    /// another worker, which runs the scan again.
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub heartbeat: u64,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub db: DbArgs,
    /// Workers inside this process (0: only `leakprobe worker` processes run scans).
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub workers: usize,
    #[command(flatten)]
    pub scope: ScopeArgs,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Scans this process runs at once.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub workers: usize,
    #[command(flatten)]
    pub scope: ScopeArgs,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for the REST API; it is printed once and stored only as a hash.
    Create {
        /// What the token is for (`ci`, `grafana`, a person's name).
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")
}

fn usage(error: ServerError) -> anyhow::Error {
    match error {
        ServerError::Usage(m) => UsageError(m).into(),
        other => other.into(),
    }
}

pub fn serve(args: ServeArgs) -> anyhow::Result<u8> {
    let options = ServeOptions {
        listen: args.listen,
        db: args.db.db,
        workers: args.workers,
        allow_hosts: args.scope.allow_hosts,
        allow_active: args.scope.allow_active,
        heartbeat: Duration::from_secs(args.scope.heartbeat),
    };
    runtime()?.block_on(leakprobe_server::serve(options)).map_err(usage)?;
    Ok(EXIT_OK)
}

pub fn worker(args: WorkerArgs) -> anyhow::Result<u8> {
    let options = WorkerOptions {
        db: args.db.db,
        workers: args.workers,
        allow_hosts: args.scope.allow_hosts,
        allow_active: args.scope.allow_active,
        heartbeat: Duration::from_secs(args.scope.heartbeat),
    };
    runtime()?.block_on(leakprobe_server::worker(options)).map_err(usage)?;
    Ok(EXIT_OK)
}

pub fn token(command: TokenCommand) -> anyhow::Result<u8> {
    match command {
        TokenCommand::Create { name, db } => {
            let token = runtime()?.block_on(leakprobe_server::create_token(&db.db, &name)).map_err(usage)?;
            println!("{token}");
            eprintln!(
                "leakprobe: token `{name}` created; it is shown this once (send it as `Authorization: Bearer …`)"
            );
        }
    }
    Ok(EXIT_OK)
}
