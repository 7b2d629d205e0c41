//! Identity health: after every scan phase, each identity is asked once whether it still works.
//!
//! Tokens expire, sessions are revoked, and a scan that deletes data (`state_changing_get` with
//! `--active`) may delete the scan's own users. An identity that dies mid-scan turns every later
//! check that uses it into a run of 401s that look like "access refused": findings are lost without
//! a word. So after each phase one fresh request (past the exchange cache) goes to the identity's
//! `/me`-like endpoint, or else to the first endpoint it read successfully. A 401/403 there runs its
//! `[identity.login]` flow again and retries; an identity that stays dead is named in
//! `coverage.incomplete` with the phase, never with a secret.
use crate::client::{Client, Exchange, Probe};
use crate::error::ScanError;
use crate::inventory::Inventory;
use crate::soft404::SoftNotFound;

/// Last path segments of endpoints that describe the caller itself.
const SELF_SEGMENTS: &[&str] =
    &["me", "whoami", "profile", "self", "account", "userinfo", "current-user", "current_user", "session"];

/// What the health check found for one identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    Alive,
    /// Its check endpoint refused it, its login flow ran again and it works again.
    Refreshed,
    /// Refused where it was answered before, or its login flow failed; the text says what was seen.
    Dead(String),
    /// Nothing to ask (no endpoint it read, no `/me`), or no answer (budget, time limit).
    Unknown,
}

/// Checks every identity after `phase` (`discovery`, `exercise`, `checks`…), refreshing logins on
/// 401/403 and recording the identities that stay dead in the client's incomplete reasons.
pub async fn check_identities(client: &Client, inventory: &Inventory, soft404: &SoftNotFound, phase: &str) {
    if client.out_of_time() || client.requests_sent() >= client.max_requests() {
        return;
    }
    let checks = client.identities().into_iter().map(|identity| async move {
        let health = check_one(client, inventory, soft404, &identity.name).await;
        (identity.name, health)
    });
    for (name, health) in futures::future::join_all(checks).await {
        match health {
            Health::Dead(why) => {
                client.mark_incomplete(format!("identity `{name}` stopped working after the {phase} phase: {why}"));
            }
            Health::Refreshed => tracing::info!(identity = %name, phase, "identity logged in again"),
            Health::Alive | Health::Unknown => {}
        }
    }
}

/// Asks once whether `name` still works, and renews it when it does not.
///
/// A refusal only counts as death on an endpoint the identity read successfully before, or when
/// its login flow fails: a `/me` it never read may simply not be its to read.
pub async fn check_one(client: &Client, inventory: &Inventory, soft404: &SoftNotFound, name: &str) -> Health {
    let Some((path, read_before)) = check_endpoint(client, inventory, soft404, name) else { return Health::Unknown };
    let ask = || client.send_fresh(Probe::get(path.clone()).as_identity(name));
    let Ok(first) = ask().await else { return Health::Unknown };
    if works(&first) {
        return Health::Alive;
    }
    let status = match first.status {
        Some(s @ (401 | 403)) => s,
        _ => return Health::Unknown,
    };
    match client.refresh_login(name).await {
        Ok(true) => {}
        Ok(false) if read_before => {
            return Health::Dead(format!("GET {path} answered {status} and it has no login flow to renew it"));
        }
        Ok(false) => return Health::Unknown,
        Err(e) => {
            return Health::Dead(format!("GET {path} answered {status} and its login flow failed ({})", reason(&e)))
        }
    }
    match ask().await {
        Ok(ex) if works(&ex) => Health::Refreshed,
        Ok(ex) if read_before => Health::Dead(format!(
            "GET {path} answered {status}, and {} after its login flow ran again",
            crate::client::status(&ex)
        )),
        _ => Health::Unknown,
    }
}

/// What a login failure says, without the identity's name twice (the reason names it already).
fn reason(e: &ScanError) -> String {
    match e {
        ScanError::Login(why) => why.split_once(": ").map_or_else(|| why.clone(), |(_, w)| w.to_string()),
        other => other.to_string(),
    }
}

fn works(ex: &Exchange) -> bool {
    ex.is_success()
}

/// The identity's `/me`-like endpoint, else the first endpoint it read successfully; never a path
/// that names a state change. With whether it read that endpoint successfully before.
fn check_endpoint(
    client: &Client,
    inventory: &Inventory,
    soft404: &SoftNotFound,
    name: &str,
) -> Option<(String, bool)> {
    let exchanges = client.exchanges();
    let own: Vec<&Exchange> = exchanges
        .iter()
        .map(AsRef::as_ref)
        .filter(|ex| ex.identity.as_deref() == Some(name) && ex.auth == crate::client::AuthMode::Normal)
        .filter(|ex| ex.method == reqwest::Method::GET && ex.url.query().is_none())
        .filter(|ex| !crate::words::names_state_change(ex.path()))
        .collect();
    let read_ok = |ex: &&&Exchange| ex.is_success() && !soft404.is_not_found(ex) && !ex.body.is_empty();
    let is_self = |path: &str| crate::words::last_segment(path).is_some_and(|s| SELF_SEGMENTS.contains(&s.as_str()));
    if let Some(me) = own.iter().filter(read_ok).map(|ex| ex.path()).find(|p| is_self(p)) {
        return Some((me.to_string(), true));
    }
    // A `/me` it never read successfully still describes the caller: a refusal there now (the
    // token may have expired before discovery reached it) is worth a renewal.
    let me = inventory
        .endpoints()
        .filter(|e| e.methods.contains("GET") && !e.has_path_params() && is_self(&e.template))
        .map(|e| e.template.clone())
        .find(|p| !crate::words::names_state_change(p));
    if let Some(me) = me {
        return Some((me, false));
    }
    own.iter().find(read_ok).map(|ex| (ex.path().to_string(), true))
}
