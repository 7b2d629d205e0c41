//! Inspectors: the part of validation that matchers cannot express (a CSV header with personal-data
//! columns, a directory listing's entries), and the evidence each file type is reported with.
//!
//! Evidence names structure — variable names, table names, columns, archive entries — and never
//! prints a secret value unless the scan shows evidence; personal data goes through `ctx.redact`.
use std::collections::BTreeSet;
use std::sync::LazyLock;

use leakprobe_detect::PiiType;
use regex::Regex;

use super::rules::{looks_html, Inspector, Rule, DATA};
use crate::client::Exchange;
use crate::context::ScanContext;

/// Names shown per list in evidence; the rest are counted.
const SHOWN: usize = 6;
/// Entries read from an archive, index or listing at most (hostile bodies claim millions).
const MAX_ENTRIES: usize = 1_000;
/// Text inspected at most, as in the rules.
const TEXT_WINDOW: usize = 256 * 1024;

#[derive(Debug, Default)]
pub struct Inspection {
    pub evidence: String,
    /// Why the rule's `escalate` severity applies: real secrets, data rows, sensitive file names.
    pub worse: Option<String>,
    /// What the file holds by its structure (a `ssn` column with SSNs, a password assignment),
    /// on top of what the detector finds in the body.
    pub pii: BTreeSet<PiiType>,
    /// Paths a directory listing links to.
    pub linked: Vec<String>,
}

/// Validates what matchers could not and writes the evidence; `None` when the body is not the
/// file type after all.
pub fn inspect(rule: &Rule, ex: &Exchange, ctx: &ScanContext) -> Option<Inspection> {
    let text = || String::from_utf8_lossy(&ex.body[..ex.body.len().min(TEXT_WINDOW)]).into_owned();
    match rule.inspect {
        Inspector::Archive => Some(archive(rule, ex)),
        Inspector::Sql => Some(sql(&text())),
        Inspector::Sqlite => Some(sqlite(ex)),
        Inspector::Csv => csv(ex, &text(), ctx),
        Inspector::Listing => listing(ex, &text(), ctx),
        Inspector::Env => env(&text(), ctx),
        Inspector::Assignments => Some(assignments(&text(), ctx)),
        Inspector::GitConfig => Some(git_config(&text(), ctx)),
        Inspector::GitIndex => Some(git_index(&ex.body)),
        Inspector::GitLog => Some(git_log(&text(), ctx)),
        Inspector::Pem => Some(pem(&text())),
        Inspector::Htpasswd => Some(htpasswd(&text())),
        Inspector::FirstLine => Some(first_line(&text(), ctx)),
        Inspector::Size => Some(Inspection { evidence: size(ex), ..Default::default() }),
    }
}

fn size(ex: &Exchange) -> String {
    let n = ex.body.len();
    let shown = if n >= 1024 * 1024 {
        format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0))
    } else if n >= 1024 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} bytes")
    };
    if ex.truncated {
        format!("more than {shown}")
    } else {
        shown
    }
}

/// `a, b, c (+4 more)`.
fn list(names: &[String]) -> String {
    let shown: Vec<&str> = names.iter().take(SHOWN).map(String::as_str).collect();
    let more = names.len().saturating_sub(SHOWN);
    if more > 0 {
        format!("{} (+{more} more)", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// Replaces whatever the detector finds in `text` with its redacted form.
fn redact_text(text: &str, ctx: &ScanContext) -> String {
    let mut out = text.to_string();
    for m in ctx.detector.scan_text(text) {
        out = out.replace(&m.value, &ctx.redact(m.kind, &m.value));
    }
    out
}

fn sensitive_worse(names: &[String], what: &str) -> Option<String> {
    let hits: Vec<String> = names.iter().filter(|n| DATA.is_sensitive_name(n)).cloned().collect();
    (!hits.is_empty()).then(|| format!("{what} {}", list(&hits)))
}

// ---- archives ------------------------------------------------------------------------------------

fn archive(rule: &Rule, ex: &Exchange) -> Inspection {
    let names = match rule.id.as_str() {
        "zip" => zip_entries(&ex.body),
        "tar" => tar_entries(&ex.body),
        _ => Vec::new(),
    };
    let mut evidence = format!("{}, {}", rule.title.trim_end_matches(" served"), size(ex));
    if !names.is_empty() {
        evidence.push_str(&format!(", {} entries: {}", names.len(), list(&names)));
    }
    Inspection { evidence, worse: sensitive_worse(&names, "contains"), ..Default::default() }
}

fn u16_at(b: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?)))
}

