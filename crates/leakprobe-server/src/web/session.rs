//! Dashboard sessions and CSRF.
//!
//! Logging in as the admin account of [`auth`] gives a random 256-bit token in a cookie
//! (`HttpOnly; SameSite=Strict; Secure; Path=/`); the database keeps its SHA-256 only, with the
//! time it was created and last used, and a session older than [`ABSOLUTE`] or idle for [`IDLE`]
//! is refused. The `Secure` flag is always set: browsers keep Secure cookies from
//! `http://127.0.0.1` and `http://localhost` (secure contexts), and anywhere else the dashboard
//! belongs behind HTTPS, where a cookie without it could leak over a plain-HTTP request.
//!
//! Every form carries a CSRF token: the SHA-256 of the session token under another label, so it
//! is tied to the session, needs no storage, and cannot be computed from the stored hash. [`require`]
//! checks it on every state-changing request before a handler runs (a handler cannot forget), and
//! also refuses a cross-site `Origin` or `Sec-Fetch-Site`. The login form, before any session,
//! uses a double-submit cookie instead.
use std::time::{Duration, Instant, SystemTime};

use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use sqlx::Row as _;
use subtle::ConstantTimeEq as _;
use tokio::sync::Semaphore;

use crate::api::App;
use crate::auth;
use crate::db::{db_error, now};
use crate::web::layout::{esc, page, Nav, PageError};

pub const SESSION_COOKIE: &str = "lp_session";
/// The login form's double-submit token, before there is a session to bind one to.
const LOGIN_COOKIE: &str = "lp_login";
/// A session unused this long is over.
pub const IDLE: Duration = Duration::from_secs(2 * 60 * 60);
/// A session this old is over however busy it is.
pub const ABSOLUTE: Duration = Duration::from_secs(12 * 60 * 60);
/// `last_seen_at` is written at most this often, not on every request.
const TOUCH: Duration = Duration::from_secs(60);
/// A failed login answers no sooner than this: guessing costs a second per try and per connection,
/// and the wait is a timer, so it holds no thread.
const FAILED_LOGIN_DELAY: Duration = Duration::from_secs(1);
/// Password checks running at once: argon2 is deliberately costly, a flood of logins must not take
/// every core from the scans.
static VERIFY_SLOTS: Semaphore = Semaphore::const_new(2);
/// Largest form body read to find its CSRF token; a target form with identities is a few KiB.
const FORM_LIMIT: usize = 256 * 1024;

/// The logged-in session, put in the request's extensions by [`require`] for the handlers.
#[derive(Clone)]
pub struct Session {
    /// For every form the page renders.
    pub csrf: String,
    token_hash: String,
}

fn csrf_of(token: &str) -> String {
    hex::encode(Sha256::new().chain_update(b"leakprobe csrf\0").chain_update(token.as_bytes()).finalize())
}

fn at(age: Duration) -> String {
    humantime::format_rfc3339_millis(SystemTime::now().checked_sub(age).unwrap_or(SystemTime::UNIX_EPOCH)).to_string()
}

fn cookie(name: &'static str, value: String, path: &'static str) -> Cookie<'static> {
    Cookie::build((name, value)).http_only(true).secure(true).same_site(SameSite::Strict).path(path).build()
}

/// The session the request's cookie names, if it is still valid.
async fn current(app: &App, jar: &CookieJar) -> Result<Option<Session>, PageError> {
    let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) else { return Ok(None) };
    if token.len() != 43 {
        return Ok(None);
    }
    let token_hash = auth::hash_token(&token);
    let row = sqlx::query(
        "SELECT last_seen_at FROM lp_sessions WHERE token_hash = $1 AND last_seen_at > $2 AND created_at > $3",
    )
    .bind(&token_hash)
    .bind(at(IDLE))
    .bind(at(ABSOLUTE))
    .fetch_optional(&app.db.pool)
    .await
    .map_err(db_error)?;
    let Some(row) = row else { return Ok(None) };
    let last_seen: String = row.try_get("last_seen_at").map_err(db_error)?;
    if last_seen < at(TOUCH) {
        sqlx::query("UPDATE lp_sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(now())
            .bind(&token_hash)
            .execute(&app.db.pool)
            .await
            .map_err(db_error)?;
    }
    Ok(Some(Session { csrf: csrf_of(&token), token_hash }))
}

