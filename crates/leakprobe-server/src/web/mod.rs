//! The dashboard: server-rendered HTML behind a login session, a little JavaScript
//! (`static/app.js`, no build step), charts as inline SVG. Everything is served from this origin.
pub mod charts;
pub mod layout;
pub mod views;
