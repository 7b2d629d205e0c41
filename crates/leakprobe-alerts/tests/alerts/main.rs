//! The alert crate's tests in one binary (one link instead of five): rules over built and scanned
//! reports, channel settings, and delivery to real receivers on loopback.
mod channels;
mod email;
mod monitoring;
mod rules;
mod webhooks;

use std::path::{Path, PathBuf};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repo root")
}

/// The venv's Python (created by `scripts/test.sh`), or `LEAKPROBE_PYTHON`.
pub fn python() -> PathBuf {
    std::env::var_os("LEAKPROBE_PYTHON").map(PathBuf::from).unwrap_or_else(|| repo_root().join(".venv/bin/python"))
}