fn u32_at(b: &[u8], at: usize) -> Option<usize> {
    usize::try_from(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?)).ok()
}

/// Entry names from the central directory, or from the local headers when the body was cut
/// before the end of the archive.
pub fn zip_entries(b: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    let tail_start = b.len().saturating_sub(65_557);
    let eocd = b[tail_start..].windows(4).rposition(|w| w == b"PK\x05\x06").map(|i| tail_start + i);
    if let Some(mut at) = eocd.and_then(|e| u32_at(b, e + 16)) {
        while names.len() < MAX_ENTRIES && at < b.len() && b.get(at..at + 4) == Some(b"PK\x01\x02") {
            let (Some(n), Some(x), Some(c)) = (u16_at(b, at + 28), u16_at(b, at + 30), u16_at(b, at + 32)) else {
                break;
            };
            let Some(name) = b.get(at + 46..at + 46 + n) else { break };
            names.push(String::from_utf8_lossy(name).into_owned());
            at = at.saturating_add(46 + n + x + c);
        }
        if !names.is_empty() {
            return names;
        }
    }
    let mut at = 0;
    while names.len() < MAX_ENTRIES && at < b.len() && b.get(at..at + 4) == Some(b"PK\x03\x04") {
        let (Some(flags), Some(csize), Some(n), Some(x)) =
            (u16_at(b, at + 6), u32_at(b, at + 18), u16_at(b, at + 26), u16_at(b, at + 28))
        else {
            break;
        };
        let Some(name) = b.get(at + 30..at + 30 + n) else { break };
        names.push(String::from_utf8_lossy(name).into_owned());
        if flags & 0x8 != 0 && csize == 0 {
            break; // sizes follow the data: the next header cannot be found without inflating
        }
        at = at.saturating_add(30 + n + x).saturating_add(csize);
    }
    names
}

/// Entry names of a POSIX tar: 512-byte headers, each followed by its data in 512-byte blocks.
pub(crate) fn tar_entries(b: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    let mut at = 0usize;
    while names.len() < MAX_ENTRIES && at < b.len() {
        let Some(header) = b.get(at..at + 512) else { break };
        if header.get(257..262) != Some(b"ustar") {
            break;
        }
        let name = header[..100].split(|&c| c == 0).next().unwrap_or_default();
        names.push(String::from_utf8_lossy(name).into_owned());
        let size_field = String::from_utf8_lossy(&header[124..136]);
        let Ok(size) = usize::from_str_radix(size_field.trim_matches(|c: char| c == '\0' || c == ' '), 8) else {
            break;
        };
        at = at.saturating_add(512).saturating_add(size.div_ceil(512).saturating_mul(512));
    }
    names
}

// ---- databases -----------------------------------------------------------------------------------

#[allow(clippy::unwrap_used)] // constant patterns
static CREATE_TABLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)CREATE TABLE\s+(?:IF NOT EXISTS\s+)?(?:[`"\[]?\w+[`"\]]?\.)?[`"\[]?(\w+)"#).unwrap()
});
#[allow(clippy::unwrap_used)]
static DATA_ROWS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?im)^\s*(?:INSERT INTO\b|COPY \S+ .*FROM stdin;)").unwrap());

/// Types that make a table or an export personal data on their own; a `name` or `city` column
/// alone is every product catalogue.
fn strong(t: PiiType) -> bool {
    !matches!(t, PiiType::Name | PiiType::Address | PiiType::IpAddress)
}

/// A table of a dump or database: its name and the columns that name personal data.
struct Table {
    name: String,
    pii_columns: Vec<String>,
}

impl Table {
    fn shown(&self) -> String {
        if self.pii_columns.is_empty() {
            self.name.clone()
        } else {
            format!("{} ({})", self.name, self.pii_columns.join(", "))
        }
    }
}

