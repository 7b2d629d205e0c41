//! Target forms: add, edit, delete, scan now. The form is turned into the API's JSON input and
//! handed to the API's own handlers ([`targets::create`], [`targets::update`], …), so validation,
//! the allow-list and the sealing of identities are the API's, never a second copy.
//!
//! Identities are write-only: a saved secret is never put back into a page (the form lists names
//! and kinds); an empty box keeps the sealed ones, and a refused form does not echo what was typed.
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::api::{ApiError, App};
use crate::scans::{self, ScanInput};
use crate::targets::{self, TargetInput};
use crate::web::home::form;
use crate::web::layout::{esc, page, Nav, PageError};
use crate::web::session::Session;

/// What the form sends (and, shown again after a refusal, what it holds: never the identities).
#[derive(Debug, Default, Deserialize)]
pub struct TargetForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    base_url: String,
    #[serde(default)]
    spec: String,
    /// One `NAME=KIND:…` per line, as `--identity` takes them.
    #[serde(default)]
    identities: String,
    #[serde(default)]
    forget_identities: Option<String>,
    #[serde(default)]
    max_requests: String,
    #[serde(default)]
    time_limit: String,
    #[serde(default)]
    active: Option<String>,
    /// `none`, `every` or `cron`.
    #[serde(default)]
    schedule: String,
    #[serde(default)]
    every_minutes: String,
    #[serde(default)]
    cron: String,
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::bad_request(message)
}

impl TargetForm {
    /// The API's input; `suppressions` are carried over from the stored target (this form does not
    /// edit them), identities only when some were typed or the box to forget them was ticked.
    fn input(&self, suppressions: Value) -> Result<TargetInput, ApiError> {
        let mut settings = Map::new();
        if !self.max_requests.trim().is_empty() {
            let n: usize = self.max_requests.trim().parse().map_err(|_| bad("Max requests must be a whole number."))?;
            settings.insert("max_requests".into(), json!(n));
        }
        if !self.time_limit.trim().is_empty() {
            settings.insert("time_limit".into(), json!(self.time_limit.trim()));
        }
        settings.insert("active".into(), json!(self.active.is_some()));
        let schedule = match self.schedule.as_str() {
            "every" => {
                let n: u32 = self
                    .every_minutes
                    .trim()
                    .parse()
                    .map_err(|_| bad("Every how many minutes? Give a whole number."))?;
                json!({ "every_minutes": n })
            }
            "cron" => json!({ "cron": self.cron.trim() }),
            _ => Value::Null,
        };
        let spec = Some(self.spec.trim()).filter(|s| !s.is_empty());
        let mut input = json!({
            "name": self.name.trim(),
            "base_url": self.base_url.trim(),
            "spec": spec,
            "settings": settings,
            "schedule": schedule,
            "suppressions": suppressions,
        });
        let typed: Vec<&str> = self.identities.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        if !typed.is_empty() {
            input["identities"] = json!(typed);
        } else if self.forget_identities.is_some() {
            input["identities"] = json!([]);
        }
        // Built from our own JSON above: an error here names a field, never quotes a value.
        serde_json::from_value(input).map_err(|e| bad(format!("The form does not make a target: {e}")))
    }

    /// The form pre-filled from a stored target (the API's view of it, without secrets).
    fn from_view(view: &Value) -> TargetForm {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        let schedule = &view["schedule"];
        TargetForm {
            name: text(&view["name"]),
            base_url: text(&view["base_url"]),
            spec: text(&view["spec"]),
            max_requests: view["settings"]["max_requests"].as_u64().map(|n| n.to_string()).unwrap_or_default(),
            time_limit: text(&view["settings"]["time_limit"]),
            active: view["settings"]["active"].as_bool().filter(|a| *a).map(|_| "on".into()),
            schedule: if schedule["every_minutes"].is_u64() {
                "every".into()
            } else if schedule["cron"].is_string() {
                "cron".into()
            } else {
                "none".into()
            },
            every_minutes: schedule["every_minutes"].as_u64().map(|n| n.to_string()).unwrap_or_default(),
            cron: text(&schedule["cron"]),
            ..TargetForm::default()
        }
    }
}

/// The page with the form. `target` is the id of an existing target: its page also lists the
/// saved identities (names and kinds) and carries "scan now" and "delete", each its own form.
struct FormPage<'a> {
    title: &'a str,
    values: &'a TargetForm,
    target: Option<(&'a str, &'a Value)>,
    error: Option<&'a str>,
}

