//! Ownership (issue 11 §2): the survey learns each identity's own identifiers and `bola` proves
//! cross-identity reads with them, wherever the ids travel — a query parameter (`statements_api`,
//! Flask), an account number in the path (`bank_fastapi`, FastAPI with a JWT login), an order
//! number whose owner shows only in server-rendered HTML (`orders_html`, Flask with a cookie
//! session), a post id found only in a public list that names each post's author (`blog_fastapi`).
//! Each has a hardened twin that must get no medium-or-higher finding.
//!
//! Every scan is a default scan (no `--active`) over real HTTP on 127.0.0.1, as two identities
//! configured the way `[[identity]]` configures them; each target logs what it received, and the
//! log must hold nothing state-changing (apart from the identities' own logins) and never the
//! target's state-changing GET.
mod common;

use common::{assert_only_safe_requests, assert_valid_report, findings, pii, scan_in_process, timing_line, Target};
use leakprobe_engine::identity::Identity;
use serde_json::{json, Value};

/// Personal access tokens `statements_api.py` issued (test values, nothing real).
const ALICE_PAT: &str = "rcu_pat_alice_5Jd8Qm2Xv7Lp";
const BOB_PAT: &str = "rcu_pat_bob_9Tz4Wc1Nh6Rk";
/// Passwords of the demo users of the bank, the portal and the blog.
const ALICE_PASSWORD: &str = "Hq2-x9Lm4-pW3v";
const BOB_PASSWORD: &str = "Vn3-s8Jd2-QwZ6";

fn bearer(name: &str, token: &str) -> Identity {
    Identity::parse(&format!("{name}=bearer:{token}")).expect("identity spec")
}

/// `[identity.login]`: POST the JSON body to `url`, take the token at `pointer` or the cookie.
fn login(name: &str, url: &str, password: &str, pointer: Option<&str>, cookie: Option<&str>) -> Identity {
    common::login_identity(name, url, json!({"username": name, "password": password}), pointer, cookie)
}

struct Scan {
    report: Value,
    log: Vec<Value>,
}

/// A default scan (no `--active`) of `module` as `identities`, the target logging every request.
fn scan(module: &str, identities: Vec<Identity>) -> Scan {
    let (target, log) = Target::start_logged(module);
    let (report, _, _) = scan_in_process(&target.url, |c| c.identities = identities);
    assert_valid_report(&report);
    eprintln!("SCAN {}", timing_line(module, &report));
    for (category, f) in findings(&report) {
        eprintln!(
            "  {category}/{} {} {} [{} {}] {}",
            f["check"], f["method"], f["endpoint"], f["severity"], f["confidence"], f["evidence"]
        );
    }
    Scan { report, log: Target::requests(&log) }
}

/// The confirmed cross-identity read on `endpoint`, with its category and severity checked.
fn confirmed_bola<'a>(all: &'a [(String, Value)], endpoint: &str, severity: &str) -> &'a Value {
    let (category, f) = all
        .iter()
        .find(|(_, f)| f["check"] == "bola_cross_identity" && f["endpoint"] == endpoint)
        .unwrap_or_else(|| panic!("no bola_cross_identity on {endpoint}: {all:#?}"));
    assert_eq!(category, "bola", "{f}");
    assert_eq!(f["method"], "GET", "{f}");
    assert_eq!(f["confidence"], "confirmed", "{f}");
    assert_eq!(f["severity"], severity, "{f}");
    f
}

/// No finding of medium or higher severity, in any category, except those `allowed` names
/// (check and endpoint) with the reason.
fn assert_clean(label: &str, report: &Value, allowed: &[(&str, &str)]) {
    let loud: Vec<(String, Value)> = findings(report)
        .into_iter()
        .filter(|(_, f)| matches!(f["severity"].as_str(), Some("medium" | "high" | "critical")))
        .filter(|(_, f)| !allowed.iter().any(|(check, endpoint)| f["check"] == *check && f["endpoint"] == *endpoint))
        .collect();
    assert!(loud.is_empty(), "{label} must stay clean: {loud:#?}");
}

/// The default scan sent nothing that changes state (the identities' logins aside: the user
/// configured those).
fn assert_default_scan_safe(scan: &Scan, logins: &str) {
    let others: Vec<Value> =
        scan.log.iter().filter(|r| !(r["method"] == "POST" && r["path"] == logins)).cloned().collect();
    assert!(others.len() > 50, "the target logged only {} requests", others.len());
    assert_only_safe_requests(&others);
}

/// The GETs and HEADs (they run the handler) a scan sent to a path containing `dangerous`.
fn calls_to(scan: &Scan, dangerous: &str) -> Vec<String> {
    scan.log
        .iter()
        .filter(|r| matches!(r["method"].as_str(), Some("GET" | "HEAD")))
        .filter(|r| r["path"].as_str().is_some_and(|p| p.contains(dangerous)))
        .map(|r| format!("{} {}?{}", r["method"], r["path"], r["query"]))
        .collect()
}

#[test]
fn ids_in_query_parameters_are_varied_and_proven() {
    let identities = || vec![bearer("alice", ALICE_PAT), bearer("bob", BOB_PAT)];
    let leaky = scan("statements_api", identities());
    let all = findings(&leaky.report);
    // `?account_id=5001` (alice's, listed only to her) read by bob: her name, e-mail and IBAN.
    let f = confirmed_bola(&all, "/api/statements", "critical");
    assert!(pii(f).contains(&"iban") && pii(f).contains(&"email"), "{f}");
    assert!(f["evidence"].as_str().unwrap_or("").contains("account_id="), "the id travelled in the query: {f}");
    assert_default_scan_safe(&leaky, "-");

    let twin = scan("statements_hardened", identities());
    assert_clean("statements_hardened", &twin.report, &[]);
    assert_default_scan_safe(&twin, "-");
}

