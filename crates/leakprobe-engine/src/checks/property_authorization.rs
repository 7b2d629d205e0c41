//! `property_authorization`: responses that carry more properties than their clients need or the
//! spec declares, and writes that accept properties nobody should set.
//!
//! Three passive analyzers read every JSON response of the scan (whoever it was sent as):
//! [`UNDECLARED`] and [`WRITE_ONLY`] compare it with the operation's response schema in the spec;
//! [`SENSITIVE`] looks for password hashes, MFA seeds, SSNs, card numbers and keys — by property
//! name and by the detector — on endpoints whose purpose does not need them, and for whole storage
//! records (DynamoDB items with their table keys) returned instead of a projection.
//! [`MASS_ASSIGNMENT`] (only with `--active`) sends `is_admin`, `role`, `balance`… in an update and
//! reads the record back.
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, LazyLock};

use futures::future::BoxFuture;
use leakprobe_detect::{Confidence as MatchConfidence, PiiType};
use rand::distr::{Alphanumeric, SampleString};
use reqwest::Method;
use serde_json::{Map, Value};

use super::{CheckInfo, Hit, Runner, Status};
use crate::client::{status, Exchange, Probe};
use crate::context::ScanContext;
use crate::discovery::data_lines;
use crate::discovery::openapi::{Operation, Schema};
use crate::inventory::Endpoint;
use crate::report::{Category, Confidence, Severity};
use crate::schedule::SkipReason;
use crate::survey::{has_content, json_body, normalise, unwrap};

pub static UNDECLARED: CheckInfo = CheckInfo {
    id: "undeclared_response_property",
    category: Category::PropertyAuthorization,
    status: Status::Stable,
    cwe: &[213],
    summary: "Response properties the spec's response schema does not declare",
    docs: include_str!("../../docs/checks/undeclared_response_property.md"),
    runner: Runner::Passive(undeclared_properties),
};

pub static WRITE_ONLY: CheckInfo = CheckInfo {
    id: "write_only_property_returned",
    category: Category::PropertyAuthorization,
    status: Status::Stable,
    cwe: &[213, 200],
    summary: "Properties the spec marks writeOnly (passwords, secrets) returned in responses",
    docs: include_str!("../../docs/checks/write_only_property_returned.md"),
    runner: Runner::Passive(write_only_returned),
};

pub static SENSITIVE: CheckInfo = CheckInfo {
    id: "sensitive_property_exposure",
    category: Category::PropertyAuthorization,
    status: Status::Stable,
    cwe: &[213, 359],
    summary:
        "Password hashes, MFA seeds, SSNs, keys or whole storage records returned where the endpoint does not need them",
    docs: include_str!("../../docs/checks/sensitive_property_exposure.md"),
    runner: Runner::Passive(sensitive_properties),
};

pub static MASS_ASSIGNMENT: CheckInfo = CheckInfo {
    id: "mass_assignment",
    category: Category::PropertyAuthorization,
    status: Status::Stable,
    cwe: &[915],
    summary: "Updates accept is_admin, role, balance and other properties the client must not set (--active)",
    docs: include_str!("../../docs/checks/mass_assignment.md"),
    runner: Runner::Active(mass_assignment),
};

const SENSITIVE_PROPERTIES: &str = include_str!("../../data/sensitive-properties.tsv");

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    /// Passwords, their hashes and salts, MFA seeds, private keys: no client ever needs them.
    Password,
    IdentityNumber,
    Card,
    Bank,
    Credential,
}

impl Class {
    fn parse(name: &str) -> Option<Class> {
        Some(match name {
            "password" => Class::Password,
            "identity_number" => Class::IdentityNumber,
            "card" => Class::Card,
            "bank" => Class::Bank,
            "credential" => Class::Credential,
            _ => return None,
        })
    }

    fn of(kind: PiiType) -> Option<Class> {
        use PiiType::*;
        Some(match kind {
            Password | PasswordHash | PrivateKey => Class::Password,
            Ssn | NationalId => Class::IdentityNumber,
            CreditCard => Class::Card,
            Iban => Class::Bank,
            ApiKey | Token | Secret => Class::Credential,
            _ => return None,
        })
    }

