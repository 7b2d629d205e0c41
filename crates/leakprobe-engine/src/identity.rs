//! Who the scanner is: identities with credentials (Basic, bearer, header, query, cookie), an
//! optional role label, and an optional HMAC request signer.
//!
//! Credentials are secrets: they are applied to requests by the client and never recorded in
//! exchanges, reports or logs ([`Identity::secrets`] lists what outputs must never contain).
use std::fmt;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Sha256, Sha512};

use serde::Deserialize;

use crate::error::ScanError;

#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    Basic {
        user: String,
        password: String,
    },
    Bearer(String),
    Header {
        name: String,
        value: String,
    },
    Query {
        name: String,
        value: String,
    },
    Cookie {
        name: String,
        value: String,
    },
    /// Several headers at once: what `--header` flags that carry credentials become.
    Headers(Vec<(String, String)>),
}

/// Header names that carry credentials. `--header` flags with these names become the implicit
/// identity `cli`, so anonymous probes really are anonymous.
pub fn is_credential_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    matches!(name.as_str(), "authorization" | "cookie" | "proxy-authorization")
        || ["token", "key", "auth", "session", "secret", "signature"].iter().any(|w| name.contains(w))
}

impl Credential {
    pub fn kind(&self) -> &'static str {
        match self {
            Credential::Basic { .. } => "basic",
            Credential::Bearer(_) => "bearer",
            Credential::Header { .. } => "header",
            Credential::Query { .. } => "query",
            Credential::Cookie { .. } => "cookie",
            Credential::Headers(_) => "headers",
        }
    }

    /// The same credential with its secret changed, to test whether the API really checks it.
    pub fn broken(&self) -> Credential {
        let spoil = |s: &str| format!("{s}x0");
        match self {
            Credential::Basic { user, password } => Credential::Basic { user: user.clone(), password: spoil(password) },
            Credential::Bearer(t) => Credential::Bearer(spoil(t)),
            Credential::Header { name, value } => Credential::Header { name: name.clone(), value: spoil(value) },
            Credential::Query { name, value } => Credential::Query { name: name.clone(), value: spoil(value) },
            Credential::Cookie { name, value } => Credential::Cookie { name: name.clone(), value: spoil(value) },
            Credential::Headers(all) => Credential::Headers(all.iter().map(|(n, v)| (n.clone(), spoil(v))).collect()),
        }
    }
}

impl Credential {
    /// The same credential carrying `token` where it carries its token: a bearer token, a header
    /// value (keeping a `Bearer ` prefix), the header of several that holds a JWT-shaped value.
    /// Credentials without a token (Basic) are left as they are.
    pub fn with_token(&self, token: &str) -> Credential {
        let swap = |value: &str| match value.split_once(' ') {
            Some((scheme, _)) => format!("{scheme} {token}"),
            None => token.to_string(),
        };
        match self {
            Credential::Bearer(_) => Credential::Bearer(token.to_string()),
            Credential::Header { name, value } => Credential::Header { name: name.clone(), value: swap(value) },
            Credential::Query { name, .. } => Credential::Query { name: name.clone(), value: token.to_string() },
            Credential::Cookie { name, .. } => Credential::Cookie { name: name.clone(), value: token.to_string() },
            Credential::Headers(all) => Credential::Headers(
                all.iter()
                    .map(|(n, v)| if v.contains("eyJ") { (n.clone(), swap(v)) } else { (n.clone(), v.clone()) })
                    .collect(),
            ),
            Credential::Basic { .. } => self.clone(),
        }
    }

    /// The JWT this credential carries, if it carries one.
    pub fn jwt(&self) -> Option<&str> {
        let looks = |v: &str| v.starts_with("eyJ") && v.split('.').count() == 3;
        match self {
            Credential::Bearer(t) => looks(t).then_some(t.as_str()),
            Credential::Header { value, .. } | Credential::Query { value, .. } | Credential::Cookie { value, .. } => {
                let token = value.rsplit(' ').next().unwrap_or(value);
                looks(token).then_some(token)
            }
            Credential::Headers(all) => all.iter().map(|(_, v)| v.rsplit(' ').next().unwrap_or(v)).find(|v| looks(v)),
            Credential::Basic { .. } => None,
        }
    }
}

