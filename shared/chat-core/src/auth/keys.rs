//! Token keys: Ed25519 key pairs named by a `kid`.
//!
//! Only the process that issues tokens (the auth function, the local gateway) holds a
//! [`SigningKey`]; every other process holds [`VerifyingKey`]s, public keys that cannot
//! mint a token. A key's `kid` is derived from its public key (the first 16 hex digits
//! of its sha256), so a configuration cannot pair a key with the wrong name. Rotation:
//! publish the new public key to every verifier, switch the issuer to the new signing
//! key, and drop the old public key once the last token it signed has expired.
//!
//! Ed25519 through `ring`, which `jsonwebtoken` already builds on.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};
use sha2::{Digest, Sha256};

use crate::error::{CoreError, CoreResult};

/// A public key that verifies tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifyingKey {
    kid: String,
    public: Vec<u8>,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VerifyingKey({})", self.kid)
    }
}

impl VerifyingKey {
    /// A raw 32-byte Ed25519 public key.
    pub fn from_bytes(public: &[u8]) -> CoreResult<Self> {
        if public.len() != 32 {
            return Err(CoreError::Internal(format!(
                "an Ed25519 public key has 32 bytes, not {}",
                public.len()
            )));
        }
        Ok(VerifyingKey {
            kid: kid_of(public),
            public: public.to_vec(),
        })
    }

    /// Standard base64 of the raw public key (how configuration carries it).
    pub fn from_base64(encoded: &str) -> CoreResult<Self> {
        let bytes = STANDARD
            .decode(encoded.trim())
            .map_err(|e| CoreError::Internal(format!("a public key is not base64: {e}")))?;
        Self::from_bytes(&bytes)
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(&self.public)
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.public
    }
}

/// A private key that issues tokens. Never printed.
#[derive(Clone)]
pub struct SigningKey {
    pkcs8: Vec<u8>,
    public: VerifyingKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({}, private part redacted)", self.public.kid)
    }
}

impl SigningKey {
    /// A fresh key pair from the system's random source.
    pub fn generate() -> CoreResult<Self> {
        let document = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|_| CoreError::Internal("could not generate a signing key".into()))?;
        Self::from_pkcs8(document.as_ref())
    }

    /// A PKCS#8 (v1 or v2) Ed25519 private key.
    pub fn from_pkcs8(pkcs8: &[u8]) -> CoreResult<Self> {
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8).map_err(|e| {
            CoreError::Internal(format!("the signing key is not an Ed25519 PKCS#8 key: {e}"))
        })?;
        Ok(SigningKey {
            pkcs8: pkcs8.to_vec(),
            public: VerifyingKey::from_bytes(pair.public_key().as_ref())?,
        })
    }

    /// Standard base64 of the PKCS#8 document (how configuration carries it).
    pub fn from_base64(encoded: &str) -> CoreResult<Self> {
        let bytes = STANDARD
            .decode(encoded.trim())
            .map_err(|e| CoreError::Internal(format!("the signing key is not base64: {e}")))?;
        Self::from_pkcs8(&bytes)
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(&self.pkcs8)
    }

    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.public
    }

    pub fn kid(&self) -> &str {
        self.public.kid()
    }

    pub(crate) fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }
}

fn kid_of(public: &[u8]) -> String {
    hex::encode(Sha256::digest(public))[..16].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_base64_and_name_themselves() {
        let key = SigningKey::generate().unwrap();
        let again = SigningKey::from_base64(&key.to_base64()).unwrap();
        assert_eq!(again.verifying_key(), key.verifying_key());
        let public = VerifyingKey::from_base64(&key.verifying_key().to_base64()).unwrap();
        assert_eq!(public.kid(), key.kid());
        assert_eq!(key.kid().len(), 16);
        assert_ne!(SigningKey::generate().unwrap().kid(), key.kid());
        assert!(!format!("{key:?}").contains(&key.to_base64()));
        assert!(VerifyingKey::from_base64("AAAA").is_err());
        assert!(SigningKey::from_base64("bm90IGEga2V5").is_err());
    }
}
