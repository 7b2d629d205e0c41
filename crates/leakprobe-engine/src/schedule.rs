//! The scan's request budget, spent by risk.
//!
//! Checks do not cap themselves: each asks [`ScanContext::plan`] which endpoints to spend requests
//! on, and gets them riskiest first ([`risk`]), as many as its share of the budget pays for. What
//! each check planned, ran and skipped (and why) is kept here and becomes the report's
//! `coverage.checks`.
//!
//! Shares: every active check that has not planned yet keeps a guaranteed floor (half an even
//! split of what was left when the checks started); a check that plans may take what it asks for
//! out of the rest. So a large API cannot have its whole budget eaten by the first check that
//! plans, and a small API is not held back by an even split it does not need.
//!
//! Floors kept for checks that then need little (or nothing: no identity, no spec) would be lost,
//! so once every check has run, what is left of the budget is granted again ([`regrant`]) to the
//! checks the budget cut, riskiest skipped work first, for the endpoints they did not get.
pub mod risk;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::sync::Mutex;

use futures::{FutureExt, StreamExt};

use crate::checks::{CheckInfo, Hit, Runner, CHECKS};
use crate::client::CheckTally;
use crate::context::ScanContext;
use crate::inventory::Endpoint;
use crate::report::{CheckCoverage, Skipped};
use crate::survey::SURVEY;

tokio::task_local! {
    /// The check whose future is running: the client counts its requests against it.
    static CURRENT_CHECK: &'static str;
}

/// Runs `future` as the work of `check`: its requests are counted against the check.
pub async fn run_as<F: Future>(check: &'static CheckInfo, future: F) -> F::Output {
    CURRENT_CHECK.scope(check.id, future).await
}

/// The check the current task works for, if any (discovery and recon work for none).
pub fn current_check() -> Option<&'static str> {
    CURRENT_CHECK.try_with(|c| *c).ok()
}

/// Why a check left planned work undone. The text is what the report shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    /// Its share of the request budget did not pay for it, or the budget ran out while it worked.
    Budget,
    TimeLimit,
    /// It would send requests that may change state.
    NeedsActive,
    NeedsIdentity,
    NeedsTwoIdentities,
    /// Needs an identity that signs its requests (HMAC).
    NeedsSigningIdentity,
    /// Probes that must stay on this machine (SSRF canaries) are not sent to a remote target.
    RemoteTarget,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Budget => "budget",
            SkipReason::TimeLimit => "time limit",
            SkipReason::NeedsActive => "needs --active",
            SkipReason::NeedsIdentity => "needs an identity",
            SkipReason::NeedsTwoIdentities => "needs two identities",
            SkipReason::NeedsSigningIdentity => "needs a signing identity",
            SkipReason::RemoteTarget => "remote target",
        }
    }
}

/// What one check planned, by endpoint template.
#[derive(Debug, Default)]
struct Ledger {
    planned: BTreeSet<String>,
    granted: BTreeSet<String>,
    /// Planned but not granted, with the first reason given.
    skipped: BTreeMap<String, SkipReason>,
    /// Requests set aside for the granted endpoints.
    reserved: usize,
    /// The check's own estimate of requests per endpoint (the largest it gave).
    per_endpoint: usize,
}

#[derive(Debug, Default)]
struct State {
    ledgers: BTreeMap<&'static str, Ledger>,
    /// Active checks that have planned or finished: they no longer need a floor kept for them.
    settled: BTreeSet<&'static str>,
    /// Active checks that have finished: what they set aside and did not send is free again.
    finished: BTreeSet<&'static str>,
    /// The check that ran each ledger's plans (a check may plan for another it reports for).
    runners: BTreeMap<&'static str, &'static str>,
    /// The round of [`regrant`] under way, if any.
    regrant: Option<Round>,
}

/// One round of [`regrant`]: its checks share what was left as the first round shared the pool.
#[derive(Debug, Default)]
struct Round {
    members: BTreeSet<&'static str>,
    /// Members that have planned in this round.
    planned: BTreeSet<&'static str>,
    floor: usize,
    /// Kept for the checks that run after every other and have not run yet.
    held: usize,
}

