//! `leakprobe mcp`: the MCP server (crate `leakprobe-mcp`) on stdio or streamable HTTP.
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::{config_file, UsageError, EXIT_OK};

#[derive(Debug, Args)]
pub struct McpArgs {
    /// Serve streamable HTTP at http://ADDR/mcp instead of stdio; ADDR must be loopback, e.g.
    /// 127.0.0.1:8765 (port 0 picks a free port and prints it on stderr).
    #[arg(long, value_name = "ADDR")]
    pub http: Option<SocketAddr>,
    /// Settings file whose `[mcp]` section (allow_hosts, allow_active) says what assistants may
    /// scan [default: ./leakprobe.toml when present].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Also allow scans of this host (`name` or `name:port`) besides loopback (repeatable).
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allow_hosts: Vec<String>,
    /// Allow `scan_api` with `active: true` (requests that may change state).
    #[arg(long)]
    pub allow_active: bool,
    /// The project directory: files named by tools (`detect_pii` paths, specs) must be inside it
    /// [default: the working directory].
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

pub fn run(args: &McpArgs) -> anyhow::Result<u8> {
    let file = config_file::locate(args.config.as_deref())?.map(|path| config_file::load(&path)).transpose()?;
    let root = match &args.root {
        Some(dir) => dir.clone(),
        None => std::env::current_dir().context("cannot read the working directory")?,
    };
    let settings =
        leakprobe_mcp::Settings::resolve(file.and_then(|f| f.mcp), &args.allow_hosts, args.allow_active, root.clone())
            .map_err(|e| UsageError(format!("--root {}: {e}", root.display())))?;
    if let Some(addr) = args.http.filter(|a| !a.ip().is_loopback()) {
        return Err(
            UsageError(format!("--http {addr}: the MCP server only listens on loopback (127.0.0.1 or [::1])")).into()
        );
    }
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    runtime.block_on(async {
        match args.http {
            Some(addr) => leakprobe_mcp::serve_http(addr, settings).await,
            None => leakprobe_mcp::serve_stdio(settings).await,
        }
    })?;
    Ok(EXIT_OK)
}
