//! The `leakprobe` command line: parses flags, calls the engine, renders, maps outcomes to exit codes.
//!
//! Exit codes: 0 success, 1 a `--fail-below`/`--fail-on`/`--fail-on-new` threshold failed, or the
//! scan was partial under `--fail-on-incomplete` (or `detect` found something), 2 usage or input
//! error (an unreadable or oversized `--spec` included), 3 target unreachable or scan failed. A
//! budget or time limit that runs out is a partial report (exit 0 unless a gate fails), never 3.
pub mod baseline;
pub mod cli;
pub mod config_file;
pub mod demo;
pub mod detect_cmd;
pub mod diff_cmd;
pub mod mcp_cmd;
mod scan_cmd;
pub mod serve_cmd;
pub mod suppress;

use cli::{Command, Opts};

pub const EXIT_OK: u8 = 0;
pub const EXIT_THRESHOLD: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_SCAN_FAILED: u8 = 3;

/// An error in what the user asked for (exit 2), as opposed to a failure of the scan (exit 3).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

pub fn run(opts: Opts) -> u8 {
    init_tracing(opts.verbose, opts.quiet);
    let outcome = match opts.command {
        Command::Scan(args) => scan_cmd::scan(args, opts.quiet),
        Command::Demo(args) => scan_cmd::demo(args, opts.quiet),
        Command::Explain { check } => cli::explain(&check),
        Command::Checks => cli::list_checks(),
        Command::Detect(args) => detect_cmd::run(&args),
        Command::Diff(args) => diff_cmd::run(&args),
        Command::Mcp(args) => mcp_cmd::run(&args),
        Command::Serve(args) => serve_cmd::serve(args),
        Command::Worker(args) => serve_cmd::worker(args),
        Command::Token(command) => serve_cmd::token(command),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            let code = exit_code_for(&error);
            anstream::eprintln!("leakprobe: error: {}", one_line(&error));
            code
        }
    }
}

fn exit_code_for(error: &anyhow::Error) -> u8 {
    use leakprobe_engine::ScanError;
    if error.downcast_ref::<UsageError>().is_some() {
        return EXIT_USAGE;
    }
    match error.downcast_ref::<ScanError>() {
        // A target URL that names a state change (`/api/admin/reset`) is refused like any such GET.
        Some(
            ScanError::Config(_)
            | ScanError::Spec(_)
            | ScanError::OutOfScope(_)
            | ScanError::Login(_)
            | ScanError::NotSent(_),
        ) => EXIT_USAGE,
        _ => EXIT_SCAN_FAILED,
    }
}

/// The error and its causes on one line: `cannot read spec: No such file or directory`.
/// The error chain on one line; a cause may quote the target (a spec's text, a status line), so its
/// control characters are escaped before they reach the terminal.
fn one_line(error: &anyhow::Error) -> String {
    let line = error.chain().map(ToString::to_string).collect::<Vec<_>>().join(": ");
    leakprobe_render::escape_controls(&line).into_owned()
}

fn init_tracing(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("LEAKPROBE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("leakprobe={level},leakprobe_engine={level}")));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).without_time().try_init();
}