impl fmt::Debug for Credential {
    // Never print a secret, not even in debug logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credential::{}(***)", self.kind())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Sha256,
    Sha512,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Hex,
    Base64,
}

/// HMAC request signing as many APIs do it: a secret, an algorithm, the header carrying the
/// signature, and what is signed — by default the raw body, or a template over method, path,
/// timestamp, nonce and body.
#[derive(Clone)]
pub struct Signer {
    pub secret: Vec<u8>,
    pub algorithm: Algorithm,
    pub encoding: Encoding,
    pub header: String,
    /// Prepended to the encoded signature, e.g. `sha256=`.
    pub prefix: String,
    /// `{method}`, `{path}` (with query), `{timestamp}`, `{nonce}`, `{body}`.
    pub template: String,
    pub timestamp_header: Option<String>,
    pub nonce_header: Option<String>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("algorithm", &self.algorithm)
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

/// The parts of a request a signature may cover.
pub struct SignInput<'a> {
    pub method: &'a str,
    pub path_and_query: &'a str,
    pub body: &'a [u8],
    pub timestamp: i64,
    pub nonce: &'a str,
}

impl Signer {
    /// The header value for this request (prefix included).
    pub fn sign(&self, input: &SignInput<'_>) -> String {
        let mut message = Vec::new();
        let mut rest = self.template.as_str();
        while let Some(open) = rest.find('{') {
            message.extend_from_slice(&rest.as_bytes()[..open]);
            let Some(close) = rest[open..].find('}') else { break };
            match &rest[open + 1..open + close] {
                "method" => message.extend_from_slice(input.method.as_bytes()),
                "path" => message.extend_from_slice(input.path_and_query.as_bytes()),
                "timestamp" => message.extend_from_slice(input.timestamp.to_string().as_bytes()),
                "nonce" => message.extend_from_slice(input.nonce.as_bytes()),
                "body" => message.extend_from_slice(input.body),
                other => message.extend_from_slice(format!("{{{other}}}").as_bytes()),
            }
            rest = &rest[open + close + 1..];
        }
        message.extend_from_slice(rest.as_bytes());
        let digest = match self.algorithm {
            Algorithm::Sha256 => mac::<Hmac<Sha256>>(&self.secret, &message),
            Algorithm::Sha512 => mac::<Hmac<Sha512>>(&self.secret, &message),
        };
        let encoded = match self.encoding {
            Encoding::Hex => hex::encode(digest),
            Encoding::Base64 => base64::engine::general_purpose::STANDARD.encode(digest),
        };
        format!("{}{encoded}", self.prefix)
    }
}

fn mac<M: Mac + KeyInit>(key: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    match <M as KeyInit>::new_from_slice(key) {
        Ok(mut m) => {
            m.update(message);
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

#[derive(Debug, Clone)]
pub struct Identity {
    pub name: String,
    /// A label such as `admin` or `user`; BFLA checks compare what each role reaches.
    pub role: Option<String>,
    pub credential: Option<Credential>,
    pub signer: Option<Signer>,
    /// How to obtain the credential at the start of a scan (and again after a 401).
    pub login: Option<Login>,
}

/// A login flow: POST a JSON body to a URL on the target and take the credential from the answer.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// Path (or URL on the target's origin) to POST to.
    pub url: String,
    /// JSON body; string values may use `${ENV}`.
    pub body: serde_json::Value,
    /// JSON pointer to the token in the answer, e.g. `/access_token`.
    pub token_pointer: Option<String>,
    /// Or: the name of a cookie the answer sets.
    pub cookie: Option<String>,
    /// How the token is sent afterwards: `bearer` (default) or `header:Name`.
    #[serde(default)]
    pub use_as: Option<String>,
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login").field("url", &self.url).finish_non_exhaustive()
    }
}

/// `[[identity]]` in leakprobe.toml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityConfig {
    pub name: String,
    pub role: Option<String>,
    /// The same SPEC as `--identity NAME=SPEC` (`bearer:${TOKEN}`, `basic:user:${PASS}`, …).
    pub auth: Option<String>,
    pub login: Option<Login>,
    pub sign: Option<SignConfig>,
}

