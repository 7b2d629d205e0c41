//! What the server may scan: the MCP server's policy ([`leakprobe_mcp::policy`]: loopback plus an
//! allow-list, `active` only with permission, specs only on the target's origin), applied to every
//! target and `{"url": …}` scan before anything is queued, and again by the worker before it sends
//! the first request (a worker elsewhere enforces its own `--allow-host` list).
use leakprobe_engine::ScanConfig;
use leakprobe_mcp::policy;
use leakprobe_mcp::store::ScanRequest;
use leakprobe_mcp::Settings;

use crate::api::ApiError;

/// `serve`/`worker --allow-host` (repeatable) and `--allow-active`.
pub fn settings(allow_hosts: &[String], allow_active: bool) -> std::io::Result<Settings> {
    // Specs are URLs only, so the file root confines nothing; it is the working directory anyway.
    Settings::resolve(None, allow_hosts, allow_active, std::env::current_dir()?)
}

/// The URL may be scanned by this process: loopback, or a host of its allow-list.
pub fn check(settings: &Settings, url: &str) -> Result<(), ApiError> {
    match policy::target(settings, url) {
        Ok(_) => Ok(()),
        Err(refusal) if refusal.0.starts_with("refused") => {
            let host = url::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_default();
            Err(ApiError::forbidden(format!(
                "refused: {host} is not loopback and not on this server's allow-list; nothing was sent \
                 (start the server with --allow-host {host} to allow it)"
            )))
        }
        Err(refusal) => Err(ApiError::bad_request(refusal.0)),
    }
}

/// The engine configuration a request asks for, or why it may not run; sends nothing.
pub fn config(settings: &Settings, request: &ScanRequest) -> Result<ScanConfig, ApiError> {
    check(settings, &request.url)?;
    if request.active && !settings.allow_active {
        return Err(ApiError::forbidden(
            "refused: active scanning (requests that may change state) is not allowed by this server; \
             start it with --allow-active to let targets set `settings.active`",
        ));
    }
    leakprobe_mcp::scan::config(settings, request, None).map_err(|refusal| {
        if refusal.0.starts_with("refused") {
            ApiError::forbidden(refusal.0)
        } else {
            ApiError::bad_request(refusal.0)
        }
    })
}