fn render(app: &App, session: &Session, status: StatusCode, p: FormPage<'_>) -> Response {
    let v = p.values;
    let checked = |on: bool| if on { " checked" } else { "" };
    let selected =
        |kind: &str| if v.schedule == kind || (kind == "none" && v.schedule.is_empty()) { " checked" } else { "" };
    let error = p.error.map(|e| format!("<p class=\"error\" id=\"form-error\">{}</p>", esc(e))).unwrap_or_default();
    let saved = p
        .target
        .and_then(|(_, identities)| identities.as_array())
        .filter(|list| !list.is_empty())
        .map(|list| {
            let names: Vec<String> = list
                .iter()
                .map(|i| {
                    format!(
                        "<li>{} ({})</li>",
                        esc(i["name"].as_str().unwrap_or_default()),
                        esc(i["kind"].as_str().unwrap_or_default())
                    )
                })
                .collect();
            format!(
                "<p>Saved identities (their secrets are never shown again):</p><ul id=\"saved-identities\">{}</ul>\
                 <label class=\"inline\"><input type=\"checkbox\" name=\"forget_identities\"> Forget the saved identities</label>",
                names.concat()
            )
        })
        .unwrap_or_default();
    let keep_hint = if p.target.is_some() { " Leave empty to keep the saved ones." } else { "" };
    let active = if app.scope.allow_active {
        format!(
            "<label class=\"inline\"><input type=\"checkbox\" name=\"active\"{}> Active checks (requests that may change \
             state)</label>",
            checked(v.active.is_some())
        )
    } else {
        "<p class=\"muted\">Active checks are off on this server (start it with <code>--allow-active</code> to allow them).</p>"
            .to_string()
    };
    let action = p.target.map(|(id, _)| format!("/targets/{id}")).unwrap_or_else(|| "/targets".into());
    let actions = p
        .target
        .map(|(id, _)| {
            format!(
                "<div class=\"actions\"><form method=\"post\" action=\"/targets/{id}/scan\"><input type=\"hidden\" \
                 name=\"csrf\" value=\"{csrf}\"><button type=\"submit\" id=\"scan-now\">Scan now</button></form>\
                 <form method=\"post\" action=\"/targets/{id}/delete\"><input type=\"hidden\" name=\"csrf\" \
                 value=\"{csrf}\"><button type=\"submit\" class=\"danger\">Delete target</button></form></div>",
                id = esc(id),
                csrf = esc(&session.csrf)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<h1>{title}</h1>{error}<form method=\"post\" action=\"{action}\" class=\"stack\" id=\"target-form\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label>Name <input name=\"name\" value=\"{name}\" required maxlength=\"200\"></label>\
         <label>Base URL <input type=\"url\" name=\"base_url\" value=\"{base_url}\" required></label>\
         <label>OpenAPI spec URL (optional, on the target's origin) <input type=\"url\" name=\"spec\" value=\"{spec}\"></label>\
         <fieldset><legend>Identities</legend>{saved}\
         <label>One per line, as <code>--identity</code> takes them (<code>alice=bearer:TOKEN</code>, \
         <code>bob=basic:USER:PASS</code>).{keep_hint}\
         <textarea name=\"identities\" rows=\"3\" autocomplete=\"off\" spellcheck=\"false\"></textarea></label></fieldset>\
         <fieldset><legend>Scan settings</legend>\
         <label>Max requests <input name=\"max_requests\" inputmode=\"numeric\" value=\"{max_requests}\"></label>\
         <label>Time limit (<code>90s</code>, <code>5m</code>) <input name=\"time_limit\" value=\"{time_limit}\"></label>\
         {active}</fieldset>\
         <fieldset><legend>Schedule</legend>\
         <label class=\"inline\"><input type=\"radio\" name=\"schedule\" value=\"none\"{s_none}> Only when started</label>\
         <label class=\"inline\"><input type=\"radio\" name=\"schedule\" value=\"every\"{s_every}> Every \
         <input name=\"every_minutes\" inputmode=\"numeric\" size=\"5\" value=\"{every}\" aria-label=\"minutes\"> minutes</label>\
         <label class=\"inline\"><input type=\"radio\" name=\"schedule\" value=\"cron\"{s_cron}> Cron \
         <input name=\"cron\" value=\"{cron}\" placeholder=\"*/15 * * * *\" aria-label=\"cron expression\"></label>\
         </fieldset><button type=\"submit\">Save</button></form>{actions}",
        title = esc(p.title),
        action = esc(&action),
        csrf = esc(&session.csrf),
        name = esc(&v.name),
        base_url = esc(&v.base_url),
        spec = esc(&v.spec),
        max_requests = esc(&v.max_requests),
        time_limit = esc(&v.time_limit),
        s_none = selected("none"),
        s_every = selected("every"),
        s_cron = selected("cron"),
        every = esc(&v.every_minutes),
        cron = esc(&v.cron),
    );
    let mut response = page(p.title, Nav::Targets, Some(&session.csrf), &body);
    *response.status_mut() = status;
    response
}

/// A refusal the admin can fix is shown on the form; anything else is an error page.
fn refused(error: ApiError, typed_identities: bool) -> Result<String, PageError> {
    if !error.status().is_client_error() || error.status() == StatusCode::NOT_FOUND {
        return Err(error.into());
    }
    let mut message = error.message().to_string();
    if typed_identities {
        message.push_str(" (The identities you typed were not saved: enter them again.)");
    }
    Ok(message)
}

/// `GET /targets/new`.
pub async fn new(State(app): State<App>, Extension(session): Extension<Session>) -> Response {
    let values = TargetForm { schedule: "none".into(), ..TargetForm::default() };
    let p = FormPage { title: "New target", values: &values, target: None, error: None };
    render(&app, &session, StatusCode::OK, p)
}

/// `POST /targets` → the target's page.
pub async fn create(
    State(app): State<App>,
    Extension(session): Extension<Session>,
    input: Result<Form<TargetForm>, FormRejection>,
) -> Result<Response, PageError> {
    let values = form(input)?;
    let created = match values.input(json!([])) {
        Ok(input) => targets::create(State(app.clone()), Ok(Json(input))).await.map(|(_, Json(view))| view),
        Err(e) => Err(e),
    };
    match created {
        Ok(view) => Ok(Redirect::to(&format!("/targets/{}", view["id"].as_str().unwrap_or_default())).into_response()),
        Err(e) => {
            let status = e.status();
            let message = refused(e, !values.identities.trim().is_empty())?;
            let p = FormPage { title: "New target", values: &values, target: None, error: Some(&message) };
            Ok(render(&app, &session, status, p))
        }
    }
}

/// `GET /targets/{id}/edit`.
pub async fn edit(
    State(app): State<App>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let Json(view) = targets::get(State(app.clone()), Path(id.clone())).await?;
    let values = TargetForm::from_view(&view);
    let title = format!("Edit {}", view["name"].as_str().unwrap_or_default());
    let p = FormPage { title: &title, values: &values, target: Some((&id, &view["identities"])), error: None };
    Ok(render(&app, &session, StatusCode::OK, p))
}

/// `POST /targets/{id}`: saved, back to the target's page.
pub async fn update(
    State(app): State<App>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
    input: Result<Form<TargetForm>, FormRejection>,
) -> Result<Response, PageError> {
    let values = form(input)?;
    let Json(view) = targets::get(State(app.clone()), Path(id.clone())).await?;
    let saved = match values.input(view["suppressions"].clone()) {
        Ok(input) => targets::update(State(app.clone()), Path(id.clone()), Ok(Json(input))).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => Ok(Redirect::to(&format!("/targets/{id}")).into_response()),
        Err(e) => {
            let status = e.status();
            let message = refused(e, !values.identities.trim().is_empty())?;
            let title = format!("Edit {}", view["name"].as_str().unwrap_or_default());
            let p = FormPage {
                title: &title,
                values: &values,
                target: Some((&id, &view["identities"])),
                error: Some(&message),
            };
            Ok(render(&app, &session, status, p))
        }
    }
}

/// `POST /targets/{id}/delete`: the target goes, its scans stay in the history.
pub async fn delete(State(app): State<App>, Path(id): Path<String>) -> Result<Response, PageError> {
    targets::delete(State(app), Path(id)).await?;
    Ok(Redirect::to("/targets").into_response())
}

/// `POST /targets/{id}/scan`: queued now (the allow-list is checked again), then its live page.
pub async fn scan(State(app): State<App>, Path(id): Path<String>) -> Result<Response, PageError> {
    let scan_id = scans::queue(&app, ScanInput { target_id: Some(id), url: None }).await?;
    Ok(Redirect::to(&format!("/scans/{scan_id}")).into_response())
}
