//! `leakprobe serve` processes and clients for the tests that drive the server (server.rs,
//! dashboard.rs): a real binary on loopback, its log in a file, its SQLite file read back by Python.
#![allow(dead_code)] // each test file uses its own subset

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{leakprobe, python};

pub const SECRET_KEY: &str = "5f0c7a1e9b3d2c4f6a8e0b1d3c5f7a9e2b4d6f8a0c1e3b5d7f9a2c4e6b8d0f1a";
pub const ADMIN_PASSWORD: &str = "admin-pw-for-tests";

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("leakprobe-server-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

pub fn db_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("leakprobe.db").display())
}

pub fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("leakprobe")
}

/// A `leakprobe serve` or `leakprobe worker` process; its stderr (the log) goes to a file.
pub struct Process {
    pub child: Child,
    pub log: PathBuf,
    /// `serve`: the base URL it printed; and what it printed before it.
    pub url: String,
    pub stdout: String,
}

impl Process {
    pub fn spawn(dir: &Path, args: &[&str], env: &[(&str, &str)], log_name: &str) -> Process {
        let log = dir.join(log_name);
        let mut child = Command::new(bin())
            .args(args)
            .env("LEAKPROBE_SECRET_KEY", SECRET_KEY)
            .env("NO_COLOR", "1")
            .env("LEAKPROBE_LOG", "leakprobe=info,leakprobe_server=debug")
            .envs(env.iter().copied())
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("start leakprobe");
        let mut url = String::new();
        let mut stdout = String::new();
        if args[0] == "serve" {
            let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
            loop {
                let mut line = String::new();
                assert!(reader.read_line(&mut line).expect("stdout line") > 0, "serve exited: {stdout}");
                if let Some(rest) = line.trim().strip_prefix("leakprobe: serving ") {
                    url = rest.split_whitespace().next().expect("url").to_string();
                    break;
                }
                stdout.push_str(&line);
            }
        }
        Process { child, log, url, stdout }
    }

    pub fn serve(dir: &Path, extra: &[&str]) -> Process {
        let db = db_url(dir);
        let mut args = vec!["serve", "--listen", "127.0.0.1:0", "--db", &db, "--heartbeat", "1"];
        args.extend_from_slice(extra);
        Process::spawn(dir, &args, &[("LEAKPROBE_ADMIN_PASSWORD", ADMIN_PASSWORD)], "serve.log")
    }

    pub fn worker(dir: &Path, log_name: &str) -> Process {
        let db = db_url(dir);
        Process::spawn(dir, &["worker", "--db", &db, "--heartbeat", "1"], &[], log_name)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn create_token(dir: &Path) -> String {
    let out =
        leakprobe().args(["token", "create", "tests", "--db", &db_url(dir)]).current_dir(dir).output().expect("token");
    assert!(out.status.success(), "token create: {}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).expect("utf8").trim().to_string();
    assert!(token.starts_with("lpt_") && token.len() > 40, "{token}");
    token
}

pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// A client of the API that keeps every body it received (for the secret check).
pub struct Api {
    pub base: String,
    pub token: String,
    pub client: reqwest::Client,
    pub seen: Mutex<Vec<String>>,
}

impl Api {
    pub fn new(base: &str, token: &str) -> Api {
        Api { base: base.to_string(), token: token.to_string(), client: reqwest::Client::new(), seen: Mutex::default() }
    }

    pub async fn call(&self, method: &str, path: &str, body: Option<Value>, auth: Option<&str>) -> Reply {
        let mut request = self
            .client
            .request(method.parse().expect("method"), format!("{}{path}", self.base))
            .timeout(Duration::from_secs(30));
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let mut response = request.send().await.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status().as_u16();
        let content_type =
            response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.expect("body") {
            bytes.extend_from_slice(&chunk);
            assert!(bytes.len() < 32 << 20, "{path}: answer over 32 MiB");
        }
        let body = String::from_utf8(bytes).expect("utf8 body");
        self.seen.lock().expect("seen").push(body.clone());
        Reply { status, content_type, body }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call("GET", path, None, Some(&format!("Bearer {}", self.token))).await
    }

    pub async fn send(&self, method: &str, path: &str, body: Value) -> Reply {
        self.call(method, path, Some(body), Some(&format!("Bearer {}", self.token))).await
    }

    pub async fn queue(&self, body: Value) -> String {
        let reply = self.send("POST", "/api/v1/scans", body).await;
        assert_eq!(reply.status, 202, "{}", reply.body);
        let queued = reply.json();
        assert_eq!(queued["status"], "queued");
        queued["id"].as_str().expect("id").to_string()
    }

    /// Polls until the scan is done or failed.
    pub async fn wait(&self, id: &str, limit: Duration) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            let scan = self.get(&format!("/api/v1/scans/{id}")).await.json();
            if scan["status"] == "done" || scan["status"] == "failed" {
                return scan;
            }
            assert!(Instant::now() < deadline, "scan {id} not finished after {limit:?}: {scan}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// `SELECT` on the SQLite file through Python's sqlite3 (an independent reader), rows as JSON.
pub fn sql(dir: &Path, query: &str) -> Vec<Value> {
    let script = "import json, sqlite3, sys\n\
        c = sqlite3.connect(sys.argv[1])\n\
        c.row_factory = sqlite3.Row\n\
        print(json.dumps([dict(r) for r in c.execute(sys.argv[2])]))\n";
    let out = Command::new(python())
        .args(["-c", script])
        .arg(dir.join("leakprobe.db"))
        .arg(query)
        .output()
        .expect("python sqlite3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("rows")
}

pub fn database_bytes(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for name in ["leakprobe.db", "leakprobe.db-wal", "leakprobe.db-shm"] {
        all.extend(std::fs::read(dir.join(name)).unwrap_or_default());
    }
    all
}

pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}
