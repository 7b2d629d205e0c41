//! OpenAPI 3.0/3.1 and Swagger 2.0 documents, JSON or YAML, read into operations.
//!
//! Written over a generic JSON tree rather than a typed OpenAPI crate: the typed crates cover one
//! version each, and a scanner must read all three versions and tolerate sloppy real-world specs.
//! Only local `$ref`s (`#/…`) are followed; a scanner never fetches references elsewhere.
use serde_json::Value;

use crate::error::ScanError;
use crate::inventory::{Param, ParamLocation};

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const MAX_REF_HOPS: usize = 16;

#[derive(Debug, Clone)]
pub struct ApiSpec {
    /// `3.1.0`, `2.0`…
    pub version: String,
    pub operations: Vec<Operation>,
}

#[derive(Debug, Clone)]
pub struct Operation {
    /// Full path template including the spec's base path.
    pub path: String,
    pub method: String,
    pub params: Vec<Param>,
    pub security_declared: bool,
    pub deprecated: bool,
}

/// Parses a document that must be OpenAPI 3.x or Swagger 2.0.
pub fn parse(bytes: &[u8]) -> Result<ApiSpec, ScanError> {
    let root: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(_) => serde_yaml_ng::from_slice(bytes)
            .map_err(|e| ScanError::Spec(format!("neither JSON nor YAML ({e})")))?,
    };
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
    let base = base_path(&root);
    let global_security = declares_security(root.get("security"));

    let mut operations = Vec::new();
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
            operations.push(Operation {
                path: join_path(&base, path),
                method: method.to_ascii_uppercase(),
                params,
                security_declared,
                deprecated: op.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
            });
        }
    }
    Ok(ApiSpec { version, operations })
}

/// The path part of `servers[0].url` (3.x) or `basePath` (2.0); `""` for the root.
fn base_path(root: &Value) -> String {
    let raw = root
        .pointer("/servers/0/url")
        .or_else(|| root.get("basePath"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let path = match url::Url::parse(raw) {
        Ok(u) => u.path().to_string(),
        Err(_) => raw.to_string(),
    };
    // Server URLs may hold variables ({basePath}); a templated base is unusable without them.
    if path.contains('{') || !path.starts_with('/') {
        return String::new();
    }
    path.trim_end_matches('/').to_string()
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
    fn cyclic_refs_do_not_hang() {
        let doc = br##"{"openapi":"3.0.0","paths":{"/a":{"$ref":"#/paths/~1a"}}}"##;
        assert!(parse(doc).is_ok());
    }
}
