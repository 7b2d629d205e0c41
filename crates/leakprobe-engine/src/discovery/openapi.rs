//! OpenAPI 3.0/3.1 and Swagger 2.0 documents, JSON or YAML, read into operations.
//!
//! Written over a generic JSON tree rather than a typed OpenAPI crate: the typed crates cover one
//! version each, and a scanner must read all three versions and tolerate sloppy real-world specs.
//! Only local `$ref`s (`#/…`) are followed; a scanner never fetches references elsewhere.
use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::ScanError;
use crate::inventory::{BodyEncoding, Param, ParamLocation};

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const MAX_REF_HOPS: usize = 16;
/// Nesting followed in body schemas; recursive schemas (a tree of comments) end here, open.
const MAX_SCHEMA_DEPTH: usize = 8;
/// Schema nodes read per body, and per document: self-referencing schemas with many properties
/// grow exponentially with depth, and every operation holds its own copy of the shared schemas; a
/// hostile or huge spec must stall neither the scan nor its memory.
const MAX_SCHEMA_NODES: usize = 500;
/// The document's schema budget scales with its operations (so a spec of 20,000 operations still
/// has its bodies read), between a floor that covers every ordinary spec and a ceiling that keeps
/// the parsed schemas within a few hundred MB.
const MIN_DOCUMENT_SCHEMA_NODES: usize = 200_000;
const SCHEMA_NODES_PER_OPERATION: usize = 24;
const MAX_DOCUMENT_SCHEMA_NODES: usize = 1_000_000;
/// How far into a document its `openapi`/`swagger` field is looked for, to tell a broken spec
/// (reported) from some other JSON at a spec path (ignored).
const SPEC_MARKER_WINDOW: usize = 4096;
/// YAML flow nesting read: serde_yaml_ng's own recursion limit.
const MAX_YAML_FLOW_DEPTH: usize = 128;

#[derive(Debug, Clone)]
pub struct ApiSpec {
    /// `3.1.0`, `2.0`…
    pub version: String,
    pub operations: Vec<Operation>,
    /// The base path every operation's path starts with: the path part of the first server URL
    /// (or `basePath`), `""` for the root. See [`ApiSpec::rebase`].
    pub base: String,
    /// The path parts of every server URL the spec names, first server first: where else the
    /// API may be mounted.
    pub server_bases: Vec<String>,
    /// Operations declared with neither a request nor a response schema (or whose schemas were
    /// past the document's schema budget): the property checks cannot judge them.
    pub without_schema: usize,
}

impl ApiSpec {
    /// Moves every operation from [`ApiSpec::base`] to `base`: a spec written for the production
    /// gateway (`https://api.example.com/v1`) describes an app served at `/` here.
    pub fn rebase(&mut self, base: &str) {
        let base = base.trim_end_matches('/');
        for op in &mut self.operations {
            let rest = op.path.strip_prefix(self.base.as_str()).unwrap_or(&op.path).to_string();
            op.path = join_path(base, &rest);
        }
        self.base = base.to_string();
    }
}

#[derive(Debug, Clone)]
pub struct Operation {
    /// Full path template including the spec's base path.
    pub path: String,
    pub method: String,
    pub params: Vec<Param>,
    pub security_declared: bool,
    pub deprecated: bool,
    pub tags: Vec<String>,
    /// `summary`, or the first line of `description`.
    pub summary: String,
    pub operation_id: Option<String>,
    /// OAuth scopes named by the operation's (or the document's) security requirements.
    pub scopes: Vec<String>,
    /// What a successful (2xx, else `default`) JSON response is declared to hold.
    pub response: Option<Schema>,
    /// What the request body is declared to hold (JSON, else a form encoding).
    pub request: Option<Schema>,
    /// How [`Operation::request`] is encoded: JSON unless the spec only offers a form encoding.
    pub request_encoding: Option<BodyEncoding>,
    /// Names of the parameters the spec marks `required` (path parameters always are).
    pub required_params: Vec<String>,
}

