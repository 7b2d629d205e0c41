//! Throughput of the detector on a generated, realistic corpus (see `gen.rs`): API responses,
//! HTML pages, a text log and a sparse JSON-lines log (the logs in the 1 MiB chunks `leakprobe
//! detect` reads), and the same corpus through detect-secrets for comparison.
//!
//! `cargo bench -p leakprobe-detect` prints criterion's figures, then a summary in MB/s per path
//! and the ratio to detect-secrets when `.venv/bin/detect-secrets` exists in the workspace
//! (`python3 -m venv .venv && .venv/bin/pip install detect-secrets`); otherwise it says so and
//! skips the comparison.
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use leakprobe_detect::Detector;

#[path = "support/gen.rs"]
mod gen;

struct Corpus {
    json: Vec<Vec<u8>>,
    html: Vec<Vec<u8>>,
    logs: Vec<Vec<u8>>,
    json_logs: Vec<Vec<u8>>,
}

/// Splits a log into the 1 MiB line-aligned chunks `leakprobe detect` reads.
fn chunks(log: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = log;
    while !rest.is_empty() {
        let cut = if rest.len() <= 1 << 20 {
            rest.len()
        } else {
            rest[..1 << 20].iter().rposition(|c| *c == b'\n').map_or(1 << 20, |i| i + 1)
        };
        out.push(rest[..cut].to_vec());
        rest = &rest[cut..];
    }
    out
}

impl Corpus {
    fn new() -> Self {
        let docs = |seed, total: usize, f: fn(&mut gen::Rng) -> String| {
            let mut r = gen::Rng::new(seed);
            let mut v = Vec::new();
            let mut n = 0;
            while n < total {
                let d = f(&mut r).into_bytes();
                n += d.len();
                v.push(d);
            }
            v
        };
        // Logs are scanned the way `leakprobe detect` reads them: 1 MiB line-aligned chunks.
        Corpus {
            json: docs(1, 4 << 20, gen::json_response),
            html: docs(2, 2 << 20, gen::html_page),
            logs: chunks(&gen::corpus(3, 4 << 20, gen::log_line)),
            json_logs: chunks(&gen::corpus(4, 8 << 20, gen::json_log_line)),
        }
    }
}

fn total(docs: &[Vec<u8>]) -> usize {
    docs.iter().map(Vec::len).sum()
}

fn scan_all(d: &Detector, docs: &[Vec<u8>]) -> usize {
    docs.iter().map(|doc| black_box(d.scan_bytes(black_box(doc))).len()).sum()
}

fn criterion_benches(c: &mut Criterion, d: &Detector, corpus: &Corpus) {
    for (name, docs) in [
        ("json_responses", &corpus.json),
        ("html_pages", &corpus.html),
        ("log_chunks", &corpus.logs),
        ("json_log_chunks", &corpus.json_logs),
    ] {
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(total(docs) as u64));
        g.bench_function("scan_bytes", |b| b.iter(|| scan_all(d, docs)));
        g.finish();
    }
}

/// CPU time of this thread (Linux `/proc/thread-self/schedstat`), so a busy machine does not
/// distort the figure; `None` elsewhere.
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(Duration::from_nanos(s.split_whitespace().next()?.parse().ok()?))
}

/// Best of five runs, in MB/s (10^6 bytes): wall clock, and per CPU-second when measurable.
fn mbps(d: &Detector, docs: &[Vec<u8>]) -> (f64, usize, Option<f64>) {
    let mut best = Duration::MAX;
    let mut best_cpu: Option<Duration> = None;
    let mut found = 0;
    for _ in 0..5 {
        let (t, c) = (Instant::now(), thread_cpu());
        found = scan_all(d, docs);
        best = best.min(t.elapsed());
        if let (Some(c0), Some(c1)) = (c, thread_cpu()) {
            best_cpu = Some(best_cpu.map_or(c1 - c0, |b| b.min(c1 - c0)));
        }
    }
    let mb = total(docs) as f64 / 1e6;
    (mb / best.as_secs_f64(), found, best_cpu.map(|c| mb / c.as_secs_f64()))
}

