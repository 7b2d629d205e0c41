//! The dashboard's page shell: one layout, one stylesheet and one script served from this origin,
//! and HTML escaping. Pages build their HTML as strings through [`esc`]; nothing user-supplied
//! reaches a page unescaped.
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use crate::api::ApiError;
use crate::ServerError;

/// Every dashboard page: scripts and styles only from this origin (no inline script, no inline
/// `style` attribute: SVG charts use presentation attributes), nothing from anywhere else.
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub const STYLESHEET: &str = include_str!("static/app.css");
pub const SCRIPT: &str = include_str!("static/app.js");

/// Escapes text for an HTML element or a double-quoted attribute (the HTML report's escaping).
pub use leakprobe_render::escape_html as esc;

/// The sections of the navigation bar; `active` marks the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Home,
    Targets,
    Settings,
    /// The login page: no navigation.
    None,
}

/// A whole page: `title` (escaped here) and `body` (already HTML), under the navigation bar.
/// `csrf` is the session's token: the logout button is a form and carries it.
pub fn page(title: &str, nav: Nav, csrf: Option<&str>, body: &str) -> Response {
    let link = |href: &str, label: &str, this: Nav| {
        let current = if nav == this { " aria-current=\"page\"" } else { "" };
        format!("<a href=\"{href}\"{current}>{label}</a>")
    };
    let navigation = if nav == Nav::None {
        String::new()
    } else {
        let logout = csrf
            .map(|token| {
                format!(
                    "<form method=\"post\" action=\"/logout\" class=\"logout\">\
                     <input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\">Log out</button></form>",
                    esc(token)
                )
            })
            .unwrap_or_default();
        format!(
            "<nav><span class=\"brand\">leakprobe</span>{}{}{}{logout}</nav>",
            link("/", "Scan", Nav::Home),
            link("/targets", "Targets", Nav::Targets),
            link("/settings", "Settings", Nav::Settings),
        )
    };
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · leakprobe</title><link rel=\"stylesheet\" href=\"/static/app.css\">\
         <link rel=\"icon\" href=\"data:,\"><script src=\"/static/app.js\" defer></script></head>\
         <body>{navigation}<main>{body}</main></body></html>",
        esc(title)
    );
    let mut response = Html(html).into_response();
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
    response
}

/// An error as a page (the API's errors stay JSON).
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub message: String,
}

impl PageError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> PageError {
        PageError { status, message: message.into() }
    }
    pub fn not_found(message: impl Into<String>) -> PageError {
        PageError::new(StatusCode::NOT_FOUND, message)
    }
}

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> PageError {
        PageError::new(error.status(), error.message())
    }
}

impl From<ServerError> for PageError {
    fn from(error: ServerError) -> PageError {
        ApiError::from(error).into()
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let body = format!(
            "<h1>{}</h1><p class=\"error\">{}</p><p><a href=\"/\">Back to the dashboard</a></p>",
            self.status.as_u16(),
            esc(&self.message)
        );
        let mut response = page(self.status.canonical_reason().unwrap_or("Error"), Nav::None, None, &body);
        *response.status_mut() = self.status;
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_elements_and_both_quotes() {
        assert_eq!(
            esc(r#"<a href="x" onclick='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
    }
}