/// The scheduler of one scan: endpoint risk, the checks' shares, and what each planned.
#[derive(Debug, Default)]
pub struct Schedule {
    /// Risk weight per endpoint template; absent is 0.
    weights: HashMap<String, u32>,
    /// Requests left when the checks started.
    pool: usize,
    state: Mutex<State>,
}

fn active_checks() -> usize {
    CHECKS.iter().filter(|c| matches!(c.runner, Runner::Active(_))).count()
}

impl Schedule {
    /// Ranks the inventory once discovery is done: the spec and names, plus whether each
    /// endpoint's discovery answer carried personal data.
    pub fn new(ctx: &ScanContext) -> Schedule {
        let mut returned_pii: BTreeSet<String> = BTreeSet::new();
        for ex in ctx.client.exchanges() {
            if ex.method == reqwest::Method::GET && ex.identity.is_none() && ex.is_success() && !ex.body.is_empty() {
                let template = ctx.inventory.template_of(ex.path());
                if !returned_pii.contains(&template) && !ctx.exposed(&ex).is_empty() {
                    returned_pii.insert(template);
                }
            }
        }
        let weights = ctx
            .inventory
            .endpoints()
            .map(|e| {
                let mut signals = risk::signals(e, ctx.spec.as_ref());
                signals.returned_pii = returned_pii.contains(&e.template);
                (e.template.clone(), signals.weight())
            })
            .filter(|(_, w)| *w > 0)
            .collect();
        Schedule {
            weights,
            pool: ctx.client.max_requests().saturating_sub(ctx.client.requests_sent()),
            state: Mutex::new(State::default()),
        }
    }

    pub fn weight(&self, endpoint: &Endpoint) -> u32 {
        self.weights.get(&endpoint.template).copied().unwrap_or(0)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The check has finished: no floor is kept for it any more.
    pub fn settle(&self, check: &'static CheckInfo) {
        let mut state = self.state();
        state.settled.insert(check.id);
        state.finished.insert(check.id);
    }

    /// How many of `wanted` endpoints, at `per_endpoint` requests each, `check` may probe now.
    fn grant(&self, check: &'static CheckInfo, wanted: usize, per_endpoint: usize, ctx: &ScanContext) -> usize {
        let mut state = self.state();
        let runner = current_check().unwrap_or(check.id);
        // A phase before the checks (exercise, survey) plans for none of them: it takes no floor's
        // place, and it has sent what it planned before any check plans.
        if CHECKS.iter().any(|c| c.id == runner) {
            state.settled.insert(runner);
        }
        let (floor, waiting, held) = match state.regrant.as_mut() {
            Some(round) => {
                round.planned.insert(runner);
                (round.floor, round.members.len().saturating_sub(round.planned.len()), round.held)
            }
            None => (self.pool / (2 * active_checks().max(1)), active_checks().saturating_sub(state.settled.len()), 0),
        };
        // What other checks set aside and have not sent yet is theirs.
        let outstanding: usize = state
            .ledgers
            .iter()
            .filter(|(id, _)| **id != check.id && !state.finished.contains(*id))
            .filter(|(id, _)| {
                CHECKS.iter().any(|c| c.id == **id) || state.regrant.as_ref().is_some_and(|r| r.members.contains(*id))
            })
            .map(|(id, l)| l.reserved.saturating_sub(ctx.client.tally(id).sent))
            .sum();
        let free = ctx
            .client
            .max_requests()
            .saturating_sub(ctx.client.requests_sent())
            .saturating_sub(outstanding)
            .saturating_sub(held);
        let available = free.saturating_sub(floor * waiting).max(floor.min(free));
        wanted.min(available / per_endpoint.max(1))
    }

    /// Starts a round of [`regrant`]: the checks that left endpoints unprobed for want of budget,
    /// riskiest skipped endpoint first, share what the first round left. Empty when none did.
    fn begin_round(&self, ctx: &ScanContext) -> Vec<&'static CheckInfo> {
        let mut state = self.state();
        let mut risk: BTreeMap<&'static str, u32> = BTreeMap::new();
        for (id, ledger) in &state.ledgers {
            let runner = state.runners.get(id).copied().unwrap_or(id);
            for (template, reason) in &ledger.skipped {
                if *reason == SkipReason::Budget {
                    let weight = self.weights.get(template).copied().unwrap_or(0);
                    let entry = risk.entry(runner).or_default();
                    *entry = (*entry).max(weight);
                }
            }
        }
        let mut members: Vec<&'static CheckInfo> = CHECKS
            .iter()
            .copied()
            .filter(|c| risk.contains_key(c.id) && state.finished.contains(c.id))
            .filter(|c| matches!(c.runner, Runner::Active(_)) && !crate::checks::RUN_LAST.contains(&c.id))
            .collect();
        // Endpoints no request has read: the passive checks' skipped work, read by the survey's entry.
        let passive = CHECKS.iter().any(|c| matches!(c.runner, Runner::Passive(_)) && ctx.config.runs(c.id));
        let read = read_templates(ctx);
        if let Some(weight) = unread(ctx, &read).map(|e| self.weights.get(&e.template).copied().unwrap_or(0)).max() {
            if passive {
                risk.insert(SURVEY.id, weight);
                members.push(&SURVEY);
            }
        }
        // Stable: equal risks keep the registry's order.
        members.sort_by_key(|c| Reverse(risk[c.id]));
        if members.is_empty() {
            return members;
        }
        // What the first round set aside and did not send is free; what it keeps for the checks
        // still to run after every other stays theirs.
        let ids: BTreeSet<&'static str> = members.iter().map(|c| c.id).collect();
        let State { ledgers, runners, .. } = &mut *state;
        for (id, ledger) in ledgers.iter_mut() {
            if runners.get(id).is_some_and(|r| ids.contains(r)) {
                ledger.reserved = ctx.client.tally(id).sent;
            }
        }
        let unsettled_last = CHECKS
            .iter()
            .filter(|c| crate::checks::RUN_LAST.contains(&c.id) && ctx.config.runs(c.id))
            .filter(|c| !state.settled.contains(c.id))
            .count();
        let held = self.pool / (2 * active_checks().max(1)) * unsettled_last;
        let free = ctx.client.max_requests().saturating_sub(ctx.client.requests_sent()).saturating_sub(held);
        for id in &ids {
            state.finished.remove(id);
        }
        state.regrant = Some(Round { floor: free / (2 * ids.len()), members: ids, planned: BTreeSet::new(), held });
        members
    }

