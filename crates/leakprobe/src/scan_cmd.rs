//! `leakprobe scan` and `leakprobe demo`.
use std::io::{IsTerminal, Write};
use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use leakprobe_engine::report::{BaselineState, Report, SuppressionState};
use leakprobe_engine::{Progress, ScanConfig, SpecSource};
use leakprobe_render::Format;

use crate::cli::{OutputArgs, OutputFormat, ScanArgs};
use crate::{baseline, config_file, UsageError, EXIT_OK, EXIT_THRESHOLD};

pub fn scan(args: ScanArgs, quiet: bool) -> anyhow::Result<u8> {
    let mut config = config_from(&args)?;
    // Everything the user handed us is checked before the first request, so a typo in
    // leakprobe.toml or a wrong baseline path fails in milliseconds with exit 2.
    let file = config_file::locate(args.config.as_deref())?.map(|path| config_file::load(&path)).transpose()?;
    let suppressions = match &file {
        Some(file) => crate::suppress::from_options(&file.suppressions)?,
        None => Default::default(),
    };
    for identity in file.iter().flat_map(|f| &f.identities) {
        if config.identities.iter().any(|i| i.name == identity.name) {
            return Err(UsageError(format!("identity `{}` is defined twice", identity.name)).into());
        }
        config.identities.push(identity.resolve()?);
    }
    apply_roles(&mut config, &args.roles)?;
    let previous = args.baseline.as_deref().map(|p| baseline::load(p, "--baseline")).transpose()?;

    let mut report = runtime()?.block_on(run_scan(config, quiet))?;
    if !suppressions.is_empty() {
        suppressions.apply(&mut report, &leakprobe_engine::suppress::today());
    }
    if let Some(previous) = &previous {
        baseline::apply(&mut report, previous);
    }
    // The terminal report shows expired suppressions itself; elsewhere stderr is where CI logs see them.
    if !quiet && stdout_format(&args.output, default_format()) != Some(Format::Terminal) {
        warn_expired(&report);
    }
    emit(&report, &args.output, default_format())?;
    Ok(verdict(&report, &args, quiet))
}

/// Expired suppressions stop suppressing; say so where CI logs show it.
fn warn_expired(report: &Report) {
    for note in report.suppressions.iter().filter(|n| n.state == SuppressionState::Expired) {
        anstream::eprintln!(
            "leakprobe: warning: suppression {} expired on {}; its {} finding(s) count again (reason was: {})",
            note.rule,
            note.expires.as_deref().unwrap_or("?"),
            note.matched,
            note.reason
        );
    }
}

pub fn demo(output: OutputArgs, quiet: bool) -> anyhow::Result<u8> {
    let rt = runtime()?;
    let report = rt.block_on(async {
        let (url, server) = crate::demo::start().await.context("cannot start the demo API")?;
        if !quiet {
            anstream::eprintln!("Demo API listening on {url} (stopped when the scan ends)");
        }
        let mut config = ScanConfig::new(&url)?;
        config.show_evidence = output.show_evidence;
        let report = run_scan(config, quiet).await;
        server.abort();
        report
    })?;
    // The demo is for people: terminal unless told otherwise.
    emit(&report, &output, Format::Terminal)?;
    Ok(EXIT_OK)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")
}

/// `--role NAME=ROLE` labels an identity given with `--identity` or in leakprobe.toml.
fn apply_roles(config: &mut ScanConfig, roles: &[String]) -> anyhow::Result<()> {
    for role in roles {
        let Some((name, label)) = role.split_once('=') else {
            return Err(UsageError(format!("--role `{role}` must look like NAME=ROLE")).into());
        };
        let Some(identity) = config.identities.iter_mut().find(|i| i.name == name) else {
            return Err(UsageError(format!("--role {role}: no identity named `{name}`")).into());
        };
        identity.role = Some(label.to_string());
    }
    Ok(())
}

