//! The report model: the typed form of the JSON contract in `schema/report.schema.json`.
use std::collections::BTreeMap;
use std::fmt;

use leakprobe_detect::PiiType;
use serde::{Deserialize, Serialize};

pub const SCHEMA_VERSION: &str = "1";

/// The thirteen report categories; a finding belongs to exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    DataExposure,
    ErrorDisclosure,
    SensitiveFiles,
    Fingerprinting,
    Cors,
    Encryption,
    Authentication,
    Bola,
    Bfla,
    PropertyAuthorization,
    InputValidation,
    RateLimiting,
    Ssrf,
}

impl Category {
    pub const ALL: [Category; 13] = [
        Category::DataExposure,
        Category::ErrorDisclosure,
        Category::SensitiveFiles,
        Category::Fingerprinting,
        Category::Cors,
        Category::Encryption,
        Category::Authentication,
        Category::Bola,
        Category::Bfla,
        Category::PropertyAuthorization,
        Category::InputValidation,
        Category::RateLimiting,
        Category::Ssrf,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Category::DataExposure => "data_exposure",
            Category::ErrorDisclosure => "error_disclosure",
            Category::SensitiveFiles => "sensitive_files",
            Category::Fingerprinting => "fingerprinting",
            Category::Cors => "cors",
            Category::Encryption => "encryption",
            Category::Authentication => "authentication",
            Category::Bola => "bola",
            Category::Bfla => "bfla",
            Category::PropertyAuthorization => "property_authorization",
            Category::InputValidation => "input_validation",
            Category::RateLimiting => "rate_limiting",
            Category::Ssrf => "ssrf",
        }
    }

    /// OWASP API Security Top 10 (2023) entry the category maps to.
    pub fn owasp(self) -> &'static str {
        match self {
            Category::DataExposure | Category::PropertyAuthorization => "API3:2023",
            Category::Authentication => "API2:2023",
            Category::Bola => "API1:2023",
            Category::Bfla => "API5:2023",
            Category::RateLimiting => "API4:2023",
            Category::Ssrf => "API7:2023",
            Category::ErrorDisclosure
            | Category::SensitiveFiles
            | Category::Fingerprinting
            | Category::Cors
            | Category::Encryption
            | Category::InputValidation => "API8:2023",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Ok(Severity::Info),
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            other => Err(format!("unknown severity `{other}` (info, low, medium, high, critical)")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Low,
    Medium,
    High,
    /// Proven by the exchange itself (the debugger's script served, a `.git/config` with `[core]`).
    Confirmed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Grade {
    A,
    B,
    C,
    D,
    F,
}

impl Grade {
    /// Bands: A ≥ 90, B ≥ 80, C ≥ 65, D ≥ 50, F < 50.
    pub fn from_score(score: u32) -> Grade {
        match score {
            90.. => Grade::A,
            80..=89 => Grade::B,
            65..=79 => Grade::C,
            50..=64 => Grade::D,
            _ => Grade::F,
        }
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable fingerprint of check + endpoint + kind: the same issue keeps its id across scans,
    /// whichever methods it was seen with.
    pub id: String,
    pub check: String,
    pub title: String,
    pub severity: Severity,
    pub confidence: Confidence,
    /// The first of [`Finding::methods`] (GET before POST before HEAD before OPTIONS …), kept for
    /// readers of the one-method contract.
    pub method: String,
    /// Every method the same finding was seen with on this endpoint: one leak, one finding.
    #[serde(default)]
    pub methods: Vec<String>,
    /// Endpoint template (`/api/users/{id}`), or `*` for what holds across the whole origin.
    pub endpoint: String,
    pub pii_types: Vec<PiiType>,
    /// Redacted unless the scan ran with `--show-evidence`.
    pub evidence: String,
    pub cwe: Vec<u32>,
    pub owasp: String,
    pub remediation: String,
    /// Concrete URLs paths where it was seen (first few).
    #[serde(default)]
    pub instances: Vec<String>,
    /// The id of the finding this one follows from (a traceback page → the 500 it came with is
    /// this finding's root). A related finding is listed but deducts nothing: its root already did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub related: Option<String>,
    /// Set when a suppression in `leakprobe.toml` matched: still listed, no longer scored or gated on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppressed>,
    /// Set when the scan was compared with a baseline report (`--baseline`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineState>,
}

impl Finding {
    /// Whether the finding counts: in the score, the ledger and every exit-code threshold.
    pub fn is_active(&self) -> bool {
        self.suppressed.is_none()
    }
}

/// The suppression that matched a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppressed {
    /// The suppression's selector as written in the config, e.g. `check = "server_version_disclosure"`.
    pub rule: String,
    pub reason: String,
    /// Last day (`YYYY-MM-DD`, inclusive) the suppression holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// A finding compared with the baseline report: its id was there before, or it was not.
/// Findings of the baseline that are gone are listed in [`BaselineSummary::fixed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BaselineState {
    New,
    Unchanged,
}

/// What the baseline comparison found (`--baseline previous.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineSummary {
    /// When the baseline scan started, and what it scored.
    pub started_at: String,
    pub score: u32,
    pub grade: Grade,
    pub new: usize,
    pub unchanged: usize,
    /// Findings of the baseline that this scan no longer sees.
    pub fixed: Vec<FixedFinding>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedFinding {
    pub id: String,
    pub check: String,
    pub category: Category,
    pub title: String,
    pub severity: Severity,
    pub method: String,
    pub endpoint: String,
}

/// One configured suppression and what it did in this scan; expired ones are listed so the
/// report says why their findings count again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuppressionNote {
    pub rule: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    pub state: SuppressionState,
    /// Findings it suppressed (for an expired one: the findings it would have suppressed).
    pub matched: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionState {
    Active,
    Expired,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryReport {
    pub score: u32,
    pub grade: Grade,
    /// Worst severity in the category, `none` without findings.
    pub severity: CategorySeverity,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CategorySeverity {
    None,
    #[serde(untagged)]
    Some(Severity),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerLine {
    pub finding: String,
    pub deduction: u32,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    pub endpoints: usize,
    pub from_spec: usize,
    /// Spec operations declared with neither a request nor a response schema: the property checks
    /// cannot judge what they return.
    #[serde(default)]
    pub without_schema: usize,
    pub checks_run: usize,
    /// Why the results may be partial (time limit, budget, timeouts, truncated bodies). Empty when complete.
    pub incomplete: Vec<String>,
    /// The target answered 429/503 with back-off and the scan slowed down for it.
    pub throttled: bool,
    /// False when work the scan meant to do was left undone (budget, time limit, timeouts, cut
    /// bodies): the findings are a lower bound.
    #[serde(default = "complete_by_default")]
    pub complete: bool,
    /// Per check: what it planned, what it ran, what it skipped and why.
    #[serde(default)]
    pub checks: Vec<CheckCoverage>,
    /// Requests the scan chose not to send because they may change the target's state (a GET to
    /// `/api/admin/reset-db`, anything to `/logout`), whoever asked for them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_called: Vec<NotCalled>,
}

/// One request the client's state guard refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotCalled {
    pub method: String,
    pub path: String,
    pub reason: String,
}

fn complete_by_default() -> bool {
    true
}

impl Coverage {
    /// Checks that left work undone for a reason that makes the scan partial (budget, time limit),
    /// with those reasons, e.g. `(3, ["budget"])`.
    pub fn partial_checks(&self) -> (usize, Vec<String>) {
        let mut reasons: Vec<String> = Vec::new();
        let mut count = 0;
        for check in &self.checks {
            let partial: Vec<&Skipped> = check.skipped.iter().filter(|s| s.makes_partial()).collect();
            if !partial.is_empty() {
                count += 1;
            }
            for s in partial {
                if !reasons.contains(&s.reason) {
                    reasons.push(s.reason.clone());
                }
            }
        }
        (count, reasons)
    }

    /// What the report's score line says about a partial scan, e.g.
    /// `partial: 3 checks skipped (budget)`; `None` when the scan was complete.
    pub fn partial_summary(&self) -> Option<String> {
        if self.complete {
            return None;
        }
        let (count, reasons) = self.partial_checks();
        Some(if count > 0 {
            let checks = if count == 1 { "check" } else { "checks" };
            format!("partial: {count} {checks} skipped ({})", reasons.join(", "))
        } else {
            format!("partial: {}", self.incomplete.join("; "))
        })
    }
}

/// One check's share of the scan. `unit` says what is counted: `endpoints` for checks that plan
/// endpoint by endpoint, `requests` for other active checks, `exchanges` for passive analyzers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckCoverage {
    pub check: String,
    pub unit: String,
    pub planned: usize,
    pub ran: usize,
    /// Requests this check sent itself (answers another check already fetched are not counted).
    pub requests: usize,
    pub skipped: Vec<Skipped>,
}

impl CheckCoverage {
    /// It sent something or analyzed something.
    pub fn did_run(&self) -> bool {
        self.ran > 0 || self.requests > 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// `budget`, `time limit`, `needs --active`, `needs two identities`, `remote target`…
    pub reason: String,
    pub count: usize,
}

impl Skipped {
    /// Budget and time limit leave work undone that the scan meant to do; the other reasons are
    /// the configuration's choice.
    pub fn makes_partial(&self) -> bool {
        matches!(self.reason.as_str(), "budget" | "time limit")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryEntry {
    pub endpoint: String,
    pub methods: Vec<String>,
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: String,
    pub tool: Tool,
    pub target: String,
    pub started_at: String,
    pub duration_ms: u64,
    pub requests: usize,
    pub score: u32,
    pub grade: Grade,
    pub categories: BTreeMap<Category, CategoryReport>,
    pub ledger: Vec<LedgerLine>,
    pub coverage: Coverage,
    pub inventory: Vec<InventoryEntry>,
    /// What the TLS handshake negotiated; absent for http targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<crate::tls::TlsFacts>,
    /// The comparison with `--baseline`, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineSummary>,
    /// The suppressions of `leakprobe.toml` and what each did, when any are configured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<SuppressionNote>,
}

impl Report {
    /// All findings, most severe first.
    pub fn findings(&self) -> impl Iterator<Item = (Category, &Finding)> {
        let mut all: Vec<_> =
            self.categories.iter().flat_map(|(c, r)| r.findings.iter().map(move |f| (*c, f))).collect();
        all.sort_by_key(|f| std::cmp::Reverse(f.1.severity));
        all.into_iter()
    }

    /// Worst severity among the findings that count (suppressed ones do not).
    pub fn worst_severity(&self) -> Option<Severity> {
        self.findings().filter(|(_, f)| f.is_active()).map(|(_, f)| f.severity).max()
    }
}
