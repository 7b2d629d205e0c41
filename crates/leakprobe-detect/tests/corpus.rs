//! The labelled corpus (`tests/corpus/*.txt`, made by `tests/corpus/generate.py`): per-type
//! precision and recall at medium confidence and above, with floors for the types the product
//! promises to get right.
//!
//! Every line is one case; `[[type:value]]` marks each expected finding, unmarked lines are
//! look-alikes. A finding counts as a true positive when it overlaps an expected span of its
//! type; any other finding at medium or above is a false positive; an expected span nobody found
//! is a false negative.

use std::collections::BTreeMap;
use std::ops::Range;

use leakprobe_detect::{Confidence, Detector, PiiType};

struct Case {
    text: String,
    expected: Vec<(PiiType, Range<usize>)>,
}

fn parse(line: &str) -> Case {
    let line = line.replace('⏎', "\n");
    let mut text = String::new();
    let mut expected = Vec::new();
    let mut rest = line.as_str();
    while let Some(open) = rest.find("[[") {
        text.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let colon = after.find(':').expect("marker needs type:value");
        let close = after.find("]]").expect("marker needs ]]");
        let kind = PiiType::from_name(&after[..colon]).unwrap_or_else(|| panic!("unknown type in {line}"));
        let value = &after[colon + 1..close];
        expected.push((kind, text.len()..text.len() + value.len()));
        text.push_str(value);
        rest = &after[close + 2..];
    }
    text.push_str(rest);
    Case { text, expected }
}

#[derive(Default)]
struct Tally {
    tp: usize,
    fp: usize,
    fn_: usize,
    positives: usize,
    lookalikes: usize,
}

#[test]
fn corpus_precision_and_recall() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/corpus");
    let detector = Detector::new();
    let mut tallies: BTreeMap<PiiType, Tally> = PiiType::ALL.iter().map(|t| (*t, Tally::default())).collect();
    let mut errors = Vec::new();
    for kind in PiiType::ALL {
        let path = format!("{dir}/{}.txt", kind.as_str());
        let body = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        for (n, line) in body.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let case = parse(line);
            let t = tallies.get_mut(&kind).expect("all kinds");
            if case.expected.is_empty() {
                t.lookalikes += 1;
            } else {
                t.positives += case.expected.iter().filter(|e| e.0 == kind).count();
            }
            let found: Vec<_> = detector
                .scan_bytes(case.text.as_bytes())
                .into_iter()
                .filter(|m| m.confidence >= Confidence::Medium)
                .collect();
            let overlaps = |a: &Range<usize>, b: &Range<usize>| a.start < b.end && b.start < a.end;
            for m in &found {
                let hit = case.expected.iter().any(|(k, r)| *k == m.kind && overlaps(r, &m.span));
                let t = tallies.get_mut(&m.kind).expect("all kinds");
                if hit {
                    t.tp += 1;
                } else {
                    t.fp += 1;
                    errors.push(format!(
                        "FP {}:{} {} {:?} in {}",
                        kind.as_str(),
                        n + 1,
                        m.kind.as_str(),
                        m.value,
                        case.text
                    ));
                }
            }
            for (k, r) in &case.expected {
                if !found.iter().any(|m| m.kind == *k && overlaps(r, &m.span)) {
                    tallies.get_mut(k).expect("all kinds").fn_ += 1;
                    errors.push(format!("FN {}:{} {} {:?}", kind.as_str(), n + 1, k.as_str(), &case.text[r.clone()]));
                }
            }
        }
    }
    for e in &errors {
        println!("{e}");
    }
    println!("\n{:<14} {:>4} {:>4} {:>4} {:>6} {:>9} {:>7}", "type", "tp", "fp", "fn", "cases", "precision", "recall");
    let enforced = [
        PiiType::Email,
        PiiType::Ssn,
        PiiType::CreditCard,
        PiiType::Phone,
        PiiType::Iban,
        PiiType::ApiKey,
        PiiType::PrivateKey,
        PiiType::PasswordHash,
    ];
    let mut failures = Vec::new();
    for (kind, t) in &tallies {
        let precision = if t.tp + t.fp == 0 { 1.0 } else { t.tp as f64 / (t.tp + t.fp) as f64 };
        let recall = if t.tp + t.fn_ == 0 { 1.0 } else { t.tp as f64 / (t.tp + t.fn_) as f64 };
        println!(
            "{:<14} {:>4} {:>4} {:>4} {:>3}+{:<3} {:>8.3} {:>7.3}{}",
            kind.as_str(),
            t.tp,
            t.fp,
            t.fn_,
            t.positives,
            t.lookalikes,
            precision,
            recall,
            if enforced.contains(kind) { "  (enforced)" } else { "" }
        );
        if t.positives < 20 || t.lookalikes < 20 {
            failures.push(format!("{}: needs 20 positives and 20 look-alikes", kind.as_str()));
        }
        if enforced.contains(kind) && (precision < 0.95 || recall < 0.90) {
            failures.push(format!("{}: precision {precision:.3} recall {recall:.3}", kind.as_str()));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
