//! Bearer tokens: HS256 JWTs with every claim checked.
//!
//! The algorithm is pinned (a token claiming `none` or RS256 is refused), and `iss`,
//! `aud`, `exp` are required. `ver` carries the identity's token version: the core
//! compares it with the stored one on every use, so an admin's revoke takes effect at
//! once without a deny list.

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, CoreResult};
use crate::ids::UserId;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    /// Token version of the identity when the token was issued.
    pub ver: u32,
}

/// Token settings, read once from configuration.
#[derive(Clone)]
pub struct TokenConfig {
    pub issuer: String,
    pub audience: String,
    /// HS256 key; at least 32 bytes.
    pub secret: Vec<u8>,
    pub ttl: Duration,
}

impl std::fmt::Debug for TokenConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenConfig")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("secret", &"<redacted>")
            .field("ttl", &self.ttl)
            .finish()
    }
}

/// Tolerated difference between the issuer's and the verifier's clocks.
pub const CLOCK_SKEW_SECS: i64 = 5;

/// Minimum HS256 key length we accept.
pub const MIN_SECRET_BYTES: usize = 32;

#[derive(Clone)]
pub struct TokenSigner {
    config: TokenConfig,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl TokenSigner {
    pub fn new(config: TokenConfig) -> CoreResult<Self> {
        if config.secret.len() < MIN_SECRET_BYTES {
            return Err(CoreError::Internal(format!(
                "the token signing secret must be at least {MIN_SECRET_BYTES} bytes"
            )));
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[config.issuer.as_str()]);
        validation.set_audience(&[config.audience.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Expiry is checked in `verify` against the app's clock (one time source for
        // tokens, tickets and tests); the library still requires the claim.
        validation.validate_exp = false;
        Ok(TokenSigner {
            encoding: EncodingKey::from_secret(&config.secret),
            decoding: DecodingKey::from_secret(&config.secret),
            validation,
            config,
        })
    }

    pub fn config(&self) -> &TokenConfig {
        &self.config
    }

    /// Issues a token for `user` at `now`; returns it with its expiry.
    pub fn issue(
        &self,
        user: &UserId,
        token_version: u32,
        jti: String,
        now: DateTime<Utc>,
    ) -> CoreResult<(String, DateTime<Utc>)> {
        let expires_at = now + self.config.ttl;
        let claims = Claims {
            sub: user.to_string(),
            iss: self.config.issuer.clone(),
            aud: self.config.audience.clone(),
            exp: expires_at.timestamp(),
            iat: now.timestamp(),
            jti,
            ver: token_version,
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| CoreError::Internal(format!("token signing failed: {e}")))?;
        Ok((token, expires_at))
    }

    /// Checks signature, algorithm, issuer, audience and expiry (at `now`, with
    /// [`CLOCK_SKEW_SECS`] of tolerance). Every failure is `Unauthorized`; the reason is
    /// logged at debug level only.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> CoreResult<Claims> {
        let claims = decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| {
                tracing::debug!(error = %e, "token refused");
                CoreError::Unauthorized
            })?;
        if claims.exp + CLOCK_SKEW_SECS <= now.timestamp() {
            tracing::debug!("token refused: expired");
            return Err(CoreError::Unauthorized);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(aud: &str, secret: &[u8]) -> TokenSigner {
        TokenSigner::new(TokenConfig {
            issuer: "istackbuddy".into(),
            audience: aud.into(),
            secret: secret.to_vec(),
            ttl: Duration::hours(1),
        })
        .unwrap()
    }

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn a_token_verifies_with_its_claims() {
        let s = signer("chat", KEY);
        let user = UserId::parse("usr_1").unwrap();
        let (t, _) = s.issue(&user, 3, "j1".into(), Utc::now()).unwrap();
        let c = s.verify(&t, Utc::now()).unwrap();
        assert_eq!((c.sub.as_str(), c.ver), ("usr_1", 3));
    }

    #[test]
    fn wrong_audience_forged_and_expired_tokens_are_refused() {
        let user = UserId::parse("usr_1").unwrap();
        let (other_aud, _) = signer("other", KEY)
            .issue(&user, 0, "j".into(), Utc::now())
            .unwrap();
        let s = signer("chat", KEY);
        assert!(s.verify(&other_aud, Utc::now()).is_err());
        let (forged, _) = signer("chat", b"another-secret-another-secret-xx")
            .issue(&user, 0, "j".into(), Utc::now())
            .unwrap();
        assert!(s.verify(&forged, Utc::now()).is_err());
        let (expired, _) = s
            .issue(&user, 0, "j".into(), Utc::now() - Duration::hours(2))
            .unwrap();
        assert!(s.verify(&expired, Utc::now()).is_err());
        assert!(s.verify("x.y.z", Utc::now()).is_err());
    }

    #[test]
    fn unsigned_tokens_are_refused() {
        // header {"alg":"none","typ":"JWT"}, claims valid except for the signature.
        let s = signer("chat", KEY);
        let exp = (Utc::now() + Duration::hours(1)).timestamp();
        let header = base64_url(br#"{"alg":"none","typ":"JWT"}"#);
        let body = base64_url(
            format!(r#"{{"sub":"usr_1","iss":"istackbuddy","aud":"chat","exp":{exp},"iat":0,"jti":"j","ver":0}}"#)
                .as_bytes(),
        );
        assert!(s.verify(&format!("{header}.{body}."), Utc::now()).is_err());
    }

    fn base64_url(bytes: &[u8]) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    #[test]
    fn short_secrets_are_rejected_at_startup() {
        let r = TokenSigner::new(TokenConfig {
            issuer: "i".into(),
            audience: "a".into(),
            secret: b"short".to_vec(),
            ttl: Duration::hours(1),
        });
        assert!(r.is_err());
    }
}