fn detect_secrets_comparison(d: &Detector, corpus: &Corpus) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let bin = root.join(".venv/bin/detect-secrets");
    if !bin.exists() {
        println!("detect-secrets: not installed at {} — skipping the comparison", bin.display());
        println!("  (python3 -m venv .venv && .venv/bin/pip install detect-secrets)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("leakprobe-bench-{}", std::process::id()));
    if std::fs::create_dir_all(&dir).is_err() {
        println!("detect-secrets: cannot create {} — skipping", dir.display());
        return;
    }
    let files: Vec<(PathBuf, Vec<u8>)> = vec![
        (dir.join("responses.jsonl"), corpus.json.concat()),
        (dir.join("pages.html"), corpus.html.concat()),
        (dir.join("app.log"), corpus.logs.concat()),
        (dir.join("app.jsonl"), corpus.json_logs.concat()),
    ];
    for (p, b) in &files {
        if std::fs::write(p, b).is_err() {
            println!("detect-secrets: cannot write corpus — skipping");
            return;
        }
    }
    let bytes: usize = files.iter().map(|f| f.1.len()).sum();
    // GNU time reports the child's CPU seconds, comparable with ours on a busy machine.
    let gnu_time = std::path::Path::new("/usr/bin/time");
    let mut cmd = if gnu_time.exists() {
        let mut c = std::process::Command::new(gnu_time);
        c.args(["-f", "cpu %U %S"]).arg(&bin);
        c
    } else {
        std::process::Command::new(&bin)
    };
    let t = Instant::now();
    let out = cmd.arg("scan").args(files.iter().map(|f| &f.0)).current_dir(&dir).output();
    let wall = t.elapsed();
    let _ = std::fs::remove_dir_all(&dir);
    match out {
        Ok(o) if o.status.success() => {
            let docs: Vec<Vec<u8>> =
                corpus.json.iter().chain(&corpus.html).chain(&corpus.logs).chain(&corpus.json_logs).cloned().collect();
            let (our_wall, _, our_cpu) = mbps(d, &docs);
            let their_cpu = String::from_utf8_lossy(&o.stderr).lines().rev().find_map(|l| {
                let mut it = l.strip_prefix("cpu ")?.split_whitespace().map(|x| x.parse::<f64>().ok());
                Some(it.next()?? + it.next()??)
            });
            let mb = bytes as f64 / 1e6;
            println!("detect-secrets on the same {mb:.1} MB (four files, one process, incl. Python start-up):");
            println!(
                "  wall {:.2}s = {:.3} MB/s; leakprobe-detect wall {our_wall:.1} MB/s -> ratio {:.0}x",
                wall.as_secs_f64(),
                mb / wall.as_secs_f64(),
                our_wall / (mb / wall.as_secs_f64())
            );
            if let (Some(tc), Some(oc)) = (their_cpu, our_cpu) {
                println!(
                    "  cpu  {tc:.2}s = {:.3} MB/s; leakprobe-detect {oc:.1} MB per CPU-second -> ratio {:.0}x",
                    mb / tc,
                    oc / (mb / tc)
                );
            }
        }
        Ok(o) => println!(
            "detect-secrets failed ({}): {}",
            o.status,
            String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or("")
        ),
        Err(e) => println!("detect-secrets could not run: {e} — skipping"),
    }
}

fn main() {
    let d = Detector::new();
    let corpus = Corpus::new();
    let mut c = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(4)).configure_from_args();
    criterion_benches(&mut c, &d, &corpus);
    c.final_summary();

    println!("\n== leakprobe-detect throughput (single thread, best of 5) ==");
    println!("{:<24} {:>9} {:>13} {:>17} {:>9}", "path", "size", "wall MB/s", "MB per CPU-second", "findings");
    for (name, docs) in [
        ("json  (API responses)", &corpus.json),
        ("html  (pages)", &corpus.html),
        ("text  (log chunks)", &corpus.logs),
        ("jsonl (JSON log chunks)", &corpus.json_logs),
    ] {
        let (m, found, cpu) = mbps(&d, docs);
        let cpu = cpu.map_or("n/a".to_string(), |c| format!("{c:.1}"));
        println!("{name:<24} {:>6.1} MB {m:>13.1} {cpu:>17} {found:>9}", total(docs) as f64 / 1e6);
    }
    detect_secrets_comparison(&d, &corpus);
}