    fn end_round(&self) {
        self.state().regrant = None;
    }

    /// During a round of [`regrant`], the endpoints `check` was already granted: it plans the rest.
    fn granted_before(&self, check: &CheckInfo) -> Option<BTreeSet<String>> {
        let state = self.state();
        state.regrant.as_ref()?;
        Some(state.ledgers.get(check.id).map(|l| l.granted.clone()).unwrap_or_default())
    }

    fn record(
        &self,
        check: &'static CheckInfo,
        planned: &[&Endpoint],
        granted: usize,
        per_endpoint: usize,
        reason: SkipReason,
    ) {
        let mut state = self.state();
        state.runners.insert(check.id, current_check().unwrap_or(check.id));
        let ledger = state.ledgers.entry(check.id).or_default();
        ledger.per_endpoint = ledger.per_endpoint.max(per_endpoint);
        ledger.reserved += granted * per_endpoint;
        for (i, e) in planned.iter().enumerate() {
            ledger.planned.insert(e.template.clone());
            if i < granted {
                ledger.granted.insert(e.template.clone());
                ledger.skipped.remove(&e.template);
            } else if !ledger.granted.contains(&e.template) {
                ledger.skipped.entry(e.template.clone()).or_insert(reason);
            }
        }
    }

    /// One line per check for the report. Endpoint-planning checks count endpoints; other active
    /// checks count their requests; passive checks count the exchanges they read. Requests the
    /// client refused after planning (budget or time spent meanwhile) move endpoints from `ran` to
    /// `skipped`, at the check's own estimate of requests per endpoint.
    ///
    /// A passive check also skipped the readable endpoints no request of the scan ever read
    /// (discovery's share, the budget or the time ran out first): those are counted as skipped
    /// endpoints, with the reason.
    pub fn coverage(&self, ctx: &ScanContext, exchanges_analyzed: usize) -> Vec<CheckCoverage> {
        let unread = unread_endpoints(ctx);
        let unread_reason = if ctx.client.out_of_time() { SkipReason::TimeLimit } else { SkipReason::Budget };
        let state = self.state();
        CHECKS
            .iter()
            .filter(|check| ctx.config.runs(check.id))
            .map(|check| {
                let tally: CheckTally = ctx.client.tally(check.id);
                match (check.runner, state.ledgers.get(check.id)) {
                    (Runner::Passive(_), _) => CheckCoverage {
                        check: check.id.to_string(),
                        unit: "exchanges".into(),
                        planned: exchanges_analyzed,
                        ran: exchanges_analyzed,
                        requests: 0,
                        skipped: if unread == 0 {
                            Vec::new()
                        } else {
                            vec![Skipped { reason: unread_reason.as_str().to_string(), count: unread }]
                        },
                    },
                    (Runner::Active(_), Some(ledger)) => ledger_coverage(check, ledger, tally),
                    (Runner::Active(_), None) => {
                        let mut skipped = BTreeMap::new();
                        add(&mut skipped, SkipReason::Budget, tally.over_budget);
                        add(&mut skipped, SkipReason::TimeLimit, tally.over_time);
                        CheckCoverage {
                            check: check.id.to_string(),
                            unit: "requests".into(),
                            planned: tally.sent + tally.over_budget + tally.over_time,
                            ran: tally.sent,
                            requests: tally.sent,
                            skipped: skipped_list(skipped),
                        }
                    }
                }
            })
            .collect()
    }
}