/// `[identity.sign]`: HMAC request signing.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignConfig {
    pub secret: String,
    #[serde(default = "default_algorithm")]
    pub algorithm: String,
    #[serde(default = "default_encoding")]
    pub encoding: String,
    #[serde(default = "default_signature_header")]
    pub header: String,
    #[serde(default)]
    pub prefix: String,
    #[serde(default = "default_template")]
    pub template: String,
    pub timestamp_header: Option<String>,
    pub nonce_header: Option<String>,
}

impl fmt::Debug for SignConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignConfig")
            .field("algorithm", &self.algorithm)
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

fn default_algorithm() -> String {
    "sha256".into()
}
fn default_encoding() -> String {
    "hex".into()
}
fn default_signature_header() -> String {
    "X-Signature".into()
}
fn default_template() -> String {
    "{body}".into()
}

impl IdentityConfig {
    /// Resolves `${ENV}` references and checks every field.
    pub fn resolve(&self) -> Result<Identity, ScanError> {
        let bad = |why: String| ScanError::Config(format!("[[identity]] {}: {why}", self.name));
        let mut identity = match &self.auth {
            Some(spec) => Identity::parse(&format!("{}={spec}", self.name))?,
            None => Identity { name: self.name.clone(), role: None, credential: None, signer: None, login: None },
        };
        identity.role = self.role.clone();
        if let Some(login) = &self.login {
            if login.token_pointer.is_none() && login.cookie.is_none() {
                return Err(bad("login needs token_pointer or cookie".into()));
            }
            let mut login = login.clone();
            login.body = expand_json(&login.body).map_err(|v| bad(format!("environment variable {v} is not set")))?;
            identity.login = Some(login);
        }
        if let Some(sign) = &self.sign {
            let secret = expand_env(&sign.secret).map_err(|v| bad(format!("environment variable {v} is not set")))?;
            identity.signer = Some(Signer {
                secret: secret.into_bytes(),
                algorithm: match sign.algorithm.to_ascii_lowercase().as_str() {
                    "sha256" => Algorithm::Sha256,
                    "sha512" => Algorithm::Sha512,
                    other => return Err(bad(format!("unknown algorithm {other} (sha256, sha512)"))),
                },
                encoding: match sign.encoding.to_ascii_lowercase().as_str() {
                    "hex" => Encoding::Hex,
                    "base64" => Encoding::Base64,
                    other => return Err(bad(format!("unknown encoding {other} (hex, base64)"))),
                },
                header: sign.header.clone(),
                prefix: sign.prefix.clone(),
                template: sign.template.clone(),
                timestamp_header: sign.timestamp_header.clone(),
                nonce_header: sign.nonce_header.clone(),
            });
        }
        if identity.credential.is_none() && identity.login.is_none() && identity.signer.is_none() {
            return Err(bad("needs auth, login or sign".into()));
        }
        Ok(identity)
    }
}

