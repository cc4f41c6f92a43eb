//! Bearer tokens: HS256 JWTs with every claim checked.
//!
//! The algorithm is pinned (a token claiming `none` or RS256 is refused), and `iss`,
//! `aud`, `exp` are required. `ver` carries the identity's token version: the core
//! compares it with the stored one on every use, so an admin's revoke takes effect at
//! once without a deny list. A token issued (`iat`) or valid from (`nbf`) in the future
//! beyond [`CLOCK_SKEW_SECS`] is refused, and so is any token whose header names
//! critical extensions (`crit`, RFC 7515 §4.1.11): we implement none, so a token that
//! depends on one cannot be understood here.

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
    /// Not before; we never issue it, but a token carrying one must honour it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
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
            nbf: None,
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
        if names_critical_extensions(token) {
            tracing::debug!("token refused: critical header extensions");
            return Err(CoreError::Unauthorized);
        }
        let claims = decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| {
                tracing::debug!(error = %e, "token refused");
                CoreError::Unauthorized
            })?;
        let now = now.timestamp();
        if claims.exp + CLOCK_SKEW_SECS <= now {
            tracing::debug!("token refused: expired");
            return Err(CoreError::Unauthorized);
        }
        let from_the_future = |at: i64| at > now + CLOCK_SKEW_SECS;
        if from_the_future(claims.iat) || claims.nbf.is_some_and(from_the_future) {
            tracing::debug!("token refused: issued or valid only in the future");
            return Err(CoreError::Unauthorized);
        }
        Ok(claims)
    }
}

/// Whether the token's header has a `crit` member, or cannot be read at all (then the
/// signature check refuses it anyway; refusing here too keeps the two in step).
fn names_critical_extensions(token: &str) -> bool {
    use base64::Engine;
    let Some(header) = token.split('.').next() else {
        return true;
    };
    let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header) else {
        return true;
    };
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(fields)) => fields.contains_key("crit"),
        _ => true,
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

    /// A token signed with the right key, with `edit` applied to its header and claims.
    fn signed(
        header: serde_json::Value,
        edit: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
    ) -> String {
        let now = Utc::now().timestamp();
        let mut claims = serde_json::json!({"sub": "usr_1", "iss": "istackbuddy", "aud": "chat",
            "exp": now + 3600, "iat": now, "jti": "j", "ver": 0});
        edit(claims.as_object_mut().unwrap());
        let head = base64_url(header.to_string().as_bytes());
        let body = base64_url(claims.to_string().as_bytes());
        let input = format!("{head}.{body}");
        // HS256 through the same library the signer uses (it returns base64url).
        let signature = jsonwebtoken::crypto::sign(
            input.as_bytes(),
            &EncodingKey::from_secret(KEY),
            Algorithm::HS256,
        )
        .unwrap();
        format!("{input}.{signature}")
    }

    #[test]
    fn iat_and_nbf_in_the_future_are_refused_beyond_the_clock_skew() {
        let s = signer("chat", KEY);
        let hs256 = serde_json::json!({"alg": "HS256", "typ": "JWT"});
        let now = Utc::now().timestamp();
        assert!(s.verify(&signed(hs256.clone(), |_| {}), Utc::now()).is_ok());
        let cases: [(&str, i64, bool); 6] = [
            ("iat", now + 3600, false),
            ("iat", now + CLOCK_SKEW_SECS + 30, false),
            ("iat", now + 2, true), // within the skew
            ("nbf", now + 3600, false),
            ("nbf", now + 2, true),
            ("nbf", now - 60, true),
        ];
        for (claim, at, accepted) in cases {
            let token = signed(hs256.clone(), |c| {
                c.insert(claim.into(), at.into());
            });
            assert_eq!(
                s.verify(&token, Utc::now()).is_ok(),
                accepted,
                "{claim} = now{:+}",
                at - now
            );
        }
    }

    #[test]
    fn tokens_with_critical_header_extensions_are_refused() {
        let s = signer("chat", KEY);
        for header in [
            serde_json::json!({"alg": "HS256", "typ": "JWT", "crit": ["exp"]}),
            serde_json::json!({"alg": "HS256", "typ": "JWT", "crit": ["b64"], "b64": false}),
            serde_json::json!({"alg": "HS256", "crit": []}),
        ] {
            let token = signed(header.clone(), |_| {});
            assert!(s.verify(&token, Utc::now()).is_err(), "{header}");
        }
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
