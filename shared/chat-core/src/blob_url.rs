//! Signed, expiring URLs for blob stores that are not S3: the in-memory test store and
//! the local folder store, whose bytes the local gateway serves at `{base}/{token}`.
//!
//! A token is `base64url(claims JSON) "." base64url(HMAC-SHA256(secret, first part))`.
//! Everything the URL grants is in the claims, so the gateway needs no state to check
//! a request: the key, the expiry and either what an upload must look like (size,
//! type, sha256) or how a download is served (name, type, disposition). Changing any
//! of it breaks the MAC.
//!
//! Uploads carry the same two headers S3 presigned PUTs do (`content-type`,
//! `x-amz-checksum-sha256`), so clients treat both stores alike; [`check_upload`] is
//! the folder/memory stores' equivalent of S3 refusing a body that does not match.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use ring::hmac;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{CoreError, CoreResult};
use crate::model::file::normalize_content_type;
use crate::ports::{DownloadOptions, PresignedRequest, UploadBinding};

/// Shortest accepted secret: the HMAC key must be as strong as its output.
pub const MIN_SECRET_BYTES: usize = 32;

/// Upload header with the body's type (part of the binding).
pub const CONTENT_TYPE_HEADER: &str = "content-type";
/// Upload header with the base64 of the body's raw sha256 digest (S3's name for it).
pub const CHECKSUM_HEADER: &str = "x-amz-checksum-sha256";

/// What a token grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase", rename_all_fields = "camelCase")]
pub enum Claims {
    /// One `PUT` of exactly this content.
    Upload {
        key: String,
        /// Unix seconds; the URL works strictly before this.
        exp: i64,
        size: u64,
        content_type: String,
        sha256: String,
    },
    /// `GET`s served with this name, type and disposition.
    Download {
        key: String,
        exp: i64,
        file_name: String,
        content_type: String,
        inline: bool,
    },
}

impl Claims {
    pub fn key(&self) -> &str {
        match self {
            Claims::Upload { key, .. } | Claims::Download { key, .. } => key,
        }
    }

    pub fn expires_at(&self) -> i64 {
        match self {
            Claims::Upload { exp, .. } | Claims::Download { exp, .. } => *exp,
        }
    }
}

/// Signs and checks blob URL tokens with one secret.
///
/// The base URL may be given later ([`UrlSigner::set_base`]): the local gateway knows
/// its address only after binding (it may bind port 0), but its stores are built
/// before. Tokens can be verified without a base; signing needs one.
pub struct UrlSigner {
    key: hmac::Key,
    base: OnceLock<String>,
}

impl std::fmt::Debug for UrlSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("UrlSigner")
            .field("base", &self.base.get())
            .finish_non_exhaustive()
    }
}

impl UrlSigner {
    /// A signer whose URLs are `{base_url}/{token}`. `secret` must be at least
    /// [`MIN_SECRET_BYTES`] long.
    pub fn new(secret: &[u8], base_url: impl Into<String>) -> CoreResult<UrlSigner> {
        let signer = UrlSigner::unbound(secret)?;
        signer.set_base(base_url)?;
        Ok(signer)
    }

