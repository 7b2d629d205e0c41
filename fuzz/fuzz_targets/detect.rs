//! The detector on raw bytes (its JSON walker included when the bytes parse as JSON), on text, and
//! on a parsed JSON value; every match must point inside what was scanned.
#![no_main]
use leakprobe_detect::Detector;
use std::sync::LazyLock;

static DETECTOR: LazyLock<Detector> = LazyLock::new(Detector::new);

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for m in DETECTOR.scan_bytes(data) {
        assert!(m.span.end <= data.len() && m.span.start <= m.span.end, "span {:?} of {} bytes", m.span, data.len());
    }
    let text = String::from_utf8_lossy(data);
    for m in DETECTOR.scan_text(&text) {
        assert!(m.span.end <= text.len() && m.span.start <= m.span.end, "span {:?} of {} bytes", m.span, text.len());
        let _ = m.redacted();
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = DETECTOR.scan_json(&value);
    }
});
