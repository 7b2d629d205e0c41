//! Alerts for monitored targets: rules over scan results, and their delivery to a Slack incoming
//! webhook, a signed generic webhook, or e-mail over SMTP.
//!
//! The server calls [`evaluate`] when a scan of a monitored target ends, with the target's last
//! completed report; drops the events whose [`Event::key`] it has already sent; builds one
//! [`Notice`] of the rest; hands it to [`Notifier::deliver`] for each channel, and stores each
//! [`Delivery`] and the keys it delivered. The settings page's "send a test message" is
//! [`Notifier::send_test`].
//!
//! ## Delivery
//! Every send is bounded: [`Options::timeout`] per attempt, at most [`Options::retries`] retries
//! with exponential back-off (5xx, 429 with its `Retry-After`, timeouts, lost connections; never
//! another 4xx or a permanent SMTP error), and at most 4 KiB of a receiver's answer read. No
//! channel secret (a Slack webhook URL or its path, a webhook URL, an HMAC key, an SMTP password)
//! appears in a [`Delivery`], an error or a log line.
//!
//! ## Webhook signatures
//! The generic webhook's JSON body comes with `X-Leakprobe-Timestamp: <unix seconds>` and
//! `X-Leakprobe-Signature: sha256=<hex HMAC-SHA256(key, "<timestamp>.<raw body>")>`. A receiver
//! recomputes the HMAC, compares in constant time and refuses timestamps more than a few minutes
//! old; `X-Leakprobe-Delivery` stays the same across the retries of one delivery. In Python:
//!
//! ```text
//! expected = "sha256=" + hmac.new(key, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
//! ok = hmac.compare_digest(expected, signature) and abs(time.time() - int(ts)) < 300
//! ```
//!
//! ## Rules
//! ```
//! use leakprobe_alerts::{evaluate, History, Outcome, Rule, Scan};
//!
//! let rules: Vec<Rule> = serde_json::from_str(
//!     r#"[{"when": "scan_failed"}, {"when": "new_finding", "category": "data_exposure", "notify_fixed": true}]"#,
//! )
//! .unwrap();
//! leakprobe_alerts::validate(&rules).unwrap();
//! let scan = Scan { target: "7", id: "42", outcome: Outcome::Failed("connection refused") };
//! let events = evaluate(&rules, History::default(), scan);
//! assert_eq!(events.len(), 1);
//! assert_eq!(events[0].key, "7/scan_failed/42");
//! // The same scan evaluated again gives the same key: the server sends it once.
//! assert_eq!(evaluate(&rules, History::default(), scan)[0].key, events[0].key);
//! ```
mod channel;
mod message;
mod rules;
mod send;

pub use channel::{Channel, ChannelError, EmailChannel, Secret, SmtpSecurity};
pub use message::{Notice, TargetInfo};
pub use rules::{evaluate, validate, Event, EventKind, FindingRef, History, Outcome, Rule, RuleError, Scan};
pub use send::{Delivery, Notifier, Options, SetupError};
