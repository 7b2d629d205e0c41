//! Secrets: fixed-format keys found by their literal prefix, JWTs, PEM private keys, password
//! hashes, and the generic `keyword = high-entropy value` shape.
//!
//! Every fixed format starts with a literal (`AKIA`, `ghp_`, `$2b$`, `-----BEGIN `, …). The
//! detector puts all of them into one Aho-Corasick automaton, so adding a format costs nothing per
//! byte; the functions here only run where an automaton hit already is.

use base64::Engine as _;

use crate::{Confidence, PiiType};

/// Characters a key body may contain.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Charset {
    /// AWS key ids: base32 upper case.
    Base32Upper,
    Alnum,
    /// `[A-Za-z0-9_]`
    Word,
    /// `[A-Za-z0-9_-]`
    UrlSafe,
    /// `[A-Za-z0-9-]`
    AlnumDash,
    /// Slack webhook paths `T…/B…/…`
    Path,
    /// SendGrid `SG.xxx.yyy`
    Dotted,
}

impl Charset {
    fn allows(self, c: u8) -> bool {
        match self {
            Charset::Base32Upper => c.is_ascii_uppercase() || (b'2'..=b'7').contains(&c),
            Charset::Alnum => c.is_ascii_alphanumeric(),
            Charset::Word => c.is_ascii_alphanumeric() || c == b'_',
            Charset::UrlSafe => c.is_ascii_alphanumeric() || c == b'_' || c == b'-',
            Charset::AlnumDash => c.is_ascii_alphanumeric() || c == b'-',
            Charset::Path => c.is_ascii_alphanumeric() || c == b'/',
            Charset::Dotted => c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'),
        }
    }
}

/// A key whose shape is fixed by its issuer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyFormat {
    pub kind: PiiType,
    pub detail: &'static str,
    pub body: Charset,
    pub min: usize,
    pub max: usize,
    /// Issued for test mode (Stripe `sk_test_`): reported, but low.
    pub test: bool,
}

/// What a literal hit of the automaton means.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Anchor {
    Key(KeyFormat),
    Jwt,
    Pem,
    /// Modular-crypt and framework password hash formats; the name is the scheme.
    Hash(&'static str),
    Bearer,
    Basic,
}

const fn key(kind: PiiType, detail: &'static str, body: Charset, min: usize, max: usize) -> Anchor {
    Anchor::Key(KeyFormat { kind, detail, body, min, max, test: false })
}

const fn test_key(kind: PiiType, detail: &'static str, body: Charset, min: usize, max: usize) -> Anchor {
    Anchor::Key(KeyFormat { kind, detail, body, min, max, test: true })
}

use Charset::*;
use PiiType::{ApiKey, Secret, Token};

