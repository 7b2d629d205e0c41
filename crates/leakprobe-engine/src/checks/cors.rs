//! `cors`: which foreign origins the API lets a browser read from.
//!
//! The three active checks share one set of probes: a few endpoints (the target's root, then the
//! ones whose plain GET returned personal data, JSON, or an authentication error) each get `GET`s
//! with crafted `Origin` headers. The client caches identical probes, so the foreign-origin probe
//! that two checks both need is sent once, and the endpoint choice is made from cached exchanges,
//! which makes it the same in every check. The user's configured credentials ride along on every
//! probe (the client adds them), so an authenticated scan sees exactly what a victim's browser would
//! hand a hostile page; an anonymous scan rates what it can see and says so.
//!
//! `Access-Control-Allow-Origin: *` needs no crafted origin: the passive [`WILDCARD`] check reads it
//! from every exchange of the scan.
use std::cmp::Reverse;
use std::sync::{Arc, LazyLock};

use futures::future::{join_all, BoxFuture};
use rand::distr::{Alphanumeric, SampleString};
use url::{Host, Url};

use super::{CheckInfo, Hit, Runner, Status};
use crate::client::Exchange;
use crate::context::ScanContext;
use crate::report::{Category, Confidence, Severity};

pub static REFLECTION: CheckInfo = CheckInfo {
    id: "cors_origin_reflection",
    category: Category::Cors,
    status: Status::Stable,
    cwe: &[942],
    summary: "Any Origin is echoed in Access-Control-Allow-Origin (high with credentials on personal data)",
    docs: include_str!("../../docs/checks/cors_origin_reflection.md"),
    runner: Runner::Active(run_reflection),
};

pub static NULL_ORIGIN: CheckInfo = CheckInfo {
    id: "cors_null_origin",
    category: Category::Cors,
    status: Status::Stable,
    cwe: &[942, 346],
    summary: "The `null` origin (sandboxed iframes, data: URLs) is trusted",
    docs: include_str!("../../docs/checks/cors_null_origin.md"),
    runner: Runner::Active(run_null),
};

pub static BYPASS: CheckInfo = CheckInfo {
    id: "cors_origin_bypass",
    category: Category::Cors,
    status: Status::Stable,
    cwe: &[346, 942],
    summary: "Flawed origin allow-list: look-alike, prefix/suffix and plain-http origins accepted",
    docs: include_str!("../../docs/checks/cors_origin_bypass.md"),
    runner: Runner::Active(run_bypass),
};

pub static WILDCARD: CheckInfo = CheckInfo {
    id: "cors_wildcard_origin",
    category: Category::Cors,
    status: Status::Stable,
    cwe: &[942],
    summary: "Access-Control-Allow-Origin: * (every site may read the response)",
    docs: include_str!("../../docs/checks/cors_wildcard_origin.md"),
    runner: Runner::Passive(wildcard),
};

/// Endpoints whose plain GET is looked at when choosing where to send origin probes.
const MAX_CANDIDATES: usize = 24;
/// Bytes of each candidate's body searched for personal data when ranking (each of the three
/// checks ranks the same candidates; the full body is searched once an origin is accepted).
const RANK_SCAN_CAP: usize = 256 * 1024;
/// Endpoints that get origin probes, the root included: at most 6 probes each, so ≤ 30 requests.
const MAX_PROBED: usize = 5;

/// Random per process, the same for every check of a scan (so their probes hit the client's cache),
/// and never an origin a real allow-list would name.
static NONCE: LazyLock<String> = LazyLock::new(|| Alphanumeric.sample_string(&mut rand::rng(), 8).to_lowercase());

/// Second-level labels under which registrations happen (`acme.co.uk`); a small stand-in for the
/// public suffix list that covers the common country-code cases.
const SECOND_LEVEL: [&str; 8] = ["co", "com", "net", "org", "gov", "ac", "edu", "ne"];

/// The origins sent, each aimed at a known way allow-lists go wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// An unrelated site: accepted only by reflect-everything configurations.
    Foreign,
    /// `null`: what sandboxed iframes and `data:` documents send.
    Null,
    /// `https://<host>.<attacker>.com`: defeats `startswith` checks and unanchored regexes.
    LookAlike,
    /// `https://<attacker><domain>`: defeats `endswith(domain)` without the leading dot.
    Prefixed,
    /// `https://<random>.<domain>`: every subdomain trusted (DNS hosts only).
    Subdomain,
    /// `http://<host>` on an https target: a network attacker can speak for that origin.
    InsecureScheme,
}

