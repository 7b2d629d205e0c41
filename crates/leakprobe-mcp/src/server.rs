//! The MCP server: tools, resources and the audit prompt over one shared scan history.
use std::sync::Arc;

use leakprobe_detect::{Confidence, Detector};
use leakprobe_engine::checks::{self, CHECKS};
use leakprobe_engine::report::Report;
use leakprobe_engine::NoProgress;
use rmcp::handler::server::router::prompt::PromptRouter;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, ContentBlock, ErrorData, Implementation, ListResourceTemplatesResult, ListResourcesResult,
    PaginatedRequestParams, PromptMessage, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult,
    RequestMetaObject, Resource, ResourceContents, ResourceTemplate, Role, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{
    prompt, prompt_handler, prompt_router, schemars, tool, tool_handler, tool_router, Peer, RoleServer, ServerHandler,
};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use crate::explain::explain;
use crate::policy::{self, Refusal};
use crate::scan::{self, McpProgress};
use crate::settings::Settings;
use crate::store::{MemoryStore, ScanRecord, ScanRequest, ScanStore};
use crate::{pii, views};

/// Scans that may run at once; more wait their turn (an assistant can fire many calls).
const PARALLEL_SCANS: usize = 2;

struct Shared {
    settings: Settings,
    store: Arc<dyn ScanStore>,
    scans: Semaphore,
    detector: Detector,
}

/// One server; clones share the settings and the scan history (the HTTP transport makes one
/// handler per session).
#[derive(Clone)]
pub struct LeakprobeServer {
    shared: Arc<Shared>,
    tool_router: ToolRouter<Self>,
    prompt_router: PromptRouter<Self>,
}

impl LeakprobeServer {
    pub fn new(settings: Settings) -> Self {
        Self::with_store(settings, Arc::new(MemoryStore::default()))
    }

    pub fn with_store(settings: Settings, store: Arc<dyn ScanStore>) -> Self {
        let shared = Shared { settings, store, scans: Semaphore::new(PARALLEL_SCANS), detector: Detector::new() };
        LeakprobeServer {
            shared: Arc::new(shared),
            tool_router: Self::tool_router(),
            prompt_router: Self::prompt_router(),
        }
    }

    fn record(&self, scan_id: &str) -> Result<Arc<ScanRecord>, Refusal> {
        self.shared.store.get(scan_id).ok_or_else(|| {
            Refusal(format!("no scan `{scan_id}` in this server's history; list_scans shows the known ids"))
        })
    }

    /// Runs one scan under the parallel-scan limit and stores it.
    async fn run(
        &self,
        request: ScanRequest,
        only_checks: Option<Vec<&'static str>>,
        meta: &RequestMetaObject,
        peer: Peer<RoleServer>,
    ) -> Result<Arc<ScanRecord>, Refusal> {
        // Refusals happen here, before the queue and before the first request.
        let config = scan::config(&self.shared.settings, &request, only_checks.clone())?;
        let _permit = self.shared.scans.acquire().await.map_err(|_| Refusal("the server is shutting down".into()))?;
        let progress = McpProgress::start(peer, meta.get_progress_token());
        let runtime = tokio::runtime::Handle::current();
        // The engine's scan future borrows its progress sink across awaits, which makes it Send
        // only for one lifetime; a blocking thread that drives it keeps the handler future Send.
        let report: Result<Report, _> = tokio::task::spawn_blocking(move || match progress {
            Some((progress, forward)) => {
                let report = runtime.block_on(leakprobe_engine::scan(config, &progress));
                drop(progress);
                let _ = runtime.block_on(forward);
                report
            }
            None => runtime.block_on(leakprobe_engine::scan(config, &NoProgress)),
        })
        .await
        .map_err(|e| Refusal(format!("scan failed: {e}")))?;
        let report = report.map_err(|e| Refusal(format!("scan failed: {e}")))?;
        let only = only_checks.map(|o| o.into_iter().map(str::to_string).collect());
        Ok(self.shared.store.insert(request, only, report))
    }
}