/// `CREATE TABLE` statements: the table names, and the columns whose names say personal data
/// (`email`, `ssn`, `password_hash`…). Reads the schema only, so it works on SQLite pages too.
fn tables(text: &str) -> Vec<Table> {
    let mut seen: Vec<Table> = Vec::new();
    for cap in CREATE_TABLE.captures_iter(text).take(MAX_ENTRIES) {
        let name = cap[1].to_string();
        if seen.iter().any(|t| t.name == name) || name.starts_with("sqlite_") {
            continue;
        }
        let end = cap.get(0).map_or(0, |m| m.end());
        let pii_columns = columns(&text[end..])
            .into_iter()
            .filter(|c| pii_column(&normalize_column(c)).is_some_and(strong))
            .collect();
        seen.push(Table { name, pii_columns });
    }
    seen
}

/// The column names of `(col type, col type, CONSTRAINT …)` following a table name.
fn columns(rest: &str) -> Vec<String> {
    let Some(open) = rest.find('(').filter(|i| rest[..*i].trim().is_empty()) else { return Vec::new() };
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut piece = String::new();
    for c in rest[open + 1..].chars().take(4_000) {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => break,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut piece));
                continue;
            }
            _ => {}
        }
        piece.push(c);
    }
    out.push(piece);
    const CONSTRAINTS: [&str; 6] = ["primary", "foreign", "unique", "constraint", "check", "key"];
    out.iter()
        .filter_map(|p| p.split_whitespace().next())
        .map(|w| w.trim_matches(['`', '"', '[', ']']).to_string())
        .filter(|w| !w.is_empty() && !CONSTRAINTS.contains(&w.to_ascii_lowercase().as_str()))
        .collect()
}

pub(crate) fn sql(text: &str) -> Inspection {
    let tables = tables(text);
    let rows = DATA_ROWS.find_iter(text).count();
    let mut evidence = "SQL dump".to_string();
    if !tables.is_empty() {
        let shown: Vec<String> = tables.iter().map(Table::shown).collect();
        evidence.push_str(&format!(", tables: {}", list(&shown)));
    }
    evidence.push_str(&format!("; {rows} INSERT/COPY statements"));
    let worse = (rows > 0).then(|| "holds data rows".to_string());
    Inspection { evidence, worse, ..Default::default() }
}

/// Table names and columns sit in clear text in `sqlite_master`'s page; reading them needs no
/// SQLite. A database whose tables hold personal data is rated as a dump of it: a live app's
/// database is not empty.
pub(crate) fn sqlite(ex: &Exchange) -> Inspection {
    let text = String::from_utf8_lossy(&ex.body[..ex.body.len().min(TEXT_WINDOW)]);
    let tables = tables(&text);
    let mut evidence = format!("SQLite 3 database, {}", size(ex));
    if !tables.is_empty() {
        let shown: Vec<String> = tables.iter().map(Table::shown).collect();
        evidence.push_str(&format!(", tables: {}", list(&shown)));
    }
    let personal: Vec<String> = tables.iter().filter(|t| !t.pii_columns.is_empty()).map(|t| t.name.clone()).collect();
    let worse = (!personal.is_empty()).then(|| format!("tables with personal data: {}", list(&personal)));
    Inspection { evidence, worse, ..Default::default() }
}

// ---- CSV exports ---------------------------------------------------------------------------------

/// Rows read for value checks and counting.
const MAX_ROWS: usize = 2_000;

