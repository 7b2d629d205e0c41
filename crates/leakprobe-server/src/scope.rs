//! What the server may scan: the MCP server's policy ([`leakprobe_mcp::policy`]: loopback plus an
//! allow-list, `active` only with permission, specs only on the target's origin), applied to every
//! target and `{"url": …}` scan before anything is queued, and again by the worker before it sends
//! the first request (a worker elsewhere enforces its own `--allow-host` list). Hosts the admin adds
//! on the dashboard's settings page live in the database and join every process's list at the
//! moment of each check ([`current`]).
use leakprobe_engine::ScanConfig;
use leakprobe_mcp::policy;
use leakprobe_mcp::store::ScanRequest;
use leakprobe_mcp::Settings;
use sqlx::Row as _;

use crate::api::{ApiError, App};
use crate::db::{db_error, now};

/// `serve`/`worker --allow-host` (repeatable) and `--allow-active`.
pub fn settings(allow_hosts: &[String], allow_active: bool) -> std::io::Result<Settings> {
    // Specs are URLs only, so the file root confines nothing; it is the working directory anyway.
    Settings::resolve(None, allow_hosts, allow_active, std::env::current_dir()?)
}

/// This process's settings plus the hosts allowed on the settings page, read now: a host added or
/// removed there applies to the next scan checked by any process sharing the database.
pub async fn current(app: &App) -> Result<Settings, ApiError> {
    let mut settings = (*app.scope).clone();
    settings.allow_hosts.extend(stored_hosts(app).await?);
    Ok(settings)
}

/// The hosts added on the settings page, sorted.
pub async fn stored_hosts(app: &App) -> Result<Vec<String>, ApiError> {
    let rows =
        sqlx::query("SELECT host FROM lp_allow_hosts ORDER BY host").fetch_all(&app.db.pool).await.map_err(db_error)?;
    rows.iter().map(|r| r.try_get::<String, _>("host").map_err(|e| db_error(e).into())).collect()
}

/// `host` or `host:port`, as `--allow-host` takes it, in the form the policy compares (lower
/// case, IPv6 as the URL parser writes it); anything else (a URL, a path, a wildcard, user info)
/// is refused rather than guessed at.
pub fn normalize_host(input: &str) -> Result<String, ApiError> {
    let host = input.trim().trim_end_matches('.').to_ascii_lowercase();
    let plain = !host.is_empty()
        && host.len() <= 253
        && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    let parsed = url::Url::parse(&format!("http://{host}/")).ok().filter(|u| {
        plain && u.path() == "/" && u.username().is_empty() && u.query().is_none() && u.fragment().is_none()
    });
    let Some(url) = parsed else {
        return Err(ApiError::bad_request(format!(
            "`{}` is not a host name or host:port (like api.staging.example or 10.0.0.5:8443)",
            input.trim()
        )));
    };
    let name = url.host_str().unwrap_or_default();
    // `host:80` is written without its (default) port by the parser; keep what was asked.
    let port = url.port().or_else(|| host.ends_with(":80").then_some(80));
    Ok(match port {
        Some(port) => format!("{name}:{port}"),
        None => name.to_string(),
    })
}

pub async fn add_host(app: &App, input: &str) -> Result<String, ApiError> {
    let host = normalize_host(input)?;
    let exists = sqlx::query("SELECT host FROM lp_allow_hosts WHERE host = $1")
        .bind(&host)
        .fetch_optional(&app.db.pool)
        .await
        .map_err(db_error)?;
    if exists.is_none() {
        sqlx::query("INSERT INTO lp_allow_hosts (host, created_at) VALUES ($1, $2)")
            .bind(&host)
            .bind(now())
            .execute(&app.db.pool)
            .await
            .map_err(db_error)?;
    }
    Ok(host)
}

pub async fn remove_host(app: &App, host: &str) -> Result<(), ApiError> {
    sqlx::query("DELETE FROM lp_allow_hosts WHERE host = $1")
        .bind(host)
        .execute(&app.db.pool)
        .await
        .map_err(db_error)?;
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hosts_and_host_ports_are_allowed_entries() {
        assert_eq!(normalize_host(" API.Staging.example. ").expect("host"), "api.staging.example");
        assert_eq!(normalize_host("10.0.0.5:8443").expect("host:port"), "10.0.0.5:8443");
        assert_eq!(normalize_host("a.example:80").expect("default port"), "a.example:80");
        assert_eq!(normalize_host("[::FFFF:127.0.0.1]:5000").expect("ipv6"), "[::ffff:7f00:1]:5000");
        for bad in
            ["", "*", "*.example.com", "http://a.example", "a.example/path", "user@a.example", "a b", "a.example:99999"]
        {
            assert!(normalize_host(bad).is_err(), "{bad:?} accepted");
        }
    }
}
