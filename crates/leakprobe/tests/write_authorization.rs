//! Write authorization (issue 11 §3) against real targets: Jotter, a FastAPI notes service on
//! uvicorn with JWT logins (a note update without the owner check, a profile update that trusts the
//! body's `username`, sign-up that honours a `role` enum), and Teamboard, a Flask + SQLite team API
//! with personal access tokens (a role change and a user delete open to members, a settings update
//! that trusts `?account=`), each with its hardened twin.
//!
//! `--active` scans must find each write, prove it by reading it back as its owner, and leave every
//! object as it was; default scans must send no write at all.
mod common;

use common::{assert_only_safe_requests, assert_valid_report, findings, timing_line, Target};
use leakprobe_engine::identity::Identity;
use leakprobe_engine::report::Report;
use leakprobe_engine::{NoProgress, ScanConfig};
use serde_json::{json, Value};

const PRIYA: &str = "tb_pat_priya_5Kq8Zr2Wm7Xc";
const JONAS: &str = "tb_pat_jonas_3Hv6Nb9Pd1Ls";
const OPS: &str = "tb_pat_ops_8Yt4Gf2Qa6Jw";

/// The checks this file is about: none of them may fire without `--active`.
const WRITE_CHECKS: [&str; 3] = ["bola_cross_identity_write", "bfla_privileged_write", "mass_assignment"];

/// Jotter's members, logging in with their passwords (`POST /api/auth/login` → a JWT).
fn jotter_members() -> Vec<Identity> {
    [("alice", "alice-pass-Jot-2291"), ("bob", "bob-pass-Jot-7713")]
        .into_iter()
        .map(|(name, password)| {
            let body = json!({"username": name, "password": password});
            let login = common::login_identity(name, "/api/auth/login", body, Some("/access_token"), None);
            Identity { role: Some("user".to_string()), ..login }
        })
        .collect()
}

/// Teamboard's members: two with role MEMBER, the ops desk with ADMIN.
fn teamboard_members() -> Vec<Identity> {
    [("priya", PRIYA, "user"), ("jonas", JONAS, "user"), ("ops", OPS, "admin")]
        .into_iter()
        .map(|(name, token, role)| {
            let mut identity = Identity::parse(&format!("{name}=bearer:{token}")).expect("identity");
            identity.role = Some(role.to_string());
            identity
        })
        .collect()
}

/// One in-process scan (real HTTP on 127.0.0.1), the report checked against the schema and for
/// the identities' secrets.
fn scan_as(label: &str, url: &str, identities: Vec<Identity>, active: bool) -> Value {
    let mut config = ScanConfig::new(url).expect("target url");
    let secrets: Vec<String> =
        identities.iter().flat_map(Identity::secrets).chain([PRIYA.into(), JONAS.into()]).collect();
    config.identities = identities;
    config.active = active;
    let report: Report = tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(leakprobe_engine::scan(config, &NoProgress))
        .expect("scan");
    let json = serde_json::to_value(&report).expect("report json");
    assert_valid_report(&json);
    let text = json.to_string();
    for secret in &secrets {
        assert!(!text.contains(secret.as_str()), "{label}: a credential appears in the report");
    }
    assert!(!text.contains("-pass-Jot-"), "{label}: a password appears in the report");
    eprintln!("{}", timing_line(label, &json));
    eprintln!("{}", summary(&findings(&json)));
    json
}

fn summary(all: &[(String, Value)]) -> String {
    all.iter()
        .map(|(c, f)| {
            format!(
                "\n  {c}/{} {} {} [{} {}] {}\n      {}",
                f["check"],
                f["method"],
                f["endpoint"],
                f["severity"],
                f["confidence"],
                f["title"],
                f["evidence"].as_str().unwrap_or("")
            )
        })
        .collect()
}

/// The finding of `check` on `method endpoint`, with its category.
fn expect<'a>(all: &'a [(String, Value)], check: &str, method: &str, endpoint: &str) -> (&'a str, &'a Value) {
    all.iter()
        .find(|(_, f)| f["check"] == check && f["method"] == method && f["endpoint"] == endpoint)
        .map(|(c, f)| (c.as_str(), f))
        .unwrap_or_else(|| panic!("no {check} on {method} {endpoint}; findings: {}", summary(all)))
}