/// A data export: a header of identifier-like column names, some of which name personal data,
/// and rows whose values in those columns look like that data.
fn csv(ex: &Exchange, text: &str, ctx: &ScanContext) -> Option<Inspection> {
    if looks_html(ex) || ex.is_json() || text.trim_start().starts_with(['{', '[', '<']) {
        return None;
    }
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines.next()?;
    let delim = [',', ';', '\t', '|'].into_iter().max_by_key(|d| header.matches(*d).count())?;
    let columns: Vec<String> = split_csv(header, delim).iter().map(|c| normalize_column(c)).collect();
    let identifier = |c: &String| {
        (1..=48).contains(&c.len())
            && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && c.bytes().any(|b| b.is_ascii_alphabetic())
    };
    if columns.len() < 2 || !columns.iter().all(identifier) {
        return None;
    }
    let rows: Vec<Vec<String>> =
        lines.take(MAX_ROWS).map(|l| split_csv(l, delim)).filter(|r| r.len() == columns.len()).collect();
    if rows.is_empty() {
        return None;
    }
    // Columns that name personal data and hold values of that shape.
    let mut found: Vec<(PiiType, String, String)> = Vec::new(); // (type, column, sample)
    for (i, column) in columns.iter().enumerate() {
        let Some(kind) = pii_column(column) else { continue };
        if let Some(sample) = rows.iter().map(|r| r[i].trim()).find(|v| plausible(kind, v)) {
            found.push((kind, column.clone(), sample.to_string()));
        }
    }
    if !found.iter().any(|(t, _, _)| strong(*t)) {
        return None; // product catalogues and aggregate reports have `name` columns too
    }
    let pii: BTreeSet<PiiType> = found.iter().map(|(t, _, _)| *t).collect();
    let critical: Vec<&str> = found
        .iter()
        .filter(|(t, _, _)| {
            matches!(
                t,
                PiiType::Ssn
                    | PiiType::CreditCard
                    | PiiType::Iban
                    | PiiType::NationalId
                    | PiiType::Password
                    | PiiType::PasswordHash
            )
        })
        .map(|(_, c, _)| c.as_str())
        .collect();
    let worse = (!critical.is_empty()).then(|| format!("holds {}", critical.join(", ")));
    // The sample shown is of the worst column: the SSN rather than the e-mail.
    let sample = found
        .iter()
        .find(|(_, c, _)| critical.contains(&c.as_str()))
        .or_else(|| found.iter().find(|(t, _, _)| strong(*t)))
        .map(|(t, c, v)| format!("; e.g. {c}: {}", ctx.redact(*t, v)))
        .unwrap_or_default();
    let rows_shown =
        if ex.truncated || rows.len() == MAX_ROWS { format!("{}+", rows.len()) } else { rows.len().to_string() };
    let evidence = format!("CSV with {rows_shown} rows, columns: {}{sample}", list(&columns));
    Some(Inspection { evidence, worse, pii, ..Default::default() })
}

/// One CSV line into fields; quotes may hold the delimiter, `""` is a quote.
fn split_csv(line: &str, delim: char) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == delim && !quoted => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// `"E-Mail Address"` → `e_mail_address`.
fn normalize_column(raw: &str) -> String {
    let mut out = String::new();
    for c in raw.trim().trim_matches(['"', '\'', '\u{feff}']).chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

fn pii_column(column: &str) -> Option<PiiType> {
    let exact = DATA.pii_columns.iter().find(|p| !p.anywhere && p.name == column);
    let wrapped = format!("_{column}_");
    exact
        .or_else(|| DATA.pii_columns.iter().find(|p| p.anywhere && wrapped.contains(&format!("_{}_", p.name))))
        .map(|p| p.kind)
}

/// Values of that shape, not blanks or masks (`***`, `xxx`, `REDACTED`).
fn plausible(kind: PiiType, value: &str) -> bool {
    let digits: Vec<u8> = value.bytes().filter(u8::is_ascii_digit).map(|d| d - b'0').collect();
    let masked = value.chars().all(|c| matches!(c, '*' | 'x' | 'X' | '#' | '-' | ' ' | '.'))
        || value.eq_ignore_ascii_case("redacted")
        || value.eq_ignore_ascii_case("null");
    if value.is_empty() || masked {
        return false;
    }
    match kind {
        PiiType::Email => value.contains('@') && value.rsplit('@').next().is_some_and(|d| d.contains('.')),
        PiiType::Ssn => digits.len() == 9 && digits.iter().any(|d| *d != digits[0]) && !value.contains(['*', 'X', 'x']),
        PiiType::CreditCard => (13..=19).contains(&digits.len()) && luhn(&digits) && !value.contains(['*', 'X', 'x']),
        PiiType::Phone => digits.len() >= 7,
        PiiType::DateOfBirth => digits.len() >= 4,
        PiiType::Iban => value.len() >= 15 && value.chars().take(2).all(|c| c.is_ascii_alphabetic()),
        _ => value.len() >= 2,
    }
}

fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    matches!(sum % 10, 0)
}

// ---- directory listings --------------------------------------------------------------------------

#[allow(clippy::unwrap_used)]
static LISTING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)<(?:title|h1|h2)>\s*(?:index of|directory listing for|listing of)\s+/|\[to parent directory\]")
        .unwrap()
});
#[allow(clippy::unwrap_used)]
static HREF: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"(?i)href\s*=\s*["']([^"'?#]+)["']"#).unwrap());