/// Literal prefixes and what follows them (formats as gitleaks and the issuers document them).
pub(crate) const ANCHORS: &[(&str, Anchor)] = &[
    ("AKIA", key(ApiKey, "aws", Base32Upper, 16, 16)),
    ("ASIA", key(ApiKey, "aws", Base32Upper, 16, 16)),
    ("ABIA", key(ApiKey, "aws", Base32Upper, 16, 16)),
    ("ACCA", key(ApiKey, "aws", Base32Upper, 16, 16)),
    ("ghp_", key(ApiKey, "github", Alnum, 36, 36)),
    ("gho_", key(ApiKey, "github", Alnum, 36, 36)),
    ("ghu_", key(ApiKey, "github", Alnum, 36, 36)),
    ("ghs_", key(ApiKey, "github", Alnum, 36, 36)),
    ("ghr_", key(ApiKey, "github", Alnum, 36, 36)),
    ("github_pat_", key(ApiKey, "github", Word, 82, 82)),
    ("glpat-", key(ApiKey, "gitlab", UrlSafe, 20, 20)),
    ("sk_live_", key(ApiKey, "live", Alnum, 10, 99)),
    ("rk_live_", key(ApiKey, "live", Alnum, 10, 99)),
    ("sk_test_", test_key(ApiKey, "test", Alnum, 10, 99)),
    ("rk_test_", test_key(ApiKey, "test", Alnum, 10, 99)),
    ("whsec_", key(Secret, "stripe_webhook", Alnum, 24, 64)),
    ("xoxb-", key(Token, "slack", AlnumDash, 10, 250)),
    ("xoxp-", key(Token, "slack", AlnumDash, 10, 250)),
    ("xoxa-", key(Token, "slack", AlnumDash, 10, 250)),
    ("xoxr-", key(Token, "slack", AlnumDash, 10, 250)),
    ("xoxs-", key(Token, "slack", AlnumDash, 10, 250)),
    ("xapp-", key(Token, "slack", AlnumDash, 10, 250)),
    ("hooks.slack.com/services/", key(Secret, "slack_webhook", Path, 20, 100)),
    ("AIza", key(ApiKey, "google", UrlSafe, 35, 35)),
    ("SG.", key(ApiKey, "sendgrid", Dotted, 66, 66)),
    ("npm_", key(ApiKey, "npm", Alnum, 36, 36)),
    ("sk-proj-", key(ApiKey, "openai", UrlSafe, 40, 200)),
    ("eyJ", Anchor::Jwt),
    ("-----BEGIN ", Anchor::Pem),
    ("$2a$", Anchor::Hash("bcrypt")),
    ("$2b$", Anchor::Hash("bcrypt")),
    ("$2y$", Anchor::Hash("bcrypt")),
    ("$2x$", Anchor::Hash("bcrypt")),
    ("$argon2", Anchor::Hash("argon2")),
    ("$pbkdf2", Anchor::Hash("pbkdf2")),
    ("pbkdf2_sha256$", Anchor::Hash("pbkdf2")),
    ("pbkdf2_sha1$", Anchor::Hash("pbkdf2")),
    ("pbkdf2:sha", Anchor::Hash("pbkdf2")),
    ("scrypt:", Anchor::Hash("scrypt")),
    ("$scrypt$", Anchor::Hash("scrypt")),
    ("$5$", Anchor::Hash("sha256_crypt")),
    ("$6$", Anchor::Hash("sha512_crypt")),
    ("$1$", Anchor::Hash("md5_crypt")),
    ("$y$", Anchor::Hash("yescrypt")),
    ("Bearer ", Anchor::Bearer),
    ("bearer ", Anchor::Bearer),
    ("Basic ", Anchor::Basic),
];

