//! `leakprobe detect`: find personal data and secrets in files, directories and stdin.
use clap::Args;

#[derive(Debug, Args)]
pub struct DetectArgs {
    /// Files or directories to scan; `-` or nothing reads standard input.
    pub paths: Vec<std::path::PathBuf>,
}

/// Returns the process exit code: 0 nothing found, 1 something found, 2 bad input.
pub fn run(_args: &DetectArgs) -> anyhow::Result<u8> {
    anyhow::bail!("leakprobe detect is not built yet")
}