fn expand_json(value: &serde_json::Value) -> Result<serde_json::Value, String> {
    Ok(match value {
        serde_json::Value::String(s) => serde_json::Value::String(expand_env(s)?),
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.iter().map(expand_json).collect::<Result<_, _>>()?)
        }
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.iter().map(|(k, v)| Ok((k.clone(), expand_json(v)?))).collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

impl Identity {
    /// `NAME=SPEC` where SPEC is `basic:USER:PASS`, `bearer:TOKEN`, `header:Name:Value`,
    /// `query:name=value` or `cookie:name=value`; `${VAR}` in the spec reads the environment.
    pub fn parse(arg: &str) -> Result<Identity, ScanError> {
        let bad = |why: &str| {
            // The spec holds a secret: only the name part is echoed.
            let name = arg.split('=').next().unwrap_or("");
            ScanError::Config(format!("--identity {name}=…: {why}"))
        };
        let (name, spec) = arg.split_once('=').ok_or_else(|| bad("expected NAME=SPEC"))?;
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
            return Err(bad("the name must be letters, digits, - or _"));
        }
        let spec = expand_env(spec).map_err(|v| bad(&format!("environment variable {v} is not set")))?;
        let (kind, rest) =
            spec.split_once(':').ok_or_else(|| bad("expected KIND:… (basic, bearer, header, query, cookie)"))?;
        let pair = |sep: char| rest.split_once(sep).map(|(a, b)| (a.trim().to_string(), b.to_string()));
        let credential = match kind {
            "basic" => pair(':').map(|(user, password)| Credential::Basic { user, password }),
            "bearer" => (!rest.is_empty()).then(|| Credential::Bearer(rest.to_string())),
            "header" => pair(':').map(|(name, value)| Credential::Header { name, value: value.trim().to_string() }),
            "query" => pair('=').map(|(name, value)| Credential::Query { name, value }),
            "cookie" => pair('=').map(|(name, value)| Credential::Cookie { name, value }),
            _ => return Err(bad("unknown kind (basic, bearer, header, query, cookie)")),
        }
        .ok_or_else(|| bad("incomplete credential"))?;
        Ok(Identity { name: name.to_string(), role: None, credential: Some(credential), signer: None, login: None })
    }

    /// Every secret value this identity holds; no output may contain any of them.
    pub fn secrets(&self) -> Vec<String> {
        let mut out = Vec::new();
        match &self.credential {
            Some(Credential::Basic { user, password }) => {
                out.push(password.clone());
                out.push(base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")));
            }
            Some(Credential::Bearer(t)) => out.push(t.clone()),
            Some(
                Credential::Header { value, .. } | Credential::Query { value, .. } | Credential::Cookie { value, .. },
            ) => out.push(value.clone()),
            Some(Credential::Headers(all)) => {
                for (_, value) in all {
                    out.push(value.clone());
                    // `Bearer x`, `Basic x`: the token alone is the secret too.
                    if let Some((_, token)) = value.split_once(' ') {
                        out.push(token.to_string());
                    }
                }
            }
            None => {}
        }
        if let Some(s) = &self.signer {
            out.push(String::from_utf8_lossy(&s.secret).into_owned());
        }
        out.retain(|s| s.len() >= 4);
        out
    }

    /// What identifies this identity's own records in answers: its name, a Basic user name, the
    /// user name or e-mail its login posts, and the e-mail or user name a JWT bearer token claims.
    /// Lower-cased; short ones (under 3 characters) are left out as they match anything.
    pub fn markers(&self) -> Vec<String> {
        let mut out = vec![self.name.clone()];
        if let Some(Credential::Basic { user, .. }) = &self.credential {
            out.push(user.clone());
        }
        if let Some(login) = &self.login {
            if let Some(body) = login.body.as_object() {
                for key in ["username", "user", "email", "login", "name"] {
                    if let Some(v) = body.get(key).and_then(|v| v.as_str()) {
                        out.push(v.to_string());
                    }
                }
            }
        }
        if let Some(Credential::Bearer(token)) = &self.credential {
            out.extend(jwt_identity_claims(token));
        }
        let mut out: Vec<String> =
            out.into_iter().map(|m| m.trim().to_ascii_lowercase()).filter(|m| m.len() >= 3).collect();
        out.sort();
        out.dedup();
        out
    }

    pub fn is_admin(&self) -> bool {
        self.role.as_deref().is_some_and(|r| r.eq_ignore_ascii_case("admin"))
    }
}

/// The `email`, `preferred_username` and `username` claims of a JWT, unverified: only used to
/// recognise the caller's own record, never to trust anything.
fn jwt_identity_claims(token: &str) -> Vec<String> {
    let Some(map) = crate::jwt::Jwt::parse(token).map(|j| j.claims) else { return Vec::new() };
    ["email", "preferred_username", "username", "name"]
        .iter()
        .filter_map(|k| map.get(*k).and_then(|v| v.as_str()).map(str::to_string))
        .collect()
}

/// `${VAR}` → the variable's value; the name of the first missing variable as the error.
pub fn expand_env(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("${") {
        let Some(close) = rest[open..].find('}') else { break };
        out.push_str(&rest[..open]);
        let var = &rest[open + 2..open + close];
        out.push_str(&std::env::var(var).map_err(|_| var.to_string())?);
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind_and_hides_secrets_in_debug() {
        let id = Identity::parse("alice=basic:alice:s3cret:with:colons").expect("basic");
        assert_eq!(
            id.credential,
            Some(Credential::Basic { user: "alice".into(), password: "s3cret:with:colons".into() })
        );
        assert!(!format!("{id:?}").contains("s3cret"));
        assert!(matches!(Identity::parse("b=bearer:tok123").expect("bearer").credential, Some(Credential::Bearer(_))));
        assert!(matches!(
            Identity::parse("k=header:X-Api-Key: abc123").expect("header").credential,
            Some(Credential::Header { ref name, ref value }) if name == "X-Api-Key" && value == "abc123"
        ));
        assert!(matches!(
            Identity::parse("q=query:api_key=abc123").expect("query").credential,
            Some(Credential::Query { .. })
        ));
        assert!(matches!(
            Identity::parse("c=cookie:session=abc123").expect("cookie").credential,
            Some(Credential::Cookie { .. })
        ));
    }

    #[test]
    fn a_forged_token_takes_the_place_of_the_real_one() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln";
        assert_eq!(Credential::Bearer(jwt.into()).with_token("forged"), Credential::Bearer("forged".into()));
        let header = Credential::Header { name: "Authorization".into(), value: format!("JWT {jwt}") };
        assert_eq!(header.jwt(), Some(jwt));
        assert_eq!(
            header.with_token("forged"),
            Credential::Header { name: "Authorization".into(), value: "JWT forged".into() }
        );
        let several = Credential::Headers(vec![("X-Tenant".into(), "acme".into()), ("X-Auth".into(), jwt.into())]);
        assert_eq!(several.jwt(), Some(jwt));
        assert_eq!(
            several.with_token("forged"),
            Credential::Headers(vec![("X-Tenant".into(), "acme".into()), ("X-Auth".into(), "forged".into())])
        );
        assert_eq!(Credential::Bearer("opaque-token-123".into()).jwt(), None);
        let basic = Credential::Basic { user: "alice".into(), password: "pw".into() };
        assert_eq!(basic.with_token("forged"), basic);
    }

    #[test]
    fn errors_never_echo_the_secret() {
        for bad in ["alice", "alice=basic", "alice=magic:s3cretvalue", "al ice=bearer:s3cretvalue", "x=bearer:"] {
            let e = Identity::parse(bad).expect_err(bad).to_string();
            assert!(!e.contains("s3cretvalue"), "{e}");
        }
    }

    #[test]
    fn env_variables_expand() {
        std::env::set_var("LEAKPROBE_TEST_TOKEN", "from-env");
        let id = Identity::parse("e=bearer:${LEAKPROBE_TEST_TOKEN}").expect("env");
        assert_eq!(id.credential, Some(Credential::Bearer("from-env".into())));
        assert!(Identity::parse("e=bearer:${LEAKPROBE_SURELY_UNSET_VAR}").is_err());
    }

    #[test]
    fn hmac_matches_a_known_vector() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let signer = Signer {
            secret: b"Jefe".to_vec(),
            algorithm: Algorithm::Sha256,
            encoding: Encoding::Hex,
            header: "X-Signature".into(),
            prefix: String::new(),
            template: "{body}".into(),
            timestamp_header: None,
            nonce_header: None,
        };
        let input = SignInput {
            method: "POST",
            path_and_query: "/",
            body: b"what do ya want for nothing?",
            timestamp: 0,
            nonce: "",
        };
        assert_eq!(signer.sign(&input), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}