/// Equal, in time that does not depend on where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A state-changing request must come from a page of this origin: a browser says where a request
/// comes from in `Sec-Fetch-Site` and `Origin`; either one naming another site refuses it. Another
/// port on the same host is another origin (a scanned target on 127.0.0.1 is "same-site").
fn from_this_origin(headers: &HeaderMap) -> bool {
    let text = |name| headers.get(name).map(|v| v.to_str().unwrap_or("\u{0}"));
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site")) {
        if !matches!(site, "same-origin" | "none") {
            return false;
        }
    }
    match text(header::ORIGIN) {
        None => true,
        Some(origin) => {
            let host = text(header::HOST).unwrap_or_default();
            let authority = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://"));
            !host.is_empty() && authority.is_some_and(|a| a.eq_ignore_ascii_case(host))
        }
    }
}

/// Where to go after logging in: a path on this site, never another origin (`//evil`, `/\evil`).
fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && p.len() <= 2000
                && !p.chars().any(|c| c.is_control() || c == '\\') =>
        {
            p.to_string()
        }
        _ => "/".to_string(),
    }
}

/// In front of every dashboard route but `/login` and the static files: no session → a GET is
/// sent to the login page, anything else refused; a state-changing request also needs this
/// origin and the session's CSRF token in its form.
pub async fn require(State(app): State<App>, request: Request, next: Next) -> Response {
    let safe = request.method() == Method::GET || request.method() == Method::HEAD;
    let jar = CookieJar::from_headers(request.headers());
    let session = match current(&app, &jar).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let Some(session) = session else {
        if safe {
            let target = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let next: String = url::form_urlencoded::byte_serialize(target.as_bytes()).collect();
            return Redirect::to(&format!("/login?next={next}")).into_response();
        }
        return PageError::new(StatusCode::FORBIDDEN, "You are not logged in (or your session ended): log in again.")
            .into_response();
    };
    let mut request = request;
    if !safe {
        if !from_this_origin(request.headers()) {
            return PageError::new(StatusCode::FORBIDDEN, "Refused: this request came from another site.")
                .into_response();
        }
        let (parts, body) = request.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, FORM_LIMIT).await else {
            return PageError::new(StatusCode::PAYLOAD_TOO_LARGE, "The form is too large.").into_response();
        };
        let sent = url::form_urlencoded::parse(&bytes).find(|(k, _)| k == "csrf").map(|(_, v)| v.into_owned());
        if !sent.is_some_and(|t| same_secret(&t, &session.csrf)) {
            return PageError::new(
                StatusCode::FORBIDDEN,
                "Refused: the form's CSRF token is missing or wrong. Reload the page and try again.",
            )
            .into_response();
        }
        request = Request::from_parts(parts, Body::from(bytes));
    }
    request.extensions_mut().insert(session);
    next.run(request).await
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

fn login_page(status: StatusCode, csrf: &str, next: &str, error: Option<&str>) -> Response {
    let error = error.map(|e| format!("<p class=\"error\" id=\"login-error\">{}</p>", esc(e))).unwrap_or_default();
    let body = format!(
        "<h1>Log in</h1>{error}<form method=\"post\" action=\"/login\" class=\"login\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"next\" value=\"{}\">\
         <label>User <input name=\"username\" value=\"{}\" autocomplete=\"username\" required></label>\
         <label>Password <input type=\"password\" name=\"password\" autocomplete=\"current-password\" required autofocus></label>\
         <button type=\"submit\">Log in</button></form>",
        esc(csrf),
        esc(next),
        auth::ADMIN
    );
    let mut response = page("Log in", Nav::None, None, &body);
    *response.status_mut() = status;
    response
}

/// A fresh double-submit token for the login form.
fn login_token(jar: CookieJar) -> (CookieJar, String) {
    let token = auth::random_text(32);
    (jar.add(cookie(LOGIN_COOKIE, token.clone(), "/login")), token)
}