    /// Path segments of endpoints that exist to handle this kind of data.
    fn purposes(self) -> &'static [&'static str] {
        match self {
            Class::Password => &[],
            Class::IdentityNumber => &[
                "tax",
                "taxes",
                "kyc",
                "identity",
                "verification",
                "verify",
                "ssn",
                "payroll",
                "onboarding",
                "compliance",
            ],
            Class::Card => &["payment", "payments", "card", "cards", "billing", "wallet", "checkout"],
            // A bank's own accounts, statements and transactions name the account they are about.
            Class::Bank => &[
                "payout",
                "payouts",
                "bank",
                "banking",
                "billing",
                "payment",
                "payments",
                "transfers",
                "accounts",
                "statements",
                "transactions",
            ],
            Class::Credential => &[
                "keys",
                "apikeys",
                "api-keys",
                "tokens",
                "token",
                "credentials",
                "auth",
                "oauth",
                "login",
                "session",
                "sessions",
                "integrations",
                "webhooks",
                "signup",
                "register",
            ],
        }
    }

    /// The PII type a property of this class and name is reported as.
    fn pii_type(self, key: &str) -> PiiType {
        match self {
            Class::Password if key.contains("hash") || key.contains("digest") => PiiType::PasswordHash,
            Class::Password if key.contains("privatekey") => PiiType::PrivateKey,
            Class::Password if key.contains("password") || key == "pwd" || key == "passwd" => PiiType::Password,
            Class::Password => PiiType::Secret,
            Class::IdentityNumber if key == "ssn" || key.starts_with("socialsecurity") => PiiType::Ssn,
            Class::IdentityNumber => PiiType::NationalId,
            Class::Card => PiiType::CreditCard,
            Class::Bank => PiiType::Iban,
            Class::Credential if key.contains("token") => PiiType::Token,
            Class::Credential if key.contains("key") => PiiType::ApiKey,
            Class::Credential => PiiType::Secret,
        }
    }
}

static NAMES: LazyLock<BTreeMap<&'static str, Class>> = LazyLock::new(|| {
    data_lines(SENSITIVE_PROPERTIES)
        .filter_map(|line| {
            let (name, class) = line.split_once('\t')?;
            Some((name.trim(), Class::parse(class.trim())?))
        })
        .collect()
});

/// Array entries read per array, and nesting followed, in response bodies.
const MAX_ITEMS: usize = 50;
const MAX_DEPTH: usize = 8;
/// Property names shown in a title or evidence line; the rest are counted.
const SHOWN: usize = 6;

/// The JSON body of a successful answer worth judging, with the operation the spec declares for it.
fn judged(ex: &Exchange, ctx: &ScanContext) -> Option<Arc<Value>> {
    if !has_content(ctx, ex) {
        return None;
    }
    let json = json_body(ex)?;
    // The API description itself is full of property names and examples.
    if json.get("openapi").is_some() || json.get("swagger").is_some() {
        return None;
    }
    Some(json)
}

fn operation<'a>(ctx: &'a ScanContext, ex: &Exchange) -> Option<&'a Operation> {
    let spec = ctx.spec.as_ref()?;
    let template = ctx.inventory.template_of(ex.path());
    let method = if ex.method == Method::HEAD { "GET" } else { ex.method.as_str() };
    spec.operations.iter().find(|o| o.path == template && o.method == method)
}

fn shown(names: &BTreeSet<String>) -> String {
    let mut out: Vec<&str> = names.iter().map(String::as_str).take(SHOWN).collect();
    let more = names.len().saturating_sub(SHOWN);
    let more_text = format!("+{more} more");
    if more > 0 {
        out.push(&more_text);
    }
    out.join(", ")
}

// ---- undeclared and writeOnly properties ----

/// Walks a body along its schema: `undeclared` collects keys a closed object does not declare,
/// `write_only` the non-null values of `writeOnly` properties. Paths use `[]` for array entries.
fn compare(
    schema: &Schema,
    value: &Value,
    path: &str,
    depth: usize,
    undeclared: &mut BTreeSet<String>,
    write_only: &mut BTreeSet<String>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let here = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                match schema.properties.get(key) {
                    Some(prop) => {
                        if prop.write_only && !v.is_null() {
                            write_only.insert(here.clone());
                        }
                        compare(prop, v, &here, depth + 1, undeclared, write_only);
                    }
                    None if !schema.open => {
                        undeclared.insert(here);
                    }
                    None => {}
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = &schema.items {
                for v in items.iter().take(MAX_ITEMS) {
                    compare(item, v, &format!("{path}[]"), depth + 1, undeclared, write_only);
                }
            }
        }
        _ => {}
    }
}

fn spec_differences(ex: &Exchange, ctx: &ScanContext) -> Option<(BTreeSet<String>, BTreeSet<String>)> {
    let op = operation(ctx, ex)?;
    let schema = op.response.as_ref()?;
    let json = judged(ex, ctx)?;
    let (mut undeclared, mut write_only) = (BTreeSet::new(), BTreeSet::new());
    compare(schema, &json, "", 0, &mut undeclared, &mut write_only);
    Some((undeclared, write_only))
}

fn last_key(path: &str) -> String {
    normalise(path.rsplit('.').next().unwrap_or(path))
}

