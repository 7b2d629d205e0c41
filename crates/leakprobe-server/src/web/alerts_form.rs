//! A target's alerts on the settings pages: rules, channels (secrets write-only: an empty field
//! keeps the saved one), "send a test message" with each channel's result, recent deliveries.
//! Storage, sealing, validation and delivery are [`alerting`]'s; this is only the form.
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::alerting::{self, AlertsInput, AlertsView, DeliveryRecord};
use crate::api::{ApiError, App};
use crate::targets;
use crate::web::home::form;
use crate::web::layout::{esc, page, Nav, PageError};
use crate::web::session::Session;

const RECENT_DELIVERIES: i64 = 20;

/// The form's fields; a channel is kept when its box is ticked.
#[derive(Debug, Default, Deserialize)]
pub struct AlertsForm {
    #[serde(default)]
    grade_below: String,
    #[serde(default)]
    score_drop: String,
    #[serde(default)]
    new_finding: Option<String>,
    #[serde(default)]
    min_severity: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    notify_fixed: Option<String>,
    #[serde(default)]
    scan_failed: Option<String>,
    #[serde(default)]
    slack: Option<String>,
    #[serde(default)]
    slack_webhook_url: String,
    #[serde(default)]
    webhook: Option<String>,
    #[serde(default)]
    webhook_url: String,
    #[serde(default)]
    webhook_secret: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    smtp_host: String,
    #[serde(default)]
    smtp_port: String,
    #[serde(default)]
    smtp_username: String,
    #[serde(default)]
    smtp_password: String,
    #[serde(default)]
    email_from: String,
    #[serde(default)]
    email_to: String,
}

fn some(text: &str) -> Value {
    let t = text.trim();
    if t.is_empty() {
        Value::Null
    } else {
        json!(t)
    }
}

impl AlertsForm {
    /// The `alerts` input of the API; channels in a fixed order (Slack, webhook, e-mail) so that an
    /// empty secret field keeps the secret saved at the same position.
    fn input(&self) -> Result<AlertsInput, ApiError> {
        let mut rules = Vec::new();
        if !self.grade_below.is_empty() {
            rules.push(json!({"when": "grade_below", "grade": self.grade_below}));
        }
        if !self.score_drop.trim().is_empty() {
            let points: u32 = self
                .score_drop
                .trim()
                .parse()
                .map_err(|_| ApiError::bad_request("Score drop: give a number of points."))?;
            rules.push(json!({"when": "score_drop", "points": points}));
        }
        if self.new_finding.is_some() {
            rules.push(json!({
                "when": "new_finding",
                "min_severity": some(&self.min_severity),
                "category": some(&self.category),
                "notify_fixed": self.notify_fixed.is_some(),
            }));
        }
        if self.scan_failed.is_some() {
            rules.push(json!({"when": "scan_failed"}));
        }
        let mut channels = Vec::new();
        if self.slack.is_some() {
            channels.push(json!({"type": "slack", "webhook_url": some(&self.slack_webhook_url)}));
        }
        if self.webhook.is_some() {
            channels
                .push(json!({"type": "webhook", "url": some(&self.webhook_url), "secret": some(&self.webhook_secret)}));
        }
        if self.email.is_some() {
            let port: Option<u16> = match self.smtp_port.trim() {
                "" => None,
                p => Some(p.parse().map_err(|_| ApiError::bad_request("SMTP port: give a port number."))?),
            };
            let to: Vec<&str> = self.email_to.split([',', '\n']).map(str::trim).filter(|t| !t.is_empty()).collect();
            channels.push(json!({
                "type": "email", "host": self.smtp_host.trim(), "port": port, "username": some(&self.smtp_username),
                "password": some(&self.smtp_password), "from": self.email_from.trim(), "to": to,
            }));
        }
        // Built from our own JSON above: an error names a field or a value we chose, never a secret.
        serde_json::from_value(json!({"rules": rules, "channels": channels}))
            .map_err(|e| ApiError::bad_request(format!("The alert settings are not valid: {e}")))
    }
}

