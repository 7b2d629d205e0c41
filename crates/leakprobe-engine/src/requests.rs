//! Requests an endpoint will accept: built from its spec operation (required properties, types,
//! formats, enums, examples, defaults), from an HTML form (hidden inputs keep their values, so a
//! CSRF token from the page goes back), or from a documented JSON example — and filled with what
//! the scan knows (an identity's username or e-mail, ids harvested from earlier answers) rather
//! than random strings, because a handler that rejects the body at validation never runs the code
//! worth testing.
//!
//! Everything here is pure: [`WellFormed`] says where every value goes ([`Slot`]), so the injection
//! check can vary one value at a time and keep the rest well-formed.
use std::collections::BTreeMap;
use std::sync::LazyLock;

use bytes::Bytes;
use reqwest::Method;
use serde_json::{Map, Value};

use crate::client::Probe;
use crate::discovery::openapi::{Operation, Schema};
use crate::identity::{Credential, Identity};
use crate::inventory::{fill_template, BodyEncoding, BodyTemplate, Endpoint, ParamLocation};

/// A password strong enough for the usual validators (length, classes), recognisably ours.
pub const PROBE_PASSWORD: &str = "Lp-probe-7f3a9c!Q";
const PROBE_EMAIL: &str = "leakprobe.scan@example.com";
const PROBE_USERNAME: &str = "leakprobe_scan";
const PROBE_UUID: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
/// Nesting of generated objects; deeper optional structure is left out.
const MAX_DEPTH: usize = 4;
/// Longer strings (descriptions, tokens) are not values a client would type into a field.
const MAX_SEEN_LEN: usize = 64;
const MULTIPART_BOUNDARY: &str = "leakprobe-7f3a9c0e5d2b";

/// Optional properties left out of generated bodies (`data/protected-properties.txt`).
static PROTECTED: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| crate::discovery::data_lines(include_str!("../data/protected-properties.txt")).collect());

fn is_protected(name: &str) -> bool {
    let norm: String = name.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect();
    PROTECTED.contains(&norm.as_str())
}

/// What the scan knows that makes a request look like a real client's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Knowledge {
    pub username: Option<String>,
    pub email: Option<String>,
    /// Scalar values seen in earlier answers, by lower-cased field name (`id`, `customer_id`,
    /// `category`…): a real id for a path, a real category for a filter.
    pub seen: BTreeMap<String, String>,
}

impl Knowledge {
    /// The username and e-mail an identity is known by: its Basic user, its login body's
    /// `username`/`email`, else its name.
    pub fn for_identity(identity: &Identity, seen: &BTreeMap<String, String>) -> Knowledge {
        let login = identity.login.as_ref().map(|l| &l.body);
        let from_login = |keys: &[&str]| {
            keys.iter().find_map(|k| login.and_then(|b| b.get(*k)).and_then(Value::as_str).map(str::to_string))
        };
        let basic_user = match &identity.credential {
            Some(Credential::Basic { user, .. }) => Some(user.clone()),
            _ => None,
        };
        let username =
            basic_user.or_else(|| from_login(&["username", "user", "login"])).unwrap_or_else(|| identity.name.clone());
        let email = from_login(&["email", "mail"]).or_else(|| username.contains('@').then(|| username.clone()));
        Knowledge { username: Some(username), email, seen: seen.clone() }
    }

    /// Records the short scalar fields of a JSON answer by name (first value per name wins).
    pub fn harvest(seen: &mut BTreeMap<String, String>, value: &Value) {
        fn walk(seen: &mut BTreeMap<String, String>, value: &Value, depth: usize) {
            if depth > MAX_DEPTH {
                return;
            }
            match value {
                Value::Object(map) => {
                    for (k, v) in map {
                        if let Some(text) = scalar(v).filter(|t| !t.is_empty() && t.len() <= MAX_SEEN_LEN) {
                            seen.entry(k.to_ascii_lowercase()).or_insert(text);
                        }
                        walk(seen, v, depth + 1);
                    }
                }
                Value::Array(items) => items.iter().take(3).for_each(|v| walk(seen, v, depth + 1)),
                _ => {}
            }
        }
        walk(seen, value, 0);
    }
}