fn undeclared_properties(ex: &Exchange, ctx: &ScanContext, hits: &mut Vec<Hit>) {
    let Some((undeclared, _)) = spec_differences(ex, ctx) else { return };
    if undeclared.is_empty() {
        return;
    }
    let sensitive: BTreeSet<String> =
        undeclared.iter().filter(|p| NAMES.contains_key(last_key(p).as_str())).cloned().collect();
    let template = ctx.inventory.template_of(ex.path());
    hits.push(Hit {
        title: if sensitive.is_empty() {
            format!("Response carries properties the spec does not declare ({})", shown(&undeclared))
        } else {
            format!("Response carries sensitive properties the spec does not declare ({})", shown(&sensitive))
        },
        severity: if sensitive.is_empty() { Severity::Low } else { Severity::Medium },
        confidence: Confidence::High,
        method: ex.method.to_string(),
        path: ex.path().to_string(),
        kind: "undeclared".into(),
        pii_types: Vec::new(),
        evidence: format!(
            "{} {} → {}: {} not in the response schema the spec declares for {} {template}",
            ex.method,
            ex.path(),
            status(ex),
            shown(&undeclared),
            ex.method
        ),
    });
}

fn write_only_returned(ex: &Exchange, ctx: &ScanContext, hits: &mut Vec<Hit>) {
    let Some((_, write_only)) = spec_differences(ex, ctx) else { return };
    if write_only.is_empty() {
        return;
    }
    let secret = write_only.iter().any(|p| NAMES.get(last_key(p).as_str()).is_some_and(|c| *c <= Class::Card));
    let pii: BTreeSet<PiiType> = write_only
        .iter()
        .filter_map(|p| {
            let key = last_key(p);
            NAMES.get(key.as_str()).map(|c| c.pii_type(&key))
        })
        .collect();
    hits.push(Hit {
        title: format!("writeOnly properties returned: {}", shown(&write_only)),
        severity: if secret { Severity::High } else { Severity::Medium },
        confidence: Confidence::Confirmed,
        method: ex.method.to_string(),
        path: ex.path().to_string(),
        kind: "write_only".into(),
        pii_types: pii.into_iter().collect(),
        evidence: format!(
            "{} {} → {} with {} (the spec marks {} writeOnly: clients send it, responses must not return it)",
            ex.method,
            ex.path(),
            status(ex),
            shown(&write_only),
            if write_only.len() == 1 { "it" } else { "them" }
        ),
    });
}

// ---- sensitive properties and whole storage records ----

/// One sensitive property found: its class, type, a redacted sample, and whether the detector
/// validated its value.
struct Found {
    class: Class,
    kind: PiiType,
    sample: String,
    validated: bool,
}

/// Masked values (`***-**-6789`, `XXXX-1234`) are what a careful API returns.
fn masked(value: &str) -> bool {
    value.contains("**") || value.contains("XXX") || value.contains("xxx") || value.contains('•')
}

fn scan_names(value: &Value, path: &str, depth: usize, out: &mut BTreeMap<String, (Class, String)>) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let here = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                match v {
                    Value::String(s) if !s.trim().is_empty() && !masked(s) => {
                        // `PWD`/`OLDPWD` in an environment listing: a directory, not a password.
                        let directory = leakprobe_detect::is_directory_path(s);
                        if let Some(class) =
                            NAMES.get(normalise(key).as_str()).filter(|c| !(**c == Class::Password && directory))
                        {
                            out.entry(here).or_insert((*class, s.clone()));
                        }
                    }
                    Value::Number(n) => {
                        if let Some(class) = NAMES.get(normalise(key).as_str()) {
                            out.entry(here).or_insert((*class, n.to_string()));
                        }
                    }
                    other => scan_names(other, &here, depth + 1, out),
                }
            }
        }
        Value::Array(items) => {
            items.iter().take(MAX_ITEMS).for_each(|v| scan_names(v, &format!("{path}[]"), depth + 1, out))
        }
        _ => {}
    }
}

/// `users[3].ssn` → `users[].ssn`, to match the walk's paths.
fn generic_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push_str("[]");
            }
            ']' => in_index = false,
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

fn sensitive_found(ex: &Exchange, ctx: &ScanContext, json: &Value) -> BTreeMap<String, Found> {
    let mut names = BTreeMap::new();
    scan_names(json, "", 0, &mut names);
    let mut found: BTreeMap<String, Found> = names
        .into_iter()
        .map(|(path, (class, value))| {
            let kind = class.pii_type(&last_key(&path));
            (path, Found { class, kind, sample: ctx.redact(kind, &value), validated: false })
        })
        .collect();
    for m in &ex.detected(&ctx.detector).matches {
        if m.confidence == MatchConfidence::Low || masked(&m.value) {
            continue;
        }
        let (Some(class), Some(path)) = (Class::of(m.kind), m.key_path.as_deref()) else { continue };
        let path = generic_path(path);
        let sample = ctx.redact(m.kind, &m.value);
        let entry = found.entry(path).or_insert(Found { class, kind: m.kind, sample: String::new(), validated: true });
        entry.validated = true;
        entry.sample = sample;
        entry.kind = m.kind;
    }
    found
}

