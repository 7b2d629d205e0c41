//! Writes a generated application log of about N MB to stdout, for measuring `leakprobe detect`
//! on large files: `cargo run --release -p leakprobe-detect --example gen_log -- 1024 > /tmp/big.log`
use std::io::Write;

#[path = "../benches/support/gen.rs"]
mod gen;

fn main() -> std::io::Result<()> {
    let mb: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100);
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    let mut r = gen::Rng::new(42);
    let mut written = 0usize;
    while written < mb << 20 {
        let line = gen::log_line(&mut r);
        written += line.len();
        out.write_all(line.as_bytes())?;
    }
    out.flush()
}
