//! What the analyzers read of an answer, worked out once per exchange: the body as JSON, the
//! detector's findings and the error text with its fingerprints. Several checks read each of these
//! on every answer; parsing a 2 MiB body three or four times, and running the detector twice, was
//! most of the analysis phase.
//!
//! The values are kept until the analysis of their exchange is done ([`Exchange::release_parsed`]):
//! a parsed `serde_json::Value` costs several times its body, and the scan keeps every exchange.
use std::sync::{Arc, Mutex};

use leakprobe_detect::{Detector, Scan};
use serde_json::Value;

use crate::client::Exchange;
use crate::fingerprints::ErrorText;

#[derive(Debug, Default)]
pub struct Parsed {
    json: Mutex<Option<Option<Arc<Value>>>>,
    detected: Mutex<Option<Arc<Scan>>>,
    errors: Mutex<Option<Arc<ErrorText>>>,
    /// The body nested deeper than serde_json's recursion limit (which every parse here keeps).
    too_deep: Mutex<bool>,
}

/// The slot's value, made under its lock the first time: two tasks reading the same answer wait
/// for one parse rather than both parsing.
fn cached<T: Clone>(slot: &Mutex<Option<T>>, make: impl FnOnce() -> T) -> T {
    let mut guard = slot.lock().unwrap_or_else(|p| p.into_inner());
    guard.get_or_insert_with(make).clone()
}

impl Exchange {
    /// The body parsed as JSON (any JSON value, as `serde_json::from_slice` reads it), once.
    pub fn json(&self) -> Option<Arc<Value>> {
        cached(&self.parsed.json, || match serde_json::from_slice::<Value>(&self.body) {
            Ok(v) => Some(Arc::new(v)),
            Err(e) => {
                if e.to_string().starts_with("recursion limit exceeded") {
                    *self.parsed.too_deep.lock().unwrap_or_else(|p| p.into_inner()) = true;
                }
                None
            }
        })
    }

    /// The detector's findings in the body, all confidences, once.
    pub fn detected(&self, detector: &Detector) -> Arc<Scan> {
        cached(&self.parsed.detected, || {
            let scan = detector.scan(&self.body);
            if scan.too_deep {
                *self.parsed.too_deep.lock().unwrap_or_else(|p| p.into_inner()) = true;
            }
            Arc::new(scan)
        })
    }

    /// The body as error text and the error fingerprints it matches, once.
    pub fn error_text(&self) -> Arc<ErrorText> {
        cached(&self.parsed.errors, || Arc::new(ErrorText::of(self)))
    }

    /// Whether a parse or the detector's walk found the body nested too deep to read whole.
    pub fn too_deep(&self) -> bool {
        *self.parsed.too_deep.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Drops the parsed values once nothing will read them again; later reads parse afresh.
    pub fn release_parsed(&self) {
        *self.parsed.json.lock().unwrap_or_else(|p| p.into_inner()) = None;
        *self.parsed.detected.lock().unwrap_or_else(|p| p.into_inner()) = None;
        *self.parsed.errors.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsed_once_and_shared() {
        let ex = Exchange::for_test("/api/users", Some(200), r#"{"users":[{"email":"maria.lopez@fastmail.fm"}]}"#);
        let d = Detector::new();
        let (a, b) = (ex.json().expect("json"), ex.json().expect("json"));
        assert!(Arc::ptr_eq(&a, &b));
        assert!(Arc::ptr_eq(&ex.detected(&d), &ex.detected(&d)));
        assert_eq!(ex.detected(&d).matches.len(), 1);
        ex.release_parsed();
        assert!(!Arc::ptr_eq(&a, &ex.json().expect("json")));
        assert!(!ex.too_deep());
    }

    /// A body nested a million levels deep: every reader gives up at the limit, quickly, and the
    /// exchange says so.
    #[test]
    fn million_deep_body_is_cut() {
        let deep = format!("{}{}", "[".repeat(1_000_000), "]".repeat(1_000_000));
        let ex = Exchange::for_test("/api/deep", Some(200), &deep);
        let t = std::time::Instant::now();
        assert!(ex.json().is_none());
        assert!(ex.too_deep());
        assert!(ex.detected(&Detector::new()).too_deep);
        assert!(ex.error_text().text.len() >= deep.len().min(crate::fingerprints::SEARCHED_BYTES));
        assert!(t.elapsed() < std::time::Duration::from_secs(5), "{:?}", t.elapsed());
    }
}
