//! Error and debug-page fingerprints (`data/error-fingerprints.tsv`): the one matcher that the
//! error-disclosure analyzers and the SQL-injection check share, so a database error is recognised
//! the same way whichever of them reads it.
use std::sync::LazyLock;

use regex::RegexSet;

use crate::client::Exchange;

/// The fingerprint groups of the data file.
pub const WERKZEUG: &str = "werkzeug";
pub const STACK: &str = "stack";
pub const SQL: &str = "sql";

struct Fingerprint {
    check: &'static str,
    what: &'static str,
}

struct Fingerprints {
    set: RegexSet,
    all: Vec<Fingerprint>,
}

#[allow(clippy::unwrap_used)] // the data file is ours; a bad pattern fails every test at once
static FINGERPRINTS: LazyLock<Fingerprints> = LazyLock::new(|| {
    let rows: Vec<(&str, &str, &str)> = crate::discovery::data_lines(include_str!("../data/error-fingerprints.tsv"))
        .filter_map(|l| {
            let mut cols = l.splitn(3, '\t');
            Some((cols.next()?, cols.next()?, cols.next()?))
        })
        .collect();
    Fingerprints {
        set: RegexSet::new(rows.iter().map(|r| r.2)).unwrap(),
        all: rows.iter().map(|r| Fingerprint { check: r.0, what: r.1 }).collect(),
    }
});

/// Only this much of a body is searched: error pages put their tell-tale text near the top, and a
/// 2 MiB download should not cost a regex pass per fingerprint.
pub const SEARCHED_BYTES: usize = 256 * 1024;

/// An answer read as error text, with the fingerprints it matches: the one `RegexSet` pass per
/// response that every error analyzer then reads (see [`Exchange::error_text`]).
#[derive(Debug)]
pub struct ErrorText {
    pub text: String,
    hits: Vec<usize>,
}

impl ErrorText {
    /// The body as error text: JSON error bodies (`{"error": str(e)}`) are decoded first, so
    /// escaped quotes and newlines read as the original message.
    pub(crate) fn of(ex: &Exchange) -> ErrorText {
        let head = &ex.body[..ex.body.len().min(SEARCHED_BYTES)];
        let mut text = String::from_utf8_lossy(head).into_owned();
        if ex.is_json() || head.first().is_some_and(|b| matches!(b, b'{' | b'[')) {
            if let Some(value) = ex.json() {
                let mut strings = Vec::new();
                collect_strings(&value, &mut strings);
                text.push('\n');
                text.push_str(&strings.join("\n"));
            }
        }
        let hits = FINGERPRINTS.set.matches(&text).into_iter().collect();
        ErrorText { text, hits }
    }

    /// Which fingerprints of `check` the text matches, by description.
    pub fn matched(&self, check: &str) -> Vec<&'static str> {
        describe(self.hits.iter().copied(), check)
    }
}

fn collect_strings<'a>(value: &'a serde_json::Value, out: &mut Vec<&'a str>) {
    match value {
        serde_json::Value::String(s) => out.push(s),
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

/// Which fingerprints of `check` a text that is not an answer's body matches (a line, an excerpt).
pub fn matched(text: &str, check: &str) -> Vec<&'static str> {
    describe(FINGERPRINTS.set.matches(text).into_iter(), check)
}

fn describe(hits: impl Iterator<Item = usize>, check: &str) -> Vec<&'static str> {
    let fps = &*FINGERPRINTS;
    let mut whats: Vec<&'static str> = hits.map(|i| &fps.all[i]).filter(|f| f.check == check).map(|f| f.what).collect();
    whats.dedup();
    whats
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_compile_and_are_grouped_by_known_checks() {
        let fps = &*FINGERPRINTS;
        assert!(fps.all.len() >= 15);
        assert!(fps.all.iter().all(|f| matches!(f.check, WERKZEUG | STACK | SQL)));
    }

    #[test]
    fn database_errors_of_common_drivers_match() {
        for text in [
            "sqlite3.OperationalError: unrecognized token: \"'books''\"",
            "psycopg2.errors.SyntaxError: unterminated quoted string at or near \"'\"",
            "You have an error in your SQL syntax; check the manual",
            "SQLSTATE[42000]: Syntax error or access violation",
            "ORA-01756: quoted string not properly terminated",
            "(Background on this error at: https://sqlalche.me/e/20/e3q8)",
        ] {
            assert!(!matched(text, SQL).is_empty(), "{text}");
        }
        assert!(matched("Invalid category: books'", SQL).is_empty());
        assert!(matched("Python int too large to convert to SQLite INTEGER\nOverflowError", SQL).is_empty());
    }
}