/// Where one value of a request goes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Slot {
    Path(String),
    Query(String),
    /// A JSON pointer into the body (`/username`, `/address/city`); form fields are top-level.
    Body(String),
}

impl Slot {
    pub fn location(&self) -> ParamLocation {
        match self {
            Slot::Path(_) => ParamLocation::Path,
            Slot::Query(_) => ParamLocation::Query,
            Slot::Body(_) => ParamLocation::Body,
        }
    }

    /// The parameter's name as a user reads it (`username`, `address.city`).
    pub fn name(&self) -> String {
        match self {
            Slot::Path(n) | Slot::Query(n) => n.clone(),
            Slot::Body(pointer) => pointer.trim_start_matches('/').replace('/', "."),
        }
    }
}

/// A request body: a JSON object (form encodings send its top-level fields).
#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    pub encoding: BodyEncoding,
    pub value: Value,
}

/// A well-formed request for one operation.
#[derive(Debug, Clone, PartialEq)]
pub struct WellFormed {
    pub method: Method,
    pub template: String,
    pub path_params: Vec<(String, String)>,
    pub query: Vec<(String, String)>,
    pub body: Option<Body>,
}

impl WellFormed {
    /// Path and query, values percent-encoded.
    pub fn target(&self) -> String {
        let path = fill_template(&self.template, |name| {
            self.path_params.iter().find(|(n, _)| n == name).map(|(_, v)| encode_component(v))
        });
        if self.query.is_empty() {
            return path;
        }
        let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&self.query).finish();
        format!("{path}?{query}")
    }

    /// `(content type, bytes)` of the body, if any.
    pub fn encoded_body(&self) -> Option<(String, Bytes)> {
        let body = self.body.as_ref()?;
        let fields = || body.value.as_object().into_iter().flatten().map(|(k, v)| (k.clone(), form_text(v)));
        Some(match body.encoding {
            BodyEncoding::Json => ("application/json".into(), Bytes::from(body.value.to_string())),
            BodyEncoding::Form => {
                let text = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields()).finish();
                ("application/x-www-form-urlencoded".into(), Bytes::from(text))
            }
            BodyEncoding::Multipart => {
                let mut text = String::new();
                for (k, v) in fields() {
                    let name = k.replace(['"', '\r', '\n'], "");
                    text.push_str(&format!(
                        "--{MULTIPART_BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{v}\r\n"
                    ));
                }
                text.push_str(&format!("--{MULTIPART_BOUNDARY}--\r\n"));
                (format!("multipart/form-data; boundary={MULTIPART_BOUNDARY}"), Bytes::from(text))
            }
        })
    }

    pub fn probe(&self) -> Probe {
        let probe = Probe::new(self.method.clone(), self.target());
        match self.encoded_body() {
            Some((content_type, bytes)) => probe.body(&content_type, bytes),
            None => probe,
        }
    }

    /// Every value of the request that takes text: path and query parameters, and body fields
    /// holding strings or numbers (booleans, arrays and objects are left alone).
    pub fn slots(&self) -> Vec<Slot> {
        let mut out: Vec<Slot> = self.path_params.iter().map(|(n, _)| Slot::Path(n.clone())).collect();
        out.extend(self.query.iter().map(|(n, _)| Slot::Query(n.clone())));
        if let Some(body) = &self.body {
            let mut pointers = Vec::new();
            text_pointers(&body.value, String::new(), body.encoding == BodyEncoding::Json, &mut pointers);
            out.extend(pointers.into_iter().map(Slot::Body));
        }
        out
    }

    /// The value currently in `slot`, as text.
    pub fn value(&self, slot: &Slot) -> Option<String> {
        match slot {
            Slot::Path(n) => self.path_params.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()),
            Slot::Query(n) => self.query.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()),
            Slot::Body(p) => self.body.as_ref()?.value.pointer(p).and_then(scalar),
        }
    }

    /// The same request with `value` in `slot` (a body number becomes a string: the payloads are text).
    pub fn with(&self, slot: &Slot, value: &str) -> WellFormed {
        let mut out = self.clone();
        match slot {
            Slot::Path(n) => {
                out.path_params.iter_mut().filter(|(k, _)| k == n).for_each(|(_, v)| *v = value.to_string())
            }
            Slot::Query(n) => out.query.iter_mut().filter(|(k, _)| k == n).for_each(|(_, v)| *v = value.to_string()),
            Slot::Body(p) => {
                if let Some(target) = out.body.as_mut().and_then(|b| b.value.pointer_mut(p)) {
                    *target = Value::String(value.to_string());
                }
            }
        }
        out
    }
}