    /// A signer without a base URL yet: it verifies, but signing answers `unavailable`
    /// until [`UrlSigner::set_base`].
    pub fn unbound(secret: &[u8]) -> CoreResult<UrlSigner> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(CoreError::Internal(format!(
                "blob URL secret is {} bytes; at least {MIN_SECRET_BYTES} are needed",
                secret.len()
            )));
        }
        Ok(UrlSigner {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
            base: OnceLock::new(),
        })
    }

    /// Sets the base URL (a trailing `/` is dropped). Only once: URLs already handed
    /// out must keep working, so a second, different base is an error.
    pub fn set_base(&self, base_url: impl Into<String>) -> CoreResult<()> {
        let base = base_url.into().trim_end_matches('/').to_string();
        if base.is_empty() {
            return Err(CoreError::Internal("blob URL base is empty".into()));
        }
        let set = self.base.get_or_init(|| base.clone());
        if *set != base {
            return Err(CoreError::Internal(format!(
                "blob URL base is already {set}; cannot change it to {base}"
            )));
        }
        Ok(())
    }

    /// The base URL, once set.
    pub fn base(&self) -> Option<&str> {
        self.base.get().map(String::as_str)
    }

    /// A `PUT` that stores exactly `binding`'s content at `key` until `expires_at`.
    pub fn sign_upload(
        &self,
        key: &str,
        binding: &UploadBinding,
        expires_at: DateTime<Utc>,
    ) -> CoreResult<PresignedRequest> {
        let checksum = checksum_header_value(&binding.sha256)?;
        let url = self.url(&Claims::Upload {
            key: key.to_string(),
            exp: expires_at.timestamp(),
            size: binding.size,
            content_type: binding.content_type.clone(),
            sha256: binding.sha256.clone(),
        })?;
        let headers = BTreeMap::from([
            (
                CONTENT_TYPE_HEADER.to_string(),
                binding.content_type.clone(),
            ),
            (CHECKSUM_HEADER.to_string(), checksum),
        ]);
        Ok(PresignedRequest {
            url,
            method: "PUT".to_string(),
            headers,
        })
    }

    /// A URL serving `key` as `options` say until `expires_at`.
    pub fn sign_download(
        &self,
        key: &str,
        options: &DownloadOptions,
        expires_at: DateTime<Utc>,
    ) -> CoreResult<String> {
        self.url(&Claims::Download {
            key: key.to_string(),
            exp: expires_at.timestamp(),
            file_name: options.file_name.clone(),
            content_type: options.content_type.clone(),
            inline: options.inline,
        })
    }

    fn url(&self, claims: &Claims) -> CoreResult<String> {
        let base = self
            .base()
            .ok_or_else(|| CoreError::Unavailable("blob URLs are not set up yet".into()))?;
        Ok(format!("{base}/{}", self.token(claims)?))
    }

    fn token(&self, claims: &Claims) -> CoreResult<String> {
        let json = serde_json::to_vec(claims)
            .map_err(|e| CoreError::Internal(format!("encode blob URL claims: {e}")))?;
        let payload = URL_SAFE_NO_PAD.encode(json);
        let mac = hmac::sign(&self.key, payload.as_bytes());
        Ok(format!(
            "{payload}.{}",
            URL_SAFE_NO_PAD.encode(mac.as_ref())
        ))
    }

    /// The claims of `token` if its MAC is right and it has not expired at `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> CoreResult<Claims> {
        let invalid = || CoreError::forbidden("invalid blob URL");
        let (payload, mac) = token.split_once('.').ok_or_else(invalid)?;
        let mac = URL_SAFE_NO_PAD.decode(mac).map_err(|_| invalid())?;
        // Constant-time comparison; only then is the payload trusted enough to parse.
        hmac::verify(&self.key, payload.as_bytes(), &mac).map_err(|_| invalid())?;
        let json = URL_SAFE_NO_PAD.decode(payload).map_err(|_| invalid())?;
        let claims: Claims = serde_json::from_slice(&json).map_err(|_| invalid())?;
        if now.timestamp() >= claims.expires_at() {
            return Err(CoreError::forbidden("this blob URL has expired"));
        }
        Ok(claims)
    }

    /// The key and binding of a valid, unexpired upload token.
    pub fn verify_upload(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> CoreResult<(String, UploadBinding)> {
        match self.verify(token, now)? {
            Claims::Upload {
                key,
                size,
                content_type,
                sha256,
                ..
            } => Ok((
                key,
                UploadBinding {
                    size,
                    content_type,
                    sha256,
                },
            )),
            Claims::Download { .. } => Err(CoreError::forbidden(
                "this blob URL is for downloading, not uploading",
            )),
        }
    }

    /// The key and serving options of a valid, unexpired download token.
    pub fn verify_download(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> CoreResult<(String, DownloadOptions)> {
        match self.verify(token, now)? {
            Claims::Download {
                key,
                file_name,
                content_type,
                inline,
                ..
            } => Ok((
                key,
                DownloadOptions {
                    file_name,
                    content_type,
                    inline,
                },
            )),
            Claims::Upload { .. } => Err(CoreError::forbidden(
                "this blob URL is for uploading, not downloading",
            )),
        }
    }

    /// The token of a URL this signer made (`{base}/{token}`).
    pub fn token_of<'u>(&self, url: &'u str) -> CoreResult<&'u str> {
        let base = self
            .base()
            .ok_or_else(|| CoreError::Unavailable("blob URLs are not set up yet".into()))?;
        url.strip_prefix(base)
            .and_then(|rest| rest.strip_prefix('/'))
            .filter(|token| !token.is_empty() && !token.contains(['/', '?', '#']))
            .ok_or_else(|| CoreError::not_found(format!("not a blob URL: {url}")))
    }
}