/// Rounds of [`regrant`] at most: each hands on what the one before left unspent.
const MAX_REGRANT_ROUNDS: usize = 3;

/// Once every check has run: what is left of the budget goes to the checks it cut, riskiest
/// skipped work first, for the endpoints they did not get (floors kept for checks that then spent
/// little are otherwise lost). Each such check runs again; its repeats of earlier requests are
/// answered from the client's cache. Returns the hits not already in `earlier`.
pub async fn regrant(ctx: &ScanContext, earlier: &[(&'static CheckInfo, Hit)]) -> Vec<(&'static CheckInfo, Hit)> {
    let key =
        |check: &CheckInfo, h: &Hit| (check.id, h.method.clone(), h.path.clone(), h.kind.clone(), h.evidence.clone());
    let mut seen: BTreeSet<_> = earlier.iter().map(|(c, h)| key(c, h)).collect();
    let mut found = Vec::new();
    for _ in 0..MAX_REGRANT_ROUNDS {
        let sent = ctx.client.requests_sent();
        if ctx.client.out_of_time() || sent >= ctx.client.max_requests() {
            break;
        }
        let members = ctx.schedule.begin_round(ctx);
        if members.is_empty() {
            break;
        }
        tracing::debug!(checks = members.len(), left = ctx.client.max_requests() - sent, "budget granted again");
        let runs = members.into_iter().map(|check| match check.runner {
            Runner::Active(run) => run_as(check, async move {
                let hits = run(ctx).await;
                ctx.schedule.settle(check);
                hits.into_iter().map(|h| (check, h)).collect::<Vec<_>>()
            })
            .boxed_local(),
            Runner::Passive(_) => run_as(check, async move {
                read_unread(ctx).await;
                Vec::new()
            })
            .boxed_local(),
        });
        let hits = futures::future::join_all(runs).await;
        ctx.schedule.end_round();
        found.extend(hits.into_iter().flatten().filter(|(c, h)| seen.insert(key(c, h))));
        if ctx.client.requests_sent() == sent {
            break;
        }
    }
    found
}

/// One GET of each endpoint's sample that no request has read yet, riskiest first, as discovery
/// sends it, so the passive checks read it; as many as the round grants.
async fn read_unread(ctx: &ScanContext) {
    let read = read_templates(ctx);
    let planned = ctx.plan(&SURVEY, unread(ctx, &read));
    let _ = futures::stream::iter(planned)
        .map(|e| ctx.client.send(ctx.client.baseline_get(e.sample_path())))
        .buffer_unordered(ctx.config.concurrency.max(1) * 2)
        .collect::<Vec<_>>()
        .await;
    ctx.schedule.settle(&SURVEY);
}

/// The templates some GET of the scan got an answer from so far.
pub fn read_templates(ctx: &ScanContext) -> BTreeSet<String> {
    ctx.client
        .exchanges()
        .iter()
        .filter(|ex| ex.method == reqwest::Method::GET && ex.status.is_some())
        .map(|ex| ctx.inventory.template_of(ex.path()))
        .collect()
}

/// Endpoints with a GET that no answer of the scan came from, leaving out those the state guard
/// keeps from being called (they are listed in `coverage.not_called`).
fn unread_endpoints(ctx: &ScanContext) -> usize {
    unread(ctx, &read_templates(ctx)).count()
}

fn unread<'a>(ctx: &'a ScanContext, read: &'a BTreeSet<String>) -> impl Iterator<Item = &'a Endpoint> + 'a {
    ctx.inventory.endpoints().filter(|e| e.methods.contains("GET") && !read.contains(&e.template)).filter(|e| {
        let path = e.sample_path();
        !crate::words::names_state_change(&path) && !crate::words::ends_session(&path)
    })
}

fn ledger_coverage(check: &CheckInfo, ledger: &Ledger, tally: CheckTally) -> CheckCoverage {
    let mut skipped: BTreeMap<SkipReason, usize> = BTreeMap::new();
    for reason in ledger.skipped.values() {
        *skipped.entry(*reason).or_default() += 1;
    }
    let per = ledger.per_endpoint.max(1);
    let mut ran = ledger.granted.len();
    for (reason, refused) in [(SkipReason::Budget, tally.over_budget), (SkipReason::TimeLimit, tally.over_time)] {
        let cut = refused.div_ceil(per).min(ran);
        ran -= cut;
        add(&mut skipped, reason, cut);
    }
    CheckCoverage {
        check: check.id.to_string(),
        unit: "endpoints".into(),
        planned: ledger.planned.len(),
        ran,
        requests: tally.sent,
        skipped: skipped_list(skipped),
    }
}

fn add(skipped: &mut BTreeMap<SkipReason, usize>, reason: SkipReason, count: usize) {
    if count > 0 {
        *skipped.entry(reason).or_default() += count;
    }
}

fn skipped_list(skipped: BTreeMap<SkipReason, usize>) -> Vec<Skipped> {
    skipped.into_iter().map(|(reason, count)| Skipped { reason: reason.as_str().to_string(), count }).collect()
}

impl ScanContext {
    /// The endpoints `check` should probe, riskiest first, out of `candidates`: as many as its
    /// share of the budget pays for at one request each. The rest are recorded as skipped.
    pub fn plan<'a>(
        &'a self,
        check: &'static CheckInfo,
        candidates: impl IntoIterator<Item = &'a Endpoint>,
    ) -> Vec<&'a Endpoint> {
        self.plan_costing(check, candidates, 1)
    }

    /// [`Self::plan`] for a check that sends about `per_endpoint` new requests to each endpoint (one
    /// per identity, a burst…), so its share buys the right number of endpoints. Answers the scan
    /// already has (discovery's anonymous GET of each sample) are free: do not count them.
    pub fn plan_costing<'a>(
        &'a self,
        check: &'static CheckInfo,
        candidates: impl IntoIterator<Item = &'a Endpoint>,
        per_endpoint: usize,
    ) -> Vec<&'a Endpoint> {
        let done = self.schedule.granted_before(check).unwrap_or_default();
        let mut weighted: Vec<(u32, &Endpoint)> = candidates
            .into_iter()
            .filter(|e| !done.contains(&e.template))
            .map(|e| (self.schedule.weight(e), e))
            .collect();
        weighted.sort_by_key(|(weight, _)| Reverse(*weight));
        let count = weighted.len();
        let (granted, reason) = if self.client.out_of_time() {
            (0, SkipReason::TimeLimit)
        } else if per_endpoint == 0 {
            // Everything it reads was fetched already (discovery's samples): nothing to pay for.
            (count, SkipReason::Budget)
        } else {
            (self.schedule.grant(check, count, per_endpoint, self), SkipReason::Budget)
        };
        // What the share pays for is chosen over the whole API (risk, then even sampling).
        let mut ranked = risk::spread(weighted, granted);
        self.schedule.record(check, &ranked, granted, per_endpoint, reason);
        ranked.truncate(granted);
        ranked
    }

    /// Records that `check` will not probe `candidates`, and why (a missing identity, `--active`…).
    pub fn skip<'a>(
        &'a self,
        check: &'static CheckInfo,
        reason: SkipReason,
        candidates: impl IntoIterator<Item = &'a Endpoint>,
    ) {
        let all: Vec<&Endpoint> = candidates.into_iter().collect();
        self.schedule.record(check, &all, 0, 1, reason);
        self.schedule.state().settled.insert(check.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{Client, Exchange};
    use crate::config::ScanConfig;
    use crate::inventory::{Inventory, Source};
    use crate::soft404::SoftNotFound;

    fn check(id: &str) -> &'static CheckInfo {
        crate::checks::find(id).expect("registered check")
    }

    /// A context over `inventory` that has sent nothing yet; nothing is ever sent by these tests.
    fn context(max_requests: usize, inventory: Inventory) -> ScanContext {
        let mut config = ScanConfig::new("http://127.0.0.1:9").expect("config");
        config.max_requests = max_requests;
        let client = Client::new(&config).expect("client");
        let silent = Exchange::for_test("/", None, "");
        let mut ctx = ScanContext {
            soft404: SoftNotFound::calibrate(&silent, &silent),
            config,
            client,
            inventory,
            spec: None,
            tls: None,
            detector: leakprobe_detect::Detector::new(),
            schedule: Schedule::default(),
            survey: crate::survey::Survey::default(),
        };
        ctx.schedule = Schedule::new(&ctx);
        ctx
    }

    fn inventory(paths: &[&str]) -> Inventory {
        let mut inv = Inventory::default();
        for p in paths {
            inv.add_seen(p, "GET", Source::Link);
        }
        inv
    }

    fn templates<'a>(plan: &[&'a Endpoint]) -> Vec<&'a str> {
        plan.iter().map(|e| e.template.as_str()).collect()
    }

    #[test]
    fn plans_riskiest_first_then_in_inventory_order() {
        let ctx = context(2_000, inventory(&["/about", "/orders/7", "/api/presets", "/auth/login", "/zones/3"]));
        let plan = ctx.plan(check("server_error_on_malformed_input"), ctx.inventory.endpoints());
        assert_eq!(templates(&plan), ["/auth/login", "/orders/{id}", "/zones/{id}", "/about", "/api/presets"]);
    }

    #[test]
    fn one_check_cannot_take_the_floor_kept_for_the_others() {
        let paths: Vec<String> = (0..100).map(|i| format!("/items-{i:03}")).collect();
        let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
        let ctx = context(660, inventory(&paths));
        let floor = 660 / (2 * active_checks());
        let first = ctx.plan_costing(check("server_error_on_malformed_input"), ctx.inventory.endpoints(), 10);
        let kept = floor * (active_checks() - 1);
        assert_eq!(first.len(), (660 - kept) / 10, "the first planner takes all but the others' floors");
        assert!(first.len() < 100);
        let second = ctx.plan_costing(check("dangerous_methods"), ctx.inventory.endpoints(), 1);
        assert!(second.len() >= floor, "a later check still gets its floor: {}", second.len());

        let coverage = ctx.schedule.coverage(&ctx, 0);
        let malformed = coverage.iter().find(|c| c.check == "server_error_on_malformed_input").expect("entry");
        assert_eq!((malformed.planned, malformed.ran), (100, first.len()));
        assert_eq!(malformed.skipped, vec![Skipped { reason: "budget".into(), count: 100 - first.len() }]);
    }

    #[test]
    fn a_regrant_round_gives_a_cut_check_the_floors_the_others_left_unspent() {
        let paths: Vec<String> = (0..100).map(|i| format!("/items-{i:03}")).collect();
        let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
        let ctx = context(660, inventory(&paths));
        let malformed = check("server_error_on_malformed_input");
        let first: Vec<String> = ctx
            .plan_costing(malformed, ctx.inventory.endpoints(), 10)
            .into_iter()
            .map(|e| e.template.clone())
            .collect();
        assert!(first.len() < 100);
        // Every other check ends without spending its floor.
        for c in CHECKS.iter().filter(|c| matches!(c.runner, Runner::Active(_))) {
            ctx.schedule.settle(c);
        }
        let members = ctx.schedule.begin_round(&ctx);
        let ids: Vec<&str> = members.iter().map(|c| c.id).collect();
        // The cut check, and the reading of what nothing read (the passive checks' skipped work).
        assert_eq!(ids, ["server_error_on_malformed_input", "survey"]);
        let second = ctx.plan_costing(malformed, ctx.inventory.endpoints(), 10);
        ctx.schedule.end_round();
        assert!(second.iter().all(|e| !first.contains(&e.template)), "granted twice");
        // Half of what is free stays the other member's floor; the rest buys 10-request endpoints.
        assert_eq!(second.len(), (100 - first.len()).min((660 - 660 / 4) / 10));
        let coverage = ctx.schedule.coverage(&ctx, 0);
        let entry = coverage.iter().find(|c| c.check == malformed.id).expect("entry");
        let ran = first.len() + second.len();
        assert_eq!((entry.planned, entry.ran), (100, ran));
        let skipped = if ran == 100 { vec![] } else { vec![Skipped { reason: "budget".into(), count: 100 - ran }] };
        assert_eq!(entry.skipped, skipped);
    }

    #[test]
    fn small_apis_get_everything_they_ask_for() {
        let ctx = context(2_000, inventory(&["/a", "/b", "/c/1"]));
        for id in ["server_error_on_malformed_input", "dangerous_methods", "bola_id_enumeration"] {
            assert_eq!(ctx.plan_costing(check(id), ctx.inventory.endpoints(), 4).len(), 3, "{id}");
        }
        let coverage = ctx.schedule.coverage(&ctx, 5);
        assert!(coverage.iter().filter(|c| c.unit != "exchanges").all(|c| c.skipped.is_empty()), "{coverage:?}");
        // Nothing was sent in this test: the passive analyzers never read the three endpoints.
        let unread = vec![Skipped { reason: "budget".into(), count: 3 }];
        assert!(coverage.iter().filter(|c| c.unit == "exchanges").all(|c| c.skipped == unread), "{coverage:?}");
        // Passive analyzers count what they read; active checks that planned count endpoints.
        assert!(coverage.iter().any(|c| c.unit == "exchanges" && c.ran == 5));
        assert!(coverage.iter().any(|c| c.check == "dangerous_methods" && c.unit == "endpoints" && c.ran == 3));
    }

    #[test]
    fn skips_say_why() {
        let ctx = context(2_000, inventory(&["/users/1", "/users/1/orders/2", "/health"]));
        let templated = ctx.inventory.endpoints().filter(|e| e.has_path_params());
        ctx.skip(check("bola_cross_identity"), SkipReason::NeedsTwoIdentities, templated);
        let coverage = ctx.schedule.coverage(&ctx, 0);
        let bola = coverage.iter().find(|c| c.check == "bola_cross_identity").expect("entry");
        assert_eq!((bola.planned, bola.ran, bola.requests), (2, 0, 0));
        assert_eq!(bola.skipped, vec![Skipped { reason: "needs two identities".into(), count: 2 }]);
        assert!(!bola.did_run());
    }

    #[test]
    fn nothing_is_granted_once_the_budget_is_gone() {
        let ctx = context(0, inventory(&["/a", "/b"]));
        assert!(ctx.plan(check("dangerous_methods"), ctx.inventory.endpoints()).is_empty());
        let coverage = ctx.schedule.coverage(&ctx, 0);
        let entry = coverage.iter().find(|c| c.check == "dangerous_methods").expect("entry");
        assert_eq!(entry.skipped, vec![Skipped { reason: "budget".into(), count: 2 }]);
        // Reading what the scan already has costs nothing.
        assert_eq!(ctx.plan_costing(check("admin_function_exposed"), ctx.inventory.endpoints(), 0).len(), 2);
    }
}