/// Well-formed requests for an endpoint: one per method it accepts (never DELETE), each from the
/// spec operation when there is one, else from a form or documented example, else from the
/// parameters the inventory knows.
pub fn for_endpoint(endpoint: &Endpoint, operations: &[&Operation], knowledge: &Knowledge) -> Vec<WellFormed> {
    let mut out = Vec::new();
    for method in &endpoint.methods {
        let Ok(m) = Method::from_bytes(method.as_bytes()) else { continue };
        if !matches!(m, Method::GET | Method::POST | Method::PUT | Method::PATCH) {
            continue;
        }
        let op = operations.iter().find(|o| o.method == *method);
        let template = endpoint.bodies.iter().find(|b| b.method.eq_ignore_ascii_case(method));
        let request = match (op, template) {
            (Some(op), _) if op.request.is_some() => from_operation(op, endpoint, knowledge),
            (_, Some(t)) => from_template(endpoint, t, knowledge),
            (Some(op), None) => from_operation(op, endpoint, knowledge),
            (None, None) => from_params(endpoint, m.clone(), knowledge),
        };
        // A write without any body to send has nothing well-formed to say.
        if m != Method::GET && request.body.is_none() {
            continue;
        }
        out.push(request);
    }
    out
}

/// Path parameters from the endpoint's first concrete example (a real id), else from the
/// scan's knowledge and the parameters' examples.
fn path_params(endpoint: &Endpoint, knowledge: &Knowledge) -> Vec<(String, String)> {
    let names: Vec<&str> =
        endpoint.template.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect();
    let seen: Option<Vec<&str>> =
        endpoint.examples.first().map(|e| e.split(['?', '#']).next().unwrap_or(e).split('/').collect());
    let template: Vec<&str> = endpoint.template.split('/').collect();
    names
        .into_iter()
        .map(|name| {
            let from_example = seen.as_ref().and_then(|segs| {
                let i = template.iter().position(|t| *t == format!("{{{name}}}"))?;
                (segs.len() == template.len()).then(|| segs[i].to_string())
            });
            let declared = endpoint
                .params
                .iter()
                .find(|p| p.location == ParamLocation::Path && p.name == name)
                .and_then(|p| p.example.clone());
            let value = from_example
                .or(declared)
                .or_else(|| knowledge.seen.get(&name.to_ascii_lowercase()).cloned())
                .or_else(|| knowledge.seen.get("id").cloned())
                .unwrap_or_else(|| "1".to_string());
            (name.to_string(), value)
        })
        .collect()
}

/// The query parameters a request carries: required ones and those with a documented example.
fn query_params(endpoint: &Endpoint, required: &[String], knowledge: &Knowledge) -> Vec<(String, String)> {
    let seen_query: Vec<(String, String)> = endpoint
        .examples
        .iter()
        .find_map(|e| e.split_once('?').map(|(_, q)| q.to_string()))
        .map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let mut out = seen_query;
    for p in endpoint.params.iter().filter(|p| p.location == ParamLocation::Query) {
        if out.iter().any(|(k, _)| *k == p.name) {
            continue;
        }
        if p.example.is_some()
            || required.contains(&p.name)
            || knowledge.seen.contains_key(&p.name.to_ascii_lowercase())
        {
            let schema = Schema { kind: p.kind.clone(), ..Schema::default() };
            let value = p.example.clone().unwrap_or_else(|| form_text(&value_for(&p.name, &schema, knowledge, 0)));
            out.push((p.name.clone(), value));
        }
    }
    out
}

