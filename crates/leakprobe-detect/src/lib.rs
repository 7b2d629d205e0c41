//! Detection of personal data and secrets (the `pii_types` of the report contract).
//!
//! Pure library: no I/O, no async. The scan engine runs it on every response; `leakprobe detect`
//! runs it on files and logs. Build one [`Detector`] and share it (`Send + Sync`).
//!
//! ```
//! use leakprobe_detect::{redact, Confidence, Detector, PiiType};
//! let d = Detector::new();
//! let found = d.scan_bytes(br#"{"users":[{"email":"maria.lopez@fastmail.fm","ssn":"536-22-8410"}]}"#);
//! let ssn = found.iter().find(|m| m.kind == PiiType::Ssn).unwrap();
//! assert_eq!(ssn.key_path.as_deref(), Some("users[0].ssn"));
//! assert_eq!(ssn.confidence, Confidence::High);
//! assert_eq!(redact(ssn.kind, &ssn.value), "***-**-8410");
//! ```
//!
//! # How it works
//!
//! One pass per family, each skipping with SIMD or eight bytes at a time over text that cannot
//! start a match, and costing nothing per extra pattern: `memchr` finds `@` for e-mails; one
//! packed (Teddy) literal search finds the prefixes of every fixed-format secret and hash plus
//! street-address cues (`secrets.rs`, `person.rs`, `literals.rs`), another the starts of
//! `password = …`-style keywords; a SWAR tokenizer reads digit groups for cards, SSNs, phones,
//! IPs, IBANs and ids (`numeric.rs`) and skips hex digests and UUIDs whole. Each candidate is then
//! validated (Luhn and issuer ranges, SSN rules, mod-97, numbering plans, TLDs, JWT decoding,
//! entropy) and weighed by the words before it (`context.rs`, read once per candidate). JSON bodies are also
//! walked (`json.rs`) so every match gets its key path, the key raises or drops it, and keys
//! such as `ssn` or `password` find values that would be too ambiguous alone.
//!
//! Confidence: `High` is validated and confirmed by context, `Medium` is validated, `Low` is
//! plausible but likely a test value, placeholder or look-alike. Reports default to `Medium`
//! and up.
use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Anchored, Input, MatchKind, StartKind};
use serde::{Deserialize, Serialize};

mod card;
mod context;
mod date;
mod email;
mod iban;
mod ip;
mod json;
mod literals;
mod national;
mod numeric;
mod person;
mod phone;
mod redact;
mod secrets;
mod ssn;

pub use redact::redact;

/// Whether a value under a password-like name is a directory (`PWD=/srv/app`, `OLDPWD=~/deploy`,
/// `C:\app`): environment listings name where a process runs, not what it logs in with.
pub fn is_directory_path(value: &str) -> bool {
    secrets::is_directory(value.as_bytes())
}

use json::KeyClass;
use literals::Literals;
use secrets::Found;

/// The kinds of data the detector recognises; serialised names are the report contract's.
///
/// `api_key` is a credential in a known issuer format (AWS, GitHub, Stripe, Google, …) or under
/// an `api_key`-like name; `token` is a bearer credential (JWT, Slack, `Bearer …`, `*_token`);
/// `secret` is any other high-entropy value under a secret-like name (`client_secret`, webhook
/// URLs); `password` is a cleartext password; `password_hash` a stored hash of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiType {
    Email,
    Ssn,
    CreditCard,
    Phone,
    IpAddress,
    Iban,
    NationalId,
    DateOfBirth,
    Address,
    Name,
    Password,
    PasswordHash,
    ApiKey,
    Token,
    PrivateKey,
    Secret,
}

