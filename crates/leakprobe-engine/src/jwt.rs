//! JSON Web Tokens as the scanner sees them: decoded and never trusted, re-encoded and re-signed
//! when a check varies them. Identities read their claims to recognise their own records; the
//! `jwt_*` checks forge with them.
use std::sync::LazyLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value};
use sha2::{Sha256, Sha384, Sha512};

/// Secrets weak HS256/384/512 tokens are signed with: defaults, tutorials, placeholders.
static SECRETS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| crate::discovery::data_lines(include_str!("../data/jwt-secrets.txt")).collect());

/// A decoded JWS in compact form. Nothing in it is trusted: it is what the scanner varies.
#[derive(Debug, Clone)]
pub struct Jwt {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    header_b64: String,
    claims_b64: String,
    signature_b64: String,
}

fn encode(value: &Map<String, Value>) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap_or_default())
}

impl Jwt {
    pub fn parse(token: &str) -> Option<Jwt> {
        let mut parts = token.trim().split('.');
        let (h, c, s) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let object = |part: &str| -> Option<Map<String, Value>> {
            let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
            match serde_json::from_slice(&bytes).ok()? {
                Value::Object(map) => Some(map),
                _ => None,
            }
        };
        let header = object(h)?;
        header.get("alg")?.as_str()?;
        Some(Jwt {
            header,
            claims: object(c)?,
            header_b64: h.to_string(),
            claims_b64: c.to_string(),
            signature_b64: s.to_string(),
        })
    }

    pub fn alg(&self) -> &str {
        self.header.get("alg").and_then(Value::as_str).unwrap_or("")
    }

    fn signing_input(&self) -> String {
        format!("{}.{}", self.header_b64, self.claims_b64)
    }

    /// Claim names, sorted, for evidence (never their values).
    pub fn claim_names(&self) -> String {
        let names: Vec<&str> = self.claims.keys().map(String::as_str).collect();
        names.join(", ")
    }

    /// The same claims with `alg` set to `alg` and no signature.
    pub fn with_none(&self, alg: &str) -> String {
        let mut header = self.header.clone();
        header.insert("alg".into(), Value::String(alg.into()));
        format!("{}.{}.", encode(&header), self.claims_b64)
    }

    /// `claims` with `alg` set to `alg` and no signature.
    pub fn none_with_claims(&self, alg: &str, claims: &Map<String, Value>) -> String {
        let mut header = self.header.clone();
        header.insert("alg".into(), Value::String(alg.into()));
        format!("{}.{}.", encode(&header), encode(claims))
    }

    /// Header and claims as issued, signature removed.
    pub fn stripped(&self) -> String {
        format!("{}.", self.signing_input())
    }

    /// Header and claims as issued, the signature's first character changed (the first carries
    /// six whole bits; the last may be padding bits that decode to the same bytes).
    pub fn altered(&self) -> String {
        let mut sig: Vec<char> = self.signature_b64.chars().collect();
        if let Some(first) = sig.first_mut() {
            *first = if *first == 'A' { 'B' } else { 'A' };
        }
        format!("{}.{}", self.signing_input(), sig.into_iter().collect::<String>())
    }

    /// `claims` under the original header and signature.
    pub fn with_claims_unsigned(&self, claims: &Map<String, Value>) -> String {
        format!("{}.{}.{}", self.header_b64, encode(claims), self.signature_b64)
    }

    /// `claims` under the original header, signed with `secret` (HS* only).
    pub fn signed_with(&self, claims: &Map<String, Value>, secret: &[u8]) -> Option<String> {
        let input = format!("{}.{}", self.header_b64, encode(claims));
        let mac = hmac_sign(self.alg(), secret, input.as_bytes())?;
        Some(format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac)))
    }

    /// The first wordlist secret (or `extra` candidate) whose HMAC matches the signature.
    pub fn crack<'a>(&self, extra: &'a [String]) -> Option<&'a str> {
        if !matches!(self.alg(), "HS256" | "HS384" | "HS512") {
            return None;
        }
        let signature = URL_SAFE_NO_PAD.decode(self.signature_b64.trim_end_matches('=')).ok()?;
        let input = self.signing_input();
        let alg = self.alg();
        SECRETS
            .iter()
            .copied()
            .chain(extra.iter().map(String::as_str))
            .find(|secret| verify(alg, secret.as_bytes(), input.as_bytes(), &signature))
    }

    /// Secrets apps derive from their own name: the `iss` and `aud` claims and variants.
    pub fn derived_candidates(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for claim in ["iss", "aud"] {
            match self.claims.get(claim) {
                Some(Value::String(s)) => names.push(s.clone()),
                Some(Value::Array(items)) => names.extend(items.iter().filter_map(Value::as_str).map(str::to_string)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        for name in names.into_iter().filter(|n| !n.is_empty() && n.len() <= 64) {
            for variant in [name.clone(), name.to_ascii_lowercase()] {
                out.push(format!("{variant}-secret"));
                out.push(format!("{variant}_secret"));
                out.push(format!("{variant}secret"));
                out.push(variant);
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// Whether `exp` has passed.
    pub fn expired(&self, now: i64) -> bool {
        self.claims.get("exp").and_then(Value::as_i64).is_some_and(|exp| exp <= now)
    }
}

pub fn hmac_sign(alg: &str, secret: &[u8], input: &[u8]) -> Option<Vec<u8>> {
    fn run<M: Mac + KeyInit>(secret: &[u8], input: &[u8]) -> Option<Vec<u8>> {
        let mut mac = <M as KeyInit>::new_from_slice(secret).ok()?;
        mac.update(input);
        Some(mac.finalize().into_bytes().to_vec())
    }
    match alg {
        "HS256" => run::<Hmac<Sha256>>(secret, input),
        "HS384" => run::<Hmac<Sha384>>(secret, input),
        "HS512" => run::<Hmac<Sha512>>(secret, input),
        _ => None,
    }
}

fn verify(alg: &str, secret: &[u8], input: &[u8], signature: &[u8]) -> bool {
    hmac_sign(alg, secret, input).is_some_and(|mac| mac == signature)
}

/// JWT-shaped strings (`eyJ….eyJ….…`) in `text`, each once.
pub fn find_jwts(text: &str) -> Vec<String> {
    let is_part = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut out: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("eyJ") {
        let candidate = &rest[start..];
        let end = candidate.find(|c: char| !is_part(c) && c != '.').unwrap_or(candidate.len());
        let parts: Vec<&str> = candidate[..end].split('.').collect();
        if parts.len() >= 3 && parts[1].starts_with("eyJ") {
            let token = parts[..3].join(".");
            if Jwt::parse(&token).is_some() && !out.contains(&token) {
                out.push(token);
            }
        }
        rest = &candidate[end.max(3)..];
    }
    out
}
