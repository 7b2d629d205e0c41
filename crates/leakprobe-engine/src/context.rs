//! What every check can see: the client, the target's soft-404 model, the inventory, the spec, the
//! detector, and the run's settings.
use leakprobe_detect::{Confidence as MatchConfidence, Detector, Match, PiiType};

use crate::client::{Client, Exchange};
use crate::config::ScanConfig;
use crate::discovery::openapi::ApiSpec;
use crate::inventory::Inventory;
use crate::schedule::Schedule;
use crate::soft404::SoftNotFound;
use crate::survey::Survey;
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
    /// Every readable endpoint as each caller sees it, and what each identity owns: see
    /// [`crate::survey`]. Empty until the survey phase ran.
    pub survey: Survey,
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

    /// What in an answer counts as exposed data, at medium confidence or more. Decided here once,
    /// so every check agrees on what "personal data in the response" means:
    /// - a vendored bundle (swagger-ui, React, …), an image or a font holds nobody's data;
    /// - other JavaScript and CSS can leak a hard-coded key, never a personal record, so only
    ///   secrets count there; the same holds for an OpenAPI document, whose examples are samples;
    /// - the Werkzeug debugger and its console are `error_disclosure`'s, whose `SECRET` global
    ///   belongs to the debugger;
    /// - a value the request itself carried (a path segment, a query value) is an echo, not a
    ///   leak: `/api/cards/4111111111111111/validate` answering with that number tells nothing new.
    pub fn exposed(&self, ex: &Exchange) -> Vec<Match> {
        if crate::content::is_vendored_script(ex.path(), &ex.body) || crate::content::is_werkzeug_debugger(&ex.body) {
            return Vec::new();
        }
        let asset = crate::content::is_static_asset(ex);
        if asset && !is_code_or_style(ex) {
            return Vec::new();
        }
        let secrets_only = asset || crate::content::is_api_description(ex);
        let carried = request_values(ex);
        ex.detected(&self.detector)
            .matches
            .iter()
            .filter(|m| m.confidence > MatchConfidence::Low)
            .filter(|m| !secrets_only || is_secret_kind(m.kind))
            .filter(|m| !carried.contains(&normalized(&m.value)))
            .cloned()
            .collect()
    }

    /// The kinds of [`ScanContext::exposed`], sorted, each once.
    pub fn exposed_types(&self, ex: &Exchange) -> Vec<PiiType> {
        let kinds: std::collections::BTreeSet<PiiType> = self.exposed(ex).into_iter().map(|m| m.kind).collect();
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

/// Kinds that a script or stylesheet can leak: credentials written into the code.
fn is_secret_kind(kind: PiiType) -> bool {
    matches!(
        kind,
        PiiType::ApiKey
            | PiiType::Token
            | PiiType::Secret
            | PiiType::PrivateKey
            | PiiType::Password
            | PiiType::PasswordHash
    )
}

fn is_code_or_style(ex: &Exchange) -> bool {
    let ct = ex.content_type().to_ascii_lowercase();
    let ext = ex.path().rsplit('.').next().unwrap_or_default().to_ascii_lowercase();
    ct.contains("javascript")
        || ct.contains("ecmascript")
        || ct.starts_with("text/css")
        || matches!(ext.as_str(), "js" | "mjs" | "cjs" | "map" | "css")
}

/// Case and punctuation do not make a value new: `4111-1111-1111-1111` in the path is the
/// `4111111111111111` of the body.
fn normalized(value: &str) -> String {
    value.chars().filter(|c| c.is_alphanumeric() || *c == '@').flat_map(char::to_lowercase).collect()
}

/// The path segments and query values the request carried, decoded and normalised; values too
/// short to be anyone's data (ids, flags) are left out.
fn request_values(ex: &Exchange) -> std::collections::BTreeSet<String> {
    let decode = |s: &str| url::form_urlencoded::parse(format!("v={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
    let segments = ex.url.path_segments().into_iter().flatten().filter_map(decode);
    let queries = ex.url.query_pairs().map(|(_, v)| v.into_owned());
    segments.chain(queries).map(|v| normalized(&v)).filter(|v| v.len() >= 6).collect()
}
