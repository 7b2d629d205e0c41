//! Scan history behind a small trait. Today the only implementation is [`MemoryStore`], in
//! process and gone with it; `leakprobe serve --db` (issue 13) can implement [`ScanStore`] over
//! its database and the MCP tools will read and write the same history without changing.
use std::sync::{Arc, RwLock};

use leakprobe_engine::report::Report;
use serde::{Deserialize, Serialize};

/// What was asked for, kept so `rescan_finding` can repeat it. Identity specs are kept as given
/// (ideally `${VAR}` references, resolved again at rescan) and are never returned by any tool.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ScanRequest {
    pub url: String,
    pub spec: Option<String>,
    pub identities: Vec<String>,
    pub active: bool,
    pub max_requests: Option<usize>,
    pub time_limit: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ScanRecord {
    pub id: String,
    pub request: ScanRequest,
    /// `Some` for a rescan that ran only these checks.
    pub only_checks: Option<Vec<String>>,
    pub report: Report,
}

/// Where scans are kept. Ids are assigned by the store and never reused.
pub trait ScanStore: Send + Sync {
    fn insert(&self, request: ScanRequest, only_checks: Option<Vec<String>>, report: Report) -> Arc<ScanRecord>;
    fn get(&self, id: &str) -> Option<Arc<ScanRecord>>;
    /// Newest first, optionally only scans of targets that start with `target`; returns the page
    /// and the number of scans that matched.
    fn list(&self, target: Option<&str>, limit: usize, offset: usize) -> (Vec<Arc<ScanRecord>>, usize);
}

/// The in-process store: every scan of this server process, newest last.
#[derive(Default)]
pub struct MemoryStore {
    scans: RwLock<Vec<Arc<ScanRecord>>>,
}

impl ScanStore for MemoryStore {
    fn insert(&self, request: ScanRequest, only_checks: Option<Vec<String>>, report: Report) -> Arc<ScanRecord> {
        let mut scans = self.scans.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        let record = Arc::new(ScanRecord { id: format!("scan-{}", scans.len() + 1), request, only_checks, report });
        scans.push(Arc::clone(&record));
        record
    }

    fn get(&self, id: &str) -> Option<Arc<ScanRecord>> {
        let scans = self.scans.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        scans.iter().find(|s| s.id == id).cloned()
    }

    fn list(&self, target: Option<&str>, limit: usize, offset: usize) -> (Vec<Arc<ScanRecord>>, usize) {
        let scans = self.scans.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        let matching: Vec<_> =
            scans.iter().rev().filter(|s| target.is_none_or(|t| s.report.target.starts_with(t))).collect();
        let total = matching.len();
        (matching.into_iter().skip(offset).take(limit).cloned().collect(), total)
    }
}