fn evidence(f: &Value) -> &str {
    f["evidence"].as_str().unwrap_or("")
}

/// No finding of medium or higher severity, in any category.
fn assert_clean(label: &str, all: &[(String, Value)]) {
    let loud: Vec<(String, Value)> = all
        .iter()
        .filter(|(_, f)| matches!(f["severity"].as_str(), Some("medium" | "high" | "critical")))
        .cloned()
        .collect();
    assert!(loud.is_empty(), "{label} must stay clean: {}", summary(&loud));
}

/// Jotter's notes and members' profiles as seeded.
fn assert_jotter_as_seeded(label: &str, state: &Value) {
    let seed = [
        ("1", "alice", "Dentist", "Tuesday 9:30, bring the referral letter."),
        ("2", "alice", "Gift ideas", "Pottery class voucher for Mum."),
        ("3", "bob", "Groceries", "Oat milk, lentils, coriander."),
        ("4", "bob", "Landlord", "Ask about the boiler before the 12th."),
    ];
    for (id, owner, title, body) in seed {
        let note = &state["notes"][id];
        assert_eq!(note["owner"], owner, "{label}: note {id}: {state}");
        assert_eq!(note["title"], title, "{label}: note {id} not restored: {state}");
        assert_eq!(note["body"], body, "{label}: note {id} not restored: {state}");
    }
    for (name, display, bio) in
        [("alice", "Alice Moreau", "Field notes from Lyon."), ("bob", "Bob Okafor", "Grocery lists, mostly.")]
    {
        let user = &state["users"][name];
        assert_eq!(user["display_name"], display, "{label}: {name}'s profile not restored: {state}");
        assert_eq!(user["bio"], bio, "{label}: {name}'s profile not restored: {state}");
        assert_eq!(user["role"], "member", "{label}: {state}");
    }
}

/// Teamboard's members and settings as seeded: nobody deleted, nobody promoted, nothing changed.
fn assert_teamboard_as_seeded(label: &str, state: &Value) {
    let users = state["users"].as_object().expect("users");
    assert_eq!(users.len(), 4, "{label}: a member was deleted or added: {state}");
    for (name, role) in [("priya", "MEMBER"), ("jonas", "MEMBER"), ("ops", "ADMIN"), ("mei", "MAINTAINER")] {
        assert_eq!(users[name]["role"], role, "{label}: {name}'s role: {state}");
    }
    let seed = [
        ("TB-20417", "daily", "Europe/London", "Heads down until Friday."),
        ("TB-20533", "weekly", "Europe/Berlin", "On call this week."),
        ("TB-10001", "never", "UTC", ""),
        ("TB-20688", "daily", "Asia/Tokyo", "Ask me about the roadmap."),
    ];
    for (account, digest, timezone, message) in seed {
        let s = &state["settings"][account];
        assert_eq!(
            (s["digest"].as_str(), s["timezone"].as_str(), s["status_message"].as_str()),
            (Some(digest), Some(timezone), Some(message)),
            "{label}: settings of {account} not restored: {state}"
        );
    }
}

