//! `input_validation`: how the API copes with input it should reject. `MALFORMED_INPUT` also sends
//! the error-provoking probes whose answers the `error_disclosure` checks read.
use futures::future::BoxFuture;
use futures::stream::{self, StreamExt};
use reqwest::Method;

use super::{CheckInfo, Hit, Runner, Status};
use crate::client::Probe;
use crate::context::ScanContext;
use crate::fingerprints;
use crate::inventory::{fill_template, Endpoint, ParamLocation};
use crate::report::{Category, Confidence, Severity};

pub static MALFORMED_INPUT: CheckInfo = CheckInfo {
    id: "server_error_on_malformed_input",
    category: Category::InputValidation,
    status: Status::Stable,
    cwe: &[20, 755],
    summary: "5xx answers to ids of the wrong type, malformed JSON, wrong content types, odd methods",
    docs: include_str!("../../docs/checks/server_error_on_malformed_input.md"),
    runner: Runner::Active(malformed_input),
};

pub static DANGEROUS_METHODS: CheckInfo = CheckInfo {
    id: "dangerous_methods",
    category: Category::InputValidation,
    status: Status::Stable,
    cwe: &[749, 650],
    summary: "TRACE enabled; write methods advertised without authentication",
    docs: include_str!("../../docs/checks/dangerous_methods.md"),
    runner: Runner::Active(dangerous_methods),
};

/// About what [`provocations`] sends to one endpoint, for its budget share.
const PROVOCATIONS_PER_ENDPOINT: usize = 5;
/// A wrong-type id with the quotes that break hand-built SQL.
const BAD_ID: &str = "leakprobe'\"";
const HUGE_ID: &str = "99999999999999999999999";
const MALFORMED_JSON: &str = "{\"leakprobe\": [1, 2,";
/// An unparseable body larger than most handlers expect (still far below any sane server limit).
const OVERSIZED_LEN: usize = 64 * 1024;

/// What was sent, for the evidence line.
struct Provocation {
    probe: Probe,
    what: &'static str,
}

fn provocations(endpoint: &Endpoint) -> Vec<Provocation> {
    let mut out = Vec::new();
    let writes = endpoint.methods.iter().any(|m| matches!(m.as_str(), "POST" | "PUT" | "PATCH"));
    if endpoint.has_path_params() {
        for (value, what) in
            [(BAD_ID, "an id of the wrong type"), (HUGE_ID, "an out-of-range id"), ("-1", "a negative id")]
        {
            let path = fill_template(&endpoint.template, |_| Some(value.to_string()));
            out.push(Provocation { probe: Probe::get(encode_path(&path)), what });
        }
    }
    if let Some(example) = endpoint.examples.first().filter(|e| e.contains('?')) {
        // Seen with a query: replace every value with the quote-laden one.
        let (path, query) = example.split_once('?').unwrap_or((example, ""));
        let bad: Vec<String> =
            query.split('&').map(|kv| format!("{}={}", kv.split('=').next().unwrap_or(kv), "%27%22")).collect();
        out.push(Provocation {
            probe: Probe::get(format!("{path}?{}", bad.join("&"))),
            what: "quotes in query parameters",
        });
    }
    let query_params: Vec<&str> =
        endpoint.params.iter().filter(|p| p.location == ParamLocation::Query).map(|p| p.name.as_str()).collect();
    if !query_params.is_empty() {
        let base = endpoint.sample_path();
        let base = base.split('?').next().unwrap_or(&base).to_string();
        let bad: Vec<String> = query_params.iter().map(|n| format!("{n}=%27%22")).collect();
        out.push(Provocation {
            probe: Probe::get(format!("{base}?{}", bad.join("&"))),
            what: "quotes in declared query parameters",
        });
    }
    let path = endpoint.sample_path();
    // Deliberately unparseable bodies are allowed without --active: no handler can act on them.
    out.push(Provocation {
        probe: Probe::new(Method::POST, path.clone()).body("application/json", MALFORMED_JSON),
        what: "malformed JSON",
    });
    if writes {
        out.push(Provocation {
            probe: Probe::new(Method::POST, path.clone()).body("application/xml", "<leakprobe"),
            what: "an unexpected content type",
        });
        let oversized = format!("[{}", "1,".repeat(OVERSIZED_LEN / 2));
        out.push(Provocation {
            probe: Probe::new(Method::POST, path.clone()).body("application/json", oversized),
            what: "an oversized, unterminated JSON body",
        });
    }
    if let Ok(method) = Method::from_bytes(b"LEAKPROBE") {
        // With an unparseable body, so even a server that maps unknown methods to a handler
        // has nothing to act on.
        out.push(Provocation {
            probe: Probe::new(method, path).body("application/json", MALFORMED_JSON),
            what: "an unknown HTTP method",
        });
    }
    out
}