impl PiiType {
    pub const ALL: [PiiType; 16] = [
        PiiType::Email,
        PiiType::Ssn,
        PiiType::CreditCard,
        PiiType::Phone,
        PiiType::IpAddress,
        PiiType::Iban,
        PiiType::NationalId,
        PiiType::DateOfBirth,
        PiiType::Address,
        PiiType::Name,
        PiiType::Password,
        PiiType::PasswordHash,
        PiiType::ApiKey,
        PiiType::Token,
        PiiType::PrivateKey,
        PiiType::Secret,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PiiType::Email => "email",
            PiiType::Ssn => "ssn",
            PiiType::CreditCard => "credit_card",
            PiiType::Phone => "phone",
            PiiType::IpAddress => "ip_address",
            PiiType::Iban => "iban",
            PiiType::NationalId => "national_id",
            PiiType::DateOfBirth => "date_of_birth",
            PiiType::Address => "address",
            PiiType::Name => "name",
            PiiType::Password => "password",
            PiiType::PasswordHash => "password_hash",
            PiiType::ApiKey => "api_key",
            PiiType::Token => "token",
            PiiType::PrivateKey => "private_key",
            PiiType::Secret => "secret",
        }
    }

    /// The inverse of [`PiiType::as_str`].
    pub fn from_name(name: &str) -> Option<PiiType> {
        PiiType::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// One piece of sensitive data found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub kind: PiiType,
    /// Byte span in the scanned bytes (for [`Detector::scan_json`]: in the value's compact
    /// serialisation).
    pub span: Range<usize>,
    pub confidence: Confidence,
    /// JSON key path such as `users[0].ssn`, when found in JSON.
    pub key_path: Option<String>,
    /// The matched value, unredacted; callers redact with [`redact`] before showing it.
    pub value: String,
    /// Sub-kind where it matters: `private`/`public` for IPs, `live`/`test` for Stripe keys,
    /// `aws`/`github`/… for key issuers, `bcrypt`/… for hash schemes, `pii` for JWTs whose claims
    /// hold personal data, `role` for shared mailboxes, `placeholder`/`sample` for doc values.
    pub detail: Option<&'static str>,
}

impl Match {
    /// The value masked by [`redact`].
    pub fn redacted(&self) -> String {
        redact(self.kind, &self.value)
    }
}

#[derive(Debug, Clone, Copy)]
enum Hit {
    Secret(secrets::Anchor),
    Cue(person::Cue),
}

/// What [`Detector::scan`] found in one piece of bytes.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    pub matches: Vec<Match>,
    /// JSON nested deeper than [`MAX_JSON_DEPTH`]: the walk stopped there.
    pub too_deep: bool,
}

/// How deep the JSON walk follows nesting (serde_json's recursion limit, so the engine's parses
/// give up at the same depth).
pub const MAX_JSON_DEPTH: usize = json::MAX_DEPTH;

/// Compiled automata and tables; build once, share everywhere (`Send + Sync`).
pub struct Detector {
    /// Case-sensitive literals: secret prefixes, hash schemes, street and name cues.
    anchors: Literals,
    /// The same without the name cues (`name:`, `Dear `), which JSON ignores: every `"name"` key
    /// would otherwise be a candidate to verify.
    json_anchors: Literals,
    hits: Vec<Hit>,
    /// Case-insensitive identifier fragments for `name = value` secrets in free text, run
    /// anchored where `keyword_starts` found a keyword's first two letters.
    keywords: AhoCorasick,
    /// Every case spelling of the keywords' two-letter starts. Case-insensitive automata get no
    /// prefilter, so running `keywords` unanchored steps it through every byte; this one is a
    /// SIMD literal search.
    keyword_starts: Literals,
    context: context::Context,
    tlds: email::Tlds,
}

/// Identifier fragments that start a `keyword = value` check in free text; `passport` is here
/// because its numbers have no structure to find them by.
const KEYWORDS: &[&str] = &["pass", "pwd", "secret", "token", "key", "passport"];

/// The three-letter starts of [`KEYWORDS`] in every case: rarer in text than two letters, so the
/// literal search stops less often.
fn keyword_starts() -> Vec<[u8; 3]> {
    let mut out: Vec<[u8; 3]> = Vec::new();
    for k in KEYWORDS {
        for case in 0..8 {
            let mut s = [0u8; 3];
            for (i, c) in s.iter_mut().enumerate() {
                let b = k.as_bytes()[i];
                *c = if (case >> i) & 1 == 1 { b.to_ascii_uppercase() } else { b };
            }
            if !out.contains(&s) {
                out.push(s);
            }
        }
    }
    out
}

impl Default for Detector {
    fn default() -> Self {
        Self::new()
    }
}

