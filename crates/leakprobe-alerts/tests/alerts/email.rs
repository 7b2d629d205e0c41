//! E-mail delivery to a real SMTP server (aiosmtpd, `tests/targets/smtp_sink.py`) on loopback:
//! what arrives (recipients, subject, the findings), STARTTLS when the server offers it, login,
//! and a wrong password that is final and not quoted back.
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use leakprobe_alerts::{
    Channel, EmailChannel, Event, EventKind, FindingRef, Notice, Notifier, Options, Secret, SmtpSecurity, TargetInfo,
};
use leakprobe_engine::report::{Category, Grade, Severity};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use serde_json::Value;
use url::Url;

use crate::{python, repo_root};

/// The SMTP server, stopped when dropped; each message it receives arrives as a JSON line.
struct Sink {
    child: Child,
    port: u16,
    messages: mpsc::Receiver<Value>,
}

impl Sink {
    fn start(args: &[&str]) -> Sink {
        let mut child = Command::new(python())
            .arg(repo_root().join("tests/targets/smtp_sink.py"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start smtp_sink.py");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = lines.next().expect("a first line").expect("utf-8");
        let port = first.strip_prefix("PORT ").and_then(|p| p.parse().ok()).expect("PORT line");
        let (tx, messages) = mpsc::channel();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let _ = tx.send(serde_json::from_str(&line).expect("json line"));
            }
        });
        Sink { child, port, messages }
    }

    fn next(&self) -> Value {
        self.messages.recv_timeout(Duration::from_secs(10)).expect("a message within 10 s")
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn channel(port: u16) -> EmailChannel {
    EmailChannel {
        host: "127.0.0.1".into(),
        port: Some(port),
        security: SmtpSecurity::Starttls,
        username: None,
        password: None,
        from: "leakprobe <alerts@leakprobe.test>".into(),
        to: vec!["oncall@example.test".into(), "Security <sec@example.test>".into()],
        root_certificate: None,
    }
}

fn options() -> Options {
    Options {
        dashboard_url: Some(Url::parse("https://leakprobe.example.test/").expect("url")),
        timeout: Duration::from_secs(10),
        retries: 1,
        min_delay: Duration::from_millis(100),
        max_delay: Duration::from_secs(1),
    }
}

fn notice() -> Notice {
    let finding = FindingRef {
        id: "ssn1".into(),
        check: "pii_in_response".into(),
        category: Category::DataExposure,
        severity: Severity::Critical,
        title: "Response exposes SSNs".into(),
        method: "GET".into(),
        endpoint: "/api/users/{id}".into(),
    };
    Notice {
        target: TargetInfo { id: "7".into(), name: "Payroll API".into(), url: "http://127.0.0.1:5000".into() },
        scan: "42".into(),
        score: Some(55),
        grade: Some(Grade::D),
        previous_score: Some(95),
        events: vec![Event {
            key: "7/new_finding/new/ssn1/42".into(),
            target: "7".into(),
            scan: "42".into(),
            rule: "new_finding".into(),
            kind: EventKind::NewFinding { finding },
        }],
        test: false,
    }
}

#[tokio::test]
async fn the_alert_and_a_test_message_arrive_by_smtp() {
    let sink = Sink::start(&[]);
    let notifier = Notifier::new(options()).expect("notifier");
    let to = Channel::Email(channel(sink.port));
    let delivery = notifier.deliver(&to, &notice()).await;
    assert!(delivery.ok, "{delivery:?}");
    assert_eq!((delivery.channel, delivery.status, delivery.attempts), ("email", Some(250), 1));

    let got = sink.next();
    assert_eq!(got["mail_from"], "alerts@leakprobe.test");
    assert_eq!(got["rcpt_tos"], serde_json::json!(["oncall@example.test", "sec@example.test"]));
    assert_eq!(got["subject"], "leakprobe: Payroll API — 1 new finding");
    let body = got["body"].as_str().expect("body");
    assert!(body.contains("[CRITICAL] Response exposes SSNs — GET /api/users/{id} (data_exposure)"), "{body}");
    assert!(body.contains("Grade: D") && body.contains("Score: 55 (was 95)"), "{body}");
    assert!(body.contains("https://leakprobe.example.test/scans/42"), "{body}");
    // The sink offers no STARTTLS; on loopback plain text is accepted.
    assert_eq!(got["tls"], false);

    assert!(notifier.send_test(&to).await.ok);
    assert_eq!(sink.next()["subject"], "leakprobe: test message");
}

/// `(ca.pem, cert.pem, key.pem)` in a fresh directory: a test CA and a leaf for 127.0.0.1.
fn certificates() -> (String, PathBuf, PathBuf) {
    let nonce = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_nanos();
    let dir = std::env::temp_dir().join(format!("leakprobe-alerts-smtp-{}-{nonce}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca.distinguished_name.push(DnType::CommonName, "leakprobe alerts test CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let issuer = CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("ca key")).expect("ca");
    let key = KeyPair::generate().expect("key");
    let leaf =
        CertificateParams::new(vec!["127.0.0.1".to_string()]).expect("leaf").signed_by(&key, &issuer).expect("sign");
    let (cert, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, leaf.pem()).expect("write cert");
    std::fs::write(&key_path, key.serialize_pem()).expect("write key");
    (issuer.pem(), cert, key_path)
}

#[tokio::test]
async fn starttls_is_used_when_offered_and_the_login_happens_under_it() {
    let (ca, cert, key) = certificates();
    let sink = Sink::start(&[
        "--starttls",
        cert.to_str().expect("path"),
        key.to_str().expect("path"),
        "--auth",
        "alerts",
        "s3cret-pass",
    ]);
    let notifier = Notifier::new(options()).expect("notifier");
    let mut settings = channel(sink.port);
    settings.root_certificate = Some(ca);
    settings.username = Some("alerts".into());
    settings.password = Some(Secret::new("s3cret-pass"));
    let delivery = notifier.deliver(&Channel::Email(settings.clone()), &notice()).await;
    assert!(delivery.ok, "{delivery:?}");
    let got = sink.next();
    assert_eq!(got["tls"], true, "the server offered STARTTLS and refuses mail without it");
    assert_eq!(got["login"], "alerts");
    assert_eq!(got["subject"], "leakprobe: Payroll API — 1 new finding");

    // A wrong password: a permanent SMTP error, not retried, and not quoted in the record.
    settings.password = Some(Secret::new("wrong-pass-31337"));
    let delivery = notifier.deliver(&Channel::Email(settings), &notice()).await;
    assert!(!delivery.ok);
    assert_eq!((delivery.status, delivery.attempts), (Some(535), 1), "{delivery:?}");
    assert!(!delivery.error.expect("error").contains("wrong-pass-31337"));
    let _ = std::fs::remove_dir_all(cert.parent().expect("dir"));
}
