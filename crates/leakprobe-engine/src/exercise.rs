//! The exercise phase: every discovered operation sent once the way a real client would send it
//! (see [`crate::requests`]), so that its answer passes through the passive analyzers like any
//! other exchange — an echoed password, an API key, a SQL error or a debugger page in the answer
//! to a well-formed POST is found like one in a GET.
//!
//! Safety: without `--active` only GETs are sent (with their query parameters). With `--active`
//! every operation is sent once per identity (anonymously when there is none), POST/PUT/PATCH
//! with their bodies; PUT/PATCH only to objects the caller can read, with the object's own values
//! (an update that changes nothing). DELETE is never sent. A GET to a path that names a state
//! change, and anything to a path that would end the scan's own session, is refused by the client's
//! state guard (`Client::send`, `data/state-changing-words.txt`), even with `--active`.
use std::collections::BTreeMap;

use futures::stream::{self, StreamExt};
use reqwest::Method;

use crate::checks::{CheckInfo, Runner, Status};
use crate::client::Probe;
use crate::context::ScanContext;
use crate::discovery::openapi::Operation;
use crate::inventory::Endpoint;
use crate::report::Category;
use crate::requests::{self, Knowledge, WellFormed};

/// The phase's entry for [`ScanContext::plan`]: not a check (it reports nothing itself, the
/// analyzers do), but it spends requests the scheduler accounts for.
pub static EXERCISE: CheckInfo = CheckInfo {
    id: "exercise_operations",
    category: Category::InputValidation,
    status: Status::Preview,
    cwe: &[],
    summary: "Sends every discovered operation once, well-formed, so its answer is analyzed (writes need --active)",
    docs: "## What it finds\n\nNothing by itself: the answers go to the passive analyzers.\n",
    runner: Runner::Passive(|_, _, _| {}),
};

/// Whether this scan may send `request`: GETs; writes only with `--active`; DELETE never. Paths
/// that name a state change are the client's state guard's to refuse.
pub fn may_send(ctx: &ScanContext, request: &WellFormed) -> bool {
    match request.method {
        Method::GET | Method::HEAD => true,
        Method::POST | Method::PUT | Method::PATCH => ctx.config.active,
        _ => false,
    }
}

/// Scalar values seen in the JSON answers so far (discovery's), by field name.
pub fn harvested(ctx: &ScanContext) -> BTreeMap<String, String> {
    let mut seen = BTreeMap::new();
    for ex in ctx.client.exchanges() {
        if !ex.is_success() || !ex.is_json() || ctx.soft404.is_not_found(&ex) {
            continue;
        }
        if let Some(value) = ex.json() {
            Knowledge::harvest(&mut seen, &value);
        }
    }
    seen
}

/// What the scan knows when it sends as `identity` (anonymous: harvested ids only).
pub fn knowledge(ctx: &ScanContext, identity: Option<&str>, seen: &BTreeMap<String, String>) -> Knowledge {
    let known = identity.and_then(|name| ctx.client.identities().into_iter().find(|i| i.name == name));
    match known {
        Some(i) => Knowledge::for_identity(&i, seen),
        None => Knowledge { seen: seen.clone(), ..Knowledge::default() },
    }
}

/// The spec's operations on this endpoint.
pub fn operations<'a>(ctx: &'a ScanContext, endpoint: &Endpoint) -> Vec<&'a Operation> {
    ctx.spec.iter().flat_map(|s| &s.operations).filter(|o| o.path == endpoint.template).collect()
}

/// The well-formed requests this scan may send to `endpoint` as `identity`.
pub fn requests_for(ctx: &ScanContext, endpoint: &Endpoint, knowledge: &Knowledge) -> Vec<WellFormed> {
    requests::for_endpoint(endpoint, &operations(ctx, endpoint), knowledge)
        .into_iter()
        .filter(|r| may_send(ctx, r))
        .collect()
}

/// Sends every planned operation once per caller. Returns how many requests it made (cache hits
/// of discovery's own GETs included).
pub async fn run(ctx: &ScanContext) -> usize {
    let seen = harvested(ctx);
    let callers: Vec<Option<String>> = if ctx.config.active {
        let all: Vec<Option<String>> = ctx.client.identities().into_iter().map(|i| Some(i.name)).collect();
        if all.is_empty() {
            vec![None]
        } else {
            all
        }
    } else {
        vec![ctx.client.primary_identity()]
    };
    let endpoints = ctx.plan(&EXERCISE, ctx.inventory.endpoints());
    let mut probes: Vec<Probe> = Vec::new();
    for caller in &callers {
        let known = knowledge(ctx, caller.as_deref(), &seen);
        for endpoint in &endpoints {
            for mut request in requests_for(ctx, endpoint, &known) {
                // An update is sent with the object's own values, read first as the caller: it
                // runs the handler and changes nothing. One the caller cannot read is not sent.
                if matches!(request.method, Method::PUT | Method::PATCH) {
                    match crate::writes::snapshot(ctx, &request, caller.as_deref()).await {
                        Some(snap) => request = snap.unchanged,
                        None => continue,
                    }
                }
                let probe = request.probe();
                probes.push(match caller {
                    Some(name) => probe.as_identity(name),
                    None => probe,
                });
            }
        }
    }
    let sent = probes.len();
    let _ = stream::iter(probes)
        .map(|p| ctx.client.send(p))
        .buffer_unordered(ctx.config.concurrency.max(1) * 2)
        .collect::<Vec<_>>()
        .await;
    sent
}