/// An autoindex page (Apache, nginx, Python's http.server, IIS) and the files it links to.
fn listing(ex: &Exchange, text: &str, ctx: &ScanContext) -> Option<Inspection> {
    if !LISTING.is_match(text) {
        return None;
    }
    let folder = ex.url.path();
    let mut names = Vec::new();
    let mut linked = Vec::new();
    for cap in HREF.captures_iter(text).take(MAX_ENTRIES) {
        let Ok(url) = ex.url.join(&cap[1]) else { continue };
        if url.origin() != ex.url.origin() {
            continue;
        }
        let Some(rest) = url.path().strip_prefix(folder).filter(|r| !r.is_empty()) else { continue };
        let name = rest.to_string();
        if names.contains(&name) {
            continue;
        }
        if !name.ends_with('/') {
            linked.push(url.path().to_string());
        }
        names.push(name);
    }
    let decoded: Vec<String> = names.iter().map(|n| percent_decode(n)).collect();
    let shown = redact_text(&list(&decoded), ctx);
    let evidence = format!("listing of {folder} with {} entries: {shown}", names.len());
    let worse = sensitive_worse(&decoded, "lists").map(|w| redact_text(&w, ctx));
    Some(Inspection { evidence, worse, linked, ..Default::default() })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex =
            b.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---- settings and credentials --------------------------------------------------------------------

#[allow(clippy::unwrap_used)]
static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    // KEY=value, KEY = "value", key: value, - KEY=value (compose), "key": "value" (JSON)
    Regex::new(r#"(?m)^[ \t]*(?:-[ \t]*)?(?:export[ \t]+)?["']?([A-Za-z_][A-Za-z0-9_.-]*)["']?[ \t]*[=:][ \t]*(.*)$"#)
        .unwrap()
});
#[allow(clippy::unwrap_used)]
static NETRC_PASSWORD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bpassword\s+(\S+)").unwrap());
#[allow(clippy::unwrap_used)]
static URL_CREDENTIALS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"://([^/\s:@]+):([^/\s@]+)@").unwrap());

struct Secret {
    name: String,
    value: String,
    kind: PiiType,
}

/// `(name, value)` pairs, values without quotes, trailing commas and comments.
fn pairs(text: &str) -> Vec<(String, String)> {
    ASSIGNMENT
        .captures_iter(text)
        .take(MAX_ENTRIES)
        .map(|c| {
            let mut value = c[2].trim();
            if let Some(i) = value.find(" #") {
                value = value[..i].trim_end();
            }
            let value = value.trim_end_matches(',').trim().trim_matches(['"', '\'']);
            (c[1].to_string(), value.to_string())
        })
        .collect()
}

fn placeholder(value: &str) -> bool {
    let v = value.to_ascii_lowercase();
    v.len() < 6
        || v.chars().all(|c| c.is_ascii_digit() || c == '.')
        || ["true", "false", "none", "null", "empty"].contains(&v.as_str())
        || v.chars().filter(|c| matches!(c, 'x' | '*')).count() * 2 >= v.len()
        || [
            "change",
            "your",
            "example",
            "dummy",
            "placeholder",
            "todo",
            "replace",
            "secret_here",
            "<",
            "${",
            "{{",
            "environ",
            "getenv",
            "%(",
        ]
        .iter()
        .any(|p| v.contains(p))
}

