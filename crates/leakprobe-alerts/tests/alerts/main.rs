//! The alert crate's tests in one binary (one link instead of five): rules over built and scanned
//! reports, channel settings, and delivery to real receivers on loopback.
mod channels;
mod email;
mod monitoring;
mod rules;
mod webhooks;

pub use leakprobe_testkit::{python, repo_root};
