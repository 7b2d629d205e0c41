//! What every check can see: the client, the target's soft-404 model, the inventory, the spec, the
//! detector, and the run's settings.
use leakprobe_detect::{Detector, PiiType};

use crate::client::Client;
use crate::config::ScanConfig;
use crate::discovery::openapi::ApiSpec;
use crate::inventory::Inventory;
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
}

impl ScanContext {
    /// The value as it may appear in a report: masked unless the user asked for raw evidence.
    pub fn redact(&self, kind: PiiType, value: &str) -> String {
        if self.config.show_evidence {
            value.to_string()
        } else {
            leakprobe_detect::redact(kind, value)
        }
    }
}
