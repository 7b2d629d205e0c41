//! The leakprobe scan engine.
//!
//! One scan flows recon → discovery → inventory → exercise → survey → checks → triage → score,
//! every request through one [`client::Client`] that enforces the safety contract. The result is a typed
//! [`report::Report`], the JSON contract of `schema/report.schema.json`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), leakprobe_engine::ScanError> {
//! use leakprobe_engine::{scan, ScanConfig, NoProgress};
//! let report = scan(ScanConfig::new("http://127.0.0.1:5000")?, &NoProgress).await?;
//! println!("{} ({})", report.score, report.grade);
//! # Ok(()) }
//! ```
pub mod checks;
pub mod client;
pub mod compare;
pub mod config;
pub mod content;
pub mod context;
pub mod discovery;
mod error;
pub mod exercise;
pub mod fingerprints;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod health;
pub mod identity;
pub mod inventory;
pub mod jwt;
pub mod parsed;
pub mod report;
pub mod requests;
pub mod schedule;
pub mod scoring;
pub mod soft404;
pub mod suppress;
pub mod survey;
pub mod tls;
mod triage;
pub mod words;
pub mod writes;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::join_all;

pub use config::{ScanConfig, SpecSource};
pub use error::ScanError;

use checks::{Hit, Runner, CHECKS};
use client::Client;
use context::ScanContext;
use report::{Category, CategoryReport, CategorySeverity, Coverage, Grade, InventoryEntry, Report, Tool};
use soft404::SoftNotFound;

/// Where a long scan tells the user how far it got.
pub trait Progress: Send + Sync {
    fn phase(&self, _name: &str) {}
    /// Requests sent so far and the scan's budget (`max_requests`), reported at each phase change
    /// and once at the end.
    fn requests(&self, _sent: usize, _budget: usize) {}
}

pub struct NoProgress;
impl Progress for NoProgress {}

/// Runs one scan. Partial results (time limit, budget, timeouts) are a report with
/// `coverage.incomplete`; only a target that cannot be reached at all is an error.
pub async fn scan(mut config: ScanConfig, progress: &dyn Progress) -> Result<Report, ScanError> {
    config.credential_headers_as_identity();
    let started_at = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let started = Instant::now();
    let client = Client::new(&config)?;

    client.log_in().await?;

    progress.phase("recon");
    let budget = config.max_requests;
    let root_path = config.target.path().to_string();
    let root = client.send(client.baseline_get(root_path)).await?;
    if root.status.is_none() {
        return Err(ScanError::NoAnswer(format!(
            "{} ({})",
            config.target,
            root.error.as_deref().unwrap_or("no response")
        )));
    }
    let tls_probe = tls::probe(&config.target, &config.ca_certs, config.request_timeout);
    let short = client.send(client.baseline_get(soft404::random_path(soft404::SHORT_LEN)));
    let long = client.send(client.baseline_get(soft404::random_path(soft404::LONG_LEN)));
    let (tls, short, long) = tokio::join!(tls_probe, short, long);
    // A budget or time limit too small for the probes is a partial scan, not a failed one.
    let soft404 = match (short, long) {
        (Ok(short), Ok(long)) => SoftNotFound::calibrate(&short, &long),
        (Err(ScanError::Budget | ScanError::TimeLimit), _) | (_, Err(ScanError::Budget | ScanError::TimeLimit)) => {
            SoftNotFound::uncalibrated()
        }
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };

    progress.phase("discovery");
    progress.requests(client.requests_sent(), budget);
    let found = discovery::discover(&client, &config, &soft404, &root).await?;
    health::check_identities(&client, &found.inventory, &soft404, "discovery").await;

    let mut ctx = ScanContext {
        config,
        client,
        soft404,
        inventory: found.inventory,
        spec: found.spec,
        tls,
        detector: leakprobe_detect::Detector::new(),
        schedule: schedule::Schedule::default(),
        survey: survey::Survey::default(),
    };
    ctx.schedule = schedule::Schedule::new(&ctx);

    // Before the checks: their baselines of well-formed requests are then answered from the cache.
    progress.phase("exercise");
    exercise::run(&ctx).await;
    health::check_identities(&ctx.client, &ctx.inventory, &ctx.soft404, "exercise").await;

    // Every readable endpoint once per caller; the authorization checks read it.
    progress.phase("survey");
    ctx.survey = survey::run(&ctx).await;
    health::check_identities(&ctx.client, &ctx.inventory, &ctx.soft404, "survey").await;

    progress.phase("checks");
    progress.requests(ctx.client.requests_sent(), budget);
    let ctx_ref = &ctx;
    let selected = |c: &&&'static checks::CheckInfo| ctx_ref.config.runs(c.id);
    let run_check = |c: &'static checks::CheckInfo| match c.runner {
        Runner::Active(run) => Some(schedule::run_as(c, async move {
            let hits = run(ctx_ref).await.into_iter().map(|h| (c, h)).collect::<Vec<_>>();
            ctx_ref.schedule.settle(c);
            hits
        })),
        Runner::Passive(_) => None,
    };
    let last = |c: &&&'static checks::CheckInfo| checks::RUN_LAST.contains(&c.id);
    let active = CHECKS.iter().filter(selected).filter(|c| !last(c)).filter_map(|c| run_check(c));
    let mut hits: Vec<(&'static checks::CheckInfo, Hit)> = join_all(active).await.into_iter().flatten().collect();
    let regranted = schedule::regrant(ctx_ref, &hits).await;
    hits.extend(regranted);
    for check in CHECKS.iter().filter(selected).filter(last).filter_map(|c| run_check(c)) {
        hits.extend(check.await);
    }
    health::check_identities(&ctx.client, &ctx.inventory, &ctx.soft404, "checks").await;

    progress.phase("analysis");
    progress.requests(ctx.client.requests_sent(), budget);
    let exchanges = ctx.client.exchanges();
    let (found, analyzed) = analyse(&ctx, &exchanges);
    hits.extend(found);

    let answered: std::collections::BTreeSet<String> = ctx
        .client
        .exchanges()
        .iter()
        .filter(|ex| ex.status.is_some() && !ctx.soft404.is_not_found(ex))
        .map(|ex| ctx.inventory.template_of(ex.path()))
        .collect();
    let findings = triage::merge(hits, &ctx.inventory, &answered);
    let checks = ctx.schedule.coverage(&ctx, analyzed);
    let report = build_report(&ctx, findings, checks, started_at, started);
    progress.requests(report.requests, budget);
    Ok(report)
}

