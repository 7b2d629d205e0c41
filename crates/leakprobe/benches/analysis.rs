//! Time of the scan's analysis phase (the passive analyzers over every exchange) on targets with
//! many answers: `cargo bench -p leakprobe --bench analysis`. Needs the venv that scripts/test.sh
//! creates. Prints, per target, the exchanges analysed, the analysis time and the whole scan's;
//! nothing is asserted.
#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Mutex;
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

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    println!("{:<16} {:>9} {:>12} {:>10} {:>9}", "target", "requests", "analysis ms", "scan ms", "findings");
    for (module, env) in [("warehouse_erp", vec![]), ("bulk_records", vec![("BULK_RESOURCES", "40")])] {
        let target = Target::start_env(module, &env);
        let mut best: Option<(Duration, Duration, usize, usize)> = None;
        for _ in 0..3 {
            let clock = PhaseClock::default();
            let mut config = ScanConfig::new(&target.url).expect("config");
            config.max_requests = 5_000;
            let started = Instant::now();
            let report = rt.block_on(scan(config, &clock)).expect("scan");
            let ended = Instant::now();
            let began = clock.0.lock().unwrap_or_else(|p| p.into_inner()).unwrap_or(ended);
            let findings = report.categories.values().map(|c| c.findings.len()).sum();
            let run = (ended - began, ended - started, report.requests, findings);
            if best.is_none_or(|b| run.0 < b.0) {
                best = Some(run);
            }
        }
        if let Some((analysis, whole, requests, findings)) = best {
            println!("{module:<16} {requests:>9} {:>12} {:>10} {findings:>9}", analysis.as_millis(), whole.as_millis());
        }
    }
}