/// Assignments whose name says secret and whose value is a real one, and URLs with a password.
fn secrets(pairs: &[(String, String)], text: &str) -> Vec<Secret> {
    let mut out: Vec<Secret> = Vec::new();
    for (name, value) in pairs {
        let upper = name.to_ascii_uppercase();
        let kind = if upper.contains("PASSWORD") || upper.contains("PASSWD") || upper.ends_with("_PWD") {
            Some(PiiType::Password)
        } else if upper.contains("TOKEN") || upper.ends_with("_AUTH") || upper == "_AUTH" {
            Some(PiiType::Token)
        } else if upper.contains("PRIVATE_KEY") {
            Some(PiiType::PrivateKey)
        } else if ["API_KEY", "APIKEY", "ACCESS_KEY", "SECRET_KEY_ID"].iter().any(|k| upper.contains(k)) {
            Some(PiiType::ApiKey)
        } else if upper.contains("SECRET") || upper.contains("CREDENTIAL") || upper.ends_with("_KEY") {
            Some(PiiType::Secret)
        } else {
            None
        };
        let url_password = URL_CREDENTIALS.captures(value).filter(|c| !placeholder(&c[2]) || c[2].len() >= 4);
        if let Some(c) = url_password {
            out.push(Secret { name: name.clone(), value: c[2].to_string(), kind: PiiType::Password });
        } else if let Some(kind) = kind.filter(|_| !placeholder(value)) {
            out.push(Secret { name: name.clone(), value: value.clone(), kind });
        }
    }
    if text.contains("machine") {
        for c in NETRC_PASSWORD.captures_iter(text).take(SHOWN) {
            if !placeholder(&c[1]) {
                out.push(Secret { name: "password".into(), value: c[1].to_string(), kind: PiiType::Password });
            }
        }
    }
    out
}

fn settings_inspection(what: &str, pairs: &[(String, String)], text: &str, ctx: &ScanContext) -> Inspection {
    let mut names: Vec<String> = Vec::new();
    for (name, _) in pairs {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    let secrets = secrets(pairs, text);
    let mut evidence = format!("{} {what}: {}", names.len(), list(&names));
    if let Some(first) = secrets.first() {
        evidence.push_str(&format!("; {}={}", first.name, ctx.redact(first.kind, &first.value)));
    }
    let secret_names: Vec<String> = secrets.iter().map(|s| s.name.clone()).collect();
    Inspection {
        evidence,
        worse: (!secrets.is_empty()).then(|| format!("holds secrets: {}", list(&secret_names))),
        pii: secrets.iter().map(|s| s.kind).collect(),
        ..Default::default()
    }
}

/// A `.env`: mostly `KEY=VALUE` lines (a page that happens to start one line with `FOO=` is not).
fn env(text: &str, ctx: &ScanContext) -> Option<Inspection> {
    let meaningful: Vec<&str> =
        text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).take(MAX_ENTRIES).collect();
    let pairs = pairs(text);
    let assignments = meaningful.iter().filter(|l| l.contains('=')).count();
    if meaningful.is_empty() || assignments * 5 < meaningful.len() * 3 {
        return None;
    }
    Some(settings_inspection("variables", &pairs, text, ctx))
}

fn assignments(text: &str, ctx: &ScanContext) -> Inspection {
    settings_inspection("settings", &pairs(text), text, ctx)
}

fn git_config(text: &str, ctx: &ScanContext) -> Inspection {
    let mut remotes = Vec::new();
    let mut worse = None;
    let mut pii = BTreeSet::new();
    for (name, value) in pairs(text) {
        if name != "url" {
            continue;
        }
        let shown = match URL_CREDENTIALS.captures(&value) {
            Some(c) => {
                worse = Some("remote URL embeds credentials".to_string());
                pii.insert(PiiType::Password);
                let masked = format!("://{}:{}@", &c[1], ctx.redact(PiiType::Password, &c[2]));
                URL_CREDENTIALS.replace(&value, masked.as_str()).into_owned()
            }
            None => value,
        };
        remotes.push(shown);
    }
    let evidence = if remotes.is_empty() {
        "[core] section of .git/config".to_string()
    } else {
        format!("[core] section; remotes: {}", list(&remotes))
    };
    Inspection { evidence, worse, pii, ..Default::default() }
}

/// `DIRC`, version, entry count, then entries: 62 bytes of stat data and hash, the path, NUL
/// padding to a multiple of 8 (versions 2 and 3; version 4 compresses paths and is only counted).
pub fn git_index(b: &[u8]) -> Inspection {
    let be32 = |at: usize| b.get(at..at + 4).map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]));
    let version = be32(4).unwrap_or(0);
    let count = be32(8).unwrap_or(0);
    let mut names = Vec::new();
    let mut at = 12usize;
    if matches!(version, 2 | 3) {
        while names.len() < (count as usize).min(MAX_ENTRIES) {
            let Some(flags) = b.get(at + 60..at + 62).map(|s| u16::from_be_bytes([s[0], s[1]])) else { break };
            let extended = version == 3 && flags & 0x4000 != 0;
            let start = at + 62 + if extended { 2 } else { 0 };
            let Some(len) = b.get(start..).and_then(|r| r.iter().position(|&c| c == 0)) else { break };
            names.push(String::from_utf8_lossy(&b[start..start + len]).into_owned());
            let entry = start - at + len;
            at += (entry + 8) & !7;
        }
    }
    let mut evidence = format!("Git index v{version} with {count} tracked files");
    if !names.is_empty() {
        evidence.push_str(&format!(": {}", list(&names)));
    }
    Inspection { evidence, worse: sensitive_worse(&names, "tracks"), ..Default::default() }
}