const TRICKS: [Variant; 4] = [Variant::LookAlike, Variant::Prefixed, Variant::Subdomain, Variant::InsecureScheme];

impl Variant {
    fn kind(self) -> &'static str {
        match self {
            Variant::Foreign => "any_origin",
            Variant::Null => "null_origin",
            Variant::LookAlike => "lookalike_domain",
            Variant::Prefixed => "suffix_match",
            Variant::Subdomain => "any_subdomain",
            Variant::InsecureScheme => "insecure_scheme",
        }
    }

    /// The Origin header value for a target at `base`, or `None` when it makes no sense there.
    fn origin(self, base: &Url) -> Option<String> {
        let nonce = NONCE.as_str();
        let host = base.host()?;
        let name = match &host {
            Host::Domain(d) => d.to_ascii_lowercase(),
            Host::Ipv4(ip) => ip.to_string(),
            Host::Ipv6(_) => String::new(),
        };
        let dns = matches!(host, Host::Domain(_));
        match self {
            Variant::Foreign => Some(format!("https://leakprobe-{nonce}.com")),
            Variant::Null => Some("null".into()),
            // IPv6 literals cannot be glued into a host name.
            Variant::LookAlike if !name.is_empty() => Some(format!("https://{name}.leakprobe-{nonce}.com")),
            Variant::Prefixed if !name.is_empty() => {
                Some(format!("https://leakprobe{nonce}{}", registrable(&name, dns)))
            }
            Variant::Subdomain if dns => Some(format!("https://leakprobe-{nonce}.{}", registrable(&name, dns))),
            Variant::InsecureScheme if base.scheme() == "https" => {
                let port = base.port().map(|p| format!(":{p}")).unwrap_or_default();
                Some(format!("http://{}{port}", base.host_str()?))
            }
            _ => None,
        }
    }

    fn describe(self, base: &Url) -> String {
        let host = base.host_str().unwrap_or_default().to_ascii_lowercase();
        let domain = registrable(&host, matches!(base.host(), Some(Host::Domain(_))));
        match self {
            Variant::Foreign => "Any origin is trusted: Access-Control-Allow-Origin echoes the caller's Origin".into(),
            Variant::Null => "The `null` origin is trusted".into(),
            Variant::LookAlike => format!("Origin check accepts look-alike domains that merely start with `{host}`"),
            Variant::Prefixed => {
                format!("Origin check accepts any domain that ends with `{domain}`, not only its subdomains")
            }
            Variant::Subdomain => format!("Every subdomain of `{domain}` is trusted"),
            Variant::InsecureScheme => format!(
                "The plain-HTTP origin `{}` is trusted by this https API",
                self.origin(base).unwrap_or_default()
            ),
        }
    }
}

/// `api.eu.acme.io` → `acme.io`, `shop.acme.co.uk` → `acme.co.uk`; IP literals stay whole.
fn registrable(host: &str, dns: bool) -> String {
    let labels: Vec<&str> = host.trim_end_matches('.').split('.').collect();
    if !dns || labels.len() <= 2 {
        return host.to_string();
    }
    let n = labels.len();
    let keep = if labels[n - 1].len() == 2 && SECOND_LEVEL.contains(&labels[n - 2]) { 3 } else { 2 };
    labels[n - keep..].join(".")
}

/// What a crafted origin got back when the API accepted it.
struct Accepted {
    exchange: Arc<Exchange>,
    origin: String,
    credentials: bool,
}

/// The exchange accepted `origin`: Access-Control-Allow-Origin names it exactly (`*` is the
/// wildcard check's business).
fn accepts(ex: &Exchange, origin: &str) -> Option<bool> {
    ex.status?;
    let allowed = ex.header_all("access-control-allow-origin").any(|v| v.trim().eq_ignore_ascii_case(origin));
    allowed.then(|| allows_credentials(ex))
}

