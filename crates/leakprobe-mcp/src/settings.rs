//! What the MCP server may do: the `[mcp]` section of `leakprobe.toml` as written
//! ([`McpOptions`]), merged with `--allow-host`/`--allow-active` into [`Settings`].
//!
//! ```toml
//! [mcp]
//! allow_hosts = ["staging.internal.example", "10.0.4.12:8080"]   # loopback is always allowed
//! allow_active = false                                           # the default
//! ```
use std::path::PathBuf;

use serde::Deserialize;

/// The `[mcp]` section as written. Unknown keys are an error, so a typo (`allow_host`) never
/// silently widens or narrows what an assistant may scan.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpOptions {
    /// Hosts besides loopback that scans may target: `name` (any port) or `name:port`.
    #[serde(default)]
    pub allow_hosts: Vec<String>,
    /// Whether `scan_api` may run with `active: true` (requests that may change state).
    #[serde(default)]
    pub allow_active: bool,
}

/// Resolved settings of one server process.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Lower-cased `host` or `host:port` entries (see [`McpOptions::allow_hosts`]).
    pub allow_hosts: Vec<String>,
    pub allow_active: bool,
    /// `detect_pii { path }` and `scan_api { spec }` files must resolve inside this directory
    /// (canonical, symlinks resolved).
    pub root: PathBuf,
}

impl Settings {
    /// File options plus flags; a flag only ever adds permissions the file did not give.
    pub fn resolve(
        file: Option<McpOptions>,
        allow_hosts: &[String],
        allow_active: bool,
        root: PathBuf,
    ) -> std::io::Result<Settings> {
        let file = file.unwrap_or_default();
        let mut hosts: Vec<String> =
            file.allow_hosts.iter().chain(allow_hosts).map(|h| h.trim().to_ascii_lowercase()).collect();
        hosts.retain(|h| !h.is_empty());
        hosts.dedup();
        Ok(Settings { allow_hosts: hosts, allow_active: file.allow_active || allow_active, root: root.canonicalize()? })
    }
}
