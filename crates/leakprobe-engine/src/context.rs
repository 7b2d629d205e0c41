//! What every check can see: the client, the target's soft-404 model, the inventory, the spec, the
//! detector, and the run's settings.
use leakprobe_detect::{Detector, PiiType};

use crate::client::Client;
use crate::config::ScanConfig;
use crate::discovery::openapi::ApiSpec;
use crate::inventory::Inventory;
use crate::schedule::Schedule;
use crate::soft404::SoftNotFound;
use crate::tls::TlsFacts;

pub struct ScanContext {
    pub config: ScanConfig,
    pub client: Client,
    pub soft404: SoftNotFound,
    pub inventory: Inventory,
    pub spec: Option<ApiSpec>,
    pub tls: Option<TlsFacts>,
    pub detector: Detector,
    /// Endpoint risk, the checks' budget shares and what each planned: see [`ScanContext::plan`].
    pub schedule: Schedule,
}

impl ScanContext {
    /// The kinds of personal data and secrets in `bytes` that the detector is at least fairly sure
    /// of (medium confidence or more), sorted, each once.
    pub fn pii_types(&self, bytes: &[u8]) -> Vec<PiiType> {
        let kinds: std::collections::BTreeSet<PiiType> = self
            .detector
            .scan_bytes(bytes)
            .into_iter()
            .filter(|m| m.confidence > leakprobe_detect::Confidence::Low)
            .map(|m| m.kind)
            .collect();
        kinds.into_iter().collect()
    }

    /// The value as it may appear in a report: masked unless the user asked for raw evidence.
    pub fn redact(&self, kind: PiiType, value: &str) -> String {
        if self.config.show_evidence {
            value.to_string()
        } else {
            leakprobe_detect::redact(kind, value)
        }
    }
}
