//! The data behind `sensitive_files`, parsed once: content rules (`data/sensitive-files.rules`) and
//! what is probed with which rule (`data/sensitive-files.txt`). Both formats are documented at the
//! top of their files.
use std::collections::HashMap;
use std::sync::LazyLock;

use leakprobe_detect::PiiType;
use regex::Regex;

use crate::client::Exchange;
use crate::report::{Confidence, Severity};

const RULES: &str = include_str!("../../../data/sensitive-files.rules");
const PATHS: &str = include_str!("../../../data/sensitive-files.txt");

/// Rules are matched against this much of a body at most: markers sit at the top of real files,
/// and a 2 MiB body must not cost a regex pass per rule.
const TEXT_WINDOW: usize = 256 * 1024;

/// Which check reports a rule's findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    Backup,
    Export,
    Vcs,
    Config,
    Key,
    Listing,
}

impl Family {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "backup" => Family::Backup,
            "export" => Family::Export,
            "vcs" => Family::Vcs,
            "config" => Family::Config,
            "key" => Family::Key,
            "listing" => Family::Listing,
            _ => return None,
        })
    }
}

/// Code that validates beyond what matchers say and writes the evidence (see `inspect.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inspector {
    Archive,
    Sql,
    Sqlite,
    Csv,
    Listing,
    Assignments,
    Env,
    GitConfig,
    GitIndex,
    GitLog,
    Pem,
    Htpasswd,
    FirstLine,
    Size,
}

impl Inspector {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "archive" => Inspector::Archive,
            "sql" => Inspector::Sql,
            "sqlite" => Inspector::Sqlite,
            "csv" => Inspector::Csv,
            "listing" => Inspector::Listing,
            "assignments" => Inspector::Assignments,
            "env" => Inspector::Env,
            "git_config" => Inspector::GitConfig,
            "git_index" => Inspector::GitIndex,
            "git_log" => Inspector::GitLog,
            "pem" => Inspector::Pem,
            "htpasswd" => Inspector::Htpasswd,
            "first_line" => Inspector::FirstLine,
            "size" => Inspector::Size,
            _ => return None,
        })
    }
}

#[derive(Debug)]
struct Magic {
    offset: usize,
    bytes: Vec<u8>,
}

#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub family: Family,
    pub severity: Severity,
    pub escalate: Option<Severity>,
    pub confidence: Confidence,
    pub title: String,
    magic: Vec<Magic>,
    words: Vec<String>,
    regexes: Vec<Regex>,
    not_html: bool,
    pub inspect: Inspector,
}

impl Rule {
    /// The matchers: a successful answer, not HTML where the rule says so, one of the magic
    /// prefixes, one of the words, every regex. The soft-404 test is the caller's.
    pub fn matches(&self, ex: &Exchange) -> bool {
        if !ex.is_success() || (self.not_html && looks_html(ex)) {
            return false;
        }
        let body = &ex.body;
        if !self.magic.is_empty()
            && !self.magic.iter().any(|m| body.get(m.offset..m.offset + m.bytes.len()) == Some(&m.bytes[..]))
        {
            return false;
        }
        if self.words.is_empty() && self.regexes.is_empty() {
            return true;
        }
        let text = String::from_utf8_lossy(&body[..body.len().min(TEXT_WINDOW)]);
        (self.words.is_empty() || self.words.iter().any(|w| text.contains(w.as_str())))
            && self.regexes.iter().all(|r| r.is_match(&text))
    }
}

