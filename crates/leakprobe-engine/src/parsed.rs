//! What the analyzers read of an answer, worked out once per exchange: the body as JSON, the
//! detector's findings and the error text with its fingerprints. Several checks read each of these
//! on every answer; parsing a 2 MiB body three or four times, and running the detector twice, was
//! most of the analysis phase.
//!
//! The values are kept until the analysis of their exchange is done ([`Exchange::release_parsed`]):
//! a parsed `serde_json::Value` costs several times its body, and the scan keeps every exchange.
//!
//! Whether the body is nested too deep to read whole is kept for good, and worked out on demand
//! for a body nothing parsed (a soft-404 answer, say), so the report counts every such body once.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use leakprobe_detect::{Detector, Scan};
use serde_json::Value;

use crate::client::Exchange;
use crate::fingerprints::ErrorText;

#[derive(Debug, Default)]
pub struct Parsed {
    json: Mutex<Option<Option<Arc<Value>>>>,
    detected: Mutex<Option<Arc<Scan>>>,
    errors: Mutex<Option<Arc<ErrorText>>>,
    /// serde_json's verdict, from the first parse: the body nested deeper than its recursion
    /// limit (which every parse here keeps). Outlives [`Exchange::release_parsed`].
    json_too_deep: OnceLock<bool>,
    /// The detector's walk stopped at its depth limit (it also reads newline-delimited JSON,
    /// where serde_json stops at the first value).
    walk_too_deep: AtomicBool,
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
        cached(&self.parsed.json, || {
            let parsed = serde_json::from_slice::<Value>(&self.body);
            let _ = self.parsed.json_too_deep.set(parsed.as_ref().is_err_and(is_recursion_limit));
            parsed.ok().map(Arc::new)
        })
    }

    /// The detector's findings in the body, all confidences, once.
    pub fn detected(&self, detector: &Detector) -> Arc<Scan> {
        cached(&self.parsed.detected, || {
            let scan = detector.scan(&self.body);
            if scan.too_deep {
                self.parsed.walk_too_deep.store(true, Ordering::Relaxed);
            }
            Arc::new(scan)
        })
    }

    /// The body as error text and the error fingerprints it matches, once.
    pub fn error_text(&self) -> Arc<ErrorText> {
        cached(&self.parsed.errors, || Arc::new(ErrorText::of(self)))
    }

    /// Whether a read so far (a parse, the detector's walk, [`Exchange::check_depth`]) found the
    /// body nested too deep to read whole.
    pub fn too_deep(&self) -> bool {
        self.parsed.walk_too_deep.load(Ordering::Relaxed) || self.parsed.json_too_deep.get() == Some(&true)
    }

    /// [`Exchange::too_deep`], reading the body for it if nothing has: with a parse that builds
    /// nothing, so a body no analyzer reads costs one pass and no allocation.
    pub fn check_depth(&self) -> bool {
        self.parsed
            .json_too_deep
            .get_or_init(|| serde_json::from_slice::<DepthProbe>(&self.body).is_err_and(|e| is_recursion_limit(&e)));
        self.too_deep()
    }

    /// Drops the parsed values once nothing will read them again; later reads parse afresh.
    pub fn release_parsed(&self) {
        *self.parsed.json.lock().unwrap_or_else(|p| p.into_inner()) = None;
        *self.parsed.detected.lock().unwrap_or_else(|p| p.into_inner()) = None;
        *self.parsed.errors.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

fn is_recursion_limit(e: &serde_json::Error) -> bool {
    e.to_string().starts_with("recursion limit exceeded")
}

/// Any JSON value, read through `deserialize_any` (which keeps serde_json's recursion limit, as
/// `IgnoredAny` does not) and kept nowhere: the depth verdict of [`Exchange::json`] without its
/// allocations.
struct DepthProbe;

impl<'de> serde::Deserialize<'de> for DepthProbe {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DepthProbe)
    }
}

impl<'de> serde::de::Visitor<'de> for DepthProbe {
    type Value = DepthProbe;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_unit<E>(self) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self, A::Error> {
        while seq.next_element::<DepthProbe>()?.is_some() {}
        Ok(self)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self, A::Error> {
        while map.next_entry::<serde::de::IgnoredAny, DepthProbe>()?.is_some() {}
        Ok(self)
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

    /// A deep body that nothing parsed (a soft-404 answer no analyzer reads) is still known to be
    /// too deep, exactly where a parse would have failed; shallower nesting, cut JSON and text are not.
    #[test]
    fn depth_is_known_without_a_parse_and_agrees_with_one() {
        let nested = |n: usize| format!("{}{{\"a\":1}}{}", "[".repeat(n), "]".repeat(n));
        for (body, deep) in [
            (nested(100), false),
            (nested(126), false),
            (nested(127), true),
            (nested(1_000), true),
            (format!("{{\"page\": {}", nested(300)), true),
            (format!("{}{{\"a\":", "[".repeat(100)), false),
            ("<html>".repeat(1_000), false),
        ] {
            let unread = Exchange::for_test("/x", Some(200), &body);
            assert!(!unread.too_deep(), "not known before a read");
            assert_eq!(unread.check_depth(), deep, "{}…", &body[..40.min(body.len())]);
            let parsed = Exchange::for_test("/x", Some(200), &body);
            let _ = parsed.json();
            assert_eq!(parsed.too_deep(), deep, "parsed {}…", &body[..40.min(body.len())]);
            assert_eq!(parsed.check_depth(), deep);
            // The verdict outlives the parsed value it came with.
            parsed.release_parsed();
            assert_eq!(parsed.too_deep(), deep);
        }
    }
}
