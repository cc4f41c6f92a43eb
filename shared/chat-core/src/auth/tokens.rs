//! Bearer tokens: EdDSA (Ed25519) JWTs with every claim checked.
//!
//! Tokens are signed with the issuer's [`SigningKey`] and carry its `kid`; verifiers
//! hold only public keys ([`VerifyingKey`]), several at once during a rotation. The
//! algorithm is pinned to EdDSA (a token claiming `none`, HS256 or RS256 is refused), a
//! token without a `kid`, or naming a key we do not hold, is refused, and `iss`,
//! `aud`, `exp` are required. `ver` carries the identity's token version: the core
//! compares it with the stored one on every use, so an admin's revoke takes effect at
//! once without a deny list. A token issued (`iat`) or valid from (`nbf`) in the future
//! beyond [`CLOCK_SKEW_SECS`] is refused, and so is any token whose header names
//! critical extensions (`crit`, RFC 7515 §4.1.11): we implement none, so a token that
//! depends on one cannot be understood here.

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

use std::collections::HashMap;

use crate::auth::keys::{SigningKey, VerifyingKey};
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
#[derive(Debug, Clone)]
pub struct TokenConfig {
    pub issuer: String,
    pub audience: String,
    /// The key tokens are issued with; `None` in processes that only verify.
    pub signing: Option<SigningKey>,
    /// Public keys accepted besides the signing key's own (a rotation's old or next
    /// key; every key of the issuer in verify-only processes).
    pub verifying: Vec<VerifyingKey>,
    pub ttl: Duration,
}

/// Tolerated difference between the issuer's and the verifier's clocks.
pub const CLOCK_SKEW_SECS: i64 = 5;

#[derive(Clone)]
pub struct TokenSigner {
    config: TokenConfig,
    encoding: Option<(String, EncodingKey)>,
    decoding: HashMap<String, DecodingKey>,
    validation: Validation,
}