/// HTML by content type or by its first bytes: what a catch-all, a login wall or an error page
/// answers, and never what a `.env` or a dump holds.
pub fn looks_html(ex: &Exchange) -> bool {
    if ex.is_html() {
        return true;
    }
    let head = &ex.body[..ex.body.len().min(1024)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    ["<html", "<!doctype", "<head", "<body", "<script"].iter().any(|m| head.contains(m))
}

#[derive(Debug)]
pub struct Entry {
    /// A path (`[root]`), a file name (`[in-folder]`) or a `{name}` pattern (`[derived]`).
    pub path: String,
    pub rule: usize,
    /// Probed only once one of these rules matched.
    pub after: Vec<usize>,
}

#[derive(Debug)]
pub struct PiiColumn {
    /// Normalized (`lower_snake`) column name, or a `_`-delimited fragment when `anywhere`.
    pub name: String,
    pub anywhere: bool,
    pub kind: PiiType,
}

#[derive(Debug, Default)]
pub struct Data {
    pub rules: Vec<Rule>,
    pub root: Vec<Entry>,
    pub derived: Vec<Entry>,
    pub folders: Vec<String>,
    pub in_folder: Vec<Entry>,
    /// `(suffix, rule)`, longest suffix first so `.tar.gz` wins over `.gz`.
    pub extensions: Vec<(String, usize)>,
    pub sensitive_names: Vec<String>,
    pub pii_columns: Vec<PiiColumn>,
}

impl Data {
    pub fn rule(&self, index: usize) -> &Rule {
        &self.rules[index]
    }

    /// The rule for a file seen in a listing, by its name's suffix.
    pub fn rule_for_name(&self, name: &str) -> Option<usize> {
        let lower = name.to_ascii_lowercase();
        self.extensions.iter().find(|(suffix, _)| lower.ends_with(suffix.as_str())).map(|(_, r)| *r)
    }

    /// True when a file name says it holds secrets or personal data.
    pub fn is_sensitive_name(&self, name: &str) -> bool {
        let base = name.rsplit('/').find(|s| !s.is_empty()).unwrap_or(name).to_ascii_lowercase();
        self.sensitive_names.iter().any(|g| glob(g, &base))
    }
}

#[allow(clippy::unwrap_used)] // built-in data; `data_files_parse` fails on any mistake in it
pub static DATA: LazyLock<Data> = LazyLock::new(|| parse(RULES, PATHS).unwrap());

fn parse(rules_text: &str, paths_text: &str) -> Result<Data, String> {
    let mut data = Data { rules: parse_rules(rules_text)?, ..Default::default() };
    let index: HashMap<String, usize> = data.rules.iter().enumerate().map(|(i, r)| (r.id.clone(), i)).collect();
    let rule_of = |id: &str, line: usize| index.get(id).copied().ok_or(format!("line {line}: unknown rule `{id}`"));

    let mut section = String::new();
    for (n, raw) in paths_text.lines().enumerate() {
        let line = raw.trim();
        let n = n + 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
            continue;
        }
        let cols: Vec<&str> = line.split_whitespace().collect();
        match section.as_str() {
            "root" | "derived" | "in-folder" => {
                let [path, rule, rest @ ..] = cols.as_slice() else {
                    return Err(format!("line {n}: expected `PATH RULE`"));
                };
                let mut after = Vec::new();
                for opt in rest {
                    let ids = opt.strip_prefix("after=").ok_or(format!("line {n}: unknown option `{opt}`"))?;
                    for id in ids.split('|') {
                        after.push(rule_of(id, n)?);
                    }
                }
                let entry = Entry { path: (*path).to_string(), rule: rule_of(rule, n)?, after };
                match section.as_str() {
                    "root" => data.root.push(entry),
                    "derived" => data.derived.push(entry),
                    _ => data.in_folder.push(entry),
                }
            }
            "folders" => data.folders.push(cols[0].to_string()),
            "extensions" => {
                let [suffix, rule] = cols.as_slice() else { return Err(format!("line {n}: expected `SUFFIX RULE`")) };
                data.extensions.push((suffix.to_ascii_lowercase(), rule_of(rule, n)?));
            }
            "sensitive-names" => data.sensitive_names.push(cols[0].to_ascii_lowercase()),
            "pii-columns" => {
                let [name, kind] = cols.as_slice() else { return Err(format!("line {n}: expected `COLUMN TYPE`")) };
                let kind = pii_type(kind).ok_or(format!("line {n}: unknown PII type `{kind}`"))?;
                let (name, anywhere) = match name.strip_prefix('~') {
                    Some(word) => (word, true),
                    None => (*name, false),
                };
                data.pii_columns.push(PiiColumn { name: name.to_string(), anywhere, kind });
            }
            other => return Err(format!("line {n}: entry outside a known section (`[{other}]`)")),
        }
    }
    data.extensions.sort_by_key(|(suffix, _)| std::cmp::Reverse(suffix.len()));
    Ok(data)
}

fn parse_rules(text: &str) -> Result<Vec<Rule>, String> {
    let mut rules = Vec::new();
    let mut current: Option<(String, HashMap<String, Vec<String>>)> = None;
    let mut finish = |block: Option<(String, HashMap<String, Vec<String>>)>| -> Result<(), String> {
        if let Some((id, keys)) = block {
            rules.push(build_rule(id, keys)?);
        }
        Ok(())
    };
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(id) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            finish(current.take())?;
            current = Some((id.to_string(), HashMap::new()));
            continue;
        }
        let (key, value) = line.split_once('=').ok_or(format!("rules line {}: expected `key = value`", n + 1))?;
        let Some((_, keys)) = current.as_mut() else {
            return Err(format!("rules line {}: key outside a [rule] block", n + 1));
        };
        keys.entry(key.trim().to_string()).or_default().push(value.trim().to_string());
    }
    finish(current.take())?;
    Ok(rules)
}