#[test]
fn jotter_active_scan_proves_cross_user_writes_and_role_at_sign_up() {
    let target = Target::start("notes_fastapi");
    let report = scan_as("notes_fastapi --active (alice, bob)", &target.url, jotter_members(), true);
    let all = findings(&report);

    // By path: bob (the attacker: the last non-admin identity) rewrites alice's note; the read
    // of the same note is owner-checked (404), the update is not.
    let (category, by_path) = expect(&all, "bola_cross_identity_write", "PUT", "/api/notes/{note_id}");
    assert_eq!(category, "bola");
    assert_eq!(by_path["severity"], "high", "{by_path}");
    assert_eq!(by_path["confidence"], "confirmed", "{by_path}");
    let text = evidence(by_path);
    assert!(text.contains("as bob") && text.contains("as alice afterwards shows"), "{by_path}");
    assert!(text.contains("(the read is protected)"), "{by_path}");
    assert!(text.contains("restored:") && !text.contains("NOT restored"), "{by_path}");

    // By body: `PUT /api/profile {"username": "alice", …}` as bob lands on alice's profile.
    let (category, by_body) = expect(&all, "bola_cross_identity_write", "PUT", "/api/profile");
    assert_eq!(category, "bola");
    assert_eq!(by_body["severity"], "high", "{by_body}");
    assert_eq!(by_body["confidence"], "confirmed", "{by_body}");
    assert!(evidence(by_body).contains("the body's `username` names the victim"), "{by_body}");
    assert!(evidence(by_body).contains("restored:") && !evidence(by_body).contains("NOT restored"), "{by_body}");

    // By body, creating: `POST /api/notes {"owner": "alice", …}` as bob files a note in alice's
    // notebook; the scan deletes the note it created.
    let (category, create) = expect(&all, "bola_cross_identity_write", "POST", "/api/notes");
    assert_eq!(category, "bola");
    assert_eq!(create["confidence"], "confirmed", "{create}");
    assert_eq!(create["severity"], "high", "{create}");
    assert!(evidence(create).contains("owner: \"alice\"") && evidence(create).contains("deleted again"), "{create}");

    // Sign-up honours the role enum it documents: one extra property, the API's own value.
    let (category, mass) = expect(&all, "mass_assignment", "POST", "/api/register");
    assert_eq!(category, "property_authorization");
    assert_eq!(mass["severity"], "critical", "{mass}");
    assert_eq!(mass["confidence"], "confirmed", "{mass}");
    let text = evidence(mass);
    assert!(text.contains("role: \"admin\"") && text.contains("role: \"member\" (the default)"), "{mass}");
    assert!(!text.contains("is_admin"), "one extra property per request: {mass}");

    // Afterwards every note and profile is as seeded: the scan restored what it changed, and the
    // exercise phase's well-formed writes did not alter anything either.
    let state = target.get_json("/__test__/state");
    assert_jotter_as_seeded("notes_fastapi --active", &state);
    let leftovers: Vec<&Value> = state["notes"]
        .as_object()
        .expect("notes")
        .values()
        .filter(|n| n["title"].as_str().unwrap_or("").contains("leakprobe write check"))
        .collect();
    assert!(leftovers.is_empty(), "the scan left its probe notes behind: {leftovers:?}");
}

#[test]
fn jotter_hardened_twin_stays_clean_under_active_scan() {
    let target = Target::start("notes_hardened");
    let report = scan_as("notes_hardened --active (alice, bob)", &target.url, jotter_members(), true);
    let all = findings(&report);
    assert_clean("notes_hardened --active", &all);
    let state = target.get_json("/__test__/state");
    assert_jotter_as_seeded("notes_hardened --active", &state);
    let admins: Vec<&String> = state["users"]
        .as_object()
        .expect("users")
        .iter()
        .filter(|(_, u)| u["role"] != "member")
        .map(|(n, _)| n)
        .collect();
    assert!(admins.is_empty(), "sign-up made admins: {admins:?}");
}

#[test]
fn teamboard_active_scan_finds_open_role_change_user_delete_and_query_write() {
    let target = Target::start("teamboard_api");
    let report = scan_as("teamboard_api --active (priya, jonas, ops)", &target.url, teamboard_members(), true);
    let all = findings(&report);

    // jonas (MEMBER) gets past the role change on a member that does not exist (404, not 403),
    // then promotes himself, reads ADMIN back from /api/me, and is demoted again.
    let (category, role) = expect(&all, "bfla_privileged_write", "PUT", "/api/users/{username}/role");
    assert_eq!(category, "bfla");
    assert_eq!(role["severity"], "critical", "{role}");
    assert_eq!(role["confidence"], "confirmed", "{role}");
    let text = evidence(role);
    assert!(text.contains("{\"role\":\"ADMIN\"}"), "the API's own casing: {role}");
    assert!(text.contains("without credentials → 401") && text.contains("→ 404"), "{role}");
    assert!(text.contains("role \"MEMBER\" written back"), "{role}");

    // The user delete: only ever sent to a member that does not exist, so only likely.
    let (category, delete) = expect(&all, "bfla_privileged_write", "DELETE", "/api/users/{username}");
    assert_eq!(category, "bfla");
    assert_eq!(delete["severity"], "high", "{delete}");
    assert_eq!(delete["confidence"], "medium", "likely, not confirmed: {delete}");
    assert!(evidence(delete).contains("leakprobe-absent-7f3a9c"), "{delete}");

    // By query parameter: `PATCH /api/settings?account=<priya's account number>` as jonas.
    let (category, query) = expect(&all, "bola_cross_identity_write", "PATCH", "/api/settings");
    assert_eq!(category, "bola");
    assert_eq!(query["severity"], "high", "{query}");
    assert_eq!(query["confidence"], "confirmed", "{query}");
    assert!(evidence(query).contains("?account=TB-20417"), "{query}");
    assert!(evidence(query).contains("restored:") && !evidence(query).contains("NOT restored"), "{query}");

    // Mass assignment on a templated endpoint: jonas's own account page takes `role` too.
    let (category, mass) = expect(&all, "mass_assignment", "PATCH", "/api/users/{username}");
    assert_eq!(category, "property_authorization");
    assert_eq!(mass["severity"], "critical", "{mass}");
    assert_eq!(mass["confidence"], "confirmed", "{mass}");
    assert!(evidence(mass).contains("PATCH /api/users/jonas") && evidence(mass).contains("\"ADMIN\""), "{mass}");

    assert_teamboard_as_seeded("teamboard_api --active", &target.get_json("/__test__/state"));
}

