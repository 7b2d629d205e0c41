//! leakprobe as Model Context Protocol tools for AI coding assistants, on the official Rust SDK
//! (rmcp), over stdio or streamable HTTP.
//!
//! Tools: `scan_api`, `get_scan`, `list_scans`, `explain_finding`, `rescan_finding`, `detect_pii`,
//! `diff_scans`; resources `leakprobe://scans/{id}` (the JSON report) and `leakprobe://checks/{id}`
//! (a check's docs); the prompt `audit_api`. Stricter than the CLI ([`policy`]): only loopback and
//! allow-listed hosts are scanned, `active` needs permission, files are confined to the working
//! directory, and every output is redacted.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let settings = leakprobe_mcp::Settings::resolve(None, &[], false, std::env::current_dir()?)?;
//! leakprobe_mcp::serve_stdio(settings).await
//! # }
//! ```
mod explain;
mod pii;
pub mod policy;
pub mod scan;
mod server;
pub mod settings;
pub mod store;
mod views;

use std::net::SocketAddr;

use anyhow::Context;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::ServiceExt;

pub use server::LeakprobeServer;
pub use settings::{McpOptions, Settings};

/// Serves one client on stdin/stdout until it disconnects. Logs go to stderr only: stdout is
/// the protocol.
pub async fn serve_stdio(settings: Settings) -> anyhow::Result<()> {
    let service = LeakprobeServer::new(settings)
        .serve(rmcp::transport::stdio())
        .await
        .context("MCP handshake on stdio failed")?;
    service.waiting().await.context("MCP stdio session ended with an error")?;
    Ok(())
}

/// Serves streamable HTTP at `http://ADDR/mcp` until Ctrl-C. `addr` must be a loopback address:
/// the server runs scans on request and has no authentication of its own.
pub async fn serve_http(addr: SocketAddr, settings: Settings) -> anyhow::Result<()> {
    anyhow::ensure!(
        addr.ip().is_loopback(),
        "--http must listen on a loopback address (127.0.0.1 or [::1]), not {addr}"
    );
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    let server = LeakprobeServer::new(settings);
    let cancel = tokio_util::sync::CancellationToken::new();
    let mut config = StreamableHttpServerConfig::default();
    config.cancellation_token = cancel.child_token();
    let service: StreamableHttpService<LeakprobeServer, LocalSessionManager> =
        StreamableHttpService::new(move || Ok(server.clone()), Default::default(), config);
    let router = axum::Router::new().nest_service("/mcp", service);
    // Tests and scripts read this line to learn the port when ADDR asked for port 0.
    eprintln!("leakprobe mcp: listening on http://{local}/mcp");
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            let _ = tokio::signal::ctrl_c().await;
            cancel.cancel();
        })
        .await
        .context("MCP HTTP server failed")?;
    Ok(())
}