impl TokenSigner {
    pub fn new(config: TokenConfig) -> CoreResult<Self> {
        let mut decoding = HashMap::new();
        let own = config.signing.as_ref().map(|k| k.verifying_key().clone());
        for key in config.verifying.iter().chain(own.as_ref()) {
            decoding.insert(key.kid().to_string(), DecodingKey::from_ed_der(key.bytes()));
        }
        if decoding.is_empty() {
            return Err(CoreError::Internal(
                "no token keys: configure a signing key or at least one public key".into(),
            ));
        }
        let encoding = config
            .signing
            .as_ref()
            .map(|k| (k.kid().to_string(), EncodingKey::from_ed_der(k.pkcs8())));
        // Only EdDSA: `Validation` refuses any header whose `alg` is not in this list.
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[config.issuer.as_str()]);
        validation.set_audience(&[config.audience.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Expiry is checked in `verify` against the app's clock (one time source for
        // tokens, tickets and tests); the library still requires the claim.
        validation.validate_exp = false;
        Ok(TokenSigner {
            encoding,
            decoding,
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
        let (kid, key) = self.encoding.as_ref().ok_or_else(|| {
            CoreError::Internal("this process holds no signing key and cannot issue tokens".into())
        })?;
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.clone());
        let token = encode(&header, &claims, key)
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
        let key = jsonwebtoken::decode_header(token)
            .ok()
            .and_then(|header| header.kid)
            .and_then(|kid| self.decoding.get(&kid))
            .ok_or_else(|| {
                tracing::debug!("token refused: no kid, or a key we do not hold");
                CoreError::Unauthorized
            })?;
        let claims = decode::<Claims>(token, key, &self.validation)
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
    use std::sync::LazyLock;

    /// One key for the whole test module: generating is cheap, but a fixed key makes
    /// the "another key" cases explicit.
    static KEY: LazyLock<SigningKey> = LazyLock::new(|| SigningKey::generate().unwrap());

    fn config(aud: &str, signing: Option<SigningKey>, verifying: Vec<VerifyingKey>) -> TokenConfig {
        TokenConfig {
            issuer: "istackbuddy".into(),
            audience: aud.into(),
            signing,
            verifying,
            ttl: Duration::hours(1),
        }
    }

    fn signer(aud: &str) -> TokenSigner {
        TokenSigner::new(config(aud, Some(KEY.clone()), vec![])).unwrap()
    }

    fn user() -> UserId {
        UserId::parse("usr_1").unwrap()
    }

    #[test]
    fn an_eddsa_token_verifies_with_its_claims_and_names_its_key() {
        let s = signer("chat");
        let (t, _) = s.issue(&user(), 3, "j1".into(), Utc::now()).unwrap();
        let header = jsonwebtoken::decode_header(&t).unwrap();
        assert_eq!(header.alg, Algorithm::EdDSA);
        assert_eq!(header.kid.as_deref(), Some(KEY.kid()));
        let c = s.verify(&t, Utc::now()).unwrap();
        assert_eq!((c.sub.as_str(), c.ver), ("usr_1", 3));
    }

    #[test]
    fn a_verifier_with_only_the_public_key_accepts_but_cannot_issue() {
        let (t, _) = signer("chat")
            .issue(&user(), 0, "j".into(), Utc::now())
            .unwrap();
        let verifier =
            TokenSigner::new(config("chat", None, vec![KEY.verifying_key().clone()])).unwrap();
        assert!(verifier.verify(&t, Utc::now()).is_ok());
        assert!(verifier.issue(&user(), 0, "j".into(), Utc::now()).is_err());
        assert!(
            TokenSigner::new(config("chat", None, vec![])).is_err(),
            "no keys at all"
        );
    }

    #[test]
    fn rotation_accepts_old_and_new_keys_during_the_overlap_only() {
        let old = KEY.clone();
        let new = SigningKey::generate().unwrap();
        let (old_token, _) = signer("chat")
            .issue(&user(), 0, "j".into(), Utc::now())
            .unwrap();
        let rotated = TokenSigner::new(config(
            "chat",
            Some(new.clone()),
            vec![old.verifying_key().clone()],
        ))
        .unwrap();
        let (new_token, _) = rotated.issue(&user(), 0, "j".into(), Utc::now()).unwrap();
        assert!(
            rotated.verify(&old_token, Utc::now()).is_ok(),
            "overlap: old still valid"
        );
        assert!(rotated.verify(&new_token, Utc::now()).is_ok());
        let after = TokenSigner::new(config("chat", Some(new), vec![])).unwrap();
        assert!(
            after.verify(&old_token, Utc::now()).is_err(),
            "old key dropped"
        );
        assert!(after.verify(&new_token, Utc::now()).is_ok());
    }

    #[test]
    fn wrong_audience_forged_and_expired_tokens_are_refused() {
        let (other_aud, _) = signer("other")
            .issue(&user(), 0, "j".into(), Utc::now())
            .unwrap();
        let s = signer("chat");
        assert!(s.verify(&other_aud, Utc::now()).is_err());
        let stranger = TokenSigner::new(config(
            "chat",
            Some(SigningKey::generate().unwrap()),
            vec![],
        ))
        .unwrap();
        let (forged, _) = stranger.issue(&user(), 0, "j".into(), Utc::now()).unwrap();
        assert!(
            s.verify(&forged, Utc::now()).is_err(),
            "a key we do not hold"
        );
        let (expired, _) = s
            .issue(&user(), 0, "j".into(), Utc::now() - Duration::hours(2))
            .unwrap();
        assert!(s.verify(&expired, Utc::now()).is_err());
        assert!(s.verify("x.y.z", Utc::now()).is_err());
    }

    /// A token with the given header and claims, signed by `sign` over `head.body`.
    fn token_with(
        header: serde_json::Value,
        edit: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
        sign: impl FnOnce(&str) -> String,
    ) -> String {
        let now = Utc::now().timestamp();
        let mut claims = serde_json::json!({"sub": "usr_1", "iss": "istackbuddy", "aud": "chat",
            "exp": now + 3600, "iat": now, "jti": "j", "ver": 0});
        edit(claims.as_object_mut().unwrap());
        let head = base64_url(header.to_string().as_bytes());
        let body = base64_url(claims.to_string().as_bytes());
        let input = format!("{head}.{body}");
        let signature = sign(&input);
        format!("{input}.{signature}")
    }

    fn eddsa(input: &str) -> String {
        jsonwebtoken::crypto::sign(
            input.as_bytes(),
            &EncodingKey::from_ed_der(KEY.pkcs8()),
            Algorithm::EdDSA,
        )
        .unwrap()
    }

    fn eddsa_header() -> serde_json::Value {
        serde_json::json!({"alg": "EdDSA", "typ": "JWT", "kid": KEY.kid()})
    }

    #[test]
    fn hs256_none_and_kidless_tokens_are_refused() {
        let s = signer("chat");
        assert!(
            s.verify(&token_with(eddsa_header(), |_| {}, eddsa), Utc::now())
                .is_ok()
        );
        // HS256 keyed with the public key (the classic confusion attack) and with
        // anything else: the algorithm is not accepted at all.
        let hs256 = |input: &str| {
            jsonwebtoken::crypto::sign(
                input.as_bytes(),
                &EncodingKey::from_secret(KEY.verifying_key().bytes()),
                Algorithm::HS256,
            )
            .unwrap()
        };
        let header = serde_json::json!({"alg": "HS256", "typ": "JWT", "kid": KEY.kid()});
        assert!(
            s.verify(&token_with(header, |_| {}, hs256), Utc::now())
                .is_err()
        );
        let none = serde_json::json!({"alg": "none", "typ": "JWT", "kid": KEY.kid()});
        assert!(
            s.verify(&token_with(none, |_| {}, |_| String::new()), Utc::now())
                .is_err()
        );
        let kidless = serde_json::json!({"alg": "EdDSA", "typ": "JWT"});
        assert!(
            s.verify(&token_with(kidless, |_| {}, eddsa), Utc::now())
                .is_err()
        );
        let unknown = serde_json::json!({"alg": "EdDSA", "typ": "JWT", "kid": "0000000000000000"});
        assert!(
            s.verify(&token_with(unknown, |_| {}, eddsa), Utc::now())
                .is_err()
        );
    }

    #[test]
    fn iat_and_nbf_in_the_future_are_refused_beyond_the_clock_skew() {
        let s = signer("chat");
        let now = Utc::now().timestamp();
        let cases: [(&str, i64, bool); 6] = [
            ("iat", now + 3600, false),
            ("iat", now + CLOCK_SKEW_SECS + 30, false),
            ("iat", now + 2, true), // within the skew
            ("nbf", now + 3600, false),
            ("nbf", now + 2, true),
            ("nbf", now - 60, true),
        ];
        for (claim, at, accepted) in cases {
            let token = token_with(
                eddsa_header(),
                |c| {
                    c.insert(claim.into(), at.into());
                },
                eddsa,
            );
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
        let s = signer("chat");
        for crit in [
            serde_json::json!(["exp"]),
            serde_json::json!(["b64"]),
            serde_json::json!([]),
        ] {
            let mut header = eddsa_header();
            header["crit"] = crit;
            let token = token_with(header.clone(), |_| {}, eddsa);
            assert!(s.verify(&token, Utc::now()).is_err(), "{header}");
        }
    }

    fn base64_url(bytes: &[u8]) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }
}