/// The analysis's pace per core in body bytes per second, on the low side: `benches/analysis.rs`
/// measured 45–70 MB/s per core on large JSON pages in an optimised build; a debug build on a
/// loaded machine read about 7.
const ANALYSIS_BYTES_PER_SEC_PER_CORE: f64 = 20e6;
/// The least grace: a small scan's few answers are analysed even when its time limit is spent.
const MIN_ANALYSIS_GRACE: Duration = Duration::from_millis(250);
/// The most: what the scan may overrun its time limit by stays well within the 15 s the safety
/// contract allows, with room for the report.
const MAX_ANALYSIS_GRACE: Duration = Duration::from_secs(10);

/// How long the analysis may run when the requests used up the time limit: the answers already
/// paid for are worth the time their analysis should take (twice the estimate at
/// [`ANALYSIS_BYTES_PER_SEC_PER_CORE`]), but never more than a tenth of the time limit, so a short
/// limit is not overrun by seconds, nor more than [`MAX_ANALYSIS_GRACE`].
fn analysis_grace(time_limit: Duration, body_bytes: usize, cores: usize) -> Duration {
    #[allow(clippy::cast_precision_loss)] // an estimate
    let estimate = body_bytes as f64 / (ANALYSIS_BYTES_PER_SEC_PER_CORE * cores.max(1) as f64);
    Duration::from_secs_f64(2.0 * estimate).max(MIN_ANALYSIS_GRACE).min(time_limit / 10).min(MAX_ANALYSIS_GRACE)
}

/// Runs the passive analyzers over every exchange, on all cores, until the scan's deadline (or
/// for [`analysis_grace`] when less is left). Hits come back in exchange order, as a sequential run
/// would give them; exchanges left unread, and bodies nested too deep to read whole, are
/// reported as incomplete. Returns the hits and how many exchanges were analysed.
fn analyse(ctx: &ScanContext, exchanges: &[Arc<client::Exchange>]) -> (Vec<(&'static checks::CheckInfo, Hit)>, usize) {
    let passive: Vec<(&'static checks::CheckInfo, checks::PassiveFn)> = CHECKS
        .iter()
        .filter(|c| ctx.config.runs(c.id))
        .filter_map(|c| match c.runner {
            Runner::Passive(analyze) => Some((*c, analyze)),
            Runner::Active(_) => None,
        })
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get).min(exchanges.len());
    let bytes = exchanges.iter().map(|ex| ex.body.len()).sum();
    let grace = analysis_grace(ctx.config.time_limit, bytes, threads);
    let started = Instant::now();
    let deadline = started + ctx.client.time_left().max(grace);
    let next = AtomicUsize::new(0);
    let analysed = AtomicUsize::new(0);
    let worker = || {
        let mut out = Vec::new();
        let mut found = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= exchanges.len() || Instant::now() >= deadline {
                return out;
            }
            let ex = &exchanges[i];
            for (check, analyze) in &passive {
                analyze(ex, ctx, &mut found);
                out.extend(found.drain(..).map(|h| (i, *check, h)));
            }
            ex.check_depth();
            // Nothing reads the parsed body again; the scan keeps the exchange itself.
            ex.release_parsed();
            analysed.fetch_add(1, Ordering::Relaxed);
        }
    };
    let mut hits: Vec<(usize, &'static checks::CheckInfo, Hit)> = std::thread::scope(|s| {
        let handles: Vec<_> = (1..threads).map(|_| s.spawn(worker)).collect();
        let mut all = worker();
        for h in handles {
            all.extend(h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        }
        all
    });
    // Stable: within one exchange the checks keep their registry order.
    hits.sort_by_key(|h| h.0);
    let analysed = analysed.into_inner();
    // Every answer analysed had its depth checked; one left unread counts if a check read it deep.
    let too_deep = exchanges.iter().filter(|ex| ex.too_deep()).count();
    tracing::info!(
        exchanges = exchanges.len(),
        analysed,
        bytes,
        ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "analysis"
    );
    if analysed < exchanges.len() {
        ctx.client.mark_incomplete(format!(
            "time limit reached during analysis: {} of {} response(s) not analysed",
            exchanges.len() - analysed,
            exchanges.len()
        ));
    }
    if too_deep > 0 {
        ctx.client.mark_incomplete(format!(
            "{too_deep} response body(ies) nested deeper than {} levels, read only to that depth",
            leakprobe_detect::MAX_JSON_DEPTH
        ));
    }
    (hits.into_iter().map(|(_, check, hit)| (check, hit)).collect(), analysed)
}

