//! The home page: one URL box that starts a scan, and the recent scans.
use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;
use serde_json::Value;

use crate::api::App;
use crate::scans::{self, ListQuery, ScanInput};
use crate::web::layout::{esc, page, Nav, PageError};
use crate::web::session::Session;

const RECENT: u32 = 20;

/// A form that did not parse is the browser's (or a script's) mistake: a 400 page.
pub fn form<T>(form: Result<Form<T>, FormRejection>) -> Result<T, PageError> {
    form.map(|Form(v)| v).map_err(|e| PageError::new(StatusCode::BAD_REQUEST, e.body_text()))
}

pub async fn show(State(app): State<App>, Extension(session): Extension<Session>) -> Result<Response, PageError> {
    render(&app, &session, StatusCode::OK, "", None).await
}

async fn render(
    app: &App,
    session: &Session,
    status: StatusCode,
    url: &str,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let query = ListQuery { target: None, limit: Some(RECENT), offset: None };
    let listed = scans::list(State(app.clone()), Ok(Query(query))).await?.0;
    let rows: String = listed["scans"].as_array().map(Vec::as_slice).unwrap_or_default().iter().map(scan_row).collect();
    let recent = if rows.is_empty() {
        "<p class=\"muted\">No scans yet: paste a URL above.</p>".to_string()
    } else {
        format!(
            "<table id=\"recent\"><thead><tr><th>Started</th><th>URL</th><th>Status</th><th>Grade</th>\
             <th>Score</th><th>Findings</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    };
    let error = error.map(|e| format!("<p class=\"error\" id=\"scan-error\">{}</p>", esc(e))).unwrap_or_default();
    let body = format!(
        "<h1>Scan an API</h1>{error}\
         <form method=\"post\" action=\"/scans\" class=\"scan-box\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <input type=\"url\" name=\"url\" id=\"url\" value=\"{url}\" placeholder=\"http://127.0.0.1:5000\" required \
         aria-label=\"API base URL\"><button type=\"submit\">Scan</button></form>\
         <p class=\"muted\">Only loopback and the hosts on the <a href=\"/settings\">allow-list</a> are scanned. \
         Scans with identities, schedules and alerts: <a href=\"/targets/new\">add a target</a>.</p>\
         <h2>Recent scans</h2>{recent}",
        csrf = esc(&session.csrf),
        url = esc(url),
    );
    let mut response = page("Scan", Nav::Home, Some(&session.csrf), &body);
    *response.status_mut() = status;
    Ok(response)
}

fn scan_row(scan: &Value) -> String {
    let text = |key: &str| scan[key].as_str().unwrap_or_default().to_string();
    let number = |key: &str| scan[key].as_i64().map(|n| n.to_string()).unwrap_or_default();
    format!(
        "<tr><td>{}</td><td><a href=\"/scans/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        esc(&text("created_at")),
        esc(&text("id")),
        esc(&text("url")),
        esc(&text("status")),
        esc(&text("grade")),
        number("score"),
        number("findings"),
    )
}

#[derive(Deserialize)]
pub struct StartForm {
    #[serde(default)]
    url: String,
}

/// `POST /scans`: the API's own checks (the allow-list as it is now) before anything is queued;
/// a refused URL gets the page back with the reason, and nothing is sent to it.
pub async fn start(
    State(app): State<App>,
    Extension(session): Extension<Session>,
    input: Result<Form<StartForm>, FormRejection>,
) -> Result<Response, PageError> {
    let url = form(input)?.url.trim().to_string();
    match scans::queue(&app, ScanInput { target_id: None, url: Some(url.clone()) }).await {
        Ok(id) => Ok(Redirect::to(&format!("/scans/{id}")).into_response()),
        Err(e) if e.status().is_client_error() => render(&app, &session, e.status(), &url, Some(e.message())).await,
        Err(e) => Err(e.into()),
    }
}
