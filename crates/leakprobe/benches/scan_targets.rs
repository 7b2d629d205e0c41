//! Scan time and request count of a full default scan of every Flask target in tests/targets
//! (`cargo bench -p leakprobe --bench scan_targets`). Needs the venv that scripts/test.sh creates.
//! Prints one line per target and the median of three runs (`LEAKPROBE_BENCH_RUNS` to change); nothing here is asserted — the numbers
//! go into the closing notes and are compared by people, not by a flaky timer in CI.
#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use common::{repo_root, Target};
use leakprobe_engine::{scan, NoProgress, ScanConfig};

/// Modules that are helpers, or need per-run setup (certificates), are not scanned here.
fn is_target(name: &str) -> bool {
    // generated_api has its own bench (benches/scale.rs).
    !matches!(name, "serve" | "crm_models" | "shop_api" | "spec_shop" | "ratelimit_common" | "generated_api")
        && !name.starts_with("tls_")
        && !name.ends_with("_models")
}

fn main() {
    let mut modules: Vec<String> = std::fs::read_dir(repo_root().join("tests/targets"))
        .expect("tests/targets")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".py").map(str::to_string))
        .filter(|n| is_target(n))
        .collect();
    modules.sort();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    println!("{:<22} {:>9} {:>9} {:>6} {:>6}", "target", "median ms", "requests", "score", "grade");
    for module in modules {
        let target = Target::start(&module);
        let mut runs = Vec::new();
        let runs_wanted: usize = std::env::var("LEAKPROBE_BENCH_RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(3);
        for _ in 0..runs_wanted {
            let started = Instant::now();
            let report = rt.block_on(scan(ScanConfig::new(&target.url).expect("config"), &NoProgress));
            let elapsed = started.elapsed();
            match report {
                Ok(r) => runs.push((elapsed, r.requests, r.score, r.grade)),
                Err(e) => println!("{module:<22} failed: {e}"),
            }
        }
        runs.sort_by_key(|r| r.0);
        if let Some((elapsed, requests, score, grade)) = runs.get(runs.len() / 2) {
            println!("{module:<22} {:>9} {requests:>9} {score:>6} {grade:>6}", elapsed.as_millis());
        }
    }
}