/// From the spec: path and query parameters, and the request body built from its schema.
pub fn from_operation(op: &Operation, endpoint: &Endpoint, knowledge: &Knowledge) -> WellFormed {
    let method = Method::from_bytes(op.method.as_bytes()).unwrap_or(Method::GET);
    let body = match &op.request {
        Some(schema) => Some(Body {
            encoding: op.request_encoding.unwrap_or(BodyEncoding::Json),
            value: value_for("", schema, knowledge, 0),
        }),
        // Swagger 2.0 `in: formData` parameters: a form whose fields are the parameters.
        None => {
            let fields: Map<String, Value> = op
                .params
                .iter()
                .filter(|p| p.location == ParamLocation::Body)
                .map(|p| {
                    let schema = Schema { kind: p.kind.clone(), ..Schema::default() };
                    let value =
                        p.example.clone().unwrap_or_else(|| form_text(&value_for(&p.name, &schema, knowledge, 0)));
                    (p.name.clone(), Value::String(value))
                })
                .collect();
            (!fields.is_empty()).then_some(Body { encoding: BodyEncoding::Form, value: Value::Object(fields) })
        }
    };
    WellFormed {
        method,
        template: endpoint.template.clone(),
        path_params: path_params(endpoint, knowledge),
        query: query_params(endpoint, &op.required_params, knowledge),
        body: body.filter(|b| !b.value.is_null()),
    }
}

/// From a form or a documented example: the example as written, or the form's fields with their
/// values kept (hidden inputs, preset choices) and the empty ones filled by name and type.
pub fn from_template(endpoint: &Endpoint, template: &BodyTemplate, knowledge: &Knowledge) -> WellFormed {
    let method = Method::from_bytes(template.method.to_ascii_uppercase().as_bytes()).unwrap_or(Method::POST);
    let value = match &template.example {
        Some(example) => example.clone(),
        None => {
            let mut map = Map::new();
            for field in &template.fields {
                let value = match (&field.example, field.kind.as_deref()) {
                    (Some(v), _) => Value::String(v.clone()),
                    (None, Some("submit" | "button" | "reset" | "image")) => continue,
                    (None, kind) => {
                        let schema = Schema { format: kind.map(str::to_string), ..Schema::default() };
                        Value::String(form_text(&value_for(&field.name, &schema, knowledge, 0)))
                    }
                };
                map.insert(field.name.clone(), value);
            }
            Value::Object(map)
        }
    };
    let query = if method == Method::GET { Vec::new() } else { query_params(endpoint, &[], knowledge) };
    let (query, body) = if method == Method::GET {
        // A GET form submits its fields in the query string.
        let fields = value.as_object().into_iter().flatten().map(|(k, v)| (k.clone(), form_text(v))).collect();
        (fields, None)
    } else {
        (query, Some(Body { encoding: template.encoding, value }))
    };
    WellFormed {
        method,
        template: endpoint.template.clone(),
        path_params: path_params(endpoint, knowledge),
        query,
        body,
    }
}

/// With neither spec nor template: the path and the query parameters the inventory knows.
fn from_params(endpoint: &Endpoint, method: Method, knowledge: &Knowledge) -> WellFormed {
    WellFormed {
        method,
        template: endpoint.template.clone(),
        path_params: path_params(endpoint, knowledge),
        query: query_params(endpoint, &[], knowledge),
        body: None,
    }
}