/// `GET /login`: the form, or straight on when already logged in.
pub async fn show(State(app): State<App>, jar: CookieJar, Query(q): Query<LoginQuery>) -> Response {
    let next = local_path(q.next.as_deref());
    match current(&app, &jar).await {
        Ok(Some(_)) => Redirect::to(&next).into_response(),
        Ok(None) => {
            let (jar, token) = login_token(jar);
            (jar, login_page(StatusCode::OK, &token, &next, None)).into_response()
        }
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// `POST /login`: a new session for the admin's password.
pub async fn login(
    State(app): State<App>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = local_path(form.next.as_deref());
    let expected = jar.get(LOGIN_COOKIE).map(|c| c.value().to_string()).unwrap_or_default();
    if !from_this_origin(&headers) || expected.is_empty() || !same_secret(&form.csrf, &expected) {
        return PageError::new(
            StatusCode::FORBIDDEN,
            "Refused: the login form's token is missing or wrong, or it came from another site. Reload the login page.",
        )
        .into_response();
    }
    let started = Instant::now();
    match check_password(&app, &form.username, form.password).await {
        Ok(Some(user_id)) => match start_session(&app, &user_id).await {
            Ok(token) => {
                let jar =
                    jar.remove(cookie(LOGIN_COOKIE, String::new(), "/login")).add(cookie(SESSION_COOKIE, token, "/"));
                (jar, Redirect::to(&next)).into_response()
            }
            Err(e) => e.into_response(),
        },
        Ok(None) => {
            tokio::time::sleep(FAILED_LOGIN_DELAY.saturating_sub(started.elapsed())).await;
            tracing::warn!("dashboard: failed login");
            let (jar, token) = login_token(jar);
            let page = login_page(StatusCode::UNAUTHORIZED, &token, &next, Some("Wrong user name or password."));
            (jar, page).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// The user's id when the password is theirs. The hash is checked even for an unknown user name,
/// so the answer's timing does not say which names exist.
async fn check_password(app: &App, username: &str, password: String) -> Result<Option<String>, PageError> {
    let row = sqlx::query("SELECT id, username, password_hash FROM lp_users WHERE username = $1")
        .bind(auth::ADMIN)
        .fetch_optional(&app.db.pool)
        .await
        .map_err(db_error)?
        .ok_or_else(|| PageError::new(StatusCode::INTERNAL_SERVER_ERROR, "no admin account"))?;
    let id: String = row.try_get("id").map_err(db_error)?;
    let hash: String = row.try_get("password_hash").map_err(db_error)?;
    let _slot =
        VERIFY_SLOTS.acquire().await.map_err(|_| PageError::new(StatusCode::SERVICE_UNAVAILABLE, "shutting down"))?;
    let matches = tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
        .await
        .map_err(|e| PageError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok((matches && username == auth::ADMIN).then_some(id))
}

/// A new session (never one the browser brought: no fixation); expired ones are cleared on the way.
async fn start_session(app: &App, user_id: &str) -> Result<String, PageError> {
    sqlx::query("DELETE FROM lp_sessions WHERE last_seen_at < $1 OR created_at < $2")
        .bind(at(IDLE))
        .bind(at(ABSOLUTE))
        .execute(&app.db.pool)
        .await
        .map_err(db_error)?;
    let token = auth::random_text(32);
    let at = now();
    sqlx::query("INSERT INTO lp_sessions (token_hash, user_id, created_at, last_seen_at) VALUES ($1, $2, $3, $4)")
        .bind(auth::hash_token(&token))
        .bind(user_id)
        .bind(&at)
        .bind(&at)
        .execute(&app.db.pool)
        .await
        .map_err(db_error)?;
    tracing::info!("dashboard: logged in");
    Ok(token)
}

/// `POST /logout`: the session ends in the database, so its cookie is worthless even if kept.
pub async fn logout(
    State(app): State<App>,
    axum::Extension(session): axum::Extension<Session>,
    jar: CookieJar,
) -> Result<Response, PageError> {
    sqlx::query("DELETE FROM lp_sessions WHERE token_hash = $1")
        .bind(&session.token_hash)
        .execute(&app.db.pool)
        .await
        .map_err(db_error)?;
    Ok((jar.remove(cookie(SESSION_COOKIE, String::new(), "/")), Redirect::to("/login")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(local_path(Some("/targets/01h?x=1")), "/targets/01h?x=1");
        for bad in [
            None,
            Some(""),
            Some("https://evil.example/"),
            Some("//evil.example"),
            Some("/\\evil.example"),
            Some("/a\nb"),
        ] {
            assert_eq!(local_path(bad), "/", "{bad:?}");
        }
    }

    #[test]
    fn cross_site_requests_are_told_apart_from_this_origins() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, v.parse().expect("value"));
            }
            h
        };
        assert!(from_this_origin(&headers(&[("host", "127.0.0.1:8080")])));
        assert!(from_this_origin(&headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080"),
            ("sec-fetch-site", "same-origin")
        ])));
        for refused in [
            &[("host", "127.0.0.1:8080"), ("origin", "http://127.0.0.1:5000")][..],
            &[("host", "127.0.0.1:8080"), ("origin", "null")],
            &[("host", "127.0.0.1:8080"), ("sec-fetch-site", "same-site")],
            &[("host", "127.0.0.1:8080"), ("sec-fetch-site", "cross-site")],
        ] {
            assert!(!from_this_origin(&headers(refused)), "{refused:?}");
        }
    }

    #[test]
    fn csrf_tokens_are_bound_to_their_session_and_compared_whole() {
        assert_ne!(csrf_of("a"), csrf_of("b"));
        assert_ne!(csrf_of("a"), auth::hash_token("a"), "the stored hash must not be the CSRF token");
        assert!(same_secret(&csrf_of("a"), &csrf_of("a")));
        assert!(!same_secret(&csrf_of("a")[..10], &csrf_of("a")));
    }
}
