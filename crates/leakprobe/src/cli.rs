//! Flags and subcommands. Thin: everything here is parsed into engine types and handed on.
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use leakprobe_engine::checks::{Status, CHECKS};
use leakprobe_engine::report::Severity;

use crate::detect_cmd::DetectArgs;
use crate::diff_cmd::DiffArgs;
use crate::mcp_cmd::McpArgs;
use crate::serve_cmd::{ServeArgs, TokenCommand, WorkerArgs};
use crate::{UsageError, EXIT_OK};

#[derive(Debug, Parser)]
#[command(
    name = "leakprobe",
    version,
    about = "Find where a web API leaks personal data and secrets.",
    long_about = "Find where a web API leaks personal data and secrets.\n\n\
        leakprobe scans an API from the outside, the way an attacker would, and reports PII in\n\
        responses, tracebacks and debuggers, exposed files, permissive CORS, cleartext credentials and\n\
        broken authorization, with a 0-100 score, an A-F grade and Flask-specific fixes.\n\n\
        By default it only sends GET, HEAD and OPTIONS requests (and deliberately unparseable bodies),\n\
        stays on the target's origin, and redacts every piece of evidence.",
    after_help = "Examples:\n  \
        leakprobe demo                                  scan the built-in leaky demo API\n  \
        leakprobe scan http://127.0.0.1:5000            scan a local Flask app\n  \
        leakprobe scan https://api.example.com --spec openapi.yaml --fail-on high\n  \
        leakprobe scan URL -o report.json -o report.sarif -o report.html --format markdown\n  \
        leakprobe scan URL --baseline main.json --fail-on-new high   gate only on what is new\n  \
        leakprobe diff main.json pr.json                what appeared, disappeared, changed\n  \
        leakprobe explain server_version_disclosure     what a check finds and how to fix it\n  \
        leakprobe mcp                                   MCP server on stdio for Claude, VS Code, Cursor\n\n\
        Exit codes: 0 ok, 1 threshold failed or partial scan under --fail-on-incomplete, 2 usage or input error, 3 target unreachable or scan failed."
)]
pub struct Opts {
    #[command(subcommand)]
    pub command: Command,
    /// Print nothing but the report and errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// More log output on stderr (-v info, -vv debug). Credentials are never logged.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process: boxing would buy nothing
pub enum Command {
    /// Scan an API and report where it leaks.
    Scan(ScanArgs),
    /// Start the built-in, deliberately leaky demo API on 127.0.0.1 and scan it.
    Demo(OutputArgs),
    /// Show what a check finds, why it matters and how to fix it.
    Explain {
        /// Check id, as shown in reports and by `leakprobe checks`.
        check: String,
    },
    /// List every check with its category.
    Checks,
    /// Find personal data and secrets in files, directories or stdin (logs first of all).
    Detect(DetectArgs),
    /// Compare two JSON reports: what appeared, disappeared and changed, and the score change.
    Diff(DiffArgs),
    /// Serve leakprobe to AI coding assistants over the Model Context Protocol (stdio, or
    /// streamable HTTP with --http).
    Mcp(McpArgs),
    /// Serve the REST API (scan history, targets, scans as jobs) with workers, on SQLite or PostgreSQL.
    Serve(ServeArgs),
    /// Run queued scans from the database of a `leakprobe serve` (more workers, other machines).
    Worker(WorkerArgs),
    /// Manage API tokens of `leakprobe serve`.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Human-readable report with colours (respects NO_COLOR).
    Terminal,
    /// The JSON report contract (schema/report.schema.json).
    Json,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
    /// JUnit XML: one test case per check, one failure per finding.
    Junit,
    /// Markdown summary for a pull-request comment or $GITHUB_STEP_SUMMARY.
    Markdown,
    /// One self-contained HTML page.
    Html,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Report format on stdout [default: terminal on a terminal, json otherwise; with -o, stdout
    /// gets a report only when --format is given].
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,
    /// Write the report to FILE, in the format its extension names: .json, .sarif, .html, .md,
    /// .xml (JUnit), .txt (plain terminal report); anything else gets JSON. Repeatable.
    #[arg(short, long = "output", value_name = "FILE")]
    pub output: Vec<PathBuf>,
    /// Show evidence unredacted. Off by default so reports never become a leak themselves.
    #[arg(long)]
    pub show_evidence: bool,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Base URL of the API, e.g. http://127.0.0.1:5000 or https://api.example.com/v1.
    pub url: String,

    /// OpenAPI 3.x / Swagger 2.0 description: a file, or an http(s) URL on the target's origin.
    /// Looked for at the usual paths (/openapi.json, /swagger.json, …) when not given.
    #[arg(long, value_name = "FILE|URL")]
    pub spec: Option<String>,

    /// Header added to every request, e.g. 'Authorization: Bearer …' (repeatable). Never printed.
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,

    #[command(flatten)]
    pub output: OutputArgs,

    /// Fail (exit 1) when the score is below this.
    #[arg(long, value_name = "SCORE", value_parser = clap::value_parser!(u32).range(0..=100))]
    pub fail_below: Option<u32>,

    /// Fail (exit 1) when any finding has this severity or worse.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,

    /// Fail (exit 1) only when a finding that is new since --baseline has this severity or worse
    /// (without --baseline every finding is new).
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on_new: Option<Severity>,

    /// Fail (exit 1) when the scan is partial: a check skipped work (budget, time limit), answers
    /// were cut or unusable, or a published spec could not be read (`coverage.complete: false`).
    #[arg(long)]
    pub fail_on_incomplete: bool,

    /// A previous JSON report: marks each finding new or unchanged and lists what was fixed.
    #[arg(long, value_name = "REPORT.json")]
    pub baseline: Option<PathBuf>,

    /// Settings file with [[suppression]] blocks [default: ./leakprobe.toml when present].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Requests per second to the target host.
    #[arg(long, default_value_t = 100, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate: u32,

    /// Requests in flight at once.
    #[arg(long, default_value_t = 8, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=256))]
    pub concurrency: u64,

    /// Most requests one scan may send.
    #[arg(long, default_value_t = 2000, value_name = "N")]
    pub max_requests: usize,

    /// Overall time limit (e.g. 90s, 5m); the report is marked incomplete when it is reached.
    #[arg(long, default_value = "2m", value_parser = parse_duration, value_name = "DURATION")]
    pub time_limit: Duration,

    /// Per-request timeout.
    #[arg(long, default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,

    /// Largest response body read, in KiB (after decompression).
    #[arg(long, default_value_t = 2048, value_name = "KIB")]
    pub max_body_kib: usize,

    /// Total of response bodies kept for analysis, in MiB; past it only the head of each new body
    /// is kept and the report is marked partial.
    #[arg(long, default_value_t = 256, value_name = "MIB")]
    pub max_total_body_mib: usize,

    /// Largest API description read, in MiB (served at a spec path, --spec URL or --spec FILE); a
    /// larger spec is reported as incomplete (served) or refused (--spec).
    #[arg(long = "max-spec-size", default_value_t = 64, value_name = "MIB")]
    pub max_spec_mib: usize,

    /// Accept invalid TLS certificates (still reported as a finding).
    #[arg(long)]
    pub insecure: bool,

    /// Trust this PEM CA bundle in addition to the built-in roots (repeatable).
    #[arg(long, value_name = "PEM")]
    pub ca_cert: Vec<PathBuf>,

    /// Skip the built-in API wordlist and path guessing during discovery.
    #[arg(long)]
    pub no_wordlist: bool,

    /// Scan as this identity (repeatable): NAME=basic:USER:PASS, NAME=bearer:TOKEN,
    /// NAME=header:Name:Value, NAME=query:name=value or NAME=cookie:name=value; `${VAR}` reads the
    /// environment. Two identities let BOLA checks prove one user reads another's objects. Login
    /// flows and HMAC signing go in `[[identity]]` blocks of leakprobe.toml. Never printed.
    #[arg(long = "identity", value_name = "NAME=SPEC")]
    pub identities: Vec<String>,

    /// Label an identity with a role, e.g. `carol=admin` (repeatable); BFLA checks compare roles.
    #[arg(long = "role", value_name = "NAME=ROLE")]
    pub roles: Vec<String>,

    /// Also send requests that may change state: well-formed writes for mass assignment, method
    /// override, login bursts, SSRF canaries. Off by default; never against production without consent.
    #[arg(long)]
    pub active: bool,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

/// `30s`, `2m`, `1h`, or a bare number of seconds.
fn parse_duration(s: &str) -> Result<Duration, String> {
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    humantime::parse_duration(s).map_err(|e| format!("`{s}` is not a duration like 30s or 2m ({e})"))
}

pub fn explain(id: &str) -> anyhow::Result<u8> {
    let Some(check) = leakprobe_engine::checks::find(id) else {
        let known: Vec<_> = CHECKS.iter().map(|c| c.id).collect();
        return Err(UsageError(format!("no check `{id}`; known checks: {}", known.join(", "))).into());
    };
    println!("{}", check.docs.trim_end());
    println!(
        "\nCategory: {} · CWE: {} · OWASP {}",
        check.category,
        check.cwe.iter().map(|c| format!("CWE-{c}")).collect::<Vec<_>>().join(", "),
        check.category.owasp()
    );
    Ok(EXIT_OK)
}

pub fn list_checks() -> anyhow::Result<u8> {
    for check in CHECKS {
        let status = if check.status == Status::Preview { " (preview)" } else { "" };
        println!("{:<32} {:<24} {}{status}", check.id, check.category.id(), check.summary);
    }
    Ok(EXIT_OK)
}
