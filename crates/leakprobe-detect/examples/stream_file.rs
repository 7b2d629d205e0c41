//! Streams a file through the detector the way `leakprobe detect` does (1 MiB chunks cut at the
//! last line break, `scan_bytes` per chunk) and prints findings per type, throughput and the
//! process's peak RSS. For measuring big logs without building the whole CLI:
//! `cargo run --release -p leakprobe-detect --example stream_file -- /tmp/big.log`
use std::collections::BTreeMap;
use std::io::Read;

use leakprobe_detect::{Confidence, Detector};

const CHUNK: usize = 1 << 20;

fn main() -> std::io::Result<()> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "/dev/stdin".into());
    let mut file = std::fs::File::open(&path)?;
    let d = Detector::new();
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + 64 * 1024);
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let (mut total, mut eof) = (0usize, false);
    let t = std::time::Instant::now();
    while !eof {
        while buf.len() < CHUNK {
            let old = buf.len();
            buf.resize(CHUNK, 0);
            let n = file.read(&mut buf[old..])?;
            buf.truncate(old + n);
            if n == 0 {
                eof = true;
                break;
            }
        }
        let cut = if eof { buf.len() } else { buf.iter().rposition(|c| *c == b'\n').map_or(buf.len(), |i| i + 1) };
        for m in d.scan_bytes(&buf[..cut]) {
            if m.confidence >= Confidence::Medium {
                *counts.entry(m.kind.as_str()).or_default() += 1;
            }
        }
        total += cut;
        buf.drain(..cut);
    }
    let secs = t.elapsed().as_secs_f64();
    println!("{} bytes in {secs:.1}s = {:.1} MB/s", total, total as f64 / 1e6 / secs);
    println!("findings (medium+): {counts:?}");
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    for line in status.lines().filter(|l| l.starts_with("VmHWM") || l.starts_with("VmRSS")) {
        println!("{line}");
    }
    Ok(())
}