/// A body's declared shape, reduced to what property checks and the request builder need:
/// declared properties (with `readOnly`/`writeOnly`), array items, whether undeclared keys are
/// allowed, and the facts a well-formed value is built from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    pub properties: BTreeMap<String, Schema>,
    /// Undeclared keys are allowed: no properties declared, or `additionalProperties` is `true` or
    /// a schema.
    pub open: bool,
    pub items: Option<Box<Schema>>,
    pub read_only: bool,
    pub write_only: bool,
    /// `type` (the first non-null one when it is a list).
    pub kind: Option<String>,
    /// `format`: `email`, `date`, `date-time`, `uuid`, `uri`, `int64`…
    pub format: Option<String>,
    /// `enum` values as declared.
    pub enum_values: Vec<Value>,
    /// `example`, or the first of `examples`.
    pub example: Option<Value>,
    pub default: Option<Value>,
    /// Properties the object requires.
    pub required: Vec<String>,
    pub min_length: Option<u64>,
    pub minimum: Option<i64>,
}

/// Parses a document that must be OpenAPI 3.x or Swagger 2.0.
/// The document is parsed once into operations and the parsed tree dropped; both parsers stop at
/// a nesting depth of 128 (serde_json's and serde_yaml_ng's recursion limits), and YAML aliases are
/// expanded only within serde_yaml_ng's repetition limit, so a hostile document ends in an error.
pub fn parse(bytes: &[u8]) -> Result<ApiSpec, ScanError> {
    read_operations(read_tree(bytes)?)
}

/// [`parse`] for a document its caller is done with: the raw text is dropped as soon as it is
/// parsed, so the text, the parsed tree and the operations are never all held at once (a 50 MB
/// spec would otherwise cost several times its size).
pub fn parse_owned<B: AsRef<[u8]>>(bytes: B) -> Result<ApiSpec, ScanError> {
    let root = read_tree(bytes.as_ref())?;
    drop(bytes);
    read_operations(root)
}

/// The document as a JSON tree (YAML read into the same tree), within the parsers' limits.
fn read_tree(bytes: &[u8]) -> Result<Value, ScanError> {
    let root: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        // A document that starts like JSON is JSON: its own error says what is wrong.
        Err(e) if bytes.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|b| matches!(b, b'{' | b'[')) => {
            return Err(ScanError::Spec(format!("invalid JSON ({e})")));
        }
        Err(_) if flow_depth(bytes) > MAX_YAML_FLOW_DEPTH => {
            return Err(ScanError::Spec(format!("YAML nested deeper than {MAX_YAML_FLOW_DEPTH} levels")));
        }
        Err(_) => {
            serde_yaml_ng::from_slice(bytes).map_err(|e| ScanError::Spec(format!("neither JSON nor YAML ({e})")))?
        }
    };
    Ok(root)
}

