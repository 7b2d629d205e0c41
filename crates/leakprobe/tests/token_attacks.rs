//! Authentication logic against the Payslip API (FastAPI on uvicorn): JWTs decoded without
//! verification, signed with a tutorial's secret, or accepted with `alg: none`; a login and a reset
//! that tell who works there — and the release done right, which must stay clean.
//!
//! Identities log in the way users configure them (`[identity.login]`: the scanner POSTs the
//! credentials and keeps the token), so every token is one the target really issued.
mod common;

use std::collections::BTreeMap;

use base64::Engine as _;
use common::{assert_only_safe_requests, assert_valid_report, findings, scan_in_process, timing_line, Target};
use leakprobe_engine::identity::{Identity, Login};
use leakprobe_engine::report::{Confidence, Finding, Report, Severity};
use serde_json::{json, Value};

const LOGIN: &str = "/api/auth/login";
const LOGOUT: &str = "/api/auth/logout";
const RESET: &str = "/api/auth/forgot-password";
const FASTAPI_TUTORIAL_KEY: &str = "09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7";

fn employee(name: &str, password: &str) -> Identity {
    Identity {
        name: name.into(),
        role: None,
        credential: None,
        signer: None,
        login: Some(Login {
            url: LOGIN.into(),
            body: json!({"username": name, "password": password}),
            token_pointer: Some("/access_token".into()),
            cookie: None,
            use_as: None,
        }),
    }
}

fn alice() -> Identity {
    employee("alice", "Alice-Payroll-2024!")
}

fn bob() -> Identity {
    employee("bob", "Bob-Payroll-2024!")
}

/// A scan of `url` as `identities`, `--active` or not: the JSON report and the typed one.
fn scan_as(url: &str, identities: Vec<Identity>, active: bool) -> (Value, Report) {
    let (json, report, _) = scan_in_process(url, |c| {
        c.identities = identities;
        c.active = active;
    });
    (json, report)
}

fn expect<'a>(report: &'a Report, check: &str, endpoint: &str) -> &'a Finding {
    report.findings().map(|(_, f)| f).find(|f| f.check == check && f.endpoint == endpoint).unwrap_or_else(|| {
        let have: Vec<String> =
            report.findings().map(|(_, f)| format!("{} {} {} {}", f.check, f.endpoint, f.severity, f.title)).collect();
        panic!("no {check} on {endpoint}: {have:#?}")
    })
}

fn category_of(json: &Value, check: &str) -> String {
    findings(json).into_iter().find(|(_, f)| f["check"] == check).map(|(c, _)| c).unwrap_or_default()
}

fn fired(report: &Report, check: &str) -> bool {
    report.findings().any(|(_, f)| f.check == check)
}

fn serious(report: &Report) -> Vec<String> {
    report
        .findings()
        .filter(|(_, f)| f.severity >= Severity::Medium)
        .map(|(_, f)| format!("{} {} {} {}", f.check, f.endpoint, f.severity, f.title))
        .collect()
}

/// The bearer token a logged request carried, if any.
fn bearer(request: &Value) -> Option<String> {
    request["headers"]["authorization"].as_str()?.strip_prefix("Bearer ").map(str::to_string)
}