fn config_from(args: &ScanArgs) -> anyhow::Result<ScanConfig> {
    let mut config = ScanConfig::new(&args.url)?;
    config.spec = args.spec.as_ref().map(|s| {
        if s.starts_with("http://") || s.starts_with("https://") {
            SpecSource::Url(s.clone())
        } else {
            SpecSource::File(s.into())
        }
    });
    if let Some(SpecSource::File(path)) = &config.spec {
        if !path.is_file() {
            return Err(UsageError(format!("--spec {}: no such file", path.display())).into());
        }
    }
    config.rate = args.rate;
    config.concurrency = usize::try_from(args.concurrency).unwrap_or(8);
    config.max_requests = args.max_requests;
    config.time_limit = args.time_limit;
    config.request_timeout = args.timeout;
    config.body_cap = args.max_body_kib.max(1) * 1024;
    config.retained_body_cap = args.max_total_body_mib.saturating_mul(1024 * 1024);
    config.max_spec_size = args.max_spec_mib.max(1).saturating_mul(1024 * 1024);
    config.show_evidence = args.output.show_evidence;
    config.insecure = args.insecure;
    config.wordlist = !args.no_wordlist;
    config.active = args.active;
    for spec in &args.identities {
        let identity = leakprobe_engine::identity::Identity::parse(spec)?;
        if config.identities.iter().any(|i| i.name == identity.name) {
            return Err(UsageError(format!("identity `{}` is given twice", identity.name)).into());
        }
        config.identities.push(identity);
    }
    for header in &args.headers {
        let Some((name, value)) = header.split_once(':') else {
            return Err(
                UsageError(format!("--header `{}` must look like 'Name: value'", header_name_only(header))).into()
            );
        };
        config.headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    for path in &args.ca_cert {
        let pem = std::fs::read(path).map_err(|e| UsageError(format!("--ca-cert {}: {e}", path.display())))?;
        config.ca_certs.push(pem);
    }
    Ok(config)
}

/// Whatever precedes a colon or the first 12 characters: enough to recognise, never the secret.
fn header_name_only(header: &str) -> String {
    let shown: String = header.chars().take(12).collect();
    if header.chars().count() > 12 {
        format!("{shown}…")
    } else {
        shown
    }
}

struct Spinner(Option<ProgressBar>);

impl Progress for Spinner {
    fn phase(&self, name: &str) {
        if let Some(bar) = &self.0 {
            bar.set_message(name.to_string());
        }
    }
}

async fn run_scan(config: ScanConfig, quiet: bool) -> anyhow::Result<Report> {
    let interactive = !quiet && std::io::stderr().is_terminal();
    let spinner = Spinner(interactive.then(|| {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} scanning {prefix} · {msg} · {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_prefix(config.target.to_string());
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    }));
    let report = leakprobe_engine::scan(config, &spinner).await;
    if let Some(bar) = &spinner.0 {
        bar.finish_and_clear();
    }
    Ok(report?)
}

fn default_format() -> Format {
    if std::io::stdout().is_terminal() {
        Format::Terminal
    } else {
        Format::Json
    }
}

fn format_of(f: OutputFormat) -> Format {
    match f {
        OutputFormat::Terminal => Format::Terminal,
        OutputFormat::Json => Format::Json,
        OutputFormat::Sarif => Format::Sarif,
        OutputFormat::Junit => Format::Junit,
        OutputFormat::Markdown => Format::Markdown,
        OutputFormat::Html => Format::Html,
    }
}

fn stdout_format(output: &OutputArgs, default: Format) -> Option<Format> {
    match (output.format, output.output.is_empty()) {
        (Some(f), _) => Some(format_of(f)),
        (None, true) => Some(default),
        (None, false) => None,
    }
}

/// Every `-o FILE` in the format its extension names (JSON otherwise); stdout gets `--format` (or
/// the default) when no file was asked for, and only an explicit `--format` when files were.
fn emit(report: &Report, output: &OutputArgs, default: Format) -> anyhow::Result<()> {
    for path in &output.output {
        let format = Format::from_path(path).unwrap_or(Format::Json);
        let text = leakprobe_render::render(report, format);
        let text = if format == Format::Terminal { strip_ansi(&text) } else { text };
        std::fs::write(path, text).map_err(|e| UsageError(format!("cannot write {}: {e}", path.display())))?;
    }
    if let Some(format) = stdout_format(output, default) {
        let text = leakprobe_render::render(report, format);
        let mut out = anstream::stdout().lock();
        if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            // A closed pipe (`| head`) is the reader's choice, not a failure.
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                return Err(e.into());
            }
        }
    }
    Ok(())
}

fn strip_ansi(text: &str) -> String {
    let mut out = Vec::new();
    let mut stream = anstream::StripStream::new(&mut out);
    let _ = stream.write_all(text.as_bytes());
    String::from_utf8_lossy(&out).into_owned()
}

/// Exit 1 when a threshold fails. Only findings that count (not suppressed) are gated on, and the
/// score is the one after suppressions.
fn verdict(report: &Report, args: &ScanArgs, quiet: bool) -> u8 {
    let mut reasons = Vec::new();
    if let Some(min) = args.fail_below.filter(|min| report.score < *min) {
        reasons.push(format!("score {} is below --fail-below {min}", report.score));
    }
    if let Some(min) = args.fail_on {
        let n = report.findings().filter(|(_, f)| f.is_active() && f.severity >= min).count();
        if n > 0 {
            reasons.push(format!("{n} finding(s) at or above --fail-on {min}"));
        }
    }
    if let Some(min) = args.fail_on_new {
        let n = report.findings().filter(|(_, f)| is_new(f) && f.is_active() && f.severity >= min).count();
        if n > 0 {
            reasons.push(format!("{n} new finding(s) at or above --fail-on-new {min}"));
        }
    }
    if args.fail_on_incomplete && !report.coverage.complete {
        let why = report.coverage.partial_summary().unwrap_or_else(|| "partial".into());
        reasons.push(format!("the scan is incomplete ({why}) and --fail-on-incomplete is set"));
    }
    if reasons.is_empty() {
        return EXIT_OK;
    }
    if !quiet {
        anstream::eprintln!("leakprobe: failing: {}", reasons.join("; "));
    }
    EXIT_THRESHOLD
}

/// New since the baseline; without a baseline every finding is new.
fn is_new(f: &leakprobe_engine::report::Finding) -> bool {
    f.baseline.is_none_or(|s| s == BaselineState::New)
}