/// The `x-amz-checksum-sha256` value for a hex sha256: base64 of the raw digest.
pub fn checksum_header_value(sha256_hex: &str) -> CoreResult<String> {
    let digest = hex::decode(sha256_hex)
        .ok()
        .filter(|d| d.len() == 32)
        .ok_or_else(|| CoreError::bad_request("sha256 must be 64 hex digits"))?;
    Ok(STANDARD.encode(digest))
}

/// The hex sha256 of an `x-amz-checksum-sha256` value; `None` if it is not the
/// base64 of a 32-byte digest.
pub fn sha256_hex_of_checksum(checksum: &str) -> Option<String> {
    STANDARD
        .decode(checksum.trim())
        .ok()
        .filter(|d| d.len() == 32)
        .map(hex::encode)
}

/// Checks an upload against what its URL was signed for; the first difference found
/// is named in a `bad_request`. Cheap checks come first, so a wrong-sized body is never
/// hashed.
pub fn check_upload(
    binding: &UploadBinding,
    content_type: Option<&str>,
    checksum: Option<&str>,
    body: &[u8],
) -> CoreResult<()> {
    if body.len() as u64 != binding.size {
        return Err(CoreError::bad_request(format!(
            "body is {} bytes; the URL is for {}",
            body.len(),
            binding.size
        )));
    }
    let want_type = normalize_content_type(&binding.content_type);
    let got_type = content_type.map(normalize_content_type);
    if got_type.as_deref() != Some(want_type.as_str()) {
        return Err(CoreError::bad_request(format!(
            "Content-Type is {}; the URL is for {want_type}",
            got_type.as_deref().unwrap_or("missing")
        )));
    }
    let want_checksum = checksum_header_value(&binding.sha256)?;
    match checksum.map(str::trim) {
        None => {
            return Err(CoreError::bad_request(format!(
                "the {CHECKSUM_HEADER} header is missing"
            )));
        }
        Some(got) if got != want_checksum => {
            return Err(CoreError::bad_request(format!(
                "{CHECKSUM_HEADER} is {got}; the URL is for {want_checksum}"
            )));
        }
        Some(_) => {}
    }
    let actual = hex::encode(Sha256::digest(body));
    if !actual.eq_ignore_ascii_case(&binding.sha256) {
        return Err(CoreError::bad_request(format!(
            "body sha256 is {actual}; the URL is for {}",
            binding.sha256
        )));
    }
    Ok(())
}

