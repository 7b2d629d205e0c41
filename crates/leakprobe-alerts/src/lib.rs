//! Alerts for monitored targets: rules over scan results, and their delivery to a Slack incoming
//! webhook, a signed generic webhook, or e-mail over SMTP.
//!
//! The server calls [`evaluate`] when a scan of a monitored target ends, with the target's last
//! completed report; drops the events whose [`Event::key`] it has already sent; builds one
//! [`Notice`] of the rest; hands it to [`Notifier::deliver`] for each channel, and stores each
//! [`Delivery`] and the keys it delivered. The settings page's "send a test message" is
//! [`Notifier::send_test`].
//!
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
