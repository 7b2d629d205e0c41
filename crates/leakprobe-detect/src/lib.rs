//! Detection of personal data and secrets (the `pii_types` of the report contract).
//!
//! Pure library: no I/O, no async. The scan engine runs it on every response; `leakprobe detect`
//! runs it on files and logs.
//!
//! ```
//! use leakprobe_detect::{Detector, PiiType};
//! let d = Detector::new();
//! let found = d.scan_text("contact: jane.doe@acme-corp.io");
//! assert!(found.iter().any(|m| m.kind == PiiType::Email));
//! ```
use std::ops::Range;

use serde::{Deserialize, Serialize};

/// The kinds of data the detector recognises; serialised names are the report contract's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiType {
    Email,
    Ssn,
    CreditCard,
    Phone,
    IpAddress,
    Iban,
    NationalId,
    DateOfBirth,
    Address,
    Name,
    Password,
    PasswordHash,
    ApiKey,
    Token,
    PrivateKey,
    Secret,
}

impl PiiType {
    pub fn as_str(self) -> &'static str {
        match self {
            PiiType::Email => "email",
            PiiType::Ssn => "ssn",
            PiiType::CreditCard => "credit_card",
            PiiType::Phone => "phone",
            PiiType::IpAddress => "ip_address",
            PiiType::Iban => "iban",
            PiiType::NationalId => "national_id",
            PiiType::DateOfBirth => "date_of_birth",
            PiiType::Address => "address",
            PiiType::Name => "name",
            PiiType::Password => "password",
            PiiType::PasswordHash => "password_hash",
            PiiType::ApiKey => "api_key",
            PiiType::Token => "token",
            PiiType::PrivateKey => "private_key",
            PiiType::Secret => "secret",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

/// One piece of sensitive data found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub kind: PiiType,
    /// Byte span in the scanned text (for JSON: in the serialized value's text form).
    pub span: Range<usize>,
    pub confidence: Confidence,
    /// JSON key path such as `users[0].ssn`, when found in JSON.
    pub key_path: Option<String>,
    /// The matched value, unredacted; callers redact with [`redact`] before showing it.
    pub value: String,
    /// Sub-kind where it matters: `private` for internal IPs, `live`/`test` for keys, …
    pub detail: Option<&'static str>,
}

/// Compiled patterns; build once, share everywhere (`Sync`).
pub struct Detector {
    email: regex::Regex,
}

impl Default for Detector {
    fn default() -> Self {
        Self::new()
    }
}

impl Detector {
    pub fn new() -> Self {
        #[allow(clippy::unwrap_used)] // constant pattern
        let email = regex::Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}").unwrap();
        Self { email }
    }

    pub fn scan_text(&self, text: &str) -> Vec<Match> {
        self.email
            .find_iter(text)
            .map(|m| Match {
                kind: PiiType::Email,
                span: m.range(),
                confidence: Confidence::Medium,
                key_path: None,
                value: m.as_str().to_string(),
                detail: None,
            })
            .collect()
    }

    pub fn scan_json(&self, value: &serde_json::Value) -> Vec<Match> {
        self.scan_text(&value.to_string())
    }

    /// Bytes of unknown shape: JSON when it parses, text otherwise (lossy UTF-8).
    pub fn scan_bytes(&self, bytes: &[u8]) -> Vec<Match> {
        match serde_json::from_slice::<serde_json::Value>(bytes) {
            Ok(v) => self.scan_json(&v),
            Err(_) => self.scan_text(&String::from_utf8_lossy(bytes)),
        }
    }
}

/// Masks a value while keeping its shape, e.g. `j***@e***.com`, `***-**-6789`.
pub fn redact(_kind: PiiType, value: &str) -> String {
    let n = value.chars().count();
    if n <= 4 {
        return "*".repeat(n);
    }
    let tail: String = value.chars().skip(n - 4).collect();
    format!("{}{}", "*".repeat(n - 4), tail)
}
