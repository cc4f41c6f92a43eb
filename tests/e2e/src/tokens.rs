//! JWT helpers: read a real token's claims and sign edited ones, so a test can make a
//! token that is valid in every respect but the one under test.

use serde_json::{Map, Value};

/// A token's claims, read without checking the signature.
pub fn decode_claims(token: &str) -> Map<String, Value> {
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
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

/// Signs `claims` with HS256 and `secret`.
pub fn sign_claims(claims: &Map<String, Value>, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
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
