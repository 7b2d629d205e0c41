//! The REST API under `/api/v1`: JSON in and out, `Authorization: Bearer <token>` on every route
//! but `/api/v1/openapi.json`, and every error `{"error": "…"}` with its status.
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{from_fn_with_state, map_response};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use leakprobe_mcp::Settings;
use serde_json::json;

use crate::db::Db;
use crate::jobs::Queue;
use crate::secrets::SecretKey;
use crate::{alerting, auth, scans, targets, ServerError};

/// What every handler shares.
#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub queue: Queue,
    pub scope: Arc<Settings>,
    pub key: Option<SecretKey>,
}

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError { status, message: message.into() }
    }
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, message)
    }
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, message)
    }
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }
    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, message)
    }
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
    pub fn message(&self) -> &str {
        &self.message
    }
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<ServerError> for ApiError {
    fn from(error: ServerError) -> ApiError {
        match error {
            ServerError::Usage(m) => ApiError::bad_request(m),
            // Database messages can quote SQL and values: logged here, summarised to the client.
            ServerError::Db(m) => {
                tracing::error!("database: {m}");
                ApiError::internal("database error (see the server's log)")
            }
            other => ApiError::internal(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(json!({ "error": self.message }))).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// A JSON body, or a 400 that says what is wrong without quoting what was sent (a request body
/// can hold identity secrets, and error messages end up in logs).
pub fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(v)| v).map_err(|rejection| {
        let status = rejection.status();
        let text = unquote(&rejection.body_text());
        ApiError::new(if status.is_client_error() { status } else { StatusCode::BAD_REQUEST }, text)
    })
}

/// `invalid type: string "s3cret", expected a sequence` → `invalid type: string "…", expected a sequence`.
fn unquote(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut inside = false;
    for c in text.chars() {
        if c == '"' {
            if !inside {
                out.push_str("\"…\"");
            }
            inside = !inside;
        } else if !inside {
            out.push(c);
        }
    }
    out
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such route; GET /api/v1/openapi.json describes the API")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method not allowed on this route")
}

const OPENAPI: &str = include_str!("../data/openapi.json");

/// The API's description is public, like any API's documentation; it holds no data.
async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// Headers every response carries: nothing here is meant to be framed, sniffed or cached.
async fn harden(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Not `no-referrer`: under it browsers send `Origin: null` on the dashboard's own form posts,
    // which the CSRF check must refuse; `same-origin` still gives other sites nothing.
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"));
    response
}

pub fn router(app: App) -> Router {
    let api = Router::new()
        .route("/targets", get(targets::list).post(targets::create))
        .route("/targets/{id}", get(targets::get).put(targets::update).delete(targets::delete))
        .route("/targets/{id}/alerts/test", post(alerting::test_route))
        .route("/targets/{id}/alerts/deliveries", get(alerting::deliveries_route))
        .route("/scans", get(scans::list).post(scans::create))
        .route("/scans/{id}", get(scans::get))
        .route("/scans/{id}/events", get(scans::events))
        .route("/scans/{id}/diff/{other}", get(scans::diff))
        .route("/scans/{id}/{file}", get(scans::report))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .route_layer(from_fn_with_state(app.clone(), auth::require_token));
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .nest("/api/v1", api)
        .merge(crate::web::router(app.clone()))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(map_response(harden))
        .with_state(app)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejection_messages_do_not_quote_the_body() {
        assert_eq!(
            unquote(r#"invalid type: string "alice=bearer:s3cret", expected a sequence at line 1"#),
            r#"invalid type: string "…", expected a sequence at line 1"#
        );
    }

    #[test]
    fn the_api_description_is_json() {
        let spec: serde_json::Value = serde_json::from_str(OPENAPI).expect("openapi.json");
        assert_eq!(spec["openapi"], "3.1.0");
    }
}