fn git_log(text: &str, ctx: &ScanContext) -> Inspection {
    let entries = text.lines().filter(|l| l.len() > 82).count();
    let authors: BTreeSet<String> = text
        .lines()
        .filter_map(|l| Some(l.get(82..)?.split_once('<')?.1.split_once('>')?.0.to_string()))
        .filter(|a| a.contains('@'))
        .collect();
    let shown: Vec<String> = authors.iter().map(|a| ctx.redact(PiiType::Email, a)).collect();
    let mut pii = BTreeSet::new();
    if !authors.is_empty() {
        pii.insert(PiiType::Email);
    }
    Inspection {
        evidence: format!("{entries} reflog entries; author e-mails: {}", list(&shown)),
        pii,
        ..Default::default()
    }
}

fn pem(text: &str) -> Inspection {
    let marker = text.lines().find(|l| l.contains("PRIVATE KEY")).unwrap_or("PRIVATE KEY").trim();
    Inspection {
        evidence: format!("{marker} (key material withheld)"),
        pii: BTreeSet::from([PiiType::PrivateKey]),
        ..Default::default()
    }
}

fn htpasswd(text: &str) -> Inspection {
    let users: Vec<String> = text
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(u, _)| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .collect();
    Inspection {
        evidence: format!("{} accounts with password hashes: {} (hashes withheld)", users.len(), list(&users)),
        pii: BTreeSet::from([PiiType::PasswordHash]),
        ..Default::default()
    }
}