impl Detector {
    pub fn new() -> Self {
        let mut literals: Vec<&str> = Vec::new();
        let mut hits = Vec::new();
        for (lit, a) in secrets::ANCHORS {
            literals.push(lit);
            hits.push(Hit::Secret(*a));
        }
        // Name cues last, so the JSON automaton is a prefix of the list and shares `hits`.
        let cues = person::CUES.iter().filter(|c| c.1 != person::Cue::Name);
        for (lit, c) in cues.chain(person::CUES.iter().filter(|c| c.1 == person::Cue::Name)) {
            literals.push(lit);
            hits.push(Hit::Cue(*c));
        }
        let json_literals = hits.iter().filter(|h| !matches!(h, Hit::Cue(person::Cue::Name))).count();
        let (anchors, json_anchors) = (Literals::new(&literals), Literals::new(&literals[..json_literals]));
        #[allow(clippy::unwrap_used)] // constant patterns
        let keywords = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .start_kind(StartKind::Anchored)
            .build(KEYWORDS)
            .unwrap();
        let keyword_starts = Literals::new(&keyword_starts());
        phone::warm_up();
        Self {
            anchors,
            json_anchors,
            hits,
            keywords,
            keyword_starts,
            context: context::Context::new(),
            tlds: email::Tlds::new(),
        }
    }

    /// Scans text; JSON text is walked as JSON (see [`Detector::scan_bytes`]).
    pub fn scan_text(&self, text: &str) -> Vec<Match> {
        self.scan_bytes(text.as_bytes())
    }

    /// Scans a parsed JSON value; spans refer to its compact serialisation.
    pub fn scan_json(&self, value: &serde_json::Value) -> Vec<Match> {
        self.scan_bytes(&serde_json::to_vec(value).unwrap_or_default())
    }

    /// Bytes of unknown shape: a body, a header, a chunk of a log. Input starting with `{` or
    /// `[` is walked as JSON (newline-delimited too) for key paths and key context, the rest is
    /// free text. Invalid UTF-8 and binary data are fine; cost is linear in the length.
    pub fn scan_bytes(&self, bytes: &[u8]) -> Vec<Match> {
        self.scan(bytes).matches
    }

    /// [`Detector::scan_bytes`], also saying whether JSON nested deeper than [`MAX_JSON_DEPTH`]
    /// cut the walk: matches past the cut are still found, without key paths or key context.
    pub fn scan(&self, bytes: &[u8]) -> Scan {
        let is_json = json::looks_like_json(bytes);
        let mut found = Vec::new();
        self.candidates(bytes, !is_json, &mut found);
        found.sort_by_key(|f| (f.0.start, std::cmp::Reverse(f.0.end)));
        let (matches, too_deep) = if is_json {
            self.attach_json(bytes, &found)
        } else {
            (found.into_iter().map(|f| to_match(bytes, f, None)).collect(), false)
        };
        Scan { matches: dedupe(matches), too_deep }
    }

    fn candidates(&self, bytes: &[u8], text_mode: bool, out: &mut Vec<Found>) {
        for at in memchr::memchr_iter(b'@', bytes) {
            if let Some((span, detail)) = email::at(bytes, at, &self.tlds) {
                let conf = match (detail, self.context.adjust(bytes, span.start, PiiType::Email)) {
                    (Some(_), _) => Confidence::Low,
                    (None, a) if a > 0 => Confidence::High,
                    _ => Confidence::Medium,
                };
                out.push((span, PiiType::Email, conf, detail));
            }
        }
        let anchors = if text_mode { &self.anchors } else { &self.json_anchors };
        for m in anchors.find_iter(bytes) {
            let found = match self.hits[m.pattern().as_usize()] {
                Hit::Secret(a) => secrets::at_anchor(bytes, m.start(), m.end(), a),
                Hit::Cue(person::Cue::Name) if !text_mode => None,
                Hit::Cue(c) => person::at_cue(bytes, m.start(), m.end(), c),
            };
            out.extend(found);
        }
        if text_mode {
            for m in self.keyword_hits(bytes) {
                if m.pattern().as_usize() == KEYWORDS.len() - 1 {
                    out.extend(passport(bytes, m.end()));
                    continue;
                }
                if let Some((span, id)) = secrets::assignment(bytes, m.start(), m.end()) {
                    let value = &bytes[span.clone()];
                    let has_format = self.has_format(value);
                    if let Some((kind, conf, detail)) = secrets::judge(id, value, has_format) {
                        out.push((span, kind, conf, detail));
                    }
                }
            }
        }
        numeric::scan(bytes, &self.context, out);
    }