/// Endpoint path segments, lower case, for judging what the endpoint is for.
fn purpose_segments(template: &str) -> BTreeSet<String> {
    template.split('/').filter(|s| !s.starts_with('{')).map(str::to_ascii_lowercase).collect()
}

fn sensitive_properties(ex: &Exchange, ctx: &ScanContext, hits: &mut Vec<Hit>) {
    let Some(json) = judged(ex, ctx) else { return };
    let template = ctx.inventory.template_of(ex.path());
    let segments = purpose_segments(&template);
    let found = sensitive_found(ex, ctx, &json);
    let unneeded: BTreeMap<&String, &Found> =
        found.iter().filter(|(_, f)| !f.class.purposes().iter().any(|p| segments.contains(*p))).collect();

    if !unneeded.is_empty() {
        let names: BTreeSet<String> = unneeded.keys().map(|k| (*k).clone()).collect();
        let pii: BTreeSet<PiiType> = unneeded.values().map(|f| f.kind).collect();
        let samples: Vec<String> = unneeded.iter().take(3).map(|(p, f)| format!("{p}: {}", f.sample)).collect();
        let validated = unneeded.values().any(|f| f.validated);
        let only_bank = unneeded.values().all(|f| f.class == Class::Bank);
        hits.push(Hit {
            title: format!("Response returns sensitive properties its endpoint does not need: {}", shown(&names)),
            severity: if only_bank { Severity::Medium } else { Severity::High },
            confidence: if validated { Confidence::High } else { Confidence::Medium },
            method: ex.method.to_string(),
            path: ex.path().to_string(),
            kind: "sensitive".into(),
            pii_types: pii.into_iter().collect(),
            evidence: format!("{} {} → {}: {}", ex.method, ex.path(), status(ex), samples.join("; ")),
        });
    }

    if let Some(what) = storage_record(unwrap(&json)) {
        hits.push(Hit {
            title: format!("Response is a whole storage record ({what}), not a projection"),
            severity: if unneeded.is_empty() { Severity::Low } else { Severity::Medium },
            confidence: Confidence::High,
            method: ex.method.to_string(),
            path: ex.path().to_string(),
            kind: "storage_record".into(),
            pii_types: Vec::new(),
            evidence: format!(
                "{} {} → {} with {what}{}",
                ex.method,
                ex.path(),
                status(ex),
                if unneeded.is_empty() {
                    String::new()
                } else {
                    format!(" and {} sensitive properties", unneeded.len())
                }
            ),
        });
    }
}

/// DynamoDB attribute-value types in the low-level (client) JSON form.
const DYNAMO_TYPES: [&str; 10] = ["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"];

/// Signs that an object is a database record as stored: DynamoDB typed attribute values, the
/// table keys of a single-table design (`PK`/`SK`/`GSI1PK` holding `ENTITY#id`), or ORM and
/// document-store internals.
fn storage_record(value: &Value) -> Option<String> {
    let Value::Object(map) = value else { return None };
    let typed = map
        .values()
        .filter(|v| v.as_object().is_some_and(|o| o.len() == 1 && o.keys().all(|k| DYNAMO_TYPES.contains(&k.as_str()))))
        .count();
    if typed >= 2 && typed * 2 >= map.len() {
        return Some("DynamoDB attribute values".into());
    }
    let keys: Vec<&String> = map
        .iter()
        .filter(|(k, v)| {
            let upper = k.to_ascii_uppercase();
            let key_name = upper == "PK"
                || upper == "SK"
                || (upper.starts_with("GSI") && (upper.ends_with("PK") || upper.ends_with("SK")))
                || (upper.starts_with("LSI") && upper.ends_with("SK"));
            key_name && v.as_str().is_some_and(|s| s.contains('#') || upper == "SK")
        })
        .map(|(k, _)| k)
        .collect();
    if keys.len() >= 2 {
        let names: Vec<&str> = keys.iter().map(|k| k.as_str()).collect();
        return Some(format!("DynamoDB table keys {}", names.join(", ")));
    }
    for internal in ["_sa_instance_state", "__v", "_rev"] {
        if map.contains_key(internal) {
            return Some(format!("internal field `{internal}`"));
        }
    }
    None
}

