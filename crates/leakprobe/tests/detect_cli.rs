//! `leakprobe detect` end to end: stdin, files, directories (.gitignore, binaries), formats,
//! confidence filter, evidence redaction and exit codes.
use std::path::PathBuf;

use assert_cmd::Command;

fn leakprobe() -> Command {
    Command::cargo_bin("leakprobe").expect("binary built")
}

/// A fresh directory under the system temp dir (removed at the end of each test).
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("leakprobe-detect-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("temp dir");
        Dir(p)
    }
    fn write(&self, rel: &str, body: &[u8]) -> PathBuf {
        let p = self.0.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, body).expect("write");
        p
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const LOG: &str = "2024-05-01T10:00:00Z INFO request ok took=12ms\n\
2024-05-01T10:00:01Z DEBUG kyc: applicant ssn=536-22-8410 status=pending\n\
2024-05-01T10:00:02Z INFO login user=maria.lopez@fastmail.fm\n";

#[test]
fn stdin_findings_are_redacted_and_exit_1() {
    let out = leakprobe().arg("detect").write_stdin(LOG).assert().code(1).get_output().stdout.clone();
    let out = String::from_utf8(out).expect("utf-8");
    assert!(out.contains("<stdin>:2:"), "{out}");
    assert!(out.contains("ssn (high) ***-**-8410"), "{out}");
    assert!(out.contains("email"), "{out}");
    assert!(!out.contains("536-22-8410") && !out.contains("maria.lopez"), "raw values leaked: {out}");
}

#[test]
fn clean_input_exits_0() {
    leakprobe()
        .args(["detect", "-"])
        .write_stdin("nothing to see, version 1.2.3.4, order 4111\n")
        .assert()
        .code(0)
        .stdout("");
}

#[test]
fn json_format_has_positions() {
    let out =
        leakprobe().args(["detect", "--format", "json"]).write_stdin(LOG).assert().code(1).get_output().stdout.clone();
    let v: serde_json::Value = serde_json::from_slice(&out).expect("json array");
    let items = v.as_array().expect("array");
    let ssn = items.iter().find(|i| i["type"] == "ssn").expect("ssn finding");
    assert_eq!(ssn["file"], "<stdin>");
    assert_eq!(ssn["line"], 2);
    assert_eq!(ssn["column"], 47);
    assert_eq!(ssn["confidence"], "high");
    assert_eq!(ssn["value"], "***-**-8410");
}

#[test]
fn show_evidence_and_min_confidence() {
    let input = "card 4111 1111 1111 1111 used in docs\npassword=Tr0ub4dor!3x\n";
    let out =
        leakprobe().args(["detect", "--show-evidence"]).write_stdin(input).assert().code(1).get_output().stdout.clone();
    let out = String::from_utf8(out).expect("utf-8");
    assert!(out.contains("Tr0ub4dor!3x"), "{out}");
    assert!(!out.contains("4111"), "test card numbers are low confidence: {out}");
    let low = leakprobe()
        .args(["detect", "--min-confidence", "low"])
        .write_stdin(input)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    assert!(String::from_utf8_lossy(&low).contains("credit_card (low) 4111 **** **** 1111"));
    leakprobe().args(["detect", "--min-confidence", "high"]).write_stdin("password=Tr0ub4dor!3x\n").assert().code(0);
}

#[test]
fn directories_honour_gitignore_and_skip_binaries() {
    let dir = Dir::new("walk");
    std::fs::create_dir_all(dir.0.join(".git")).expect(".git");
    dir.write(".gitignore", b"ignored.log\n");
    dir.write("logs/app.log", LOG.as_bytes());
    dir.write("ignored.log", LOG.as_bytes());
    dir.write("blob.bin", b"\x00\x01\x02 ssn=536-22-8410 \x00");
    dir.write("api/users.json", br#"{"users":[{"id":1,"card_number":"4539 5787 6362 1486"}]}"#);
    let out = leakprobe().arg("detect").arg(&dir.0).assert().code(1).get_output().stdout.clone();
    let out = String::from_utf8(out).expect("utf-8");
    assert!(out.contains("app.log:2:"), "{out}");
    assert!(out.contains("credit_card (high) 4539 **** **** 1486 [users[0].card_number]"), "{out}");
    assert!(!out.contains("ignored.log"), "{out}");
    assert!(!out.contains("blob.bin"), "{out}");
}

#[test]
fn missing_path_exits_2_but_scans_the_rest() {
    let dir = Dir::new("missing");
    let log = dir.write("a.log", LOG.as_bytes());
    let assert = leakprobe().arg("detect").arg(dir.0.join("nope.log")).arg(&log).assert().code(2);
    let out = assert.get_output();
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.log"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("a.log:2:"));
}

#[test]
fn long_logs_keep_line_numbers_across_chunks() {
    // More than one 1 MiB chunk: the finding on the last line must carry the right line number.
    let filler = "2024-05-01T10:00:00Z INFO request ok took=12ms path=/api/v1/items\n";
    let n = (2 << 20) / filler.len() + 10;
    let mut body = filler.repeat(n);
    body.push_str("2024-05-01T10:00:09Z DEBUG user=maria.lopez@fastmail.fm\n");
    let dir = Dir::new("chunks");
    let log = dir.write("big.log", body.as_bytes());
    let out = leakprobe().args(["detect", "--format", "json"]).arg(&log).assert().code(1).get_output().stdout.clone();
    let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(v[0]["line"], n + 1);
    assert_eq!(v[0]["column"], 33);
}