/// A value the schema accepts for a field called `name`.
pub fn value_for(name: &str, schema: &Schema, knowledge: &Knowledge, depth: usize) -> Value {
    if let Some(v) = schema.enum_values.iter().find(|v| !v.is_null()) {
        return v.clone();
    }
    if let Some(v) = schema.example.clone().or_else(|| schema.default.clone()) {
        return v;
    }
    let kind = schema.kind.as_deref().unwrap_or(if !schema.properties.is_empty() {
        "object"
    } else if schema.items.is_some() {
        "array"
    } else {
        "string"
    });
    match kind {
        "object" => {
            if depth >= MAX_DEPTH {
                return Value::Object(Map::new());
            }
            // Without a required list, every writable property but the ones that would change a
            // privilege, a balance or a credential of a record we do not own.
            let wanted: Vec<(&String, &Schema)> = if schema.required.is_empty() {
                schema.properties.iter().filter(|(k, s)| !s.read_only && !is_protected(k)).collect()
            } else {
                schema.properties.iter().filter(|(k, s)| schema.required.contains(k) && !s.read_only).collect()
            };
            let map = wanted.into_iter().map(|(k, s)| (k.clone(), value_for(k, s, knowledge, depth + 1))).collect();
            Value::Object(map)
        }
        "array" => match &schema.items {
            Some(items) if depth < MAX_DEPTH => Value::Array(vec![value_for(name, items, knowledge, depth + 1)]),
            _ => Value::Array(Vec::new()),
        },
        // Flags default off: an `is_admin: true` is mass assignment's business, not ours.
        "boolean" => Value::Bool(false),
        "integer" => Value::from(integer_for(name, schema, knowledge)),
        "number" => Value::from(schema.minimum.unwrap_or(1).max(1) as f64),
        _ => Value::String(pad(text_for(name, schema, knowledge), schema.min_length)),
    }
}

fn integer_for(name: &str, schema: &Schema, knowledge: &Knowledge) -> i64 {
    let known = knowledge.seen.get(&name.to_ascii_lowercase()).and_then(|v| v.parse().ok());
    let floor = schema.minimum.unwrap_or(1);
    known.unwrap_or(floor.max(1))
}

/// A string by format first, then by what the field's name says it holds.
fn text_for(name: &str, schema: &Schema, knowledge: &Knowledge) -> String {
    let lower = name.to_ascii_lowercase();
    let has = |w: &str| lower.contains(w);
    let email = || knowledge.email.clone().unwrap_or_else(|| PROBE_EMAIL.to_string());
    match schema.format.as_deref() {
        Some("email") => return email(),
        Some("password") => return PROBE_PASSWORD.to_string(),
        Some("date") => return "2024-01-15".to_string(),
        Some("date-time") | Some("datetime-local") => return "2024-01-15T10:00:00Z".to_string(),
        Some("uuid") => {
            return knowledge
                .seen
                .get(&lower)
                .filter(|v| v.len() == 36)
                .cloned()
                .unwrap_or_else(|| PROBE_UUID.to_string())
        }
        Some("uri" | "url" | "uri-reference") => return "https://example.com/".to_string(),
        Some("tel") => return "+14155550123".to_string(),
        Some("number" | "range") => return "1".to_string(),
        Some("ipv4") => return "192.0.2.10".to_string(),
        _ => {}
    }
    let seen = knowledge.seen.get(&lower).cloned();
    if has("password") || has("passwd") || lower == "pass" || lower == "pwd" {
        return PROBE_PASSWORD.to_string();
    }
    if has("email") || lower == "mail" {
        return knowledge.email.clone().or(seen).unwrap_or_else(|| PROBE_EMAIL.to_string());
    }
    if has("user") || lower == "login" || lower == "handle" {
        return knowledge.username.clone().or(seen).unwrap_or_else(|| PROBE_USERNAME.to_string());
    }
    if let Some(seen) = seen {
        return seen;
    }
    if lower == "id" || lower.ends_with("_id") || lower.ends_with("id") && name.ends_with("Id") {
        knowledge.seen.get("id").cloned().unwrap_or_else(|| "1".to_string())
    } else if has("phone") || has("mobile") {
        "+14155550123".to_string()
    } else if has("url") || has("website") || has("link") {
        "https://example.com/".to_string()
    } else if has("date") || has("birth") {
        "2024-01-15".to_string()
    } else if has("first") {
        "Alex".to_string()
    } else if has("last") || has("surname") {
        "Morgan".to_string()
    } else if has("name") {
        "Alex Morgan".to_string()
    } else if has("country") {
        "US".to_string()
    } else if has("zip") || has("postal") {
        "94107".to_string()
    } else if has("amount") || has("quantity") || has("qty") || has("count") || has("page") || has("limit") {
        "1".to_string()
    } else {
        "leakprobe".to_string()
    }
}

