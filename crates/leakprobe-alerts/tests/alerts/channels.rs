//! Channel settings as the server stores them: parsed, validated, and shown without secrets.
use leakprobe_alerts::{Channel, ChannelError, SmtpSecurity};

fn parse(json: &str) -> Channel {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
}

#[test]
fn settings_parse_validate_and_never_show_their_secrets() {
    let slack = parse(r#"{"type": "slack", "webhook_url": "https://hooks.slack.com/services/T1/B2/SLACKTOKEN"}"#);
    let hook = parse(
        r#"{"type": "webhook", "url": "https://ops.example.test/in?token=HOOKTOKEN", "secret": "HMACKEY-0123456789"}"#,
    );
    let email = parse(
        r#"{"type": "email", "host": "smtp.example.test", "username": "alerts", "password": "SMTPPASS",
            "from": "leakprobe <alerts@example.test>", "to": ["oncall@example.test"]}"#,
    );
    for channel in [&slack, &hook, &email] {
        channel.validate().unwrap_or_else(|e| panic!("{channel:?}: {e}"));
        let shown = format!("{channel:?} {}", channel.describe());
        for secret in ["SLACKTOKEN", "HOOKTOKEN", "HMACKEY", "SMTPPASS", "/services/"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        // Stored and read back whole: the server keeps the settings (encrypted) as this JSON.
        let again: Channel = serde_json::from_str(&serde_json::to_string(channel).expect("serialize")).expect("parse");
        assert_eq!(&again, channel);
    }
    assert_eq!(slack.describe(), "slack https://hooks.slack.com");
    assert_eq!(hook.describe(), "webhook https://ops.example.test");
    assert_eq!(email.describe(), "email via smtp.example.test:587 to oncall@example.test");
    let Channel::Email(settings) = &email else { panic!() };
    assert_eq!(settings.security, SmtpSecurity::Starttls);

    let invalid = |json: &str| parse(json).validate().expect_err("invalid");
    assert_eq!(
        invalid(r#"{"type": "slack", "webhook_url": "http://hooks.slack.com/services/T/B/C"}"#),
        ChannelError::NotHttps("Slack webhook")
    );
    assert!(parse(r#"{"type": "slack", "webhook_url": "http://127.0.0.1:9/services/T/B/C"}"#).validate().is_ok());
    assert_eq!(invalid(r#"{"type": "webhook", "url": "https://x.test/", "secret": "short"}"#), ChannelError::ShortKey);
    assert_eq!(
        invalid(r#"{"type": "email", "host": "h.test", "from": "not an address", "to": ["a@b.test"]}"#),
        ChannelError::BadAddress("not an address".into())
    );
    assert_eq!(
        invalid(r#"{"type": "email", "host": "h.test", "username": "u", "from": "a@b.test", "to": ["a@b.test"]}"#),
        ChannelError::HalfCredentials
    );
    assert_eq!(
        invalid(r#"{"type": "email", "host": "h.test", "from": "a@b.test", "to": []}"#),
        ChannelError::Empty("recipient list")
    );
    for wrong in [
        r#"{"type": "sms", "number": "1"}"#,
        r#"{"type": "slack", "webhook_url": "https://h.test/", "channel": "x"}"#,
        r#"{"type": "email", "host": "h.test", "from": "a@b.test", "to": ["a@b.test"], "security": "ssl"}"#,
    ] {
        assert!(serde_json::from_str::<Channel>(wrong).is_err(), "accepted {wrong}");
    }
}
