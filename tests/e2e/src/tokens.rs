//! JWT helpers: read a real token's claims and sign edited ones, so a test can make a
//! token that is valid in every respect but the one under test.

use chat_core::auth::SigningKey;
use serde_json::{Map, Value};

/// A token's claims, read without checking the signature.
pub fn decode_claims(token: &str) -> Map<String, Value> {
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    v.insecure_disable_signature_validation();
    v.validate_exp = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Map<String, Value>>(
        token,
        &jsonwebtoken::DecodingKey::from_secret(b"unused"),
        &v,
    )
    .expect("decode a token's claims");
    data.claims
}

/// Signs `claims` as the holder of `key` would (EdDSA, its `kid` in the header).
pub fn sign_claims(claims: &Map<String, Value>, key: &SigningKey) -> String {
    sign_with_kid(claims, key, key.kid())
}

/// Signs `claims` with a key nobody trusts while naming the trusted key `kid`: a forgery
/// that gets past every check but the signature.
pub fn forge_claims(claims: &Map<String, Value>, kid: &str) -> String {
    let stranger = SigningKey::generate().expect("a throwaway key");
    sign_with_kid(claims, &stranger, kid)
}

fn sign_with_kid(claims: &Map<String, Value>, key: &SigningKey, kid: &str) -> String {
    use base64::Engine;
    let pkcs8 = base64::engine::general_purpose::STANDARD
        .decode(key.to_base64())
        .expect("base64 key");
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    header.kid = Some(kid.to_string());
    jsonwebtoken::encode(
        &header,
        claims,
        &jsonwebtoken::EncodingKey::from_ed_der(&pkcs8),
    )
    .expect("sign a token")
}

/// Seconds since the epoch.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
