//! Where alerts go: channel settings, validated before anything is sent.
use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use url::Url;

/// A credential in a channel's settings (a Slack webhook URL, a webhook's URL and HMAC key, an
/// SMTP password). It serializes as its value, so the server can store it (encrypted), but its
/// `Debug` shows nothing: a logged channel, or a channel inside an error, shows no secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that uses it (a request, an HMAC, an SMTP login).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The shortest HMAC key a webhook accepts.
const MIN_KEY_CHARS: usize = 16;

/// One destination for alerts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Channel {
    /// A Slack incoming webhook; its URL is the credential.
    Slack {
        webhook_url: Secret,
    },
    /// Any HTTPS endpoint: a JSON body signed with HMAC-SHA256 under `secret` (see `send`).
    Webhook {
        url: Secret,
        secret: Secret,
    },
    Email(EmailChannel),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailChannel {
    pub host: String,
    /// Defaults to 587 (submission with STARTTLS), or 465 with `security = "tls"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default)]
    pub security: SmtpSecurity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    /// `Leakprobe <alerts@example.com>` or a bare address.
    pub from: String,
    pub to: Vec<String>,
    /// A PEM root certificate to trust besides the public roots (a relay with a private CA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_certificate: Option<String>,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// STARTTLS, required off loopback; on a loopback relay plain text is accepted when the server
    /// offers no STARTTLS.
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// STARTTLS when the server offers it, plain text otherwise, wherever the server is: only for a
    /// relay on a network the admin trusts, and said so by choosing it.
    Opportunistic,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelError {
    #[error("{0} URL is not a valid URL")]
    BadUrl(&'static str),
    #[error("{0} URL must use https (plain http only to a loopback address)")]
    NotHttps(&'static str),
    #[error("{0} must not be empty")]
    Empty(&'static str),
    #[error("e-mail address `{0}` is not valid")]
    BadAddress(String),
    #[error("root certificate is not a PEM certificate")]
    BadCertificate,
    #[error("webhook secret must be at least {MIN_KEY_CHARS} characters (a short key is guessed offline from one signed request)")]
    ShortKey,
    #[error("SMTP username and password go together")]
    HalfCredentials,
}

impl Channel {
    /// `slack`, `webhook` or `email`: what delivery records name.
    pub fn kind(&self) -> &'static str {
        match self {
            Channel::Slack { .. } => "slack",
            Channel::Webhook { .. } => "webhook",
            Channel::Email(_) => "email",
        }
    }

    /// Where it goes, without credentials: `webhook https://hooks.example.com`, for a settings page
    /// or a log line. URLs show their origin only (a webhook's path and query are often its token).
    pub fn describe(&self) -> String {
        let origin = |s: &Secret| Url::parse(s.expose()).map(|u| u.origin().ascii_serialization()).unwrap_or_default();
        match self {
            Channel::Slack { webhook_url } => format!("slack {}", origin(webhook_url)),
            Channel::Webhook { url, .. } => format!("webhook {}", origin(url)),
            Channel::Email(e) => format!("email via {}:{} to {}", e.host, e.port(), e.to.join(", ")),
        }
    }

    pub fn validate(&self) -> Result<(), ChannelError> {
        match self {
            Channel::Slack { webhook_url } => http_url(webhook_url, "Slack webhook").map(drop),
            Channel::Webhook { url, secret } => {
                http_url(url, "webhook")?;
                if secret.expose().chars().count() < MIN_KEY_CHARS {
                    return Err(ChannelError::ShortKey);
                }
                Ok(())
            }
            Channel::Email(e) => e.validate(),
        }
    }
}

impl EmailChannel {
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            SmtpSecurity::Tls => 465,
            SmtpSecurity::Starttls | SmtpSecurity::Opportunistic => 587,
        })
    }

    fn validate(&self) -> Result<(), ChannelError> {
        if self.host.trim().is_empty() {
            return Err(ChannelError::Empty("SMTP host"));
        }
        if self.to.is_empty() {
            return Err(ChannelError::Empty("recipient list"));
        }
        for address in std::iter::once(&self.from).chain(&self.to) {
            address.parse::<lettre::message::Mailbox>().map_err(|_| ChannelError::BadAddress(address.clone()))?;
        }
        if self.username.is_some() != self.password.is_some() {
            return Err(ChannelError::HalfCredentials);
        }
        if let Some(pem) = &self.root_certificate {
            lettre::transport::smtp::client::Certificate::from_pem(pem.as_bytes())
                .map_err(|_| ChannelError::BadCertificate)?;
        }
        Ok(())
    }
}

/// Parses an alert URL: https, or http to a loopback address (a receiver on the same machine).
pub(crate) fn http_url(secret: &Secret, what: &'static str) -> Result<Url, ChannelError> {
    let url = Url::parse(secret.expose()).map_err(|_| ChannelError::BadUrl(what))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if url.host_str().is_some_and(is_loopback) => Ok(url),
        _ => Err(ChannelError::NotHttps(what)),
    }
}

/// `localhost`, 127.0.0.0/8 or ::1 (brackets allowed).
pub(crate) fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}