/// The operations of a parsed document; the tree is dropped when they are read.
fn read_operations(root: Value) -> Result<ApiSpec, ScanError> {
    let version = match (root.get("openapi"), root.get("swagger")) {
        (Some(Value::String(v)), _) if v.starts_with("3.") => v.clone(),
        (_, Some(Value::String(v))) if v == "2.0" => v.clone(),
        (_, Some(Value::Number(n))) if n.as_f64() == Some(2.0) => "2.0".to_string(),
        _ => {
            return Err(ScanError::Spec(
                "not an OpenAPI 3.x or Swagger 2.0 document (no `openapi: 3.x` or `swagger: \"2.0\"` field)".into(),
            ))
        }
    };
    let Some(paths) = root.get("paths").and_then(Value::as_object) else {
        return Err(ScanError::Spec("the document has no `paths` object".into()));
    };
    let server_bases = server_bases(&root);
    let base = server_bases.first().cloned().unwrap_or_default();
    let global_security = declares_security(root.get("security"));

    let declared: usize =
        paths.values().map(|item| METHODS.iter().filter(|m| resolve(&root, item).get(**m).is_some()).count()).sum();
    let mut operations = Vec::new();
    let mut schema_budget =
        (declared * SCHEMA_NODES_PER_OPERATION).clamp(MIN_DOCUMENT_SCHEMA_NODES, MAX_DOCUMENT_SCHEMA_NODES);
    for (path, item) in paths {
        let item = resolve(&root, item);
        let shared_params = item.get("parameters");
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let op = resolve(&root, op);
            let mut params = Vec::new();
            for list in [shared_params, op.get("parameters")].into_iter().flatten() {
                for p in list.as_array().into_iter().flatten() {
                    if let Some(param) = read_param(&root, resolve(&root, p)) {
                        params.retain(|q: &Param| !(q.name == param.name && q.location == param.location));
                        params.push(param);
                    }
                }
            }
            let security_declared = match op.get("security") {
                Some(s) => declares_security(Some(s)),
                None => global_security,
            };
            let text = |key: &str| op.get(key).and_then(Value::as_str).map(str::to_string);
            let summary = text("summary")
                .or_else(|| text("description").map(|d| d.lines().next().unwrap_or("").to_string()))
                .unwrap_or_default();
            let body_param = [shared_params, op.get("parameters")]
                .into_iter()
                .flatten()
                .flat_map(|list| list.as_array().into_iter().flatten())
                .map(|p| resolve(&root, p))
                .find(|p| p.get("in").and_then(Value::as_str) == Some("body"))
                .and_then(|p| p.get("schema"));
            let request_body = op.get("requestBody").map(|b| resolve(&root, b));
            let (request_node, request_encoding) = match request_body.and_then(json_content_schema) {
                Some(s) => (Some(s), Some(BodyEncoding::Json)),
                None => match request_body.and_then(form_content_schema) {
                    Some((s, encoding)) => (Some(s), Some(encoding)),
                    None => (body_param, body_param.map(|_| BodyEncoding::Json)),
                },
            };
            let request = request_node.and_then(|s| read_schema_within(&root, s, &mut schema_budget));
            let request_encoding = request.as_ref().and(request_encoding);
            let required_params = [shared_params, op.get("parameters")]
                .into_iter()
                .flatten()
                .flat_map(|list| list.as_array().into_iter().flatten())
                .map(|p| resolve(&root, p))
                .filter(|p| {
                    p.get("required").and_then(Value::as_bool).unwrap_or(false)
                        || p.get("in").and_then(Value::as_str) == Some("path")
                })
                .filter_map(|p| p.get("name").and_then(Value::as_str).map(str::to_string))
                .collect();
            let response = success_response(&root, op).and_then(|s| read_schema_within(&root, s, &mut schema_budget));
            operations.push(Operation {
                path: join_path(&base, path),
                method: method.to_ascii_uppercase(),
                params,
                security_declared,
                deprecated: op.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
                tags: op
                    .get("tags")
                    .and_then(Value::as_array)
                    .map(|t| t.iter().filter_map(Value::as_str).map(str::to_string).collect())
                    .unwrap_or_default(),
                summary,
                operation_id: text("operationId"),
                scopes: scopes(op.get("security").or_else(|| root.get("security"))),
                response,
                request,
                request_encoding,
                required_params,
            });
        }
    }
    let without_schema = operations.iter().filter(|o| o.request.is_none() && o.response.is_none()).count();
    Ok(ApiSpec { version, operations, base, server_bases, without_schema })
}

/// The path part of each `servers[].url` (3.x), or `basePath` (2.0); `[""]` for the root. A server
/// URL with variables (`{basePath}`) is unusable without them and counts as the root.
fn server_bases(root: &Value) -> Vec<String> {
    let urls: Vec<&str> = match root.get("servers").and_then(Value::as_array) {
        Some(servers) => servers.iter().filter_map(|s| s.get("url").and_then(Value::as_str)).collect(),
        None => root.get("basePath").and_then(Value::as_str).into_iter().collect(),
    };
    let mut bases: Vec<String> = Vec::new();
    for raw in urls {
        let path = match url::Url::parse(raw) {
            Ok(u) => u.path().to_string(),
            Err(_) => raw.to_string(),
        };
        let base = if path.contains('{') || !path.starts_with('/') {
            String::new()
        } else {
            path.trim_end_matches('/').into()
        };
        if !bases.contains(&base) {
            bases.push(base);
        }
    }
    if bases.is_empty() {
        bases.push(String::new());
    }
    bases
}

fn join_path(base: &str, path: &str) -> String {
    let path = if path.starts_with('/') { path.to_string() } else { format!("/{path}") };
    format!("{base}{path}")
}

