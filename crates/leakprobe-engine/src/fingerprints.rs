//! Error and debug-page fingerprints (`data/error-fingerprints.tsv`): the one matcher that the
//! error-disclosure analyzers and the SQL-injection check share, so a database error is recognised
//! the same way whichever of them reads it.
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use regex::Regex;

use crate::client::Exchange;

/// The fingerprint groups of the data file.
pub const WERKZEUG: &str = "werkzeug";
pub const STACK: &str = "stack";
pub const SQL: &str = "sql";

struct Fingerprint {
    check: &'static str,
    what: &'static str,
    regex: Regex,
}

/// The fingerprints, and one automaton over their literals: `literal_owner[i]` is the fingerprint
/// whose literal is the automaton's pattern `i`.
struct Fingerprints {
    all: Vec<Fingerprint>,
    literals: AhoCorasick,
    literal_owner: Vec<usize>,
}

#[allow(clippy::unwrap_used)] // the data file is ours; a bad pattern fails every test at once
static FINGERPRINTS: LazyLock<Fingerprints> = LazyLock::new(|| {
    let mut all = Vec::new();
    let (mut literals, mut literal_owner) = (Vec::new(), Vec::new());
    for line in crate::discovery::data_lines(include_str!("../data/error-fingerprints.tsv")) {
        let cols: Vec<&str> = line.splitn(4, '\t').collect();
        let &[check, what, lits, pattern] = cols.as_slice() else { panic!("bad fingerprint row: {line}") };
        for lit in lits.split('|') {
            literals.push(lit);
            literal_owner.push(all.len());
        }
        all.push(Fingerprint { check, what, regex: Regex::new(pattern).unwrap() });
    }
    Fingerprints { all, literals: AhoCorasick::new(literals).unwrap(), literal_owner }
});

/// Indexes of the fingerprints that match `text`, ascending. One pass of the literal automaton
/// picks the candidates; each candidate's own regex then decides. The regexes are searched one by
/// one because a `RegexSet` of all of them, with their bounded `.{0,N}` gaps, exhausts the lazy
/// DFA's cache on large bodies and falls back to the PikeVM at a few MB/s.
fn matching(text: &str) -> Vec<usize> {
    let fps = &*FINGERPRINTS;
    let mut candidates = vec![false; fps.all.len()];
    // Overlapping: a literal inside another fingerprint's literal must still count.
    for m in fps.literals.find_overlapping_iter(text) {
        candidates[fps.literal_owner[m.pattern().as_usize()]] = true;
    }
    (0..fps.all.len()).filter(|&i| candidates[i] && fps.all[i].regex.is_match(text)).collect()
}

/// Only this much of a body is searched: error pages put their tell-tale text near the top, and a
/// 2 MiB download should not cost a regex pass per fingerprint.
pub const SEARCHED_BYTES: usize = 256 * 1024;

