//! `leakprobe.toml`: the project's settings file, found with `--config FILE` or as `./leakprobe.toml`.
//!
//! Options layer (ruff's options → configuration → settings): [`ConfigFile`] is the file as
//! written, one field per section; [`leakprobe_engine::suppress::Suppressions`] is the checked, resolved form
//! a scan applies. A new section (say `[[identity]]`) is a new field here plus its own module.
//!
//! ```toml
//! [[suppression]]
//! check = "server_version_disclosure"
//! reason = "Behind our proxy the header is rewritten; only staging shows it"
//! expires = 2026-12-31          # or "2026-12-31"; the last day it holds
//!
//! [[suppression]]
//! endpoint = "/internal/*"      # glob over the endpoint template or a concrete path
//! category = "fingerprinting"
//! reason = "Internal admin API, not reachable from the internet"
//! ```
use std::path::{Path, PathBuf};

use leakprobe_engine::report::Category;
use serde::Deserialize;

use crate::UsageError;

pub const DEFAULT_NAME: &str = "leakprobe.toml";

/// The file as written. Unknown sections are an error, so a typo (`[[suppresion]]`) never
/// silently disables anything.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// `[[suppression]]` blocks.
    #[serde(default, rename = "suppression")]
    pub suppressions: Vec<SuppressionOptions>,
    /// `[[identity]]` blocks: credentials, roles, login flows and HMAC signing.
    #[serde(default, rename = "identity")]
    pub identities: Vec<leakprobe_engine::identity::IdentityConfig>,
    /// `[mcp]`: what `leakprobe mcp` may scan (read only by that subcommand).
    #[serde(default)]
    pub mcp: Option<leakprobe_mcp::McpOptions>,
}

/// One `[[suppression]]`: at least one selector (`id`, `check`, `category`, `endpoint`; all given
/// ones must match), a `reason`, and optionally `expires`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuppressionOptions {
    /// A finding's stable id, as in the JSON report.
    pub id: Option<String>,
    pub check: Option<String>,
    pub category: Option<Category>,
    /// Glob (`*` any run of characters, `?` one) over the endpoint template (`/api/users/{id}`)
    /// or any concrete path the finding was seen at.
    pub endpoint: Option<String>,
    /// Why this is accepted; required, shown in every report.
    pub reason: Option<String>,
    /// Last day the suppression holds (`YYYY-MM-DD`, as a TOML date or a string).
    pub expires: Option<Expiry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Expiry {
    Date(toml::value::Datetime),
    Text(String),
}

impl Expiry {
    /// `YYYY-MM-DD`, checked; anything else (a time, a bad month) is an error.
    pub fn to_day(&self) -> Result<String, String> {
        let text = match self {
            Expiry::Date(d) => match (d.date, d.time) {
                (Some(date), None) => return Ok(format!("{:04}-{:02}-{:02}", date.year, date.month, date.day)),
                _ => d.to_string(),
            },
            Expiry::Text(t) => t.trim().to_string(),
        };
        parse_day(&text).ok_or_else(|| format!("`expires = {text}` is not a date like 2026-12-31"))
    }
}

fn parse_day(text: &str) -> Option<String> {
    let mut parts = text.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (u32, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then(|| format!("{y:04}-{m:02}-{d:02}"))
}

/// The config file to use: `--config FILE` (must exist), else `./leakprobe.toml` when present.
pub fn locate(explicit: Option<&Path>) -> Result<Option<PathBuf>, UsageError> {
    match explicit {
        Some(path) if path.is_file() => Ok(Some(path.to_path_buf())),
        Some(path) => Err(UsageError(format!("--config {}: no such file", path.display()))),
        None => Ok(Some(PathBuf::from(DEFAULT_NAME)).filter(|p| p.is_file())),
    }
}

pub fn load(path: &Path) -> Result<ConfigFile, UsageError> {
    let text = std::fs::read_to_string(path).map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))?;
    parse(&text).map_err(|e| UsageError(format!("{}: {e}", path.display())))
}

pub fn parse(text: &str) -> Result<ConfigFile, String> {
    // toml's messages carry the line and a caret; keep them on one line for our one-line errors.
    toml::from_str(text).map_err(|e| e.to_string().split_whitespace().collect::<Vec<_>>().join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_selector_and_both_date_forms() {
        let config = parse(
            r#"
            [[suppression]]
            check = "server_version_disclosure"
            reason = "proxy rewrites it"
            expires = 2026-12-31

            [[suppression]]
            category = "data_exposure"
            endpoint = "/internal/*"
            id = "0123456789abcdef"
            reason = "internal"
            expires = "2027-01-05"
            "#,
        )
        .expect("valid");
        assert_eq!(config.suppressions.len(), 2);
        assert_eq!(config.suppressions[0].expires.as_ref().map(|e| e.to_day()), Some(Ok("2026-12-31".into())));
        assert_eq!(config.suppressions[1].expires.as_ref().map(|e| e.to_day()), Some(Ok("2027-01-05".into())));
        assert_eq!(config.suppressions[1].category, Some(Category::DataExposure));
    }

    #[test]
    fn typos_are_errors_not_silence() {
        assert!(parse("[[suppresion]]\ncheck = \"x\"\nreason = \"y\"").is_err());
        assert!(parse("[[suppression]]\nchekc = \"x\"\nreason = \"y\"").is_err());
        assert!(parse("[[suppression]]\ncategory = \"nope\"\nreason = \"y\"").is_err());
    }

    #[test]
    fn the_mcp_section_sits_next_to_suppressions_and_rejects_typos() {
        let config = parse("[mcp]\nallow_hosts = [\"staging.example\"]\nallow_active = true\n").expect("valid");
        let mcp = config.mcp.expect("[mcp]");
        assert_eq!(mcp.allow_hosts, vec!["staging.example".to_string()]);
        assert!(mcp.allow_active);
        assert!(parse("[mcp]\nallow_host = [\"x\"]").is_err());
    }

    #[test]
    fn bad_dates_are_rejected() {
        assert!(Expiry::Text("2026-13-01".into()).to_day().is_err());
        assert!(Expiry::Text("next week".into()).to_day().is_err());
        let dt: toml::value::Datetime = "2026-01-01T10:00:00Z".parse().expect("datetime");
        assert!(Expiry::Date(dt).to_day().is_err());
    }
}