#[test]
fn teamboard_hardened_twin_stays_clean_under_active_scan() {
    let target = Target::start("teamboard_hardened");
    let report = scan_as("teamboard_hardened --active (priya, jonas, ops)", &target.url, teamboard_members(), true);
    assert_clean("teamboard_hardened --active", &findings(&report));
    assert_teamboard_as_seeded("teamboard_hardened --active", &target.get_json("/__test__/state"));
}

/// The default scan (no `--active`) of every new target: reads only, none of the write findings,
/// never a request to the operations that change or delete data, and the data as seeded.
#[test]
fn default_scans_of_the_write_targets_send_no_writes() {
    type Members = fn() -> Vec<Identity>;
    let runs: [(&str, Members); 4] = [
        ("notes_fastapi", jotter_members),
        ("notes_hardened", jotter_members),
        ("teamboard_api", teamboard_members),
        ("teamboard_hardened", teamboard_members),
    ];
    for (module, identities) in runs {
        let (target, log) = Target::start_logged(module);
        let report = scan_as(&format!("{module} (default)"), &target.url, identities(), false);
        let all = findings(&report);
        for (_, f) in &all {
            let check = f["check"].as_str().unwrap_or("");
            assert!(!WRITE_CHECKS.contains(&check), "{module}: {check} without --active: {f}");
        }
        // The identities' own login flows (`[identity.login]`) are the user's configured requests,
        // sent once each at the start: everything else must be safe.
        let requests: Vec<Value> = Target::requests(&log)
            .into_iter()
            .filter(|r| !(r["path"] == "/api/auth/login" && r["body"].as_str().unwrap_or("").contains("-pass-Jot-")))
            .collect();
        assert!(requests.len() > 20, "{module}: the scan hardly ran ({} requests)", requests.len());
        assert_only_safe_requests(&requests);
        for r in &requests {
            let method = r["method"].as_str().unwrap_or("");
            let path = r["path"].as_str().unwrap_or("");
            // A POST with a body no parser accepts (malformed-input probes) creates nothing.
            let parseable = serde_json::from_str::<Value>(r["body"].as_str().unwrap_or("")).is_ok();
            let dangerous = matches!(method, "PUT" | "PATCH" | "DELETE")
                || (method == "POST"
                    && parseable
                    && (path == "/api/register" || path.starts_with("/api/notes") || path.ends_with("/role")));
            assert!(!dangerous, "{module}: default scan sent {method} {path}: {r}");
        }
        let state = target.get_json("/__test__/state");
        if module.starts_with("notes") {
            assert_jotter_as_seeded(module, &state);
            assert_eq!(state["users"].as_object().map(|u| u.len()), Some(2), "{module}: an account was created");
            assert_eq!(state["notes"].as_object().map(|n| n.len()), Some(4), "{module}: a note was created");
        } else {
            assert_teamboard_as_seeded(module, &state);
        }
    }
}
