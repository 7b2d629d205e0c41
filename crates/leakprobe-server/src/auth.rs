//! Who may use the server: the admin account (argon2id password hash) and API tokens.
//!
//! An API token is 32 random bytes; the database keeps only its SHA-256. A fast hash is right for
//! a 256-bit random secret (nothing to brute-force), and it lets every request be checked with one
//! indexed lookup; passwords, which people choose, get argon2id.
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use rand::RngCore as _;
use sha2::{Digest, Sha256};
use sqlx::Row as _;

use crate::api::{ApiError, App};
use crate::db::{db_error, new_id, now, Db};
use crate::ServerError;

pub const ADMIN_PASSWORD_VAR: &str = "LEAKPROBE_ADMIN_PASSWORD";
pub const ADMIN: &str = "admin";
/// Every API token starts with this, so secret scanners (and people) recognise one.
pub const TOKEN_PREFIX: &str = "lpt_";

pub(crate) fn random_text(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

pub fn hash_password(password: &str) -> Result<String, ServerError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| ServerError::Internal(format!("cannot hash the password: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// Creates the admin account on first start. Returns the generated password when there was no
/// `LEAKPROBE_ADMIN_PASSWORD`: the caller prints it once, it is stored nowhere in clear.
pub async fn ensure_admin(db: &Db) -> Result<Option<String>, ServerError> {
    let existing: i64 = sqlx::query("SELECT COUNT(*) AS n FROM lp_users")
        .fetch_one(&db.pool)
        .await
        .map_err(db_error)?
        .try_get("n")
        .map_err(db_error)?;
    if existing > 0 {
        return Ok(None);
    }
    let (password, generated) = match std::env::var(ADMIN_PASSWORD_VAR) {
        Ok(p) if !p.is_empty() => (p, false),
        _ => (random_text(18), true),
    };
    sqlx::query("INSERT INTO lp_users (id, username, password_hash, created_at) VALUES ($1, $2, $3, $4)")
        .bind(new_id())
        .bind(ADMIN)
        .bind(hash_password(&password)?)
        .bind(now())
        .execute(&db.pool)
        .await
        .map_err(db_error)?;
    Ok(generated.then_some(password))
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new API token named `name`; the token itself is returned once and never stored.
pub async fn create_token(db: &Db, name: &str) -> Result<String, ServerError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(ServerError::Usage("a token needs a name of 1 to 100 characters".into()));
    }
    let token = format!("{TOKEN_PREFIX}{}", random_text(32));
    sqlx::query("INSERT INTO lp_tokens (id, name, token_hash, created_at) VALUES ($1, $2, $3, $4)")
        .bind(new_id())
        .bind(name)
        .bind(hash_token(&token))
        .bind(now())
        .execute(&db.pool)
        .await
        .map_err(db_error)?;
    Ok(token)
}

/// An API token as it may be shown: its name and when it was made, never the token.
#[derive(Debug, Clone)]
pub struct TokenView {
    pub id: String,
    pub name: String,
    pub created_at: String,
}

pub async fn list_tokens(db: &Db) -> Result<Vec<TokenView>, ServerError> {
    let rows = sqlx::query("SELECT id, name, created_at FROM lp_tokens ORDER BY created_at, id")
        .fetch_all(&db.pool)
        .await
        .map_err(db_error)?;
    rows.iter()
        .map(|r| {
            Ok(TokenView {
                id: r.try_get("id").map_err(db_error)?,
                name: r.try_get("name").map_err(db_error)?,
                created_at: r.try_get("created_at").map_err(db_error)?,
            })
        })
        .collect()
}

/// The token stops working at once (every request looks it up); `false` when there was none.
pub async fn revoke_token(db: &Db, id: &str) -> Result<bool, ServerError> {
    let done = sqlx::query("DELETE FROM lp_tokens WHERE id = $1").bind(id).execute(&db.pool).await.map_err(db_error)?;
    Ok(done.rows_affected() > 0)
}

async fn token_is_valid(db: &Db, token: &str) -> Result<bool, ServerError> {
    let row = sqlx::query("SELECT id FROM lp_tokens WHERE token_hash = $1")
        .bind(hash_token(token))
        .fetch_optional(&db.pool)
        .await
        .map_err(db_error)?;
    Ok(row.is_some())
}

/// Every `/api/v1` route but the API's own description: `Authorization: Bearer <token>`.
pub async fn require_token(State(app): State<App>, request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| t.starts_with(TOKEN_PREFIX));
    let Some(token) = token else {
        return ApiError::unauthorized(
            "authentication required: send `Authorization: Bearer <token>` (`leakprobe token create NAME`)",
        )
        .into_response();
    };
    match token_is_valid(&app.db, token).await {
        Ok(true) => next.run(request).await,
        Ok(false) => ApiError::unauthorized("invalid token").into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let hash = hash_password("correct horse").expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("correct horsf", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }
}