fn allows_credentials(ex: &Exchange) -> bool {
    ex.header("access-control-allow-credentials").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// Where to send origin probes: the root, then endpoints ranked by what their plain GET returned
/// (personal data, then JSON, then an authentication error, i.e. data for logged-in users).
async fn endpoints(ctx: &ScanContext) -> Vec<String> {
    let root = ctx.client.base().path().to_string();
    let mut candidates: Vec<_> = ctx
        .inventory
        .endpoints()
        .filter(|e| e.methods.is_empty() || e.methods.contains("GET"))
        .map(|e| (e.examples.is_empty(), Reverse(ctx.schedule.weight(e)), e.sample_path()))
        .filter(|(_, _, path)| !path.contains('{') && *path != root)
        .collect();
    // Paths seen answering first (their plain GET is already cached and costs nothing), riskiest
    // first among them (personal data seen, sensitive names): on a large API the candidates are
    // chosen over the whole API, not its first paths in alphabetical order.
    candidates.sort_by_key(|(unseen, risk, _)| (*unseen, *risk));
    candidates.truncate(MAX_CANDIDATES);
    let answers =
        join_all(candidates.iter().map(|(_, _, path)| ctx.client.send(ctx.client.baseline_get(path.clone())))).await;
    let mut ranked: Vec<(u8, String)> = candidates
        .into_iter()
        .zip(answers)
        .filter_map(|((_, _, path), answer)| {
            let ex = answer.ok()?;
            let status = ex.status?;
            if ctx.soft404.is_not_found(&ex) {
                return None;
            }
            let rank = if ex.is_success() && !ctx.pii_types(&ex.body[..ex.body.len().min(RANK_SCAN_CAP)]).is_empty() {
                0
            } else if ex.is_success() && ex.is_json() {
                1
            } else if matches!(status, 401 | 403) {
                2
            } else {
                return None;
            };
            Some((rank, path))
        })
        .collect();
    ranked.sort_by_key(|(rank, _)| *rank);
    std::iter::once(root).chain(ranked.into_iter().map(|(_, p)| p)).take(MAX_PROBED).collect()
}

/// Sends `variant`'s origin to `path`; `Some` when the API accepted it.
async fn try_origin(ctx: &ScanContext, path: &str, variant: Variant) -> Option<Accepted> {
    let origin = variant.origin(ctx.client.base())?;
    let ex = ctx
        .client
        // As the scan's identity: a malicious page's request rides on the victim's cookies.
        .send(ctx.client.baseline_get(path).header("Origin", &origin))
        .await
        .ok()?;
    if ctx.soft404.is_not_found(&ex) {
        return None;
    }
    let credentials = accepts(&ex, &origin)?;
    Some(Accepted { exchange: ex, origin, credentials })
}

/// How bad an accepted origin is: credentials make it exploitable against logged-in users,
/// personal data in the response makes it a leak. `null` with credentials is high on its own: any
/// page can produce that origin from a sandboxed iframe. A plain-http origin needs a network
/// attacker, so it stops at medium.
fn severity(variant: Variant, credentials: bool, pii: bool) -> Severity {
    use Severity::*;
    match (variant, credentials, pii) {
        (Variant::Null, true, _) => High,
        (Variant::Subdomain, true, true) => Low,
        (Variant::Subdomain, _, _) => Info,
        (Variant::InsecureScheme, true, _) => Medium,
        (_, true, true) => High,
        (_, true, false) => Medium,
        (_, false, true) => Low,
        (_, false, false) => Info,
    }
}

fn hit(ctx: &ScanContext, variant: Variant, accepted: &Accepted) -> Hit {
    let ex = &accepted.exchange;
    let pii = ctx.exposed_types(ex);
    let mut title = variant.describe(ctx.client.base());
    if accepted.credentials {
        title.push_str(", with credentials");
    }
    if !pii.is_empty() {
        let names: Vec<&str> = pii.iter().map(|t| t.as_str()).collect();
        title.push_str(&format!("; the response carries {}", names.join(", ")));
    }
    let mut evidence = format!(
        "GET {} with Origin: {} → {} Access-Control-Allow-Origin: {}",
        ex.path(),
        accepted.origin,
        ex.status.unwrap_or_default(),
        accepted.origin
    );
    if accepted.credentials {
        evidence.push_str(", Access-Control-Allow-Credentials: true");
    }
    Hit {
        title,
        severity: severity(variant, accepted.credentials, !pii.is_empty()),
        // The echo of an origin we made up is proof in itself; with credentials it is exploitable as is.
        confidence: if accepted.credentials { Confidence::Confirmed } else { Confidence::High },
        method: "GET".into(),
        path: ex.path().to_string(),
        kind: variant.kind().into(),
        pii_types: pii,
        evidence,
    }
}

async fn probe_each(ctx: &ScanContext, variant: Variant) -> Vec<Hit> {
    let paths = endpoints(ctx).await;
    let accepted = join_all(paths.iter().map(|p| try_origin(ctx, p, variant))).await;
    accepted.into_iter().flatten().map(|a| hit(ctx, variant, &a)).collect()
}

fn run_reflection(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(probe_each(ctx, Variant::Foreign))
}

fn run_null(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(probe_each(ctx, Variant::Null))
}

/// The tricks only matter where a random foreign origin was refused: where it was accepted the
/// reflection check already reports the endpoint, and every trick would be accepted too.
fn run_bypass(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        let paths = endpoints(ctx).await;
        let per_path = join_all(paths.iter().map(|path| async move {
            if try_origin(ctx, path, Variant::Foreign).await.is_some() {
                return Vec::new();
            }
            let accepted = join_all(TRICKS.iter().map(|&v| async move { (v, try_origin(ctx, path, v).await) })).await;
            accepted.into_iter().filter_map(|(v, a)| a.map(|a| hit(ctx, v, &a))).collect()
        }))
        .await;
        per_path.into_iter().flatten().collect()
    })
}