fn pad(mut text: String, min_length: Option<u64>) -> String {
    let min = usize::try_from(min_length.unwrap_or(0)).unwrap_or(0).min(256);
    while text.chars().count() < min {
        text.push('x');
    }
    text
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A field's value as form text (`true`, `3`, `a`); nested values as JSON.
fn form_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Pointers to the string and number leaves of a body (top level only for forms).
fn text_pointers(value: &Value, prefix: String, nested: bool, out: &mut Vec<String>) {
    let Value::Object(map) = value else { return };
    for (k, v) in map {
        let pointer = format!("{prefix}/{}", k.replace('~', "~0").replace('/', "~1"));
        match v {
            Value::String(_) | Value::Number(_) => out.push(pointer),
            Value::Object(_) if nested && prefix.matches('/').count() < 2 => text_pointers(v, pointer, nested, out),
            _ => {}
        }
    }
}

/// Percent-encodes a path segment value: unreserved characters stay, everything else is escaped.
fn encode_component(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::openapi;
    use crate::inventory::{Inventory, Param, Source};

    fn spec_endpoint(doc: &[u8], path: &str) -> (openapi::ApiSpec, Endpoint) {
        let spec = openapi::parse(doc).expect("spec");
        let mut inv = Inventory::default();
        for op in &spec.operations {
            let e = inv.add_declared(&op.path, &op.method);
            e.params.extend(op.params.iter().cloned());
        }
        let endpoint = inv.endpoints().find(|e| e.template == path).expect("endpoint").clone();
        (spec, endpoint)
    }

    const REGISTER: &[u8] = br##"{"openapi": "3.1.0", "paths": {"/api/v1/register": {"post": {"requestBody": {"content": {"application/json": {"schema": {
        "type": "object", "required": ["email", "password", "plan", "company"],
        "properties": {
          "email": {"type": "string", "format": "email"},
          "password": {"type": "string", "minLength": 8},
          "plan": {"type": "string", "enum": ["starter", "growth"]},
          "company": {"type": "string", "minLength": 12},
          "seats": {"type": "integer", "default": 5},
          "is_admin": {"type": "boolean"},
          "id": {"type": "integer", "readOnly": true}}}}}}}}}}"##;

    #[test]
    fn spec_bodies_fill_required_fields_by_type_format_and_enum() {
        let (spec, endpoint) = spec_endpoint(REGISTER, "/api/v1/register");
        let ops: Vec<&Operation> = spec.operations.iter().collect();
        let requests = for_endpoint(&endpoint, &ops, &Knowledge::default());
        assert_eq!(requests.len(), 1);
        let body = &requests[0].body.as_ref().expect("body").value;
        assert_eq!(body["email"], PROBE_EMAIL);
        assert_eq!(body["password"], PROBE_PASSWORD);
        assert_eq!(body["plan"], "starter", "first enum value");
        assert_eq!(body["company"].as_str().map(str::len), Some(12), "minLength is met");
        assert!(body.get("seats").is_none() && body.get("is_admin").is_none(), "only required fields: {body}");
        // Without a required list: every writable property except privileges and credentials.
        let schema = openapi::parse(br##"{"openapi": "3.0.0", "paths": {"/me": {"patch": {"requestBody": {"content": {"application/json": {"schema": {
            "type": "object", "properties": {"display_name": {"type": "string"}, "isAdmin": {"type": "boolean"}, "role": {"type": "string"},
            "password": {"type": "string"}, "id": {"type": "integer", "readOnly": true}}}}}}}}}}"##).expect("spec");
        let op = &schema.operations[0];
        let value = value_for("", op.request.as_ref().expect("schema"), &Knowledge::default(), 0);
        assert_eq!(value, serde_json::json!({"display_name": "Alex Morgan"}));
        let (content_type, bytes) = requests[0].encoded_body().expect("encoded");
        assert_eq!(content_type, "application/json");
        assert!(serde_json::from_slice::<Value>(&bytes).is_ok());
    }

    #[test]
    fn known_identity_and_harvested_ids_fill_the_fields_named_like_them() {
        let mut seen = BTreeMap::new();
        Knowledge::harvest(
            &mut seen,
            &serde_json::json!({"items": [{"id": 42, "customer_id": "c-17", "notes": "x".repeat(200)}]}),
        );
        assert!(!seen.contains_key("notes"), "long text is not a field value");
        let knowledge = Knowledge { username: Some("maria".into()), email: Some("maria@corp.example".into()), seen };
        let schema = openapi::parse(
            br##"{"openapi": "3.0.0", "paths": {"/orders/{order_id}": {"put": {"parameters": [{"name": "order_id", "in": "path"}],
            "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {"type": "object",
              "required": ["username", "contact", "customer_id", "created", "ref"], "properties": {
              "username": {"type": "string"}, "contact": {"type": "string", "format": "email"}, "customer_id": {"type": "string"},
              "created": {"type": "string", "format": "date"}, "ref": {"type": "string", "format": "uuid"}}}}}}}}}}"##,
        )
        .expect("spec");
        let mut inv = Inventory::default();
        inv.add_declared("/orders/{order_id}", "put");
        let endpoint = inv.endpoints().next().expect("endpoint").clone();
        let ops: Vec<&Operation> = schema.operations.iter().collect();
        let request = &for_endpoint(&endpoint, &ops, &knowledge)[0];
        let body = &request.body.as_ref().expect("body").value;
        assert_eq!(body["username"], "maria");
        assert_eq!(body["contact"], "maria@corp.example");
        assert_eq!(body["customer_id"], "c-17");
        assert_eq!(body["created"], "2024-01-15");
        assert_eq!(body["ref"], PROBE_UUID);
        assert_eq!(request.target(), "/orders/42", "a harvested id fills the path");
        let (content_type, bytes) = request.encoded_body().expect("encoded");
        assert_eq!(content_type, "application/x-www-form-urlencoded");
        let text = String::from_utf8(bytes.to_vec()).expect("utf8");
        assert!(text.contains("username=maria") && text.contains("contact=maria%40corp.example"), "{text}");
    }

    #[test]
    fn forms_keep_hidden_values_and_fill_the_rest() {
        let mut inv = Inventory::default();
        inv.add_seen("/account/login", "POST", Source::Form);
        let mut endpoint = inv.endpoints().next().expect("endpoint").clone();
        let field = |name: &str, kind: &str, value: Option<&str>| Param {
            name: name.into(),
            location: ParamLocation::Body,
            kind: Some(kind.into()),
            example: value.map(str::to_string),
        };
        endpoint.bodies.push(BodyTemplate {
            method: "POST".into(),
            encoding: BodyEncoding::Multipart,
            fields: vec![
                field("csrf_token", "hidden", Some("ImY3ZTk2Yz.Zx9")),
                field("email", "email", None),
                field("password", "password", None),
                field("go", "submit", None),
            ],
            example: None,
            source: Source::Form,
        });
        let request = &for_endpoint(&endpoint, &[], &Knowledge::default())[0];
        let body = &request.body.as_ref().expect("body").value;
        assert_eq!(body["csrf_token"], "ImY3ZTk2Yz.Zx9");
        assert_eq!(body["email"], PROBE_EMAIL);
        assert_eq!(body["password"], PROBE_PASSWORD);
        assert!(body.get("go").is_none(), "buttons are not fields");
        let (content_type, bytes) = request.encoded_body().expect("encoded");
        assert!(content_type.starts_with("multipart/form-data; boundary="));
        let text = String::from_utf8(bytes.to_vec()).expect("utf8");
        assert!(text.contains("name=\"csrf_token\"\r\n\r\nImY3ZTk2Yz.Zx9\r\n"), "{text}");
        assert_eq!(
            request.slots(),
            vec![Slot::Body("/csrf_token".into()), Slot::Body("/email".into()), Slot::Body("/password".into())]
        );
    }

    #[test]
    fn documented_examples_are_sent_as_written() {
        let mut inv = Inventory::default();
        inv.add_seen("/api/orders", "POST", Source::Docs);
        let mut endpoint = inv.endpoints().next().expect("endpoint").clone();
        let example = serde_json::json!({"sku": "BK-1042", "quantity": 2, "shipping": {"city": "Lyon"}});
        endpoint.bodies.push(BodyTemplate {
            method: "POST".into(),
            encoding: BodyEncoding::Json,
            fields: Vec::new(),
            example: Some(example.clone()),
            source: Source::Docs,
        });
        let request = &for_endpoint(&endpoint, &[], &Knowledge::default())[0];
        assert_eq!(request.body.as_ref().expect("body").value, example);
        let slots = request.slots();
        assert!(slots.contains(&Slot::Body("/shipping/city".into())), "{slots:?}");
        let varied = request.with(&Slot::Body("/quantity".into()), "2'");
        assert_eq!(varied.body.as_ref().expect("body").value["quantity"], "2'");
        assert_eq!(varied.body.as_ref().expect("body").value["sku"], "BK-1042", "the rest stays");
    }

    #[test]
    fn get_requests_carry_required_and_documented_query_parameters() {
        let doc = br##"{"openapi": "3.0.0", "paths": {"/api/products": {"get": {"parameters": [
            {"name": "category", "in": "query", "required": true, "schema": {"type": "string", "example": "books"}},
            {"name": "q", "in": "query", "required": true, "schema": {"type": "string"}},
            {"name": "sort", "in": "query", "schema": {"type": "string"}}]}}}}"##;
        let (spec, endpoint) = spec_endpoint(doc, "/api/products");
        let ops: Vec<&Operation> = spec.operations.iter().collect();
        let request = &for_endpoint(&endpoint, &ops, &Knowledge::default())[0];
        assert_eq!(request.method, Method::GET);
        assert_eq!(request.target(), "/api/products?category=books&q=leakprobe");
        let quoted = request.with(&Slot::Query("category".into()), "books' OR '1'='1");
        assert_eq!(quoted.target(), "/api/products?category=books%27+OR+%271%27%3D%271&q=leakprobe");
        assert!(request.body.is_none());
    }

    #[test]
    fn swagger_2_form_data_parameters_make_a_form_body() {
        let doc = b"swagger: '2.0'\npaths:\n  /session:\n    post:\n      consumes: [application/x-www-form-urlencoded]\n      parameters:\n        - {name: login, in: formData, type: string, required: true}\n        - {name: remember, in: formData, type: boolean, x-example: 'false'}\n";
        let (spec, endpoint) = spec_endpoint(doc, "/session");
        let ops: Vec<&Operation> = spec.operations.iter().collect();
        let knowledge = Knowledge { username: Some("maria".into()), ..Knowledge::default() };
        let request = &for_endpoint(&endpoint, &ops, &knowledge)[0];
        let (content_type, bytes) = request.encoded_body().expect("form body");
        assert_eq!(content_type, "application/x-www-form-urlencoded");
        assert_eq!(String::from_utf8(bytes.to_vec()).expect("utf8"), "login=maria&remember=false");
    }

    #[test]
    fn delete_and_bodiless_writes_are_never_built() {
        let doc = br##"{"openapi": "3.0.0", "paths": {"/api/items/{id}": {"delete": {}, "post": {}, "get": {}}}}"##;
        let (spec, endpoint) = spec_endpoint(doc, "/api/items/{id}");
        let ops: Vec<&Operation> = spec.operations.iter().collect();
        let requests = for_endpoint(&endpoint, &ops, &Knowledge::default());
        assert_eq!(requests.iter().map(|r| r.method.as_str()).collect::<Vec<_>>(), vec!["GET"]);
        assert_eq!(requests[0].with(&Slot::Path("id".into()), "1'").target(), "/api/items/1%27");
    }
}
