//! Bad input gets one readable line and its documented exit code, never a panic.
mod common;

use common::leakprobe;

/// Runs leakprobe and checks the exit code and that stderr is short, readable, and panic-free.
fn assert_fails(args: &[&str], code: i32, needle: &str) {
    let out = leakprobe().args(args).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?} → stderr: {stderr}");
    assert!(stderr.contains(needle), "{args:?}: expected `{needle}` in: {stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing on stdout for an error");
}

#[test]
fn malformed_url_is_a_usage_error() {
    assert_fails(&["scan", "http//127.0.0.1:5000"], 2, "no scheme");
    assert_fails(&["scan", "http://"], 2, "not a valid URL");
}

#[test]
fn non_http_scheme_is_a_usage_error() {
    assert_fails(&["scan", "ftp://127.0.0.1/"], 2, "only http and https");
}

#[test]
fn unreachable_host_is_a_scan_failure() {
    // A loopback port nobody listens on: bind one, learn its number, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    assert_fails(&["scan", &format!("http://127.0.0.1:{port}")], 3, "cannot reach the target");
}

#[test]
fn spec_that_is_not_openapi_is_a_usage_error() {
    let dir = std::env::temp_dir().join(format!("leakprobe-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let file = dir.join("not-a-spec.json");
    std::fs::write(&file, r#"{"name": "my-app", "version": "1.0.0"}"#).expect("write");
    let target = common::Target::start("werkzeug_api");
    assert_fails(&["scan", &target.url, "--spec", file.to_str().expect("utf8")], 2, "not an OpenAPI");
    assert_fails(&["scan", &target.url, "--spec", "/no/such/spec.yaml"], 2, "no such file");
}

#[test]
fn unknown_flag_is_a_usage_error() {
    assert_fails(&["scan", "http://127.0.0.1:1", "--frobnicate"], 2, "unexpected argument");
    assert_fails(&["scan", "http://127.0.0.1:1", "--rate", "0"], 2, "--rate");
    assert_fails(&["scan", "http://127.0.0.1:1", "--fail-on", "catastrophic"], 2, "unknown severity");
    assert_fails(&["explain", "no_such_check"], 2, "no check `no_such_check`");
}

#[test]
fn header_values_are_never_printed_even_when_malformed() {
    let out = leakprobe()
        .args(["scan", "http://127.0.0.1:1", "-H", "Authorization Bearer s3cr3t-token-value"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("s3cr3t-token-value"), "{stderr}");
}