/// A finding before the key path is known.
pub(crate) type Found = (std::ops::Range<usize>, PiiType, Confidence, Option<&'static str>);

fn take(bytes: &[u8], from: usize, max: usize, ok: impl Fn(u8) -> bool) -> usize {
    let mut i = from;
    while i < bytes.len() && i - from <= max && ok(bytes[i]) {
        i += 1;
    }
    i
}

fn word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Runs the handler for an automaton hit at `start..end`.
pub(crate) fn at_anchor(bytes: &[u8], start: usize, end: usize, anchor: Anchor) -> Option<Found> {
    let before_ok = start == 0 || !word_byte(bytes[start - 1]);
    match anchor {
        Anchor::Key(f) => {
            if !before_ok && f.detail != "slack_webhook" {
                return None;
            }
            let stop = take(bytes, end, f.max, |c| f.body.allows(c));
            let len = stop - end;
            if len < f.min || len > f.max {
                return None;
            }
            let body = &bytes[end..stop];
            let conf =
                if f.test || is_placeholder(body) || entropy(body) < 2.5 { Confidence::Low } else { Confidence::High };
            let detail = if is_placeholder(body) && !f.test { "placeholder" } else { f.detail };
            Some((start..stop, f.kind, conf, Some(detail)))
        }
        Anchor::Jwt => before_ok.then(|| jwt(bytes, start)).flatten(),
        Anchor::Pem => pem(bytes, start, end),
        Anchor::Hash(scheme) => {
            if start > 0 && bytes[start - 1].is_ascii_alphanumeric() {
                return None;
            }
            crypt_hash(bytes, start, scheme)
        }
        Anchor::Bearer => {
            let stop = take(bytes, end, 4096, |c| c.is_ascii_alphanumeric() || b"._~+/=-".contains(&c));
            let tok = &bytes[end..stop];
            if tok.len() < 16 || tok.starts_with(b"eyJ") {
                return None; // JWTs have their own handler, which decodes them
            }
            let conf = if is_placeholder(tok) || entropy(tok) < 3.0 { Confidence::Low } else { Confidence::High };
            Some((end..stop, PiiType::Token, conf, Some("bearer")))
        }
        Anchor::Basic => {
            let stop = take(bytes, end, 1024, |c| c.is_ascii_alphanumeric() || b"+/=".contains(&c));
            let b64 = &bytes[end..stop];
            let decoded = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
            let colon = decoded.iter().position(|c| *c == b':')?;
            if b64.len() < 8 || colon == 0 || colon + 1 == decoded.len() || is_placeholder(&decoded) {
                return None;
            }
            Some((end..stop, PiiType::Password, Confidence::High, Some("basic_auth")))
        }
    }
}

/// `header.claims.signature`, header decoding to JSON with `alg`. Claims holding an e-mail or a
/// name make the token personal data too (`detail: "pii"`).
fn jwt(bytes: &[u8], start: usize) -> Option<Found> {
    let seg = |from: usize| take(bytes, from, 8192, |c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-');
    let h_end = seg(start);
    if bytes.get(h_end) != Some(&b'.') {
        return None;
    }
    let c_end = seg(h_end + 1);
    if bytes.get(c_end) != Some(&b'.') || !bytes[h_end + 1..].starts_with(b"ey") {
        return None;
    }
    let s_end = seg(c_end + 1);
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header: serde_json::Value = serde_json::from_slice(&b64.decode(&bytes[start..h_end]).ok()?).ok()?;
    header.get("alg")?;
    let claims: serde_json::Value = serde_json::from_slice(&b64.decode(&bytes[h_end + 1..c_end]).ok()?).ok()?;
    let claims = claims.as_object()?;
    // jwt.io's example token, in every tutorial.
    if claims.get("sub").and_then(|v| v.as_str()) == Some("1234567890") {
        return Some((start..s_end, PiiType::Token, Confidence::Low, Some("sample")));
    }
    let personal = ["email", "name", "given_name", "family_name", "preferred_username", "phone_number", "upn"];
    let has_pii = claims
        .iter()
        .any(|(k, v)| personal.contains(&k.as_str()) || v.as_str().is_some_and(|s| s.contains('@') && s.contains('.')));
    Some((start..s_end, PiiType::Token, Confidence::High, Some(if has_pii { "pii" } else { "jwt" })))
}

/// `-----BEGIN … PRIVATE KEY-----` through its END line. Public keys and certificates are not
/// secrets and are ignored; a body of dots or a few characters is a placeholder.
fn pem(bytes: &[u8], start: usize, end: usize) -> Option<Found> {
    let label_end = end + memchr::memmem::find(&bytes[end..(end + 48).min(bytes.len())], b"-----")?;
    let label = &bytes[end..label_end];
    if !label.ends_with(b"PRIVATE KEY") && !label.ends_with(b"PRIVATE KEY BLOCK") {
        return None;
    }
    let body_start = label_end + 5;
    let limit = (body_start + 16 * 1024).min(bytes.len());
    // The body is the base64 (and `Proc-Type:`-style header) lines right after BEGIN; its END must
    // follow them. A key a logger cut (`...[truncated]`) is reported up to the cut, never joined
    // to the END of a later key further down.
    let body_end = pem_body_end(bytes, body_start, limit);
    let (stop, elided) = if bytes[body_end..limit].starts_with(b"-----END ") {
        (pem_close(bytes, body_end, limit), false)
    } else {
        // `MIIE...` then END: a key written with an ellipsis in documentation.
        let resume = take(bytes, body_end, 16, |c| b".\r\n\\ \xE2\x80\xA6".contains(&c));
        let rest = pem_body_end(bytes, resume, limit);
        if resume > body_end && bytes[rest..limit].starts_with(b"-----END ") {
            (pem_close(bytes, rest, limit), true)
        } else {
            (body_end, false)
        }
    };
    let body = &bytes[body_start..body_end];
    let b64 = body.iter().filter(|c| c.is_ascii_alphanumeric() || **c == b'+' || **c == b'/').count();
    let placeholder = elided || b64 < 64 || is_placeholder(body);
    let conf = if placeholder { Confidence::Low } else { Confidence::High };
    let detail = if label.starts_with(b"ENCRYPTED") { "encrypted" } else { "pem" };
    Some((start..stop, PiiType::PrivateKey, conf, Some(detail)))
}

/// Where the base64 and header lines of a PEM body starting at `from` end: at `-----`, or at the
/// first byte no PEM body has (`.` of a `...[truncated]` marker, a quote, `<`).
fn pem_body_end(bytes: &[u8], from: usize, limit: usize) -> usize {
    let mut i = from;
    while i < limit {
        let c = bytes[i];
        let body_byte = c.is_ascii_alphanumeric() || b"+/=\r\n\t\\ :,".contains(&c);
        if !(body_byte || c == b'-' && !bytes[i..limit].starts_with(b"-----")) {
            break;
        }
        i += 1;
    }
    i
}

/// The end of the `-----END … KEY-----` line starting at `end_at`.
fn pem_close(bytes: &[u8], end_at: usize, limit: usize) -> usize {
    memchr::memmem::find(&bytes[end_at + 9..limit], b"-----").map_or(end_at + 9, |j| end_at + 9 + j + 5)
}

/// Validates the modular-crypt (or framework) hash starting at `start`.
fn crypt_hash(bytes: &[u8], start: usize, scheme: &'static str) -> Option<Found> {
    let stop = take(bytes, start, 400, |c| c.is_ascii_alphanumeric() || b"./+=$:,_-".contains(&c));
    let mut text = &bytes[start..stop];
    let ok = match scheme {
        // $2b$12$ + 22 chars of salt + 31 of hash
        "bcrypt" => {
            text = &text[..text.len().min(60)];
            text.len() == 60
                && text[4..6].iter().all(u8::is_ascii_digit)
                && text[6] == b'$'
                && text[7..].iter().all(|c| c.is_ascii_alphanumeric() || *c == b'.' || *c == b'/')
        }
        "sha256_crypt" | "sha512_crypt" | "md5_crypt" => {
            let want = match scheme {
                "sha256_crypt" => 43,
                "sha512_crypt" => 86,
                _ => 22,
            };
            text.rsplit(|c| *c == b'$').next().is_some_and(|h| h.len() == want)
                && text.iter().filter(|c| **c == b'$').count() >= 3
        }
        _ => {
            let last = text.rsplit(|c| *c == b'$').next().unwrap_or_default();
            text.iter().filter(|c| **c == b'$').count() >= 2 && last.len() >= 16
        }
    };
    if !ok {
        return None;
    }
    let digest = text.rsplit(|c| *c == b'$').next().unwrap_or_default();
    let conf = if is_placeholder(digest) || entropy(digest) < 3.0 { Confidence::Low } else { Confidence::High };
    Some((start..start + text.len(), PiiType::PasswordHash, conf, Some(scheme)))
}

/// Shannon entropy in bits per byte.
pub(crate) fn entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &c in s {
        counts[c as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Values people put where a real secret would go, in docs, templates and masked logs.
pub(crate) fn is_placeholder(v: &[u8]) -> bool {
    if v.is_empty() || v.iter().all(|c| *c == v[0]) {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    const WORDS: &[&[u8]] = &[
        b"example",
        b"xxxx",
        b"your",
        b"placeholder",
        b"dummy",
        b"sample",
        b"redacted",
        b"filtered",
        b"changeme",
        b"change_me",
        b"<",
        b">",
        b"${",
        b"{{",
        b"%s",
        b"****",
        b"...",
        b"todo",
        b"fake",
        b"insert",
        b"replace",
        b"0000000",
        b"1234567890",
        b"abcdef123",
        b"test",
        b"masked",
    ];
    WORDS.iter().any(|w| memchr::memmem::find(&lower, w).is_some())
        || matches!(
            lower.as_slice(),
            b"null"
                | b"none"
                | b"nil"
                | b"undefined"
                | b"true"
                | b"false"
                | b"secret"
                | b"password"
                | b"string"
                | b"token"
                | b"pass"
                | b"n/a"
                | b"-"
                | b"?"
                | b"''"
                | b"\"\""
        )
}

/// What a key or variable name says its value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ident {
    Password,
    PasswordHash,
    Secret,
    Token,
    ApiKey,
    PrivateKey,
    /// A one-time code or reset token (`reset_pin`, `otp`, `verification_code`): JSON keys only,
    /// see [`is_one_time_code_key`].
    OneTimeCode,
}

/// Keys of the codes a reset or sign-in flow sends out of band. In an answer, whoever asked for
/// the reset holds the account. Only JSON keys are read this way: in source code `pin` and `otp`
/// name variables far more often than values.
pub(crate) fn is_one_time_code_key(norm: &[u8]) -> bool {
    const EXACT: &[&[u8]] = &[b"otp", b"pin", b"pincode", b"passcode", b"onetimecode", b"onetimepassword", b"totp"];
    const SUFFIXES: &[&[u8]] = &[
        b"resetcode",
        b"resetpin",
        b"resettoken",
        b"verificationcode",
        b"confirmationcode",
        b"mfacode",
        b"twofactorcode",
        b"2facode",
        b"smscode",
        b"otpcode",
        b"otp",
        b"emailcode",
        b"logincode",
    ];
    EXACT.contains(&norm) || SUFFIXES.iter().any(|w| norm.ends_with(w))
}

/// Classifies a lower-cased identifier with `_`, `-`, `.` and spaces removed
/// (`DB_PASSWORD` → `dbpassword`).
pub(crate) fn ident(norm: &[u8]) -> Option<Ident> {
    let has = |w: &[u8]| crate::contains(norm, w);
    if norm == b"sessionid" || norm == b"sid" {
        return Some(Ident::Token);
    }
    const NOT_VALUES: &[&[u8]] = &[
        b"bypass",
        b"compass",
        b"passenger",
        b"passage",
        b"passive",
        b"passed",
        b"passing",
        b"passes",
        b"passport",
        b"reset",
        b"forgot",
        b"policy",
        b"length",
        b"minlen",
        b"maxlen",
        b"expire",
        b"expiry",
        b"expiration",
        b"changed",
        b"strength",
        b"rule",
        b"hint",
        b"url",
        b"field",
        b"label",
        b"type",
        b"enabled",
        b"required",
        b"count",
        b"used",
        b"limit",
        b"ttl",
        b"updated",
        b"created",
        b"path",
        b"file",
        b"name",
        b"id",
        b"lastfour",
        b"set",
        b"format",
        b"maxtokens",
        b"ms",
        b"version",
    ];
    if NOT_VALUES.iter().any(|w| norm.ends_with(w) || (w.len() >= 5 && has(w))) {
        return None;
    }
    let pass = has(b"password")
        || has(b"passwd")
        || has(b"pwd")
        || has(b"passphrase")
        || norm == b"pass"
        || norm.ends_with(b"pass");
    if pass && (has(b"hash") || has(b"digest") || has(b"crypt")) {
        return Some(Ident::PasswordHash);
    }
    if pass {
        return Some(Ident::Password);
    }
    if has(b"privatekey") || has(b"sshkey") {
        return Some(Ident::PrivateKey);
    }
    if has(b"secret") {
        return Some(Ident::Secret);
    }
    if has(b"apikey") || has(b"accesskey") || has(b"subscriptionkey") || has(b"appkey") || norm == b"key" {
        return Some(Ident::ApiKey);
    }
    if has(b"token") || has(b"sessionid") || has(b"bearer") {
        return Some(Ident::Token);
    }
    None
}

/// `PWD`, `OLDPWD` and friends in an environment listing hold directories: `/srv/app`, `~/app`,
/// `C:\app`, `./run` are where the process runs, not what it logs in with.
pub(crate) fn is_directory(v: &[u8]) -> bool {
    v.starts_with(b"/")
        || v.starts_with(b"~/")
        || v.starts_with(b"./")
        || v.starts_with(b"../")
        || (v.len() >= 3 && v[0].is_ascii_alphabetic() && v[1] == b':' && matches!(v[2], b'\\' | b'/'))
}

/// UUIDs are identifiers; under a `key` field they name a record, they do not unlock anything.
fn is_uuid(v: &[u8]) -> bool {
    v.len() == 36
        && v.iter()
            .enumerate()
            .all(|(i, c)| if matches!(i, 8 | 13 | 18 | 23) { *c == b'-' } else { c.is_ascii_hexdigit() })
}

fn is_hex_digest(v: &[u8]) -> bool {
    matches!(v.len(), 32 | 40 | 56 | 64 | 96 | 128) && v.iter().all(u8::is_ascii_hexdigit)
}

/// Digits a document shows as an example code: one digit repeated (`000000`) or a run up or down
/// (`123456`, `654321`). A real code is one of these one time in a hundred thousand; a sample
/// almost always is.
fn is_sample_digits(v: &[u8]) -> bool {
    if v.len() < 2 || !v.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let steps: Vec<i16> = v.windows(2).map(|w| i16::from(w[1]) - i16::from(w[0])).collect();
    [0, 1, -1].iter().any(|d| steps.iter().all(|s| s == d))
}

/// Judges a value assigned to an identifier of kind `id`. `has_format` says whether one of the
/// fixed formats already matched inside the value (then that finding speaks for it).
pub(crate) fn judge(id: Ident, v: &[u8], has_format: bool) -> Option<(PiiType, Confidence, Option<&'static str>)> {
    if has_format || v.len() > 512 {
        return None;
    }
    match id {
        Ident::Password | Ident::PasswordHash if is_hex_digest(v) => {
            // An unsalted digest next to a password key: crackable with a lookup table.
            Some((PiiType::PasswordHash, Confidence::Medium, Some("unsalted_digest")))
        }
        Ident::PasswordHash => (v.len() >= 16 && !is_placeholder(v) && entropy(v) >= 3.0).then_some((
            PiiType::PasswordHash,
            Confidence::Medium,
            None,
        )),
        Ident::Password => {
            if is_placeholder(v) || v.starts_with(b"http") || is_directory(v) || v.len() > 128 {
                return None;
            }
            Some((PiiType::Password, Confidence::Medium, None))
        }
        Ident::OneTimeCode => {
            if is_placeholder(v) || v.contains(&b' ') || is_sample_digits(v) {
                return None;
            }
            let code_like = v.iter().all(u8::is_ascii_alphanumeric) && v.iter().any(u8::is_ascii_digit);
            if (4..=10).contains(&v.len()) && code_like {
                Some((PiiType::Secret, Confidence::High, Some("one_time_code")))
            } else if v.len() >= 12 && entropy(v) >= 3.0 {
                Some((PiiType::Token, Confidence::Medium, Some("reset_token")))
            } else {
                None
            }
        }
        Ident::Secret | Ident::Token | Ident::ApiKey | Ident::PrivateKey => {
            let kind = match id {
                Ident::Token => PiiType::Token,
                Ident::ApiKey => PiiType::ApiKey,
                _ => PiiType::Secret,
            };
            if v.len() < 12 || v.contains(&b' ') || is_uuid(v) {
                return None;
            }
            if is_placeholder(v) {
                return Some((kind, Confidence::Low, Some("placeholder")));
            }
            // gitleaks' floor for generic secrets.
            let e = entropy(v);
            if e >= 3.5 || (e >= 3.0 && v.iter().all(u8::is_ascii_hexdigit)) {
                Some((kind, Confidence::Medium, Some("generic")))
            } else {
                None
            }
        }
    }
}

/// `password = "…"`, `api_key: …`, `DB_PASSWORD=…` in free text, found from a keyword hit at
/// `kw_start..kw_end`. Returns the value's span and the identifier kind.
pub(crate) fn assignment(bytes: &[u8], kw_start: usize, kw_end: usize) -> Option<(std::ops::Range<usize>, Ident)> {
    let id_char = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.');
    let mut s = kw_start;
    while s > 0 && kw_start - s < 40 && id_char(bytes[s - 1]) {
        s -= 1;
    }
    let e = take(bytes, kw_end, 40, id_char);
    let mut norm = [0u8; 64];
    let mut n = 0;
    for &c in &bytes[s..e] {
        if c.is_ascii_alphanumeric() && n < norm.len() {
            norm[n] = c.to_ascii_lowercase();
            n += 1;
        }
    }
    let id = ident(&norm[..n])?;
    // Optional closing quote of a quoted key, spaces, then `=`, `:`, `:=` or `=>`.
    let mut i = e;
    if matches!(bytes.get(i), Some(b'"' | b'\'')) {
        i += 1;
    }
    i = take(bytes, i, 4, |c| c == b' ' || c == b'\t');
    match bytes.get(i..i + 2) {
        Some(b":=") | Some(b"=>") => i += 2,
        _ => match bytes.get(i) {
            Some(b'=' | b':') => i += 1,
            _ => return None,
        },
    }
    i = take(bytes, i, 4, |c| c == b' ' || c == b'\t');
    let (vs, ve) = match bytes.get(i) {
        Some(&q @ (b'"' | b'\'')) => {
            let end = memchr::memchr(q, &bytes[i + 1..(i + 1 + 600).min(bytes.len())])?;
            (i + 1, i + 1 + end)
        }
        Some(_) => {
            let ve = take(bytes, i, 600, |c| !c.is_ascii_whitespace() && !b",;&\"'<>)}]".contains(&c));
            if is_expression(&bytes[i..ve]) {
                return None;
            }
            (i, ve)
        }
        None => return None,
    };
    (ve > vs).then_some((vs..ve, id))
}

/// Whether an unquoted value is code rather than a literal: in JavaScript (minified or not)
/// `password: e.value`, `secret=encodeURIComponent(SECRET)`, `apiKey: this.props.apiKey`,
/// `token = getToken()` and `{password:n}` bind a name to an expression, and the secret is
/// wherever that expression leads, not here. Unquoted literals (`DB_PASSWORD=hunter2!x` in a
/// `.env`, `password=…` in a log line) still count.
fn is_expression(v: &[u8]) -> bool {
    let ident_start = |c: u8| c.is_ascii_alphabetic() || c == b'_' || c == b'$';
    let ident_char = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'$';
    let Some(&first) = v.first() else { return false };
    // Calls, indexing, negation (`!0`), concatenation and template interpolation.
    if v.iter().any(|c| b"([{`".contains(c)) || matches!(first, b'!' | b'+' | b'?') {
        return true;
    }
    if !ident_start(first) {
        return false;
    }
    // Member access `a.b.c` where every part is an identifier (`e.target.value`, `o.a.SECRET`).
    let parts: Vec<&[u8]> = v.split(|c| *c == b'.').collect();
    let identifiers =
        parts.iter().all(|p| p.first().is_some_and(|c| ident_start(*c)) && p.iter().all(|c| ident_char(*c)));
    if !identifiers {
        return false;
    }
    // Names that start or end with what they hold (`SECRET`, `apiKey`, `userPassword`,
    // `config.db.password`); a random key merely containing `key` somewhere is not one.
    let lower: Vec<u8> = v.iter().filter(|c| **c != b'_').map(u8::to_ascii_lowercase).collect();
    let about_secret = parts.iter().any(|p| {
        let p: Vec<u8> = p.iter().filter(|c| **c != b'_').map(u8::to_ascii_lowercase).collect();
        [&b"password"[..], b"passwd", b"pass", b"pwd", b"secret", b"token", b"key", b"apikey"]
            .iter()
            .any(|w| p.starts_with(w) || p.ends_with(w))
    });
    if parts.len() > 1 {
        // `smtp.mailbox.org` is a host, not member access: lower-case labels, no well-known root.
        let host_like = parts.iter().all(|p| p.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        let code_root =
            parts[0].len() <= 2 || matches!(parts[0], b"this" | b"self" | b"window" | b"process" | b"document");
        return !host_like || code_root || about_secret;
    }
    // A bare identifier: minified names (`n`, `e`, `t`), JavaScript keywords and values, or a
    // name that is itself about the secret (`secret=SECRET`, `password: passwordInput`).
    v.len() <= 2
        || about_secret
        || matches!(
            lower.as_slice(),
            b"this"
                | b"void"
                | b"new"
                | b"typeof"
                | b"await"
                | b"function"
                | b"null"
                | b"undefined"
                | b"true"
                | b"false"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idents() {
        assert_eq!(ident(b"dbpassword"), Some(Ident::Password));
        assert_eq!(ident(b"passwordhash"), Some(Ident::PasswordHash));
        assert_eq!(ident(b"passwordresetexpires"), None);
        assert_eq!(ident(b"clientsecret"), Some(Ident::Secret));
        assert_eq!(ident(b"xapikey"), Some(Ident::ApiKey));
        assert!(
            is_one_time_code_key(b"resetpin")
                && is_one_time_code_key(b"otp")
                && is_one_time_code_key(b"passwordresettoken")
        );
        assert!(
            !is_one_time_code_key(b"pinned")
                && !is_one_time_code_key(b"shipping")
                && !is_one_time_code_key(b"otpexpires")
        );
        assert_eq!(judge(Ident::OneTimeCode, b"482913", false).map(|j| j.0), Some(PiiType::Secret));
        assert_eq!(judge(Ident::OneTimeCode, b"0000", false), None, "a placeholder");
        assert_eq!(judge(Ident::OneTimeCode, b"123456", false), None, "a documentation sample");
        assert_eq!(judge(Ident::OneTimeCode, b"987654", false), None, "a documentation sample");
        assert!(judge(Ident::OneTimeCode, b"034529", false).is_some());
        assert_eq!(ident(b"tokentype"), None);
    }

    #[test]
    fn assignments() {
        let s = b"connect DB_PASSWORD=s3cr3t-Pa55 host=db";
        let (r, id) = assignment(s, 11, 19).expect("assignment");
        assert_eq!(&s[r], b"s3cr3t-Pa55");
        assert_eq!(id, Ident::Password);
    }
}