fn ok(text: String) -> Result<CallToolResult, ErrorData> {
    Ok(CallToolResult::success(vec![ContentBlock::text(text)]))
}

/// A tool error the assistant reads; the server keeps serving.
fn refused(refusal: &Refusal) -> Result<CallToolResult, ErrorData> {
    Ok(CallToolResult::error(vec![ContentBlock::text(refusal.0.clone())]))
}

macro_rules! try_tool {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(refusal) => return refused(&refusal),
        }
    };
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ScanApiArgs {
    /// Base URL of the running API, e.g. http://127.0.0.1:5000 or http://localhost:8000/api.
    /// Only loopback and hosts the user allow-listed in the server's config can be scanned.
    pub url: String,
    /// OpenAPI/Swagger description: a file inside the working directory, or a URL on the target's
    /// origin. Usually not needed: the usual paths (/openapi.json, /swagger.json, …) are tried.
    pub spec: Option<String>,
    /// Identities to scan as, `NAME=KIND:VALUE` with KIND basic (`alice=basic:alice:pw`), bearer,
    /// header (`svc=header:X-Api-Key:…`), query or cookie; `${VAR}` reads the server's environment,
    /// which keeps tokens out of the conversation. Two identities let BOLA checks prove one user
    /// reads another's data. Never echoed back.
    #[serde(default)]
    pub identities: Vec<String>,
    /// Also send requests that may change state (writes, mass assignment, login bursts). Refused
    /// unless the user allowed active scans in the server's config. Default false.
    #[serde(default)]
    pub active: bool,
    /// Most requests the scan may send (default 2000, at most 10000).
    pub max_requests: Option<usize>,
    /// Overall time limit such as `30s` or `2m` (default 2m, at most 10m).
    pub time_limit: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ScanIdArgs {
    /// A `scan_id` returned by scan_api, rescan_finding or list_scans, e.g. `scan-1`.
    pub scan_id: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ListScansArgs {
    /// Only scans whose target URL starts with this, e.g. `http://127.0.0.1:5000`.
    pub target: Option<String>,
    /// Page size (default 20, at most 100).
    pub limit: Option<usize>,
    /// Scans to skip, newest first (default 0).
    pub offset: Option<usize>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ExplainArgs {
    /// The scan the finding belongs to (with `finding_id`).
    pub scan_id: Option<String>,
    /// A finding's `id` from that scan.
    pub finding_id: Option<String>,
    /// Or a check id alone, e.g. `werkzeug_debugger` or `pii_in_response`.
    pub check: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct FindingArgs {
    /// The scan the finding was reported in.
    pub scan_id: String,
    /// The finding's `id` (stable across scans of the same target).
    pub finding_id: String,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MinConfidence {
    Low,
    #[default]
    Medium,
    High,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct DetectArgs {
    /// Text to scan: a response body, a log excerpt, a fixture, a source snippet.
    pub text: Option<String>,
    /// Or a file to scan, relative to the server's working directory (the project); paths that
    /// leave it (`..`, absolute paths elsewhere, symlinks out) are refused.
    pub path: Option<String>,
    /// Report matches at this confidence or above (default medium).
    #[serde(default)]
    pub min_confidence: MinConfidence,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct DiffArgs {
    /// The earlier scan's id.
    pub old: String,
    /// The later scan's id.
    pub new: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct AuditArgs {
    /// Base URL of the API to audit, e.g. http://127.0.0.1:5000.
    pub url: String,
}

#[derive(Serialize)]
struct ScanList {
    total: usize,
    offset: usize,
    scans: Vec<views::ScanSummary>,
}

#[derive(Serialize)]
struct RescanResult {
    /// `fixed`, `still_present`, or `inconclusive` (the rescan was cut short).
    status: &'static str,
    fixed: bool,
    finding_id: String,
    check: String,
    /// The finding as the rescan saw it (absent when fixed).
    #[serde(skip_serializing_if = "Option::is_none")]
    finding: Option<views::FindingView>,
    /// The rescan's own id (it is in the history like any scan).
    rescan_id: String,
    original_scan_id: String,
    requests: usize,
    duration_ms: u64,
    incomplete: Vec<String>,
}

#[tool_router]
impl LeakprobeServer {
    #[tool(description = "Scan a running web API for leaks of personal data and secrets (PII in responses, \
        tracebacks and debuggers, verbose DB errors, exposed files, CORS, cleartext credentials, broken \
        authorization). Returns score 0-100, grade A-F, a per-category table and redacted findings with a \
        scan_id for get_scan, explain_finding, rescan_finding and diff_scans. Read-only by default; sends \
        progress notifications while it runs (seconds to a few minutes).")]
    async fn scan_api(
        &self,
        Parameters(args): Parameters<ScanApiArgs>,
        meta: RequestMetaObject,
        peer: Peer<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let request = ScanRequest {
            url: args.url,
            spec: args.spec,
            identities: args.identities,
            active: args.active,
            max_requests: args.max_requests,
            time_limit: args.time_limit,
        };
        let record = try_tool!(self.run(request, None, &meta, peer).await);
        ok(views::to_text(&views::scan(&record)))
    }

    #[tool(
        description = "The result of an earlier scan by its scan_id: score, grade, category table, redacted findings."
    )]
    async fn get_scan(&self, Parameters(args): Parameters<ScanIdArgs>) -> Result<CallToolResult, ErrorData> {
        let record = try_tool!(self.record(&args.scan_id));
        ok(views::to_text(&views::scan(&record)))
    }

    #[tool(
        description = "Earlier scans of this server, newest first: scan_id, target, time, score, grade, finding count."
    )]
    async fn list_scans(&self, Parameters(args): Parameters<ListScansArgs>) -> Result<CallToolResult, ErrorData> {
        let limit = args.limit.unwrap_or(20).clamp(1, 100);
        let offset = args.offset.unwrap_or(0);
        let (page, total) = self.shared.store.list(args.target.as_deref(), limit, offset);
        ok(views::to_text(&ScanList { total, offset, scans: page.iter().map(|r| views::summary(r)).collect() }))
    }

    #[tool(description = "Explain a finding ({scan_id, finding_id}) or a check ({check}): what it is, why it \
        matters, the Flask fix as Markdown and code, CWE and OWASP API Top 10 entry.")]
    async fn explain_finding(&self, Parameters(args): Parameters<ExplainArgs>) -> Result<CallToolResult, ErrorData> {
        let explanation = match (&args.scan_id, &args.finding_id, &args.check) {
            (Some(scan_id), Some(finding_id), _) => {
                let record = try_tool!(self.record(scan_id));
                let Some((category, finding)) = record.report.findings().find(|(_, f)| f.id == *finding_id) else {
                    return refused(&Refusal(format!("scan `{scan_id}` has no finding `{finding_id}`")));
                };
                let Some(check) = checks::find(&finding.check) else {
                    return refused(&Refusal(format!(
                        "finding `{finding_id}` names an unknown check `{}`",
                        finding.check
                    )));
                };
                explain(check, Some(views::finding(category, finding)))
            }
            (_, _, Some(id)) => match checks::find(id) {
                Some(check) => explain(check, None),
                None => {
                    let known: Vec<_> = CHECKS.iter().map(|c| c.id).collect();
                    return refused(&Refusal(format!("no check `{id}`; known checks: {}", known.join(", "))));
                }
            },
            _ => return refused(&Refusal("give either scan_id and finding_id, or check".into())),
        };
        ok(views::to_text(&explanation))
    }

    #[tool(description = "Re-run only the check that produced a finding, against the same target with the \
        same settings, and say whether it is fixed: use it after editing the code. Returns status fixed, \
        still_present or inconclusive, and a new scan_id.")]
    async fn rescan_finding(
        &self,
        Parameters(args): Parameters<FindingArgs>,
        meta: RequestMetaObject,
        peer: Peer<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let record = try_tool!(self.record(&args.scan_id));
        let Some((_, finding)) = record.report.findings().find(|(_, f)| f.id == args.finding_id) else {
            return refused(&Refusal(format!("scan `{}` has no finding `{}`", args.scan_id, args.finding_id)));
        };
        let Some(check) = checks::find(&finding.check) else {
            return refused(&Refusal(format!(
                "finding `{}` names an unknown check `{}`",
                args.finding_id, finding.check
            )));
        };
        let rescan = try_tool!(self.run(record.request.clone(), Some(vec![check.id]), &meta, peer).await);
        let now = rescan.report.findings().find(|(_, f)| f.id == args.finding_id).map(|(c, f)| views::finding(c, f));
        let incomplete = rescan.report.coverage.incomplete.clone();
        let status = match (&now, incomplete.is_empty()) {
            (Some(_), _) => "still_present",
            (None, true) => "fixed",
            (None, false) => "inconclusive",
        };
        ok(views::to_text(&RescanResult {
            status,
            fixed: status == "fixed",
            finding_id: args.finding_id,
            check: check.id.to_string(),
            finding: now,
            rescan_id: rescan.id.clone(),
            original_scan_id: record.id.clone(),
            requests: rescan.report.requests,
            duration_ms: rescan.report.duration_ms,
            incomplete,
        }))
    }

    #[tool(description = "Find personal data and secrets (emails, phone numbers, SSNs, cards, IBANs, API keys, \
        tokens, private keys, passwords…) in a text snippet or in one file of the project. Values are always \
        redacted; returns type, confidence, line and column of each match.")]
    async fn detect_pii(&self, Parameters(args): Parameters<DetectArgs>) -> Result<CallToolResult, ErrorData> {
        let min = match args.min_confidence {
            MinConfidence::Low => Confidence::Low,
            MinConfidence::Medium => Confidence::Medium,
            MinConfidence::High => Confidence::High,
        };
        let detection = match (args.text, args.path) {
            (Some(text), None) => {
                if text.len() > pii::MAX_BYTES {
                    return refused(&Refusal(format!("text is larger than {} bytes", pii::MAX_BYTES)));
                }
                pii::detect(&self.shared.detector, "<text>".into(), text.as_bytes(), min)
            }
            (None, Some(path)) => {
                let file = try_tool!(policy::confined_file(&self.shared.settings, &path, "path"));
                let bytes = try_tool!(read_capped(&file));
                if bytes.iter().take(8192).any(|b| *b == 0) {
                    return refused(&Refusal(format!("`{path}` is a binary file")));
                }
                let shown = file.strip_prefix(&self.shared.settings.root).unwrap_or(&file).display().to_string();
                pii::detect(&self.shared.detector, shown, &bytes, min)
            }
            _ => return refused(&Refusal("give exactly one of text or path".into())),
        };
        ok(views::to_text(&detection))
    }

    #[tool(description = "Compare two scans by scan_id: findings that appeared, disappeared (fixed) and changed \
        (severity, confidence, data types), and the score change.")]
    async fn diff_scans(&self, Parameters(args): Parameters<DiffArgs>) -> Result<CallToolResult, ErrorData> {
        let old = try_tool!(self.record(&args.old));
        let new = try_tool!(self.record(&args.new));
        ok(views::to_text(&leakprobe_engine::compare::diff(&old.report, &new.report)))
    }
}

fn read_capped(path: &std::path::Path) -> Result<Vec<u8>, Refusal> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| Refusal(format!("{}: {e}", path.display())))?;
    let mut bytes = Vec::new();
    #[allow(clippy::disallowed_methods)] // bounded by `take`: one byte past the cap says "too large"
    file.take(pii::MAX_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Refusal(format!("{}: {e}", path.display())))?;
    if bytes.len() > pii::MAX_BYTES {
        return Err(Refusal(format!("{} is larger than {} bytes", path.display(), pii::MAX_BYTES)));
    }
    Ok(bytes)
}