fn wildcard(ex: &Exchange, ctx: &ScanContext, hits: &mut Vec<Hit>) {
    // Reads are what a wildcard exposes: answers to other methods (405s, preflights) add nothing.
    let read = ex.method == reqwest::Method::GET || ex.method == reqwest::Method::HEAD;
    if !read || !ex.is_success() || ctx.soft404.is_not_found(ex) {
        return;
    }
    if !ex.header_all("access-control-allow-origin").any(|v| v.trim() == "*") {
        return;
    }
    let pii = ctx.exposed_types(ex);
    let mut evidence =
        format!("{} {} → {} Access-Control-Allow-Origin: *", ex.method, ex.path(), ex.status.unwrap_or_default());
    if allows_credentials(ex) {
        // Browsers refuse this pair, so no cookie is ever sent; it shows the intent, not a hole.
        evidence.push_str(", Access-Control-Allow-Credentials: true (browsers reject this combination)");
    }
    let (severity, title) = if pii.is_empty() {
        (Severity::Info, "Any website may read this response (Access-Control-Allow-Origin: *)".to_string())
    } else {
        let names: Vec<&str> = pii.iter().map(|t| t.as_str()).collect();
        (Severity::Low, format!("Any website may read this response, which carries {}", names.join(", ")))
    };
    hits.push(Hit {
        title,
        severity,
        confidence: Confidence::High,
        method: ex.method.to_string(),
        path: ex.path().to_string(),
        kind: "wildcard".into(),
        pii_types: pii,
        evidence,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    #[test]
    fn registrable_domain_is_the_last_two_labels_or_three_under_country_second_levels() {
        assert_eq!(registrable("api.eu.acme.io", true), "acme.io");
        assert_eq!(registrable("shop.acme.co.uk", true), "acme.co.uk");
        assert_eq!(registrable("acme.io", true), "acme.io");
        assert_eq!(registrable("localhost", true), "localhost");
        assert_eq!(registrable("127.0.0.1", false), "127.0.0.1");
    }

    #[test]
    fn origins_aim_at_the_targets_own_names() {
        let base = url("https://api.acme.io:8443/v1/");
        let n = NONCE.as_str();
        assert_eq!(Variant::Foreign.origin(&base), Some(format!("https://leakprobe-{n}.com")));
        assert_eq!(Variant::Null.origin(&base).as_deref(), Some("null"));
        assert_eq!(Variant::LookAlike.origin(&base), Some(format!("https://api.acme.io.leakprobe-{n}.com")));
        assert_eq!(Variant::Prefixed.origin(&base), Some(format!("https://leakprobe{n}acme.io")));
        assert_eq!(Variant::Subdomain.origin(&base), Some(format!("https://leakprobe-{n}.acme.io")));
        assert_eq!(Variant::InsecureScheme.origin(&base).as_deref(), Some("http://api.acme.io:8443"));

        let plain = url("http://127.0.0.1:5000/");
        assert_eq!(Variant::InsecureScheme.origin(&plain), None, "only on https targets");
        assert_eq!(Variant::Subdomain.origin(&plain), None, "IP literals have no subdomains");
        assert_eq!(Variant::Prefixed.origin(&plain), Some(format!("https://leakprobe{n}127.0.0.1")));
        assert_eq!(Variant::LookAlike.origin(&url("http://[::1]:5000/")), None);
    }

    #[test]
    fn severity_needs_credentials_to_go_above_low() {
        assert_eq!(severity(Variant::Foreign, true, true), Severity::High);
        assert_eq!(severity(Variant::Foreign, true, false), Severity::Medium);
        assert_eq!(severity(Variant::Foreign, false, true), Severity::Low);
        assert_eq!(severity(Variant::Foreign, false, false), Severity::Info);
        assert_eq!(severity(Variant::Null, true, false), Severity::High);
        assert_eq!(severity(Variant::InsecureScheme, true, true), Severity::Medium);
        assert_eq!(severity(Variant::Subdomain, true, false), Severity::Info);
        assert_eq!(severity(Variant::Prefixed, true, true), Severity::High);
    }
}