/// `security: [{}]` (an empty requirement) means "no auth", so at least one named scheme is needed.
fn declares_security(value: Option<&Value>) -> bool {
    value
        .and_then(Value::as_array)
        .is_some_and(|reqs| reqs.iter().any(|r| r.as_object().is_some_and(|o| !o.is_empty())))
}

/// Every scope named in a list of security requirements.
fn scopes(value: Option<&Value>) -> Vec<String> {
    let mut out: Vec<String> = value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .flat_map(|req| req.values())
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The schema of the first 2xx response (else `default`): `content` (3.x) or `schema` (2.0).
fn success_response<'a>(root: &'a Value, op: &'a Value) -> Option<&'a Value> {
    let responses = op.get("responses")?.as_object()?;
    let mut codes: Vec<&String> = responses.keys().filter(|c| c.starts_with('2')).collect();
    codes.sort();
    let response = codes.first().and_then(|c| responses.get(c.as_str())).or_else(|| responses.get("default"))?;
    let response = resolve(root, response);
    json_content_schema(response).or_else(|| response.get("schema"))
}

/// The schema of a `content` map's JSON media type (`application/json`, `…+json`, or `*/*`).
fn json_content_schema(node: &Value) -> Option<&Value> {
    let content = node.get("content")?.as_object()?;
    content
        .iter()
        .find(|(media, _)| media.contains("json"))
        .or_else(|| content.iter().find(|(media, _)| media.as_str() == "*/*"))
        .and_then(|(_, m)| m.get("schema"))
}

/// The schema of a `content` map's form media type (`application/x-www-form-urlencoded`,
/// `multipart/form-data`), with its encoding.
fn form_content_schema(node: &Value) -> Option<(&Value, BodyEncoding)> {
    let content = node.get("content")?.as_object()?;
    content.iter().find_map(|(media, m)| {
        let encoding = if media.starts_with("application/x-www-form-urlencoded") {
            BodyEncoding::Form
        } else if media.starts_with("multipart/form-data") {
            BodyEncoding::Multipart
        } else {
            return None;
        };
        Some((m.get("schema")?, encoding))
    })
}

/// The deepest nesting of YAML flow collections (`[`, `{`), quotes ignored. The YAML parser
/// underneath serde_yaml_ng takes minutes over a million nested `[` before its depth limit applies,
/// so such a document is refused before it is parsed; a bracket inside a quoted string only makes
/// the count higher, never lower, and no real spec comes near the limit.
fn flow_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for b in bytes {
        match b {
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Whether a document that did not parse says it is an API description.
pub fn looks_like_spec(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(SPEC_MARKER_WINDOW)]).to_ascii_lowercase();
    head.contains("openapi") || head.contains("swagger")
}

/// Reads a body schema: `$ref`s followed, `allOf`/`oneOf`/`anyOf` merged (the union of what the
/// parts declare: a scanner must not call a property undeclared that one branch declares).
pub fn read_schema(root: &Value, node: &Value) -> Schema {
    let mut budget = MAX_SCHEMA_NODES;
    walk_schema(root, node, 0, &mut budget)
}

/// [`read_schema`] charged to the document's budget; `None` once it is spent.
fn read_schema_within(root: &Value, node: &Value, total: &mut usize) -> Option<Schema> {
    if *total == 0 {
        return None;
    }
    let mut budget = MAX_SCHEMA_NODES.min(*total);
    let start = budget;
    let schema = walk_schema(root, node, 0, &mut budget);
    *total -= start - budget;
    Some(schema)
}

fn walk_schema(root: &Value, node: &Value, depth: usize, budget: &mut usize) -> Schema {
    let node = resolve(root, node);
    if depth >= MAX_SCHEMA_DEPTH || *budget == 0 {
        return Schema { open: true, ..Schema::default() };
    }
    *budget -= 1;
    let flag = |key: &str| node.get(key).and_then(Value::as_bool).unwrap_or(false);
    let text = |key: &str| node.get(key).and_then(Value::as_str).map(str::to_string);
    let mut schema = Schema {
        read_only: flag("readOnly"),
        write_only: flag("writeOnly"),
        kind: node
            .get("type")
            .and_then(|t| t.as_str().or_else(|| t.as_array()?.iter().filter_map(Value::as_str).find(|t| *t != "null")))
            .map(str::to_string),
        format: text("format"),
        enum_values: node.get("enum").and_then(Value::as_array).cloned().unwrap_or_default(),
        example: node
            .get("example")
            .or_else(|| node.get("examples").and_then(|e| e.as_array()?.first()))
            .filter(|e| !e.is_object() || e.get("value").is_none())
            .cloned(),
        default: node.get("default").cloned(),
        required: node
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default(),
        min_length: node.get("minLength").and_then(Value::as_u64),
        minimum: node.get("minimum").and_then(Value::as_i64),
        ..Schema::default()
    };
    let mut open = matches!(node.get("additionalProperties"), Some(Value::Bool(true) | Value::Object(_)));
    for key in ["allOf", "oneOf", "anyOf"] {
        for part in node.get(key).and_then(Value::as_array).into_iter().flatten() {
            let part = walk_schema(root, part, depth + 1, budget);
            // A branch that declares nothing (`{type: object}`) says nothing about keys.
            open |= part.open && !part.properties.is_empty();
            schema.properties.extend(part.properties);
            schema.required.extend(part.required);
            schema.kind = schema.kind.or(part.kind);
            schema.format = schema.format.or(part.format);
            schema.example = schema.example.or(part.example);
            if schema.enum_values.is_empty() {
                schema.enum_values = part.enum_values;
            }
            if schema.items.is_none() {
                schema.items = part.items;
            }
        }
    }
    if let Some(props) = node.get("properties").and_then(Value::as_object) {
        for (name, prop) in props {
            schema.properties.insert(name.clone(), walk_schema(root, prop, depth + 1, budget));
        }
    }
    if let Some(items) = node.get("items") {
        schema.items = Some(Box::new(walk_schema(root, items, depth + 1, budget)));
    }
    schema.open = open || schema.properties.is_empty();
    schema
}

/// Follows local `$ref`s; an unresolvable or cyclic one yields the node itself.
fn resolve<'a>(root: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..MAX_REF_HOPS {
        let Some(reference) = node.get("$ref").and_then(Value::as_str) else { return node };
        let Some(pointer) = reference.strip_prefix('#') else { return node };
        match root.pointer(pointer) {
            Some(target) => node = target,
            None => return node,
        }
    }
    node
}