    /// The keywords' leftmost-longest, non-overlapping matches, as an unanchored search would
    /// report them: at each possible start after the previous match, the longest keyword there.
    /// The literal search reports non-overlapping starts, so a start hidden inside a reported one
    /// (`pasecret`, `tokey`) begins at one of its next two bytes, which are tried too.
    fn keyword_hits(&self, bytes: &[u8]) -> Vec<aho_corasick::Match> {
        let mut out = Vec::new();
        let mut next = 0;
        for s in self.keyword_starts.find_iter(bytes) {
            for q in s.start()..s.end() {
                let first = bytes[q].to_ascii_lowercase();
                if q < next || (q > s.start() && !KEYWORDS.iter().any(|k| k.as_bytes()[0] == first)) {
                    continue;
                }
                if let Some(m) = self.keywords.find(Input::new(bytes).range(q..).anchored(Anchored::Yes)) {
                    next = m.end();
                    out.push(m);
                }
            }
        }
        out
    }

    /// Whether a fixed secret or hash format occurs in `value`.
    fn has_format(&self, value: &[u8]) -> bool {
        self.anchors.find_iter(value).any(|m| match self.hits[m.pattern().as_usize()] {
            Hit::Secret(a) => secrets::at_anchor(value, m.start(), m.end(), a).is_some(),
            Hit::Cue(_) => false,
        })
    }

    /// Walks the JSON, giving each candidate its key path and letting keys confirm, drop or add
    /// findings.
    fn attach_json(&self, bytes: &[u8], found: &[Found]) -> (Vec<Match>, bool) {
        let mut out = Vec::with_capacity(found.len());
        let mut fi = 0;
        let too_deep = json::walk(bytes, |path, leaf| {
            while fi < found.len() && found[fi].0.start < leaf.span.start {
                out.push(to_match(bytes, found[fi].clone(), None));
                fi += 1;
            }
            let first = fi;
            while fi < found.len() && found[fi].0.start < leaf.span.end {
                fi += 1;
            }
            let inside = &found[first..fi];
            let key = path.key();
            let by_key = match key {
                KeyClass::Neutral | KeyClass::NotPii | KeyClass::Person | KeyClass::Email | KeyClass::Ip => None,
                KeyClass::PlainName if path.parent() != KeyClass::Person => None,
                _ => self.by_key(key, path.parent(), &bytes[leaf.span.clone()], leaf.string, inside),
            };
            if inside.is_empty() && by_key.is_none() {
                return;
            }
            let key_path = path.render(bytes);
            for f in inside {
                let mut f = f.clone();
                if key == KeyClass::NotPii && is_numeric_kind(f.1) {
                    continue;
                }
                if key_confirms(key, f.1) && !matches!(f.3, Some("test" | "role" | "placeholder" | "sample")) {
                    f.2 = Confidence::High;
                }
                out.push(to_match(bytes, f, Some(key_path.clone())));
            }
            if let Some((kind, conf, detail)) = by_key {
                if !inside.iter().any(|f| f.1 == kind) {
                    out.push(to_match(bytes, (leaf.span.clone(), kind, conf, detail), Some(key_path)));
                }
            }
        });
        out.extend(found[fi..].iter().cloned().map(|f| to_match(bytes, f, None)));
        (out, too_deep)
    }