#[test]
fn account_numbers_are_ids_in_a_fastapi_bank() {
    let identities = || {
        vec![
            login("alice", "/auth/token", ALICE_PASSWORD, Some("/access_token"), None),
            login("bob", "/auth/token", BOB_PASSWORD, Some("/access_token"), None),
        ]
    };
    let leaky = scan("bank_fastapi", identities());
    let all = findings(&leaky.report);
    // `ACC-10023` comes from alice's own `/accounts`; no numeric id exists anywhere.
    let f = confirmed_bola(&all, "/accounts/{account_number}", "critical");
    assert!(pii(f).contains(&"iban"), "{f}");
    assert!(f["evidence"].as_str().unwrap_or("").contains("/accounts/ACC-"), "{f}");
    assert_default_scan_safe(&leaky, "/auth/token");

    let twin = scan("bank_fastapi_hardened", identities());
    assert_clean("bank_fastapi_hardened", &twin.report, &[]);
    assert_default_scan_safe(&twin, "/auth/token");
}

#[test]
fn ownership_shown_only_in_html_pages() {
    let identities = || {
        vec![
            login("alice", "/login", ALICE_PASSWORD, None, Some("session")),
            login("bob", "/login", BOB_PASSWORD, None, Some("session")),
        ]
    };
    let leaky = scan("orders_html", identities());
    let all = findings(&leaky.report);
    // The order page names its customer in a definition list; the navigation names the reader.
    let f = confirmed_bola(&all, "/orders/{id}", "high");
    assert!(pii(f).contains(&"email"), "{f}");
    assert!(f["evidence"].as_str().unwrap_or("").contains("/orders/ORD-"), "{f}");
    assert_default_scan_safe(&leaky, "/login");

    let twin = scan("orders_html_hardened", identities());
    assert_clean("orders_html_hardened", &twin.report, &[]);
    assert_default_scan_safe(&twin, "/login");
}

#[test]
fn public_lists_that_name_authors_give_away_their_ids() {
    let identities = || {
        vec![
            login("alice", "/auth/login", ALICE_PASSWORD, Some("/token"), None),
            login("bob", "/auth/login", BOB_PASSWORD, Some("/token"), None),
        ]
    };
    let leaky = scan("blog_fastapi", identities());
    let all = findings(&leaky.report);
    // Post ids appear only in the public list, next to `"author": "alice"`.
    let draft = confirmed_bola(&all, "/api/posts/{post_id}/draft", "high");
    assert!(pii(draft).contains(&"email"), "{draft}");
    // Ids start at 101: the spec's sample (`/api/posts/1/draft`) is a 404, only the list knows them.
    assert!(draft["evidence"].as_str().unwrap_or("").contains("/api/posts/10"), "{draft}");
    // Usernames from `/api/me` (and the token's claims) go into the path.
    let settings = confirmed_bola(&all, "/api/users/{username}/settings", "high");
    assert!(pii(settings).contains(&"email") && pii(settings).contains(&"phone"), "{settings}");
    assert_default_scan_safe(&leaky, "/auth/login");

    let twin = scan("blog_fastapi_hardened", identities());
    assert_clean("blog_fastapi_hardened", &twin.report, &[]);
    assert_default_scan_safe(&twin, "/auth/login");
}

#[test]
fn the_login_answer_is_where_a_member_learns_its_number() {
    // Opaque session tokens, no `/me`, no member list: only the sign-in answer names the member
    // number (`BL-40217`) that the card URL takes.
    let members = || {
        [
            ("maren", "maren.okafor@posteo.de", "Maren-Leaf-0714"),
            ("tobias", "tobias.hale@fastmail.com", "Tobias-Leaf-0203"),
        ]
        .into_iter()
        .map(|(name, email, password)| {
            let body = json!({"email": email, "password": password});
            common::login_identity(name, "/api/session", body, Some("/token"), None)
        })
        .collect::<Vec<_>>()
    };
    let leaky = scan("rewards_api", members());
    let all = findings(&leaky.report);
    let f = confirmed_bola(&all, "/api/members/{member_number}/card", "high");
    assert!(pii(f).contains(&"phone") || pii(f).contains(&"email"), "{f}");
    assert!(f["evidence"].as_str().unwrap_or("").contains("/api/members/BL-"), "{f}");
    assert_default_scan_safe(&leaky, "/api/session");

    let twin = scan("rewards_hardened", members());
    assert_clean("rewards_hardened", &twin.report, &[]);
    assert_default_scan_safe(&twin, "/api/session");
}

/// Each target's state-changing GET (`regenerate`, `reset`, `cancel`, `publish`) is linked or
/// declared where discovery finds it; a default scan must never call it, whichever phase or check
/// would (the client's state guard).
#[test]
fn default_scans_never_call_state_changing_gets() {
    let pat = |name: &str, token: &str| vec![bearer(name, token)];
    let bank = vec![login("alice", "/auth/token", ALICE_PASSWORD, Some("/access_token"), None)];
    let portal = vec![login("alice", "/login", ALICE_PASSWORD, None, Some("session"))];
    let blog = vec![login("alice", "/auth/login", ALICE_PASSWORD, Some("/token"), None)];
    for (module, identities, dangerous) in [
        ("statements_api", pat("alice", ALICE_PAT), "/regenerate"),
        ("bank_fastapi", bank, "/demo/reset"),
        ("orders_html", portal, "/cancel"),
        ("blog_fastapi", blog, "/publish"),
    ] {
        let scan = scan(module, identities);
        let calls = calls_to(&scan, dangerous);
        assert!(calls.is_empty(), "{module}: the default scan called {dangerous}: {calls:#?}");
    }
}