// ---- mass assignment ----

/// Properties a client must never set on its own record, with the value sent when the record
/// does not show them. Privilege flags first: they decide the severity.
const PRIVILEGE_FIELDS: [&str; 8] =
    ["isadmin", "admin", "role", "roles", "isstaff", "issuperuser", "permissions", "groups"];
const VALUE_FIELDS: [&str; 8] =
    ["balance", "credit", "credits", "plan", "tier", "accounttype", "verified", "emailverified"];
/// Sent when the record does not show them: the classic trio.
fn default_probe() -> [(&'static str, Value); 3] {
    [("is_admin", Value::Bool(true)), ("role", Value::String("admin".into())), ("balance", Value::from(1_000_000))]
}
/// Self endpoints whose records a caller may update.
const SELF_SEGMENTS: [&str; 7] = ["profile", "me", "account", "settings", "user", "preferences", "self"];
const MAX_WRITABLE: usize = 3;

/// The value to send for a property the record already shows, or `None` to leave it out.
fn probe_value(key: &str, current: &Value) -> Option<Value> {
    match current {
        Value::Bool(b) => Some(Value::Bool(!b)),
        Value::Number(n) => {
            let target = 1_000_000.0;
            Some(if n.as_f64() == Some(target) { Value::from(1_000_001) } else { Value::from(1_000_000) })
        }
        Value::String(s) if key == "role" || key == "accounttype" => {
            (s != "admin").then(|| Value::String("admin".into()))
        }
        Value::String(s) if key == "plan" || key == "tier" => {
            (s != "enterprise").then(|| Value::String("enterprise".into()))
        }
        Value::Array(items) => {
            let mut items = items.clone();
            items.push(Value::String("admin".into()));
            Some(Value::Array(items))
        }
        Value::Null if key == "role" => Some(Value::String("admin".into())),
        _ => None,
    }
}

/// JSON equality, with numbers compared by value: a float column reads `1000000` back as `1000000.0`.
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// The value that undoes a probe: the record's own, or `false` for a flag it did not show.
fn restore_value(sent: &Value, before: Option<&Value>) -> Option<Value> {
    match (before, sent) {
        (Some(v), _) => Some(v.clone()),
        (None, Value::Bool(_)) => Some(Value::Bool(false)),
        (None, Value::Number(_)) => Some(Value::from(0)),
        (None, _) => None,
    }
}

fn mass_assignment(ctx: &ScanContext) -> BoxFuture<'_, Vec<Hit>> {
    Box::pin(async move {
        if !ctx.config.active {
            ctx.skip(&MASS_ASSIGNMENT, SkipReason::NeedsActive, self_endpoints(ctx));
            return Vec::new();
        }
        // Sign-up and create operations need no identity: what they create is the scan's own.
        let mut hits = create_assignment(ctx).await;
        // The last low-privilege identity: the others serve as the attackers of the bola and
        // bfla checks running at the same time, and a probe may briefly raise its privileges.
        let Some(identity) = ctx.client.identities().into_iter().rfind(|i| !i.is_admin()) else {
            ctx.skip(&MASS_ASSIGNMENT, SkipReason::NeedsIdentity, self_endpoints(ctx));
            return hits;
        };
        let mut writable = writable_endpoints(ctx, &identity.name).await;
        writable.extend(crate::writes::own_object_paths(ctx, &identity.name).await);
        for (path, method) in writable {
            if let Some(hit) = try_assign(ctx, &identity.name, &path, method).await {
                hits.push(hit);
            }
        }
        hits
    })
}

/// Sign-up and create operations probed per scan, and privilege properties tried on each (one
/// extra property per request).
const MAX_CREATE_ENDPOINTS: usize = 2;
const MAX_CREATE_FIELDS: usize = 2;

/// `POST /register`, `/signup`, `/api/users`: operations that create an account or a record from
/// the request body.
fn create_endpoints(ctx: &ScanContext) -> Vec<&Endpoint> {
    ctx.inventory
        .endpoints()
        .filter(|e| e.methods.contains("POST") && !e.has_path_params())
        .filter(|e| !crate::words::ends_session(&e.template) && !crate::words::names_state_change(&e.template))
        .filter(|e| {
            let lower = e.template.to_ascii_lowercase();
            let last = crate::words::last_segment(&lower).unwrap_or_default();
            ["register", "signup", "sign-up", "sign_up", "registration", "enroll"].iter().any(|w| lower.contains(w))
                || matches!(last.as_str(), "users" | "accounts" | "members" | "customers")
        })
        .take(MAX_CREATE_ENDPOINTS)
        .collect()
}

