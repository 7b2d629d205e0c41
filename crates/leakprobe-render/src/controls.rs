//! Nothing a target sends reaches a terminal raw.
//!
//! A response body, header value, path or banner can carry control characters: `ESC [2J` clears the
//! screen, `ESC ]0;…BEL` retitles the window, C1 `U+009B` is a one-byte CSI on some terminals,
//! backspace and `\r` overwrite what was printed, and bidi overrides reorder it. Quoted into a
//! report read in a terminal (or a CI log, or `cat report.json`), they could hide findings or fake
//! them. Text formats get them escaped as visible text (`\u{1b}`), so the reader sees that the target
//! sent them; `\n` and `\t` stay, since excerpts are laid out with them. The JSON report keeps the
//! exact values as JSON escapes (`\u009b`): it is data, and a reader of the data gets what was sent.
use std::borrow::Cow;

use leakprobe_engine::report::Report;

/// Characters a terminal acts on rather than prints: C0 but `\n` and `\t`, DEL, C1, and the bidi
/// embeddings, overrides and isolates that reorder the text shown around them.
pub fn is_unsafe(c: char) -> bool {
    matches!(c, '\0'..='\x08' | '\x0b'..='\x1f' | '\x7f'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every unsafe character written as its Rust escape (`\u{1b}`, `\r`): visible, inert.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.contains(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_unsafe(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A JSON document with the unsafe characters serde_json leaves raw (DEL, C1, bidi controls) written
/// as `\uXXXX` escapes. Outside strings JSON is ASCII punctuation, digits and keywords, so every such
/// character is inside a string, where the escape means the same character.
pub fn escape_json_controls(json: String) -> String {
    if !json.contains(is_unsafe) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_unsafe(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// A copy of the report with every string escaped, keys included. The walk goes through the report's
/// serde form, so a field added to the report later is covered without anyone remembering to list it.
pub(crate) fn escape_report(report: Report) -> Report {
    let Ok(mut value) = serde_json::to_value(&report) else { return report };
    if !escape_value(&mut value) {
        return report;
    }
    // The report reads back what it wrote (baselines depend on that); a failure here would be a bug
    // in the report types, and the unescaped report is then still better than none.
    serde_json::from_value(value).unwrap_or(report)
}

/// Escapes every string in `value` in place; whether anything changed.
fn escape_value(value: &mut serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(s) => match escape_controls(s) {
            Cow::Owned(escaped) => {
                *s = escaped;
                true
            }
            Cow::Borrowed(_) => false,
        },
        serde_json::Value::Array(items) => items.iter_mut().fold(false, |changed, v| escape_value(v) | changed),
        serde_json::Value::Object(map) => {
            let mut changed = false;
            if map.keys().any(|k| k.contains(is_unsafe)) {
                let old = std::mem::take(map);
                *map = old.into_iter().map(|(k, v)| (escape_controls(&k).into_owned(), v)).collect();
                changed = true;
            }
            map.values_mut().fold(changed, |changed, v| escape_value(v) | changed)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_controls_become_visible_escapes() {
        let text = "a\x08b\x1b[2J\x1b]0;t\x07\u{9b}31m\x7f\r\u{202e}x\ny\tz";
        assert_eq!(escape_controls(text), "a\\u{8}b\\u{1b}[2J\\u{1b}]0;t\\u{7}\\u{9b}31m\\u{7f}\\r\\u{202e}x\ny\tz");
        assert!(matches!(escape_controls("plain é ☃ text\n\tok"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_keeps_the_value_as_escapes() {
        let json = serde_json::to_string(&"x\u{9b}2J\u{7f}\x1b").unwrap_or_default();
        let escaped = escape_json_controls(json);
        assert_eq!(escaped, r#""x\u009b2J\u007f\u001b""#);
        assert_eq!(serde_json::from_str::<String>(&escaped).ok().as_deref(), Some("x\u{9b}2J\u{7f}\x1b"));
    }
}
