//! `detect_pii`: the detector over a snippet or one file, every value redacted.
use std::collections::BTreeMap;

use leakprobe_detect::{Confidence, Detector, PiiType};
use serde::Serialize;

/// Largest input scanned: a pasted snippet or a log file, not a disk image.
pub const MAX_BYTES: usize = 8 << 20;

#[derive(Debug, Serialize)]
pub struct Detection {
    /// `<text>` or the file's path relative to the working directory.
    pub source: String,
    pub bytes: usize,
    pub total: usize,
    pub by_type: BTreeMap<PiiType, usize>,
    pub matches: Vec<Found>,
    /// Set when more matches were found than are listed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Found {
    #[serde(rename = "type")]
    pub kind: PiiType,
    pub confidence: Confidence,
    pub line: usize,
    pub column: usize,
    /// Always redacted.
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<&'static str>,
}

const MAX_LISTED: usize = 200;

pub fn detect(detector: &Detector, source: String, bytes: &[u8], min: Confidence) -> Detection {
    let found: Vec<_> = detector.scan_bytes(bytes).into_iter().filter(|m| m.confidence >= min).collect();
    let mut by_type = BTreeMap::new();
    for m in &found {
        *by_type.entry(m.kind).or_insert(0) += 1;
    }
    let total = found.len();
    let matches = found
        .iter()
        .take(MAX_LISTED)
        .map(|m| {
            let before = &bytes[..m.span.start.min(bytes.len())];
            let line = before.iter().filter(|c| **c == b'\n').count() + 1;
            let column = before.iter().rev().take_while(|c| **c != b'\n').count() + 1;
            Found {
                kind: m.kind,
                confidence: m.confidence,
                line,
                column,
                value: m.redacted(),
                key_path: m.key_path.clone(),
                detail: m.detail,
            }
        })
        .collect();
    let truncated = (total > MAX_LISTED).then(|| format!("{total} matches, the first {MAX_LISTED} listed"));
    Detection { source, bytes: bytes.len(), total, by_type, matches, truncated }
}