/// Values that make a created account or record new: a fresh user name and e-mail per request,
/// and a random password that is thrown away (nobody can log in to what the probe created).
fn uniquify(body: &mut Map<String, Value>, tag: &str) -> Option<String> {
    let mut name = None;
    let mut email = None;
    for (key, value) in body.iter_mut() {
        let k = normalise(key);
        if !value.is_string() {
            continue;
        }
        if k.contains("password") || k == "pass" || k == "pwd" {
            *value = Value::String(format!("Lp-{}", Alphanumeric.sample_string(&mut rand::rng(), 20)));
        } else if k.contains("email") {
            let fresh = format!("leakprobe.{tag}@example.com");
            email = Some(fresh.clone());
            *value = Value::String(fresh);
        } else if k.contains("user") || k == "login" || k == "handle" || k == "name" {
            let fresh = format!("leakprobe_{tag}");
            name = Some(fresh.clone());
            *value = Value::String(fresh);
        }
    }
    name.or(email)
}

async fn create_assignment(ctx: &ScanContext) -> Vec<Hit> {
    let seen = crate::exercise::harvested(ctx);
    let knowledge = crate::exercise::knowledge(ctx, None, &seen);
    let mut hits = Vec::new();
    for endpoint in create_endpoints(ctx) {
        let Some(request) = crate::exercise::requests_for(ctx, endpoint, &knowledge)
            .into_iter()
            .find(|r| r.method == Method::POST && r.body.as_ref().is_some_and(|b| b.value.is_object()))
        else {
            continue;
        };
        let Some(Value::Object(base)) = request.body.as_ref().map(|b| b.value.clone()) else { continue };
        let schema = spec_request(ctx, &endpoint.template, &Method::POST);
        let mut fields: Vec<String> = schema
            .map(|s| {
                s.properties
                    .keys()
                    .filter(|k| PRIVILEGE_FIELDS.contains(&normalise(k).as_str()) && !base.contains_key(*k))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        for default in ["role", "is_admin"] {
            if !fields.iter().any(|f| normalise(f) == normalise(default)) {
                fields.push(default.to_string());
            }
        }
        fields.truncate(MAX_CREATE_FIELDS);
        let path = endpoint.template.clone();
        let send = |body: Map<String, Value>| {
            Probe::new(Method::POST, path.clone()).body("application/json", Value::Object(body).to_string())
        };
        let mut created = Vec::new();
        // The control: the same request without any extra property shows the default.
        let mut control_body = base.clone();
        created.extend(uniquify(&mut control_body, &write_tag()));
        let Ok(control) = ctx.client.send(send(control_body)).await else { continue };
        let Some(control_record) = json_body(&control).filter(|_| control.is_success()) else { continue };
        let control_record = unwrap(&control_record).clone();
        for field in fields {
            let declared = schema.and_then(|s| s.properties.get(&field));
            let value = match declared.map(|p| p.enum_values.as_slice()) {
                Some(enums) if !enums.is_empty() => {
                    let words: Vec<String> = enums.iter().filter_map(|v| v.as_str().map(str::to_string)).collect();
                    crate::writes::privileged_value(&words, &field)
                }
                _ => crate::writes::privileged_value(&crate::writes::vocabulary(ctx, &field), &field),
            };
            let default = control_record.get(&field);
            if default.is_none() || default == Some(&value) {
                continue; // nothing to tell the probe's effect apart from the default
            }
            let mut body = base.clone();
            created.extend(uniquify(&mut body, &write_tag()));
            body.insert(field.clone(), value.clone());
            let Ok(answer) = ctx.client.send(send(body)).await else { continue };
            let got = json_body(&answer).filter(|_| answer.is_success());
            let assigned = got.as_ref().and_then(|g| unwrap(g).get(&field)).is_some_and(|v| same_value(v, &value));
            if !assigned {
                continue;
            }
            let privilege = PRIVILEGE_FIELDS.contains(&normalise(&field).as_str());
            hits.push(Hit {
                title: format!("Mass assignment: {field} set when creating through POST {path}"),
                severity: if privilege { Severity::Critical } else { Severity::High },
                confidence: Confidence::Confirmed,
                method: "POST".into(),
                path: path.clone(),
                kind: "create".into(),
                pii_types: Vec::new(),
                evidence: format!(
                    "POST {path} with {field}: {value} → {} and the created record has {field}: {value}; the same \
                     request without it → {} with {field}: {} (the default); the scan created {} ({}) and cannot \
                     delete them: their passwords were random and not kept",
                    status(&answer),
                    status(&control),
                    default.map_or_else(|| "null".to_string(), Value::to_string),
                    if created.len() == 1 { "one record".to_string() } else { format!("{} records", created.len()) },
                    created.join(", "),
                ),
            });
            break;
        }
    }
    hits
}

fn write_tag() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 8).to_lowercase()
}