/// An answer read as error text, with the fingerprints it matches: the one fingerprint pass per
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
        let hits = matching(&text);
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
    describe(matching(text).into_iter(), check)
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

    /// One text per fingerprint row, in data-file order, that the row's regex matches.
    const SAMPLES: &[&str] = &[
        "<title>KeyError: 'x' // Werkzeug Debugger</title>",
        "The debugger caught an exception in your WSGI application. You can now look at the traceback",
        "var CONSOLE_MODE = false,\n    EVALEX = true,",
        "Traceback (most recent call last):\n  File \"/srv/app.py\", line 42, in get",
        "You're seeing this error because you have <code>DEBUG = True</code> in your Django settings",
        "TypeError: x is undefined\n    at Object.handler (/srv/app/routes/users.js:17:9)",
        "<h1>Whitelabel Error Page</h1><div>java.lang.NullPointerException</div>",
        "\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:897)",
        "<h1>Action Controller: Exception caught</h1>",
        "Server Error in '/' Application.<br><b>Exception Details: </b>System.NullReferenceException",
        "<b>Fatal error</b>:  Uncaught Error in <b>/var/www/index.php</b> on line <b>12</b>",
        "sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) no such table",
        "(Background on this error at: https://sqlalche.me/e/20/e3q8)",
        "[SQL: SELECT * FROM users WHERE id = ?]",
        "psycopg2.errors.SyntaxError: unterminated quoted string at or near \"'\"",
        "near \"books\": syntax error",
        "You have an error in your SQL syntax; check the manual",
        "ORA-01756: quoted string not properly terminated",
        "Unclosed quotation mark after the character string 'abc'.",
        "SQLSTATE[42000]: Syntax error or access violation",
        "ORA-01756: quoted string not properly terminated",
        "org.postgresql.util.PSQLException: ERROR: syntax error",
        "check the manual that corresponds to your MariaDB server version for the right syntax",
        "Incorrect syntax near 'books'.",
    ];

    /// The one `RegexSet` of every pattern: slow on large texts, but what the data file means.
    fn oracle(text: &str) -> Vec<usize> {
        let patterns = FINGERPRINTS.all.iter().map(|f| f.regex.as_str());
        regex::RegexSet::new(patterns).expect("patterns").matches(text).into_iter().collect()
    }

    /// A literal that some match of its regex lacks would hide that match: every row's sample,
    /// alone and embedded in a large body, is found exactly as the patterns themselves find it.
    #[test]
    fn literal_prefilter_agrees_with_the_patterns() {
        let fps = &*FINGERPRINTS;
        assert_eq!(SAMPLES.len(), fps.all.len(), "one sample per row of the data file");
        let filler = "{\"id\": 7, \"notes\": \"customer requested the usual delivery window at 5 pm\"},\n".repeat(200);
        for (row, sample) in SAMPLES.iter().enumerate() {
            assert!(fps.all[row].regex.is_match(sample), "row {row}'s sample does not match its regex");
            for text in [sample.to_string(), format!("{filler}{sample}{filler}")] {
                assert_eq!(matching(&text), oracle(&text), "{sample}");
            }
        }
        // Near misses: each prefilter literal present, its regex not matching.
        for text in
            ["Traceback (most recent call last): nothing", "see (/docs) at 5", "ORA-1: x", "a.java: b", "[SQL: ]"]
        {
            assert_eq!(matching(text), oracle(text), "{text}");
            assert!(matching(text).is_empty(), "{text}");
        }
    }

    /// A 2 MiB page of records with a traceback in one of its strings, near the end: found (the
    /// decoded string is searched whole), while the same page with a look-alike stays silent.
    #[test]
    fn a_traceback_deep_in_a_large_json_page_is_found_and_a_look_alike_is_not() {
        let page = |note: &str| {
            let mut rows: Vec<String> = (0..9000)
                .map(|i| {
                    format!(r#"{{"id":{i},"sku":"SKU-{i:08}","notes":"customer requested the usual window at 5"}}"#)
                })
                .collect();
            rows.insert(8990, format!(r#"{{"id":-1,"error":{}}}"#, serde_json::to_string(note).expect("json")));
            let body = format!(r#"{{"items":[{}]}}"#, rows.join(","));
            assert!(body.len() > SEARCHED_BYTES * 2, "{}", body.len());
            Exchange::for_test("/api/records/3", Some(200), &body)
        };
        let trace = "Traceback (most recent call last):\n  File \"/srv/app/views.py\", line 42, in get\nKeyError: 'x'";
        let started = std::time::Instant::now();
        let errors = page(trace).error_text();
        assert_eq!(errors.matched(STACK), ["Python traceback"]);
        assert!(errors.matched(SQL).is_empty() && errors.matched(WERKZEUG).is_empty());
        // The literal without the `File "…", line N` that a real traceback has.
        let look_alike = "Traceback (most recent call last): see the logs, request 42";
        assert!(page(look_alike).error_text().matched(STACK).is_empty());
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
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
