//! Running scans for the tools: the request checked against the [`policy`](crate::policy) and
//! turned into a [`ScanConfig`], and the engine's progress turned into MCP progress notifications.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use leakprobe_engine::identity::Identity;
use leakprobe_engine::{Progress, ScanConfig, SpecSource};
use rmcp::model::{ProgressNotificationParam, ProgressToken};
use rmcp::{Peer, RoleServer};
use tokio::sync::mpsc;

use crate::policy::{self, Refusal};
use crate::settings::Settings;
use crate::store::ScanRequest;

/// Most requests one scan from an assistant may send, and the longest it may run.
pub const MAX_REQUESTS: usize = 10_000;
pub const MAX_TIME_LIMIT: Duration = Duration::from_secs(600);

/// The scan `request` asks for, or why it may not run. Nothing here sends a request.
pub fn config(
    settings: &Settings,
    request: &ScanRequest,
    only_checks: Option<Vec<&'static str>>,
) -> Result<ScanConfig, Refusal> {
    let target = policy::target(settings, &request.url)?;
    policy::active(settings, request.active)?;
    let mut config = ScanConfig::new(target.as_str()).map_err(|e| Refusal(format!("malformed URL: {e}")))?;
    config.active = request.active;
    config.only_checks = only_checks;
    if let Some(spec) = &request.spec {
        config.spec = Some(if spec.starts_with("http://") || spec.starts_with("https://") {
            let url = policy::target(settings, spec)?;
            if url.origin() != target.origin() {
                return Err(Refusal(format!(
                    "refused: the spec URL must be on the target's origin {}",
                    target.origin().ascii_serialization()
                )));
            }
            SpecSource::Url(url.to_string())
        } else {
            SpecSource::File(policy::confined_file(settings, spec, "spec")?)
        });
    }
    if let Some(max) = request.max_requests {
        if max == 0 || max > MAX_REQUESTS {
            return Err(Refusal(format!("max_requests must be between 1 and {MAX_REQUESTS}")));
        }
        config.max_requests = max;
    }
    if let Some(limit) = &request.time_limit {
        let limit = parse_duration(limit)?;
        if limit.is_zero() || limit > MAX_TIME_LIMIT {
            return Err(Refusal(format!("time_limit must be more than 0s and at most {}s", MAX_TIME_LIMIT.as_secs())));
        }
        config.time_limit = limit;
    }
    for spec in &request.identities {
        // The engine's message names only the identity, never its credential.
        let identity = Identity::parse(spec).map_err(|e| Refusal(format!("identities: {e}")))?;
        if config.identities.iter().any(|i| i.name == identity.name) {
            return Err(Refusal(format!("identities: `{}` is given twice", identity.name)));
        }
        config.identities.push(identity);
    }
    Ok(config)
}

/// `90s`, `2m`, or a bare number of seconds.
fn parse_duration(s: &str) -> Result<Duration, Refusal> {
    if let Ok(secs) = s.trim().parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    humantime::parse_duration(s.trim())
        .map_err(|e| Refusal(format!("time_limit `{s}` is not a duration like 90s or 2m ({e})")))
}

/// Engine progress as MCP `notifications/progress`: one at the start and one after each phase,
/// with the requests sent so far. The engine calls [`Progress`] synchronously; a task forwards.
pub struct McpProgress {
    tx: mpsc::UnboundedSender<(usize, String)>,
    step: AtomicUsize,
    phase: Mutex<String>,
}

/// Notifications per scan: recon, then after discovery, checks, analysis, and the end.
const STEPS: usize = 5;

impl McpProgress {
    /// `None` when the client asked for no progress (no progress token).
    pub fn start(
        peer: Peer<RoleServer>,
        token: Option<ProgressToken>,
    ) -> Option<(McpProgress, tokio::task::JoinHandle<()>)> {
        let token = token?;
        let (tx, mut rx) = mpsc::unbounded_channel::<(usize, String)>();
        let forward = tokio::spawn(async move {
            while let Some((step, message)) = rx.recv().await {
                let param = ProgressNotificationParam::new(token.clone(), step as f64)
                    .with_total(STEPS as f64)
                    .with_message(message);
                if peer.notify_progress(param).await.is_err() {
                    break;
                }
            }
        });
        Some((McpProgress { tx, step: AtomicUsize::new(0), phase: Mutex::new(String::new()) }, forward))
    }

    fn emit(&self, message: String) {
        // Progress must increase with every notification; a step past the last is not sent.
        let step = self.step.fetch_add(1, Ordering::SeqCst) + 1;
        if step <= STEPS {
            let _ = self.tx.send((step, message));
        }
    }
}

impl Progress for McpProgress {
    fn phase(&self, name: &str) {
        let first = {
            let mut phase = self.phase.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let first = phase.is_empty();
            *phase = name.to_string();
            first
        };
        if first {
            self.emit(format!("{name}: started"));
        }
    }

    fn requests(&self, sent: usize, budget: usize) {
        let phase = self.phase.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        self.emit(format!("{phase}: {sent} of at most {budget} requests sent"));
    }
}