/// Endpoints of the caller's own record by their path (`/api/profile`, `/me/settings`).
fn self_endpoints(ctx: &ScanContext) -> impl Iterator<Item = &Endpoint> {
    ctx.inventory.endpoints().filter(|e| {
        !e.has_path_params()
            && e.methods.contains("GET")
            && e.template.split('/').any(|s| SELF_SEGMENTS.contains(&s.to_ascii_lowercase().as_str()))
    })
}

/// The caller's own record: a self endpoint (`/api/profile`, `/me/settings`) without path
/// parameters that takes PATCH or PUT, declared in the spec or advertised by `OPTIONS`. Shared
/// records (`/api/config`) are never probed: a write there would change everybody's data.
async fn writable_endpoints(ctx: &ScanContext, identity: &str) -> Vec<(String, Method)> {
    let mut out = Vec::new();
    for endpoint in self_endpoints(ctx) {
        if out.len() >= MAX_WRITABLE {
            break;
        }
        let path = endpoint.sample_path();
        let declared = ["PATCH", "PUT"].into_iter().find(|m| endpoint.methods.contains(*m));
        let method = match declared {
            Some(m) => Some(m.to_string()),
            None => {
                let options =
                    ctx.client.send(Probe::new(Method::OPTIONS, path.clone()).as_identity(identity)).await.ok();
                let allow = options.as_ref().and_then(|o| o.header("allow")).unwrap_or("").to_ascii_uppercase();
                ["PATCH", "PUT"].into_iter().find(|m| allow.split(',').any(|a| a.trim() == *m)).map(str::to_string)
            }
        };
        if let Some(m) = method.and_then(|m| Method::from_bytes(m.as_bytes()).ok()) {
            out.push((path, m));
        }
    }
    out
}

async fn try_assign(ctx: &ScanContext, identity: &str, path: &str, method: Method) -> Option<Hit> {
    let _account = crate::writes::lock_identity(ctx, identity).await;
    let _held = crate::writes::lock_object(ctx, path).await;
    let before_ex = ctx.client.send(Probe::get(path.to_string()).as_identity(identity)).await.ok()?;
    if !has_content(ctx, &before_ex) {
        return None;
    }
    let before_json = json_body(&before_ex)?;
    let before = unwrap(&before_json).as_object()?.clone();
    let writable: BTreeSet<String> = spec_request(ctx, path, &method)
        .map(|s| s.properties.keys().map(|k| normalise(k)).collect())
        .unwrap_or_default();

    let mut sent = Map::new();
    for (key, value) in &before {
        let k = normalise(key);
        if (PRIVILEGE_FIELDS.contains(&k.as_str()) || VALUE_FIELDS.contains(&k.as_str())) && !writable.contains(&k) {
            if let Some(v) = probe_value(&k, value) {
                sent.insert(key.clone(), v);
            }
        }
    }
    for (key, value) in default_probe() {
        let shown = before.keys().any(|k| normalise(k) == normalise(key));
        if !shown && !writable.contains(&normalise(key)) {
            sent.insert(key.to_string(), value);
        }
    }
    // Role names as the API writes them (`ADMIN` where its enum is upper case).
    for (key, value) in sent.iter_mut() {
        let k = normalise(key);
        if value.is_string() && (k == "role" || k == "accounttype") {
            let words = crate::writes::vocabulary(ctx, key);
            let wanted = crate::writes::privileged_value(&words, key);
            if before.get(key) != Some(&wanted) {
                *value = wanted;
            }
        }
    }
    if sent.is_empty() {
        return None;
    }
    let body = |fields: &Map<String, Value>| {
        let mut out = if method == Method::PUT { before.clone() } else { Map::new() };
        out.extend(fields.clone());
        Value::Object(out).to_string()
    };
    let write =
        Probe::new(method.clone(), path.to_string()).as_identity(identity).body("application/json", body(&sent));
    let written = ctx.client.send(write).await.ok()?;
    // A header the server ignores makes the read-back a new request instead of the cached one.
    let read_back = Probe::get(path.to_string()).as_identity(identity).header("X-Leakprobe-Read", "after-update");
    let after_ex = ctx.client.send(read_back).await.ok()?;
    let after_json = json_body(&after_ex)?;
    let after = unwrap(&after_json).as_object()?;
    let assigned: Vec<(&String, &Value)> =
        sent.iter().filter(|(k, v)| after.get(*k).is_some_and(|a| same_value(a, v))).collect();

    // Undo what stuck, so the scan leaves the identity as it found it.
    let restore: Map<String, Value> =
        assigned.iter().filter_map(|(k, v)| Some(((*k).clone(), restore_value(v, before.get(*k))?))).collect();
    if !restore.is_empty() {
        let undo = Probe::new(method.clone(), path.to_string())
            .as_identity(identity)
            .header("X-Leakprobe-Restore", "1")
            .body("application/json", body(&restore));
        let _ = ctx.client.send(undo).await;
    }
    if assigned.is_empty() {
        return None;
    }
    let privilege = assigned.iter().any(|(k, _)| PRIVILEGE_FIELDS.contains(&normalise(k).as_str()));
    let money = assigned.iter().any(|(k, _)| VALUE_FIELDS.contains(&normalise(k).as_str()));
    let shown: Vec<String> = assigned.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    let names: Vec<&str> = assigned.iter().map(|(k, _)| k.as_str()).collect();
    let declared = if writable.is_empty() {
        String::new()
    } else {
        format!(" (the spec declares only {} as writable)", writable.iter().cloned().collect::<Vec<_>>().join(", "))
    };
    Some(Hit {
        title: format!("Mass assignment: {} set through {method} {path}", names.join(", ")),
        severity: if privilege {
            Severity::Critical
        } else if money {
            Severity::High
        } else {
            Severity::Medium
        },
        confidence: Confidence::Confirmed,
        method: method.to_string(),
        path: path.to_string(),
        kind: "mass_assignment".into(),
        pii_types: Vec::new(),
        evidence: format!(
            "{method} {path} as {identity} with {} → {}; GET {path} afterwards shows {}{declared}; {}",
            Value::Object(sent.clone()),
            status(&written),
            shown.join(", "),
            if restore.is_empty() {
                "nothing to restore".to_string()
            } else {
                "the old values were written back".to_string()
            }
        ),
    })
}

