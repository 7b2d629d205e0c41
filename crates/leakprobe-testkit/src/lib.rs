//! Test-only helpers shared by the workspace's test suites: the Flask targets of `tests/targets/`
//! started on 127.0.0.1 with ephemeral ports (plain or TLS, with certificates made per test).
//!
//! ```no_run
//! let target = leakprobe_testkit::Target::start_env("server_watch", &[("TARGET_DELAY", "0.05")]);
//! println!("scan {}", target.url);
//! ```
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repo root")
}

/// The venv's Python (created by `scripts/test.sh`), or `LEAKPROBE_PYTHON`.
pub fn python() -> PathBuf {
    if let Ok(p) = std::env::var("LEAKPROBE_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = repo_root().join(".venv/bin/python");
    assert!(venv.exists(), "no Python venv at {}: run scripts/test.sh, which creates it", venv.display());
    venv
}

/// A Flask target from `tests/targets/`, stopped when dropped.
pub struct Target {
    child: Child,
    pub url: String,
    pub port: u16,
}

impl Target {
    pub fn start(module: &str) -> Target {
        Self::start_env(module, &[])
    }

    /// A target that appends every request it receives (method, path, query, body, headers) to a
    /// JSON-lines file; read it with [`Target::requests`].
    pub fn start_logged(module: &str) -> (Target, PathBuf) {
        let log = std::env::temp_dir().join(format!(
            "leakprobe-{module}-{}-{:?}.jsonl",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_file(&log);
        let target = Self::start_env(module, &[("TARGET_REQUEST_LOG", log.to_str().expect("utf8 path"))]);
        (target, log)
    }

    pub fn requests(log: &Path) -> Vec<Value> {
        std::fs::read_to_string(log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("request log line"))
            .collect()
    }

    pub fn start_env(module: &str, env: &[(&str, &str)]) -> Target {
        let dir = repo_root().join("tests/targets");
        let mut child = Command::new(python())
            .arg(dir.join("serve.py"))
            .arg(module)
            .envs(env.iter().copied())
            .current_dir(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start target {module}: {e}"));
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("target's first line");
        let port: u16 = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("target {module} did not report its port: {line:?}"));
        let target = Target { child, url: format!("http://127.0.0.1:{port}"), port };
        target.wait_until_up();
        target
    }

    fn wait_until_up(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("target on port {} never answered", self.port);
    }

    /// GET a test-only endpoint of the target (bookkeeping the scanner never sees).
    pub fn get_json(&self, path: &str) -> Value {
        let url = format!("{}{}", self.url, path);
        let out = Command::new(python())
            .args([
                "-c",
                "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())",
                &url,
            ])
            .output()
            .expect("python");
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{url}: {e}"))
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Target {
    /// A target served over TLS with the PEM certificate chain and key at `cert`/`key` (serve.py's
    /// TARGET_CERT/TARGET_KEY) plus `env` (e.g. `TARGET_TLS_MIN=1.0`); its `url` is https.
    pub fn start_tls(module: &str, cert: &Path, key: &Path, env: &[(&str, &str)]) -> Target {
        let cert = cert.to_str().expect("utf8 path");
        let key = key.to_str().expect("utf8 path");
        let mut all = vec![("TARGET_CERT", cert), ("TARGET_KEY", key)];
        all.extend_from_slice(env);
        let mut target = Self::start_env(module, &all);
        target.url = format!("https://127.0.0.1:{}", target.port);
        target
    }
}

/// Certificates for TLS targets, generated per test with rcgen: self-signed, or a test CA and a leaf
/// it signed. All are for `127.0.0.1` and `localhost`, valid from yesterday.
pub mod pki {
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose,
    };

    /// A fresh directory for one target's PEM files.
    pub fn dir(name: &str) -> PathBuf {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("leakprobe-pki-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    fn validity(params: &mut CertificateParams, days: u64) {
        let epoch = rcgen::date_time_ymd(1970, 1, 1);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock");
        params.not_before = epoch + (now - Duration::from_secs(86_400));
        params.not_after = epoch + (now + Duration::from_secs(days * 86_400));
    }

    fn leaf_params(days: u64) -> CertificateParams {
        let mut params =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).expect("leaf params");
        params.distinguished_name.push(DnType::CommonName, "127.0.0.1");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        validity(&mut params, days);
        params
    }

    fn write(dir: &Path, name: &str, pem: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, pem).expect("write pem");
        path
    }

    /// `(cert.pem, key.pem)` of a self-signed certificate valid for a year.
    pub fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
        let key = KeyPair::generate().expect("key");
        let cert = leaf_params(365).self_signed(&key).expect("self-signed");
        (write(dir, "cert.pem", &cert.pem()), write(dir, "key.pem", &key.serialize_pem()))
    }

    /// `(ca.pem, cert.pem, key.pem)`: a test CA and a leaf it signed, valid for `leaf_days`.
    pub fn ca_and_leaf(dir: &Path, leaf_days: u64) -> (PathBuf, PathBuf, PathBuf) {
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("ca params");
        ca.distinguished_name.push(DnType::CommonName, "leakprobe test CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        validity(&mut ca, 3650);
        let issuer = CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("ca key")).expect("ca");
        let key = KeyPair::generate().expect("leaf key");
        let leaf = leaf_params(leaf_days).signed_by(&key, &issuer).expect("leaf");
        (
            write(dir, "ca.pem", &issuer.pem()),
            write(dir, "cert.pem", &leaf.pem()),
            write(dir, "key.pem", &key.serialize_pem()),
        )
    }
}

impl Target {
    /// `module` over TLS with a fresh self-signed certificate (scan it with `--insecure`), plus
    /// `env` such as `("TARGET_TLS_MIN", "1.0")`.
    pub fn start_tls_self_signed(module: &str, env: &[(&str, &str)]) -> Target {
        let (cert, key) = pki::self_signed(&pki::dir(module));
        Self::start_tls(module, &cert, &key, env)
    }
}