fn first_line(text: &str, ctx: &ScanContext) -> Inspection {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
    let line: String = line.chars().take(120).collect();
    Inspection { evidence: redact_text(&line, ctx), ..Default::default() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_columns_normalize_and_classify() {
        assert_eq!(normalize_column("\"E-Mail Address\""), "e_mail_address");
        assert_eq!(pii_column("customer_email"), Some(PiiType::Email));
        assert_eq!(pii_column("email_address"), Some(PiiType::Email));
        assert_eq!(pii_column("ip_address"), Some(PiiType::IpAddress));
        assert_eq!(pii_column("ssn"), Some(PiiType::Ssn));
        assert_eq!(pii_column("date_of_birth"), Some(PiiType::DateOfBirth));
        assert_eq!(pii_column("product_name"), None, "only a bare `name` column is a name");
        assert_eq!(pii_column("region"), None);
        assert_eq!(split_csv(r#"1,"Doe, Jane","a ""b""""#, ','), vec!["1", "Doe, Jane", r#"a "b""#]);
    }

    #[test]
    fn schemas_name_personal_data_columns() {
        let sql = "CREATE TABLE public.customers (\n    id integer NOT NULL,\n    email text,\n    total numeric(10,2),\n    ssn text,\n    PRIMARY KEY (id)\n);\nCREATE TABLE IF NOT EXISTS `products` (`id` int, `name` text);";
        let t = tables(sql);
        assert_eq!(t.len(), 2);
        assert_eq!(
            (t[0].name.as_str(), t[0].pii_columns.clone()),
            ("customers", vec!["email".to_string(), "ssn".to_string()])
        );
        assert!(t[1].pii_columns.is_empty(), "a product name is not personal data");
        assert!(tables("CREATE TABLE x (").iter().all(|t| t.pii_columns.is_empty()), "cut statements end quietly");
    }

    #[test]
    fn values_must_look_like_the_data() {
        assert!(plausible(PiiType::Ssn, "512-44-8812"));
        assert!(!plausible(PiiType::Ssn, "***-**-8812"));
        assert!(!plausible(PiiType::Ssn, "111-11-1111"));
        assert!(plausible(PiiType::CreditCard, "4111 1111 1111 1111"));
        assert!(!plausible(PiiType::CreditCard, "4111 1111 1111 1112"));
        assert!(plausible(PiiType::Email, "ana@fastmail.fm"));
        assert!(!plausible(PiiType::Email, "REDACTED"));
    }

    #[test]
    fn secrets_need_real_values() {
        let text = "SECRET_KEY=9f2c1e77b0a94c5d8e3f\nDEBUG=false\nAPI_KEY=changeme\nDATABASE_URL=postgres://shop:Hunter2Pass@db/shop\nPASSWORD_MIN_LENGTH=12\nTOKEN=\"${TOKEN}\"\n";
        let found = secrets(&pairs(text), text);
        let names: Vec<&str> = found.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, vec!["SECRET_KEY", "DATABASE_URL"]);
        assert_eq!(found[1].kind, PiiType::Password);
        let py = "SECRET_KEY = os.environ.get('SECRET_KEY')\nSQLALCHEMY_DATABASE_URI = 'sqlite:///app.db'\n";
        assert!(secrets(&pairs(py), py).is_empty(), "values read from the environment are not secrets");
    }

    #[test]
    fn zip_and_tar_entries_are_listed() {
        // A stored (uncompressed) one-entry zip: local header, data, central directory, end record.
        let name = b".env";
        let data = b"A=1\n";
        let mut z = Vec::new();
        z.extend_from_slice(b"PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00");
        z.extend_from_slice(&(data.len() as u32).to_le_bytes());
        z.extend_from_slice(&(data.len() as u32).to_le_bytes());
        z.extend_from_slice(&(name.len() as u16).to_le_bytes());
        z.extend_from_slice(&0u16.to_le_bytes());
        z.extend_from_slice(name);
        z.extend_from_slice(data);
        let cd = z.len();
        z.extend_from_slice(b"PK\x01\x02");
        z.extend_from_slice(&[0u8; 24]);
        z.extend_from_slice(&(name.len() as u16).to_le_bytes());
        z.extend_from_slice(&[0u8; 16]);
        z.extend_from_slice(name);
        let cd_len = z.len() - cd;
        z.extend_from_slice(b"PK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00");
        z.extend_from_slice(&(cd_len as u32).to_le_bytes());
        z.extend_from_slice(&(cd as u32).to_le_bytes());
        z.extend_from_slice(&[0, 0]);
        assert_eq!(zip_entries(&z), vec![".env"]);
        // Cut before the central directory: the local headers still name the entry.
        assert_eq!(zip_entries(&z[..cd]), vec![".env"]);
        // Hostile: claims and offsets that point nowhere end the walk.
        assert!(zip_entries(b"PK\x05\x06\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff").is_empty());

        let mut huge = b"PK\x03\x04".to_vec();
        huge.extend_from_slice(&[0u8; 14]);
        huge.extend_from_slice(&u32::MAX.to_le_bytes()); // compressed size far past the body
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        huge.extend_from_slice(&[1, 0, 0, 0, b'a']);
        assert_eq!(zip_entries(&huge), vec!["a"]);

        let mut t = vec![0u8; 1024];
        t[..8].copy_from_slice(b"dump.sql");
        t[124..135].copy_from_slice(b"00000000010");
        t[257..262].copy_from_slice(b"ustar");
        assert_eq!(tar_entries(&t), vec!["dump.sql"]);
        t[124..135].copy_from_slice(b"77777777777");
        assert_eq!(tar_entries(&t), vec!["dump.sql"], "a size past the body ends the walk");
    }

    #[test]
    fn git_index_names_tracked_files() {
        let mut b = b"DIRC\x00\x00\x00\x02\x00\x00\x00\x02".to_vec();
        for name in ["app.py", ".env"] {
            let mut entry = vec![0u8; 62];
            entry[61] = name.len() as u8;
            entry.extend_from_slice(name.as_bytes());
            while (entry.len() + 1) & 7 != 0 {
                entry.push(0);
            }
            entry.push(0);
            b.extend_from_slice(&entry);
        }
        let inspection = git_index(&b);
        assert!(inspection.evidence.contains("app.py, .env"), "{}", inspection.evidence);
        assert!(inspection.worse.is_some_and(|w| w.contains(".env")));
        let hostile = git_index(b"DIRC\x00\x00\x00\x02\xff\xff\xff\xff");
        assert!(hostile.evidence.contains("4294967295"));
    }
}
