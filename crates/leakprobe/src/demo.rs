//! `leakprobe demo`: a small, deliberately careless API embedded in the binary, answering the way a
//! Flask app in debug mode would, so the first run needs nothing but this binary. All data is
//! synthetic.
use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::net::TcpListener;

const SERVER: &str = "Werkzeug/3.0.1 Python/3.11.4";

fn users() -> Value {
    json!([
        {"id": 1, "name": "Maria Lopez", "email": "maria.lopez@fastmail.fm", "phone": "+1 415-555-0132",
         "ssn": "536-22-8410", "card_number": "4539 1488 0343 6467", "dob": "1984-03-12",
         "password_hash": "$2b$12$KIXQJ8m1u0x0Jc7sYwq4eO1Yk1r8N0v7Q9bq3ZQ8m1u0x0Jc7sYwq4e",
         "address": {"street": "1 Harbor Way", "city": "Oakland", "zip": "94607"}},
        {"id": 2, "name": "Tom Becker", "email": "t.becker@posteo.de", "phone": "+49 30 901820",
         "ssn": "412-67-2291", "card_number": "5425 2334 3010 9903", "dob": "1979-11-02",
         "password_hash": "$2b$12$Vh3mY8kq2aJ9sL1dP0eRfuQ7wX4zT6bN5cM2vK8jH1gF3dS9aZ0yO",
         "address": {"street": "Torstr. 12", "city": "Berlin", "zip": "10119"}}
    ])
}

async fn index() -> Json<Value> {
    Json(json!({
        "service": "acme-crm",
        "docs": "/openapi.json",
        "links": {"users": "/api/users", "user": "/api/users/1", "orders": "/api/orders/1001", "health": "/api/health"}
    }))
}

async fn list_users(headers: HeaderMap) -> Response {
    // Careless CORS: any origin is echoed back, with credentials allowed.
    let mut response = Json(users()).into_response();
    if let Some(origin) = headers.get(header::ORIGIN) {
        response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
    }
    response
}

async fn get_user(Path(id): Path<String>) -> Response {
    let all = users();
    match id.parse::<usize>().ok().and_then(|i| all.as_array()?.iter().find(|u| u["id"] == i).cloned()) {
        Some(user) => Json(user).into_response(),
        None => traceback(&format!("KeyError: '{id}'"), "users = USERS[user_id]"),
    }
}

async fn get_order(Path(id): Path<String>) -> Response {
    if id.parse::<u32>().is_ok() {
        return Json(json!({"id": id, "status": "shipped", "total": "129.90", "customer": "maria.lopez@fastmail.fm"}))
            .into_response();
    }
    let body = format!(
        "sqlalchemy.exc.DataError: (psycopg2.errors.InvalidTextRepresentation) invalid input syntax for type integer: \"{id}\"\n\
         [SQL: SELECT orders.id, orders.customer_email, orders.card_last4 FROM orders WHERE orders.id = %(id_1)s AND orders.customer_email = %(email_1)s]\n\
         [parameters: {{'id_1': '{id}', 'email_1': 'maria.lopez@fastmail.fm'}}]\n\
         (Background on this error at: https://sqlalche.me/e/20/9h9h)"
    );
    (StatusCode::INTERNAL_SERVER_ERROR, [(header::CONTENT_TYPE, "text/plain")], body).into_response()
}

fn traceback(error: &str, line: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html><head><title>{error} // Werkzeug Debugger</title></head><body>\
         <h1>{error}</h1><div class=\"traceback\"><h3>Traceback <em>(most recent call last)</em>:</h3>\
         <pre>File \"/srv/acme/app.py\", line 42, in get_user\n    {line}</pre></div>\
         <p>The debugger caught an exception in your WSGI application.</p>\
         <script>var CONSOLE_MODE = false, EVALEX = true, EVALEX_TRUSTED = false, SECRET = \"Xk3pZqL9aR2mT7vB1cWd\";</script>\
         <!--\n\nTraceback (most recent call last):\n  File \"/srv/acme/app.py\", line 42, in get_user\n    {line}\n{error}\n\n-->\
         </body></html>"
    );
    (StatusCode::INTERNAL_SERVER_ERROR, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

async fn health() -> Json<Value> {
    Json(json!({"status": "ok", "version": "1.4.2", "db_host": "10.0.3.12", "debug": true}))
}

async fn env_file() -> Response {
    let body = "FLASK_DEBUG=1\nSECRET_KEY=8f2c1e9a7b3d4f60a1c2e3b4d5f6a7b8\nDATABASE_URL=postgresql://crm:Winter2024!@10.0.3.12/crm\nSTRIPE_KEY=sk_live_51HxQeKJ2v9wPq7LmN3bT8rYc\n";
    ([(header::CONTENT_TYPE, "application/octet-stream")], body).into_response()
}

async fn spec() -> Json<Value> {
    Json(json!({
        "openapi": "3.0.3",
        "info": {"title": "acme-crm", "version": "1.4.2"},
        "paths": {
            "/api/users": {"get": {"summary": "List users"}},
            "/api/users/{user_id}": {"get": {"parameters": [{"name": "user_id", "in": "path", "required": true, "schema": {"type": "integer", "example": 1}}]}},
            "/api/orders/{order_id}": {"get": {"parameters": [{"name": "order_id", "in": "path", "required": true, "schema": {"type": "integer", "example": 1001}}]}},
            "/api/health": {"get": {}}
        }
    }))
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"error": "not found"}))).into_response()
}

pub fn app() -> Router {
    Router::new()
        .route("/", get(index))
        .route("/openapi.json", get(spec))
        .route("/api/users", get(list_users))
        .route("/api/users/{id}", get(get_user))
        .route("/api/orders/{id}", get(get_order))
        .route("/api/health", get(health))
        .route("/.env", get(env_file))
        .fallback(not_found)
        .layer(axum::middleware::map_response(|mut response: Response| async move {
            response.headers_mut().insert(header::SERVER, HeaderValue::from_static(SERVER));
            response
        }))
}

/// Serves the demo API on 127.0.0.1 with a free port; returns its base URL and the server task.
pub async fn start() -> std::io::Result<(String, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app()).await;
    });
    Ok((format!("http://{addr}"), task))
}