fn header_alg(token: &str) -> String {
    let head = token.split('.').next().unwrap_or("");
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(head)
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|h| h["alg"].as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Requests with forged JWTs. The scanner's real tokens (one per identity, from its login) are
/// the most used; every other token is a forgery, except the real one with `x0` appended that
/// unauthenticated_access sends as its "broken credential" (not a JWT attack).
fn forged_requests(log: &[Value], identities: usize) -> usize {
    let mut by_token: BTreeMap<String, usize> = BTreeMap::new();
    for r in log {
        if let Some(t) = bearer(r).filter(|t| !t.ends_with("x0")) {
            *by_token.entry(t).or_default() += 1;
        }
    }
    let mut counts: Vec<usize> = by_token.into_values().collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    counts.iter().skip(identities).sum()
}

/// Everything but the identities' own configured logins: those are the user's requests, sent
/// once per identity by the login flow, not by a check.
fn without_logins(log: Vec<Value>, identities: usize) -> Vec<Value> {
    let logins = log.iter().filter(|r| r["method"] == "POST" && r["path"] == LOGIN).count();
    let (configured, rest): (Vec<Value>, Vec<Value>) = log.into_iter().partition(|r| {
        r["method"] == "POST" && r["path"] == LOGIN && r["headers"]["authorization"].is_null() && {
            let body: Value = serde_json::from_str(r["body"].as_str().unwrap_or("")).unwrap_or_default();
            body["password"].as_str().is_some_and(|p| p.ends_with("-Payroll-2024!"))
        }
    });
    assert_eq!(configured.len(), identities, "one configured login per identity ({logins} logins in all)");
    rest
}

/// Whether `text` holds `reset_pin` followed by six digits in clear.
fn shows_a_pin(text: &str) -> bool {
    text.match_indices("reset_pin").any(|(i, _)| {
        let after: String = text[i + 9..].chars().filter(|c| !matches!(c, '"' | ':' | ' ' | '\\')).take(6).collect();
        after.len() == 6 && after.chars().all(|c| c.is_ascii_digit())
    })
}

/// No state-changing request: nothing but GET/HEAD/OPTIONS and unparseable bodies besides the
/// identities' own logins, no well-formed request to the logout, and every employee's tokens
/// still valid (the logout, had it run, bumps the account's token version).
fn assert_default_scan_was_safe(target: &Target, log: Vec<Value>, identities: usize) {
    let rest = without_logins(log, identities);
    assert_only_safe_requests(&rest);
    assert!(
        rest.iter()
            .all(|r| r["path"] != LOGOUT || serde_json::from_str::<Value>(r["body"].as_str().unwrap_or("")).is_err()),
        "a well-formed request to {LOGOUT}"
    );
    assert!(rest.iter().all(|r| !r["body"].as_str().unwrap_or("").contains("lp-nobody-")), "an enumeration probe");
    let versions = target.get_json("/_bookkeeping/token-versions");
    assert_eq!(versions, json!({"alice": 1, "bob": 1, "hana": 1}), "the scan logged somebody out");
}

#[test]
fn unverified_signature_lets_an_employee_read_a_colleagues_profile() {
    let (target, log) = Target::start_logged("payslip_jwt_unverified");
    let (json, report) = scan_as(&target.url, vec![alice(), bob()], false);
    assert_valid_report(&json);
    eprintln!("{}", timing_line("payslip_jwt_unverified", &json));

    let signature = report
        .findings()
        .map(|(_, f)| f)
        .find(|f| f.check == "jwt_signature_not_verified" && f.endpoint == "/api/me" && f.title.contains("impersonate"))
        .unwrap_or_else(|| panic!("no impersonation: {:#?}", serious(&report)));
    assert_eq!(category_of(&json, "jwt_signature_not_verified"), "authentication");
    assert_eq!(signature.severity, Severity::Critical);
    assert_eq!(signature.confidence, Confidence::Confirmed);
    assert!(signature.evidence.contains("sub") && signature.evidence.contains("→ 200"), "{}", signature.evidence);
    assert!(
        report.findings().any(|(_, f)| f.check == "jwt_signature_not_verified"
            && f.title.contains("without one")
            && f.severity == Severity::Critical),
        "a token with its signature removed is accepted too"
    );
    // PyJWT without verification does not look at `alg` either.
    let none = expect(&report, "jwt_none_algorithm", "/api/me");
    assert_eq!((none.severity, none.confidence), (Severity::Critical, Confidence::Confirmed));
    assert!(!fired(&report, "jwt_weak_secret"), "a random 384-bit secret is not in any wordlist");

    let text = serde_json::to_string(&json).expect("json");
    assert!(!text.contains("eyJ"), "a token reached the report");
    let requests = Target::requests(&log);
    let forged = forged_requests(&requests, 2);
    eprintln!("payslip_jwt_unverified: {forged} requests with forged tokens for 2 identities");
    assert!((4..=24).contains(&forged), "{forged} forged-token requests: at most 12 per token");
    assert_default_scan_was_safe(&target, requests, 2);
}

#[test]
fn tutorial_secret_is_cracked_offline_and_a_forged_token_reads_a_colleagues_data() {
    let (target, log) = Target::start_logged("payslip_jwt_weak");
    let (json, report) = scan_as(&target.url, vec![alice(), bob()], false);
    assert_valid_report(&json);
    eprintln!("{}", timing_line("payslip_jwt_weak", &json));

    let weak = expect(&report, "jwt_weak_secret", "/api/me");
    assert_eq!(category_of(&json, "jwt_weak_secret"), "authentication");
    assert_eq!((weak.severity, weak.confidence), (Severity::Critical, Confidence::Confirmed));
    assert!(weak.title.contains("forged"), "{}", weak.title);
    assert!(weak.evidence.contains("HS256") && weak.evidence.contains("64 characters"), "{}", weak.evidence);
    assert!(weak.evidence.contains("that identity's data"), "the forged token named bob: {}", weak.evidence);

    let expired = expect(&report, "jwt_expired_accepted", "/api/me");
    assert_eq!((expired.severity, expired.confidence), (Severity::Medium, Confidence::Confirmed));
    assert!(expired.evidence.contains("cracked offline"), "{}", expired.evidence);

    // The signature itself is checked: nothing but the known secret gets in.
    assert!(!fired(&report, "jwt_none_algorithm") && !fired(&report, "jwt_signature_not_verified"));
    let text = serde_json::to_string(&json).expect("json");
    assert!(!text.contains(FASTAPI_TUTORIAL_KEY) && !text.contains("eyJ"), "secret or token in the report");

    let requests = Target::requests(&log);
    // The forged token for bob (signed with the cracked key) and the expired copy really went out.
    let forged: Vec<String> = requests.iter().filter_map(bearer).filter(|t| header_alg(t) == "HS256").collect();
    assert!(forged.len() >= 4, "{forged:?}");
    let total = forged_requests(&requests, 2);
    eprintln!("payslip_jwt_weak: {total} requests with forged tokens for 2 identities");
    assert!(total <= 24, "{total} forged-token requests");
    assert_default_scan_was_safe(&target, requests, 2);
}

#[test]
fn hand_written_decoder_accepts_alg_none_and_nothing_else() {
    let (target, log) = Target::start_logged("payslip_jwt_none");
    let (json, report) = scan_as(&target.url, vec![alice()], false);
    assert_valid_report(&json);
    eprintln!("{}", timing_line("payslip_jwt_none (one identity)", &json));

    let none = expect(&report, "jwt_none_algorithm", "/api/me");
    assert_eq!(category_of(&json, "jwt_none_algorithm"), "authentication");
    assert_eq!((none.severity, none.confidence), (Severity::Critical, Confidence::Confirmed));
    assert!(none.evidence.contains("alg `none`") && none.evidence.contains("→ 401"), "{}", none.evidence);
    assert!(!fired(&report, "jwt_signature_not_verified"), "stripped and altered HS256 signatures are refused");
    assert!(!fired(&report, "jwt_weak_secret"));
    // The `none` branch of the decoder returns the claims before the expiry check.
    let expired = expect(&report, "jwt_expired_accepted", "/api/me");
    assert_eq!((expired.severity, expired.confidence), (Severity::Medium, Confidence::Confirmed));
    assert!(expired.evidence.contains("unsigned with alg `none`"), "{}", expired.evidence);

    let requests = Target::requests(&log);
    let forged = forged_requests(&requests, 1);
    eprintln!("payslip_jwt_none: {forged} requests with forged tokens for 1 identity");
    assert!(forged <= 12, "{forged} forged-token requests for one token");
    assert_default_scan_was_safe(&target, requests, 1);
}

#[test]
fn verified_twin_refuses_every_forgery_and_stays_clean() {
    let (target, log) = Target::start_logged("payslip_jwt_verified");
    let (json, report) = scan_as(&target.url, vec![alice(), bob()], false);
    assert_valid_report(&json);
    eprintln!("{}", timing_line("payslip_jwt_verified", &json));
    assert_eq!(serious(&report), Vec::<String>::new());
    assert!(report.findings().all(|(_, f)| !f.check.starts_with("jwt_")));

    // The attacks really ran: `alg: none` in its casings, a signature removed, claims changed.
    let requests = Target::requests(&log);
    let tokens: Vec<String> = requests.iter().filter_map(bearer).collect();
    for alg in ["none", "None", "NONE"] {
        assert!(tokens.iter().any(|t| header_alg(t) == alg), "no alg {alg} probe");
    }
    assert!(tokens.iter().any(|t| t.ends_with('.') && header_alg(t) == "HS256"), "no stripped-signature probe");
    let forged = forged_requests(&requests, 2);
    eprintln!("payslip_jwt_verified: {forged} requests with forged tokens for 2 identities");
    assert!(
        (10..=24).contains(&forged),
        "{forged} forged-token requests: at least the 5 refused forgeries per token, at most 12"
    );
    assert_default_scan_was_safe(&target, requests, 2);
}

#[test]
fn login_and_reset_tell_who_works_here_only_with_active() {
    // Default scan: no login or reset is attempted, so nothing is found and nothing is posted.
    let (target, log) = Target::start_logged("payslip_login_leaky");
    let (json, report) = scan_as(&target.url, vec![alice(), bob()], false);
    eprintln!("{}", timing_line("payslip_login_leaky", &json));
    assert!(!fired(&report, "user_enumeration"));
    assert_default_scan_was_safe(&target, Target::requests(&log), 2);
    drop(target);

    let (target, log) = Target::start_logged("payslip_login_leaky");
    let (json, report) = scan_as(&target.url, vec![alice(), bob()], true);
    assert_valid_report(&json);
    eprintln!("{}", timing_line("payslip_login_leaky --active", &json));
    let login = expect(&report, "user_enumeration", LOGIN);
    assert_eq!(category_of(&json, "user_enumeration"), "authentication");
    assert_eq!((login.severity, login.confidence), (Severity::Medium, Confidence::Confirmed));
    assert!(login.title.contains("login"), "{}", login.title);
    assert!(login.evidence.contains("401") && login.evidence.contains("404"), "{}", login.evidence);
    let reset = expect(&report, "user_enumeration", RESET);
    assert!(reset.title.contains("password reset"), "{}", reset.title);
    assert_eq!(reset.confidence, Confidence::Confirmed);
    assert!(!shows_a_pin(&reset.evidence), "the PIN in the evidence: {}", reset.evidence);

    // The PIN in the reset answer: a secret in the response, reported where it is (one owner).
    let pin = expect(&report, "pii_in_response", RESET);
    assert_eq!(pin.severity, Severity::High);
    assert_eq!(pin.pii_types, vec![leakprobe_detect::PiiType::Secret]);
    assert!(pin.evidence.contains("reset_pin"), "{}", pin.evidence);

    // Bounded: at most one wrong-password login per known account from user_enumeration (its
    // password is `Lp-wrong-…`; it stops at the first account that answers differently), one
    // request per unknown account and endpoint.
    let requests = without_logins(Target::requests(&log), 2);
    let sent = |path: &str, needle: &str| {
        requests
            .iter()
            .filter(|r| r["method"] == "POST" && r["path"] == path)
            .filter(|r| {
                let body = r["body"].as_str().unwrap_or("");
                body.contains(needle) && (path != LOGIN || body.contains("Lp-wrong-"))
            })
            .count()
    };
    assert_eq!(sent(LOGIN, "\"alice\""), 1, "wrong-password logins for alice");
    assert!(sent(LOGIN, "\"bob\"") <= 1, "wrong-password logins for bob");
    for unknown in ["lp-nobody-5c1e9a7f", "lp-nobody-2b8d4e06"] {
        assert_eq!((sent(LOGIN, unknown), sent(RESET, unknown)), (1, 1), "{unknown}");
    }
}

#[test]
fn uniform_login_and_reset_twin_is_clean_with_active() {
    let (target, log) = Target::start_logged("payslip_jwt_verified");
    let (json, report) = scan_as(&target.url, vec![alice(), bob()], true);
    assert_valid_report(&json);
    eprintln!("{}", timing_line("payslip_jwt_verified --active", &json));
    assert_eq!(serious(&report), Vec::<String>::new());
    assert!(!fired(&report, "user_enumeration"));
    // It was asked: unknown accounts at login and reset.
    let requests = Target::requests(&log);
    for path in [LOGIN, RESET] {
        assert!(
            requests.iter().any(|r| r["path"] == path && r["body"].as_str().unwrap_or("").contains("lp-nobody-")),
            "no unknown-account probe to {path}"
        );
    }
}