/// Quotes are legal in paths but some clients normalise them; send them percent-encoded.
fn encode_path(path: &str) -> String {
    path.replace('\'', "%27").replace('"', "%22")
}

fn malformed_input(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        let who = ctx.client.primary_identity();
        let probes: Vec<Provocation> = ctx
            .plan_costing(&MALFORMED_INPUT, ctx.inventory.endpoints(), PROVOCATIONS_PER_ENDPOINT)
            .into_iter()
            .flat_map(provocations)
            .map(|mut p| {
                // Behind an authentication wall, errors only show to a caller who gets past it.
                if let Some(name) = &who {
                    p.probe = p.probe.as_identity(name);
                }
                p
            })
            .collect();
        let answers: Vec<_> = stream::iter(probes)
            .map(|p| async move { (p.what, ctx.client.send(p.probe).await) })
            .buffer_unordered(ctx.config.concurrency.max(1) * 2)
            .collect()
            .await;
        answers
            .into_iter()
            .filter_map(|(what, ex)| {
                let ex = ex.ok()?;
                let status = ex.status?;
                // A database error is a statement the input broke: `sql_injection` (the cause) and
                // `sql_error_disclosure` (the leaked text) report it, not a second generic 5xx.
                if !ex.error_text().matched(fingerprints::SQL).is_empty() {
                    return None;
                }
                (500..600).contains(&status).then(|| Hit {
                    title: format!("Malformed input makes the endpoint fail with {status}"),
                    severity: Severity::Medium,
                    confidence: Confidence::High,
                    method: ex.method.to_string(),
                    path: ex.path().to_string(),
                    kind: "5xx".into(),
                    pii_types: Vec::new(),
                    evidence: format!("{} {} with {what} → {status}", ex.method, ex.path_and_query()),
                })
            })
            .collect()
    })
}

const WRITE_METHODS: [&str; 3] = ["PUT", "DELETE", "PATCH"];

fn dangerous_methods(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        let mut hits = Vec::new();
        // TRACE is read-only by definition; an enabled one echoes requests (cookies, auth headers).
        let marker = "X-Leakprobe-Trace";
        if let Ok(ex) = ctx.client.send(Probe::new(Method::TRACE, "/").header(marker, "trace-probe")).await {
            if ex.is_success() && ex.text().contains("trace-probe") {
                hits.push(Hit {
                    title: "TRACE is enabled and echoes requests back".into(),
                    severity: Severity::Medium,
                    confidence: Confidence::Confirmed,
                    method: "TRACE".into(),
                    path: "/".into(),
                    kind: "trace".into(),
                    pii_types: Vec::new(),
                    evidence: format!("TRACE / → {} with our request headers in the body", ex.status.unwrap_or(0)),
                });
            }
        }
        // Endpoints readable without credentials that advertise write methods to anyone.
        let undeclared = ctx.inventory.endpoints().filter(|e| !e.security_declared);
        let readable: Vec<String> =
            ctx.plan_costing(&DANGEROUS_METHODS, undeclared, 1).into_iter().map(Endpoint::sample_path).collect();
        let answers: Vec<_> = stream::iter(readable)
            .map(|path| async move {
                let get = ctx.client.send(Probe::get(path.clone())).await;
                let options = ctx.client.send(Probe::new(Method::OPTIONS, path)).await;
                (get, options)
            })
            .buffer_unordered(ctx.config.concurrency.max(1))
            .collect()
            .await;
        for (get, options) in answers {
            let (Ok(get), Ok(options)) = (get, options) else { continue };
            if !get.is_success() || ctx.soft404.is_not_found(&get) || !options.is_success() {
                continue;
            }
            let allow = options.header("allow").unwrap_or("").to_ascii_uppercase();
            let writes: Vec<&str> =
                WRITE_METHODS.into_iter().filter(|m| allow.split(',').any(|a| a.trim() == *m)).collect();
            if !writes.is_empty() {
                hits.push(Hit {
                    title: format!("Anonymous-readable endpoint advertises {}", writes.join(", ")),
                    severity: Severity::Low,
                    confidence: Confidence::Medium,
                    method: "OPTIONS".into(),
                    path: options.path().to_string(),
                    kind: "write_methods".into(),
                    pii_types: Vec::new(),
                    evidence: format!(
                        "GET {} → {} without credentials; OPTIONS → Allow: {allow}",
                        get.path(),
                        get.status.unwrap_or(0)
                    ),
                });
            }
        }
        hits
    })
}
