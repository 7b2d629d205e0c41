//! The dashboard: server-rendered HTML behind a login session, a little JavaScript
//! (`static/app.js`, no build step), charts as inline SVG. Everything is served from this origin.
//!
//! [`router`] is the whole web side: `/login` and the two static files are public; every other
//! route sits behind [`session::require`] (no session: a GET goes to the login page, anything else
//! is refused; a POST also needs this origin and the session's CSRF token).
pub mod alerts_form;
pub mod charts;
pub mod home;
pub mod layout;
pub mod session;
pub mod settings;
pub mod targets_form;
pub mod views;

use axum::http::header;
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;

use crate::api::App;
use crate::scans;

async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], layout::STYLESHEET)
}

async fn script() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], layout::SCRIPT)
}

pub fn router(app: App) -> Router<App> {
    let pages = Router::new()
        .route("/", get(home::show))
        .route("/scans", post(home::start))
        // The browser's EventSource cannot send the API's Bearer header: the session stands in.
        .route("/scans/{id}/events", get(scans::events))
        .route("/targets", post(targets_form::create))
        .route("/targets/new", get(targets_form::new))
        .route("/targets/{id}", post(targets_form::update))
        .route("/targets/{id}/edit", get(targets_form::edit))
        .route("/targets/{id}/delete", post(targets_form::delete))
        .route("/targets/{id}/scan", post(targets_form::scan))
        .route("/settings", get(settings::show))
        .route("/settings/allow-list", post(settings::add_host))
        .route("/settings/allow-list/remove", post(settings::remove_host))
        .route("/settings/tokens", post(settings::create_token))
        .route("/settings/tokens/{id}/revoke", post(settings::revoke_token))
        .route("/settings/alerts/{id}", get(alerts_form::show).post(alerts_form::save))
        .route("/settings/alerts/{id}/test", post(alerts_form::test))
        .route("/logout", post(session::logout))
        .merge(views::routes())
        .route_layer(from_fn_with_state(app, session::require));
    Router::new()
        .route("/login", get(session::show).post(session::login))
        .route("/static/app.css", get(stylesheet))
        .route("/static/app.js", get(script))
        .merge(pages)
}