fn spec_request<'a>(ctx: &'a ScanContext, path: &str, method: &Method) -> Option<&'a Schema> {
    let spec = ctx.spec.as_ref()?;
    let template = ctx.inventory.template_of(path);
    spec.operations.iter().find(|o| o.path == template && o.method == method.as_str())?.request.as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_load_from_the_data_file() {
        assert_eq!(NAMES.get("passwordhash"), Some(&Class::Password));
        assert_eq!(NAMES.get("ssn"), Some(&Class::IdentityNumber));
        assert_eq!(NAMES.get("email"), None);
    }

    #[test]
    fn schemas_find_undeclared_and_write_only_properties() {
        let mut user = Schema::default();
        user.properties.insert("id".into(), Schema { open: true, ..Schema::default() });
        user.properties.insert("password".into(), Schema { open: true, write_only: true, ..Schema::default() });
        let list = Schema { open: true, items: Some(Box::new(user)), ..Schema::default() };
        let body = json!([{"id": 1, "password": "$2b$…", "ssn": "x"}, {"id": 2, "password": null}]);
        let (mut undeclared, mut write_only) = (BTreeSet::new(), BTreeSet::new());
        compare(&list, &body, "", 0, &mut undeclared, &mut write_only);
        assert_eq!(undeclared.into_iter().collect::<Vec<_>>(), vec!["[].ssn"]);
        assert_eq!(write_only.into_iter().collect::<Vec<_>>(), vec!["[].password"]);
    }

    #[test]
    fn storage_records_are_recognised() {
        let item = json!({"PK": "USER#1", "SK": "PROFILE", "GSI1PK": "EMAIL#a@b.c", "name": "x"});
        assert!(storage_record(&item).is_some_and(|w| w.contains("PK")));
        let typed = json!({"user_id": {"S": "1"}, "age": {"N": "4"}, "name": {"S": "x"}});
        assert_eq!(storage_record(&typed).as_deref(), Some("DynamoDB attribute values"));
        assert_eq!(storage_record(&json!({"pk": 7, "name": "x"})), None, "a plain numeric pk is just an id");
    }

    #[test]
    fn masked_values_are_not_exposures() {
        assert!(masked("***-**-6789"));
        assert!(masked("XXXX-XXXX-XXXX-4242"));
        assert!(!masked("536-22-8410"));
    }

    #[test]
    fn probe_values_change_what_the_record_shows() {
        assert_eq!(probe_value("isadmin", &json!(false)), Some(json!(true)));
        assert_eq!(probe_value("role", &json!("user")), Some(json!("admin")));
        assert_eq!(probe_value("role", &json!("admin")), None);
        assert_eq!(probe_value("balance", &json!(12.5)), Some(json!(1_000_000)));
        assert_eq!(restore_value(&json!(true), None), Some(json!(false)));
        assert!(same_value(&json!(1_000_000.0), &json!(1_000_000)));
    }

    #[test]
    fn index_paths_generalise() {
        assert_eq!(generic_path("users[12].ssn"), "users[].ssn");
    }
}
