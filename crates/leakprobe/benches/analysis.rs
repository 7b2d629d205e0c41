//! Time of the scan's analysis phase (the passive analyzers over every exchange) on targets with
//! many answers: `cargo bench -p leakprobe --bench analysis`. Needs the venv that scripts/test.sh
//! creates. Prints, per target, the requests, the body bytes analysed, the analysis time and pace
//! (the best of three scans) and the whole scan's time; nothing is asserted.
#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::Target;
use leakprobe_engine::{scan, Progress, ScanConfig};

/// Remembers when the analysis phase began.
#[derive(Default)]
struct PhaseClock(Mutex<Option<Instant>>);

impl Progress for PhaseClock {
    fn phase(&self, name: &str) {
        if name == "analysis" {
            *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        }
    }
}

/// The engine's log, kept to read the `bytes=` of its `analysis` event.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    /// The body bytes the last scan's analysis read, from its `analysis … bytes=N` event.
    fn take_analysed_bytes(&self) -> u64 {
        let text = String::from_utf8(std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner())))
            .unwrap_or_default();
        text.lines()
            .filter(|l| l.contains(" analysis "))
            .filter_map(|l| l.split_whitespace().find_map(|f| f.strip_prefix("bytes=")))
            .filter_map(|n| n.parse().ok())
            .next_back()
            .unwrap_or(0)
    }
}

fn main() {
    let log = Log::default();
    let writer = log.clone();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("leakprobe_engine=info"))
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    println!(
        "{:<16} {:>9} {:>8} {:>12} {:>9} {:>10} {:>9}",
        "target", "requests", "MB", "analysis ms", "MB/s", "scan ms", "findings"
    );
    for (module, env) in [("warehouse_erp", vec![]), ("bulk_records", vec![("BULK_RESOURCES", "40")])] {
        let target = Target::start_env(module, &env);
        let mut best: Option<(Duration, Duration, usize, usize, u64)> = None;
        for _ in 0..3 {
            let clock = PhaseClock::default();
            let mut config = ScanConfig::new(&target.url).expect("config");
            config.max_requests = 5_000;
            let started = Instant::now();
            let report = rt.block_on(scan(config, &clock)).expect("scan");
            let ended = Instant::now();
            let began = clock.0.lock().unwrap_or_else(|p| p.into_inner()).unwrap_or(ended);
            let findings = report.categories.values().map(|c| c.findings.len()).sum();
            let run = (ended - began, ended - started, report.requests, findings, log.take_analysed_bytes());
            if best.is_none_or(|b| run.0 < b.0) {
                best = Some(run);
            }
        }
        if let Some((analysis, whole, requests, findings, bytes)) = best {
            #[allow(clippy::cast_precision_loss)] // a figure to print
            let mb = bytes as f64 / 1e6;
            println!(
                "{module:<16} {requests:>9} {mb:>8.1} {:>12} {:>9.1} {:>10} {findings:>9}",
                analysis.as_millis(),
                mb / analysis.as_secs_f64(),
                whole.as_millis()
            );
        }
    }
}
