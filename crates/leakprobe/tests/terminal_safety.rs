//! Nothing a target sends reaches a terminal raw: a target whose bodies, JSON keys, SQL error
//! page, spec and links carry backspace, ESC CSI/OSC sequences, C1 CSI (U+009B), DEL, `\r` and a
//! bidi override is scanned into every format at once; no control character survives in any of
//! them (the terminal's own colour styles aside), the JSON report keeps the values as `\u009b`-style
//! escapes, and the findings that quote those characters are still reported.
mod common;

use std::path::Path;

use common::{assert_valid_report, findings, leakprobe, Target};
use serde_json::Value;

/// Characters a terminal acts on: C0 but `\n` and `\t`, DEL, C1, bidi overrides and isolates.
fn unsafe_chars(text: &str) -> Vec<(usize, char)> {
    text.char_indices()
        .filter(|(_, c)| {
            matches!(c, '\0'..='\x08' | '\x0b'..='\x1f' | '\x7f'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect()
}

/// `text` without the SGR colour sequences (`ESC [ … m`) the terminal renderer writes itself.
fn without_own_styles(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("\x1b[") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let params = after.find(|c: char| !(c.is_ascii_digit() || c == ';')).unwrap_or(after.len());
        if after[params..].starts_with('m') {
            rest = &after[params + 1..];
        } else {
            // Not a colour style: keep it, so the check below sees the ESC.
            out.push_str("\x1b[");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

fn read(path: &Path) -> String {
    String::from_utf8(std::fs::read(path).expect("report file")).expect("reports are UTF-8")
}

#[test]
fn control_characters_from_the_target_reach_no_output_raw() {
    let target = Target::start("control_chars");
    let dir = std::env::temp_dir().join(format!("leakprobe-terminal-safety-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let files = ["report.json", "report.md", "report.html", "report.sarif", "report.xml", "report.txt"];
    let mut cmd = leakprobe();
    // Colours forced on stdout: the terminal renderer's output goes out as it would to a real
    // terminal, not through anstream's stripping (which would hide raw sequences from this test).
    cmd.env_remove("NO_COLOR").env("CLICOLOR_FORCE", "1");
    cmd.arg("scan").arg(&target.url).args(["--format", "terminal", "--time-limit", "30"]);
    for f in files {
        cmd.arg("-o").arg(dir.join(f));
    }
    let out = cmd.output().expect("run leakprobe");
    let stdout = String::from_utf8(out.stdout).expect("terminal output is UTF-8");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("\x1b["), "colours were forced: the test must see the styled terminal output");

    let mut outputs = vec![("terminal (stdout)".to_string(), without_own_styles(&stdout)), ("stderr".into(), stderr)];
    outputs.extend(files.iter().map(|f| (f.to_string(), read(&dir.join(f)))));
    for (name, text) in &outputs {
        let bad = unsafe_chars(text);
        assert!(bad.is_empty(), "{name} carries raw control characters {:?}", &bad[..bad.len().min(5)]);
    }

    // The JSON report keeps the values: escaped, not dropped.
    let json = read(&dir.join("report.json"));
    assert!(json.contains(r"\u009b31m") && json.contains(r"\u001b[2J"), "JSON escapes C1 and ESC as \\uXXXX");
    let report: Value = serde_json::from_str(&json).expect("JSON report parses");
    assert_valid_report(&report);
    let all = findings(&report);
    let evidence_of = |check: &str| -> String {
        all.iter()
            .find(|(_, f)| f["check"] == check)
            .map(|(_, f)| f["evidence"].as_str().unwrap_or_default().to_string())
            .unwrap_or_else(|| panic!("no {check} finding in {all:#?}"))
    };
    // The leaks are still found, and their evidence (read back from JSON) is what the target sent.
    let sql = evidence_of("sql_error_disclosure");
    assert!(sql.contains("note = '\x08\x1b[2J\u{9b}31m\x7f'"), "{sql:?}");
    assert!(evidence_of("pii_in_response").contains("a***@c***.io"));
    assert!(all.iter().any(|(_, f)| f["check"] == "config_file_exposed"), "the .env is found");

    // People see what was sent, as visible escapes, in the terminal and in the HTML page.
    let terminal = &outputs[0].1;
    assert!(terminal.contains(r"note = '\u{8}\u{1b}[2J\u{9b}31m"), "{terminal}");
    assert!(read(&dir.join("report.html")).contains(r"\u{9b}31m"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn detect_escapes_control_characters_from_its_input() {
    let log = "2024-05-01T10:00:00Z user=maria.lopez@fastmail.fm \x1b]0;pwned\x07\x1b[2J\n\
               {\"e\x1b[2Jmail\u{9b}\": \"maria.lopez@fastmail.fm\"}\n";
    let out = leakprobe().args(["detect", "--show-evidence"]).write_stdin(log).output().expect("run detect");
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(text.contains("maria.lopez@fastmail.fm"), "the e-mail is found: {text}");
    assert!(unsafe_chars(&text).is_empty(), "{text:?}");

    let out =
        leakprobe().args(["detect", "--show-evidence", "--format", "json"]).write_stdin(log).output().expect("run");
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(unsafe_chars(&text).is_empty(), "{text:?}");
    let items: Value = serde_json::from_str(&text).expect("detect JSON parses");
    assert!(!items.as_array().expect("array").is_empty(), "{text}");
}