fn build_report(
    ctx: &ScanContext,
    findings: Vec<(&'static checks::CheckInfo, report::Finding)>,
    checks: Vec<report::CheckCoverage>,
    started_at: String,
    started: Instant,
) -> Report {
    let mut by_category: BTreeMap<Category, Vec<report::Finding>> =
        Category::ALL.iter().map(|c| (*c, Vec::new())).collect();
    for (check, finding) in findings {
        by_category.entry(check.category).or_default().push(finding);
    }
    let categories = by_category
        .into_iter()
        .map(|(category, mut findings)| {
            findings.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.endpoint.cmp(&b.endpoint)));
            let score = scoring::score(&scoring::ledger(&findings));
            let severity =
                findings.iter().map(|f| f.severity).max().map_or(CategorySeverity::None, CategorySeverity::Some);
            (category, CategoryReport { score, grade: Grade::from_score(score), severity, findings })
        })
        .collect::<BTreeMap<_, _>>();
    let ledger = scoring::ledger(categories.values().flat_map(|c| &c.findings));
    let score = scoring::score(&ledger);
    let inventory = ctx
        .inventory
        .endpoints()
        .map(|e| InventoryEntry {
            endpoint: e.template.clone(),
            methods: e.methods.iter().cloned().collect(),
            sources: e.sources.iter().map(|s| s.as_str().to_string()).collect(),
        })
        .collect();
    Report {
        schema_version: report::SCHEMA_VERSION.to_string(),
        tool: Tool { name: "leakprobe".into(), version: env!("CARGO_PKG_VERSION").into() },
        target: ctx.config.target.to_string(),
        started_at,
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        requests: ctx.client.requests_sent(),
        score,
        grade: Grade::from_score(score),
        categories,
        ledger,
        coverage: coverage(ctx, checks),
        inventory,
        tls: ctx.tls.clone(),
        baseline: None,
        suppressions: Vec::new(),
    }
}

fn coverage(ctx: &ScanContext, checks: Vec<report::CheckCoverage>) -> Coverage {
    let mut incomplete = ctx.client.incomplete();
    let skipped: Vec<&str> = checks
        .iter()
        .filter(|c| c.skipped.iter().any(report::Skipped::makes_partial))
        .map(|c| c.check.as_str())
        .collect();
    if !skipped.is_empty() {
        incomplete.push(format!(
            "{} check(s) left work undone (budget or time limit): {}",
            skipped.len(),
            skipped.join(", ")
        ));
    }
    Coverage {
        endpoints: ctx.inventory.len(),
        from_spec: ctx.inventory.from_spec(),
        without_schema: ctx.spec.as_ref().map_or(0, |s| s.without_schema),
        checks_run: checks.iter().filter(|c| c.did_run()).count(),
        complete: incomplete.is_empty(),
        incomplete,
        throttled: ctx.client.throttled(),
        checks,
        not_called: ctx
            .client
            .not_sent()
            .into_iter()
            .map(|(method, path, why)| report::NotCalled { method, path, reason: why.as_str().to_string() })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analysis_grace_follows_the_work_and_the_time_limit() {
        let s = Duration::from_secs;
        // A short time limit is overrun by a tenth of it at most, however much there is to read.
        assert_eq!(analysis_grace(s(6), 200 << 20, 2), Duration::from_millis(600));
        // A long scan of many large bodies gets the time their analysis takes (the old fixed 5 s
        // cut it)…
        let big = analysis_grace(s(600), 300 << 20, 2);
        assert!(big > s(5) && big <= MAX_ANALYSIS_GRACE, "{big:?}");
        // …more cores need less of it, and a few small answers need little.
        assert!(analysis_grace(s(600), 100 << 20, 8) < analysis_grace(s(600), 100 << 20, 2));
        assert_eq!(analysis_grace(s(120), 40_000, 2), MIN_ANALYSIS_GRACE);
    }
}