    /// What a value is, judged by its key where the value alone is ambiguous (nine digits under
    /// `ssn`, any string under `password`).
    fn by_key(
        &self,
        key: KeyClass,
        parent: KeyClass,
        v: &[u8],
        string: bool,
        inside: &[Found],
    ) -> Option<(PiiType, Confidence, Option<&'static str>)> {
        if v.is_empty() || v == b"null" || v.len() > 4096 {
            return None;
        }
        let digits: Vec<u8> = v.iter().copied().filter(u8::is_ascii_digit).take(64).collect();
        let only = |allowed: &[u8]| v.iter().all(|c| c.is_ascii_digit() || allowed.contains(c));
        match key {
            KeyClass::Ssn => (only(b"- ") && ssn::validate(&digits)).then_some((PiiType::Ssn, Confidence::High, None)),
            KeyClass::Card => {
                let brand = card::validate(&digits).filter(|_| only(b"- "))?;
                Some(if card::is_test_number(&digits) {
                    (PiiType::CreditCard, Confidence::Low, Some("test"))
                } else {
                    (PiiType::CreditCard, Confidence::High, Some(brand))
                })
            }
            KeyClass::Phone => {
                if !only(b"+-. ()") || !(7..=15).contains(&digits.len()) {
                    return None;
                }
                let region = phone::validate(std::str::from_utf8(v).ok()?)?;
                Some((PiiType::Phone, Confidence::High, Some(region)))
            }
            KeyClass::Iban => {
                let compact: Vec<u8> = v.iter().filter(|c| **c != b' ').map(u8::to_ascii_uppercase).collect();
                iban::validate(&compact).then_some((PiiType::Iban, Confidence::High, None))
            }
            KeyClass::NationalId => {
                let ok = string
                    && (5..=20).contains(&v.len())
                    && digits.len() >= 4
                    && v.iter().all(|c| c.is_ascii_alphanumeric() || b"- .".contains(c))
                    && !secrets::is_placeholder(v);
                ok.then_some((PiiType::NationalId, Confidence::Medium, None))
            }
            KeyClass::Dob => date::is_birth_date(v).then_some((PiiType::DateOfBirth, Confidence::High, None)),
            KeyClass::Address => {
                let ok = string
                    && (6..=200).contains(&v.len())
                    && !digits.is_empty()
                    && v.iter().any(u8::is_ascii_alphabetic)
                    && v.contains(&b' ')
                    && !v.contains(&b'@')
                    && !v.starts_with(b"http");
                ok.then_some((PiiType::Address, Confidence::Medium, None))
            }
            KeyClass::Name => (string && looks_like_name(v)).then_some((PiiType::Name, Confidence::Medium, None)),
            KeyClass::PlainName => (string && parent == KeyClass::Person && looks_like_name(v)).then_some((
                PiiType::Name,
                Confidence::Medium,
                None,
            )),
            KeyClass::Secret(id) => {
                let has_format = inside.iter().any(|f| {
                    matches!(
                        f.1,
                        PiiType::ApiKey
                            | PiiType::Token
                            | PiiType::Secret
                            | PiiType::PrivateKey
                            | PiiType::PasswordHash
                    )
                });
                let (kind, conf, detail) = secrets::judge(id, v, has_format)?;
                // A cleartext password under a password key is never fine.
                let conf = if kind == PiiType::Password { Confidence::High } else { conf };
                Some((kind, conf, detail))
            }
            _ => None,
        }
    }
}

/// Values under the numeric kinds are dropped under keys like `order_id` or `version`.
fn is_numeric_kind(k: PiiType) -> bool {
    matches!(
        k,
        PiiType::CreditCard
            | PiiType::Phone
            | PiiType::Ssn
            | PiiType::IpAddress
            | PiiType::NationalId
            | PiiType::DateOfBirth
    )
}

fn key_confirms(key: KeyClass, kind: PiiType) -> bool {
    matches!(
        (key, kind),
        (KeyClass::Email, PiiType::Email)
            | (KeyClass::Ssn, PiiType::Ssn)
            | (KeyClass::Card, PiiType::CreditCard)
            | (KeyClass::Phone, PiiType::Phone)
            | (KeyClass::Iban, PiiType::Iban)
            | (KeyClass::NationalId, PiiType::NationalId)
            | (KeyClass::Dob, PiiType::DateOfBirth)
            | (KeyClass::Ip, PiiType::IpAddress)
            | (KeyClass::Address, PiiType::Address)
            | (KeyClass::Name, PiiType::Name)
    )
}

/// One to four capitalised words of letters: `Maria`, `Jean-Luc Picard`, `José Ramírez`.
fn looks_like_name(v: &[u8]) -> bool {
    let Ok(s) = std::str::from_utf8(v) else { return false };
    let words: Vec<&str> = s.split(' ').collect();
    if !(1..=4).contains(&words.len()) || s.len() > 60 {
        return false;
    }
    const NOT_NAMES: &[&str] =
        &["Unknown", "N/A", "None", "Null", "Test", "Admin", "User", "Guest", "Anonymous", "John Doe", "Jane Doe"];
    if NOT_NAMES.iter().any(|n| s.eq_ignore_ascii_case(n)) {
        return false;
    }
    words.iter().all(|w| {
        let mut chars = w.chars();
        chars.next().is_some_and(char::is_uppercase)
            && chars.all(|c| c.is_alphabetic() || matches!(c, '-' | '\'' | '.'))
    })
}