enum Notice<'a> {
    None,
    Error(&'a str),
    Tested(&'a [DeliveryRecord]),
}

fn deliveries_table(records: &[DeliveryRecord], id: &str) -> String {
    if records.is_empty() {
        return "<p class=\"muted\">None yet.</p>".into();
    }
    let rows: String = records
        .iter()
        .map(|d| {
            let result = match (d.ok, d.status, &d.error) {
                (true, Some(s), _) => format!("delivered ({s})"),
                (true, None, _) => "delivered".into(),
                (false, _, Some(e)) => format!("failed: {e}"),
                (false, Some(s), None) => format!("failed ({s})"),
                (false, None, None) => "failed".into(),
            };
            format!(
                "<tr class=\"delivery\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&d.created_at),
                esc(&d.channel),
                esc(&d.destination),
                if d.test { "test message" } else { "alert" },
                esc(&result),
                d.attempts
            )
        })
        .collect();
    format!(
        "<table id=\"{id}\"><thead><tr><th>When</th><th>Channel</th><th>To</th><th>What</th><th>Result</th>\
         <th>Attempts</th></tr></thead><tbody>{rows}</tbody></table>"
    )
}

async fn render(
    app: &App,
    session: &Session,
    target_id: &str,
    status: StatusCode,
    notice: Notice<'_>,
) -> Result<Response, PageError> {
    let Json(target) = targets::get(State(app.clone()), Path(target_id.to_string())).await?;
    let view: AlertsView = alerting::load_view(app, target_id).await?;
    let recent = alerting::deliveries(app, target_id, RECENT_DELIVERIES).await?;
    let name = target["name"].as_str().unwrap_or_default();
    let rule =
        |when: &str| view.rules.iter().map(|r| serde_json::to_value(r).unwrap_or_default()).find(|r| r["when"] == when);
    let grade = rule("grade_below").and_then(|r| r["grade"].as_str().map(String::from)).unwrap_or_default();
    let drop = rule("score_drop").and_then(|r| r["points"].as_u64()).map(|p| p.to_string()).unwrap_or_default();
    let finding = rule("new_finding");
    let field = |key: &str| finding.as_ref().and_then(|r| r[key].as_str().map(String::from)).unwrap_or_default();
    let checked = |on: bool| if on { " checked" } else { "" };
    let select = |name: &str, options: &[&str], current: &str| {
        let opts: String = std::iter::once("")
            .chain(options.iter().copied())
            .map(|o| {
                let label = if o.is_empty() { "—" } else { o };
                let sel = if o == current { " selected" } else { "" };
                format!("<option value=\"{o}\"{sel}>{label}</option>")
            })
            .collect();
        format!("<select name=\"{name}\">{opts}</select>")
    };
    let saved = |kind: &str| view.channels.iter().find(|c| c.kind == kind).map(|c| c.label.clone());
    let saved_note = |kind: &str| {
        saved(kind)
            .map(|l| {
                format!(
                    " <span class=\"muted saved-channel\">saved: {} (leave the secret empty to keep it)</span>",
                    esc(&l)
                )
            })
            .unwrap_or_default()
    };
    let notice = match notice {
        Notice::None => String::new(),
        Notice::Error(e) => format!("<p class=\"error\" id=\"alerts-error\">{}</p>", esc(e)),
        Notice::Tested(records) => format!("<h2>Test message</h2>{}", deliveries_table(records, "test-results")),
    };
    let csrf = format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", esc(&session.csrf));
    let id = esc(target_id);
    let body = format!(
        "<h1>Alerts for {name}</h1>{notice}\
         <form method=\"post\" action=\"/settings/alerts/{id}\" class=\"stack\" id=\"alerts-form\">{csrf}\
         <fieldset><legend>Alert when</legend>\
         <label class=\"inline\">the grade falls below {grades}</label>\
         <label class=\"inline\">the score drops by at least <input name=\"score_drop\" size=\"4\" value=\"{drop}\"> points</label>\
         <label class=\"inline\"><input type=\"checkbox\" name=\"new_finding\"{nf}> a new finding appears, of severity at \
         least {severities} in category <input name=\"category\" value=\"{category}\" placeholder=\"data_exposure\"></label>\
         <label class=\"inline\"><input type=\"checkbox\" name=\"notify_fixed\"{fixed}> and say when such findings are fixed</label>\
         <label class=\"inline\"><input type=\"checkbox\" name=\"scan_failed\"{failed}> a scan fails</label></fieldset>\
         <fieldset><legend>Slack</legend><label class=\"inline\"><input type=\"checkbox\" name=\"slack\"{slack}> \
         Send to a Slack incoming webhook{slack_note}</label>\
         <label>Webhook URL <input type=\"url\" name=\"slack_webhook_url\" autocomplete=\"off\"></label></fieldset>\
         <fieldset><legend>Webhook</legend><label class=\"inline\"><input type=\"checkbox\" name=\"webhook\"{webhook}> \
         POST signed JSON (HMAC-SHA256){webhook_note}</label>\
         <label>URL <input type=\"url\" name=\"webhook_url\" autocomplete=\"off\"></label>\
         <label>Signing secret <input type=\"password\" name=\"webhook_secret\" autocomplete=\"new-password\"></label></fieldset>\
         <fieldset><legend>E-mail</legend><label class=\"inline\"><input type=\"checkbox\" name=\"email\"{email}> \
         Send e-mail over SMTP (STARTTLS when offered){email_note}</label>\
         <label>SMTP host <input name=\"smtp_host\"></label><label>Port <input name=\"smtp_port\" inputmode=\"numeric\"></label>\
         <label>User <input name=\"smtp_username\" autocomplete=\"off\"></label>\
         <label>Password <input type=\"password\" name=\"smtp_password\" autocomplete=\"new-password\"></label>\
         <label>From <input name=\"email_from\"></label><label>To (comma-separated) <input name=\"email_to\"></label></fieldset>\
         <button type=\"submit\">Save alerts</button></form>\
         <form method=\"post\" action=\"/settings/alerts/{id}/test\" class=\"inline\">{csrf}\
         <button type=\"submit\" id=\"send-test\">Send a test message</button></form>\
         <h2>Recent deliveries</h2>{recent}",
        name = esc(name),
        grades = select("grade_below", &["A", "B", "C", "D", "E"], &grade),
        severities = select("min_severity", &["info", "low", "medium", "high", "critical"], &field("min_severity")),
        category = esc(&field("category")),
        nf = checked(finding.is_some()),
        fixed = checked(finding.as_ref().is_some_and(|r| r["notify_fixed"] == true)),
        failed = checked(rule("scan_failed").is_some()),
        slack = checked(saved("slack").is_some()),
        slack_note = saved_note("slack"),
        webhook = checked(saved("webhook").is_some()),
        webhook_note = saved_note("webhook"),
        email = checked(saved("email").is_some()),
        email_note = saved_note("email"),
        recent = deliveries_table(&recent, "deliveries"),
    );
    let mut response = page(&format!("Alerts for {name}"), Nav::Settings, Some(&session.csrf), &body);
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /settings/alerts/{id}`.
pub async fn show(
    State(app): State<App>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    render(&app, &session, &id, StatusCode::OK, Notice::None).await
}

/// `POST /settings/alerts/{id}`.
pub async fn save(
    State(app): State<App>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
    input: Result<Form<AlertsForm>, FormRejection>,
) -> Result<Response, PageError> {
    let values = form(input)?;
    targets::load(&app, &id).await?;
    let saved = match values.input() {
        Ok(input) => alerting::save(&app, &id, input).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => Ok(Redirect::to(&format!("/settings/alerts/{id}")).into_response()),
        Err(e) if e.status().is_client_error() => {
            render(&app, &session, &id, e.status(), Notice::Error(e.message())).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /settings/alerts/{id}/test`: a test message on every channel, each result shown.
pub async fn test(
    State(app): State<App>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    match alerting::send_test(&app, &id).await {
        Ok(records) => render(&app, &session, &id, StatusCode::OK, Notice::Tested(&records)).await,
        Err(e) if e.status().is_client_error() && e.status() != StatusCode::NOT_FOUND => {
            render(&app, &session, &id, e.status(), Notice::Error(e.message())).await
        }
        Err(e) => Err(e.into()),
    }
}
