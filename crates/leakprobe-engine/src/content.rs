//! What a response body is, beyond its status: a static asset, a vendored library bundle, or data.
//! Discovery and the analyzers ask here, so "JavaScript is not data" is decided in one place.
//!
//! (Interface placeholder: the fingerprints are being built.)
use crate::client::Exchange;

/// A well-known third-party bundle (swagger-ui, React, jQuery, …), by file name or fingerprint:
/// neither a source of the API's own paths nor of anyone's personal data.
pub fn is_vendored_script(_path: &str, _body: &[u8]) -> bool {
    false
}

/// A JavaScript, CSS, font or image response: code and presentation, not records.
pub fn is_static_asset(_ex: &Exchange) -> bool {
    false
}