fn read_param(root: &Value, p: &Value) -> Option<Param> {
    let name = p.get("name")?.as_str()?.to_string();
    let location = match p.get("in")?.as_str()? {
        "path" => ParamLocation::Path,
        "query" => ParamLocation::Query,
        "header" => ParamLocation::Header,
        "body" | "formData" => ParamLocation::Body,
        _ => return None,
    };
    let schema = p.get("schema").map(|s| resolve(root, s));
    let kind = schema
        .and_then(|s| s.get("type"))
        .or_else(|| p.get("type"))
        .and_then(|t| t.as_str().or_else(|| t.as_array()?.first()?.as_str()))
        .map(str::to_string);
    let example = [
        p.get("example"),
        p.get("x-example"),
        schema.and_then(|s| s.get("example")),
        schema.and_then(|s| s.get("default")),
        schema.and_then(|s| s.pointer("/enum/0")),
        p.get("examples").and_then(|e| e.as_object()?.values().next()?.get("value")),
    ]
    .into_iter()
    .flatten()
    .find_map(scalar_text);
    Some(Param { name, location, kind, example })
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_openapi_3_with_refs_and_servers() {
        let doc = br##"{
          "openapi": "3.1.0",
          "servers": [{"url": "http://127.0.0.1:5000/api/v1/"}],
          "security": [{"apiKey": []}],
          "components": {"parameters": {"UserId": {"name": "user_id", "in": "path", "schema": {"type": "integer", "example": 7}}}},
          "paths": {
            "/users/{user_id}": {"get": {"parameters": [{"$ref": "#/components/parameters/UserId"}]}},
            "/health": {"get": {"security": [{}]}, "delete": {"deprecated": true}}
          }
        }"##;
        let spec = parse(doc).expect("valid spec");
        assert_eq!(spec.version, "3.1.0");
        let user = spec.operations.iter().find(|o| o.path == "/api/v1/users/{user_id}").expect("user op");
        assert!(user.security_declared);
        assert_eq!(user.params[0].example.as_deref(), Some("7"));
        assert_eq!(user.params[0].kind.as_deref(), Some("integer"));
        let health = spec.operations.iter().find(|o| o.path == "/api/v1/health" && o.method == "GET").expect("health");
        assert!(!health.security_declared, "security: [{{}}] means anonymous");
        assert!(spec.operations.iter().any(|o| o.method == "DELETE" && o.deprecated));
    }

    #[test]
    fn a_spec_for_a_gateway_moves_to_where_the_app_is_served() {
        let doc = br##"{
          "openapi": "3.0.3",
          "servers": [{"url": "https://api.example.com/v1"}, {"url": "http://localhost:8000"}, {"url": "/{basePath}"}],
          "paths": {"/employees/{id}": {"get": {}}}
        }"##;
        let mut spec = parse(doc).expect("valid spec");
        assert_eq!(spec.server_bases, vec!["/v1".to_string(), String::new()]);
        assert_eq!(spec.operations[0].path, "/v1/employees/{id}");
        spec.rebase("");
        assert_eq!(spec.operations[0].path, "/employees/{id}");
        spec.rebase("/api/");
        assert_eq!((spec.base.as_str(), spec.operations[0].path.as_str()), ("/api", "/api/employees/{id}"));
    }

    #[test]
    fn reads_swagger_2_yaml() {
        let doc = b"swagger: '2.0'\nbasePath: /v2\npaths:\n  /pets/{id}:\n    get:\n      parameters:\n        - {name: id, in: path, type: integer, x-example: 3}\n";
        let spec = parse(doc).expect("valid swagger");
        assert_eq!(spec.operations[0].path, "/v2/pets/{id}");
        assert_eq!(spec.operations[0].params[0].example.as_deref(), Some("3"));
    }

    #[test]
    fn rejects_documents_that_are_not_specs() {
        assert!(parse(b"{\"hello\": \"world\"}").is_err());
        assert!(parse(b"<html><body>hi</body></html>").is_err());
        assert!(parse(b"openapi: 3.0.0\ninfo: {}\n").is_err(), "no paths");
    }

    #[test]
    fn reads_response_and_request_schemas() {
        let doc = br##"{
          "openapi": "3.0.3",
          "security": [{"oauth": ["users:read"]}],
          "components": {
            "schemas": {
              "Base": {"type": "object", "properties": {"id": {"type": "integer"}}},
              "User": {"allOf": [{"$ref": "#/components/schemas/Base"}, {"type": "object", "properties": {
                "email": {"type": "string"}, "password": {"type": "string", "writeOnly": true},
                "friends": {"type": "array", "items": {"$ref": "#/components/schemas/User"}}}}]}
            },
            "responses": {"UserOk": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}}}
          },
          "paths": {
            "/users/{id}": {
              "get": {"tags": ["admin"], "summary": "Read a user", "operationId": "getUser",
                      "security": [{"oauth": ["admin:read"]}], "responses": {"200": {"$ref": "#/components/responses/UserOk"}}},
              "patch": {"requestBody": {"content": {"application/merge-patch+json": {"schema": {
                "type": "object", "additionalProperties": false, "properties": {"email": {"type": "string"}}}}}},
                "responses": {"default": {"description": "x", "content": {"*/*": {"schema": {"type": "object", "additionalProperties": true}}}}}}
            }
          }
        }"##;
        let spec = parse(doc).expect("valid spec");
        let get = spec.operations.iter().find(|o| o.method == "GET").expect("get");
        assert_eq!(get.tags, vec!["admin"]);
        assert_eq!(get.summary, "Read a user");
        assert_eq!(get.operation_id.as_deref(), Some("getUser"));
        assert_eq!(get.scopes, vec!["admin:read"]);
        let user = get.response.as_ref().expect("response schema");
        assert!(!user.open);
        assert!(user.properties["password"].write_only);
        assert!(user.properties.contains_key("id"), "allOf parts merge");
        let friend = user.properties["friends"].items.as_deref().expect("items");
        assert!(friend.properties.contains_key("email"), "recursive refs are followed to a depth");
        let patch = spec.operations.iter().find(|o| o.method == "PATCH").expect("patch");
        assert_eq!(patch.scopes, vec!["users:read"], "the document's requirement applies");
        let request = patch.request.as_ref().expect("request schema");
        assert_eq!(request.properties.keys().collect::<Vec<_>>(), vec!["email"]);
        assert!(patch.response.as_ref().expect("default response").open);
    }

    #[test]
    fn swagger_2_body_and_response_schemas() {
        let doc = b"swagger: '2.0'\npaths:\n  /me:\n    put:\n      parameters:\n        - {name: body, in: body, schema: {type: object, properties: {name: {type: string}}}}\n      responses:\n        '200': {description: ok, schema: {type: object, properties: {name: {type: string}}}}\n";
        let spec = parse(doc).expect("valid swagger");
        let op = &spec.operations[0];
        assert!(op.request.as_ref().expect("body").properties.contains_key("name"));
        assert!(op.response.as_ref().expect("response").properties.contains_key("name"));
    }

    #[test]
    fn cyclic_refs_do_not_hang() {
        let doc = br##"{"openapi":"3.0.0","paths":{"/a":{"$ref":"#/paths/~1a"}}}"##;
        assert!(parse(doc).is_ok());
        // Twenty self-references per level: without the node budget, 20^8 nodes.
        let props: Vec<String> =
            (0..20).map(|i| format!(r##""p{i}": {{"$ref": "#/components/schemas/T"}}"##)).collect();
        let doc = format!(
            r##"{{"openapi":"3.0.0","components":{{"schemas":{{"T":{{"type":"object","properties":{{{}}}}}}}}},"paths":{{"/t":{{"get":{{"responses":{{"200":{{"content":{{"application/json":{{"schema":{{"$ref":"#/components/schemas/T"}}}}}}}}}}}}}}}}}}"##,
            props.join(",")
        );
        let spec = parse(doc.as_bytes()).expect("valid spec");
        assert!(spec.operations[0].response.as_ref().expect("schema").properties.contains_key("p19"));
    }

    #[test]
    fn reads_what_a_request_builder_needs() {
        let doc = br##"{
          "openapi": "3.1.0",
          "components": {"schemas": {
            "Plan": {"type": "string", "enum": ["starter", "team"]},
            "Signup": {"type": "object", "required": ["email", "plan"], "properties": {
              "email": {"type": "string", "format": "email"},
              "plan": {"$ref": "#/components/schemas/Plan"},
              "seats": {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}], "default": 3},
              "nickname": {"type": ["string", "null"], "minLength": 4, "examples": ["ada"]}}}}},
          "paths": {
            "/signup": {"post": {"requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Signup"}}}}}},
            "/upload": {"post": {"requestBody": {"content": {"multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}}}}}},
            "/search": {"get": {"parameters": [{"name": "q", "in": "query", "required": true}, {"name": "page", "in": "query"}]}}
          }
        }"##;
        let spec = parse(doc).expect("valid spec");
        let signup = spec.operations.iter().find(|o| o.path == "/signup").expect("signup");
        let body = signup.request.as_ref().expect("body");
        assert_eq!(signup.request_encoding, Some(BodyEncoding::Json));
        assert_eq!(body.required, vec!["email", "plan"]);
        assert_eq!(body.properties["email"].format.as_deref(), Some("email"));
        assert_eq!(body.properties["plan"].enum_values, vec![Value::from("starter"), Value::from("team")]);
        assert_eq!(body.properties["seats"].kind.as_deref(), Some("integer"));
        assert_eq!(body.properties["seats"].default, Some(Value::from(3)));
        assert_eq!(body.properties["nickname"].kind.as_deref(), Some("string"), "null is not the type");
        assert_eq!(body.properties["nickname"].example, Some(Value::from("ada")));
        assert_eq!(body.properties["nickname"].min_length, Some(4));
        let upload = spec.operations.iter().find(|o| o.path == "/upload").expect("upload");
        assert_eq!(upload.request_encoding, Some(BodyEncoding::Multipart));
        let search = spec.operations.iter().find(|o| o.path == "/search").expect("search");
        assert_eq!(search.required_params, vec!["q"]);
        assert_eq!(search.request_encoding, None);
    }
}
