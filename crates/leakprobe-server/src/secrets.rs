//! Identity secrets at rest: ChaCha20-Poly1305 with a 256-bit key from `LEAKPROBE_SECRET_KEY`
//! (64 hex digits or standard base64). The target's id is the associated data, so a sealed blob
//! copied onto another target does not open.
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore as _;

use crate::ServerError;

pub const KEY_VAR: &str = "LEAKPROBE_SECRET_KEY";

#[derive(Clone)]
pub struct SecretKey(Key);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

impl SecretKey {
    /// The key from the environment, `None` when unset; a malformed key is an error, never ignored.
    pub fn from_env() -> Result<Option<SecretKey>, ServerError> {
        match std::env::var(KEY_VAR) {
            Ok(v) if !v.trim().is_empty() => SecretKey::parse(v.trim()).map(Some),
            _ => Ok(None),
        }
    }

    pub fn parse(text: &str) -> Result<SecretKey, ServerError> {
        let bytes = hex::decode(text)
            .ok()
            .or_else(|| base64::engine::general_purpose::STANDARD.decode(text).ok())
            .filter(|b| b.len() == 32)
            .ok_or_else(|| {
                ServerError::Usage(format!(
                    "{KEY_VAR} must be 32 bytes as 64 hex digits or base64 (`openssl rand -hex 32`)"
                ))
            })?;
        Ok(SecretKey(*Key::from_slice(&bytes)))
    }

    /// `base64(nonce ‖ ciphertext)`.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> Result<String, ServerError> {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = ChaCha20Poly1305::new(&self.0)
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: context.as_bytes() })
            .map_err(|_| ServerError::Internal("cannot encrypt identities".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(base64::engine::general_purpose::STANDARD.encode(out))
    }

    pub fn open(&self, sealed: &str, context: &str) -> Result<Vec<u8>, ServerError> {
        let wrong = || {
            ServerError::Internal(format!(
                "cannot decrypt the target's identities: is {KEY_VAR} the key they were saved with?"
            ))
        };
        let bytes = base64::engine::general_purpose::STANDARD.decode(sealed).map_err(|_| wrong())?;
        if bytes.len() < 12 {
            return Err(wrong());
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        ChaCha20Poly1305::new(&self.0)
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad: context.as_bytes() })
            .map_err(|_| wrong())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_their_key_and_context() {
        let key = SecretKey::parse(&"ab".repeat(32)).expect("key");
        let sealed = key.seal(b"alice=bearer:s3cret", "target-1").expect("seal");
        assert!(!sealed.contains("s3cret"));
        assert_eq!(key.open(&sealed, "target-1").expect("open"), b"alice=bearer:s3cret");
        assert!(key.open(&sealed, "target-2").is_err(), "another target's blob must not open");
        let other = SecretKey::parse(&"cd".repeat(32)).expect("key");
        assert!(other.open(&sealed, "target-1").is_err(), "another key must not open it");
        assert!(SecretKey::parse("short").is_err());
    }
}
