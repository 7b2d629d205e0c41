//! The safety rules of the MCP server, stricter than the CLI's because an assistant can be talked
//! into anything: every check here runs before a single request is sent or a byte is read.
use std::path::{Component, Path, PathBuf};

use leakprobe_engine::config::parse_target;
use url::{Host, Url};

use crate::settings::Settings;

/// Why a tool call was refused; the message is shown to the assistant as is.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

/// A scan target the server may send requests to: an http(s) URL on loopback (an IP literal in
/// 127.0.0.0/8, `::1`, or `localhost`) or on a host of the allow-list.
pub fn target(settings: &Settings, input: &str) -> Result<Url, Refusal> {
    let url = parse_target(input).map_err(|e| Refusal(format!("malformed URL: {e}")))?;
    if is_loopback(&url) || allowed(settings, &url) {
        return Ok(url);
    }
    let host = url.host_str().unwrap_or_default();
    Err(Refusal(format!(
        "refused: {host} is not loopback and not in the MCP server's allow-list; nothing was sent. \
         Scan a local copy (http://127.0.0.1:PORT) or ask the user to add `{host}` to `[mcp] allow_hosts` \
         in leakprobe.toml (or start the server with --allow-host {host})"
    )))
}

/// Only literal loopback addresses and `localhost` itself: a `*.localhost` name goes through a
/// resolver the server does not control, so it needs the allow-list like any other name.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => d.trim_end_matches('.').eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

fn allowed(settings: &Settings, url: &Url) -> bool {
    let Some(host) = url.host_str() else { return false };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let with_port = url.port_or_known_default().map(|p| format!("{host}:{p}"));
    settings.allow_hosts.iter().any(|h| *h == host || Some(h) == with_port.as_ref())
}

/// `active: true` only when the server was started with permission for it.
pub fn active(settings: &Settings, requested: bool) -> Result<(), Refusal> {
    if requested && !settings.allow_active {
        return Err(Refusal(
            "refused: active scanning (requests that may change state) is not allowed by this MCP server; \
             nothing was sent. Run without `active`, or ask the user to set `[mcp] allow_active = true` \
             (or start the server with --allow-active)"
                .into(),
        ));
    }
    Ok(())
}

/// A file inside the server's working directory: relative paths are taken from there, `..` is
/// refused outright, and the canonical path (symlinks resolved) must still be inside.
pub fn confined_file(settings: &Settings, input: &str, what: &str) -> Result<PathBuf, Refusal> {
    // A server started in `/` (some desktop apps do) would confine nothing.
    if settings.root.parent().is_none() {
        return Err(Refusal(format!(
            "refused: the server runs in {}, so {what} files are disabled; start it with --root PROJECT_DIR",
            settings.root.display()
        )));
    }
    let path = Path::new(input);
    if path.components().any(|c| c == Component::ParentDir) {
        return Err(Refusal(format!(
            "refused: {what} `{input}` contains `..`; give a path inside {}",
            settings.root.display()
        )));
    }
    let joined = if path.is_absolute() { path.to_path_buf() } else { settings.root.join(path) };
    let canonical = joined.canonicalize().map_err(|e| Refusal(format!("{what} `{input}`: {e}")))?;
    if !canonical.starts_with(&settings.root) {
        return Err(Refusal(format!(
            "refused: {what} `{input}` is outside the server's working directory {}",
            settings.root.display()
        )));
    }
    if !canonical.is_file() {
        return Err(Refusal(format!("{what} `{input}` is not a regular file")));
    }
    Ok(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(hosts: &[&str]) -> Settings {
        Settings {
            allow_hosts: hosts.iter().map(|h| h.to_string()).collect(),
            allow_active: false,
            root: std::env::current_dir().expect("cwd").canonicalize().expect("canonical cwd"),
        }
    }

    #[test]
    fn loopback_is_allowed_and_everything_else_needs_the_allow_list() {
        let s = settings(&["staging.example", "192.0.2.7:8080"]);
        for ok in [
            "http://127.0.0.1:5000",
            "http://127.9.9.9/",
            "http://[::1]:80/api",
            "http://localhost:3000",
            "https://staging.example/v1",
            "http://192.0.2.7:8080/",
        ] {
            assert!(target(&s, ok).is_ok(), "{ok} should be allowed");
        }
        for refused in [
            "http://192.0.2.1/",
            "http://192.0.2.7:8081/",
            "http://evil.localhost/",
            "http://staging.example.evil/",
            "http://198.51.100.23/",
        ] {
            assert!(target(&s, refused).expect_err(refused).0.starts_with("refused"), "{refused} should be refused");
        }
        for malformed in ["127.0.0.1:5000", "ftp://127.0.0.1/", "not a url", "http://user:pw@127.0.0.1/"] {
            assert!(target(&s, malformed).expect_err(malformed).0.starts_with("malformed URL"), "{malformed}");
        }
    }

    #[test]
    fn active_needs_permission() {
        let mut s = settings(&[]);
        assert!(active(&s, false).is_ok());
        assert!(active(&s, true).is_err());
        s.allow_active = true;
        assert!(active(&s, true).is_ok());
    }

    #[test]
    fn files_are_confined_to_the_working_directory() {
        let s = settings(&[]);
        assert!(confined_file(&s, "Cargo.toml", "path").is_ok());
        assert!(confined_file(&s, "../leakprobe/Cargo.toml", "path").expect_err("..").0.contains(".."));
        assert!(confined_file(&s, "/etc/passwd", "path").expect_err("outside").0.contains("outside"));
    }
}
