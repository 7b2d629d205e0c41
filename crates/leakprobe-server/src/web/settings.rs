//! `/settings`: the allow-list (hosts stored in the database, read by every process at scan time,
//! on top of each process's `--allow-host` and loopback), API tokens (a new one is shown once), and
//! links to each target's alerts ([`super::alerts_form`]).
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;

use crate::api::App;
use crate::web::home::form;
use crate::web::layout::{esc, page, Nav, PageError};
use crate::web::session::Session;
use crate::{auth, scope};

/// Something to say at the top of the page after a form: an error, or the token just created.
enum Notice<'a> {
    None,
    Error(&'a str),
    NewToken { name: &'a str, token: &'a str },
}

fn hidden_csrf(session: &Session) -> String {
    format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", esc(&session.csrf))
}

async fn render(app: &App, session: &Session, status: StatusCode, notice: Notice<'_>) -> Result<Response, PageError> {
    let csrf = hidden_csrf(session);
    let notice = match notice {
        Notice::None => String::new(),
        Notice::Error(e) => format!("<p class=\"error\" id=\"settings-error\">{}</p>", esc(e)),
        Notice::NewToken { name, token } => format!(
            "<div class=\"notice\"><p>API token <strong>{}</strong> created. Copy it now: it is shown this once \
             and stored only as a hash.</p><p><code id=\"new-token\">{}</code></p></div>",
            esc(name),
            esc(token)
        ),
    };

    let mut hosts = String::from("<li>Loopback (127.0.0.1, ::1, localhost): always</li>");
    for host in &app.scope.allow_hosts {
        hosts.push_str(&format!("<li>{} <span class=\"muted\">(--allow-host of this process)</span></li>", esc(host)));
    }
    for host in scope::stored_hosts(app).await? {
        hosts.push_str(&format!(
            "<li class=\"allowed-host\">{host} <form method=\"post\" action=\"/settings/allow-list/remove\" class=\"inline\">\
             {csrf}<input type=\"hidden\" name=\"host\" value=\"{host}\"><button type=\"submit\">Remove</button></form></li>",
            host = esc(&host)
        ));
    }

    let tokens = auth::list_tokens(&app.db).await?;
    let token_rows: String = tokens
        .iter()
        .map(|t| {
            format!(
                "<tr class=\"token\"><td>{}</td><td>{}</td><td><form method=\"post\" action=\"/settings/tokens/{}/revoke\">\
                 {csrf}<button type=\"submit\">Revoke</button></form></td></tr>",
                esc(&t.name),
                esc(&t.created_at),
                esc(&t.id)
            )
        })
        .collect();
    let tokens = if token_rows.is_empty() {
        "<p class=\"muted\">No API tokens.</p>".to_string()
    } else {
        format!("<table id=\"tokens\"><thead><tr><th>Name</th><th>Created</th><th></th></tr></thead><tbody>{token_rows}</tbody></table>")
    };

    let listed = crate::targets::list(State(app.clone())).await?.0;
    let alert_links: String = listed["targets"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|t| {
            let rules = t["alerts"]["rules"].as_array().map_or(0, Vec::len);
            let channels = t["alerts"]["channels"].as_array().map_or(0, Vec::len);
            format!(
                "<li><a href=\"/settings/alerts/{}\">{}</a> <span class=\"muted\">{rules} rule(s), {channels} channel(s)</span></li>",
                esc(t["id"].as_str().unwrap_or_default()),
                esc(t["name"].as_str().unwrap_or_default())
            )
        })
        .collect();
    let alerts = if alert_links.is_empty() {
        "<p class=\"muted\">Alerts belong to targets: <a href=\"/targets/new\">add a target</a> first.</p>".to_string()
    } else {
        format!("<ul id=\"alert-targets\">{alert_links}</ul>")
    };
    let body = format!(
        "<h1>Settings</h1>{notice}\
         <section id=\"allow-list\"><h2>Allow-list</h2>\
         <p>The server scans only these hosts, so nobody can use it to reach into the network it runs in. Hosts \
         added here apply to every scan, from the API or this dashboard, by this server and its workers.</p>\
         <ul>{hosts}</ul>\
         <form method=\"post\" action=\"/settings/allow-list\" class=\"inline\">{csrf}\
         <input name=\"host\" placeholder=\"api.staging.example or host:port\" required aria-label=\"host\">\
         <button type=\"submit\">Allow host</button></form></section>\
         <section id=\"api-tokens\"><h2>API tokens</h2>\
         <p>For <code>Authorization: Bearer …</code> on <code>/api/v1</code>.</p>{tokens}\
         <form method=\"post\" action=\"/settings/tokens\" class=\"inline\">{csrf}\
         <input name=\"name\" placeholder=\"ci-pipeline\" required maxlength=\"100\" aria-label=\"token name\">\
         <button type=\"submit\">Create token</button></form></section>\
         <section id=\"alerts\"><h2>Alerts</h2>{alerts}</section>"
    );
    let mut response = page("Settings", Nav::Settings, Some(&session.csrf), &body);
    *response.status_mut() = status;
    Ok(response)
}

pub async fn show(State(app): State<App>, Extension(session): Extension<Session>) -> Result<Response, PageError> {
    render(&app, &session, StatusCode::OK, Notice::None).await
}

#[derive(Deserialize)]
pub struct HostForm {
    #[serde(default)]
    host: String,
}

/// `POST /settings/allow-list`.
pub async fn add_host(
    State(app): State<App>,
    Extension(session): Extension<Session>,
    input: Result<Form<HostForm>, FormRejection>,
) -> Result<Response, PageError> {
    match scope::add_host(&app, &form(input)?.host).await {
        Ok(host) => {
            tracing::info!(%host, "dashboard: host added to the allow-list");
            Ok(Redirect::to("/settings").into_response())
        }
        Err(e) if e.status().is_client_error() => render(&app, &session, e.status(), Notice::Error(e.message())).await,
        Err(e) => Err(e.into()),
    }
}

/// `POST /settings/allow-list/remove`.
pub async fn remove_host(
    State(app): State<App>,
    input: Result<Form<HostForm>, FormRejection>,
) -> Result<Response, PageError> {
    let host = form(input)?.host;
    scope::remove_host(&app, &host).await?;
    tracing::info!(%host, "dashboard: host removed from the allow-list");
    Ok(Redirect::to("/settings").into_response())
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
}

/// `POST /settings/tokens`: the page, with the new token shown this once.
pub async fn create_token(
    State(app): State<App>,
    Extension(session): Extension<Session>,
    input: Result<Form<TokenForm>, FormRejection>,
) -> Result<Response, PageError> {
    let name = form(input)?.name;
    match auth::create_token(&app.db, &name).await {
        Ok(token) => {
            render(&app, &session, StatusCode::CREATED, Notice::NewToken { name: name.trim(), token: &token }).await
        }
        Err(crate::ServerError::Usage(message)) => {
            render(&app, &session, StatusCode::BAD_REQUEST, Notice::Error(&message)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /settings/tokens/{id}/revoke`.
pub async fn revoke_token(State(app): State<App>, Path(id): Path<String>) -> Result<Response, PageError> {
    if !auth::revoke_token(&app.db, &id).await? {
        return Err(PageError::not_found(format!("no API token `{id}`")));
    }
    Ok(Redirect::to("/settings").into_response())
}