#[prompt_router]
impl LeakprobeServer {
    #[prompt(name = "audit_api", description = "Audit this API for data leaks and propose fixes")]
    async fn audit_api(&self, Parameters(args): Parameters<AuditArgs>) -> Vec<PromptMessage> {
        vec![PromptMessage::new_text(
            Role::User,
            format!(
                "Audit the API at {url} for data leaks and propose fixes.\n\n\
                 1. Call `scan_api` with url {url}. If it needs a login, ask me for identities and pass them \
                    as `${{ENV_VAR}}` references, never as literal tokens.\n\
                 2. For every finding of severity medium or worse, call `explain_finding` with its scan_id and \
                    finding id, then find the code in this project that produces it (the route for its endpoint, \
                    the error handler, the config).\n\
                 3. Propose a concrete fix as a diff for each, following the Flask remediation, most severe first. \
                    Never paste secrets or personal data from responses into the conversation.\n\
                 4. After I apply a fix, call `rescan_finding` for that finding and report whether it is fixed; \
                    at the end run `scan_api` again and `diff_scans` against the first scan.",
                url = args.url
            ),
        )]
    }
}

#[tool_handler(router = self.tool_router)]
#[prompt_handler(router = self.prompt_router)]
impl ServerHandler for LeakprobeServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().enable_resources().enable_prompts().build())
            .with_server_info(Implementation::new("leakprobe", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "leakprobe scans running web APIs for leaks of personal data and secrets. Start with scan_api on the \
                 developer's local server (loopback only unless the user allow-listed more hosts), explain findings \
                 with explain_finding, and after a code change confirm the fix with rescan_finding. Evidence is \
                 always redacted; never ask for it unredacted.",
            )
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let (scans, _) = self.shared.store.list(None, 100, 0);
        let scans = scans.iter().map(|r| {
            Resource::new(format!("leakprobe://scans/{}", r.id), format!("scan {}", r.id))
                .with_description(format!(
                    "Report of {} at {}: {} ({})",
                    r.report.target, r.report.started_at, r.report.score, r.report.grade
                ))
                .with_mime_type("application/json")
        });
        let docs = CHECKS.iter().map(|c| {
            Resource::new(format!("leakprobe://checks/{}", c.id), c.id)
                .with_description(c.summary)
                .with_mime_type("text/markdown")
        });
        Ok(ListResourcesResult::with_all_items(scans.chain(docs).collect()))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(vec![
            ResourceTemplate::new("leakprobe://scans/{id}", "scan report")
                .with_description("The full JSON report of a scan (schema/report.schema.json), evidence redacted")
                .with_mime_type("application/json"),
            ResourceTemplate::new("leakprobe://checks/{id}", "check documentation")
                .with_description("What a check finds, why it matters, an example exchange, the Flask fix, references")
                .with_mime_type("text/markdown"),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let uri = request.uri.as_str();
        let contents = if let Some(id) = uri.strip_prefix("leakprobe://scans/") {
            let record = self.record(id).map_err(|r| ErrorData::resource_not_found(r.0, None))?;
            let mut report =
                serde_json::to_value(&record.report).map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
            views::scrub(&mut report);
            let text =
                serde_json::to_string_pretty(&report).map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
            ResourceContents::text(leakprobe_render::escape_json_controls(text), uri).with_mime_type("application/json")
        } else if let Some(id) = uri.strip_prefix("leakprobe://checks/") {
            let check =
                checks::find(id).ok_or_else(|| ErrorData::resource_not_found(format!("no check `{id}`"), None))?;
            ResourceContents::text(check.docs, uri).with_mime_type("text/markdown")
        } else {
            return Err(ErrorData::resource_not_found(
                format!(
                    "unknown resource `{uri}`; leakprobe serves leakprobe://scans/{{id}} and leakprobe://checks/{{id}}"
                ),
                None,
            ));
        };
        Ok(ReadResourceResult::new(vec![contents]).into())
    }
}