/// Response headers: lower-case names (as `http`'s `HeaderName::from_static` wants
/// them) and values.
pub type ResponseHeaders = Vec<(&'static str, String)>;

/// Response headers of a download.
///
/// Besides type and disposition, they stop the browser from guessing a type
/// (`nosniff`), from caching a private file, and from running anything in it even if
/// it is opened directly (a sandboxed CSP that allows nothing).
pub fn download_headers(options: &DownloadOptions) -> ResponseHeaders {
    vec![
        ("content-type", options.content_type.clone()),
        (
            "content-disposition",
            content_disposition(&options.file_name, options.inline),
        ),
        ("x-content-type-options", "nosniff".to_string()),
        ("cache-control", "private, no-store".to_string()),
        (
            "content-security-policy",
            "default-src 'none'; sandbox".to_string(),
        ),
    ]
}

/// `attachment` (or `inline`) with the file name twice (RFC 6266): an ASCII fallback
/// in `filename="…"` for old clients, and the exact UTF-8 name percent-encoded in
/// `filename*` (RFC 8187). Neither can contain a quote, a backslash or a control
/// character, so no name can end the parameter or the header early.
pub fn content_disposition(file_name: &str, inline: bool) -> String {
    let kind = if inline { "inline" } else { "attachment" };
    let fallback: String = file_name
        .chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' && c != '%' => c,
            _ => '_',
        })
        .collect();
    let mut encoded = String::with_capacity(file_name.len() * 3);
    for b in file_name.bytes() {
        // RFC 8187 attr-char: everything else is percent-encoded.
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::error::ErrorCode;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
    const BODY: &[u8] = b"hello world!";

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap()
    }

    fn signer() -> UrlSigner {
        UrlSigner::new(SECRET, "http://127.0.0.1:8080/blobs/").unwrap()
    }

    fn binding() -> UploadBinding {
        UploadBinding {
            size: BODY.len() as u64,
            content_type: "text/plain".into(),
            sha256: hex::encode(Sha256::digest(BODY)),
        }
    }

    fn options(name: &str) -> DownloadOptions {
        DownloadOptions {
            file_name: name.into(),
            content_type: "application/pdf".into(),
            inline: false,
        }
    }

    fn token(url: &str) -> &str {
        url.strip_prefix("http://127.0.0.1:8080/blobs/").unwrap()
    }

    fn forbidden_message<T: std::fmt::Debug>(result: CoreResult<T>) -> String {
        match result {
            Err(CoreError::Forbidden(m)) => m,
            other => panic!("expected forbidden, got {other:?}"),
        }
    }

    fn bad_request_message(result: CoreResult<()>) -> String {
        match result {
            Err(CoreError::BadRequest(m)) => m,
            other => panic!("expected bad_request, got {other:?}"),
        }
    }

    #[test]
    fn upload_urls_carry_the_binding_and_s3_style_headers() {
        let request = signer()
            .sign_upload("uploads/f1", &binding(), now() + Duration::minutes(15))
            .unwrap();
        assert_eq!(request.method, "PUT");
        assert_eq!(
            request.headers,
            BTreeMap::from([
                ("content-type".to_string(), "text/plain".to_string()),
                (
                    "x-amz-checksum-sha256".to_string(),
                    STANDARD.encode(Sha256::digest(BODY))
                ),
            ])
        );
        let (key, bound) = signer().verify_upload(token(&request.url), now()).unwrap();
        assert_eq!((key.as_str(), bound), ("uploads/f1", binding()));
    }

    #[test]
    fn a_token_from_another_secret_or_altered_is_forbidden() {
        let url = signer()
            .sign_download("files/a", &options("a.pdf"), now() + Duration::minutes(5))
            .unwrap();
        let other = UrlSigner::new(&[7u8; 32], "http://x/blobs").unwrap();
        assert!(forbidden_message(other.verify(token(&url), now())).contains("invalid"));

        let (payload, mac) = token(&url).split_once('.').unwrap();
        let mut claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        claims["key"] = "files/b".into();
        let forged = format!("{}.{mac}", URL_SAFE_NO_PAD.encode(claims.to_string()));
        for bad in [forged.as_str(), payload, "", ".", "a.b", &token(&url)[1..]] {
            let message = forbidden_message(signer().verify(bad, now()));
            assert!(message.contains("invalid"), "{bad:?}: {message}");
        }
    }

    #[test]
    fn tokens_expire_at_their_deadline() {
        let exp = now() + Duration::minutes(5);
        let url = signer().sign_download("k", &options("a.pdf"), exp).unwrap();
        assert!(
            signer()
                .verify(token(&url), exp - Duration::seconds(1))
                .is_ok()
        );
        let message = forbidden_message(signer().verify(token(&url), exp));
        assert!(message.contains("expired"), "{message}");
    }

    #[test]
    fn a_token_only_does_what_it_was_signed_for() {
        let exp = now() + Duration::minutes(5);
        let up = signer().sign_upload("k", &binding(), exp).unwrap().url;
        let down = signer().sign_download("k", &options("a.pdf"), exp).unwrap();
        forbidden_message(signer().verify_download(token(&up), now()));
        forbidden_message(signer().verify_upload(token(&down), now()));
        let (_, opts) = signer().verify_download(token(&down), now()).unwrap();
        assert_eq!(opts, options("a.pdf"));
    }

    #[test]
    fn signing_needs_a_base_and_a_long_secret() {
        assert!(UrlSigner::unbound(&[1u8; 31]).is_err());
        let signer = UrlSigner::unbound(SECRET).unwrap();
        let err = signer.sign_upload("k", &binding(), now()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Unavailable);
        signer.set_base("http://127.0.0.1:8080/blobs").unwrap();
        signer.set_base("http://127.0.0.1:8080/blobs/").unwrap();
        assert!(signer.set_base("http://elsewhere/blobs").is_err());
        assert!(signer.sign_upload("k", &binding(), now()).is_ok());
        assert!(
            signer
                .token_of("http://127.0.0.1:8080/blobs/abc.def")
                .is_ok()
        );
        assert!(signer.token_of("http://127.0.0.1:8080/other/abc").is_err());
        assert!(signer.token_of("http://127.0.0.1:8080/blobs/a/b").is_err());
    }

    #[test]
    fn checksum_values_convert_both_ways() {
        let hex = hex::encode(Sha256::digest(BODY));
        let value = checksum_header_value(&hex).unwrap();
        assert_eq!(sha256_hex_of_checksum(&value), Some(hex));
        assert_eq!(sha256_hex_of_checksum("AAAA"), None, "not 32 bytes");
        assert!(checksum_header_value("abc").is_err());
    }

    #[test]
    fn uploads_must_match_the_binding() {
        let checksum = STANDARD.encode(Sha256::digest(BODY));
        let check = |ct: Option<&str>, sum: Option<&str>, body: &[u8]| {
            check_upload(&binding(), ct, sum, body)
        };
        let plain = Some("text/plain");
        assert!(check(plain, Some(&checksum), BODY).is_ok());
        assert!(
            check(Some("Text/Plain; charset=utf-8"), Some(&checksum), BODY).is_ok(),
            "types are compared normalized"
        );
        assert_eq!(
            bad_request_message(check(plain, Some(&checksum), b"0123456789")),
            "body is 10 bytes; the URL is for 12"
        );
        let m = bad_request_message(check(Some("image/png"), Some(&checksum), BODY));
        assert!(m.contains("image/png"), "{m}");
        let m = bad_request_message(check(None, Some(&checksum), BODY));
        assert!(m.contains("missing"), "{m}");
        let m = bad_request_message(check(plain, None, BODY));
        assert!(m.contains(CHECKSUM_HEADER), "{m}");
        let wrong = STANDARD.encode([0u8; 32]);
        let m = bad_request_message(check(plain, Some(&wrong), BODY));
        assert!(m.contains(CHECKSUM_HEADER), "{m}");
        let m = bad_request_message(check(plain, Some(&checksum), b"hello world?"));
        assert!(m.contains("sha256"), "{m}");
    }

    #[test]
    fn download_headers_keep_any_file_name_inside_its_parameter() {
        let name = "a\"b\\c\r\nSet-Cookie: x=1; résumé 100%.pdf";
        let headers = download_headers(&options(name));
        let get = |name: &str| &headers.iter().find(|(k, _)| *k == name).unwrap().1;
        assert_eq!(get("content-type"), "application/pdf");
        assert_eq!(get("x-content-type-options"), "nosniff");
        assert_eq!(get("cache-control"), "private, no-store");
        assert_eq!(
            get("content-security-policy"),
            "default-src 'none'; sandbox"
        );
        assert_eq!(
            get("content-disposition"),
            "attachment; filename=\"a_b_c__Set-Cookie: x=1; r_sum_ 100_.pdf\"; \
             filename*=UTF-8''a%22b%5Cc%0D%0ASet-Cookie%3A%20x%3D1%3B%20r%C3%A9sum%C3%A9%20100%25.pdf"
        );
        for (name, value) in &headers {
            assert!(
                value.bytes().all(|b| (b' '..=b'~').contains(&b)),
                "{name}: only visible ASCII: {value:?}"
            );
            assert_eq!(*name, name.to_ascii_lowercase());
        }
        assert_eq!(
            content_disposition("t.png", true),
            "inline; filename=\"t.png\"; filename*=UTF-8''t.png"
        );
    }
}