fn build_rule(id: String, mut keys: HashMap<String, Vec<String>>) -> Result<Rule, String> {
    let mut one = |key: &str| keys.remove(key).and_then(|mut v| v.pop());
    let err = |what: String| format!("rule [{id}]: {what}");
    let family =
        one("check").and_then(|c| Family::parse(&c)).ok_or_else(|| err("missing or unknown `check`".into()))?;
    let severity: Severity = one("severity").ok_or_else(|| err("missing `severity`".into()))?.parse().map_err(err)?;
    let escalate = one("escalate").map(|s| s.parse::<Severity>()).transpose().map_err(err)?;
    let confidence = match one("confidence").as_deref() {
        None | Some("confirmed") => Confidence::Confirmed,
        Some("high") => Confidence::High,
        Some("medium") => Confidence::Medium,
        Some(other) => return Err(err(format!("unknown confidence `{other}`"))),
    };
    let title = one("title").ok_or_else(|| err("missing `title`".into()))?;
    let inspect =
        one("inspect").and_then(|i| Inspector::parse(&i)).ok_or_else(|| err("missing or unknown `inspect`".into()))?;
    let not_html = match one("not_html").as_deref() {
        None | Some("no") => false,
        Some("yes") => true,
        Some(other) => return Err(err(format!("not_html must be yes or no, not `{other}`"))),
    };
    let mut magic = Vec::new();
    for alt in one("magic").iter().flat_map(|m| m.split('|')) {
        let alt = alt.trim();
        let (offset, hex) = match alt.split_once(':') {
            Some((o, h)) => (o.parse().map_err(|_| err(format!("bad magic offset in `{alt}`")))?, h),
            None => (0, alt),
        };
        magic.push(Magic { offset, bytes: unhex(hex).ok_or_else(|| err(format!("bad magic hex `{hex}`")))? });
    }
    let words = one("words").map(|w| w.split('|').map(|s| s.trim().to_string()).collect()).unwrap_or_default();
    let regexes = keys
        .remove("regex")
        .unwrap_or_default()
        .iter()
        .map(|r| Regex::new(r).map_err(|e| err(format!("regex: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(key) = keys.keys().next() {
        return Err(err(format!("unknown key `{key}`")));
    }
    Ok(Rule { id, family, severity, escalate, confidence, title, magic, words, regexes, not_html, inspect })
}

fn unhex(hex: &str) -> Option<Vec<u8>> {
    if hex.is_empty() || hex.len() & 1 == 1 {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect()
}

fn pii_type(name: &str) -> Option<PiiType> {
    use PiiType::*;
    [Email, Ssn, CreditCard, Phone, IpAddress, Iban, NationalId, DateOfBirth, Address, Name, Password, PasswordHash]
        .into_iter()
        .find(|t| t.as_str() == name)
}

/// `*` matches any run of characters; everything else matches itself. Both sides lowercase.
pub fn glob(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = name.strip_prefix(first) else { return false };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else { return rest.is_empty() };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_files_parse() {
        let data = parse(RULES, PATHS).unwrap_or_else(|e| panic!("{e}"));
        assert!(data.rules.len() > 20 && data.root.len() > 40, "the data files were cut short");
        for entry in data.root.iter().chain(&data.derived).chain(&data.in_folder) {
            for after in &entry.after {
                assert_eq!(
                    data.rules[*after].family, data.rules[entry.rule].family,
                    "{}: `after` must name a rule of the same check",
                    entry.path
                );
            }
        }
        for entry in &data.derived {
            assert!(entry.path.contains("{name}"), "{} derives nothing", entry.path);
        }
        assert!(data.folders.iter().all(|f| f.starts_with('/') && f.ends_with('/')));
        assert_eq!(data.rule_for_name("site-2024.tar.gz").map(|r| data.rules[r].id.as_str()), Some("gzip"));
        assert_eq!(data.rule_for_name("users.CSV").map(|r| data.rules[r].id.as_str()), Some("csv"));
        assert!(data.rule_for_name("logo.png").is_none());
    }

    #[test]
    fn bad_data_is_reported_not_guessed() {
        assert!(parse("[x]\ncheck = nope\n", "").is_err());
        assert!(parse("[x]\ncheck = vcs\nseverity = high\ntitle = t\ninspect = size\nmagic = 0g\n", "").is_err());
        assert!(parse("[x]\ncheck = vcs\nseverity = high\ntitle = t\ninspect = size\nfoo = 1\n", "").is_err());
        let rule = "[x]\ncheck = vcs\nseverity = high\ntitle = t\ninspect = size\n";
        assert!(parse(rule, "[root]\n/a y\n").is_err(), "unknown rule");
        assert!(parse(rule, "[root]\n/a x after=x\n").is_ok());
    }

    #[test]
    fn globs() {
        assert!(glob("*.sql", "dump.sql"));
        assert!(!glob("*.sql", "dump.sql.txt"));
        assert!(glob(".env", ".env"));
        assert!(!glob(".env", ".envrc"));
        assert!(glob(".env.*", ".env.production"));
        assert!(glob("*backup*", "site-backup-2024.zip"));
        assert!(glob("id_rsa*", "id_rsa.pub"));
        assert!(!glob("*passw*", "logo.png"));
        assert!(glob("a*b*c", "aXbYc") && !glob("a*b*c", "aXcYb"));
    }
}