/// `Passport No: X1234567`: the first 6–9 character token with at least five digits.
fn passport(bytes: &[u8], after: usize) -> Option<Found> {
    let limit = (after + 24).min(bytes.len());
    let mut i = after;
    while i < limit {
        if bytes[i].is_ascii_alphanumeric() {
            let s = i;
            while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
            let tok = &bytes[s..i];
            let digits = tok.iter().filter(|c| c.is_ascii_digit()).count();
            if (6..=9).contains(&tok.len())
                && digits >= 5
                && tok.iter().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
            {
                return Some((s..i, PiiType::NationalId, Confidence::Medium, Some("passport")));
            }
        } else {
            i += 1;
        }
    }
    None
}

/// Substring test for short identifiers, where building a `memmem` searcher costs more than
/// the search.
pub(crate) fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.len() <= hay.len() && hay.windows(needle.len()).any(|w| w == needle)
}

fn to_match(bytes: &[u8], (span, kind, confidence, detail): Found, key_path: Option<String>) -> Match {
    let value = String::from_utf8_lossy(&bytes[span.clone()]).into_owned();
    Match { kind, span, confidence, key_path, value, detail }
}

/// Overlapping findings keep the most confident (then the longest): a JWT beats the generic
/// `token = …` rule on the same bytes.
fn dedupe(mut ms: Vec<Match>) -> Vec<Match> {
    ms.sort_by_key(|m| (m.span.start, std::cmp::Reverse(m.span.end)));
    let mut out: Vec<Match> = Vec::with_capacity(ms.len());
    for m in ms {
        match out.last_mut() {
            Some(last) if m.span.start < last.span.end => {
                let better = (m.confidence, m.span.len()) > (last.confidence, last.span.len());
                if better {
                    *last = m;
                }
            }
            _ => out.push(m),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(d: &Detector, s: &str) -> Vec<(PiiType, String)> {
        d.scan_text(s).into_iter().filter(|m| m.confidence >= Confidence::Medium).map(|m| (m.kind, m.value)).collect()
    }

    /// The keyword search finds what an unanchored case-insensitive automaton finds, keywords
    /// that overlap a reported three-letter start included.
    #[test]
    fn keyword_hits_match_the_automaton() {
        let d = Detector::new();
        let text = b"PASSPORT pass=1 pasecret Secret_Token apikey pwdKEY tokenized passpass tokey PaSsWoRd sesecret";
        let fast: Vec<_> = d.keyword_hits(text).iter().map(|m| (m.start(), m.end())).collect();
        #[allow(clippy::unwrap_used)] // constant patterns
        let unanchored = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(KEYWORDS)
            .unwrap();
        let slow: Vec<_> = unanchored.find_iter(text).map(|m| (m.start(), m.end())).collect();
        assert_eq!(fast, slow);
        assert_eq!(fast.len(), 14, "{fast:?}");
    }

    #[test]
    fn detector_is_send_sync() {
        fn assert<T: Send + Sync>() {}
        assert::<Detector>();
    }

    #[test]
    fn cards_not_in_uuids_hashes_or_decimals() {
        let d = Detector::new();
        assert_eq!(kinds(&d, "card 4539 5787 6362 1486 ok"), vec![(PiiType::CreditCard, "4539 5787 6362 1486".into())]);
        assert!(kinds(&d, "id 4539578763621486-aa12").is_empty());
        assert!(kinds(&d, "x=0.4539578763621486").is_empty());
        assert!(kinds(&d, "4.539578763621486e+15").is_empty());
        assert!(kinds(&d, "sha 9f4539578763621486ab").is_empty());
        assert!(kinds(&d, "run 45395787636214860012").is_empty());
    }

    /// A digit run glued to a letter or `_` is part of an identifier however PII-like the digits
    /// and the words before them; the same digits standing alone are still found.
    #[test]
    fn digits_glued_to_letters_are_identifiers() {
        let d = Detector::new();
        for glued in [
            "ssn 536228410a",
            "card 4539578763621486f00d",
            "call 07911123456abc",
            "tel 4155552671_x",
            "ssn 536-22-8410x",
            "ip 81.2.69.160z",
        ] {
            assert!(kinds(&d, glued).is_empty(), "{glued}: {:?}", kinds(&d, glued));
        }
        for (alone, kind) in [
            ("ssn 536228410 ok", PiiType::Ssn),
            ("card 4539578763621486 ok", PiiType::CreditCard),
            ("call 07911123456 ok", PiiType::Phone),
            ("ssn 536-22-8410 ok", PiiType::Ssn),
            ("ip 81.2.69.160 ok", PiiType::IpAddress),
        ] {
            assert_eq!(kinds(&d, alone).iter().map(|k| k.0).collect::<Vec<_>>(), vec![kind], "{alone}");
        }
    }

    #[test]
    fn json_key_context() {
        let d = Detector::new();
        let m = d.scan_bytes(br#"{"customer":{"ssn":"536228410","order_id":"4539578763621486","name":"Maria Lopez"}}"#);
        let got: Vec<_> = m.iter().map(|m| (m.kind, m.key_path.clone().unwrap_or_default())).collect();
        assert_eq!(got, vec![(PiiType::Ssn, "customer.ssn".into()), (PiiType::Name, "customer.name".into())]);
    }

    #[test]
    fn secrets_formats() {
        let d = Detector::new();
        let m = d.scan_text("AWS_ACCESS_KEY_ID=AKIAQYLPMN5HHHFPZAM2 stripe sk_test_4eC39HqLyjWDarjtT1zdp7dc");
        assert_eq!(m[0].kind, PiiType::ApiKey);
        assert_eq!(m[0].confidence, Confidence::High);
        assert_eq!(m[1].detail, Some("test"));
        assert_eq!(m[1].confidence, Confidence::Low);
    }

    /// One-time codes need their key: a PIN, OTP or reset code is found under a key that names one,
    /// as a string or a JSON number, and never from the digits alone or under a look-alike key.
    #[test]
    fn one_time_codes_only_with_key_context() {
        let d = Detector::new();
        let codes = |body: &str| -> Vec<(String, String)> {
            d.scan_bytes(body.as_bytes())
                .into_iter()
                .filter(|m| m.detail == Some("one_time_code") && m.confidence >= Confidence::Medium)
                .map(|m| (m.key_path.unwrap_or_default(), m.value))
                .collect()
        };
        let found = codes(
            r#"{"status":"sent","reset_pin":"034529","otp":482913,"verification_code":"7719","mfa_code":"55102934"}"#,
        );
        let keys: Vec<&str> = found.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["reset_pin", "otp", "verification_code", "mfa_code"], "{found:?}");
        assert_eq!(found[0].1, "034529", "leading zeros are part of a PIN");
        for look_alike in [
            r#"{"pin": true}"#,
            r#"{"pinned": 3}"#,
            r#"{"pinned_post": 482913}"#,
            r#"{"order_no": 123456}"#,
            r#"{"code": 482913}"#,
            r#"{"zip": "94107", "postal_code": "10115"}"#,
            r#"{"otp_expires_in": 300, "otp_length": 6, "pin_required": true}"#,
            r#"{"pin": "0000", "otp": "123456"}"#,
            "your code is 482913",
            "482913",
        ] {
            assert_eq!(codes(look_alike), Vec::<(String, String)>::new(), "{look_alike}");
        }
    }

    /// A key a logger cut after a few lines is reported on its own, and a later complete key is
    /// reported too: the cut BEGIN is never joined to the later END.
    #[test]
    fn truncated_private_keys_are_found_on_their_own() {
        let d = Detector::new();
        let b64 = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj";
        let cut = format!("ERROR tls: -----BEGIN RSA PRIVATE KEY-----\n{b64}\n{b64}\n...[truncated]\n");
        let filler = "INFO GET /health 200 in 2ms\n".repeat(30);
        let full = format!("-----BEGIN EC PRIVATE KEY-----\n{b64}\n{b64}\n-----END EC PRIVATE KEY-----\n");
        let found: Vec<Match> = d
            .scan_text(&format!("{cut}{filler}{full}"))
            .into_iter()
            .filter(|m| m.kind == PiiType::PrivateKey && m.confidence >= Confidence::Medium)
            .collect();
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found[0].value.starts_with("-----BEGIN RSA") && !found[0].value.contains("END"), "{:?}", found[0]);
        assert!(
            found[1].value.starts_with("-----BEGIN EC") && found[1].value.ends_with("-----END EC PRIVATE KEY-----")
        );
        // Look-alikes stay low: a key elided with dots in documentation, a two-line stub.
        for doc in [
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0B...\n-----END RSA PRIVATE KEY-----",
            &format!("-----BEGIN RSA PRIVATE KEY-----\n{b64}\n...\n-----END RSA PRIVATE KEY-----"),
            "-----BEGIN PRIVATE KEY-----\nMIIE\n...[truncated]",
        ] {
            assert!(kinds(&d, doc).is_empty(), "{doc}");
        }
    }

    #[test]
    fn four_part_versions_are_not_addresses() {
        let d = Detector::new();
        for version in [
            "client build 2.19.12.56 started",
            "client_ip=- ua=Mozilla/5.0 (X11) AppleWebKit/537.36 Chrome/120.0.0.0 Safari/537.36",
            "remote agent version 10.4.18.200",
        ] {
            assert!(kinds(&d, version).is_empty(), "{version}: {:?}", kinds(&d, version));
        }
        assert_eq!(kinds(&d, "client 81.2.69.160 build 7"), vec![(PiiType::IpAddress, "81.2.69.160".into())]);
        assert_eq!(kinds(&d, "from http://81.2.69.160/login"), vec![(PiiType::IpAddress, "81.2.69.160".into())]);
    }

    #[test]
    fn bare_ssn_after_tin() {
        let d = Detector::new();
        assert_eq!(kinds(&d, "payee TIN 536228410 on file"), vec![(PiiType::Ssn, "536228410".into())]);
        assert_eq!(kinds(&d, "TIN: 536228410"), vec![(PiiType::Ssn, "536228410".into())]);
        // Not a taxpayer number: the word inside another, an invalid SSN, no word at all.
        for look_alike in
            ["destination 536228410", "TIN 123456789", "TIN 000228410", "TIN 53622841", "batch 536228410 done"]
        {
            assert!(kinds(&d, look_alike).is_empty(), "{look_alike}");
        }
    }

    #[test]
    fn national_phone_numbers_without_separators() {
        let d = Detector::new();
        for (text, number) in [
            ("reach Jane on 07911123456 after six", "07911123456"),
            ("Rückruf bitte an 015112345678 morgen", "015112345678"),
            ("rappeler le 0612345678 demain", "0612345678"),
        ] {
            assert_eq!(kinds(&d, text), vec![(PiiType::Phone, number.into())], "{text}");
        }
        // Ids, timestamps, order numbers, zero-padded counters and counting runs stay silent.
        for look_alike in [
            "ts=1714557600 ok",
            "order 07911123456 shipped",
            "id 07911123456",
            "row 0000123456 read",
            "seq 0123456789 next",
            "user 4158675309 logged in",
            "international 0044791112345",
            "took 1714557600123 ms",
        ] {
            assert!(kinds(&d, look_alike).is_empty(), "{look_alike}: {:?}", kinds(&d, look_alike));
        }
    }

    /// JSON nested a million levels deep is scanned in linear time, says it was cut, and still
    /// finds what follows the cut.
    #[test]
    fn million_deep_json_is_cut_not_hung() {
        let d = Detector::new();
        let mut body = "[".repeat(1_000_000);
        body.push_str(r#"{"email":"maria.lopez@fastmail.fm"}"#);
        let t = std::time::Instant::now();
        let scan = d.scan(body.as_bytes());
        assert!(t.elapsed() < std::time::Duration::from_secs(5), "{:?}", t.elapsed());
        assert!(scan.too_deep);
        assert_eq!(scan.matches.iter().map(|m| m.kind).collect::<Vec<_>>(), vec![PiiType::Email]);
        assert!(!d.scan(br#"{"a":[[{"b":"c"}]]}"#).too_deep);
    }
}
