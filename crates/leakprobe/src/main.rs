use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let opts = leakprobe::cli::Opts::parse();
    ExitCode::from(leakprobe::run(opts))
}
