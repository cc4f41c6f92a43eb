//! The core's one error type and its mapping to the wire.
//!
//! Every failure a client can see is a [`CoreError`]; [`CoreError::code`] picks the
//! protocol code (PROTOCOL §1) and [`ErrorCode::http_status`] the HTTP status. This is
//! the only place those mappings live. Internal details (storage failures, sources) are
//! logged by the caller and never reach the client: see [`CoreError::public_message`].

use serde::{Deserialize, Serialize};

/// Error codes of PROTOCOL §1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    RateLimited,
    PayloadTooLarge,
    GuestAlone,
    Unavailable,
    Internal,
}

impl ErrorCode {
    /// HTTP status for the code, as PROTOCOL §1 fixes it.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::BadRequest => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict | ErrorCode::GuestAlone => 409,
            ErrorCode::RateLimited => 429,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::Unavailable => 503,
            ErrorCode::Internal => 500,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::GuestAlone => "guest_alone",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
        }
    }
}

/// Boxed source error of an adapter (SQLite, HTTP, AWS SDK …).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Authentication failed. Deliberately carries no reason: the client must not learn
    /// whether the user exists, the password was wrong or the token was revoked.
    #[error("unauthorized")]
    Unauthorized,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("rate limited")]
    RateLimited,
    /// Refused for a while (failed logins): `rate_limited`, with the seconds to wait,
    /// which HTTP answers carry as `Retry-After`.
    #[error("retry after {0} s")]
    RetryAfter(u64),
    #[error("payload too large: {0}")]
    PayloadTooLarge(String),
    #[error("a guest would be left alone in the room")]
    GuestAlone,
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A storage or infrastructure failure; the source is for logs only.
    #[error("storage failure: {context}")]
    Storage {
        context: String,
        #[source]
        source: BoxError,
    },
    #[error("internal error: {0}")]
    Internal(String),
}

impl CoreError {
    /// Seconds a client should wait before trying again, when the refusal says.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            CoreError::RetryAfter(secs) => Some(*secs),
            _ => None,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            CoreError::BadRequest(_) => ErrorCode::BadRequest,
            CoreError::Unauthorized => ErrorCode::Unauthorized,
            CoreError::Forbidden(_) => ErrorCode::Forbidden,
            CoreError::NotFound(_) => ErrorCode::NotFound,
            CoreError::Conflict(_) => ErrorCode::Conflict,
            CoreError::RateLimited | CoreError::RetryAfter(_) => ErrorCode::RateLimited,
            CoreError::PayloadTooLarge(_) => ErrorCode::PayloadTooLarge,
            CoreError::GuestAlone => ErrorCode::GuestAlone,
            CoreError::Unavailable(_) => ErrorCode::Unavailable,
            CoreError::Storage { .. } | CoreError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The message a client may see: specific for client mistakes, generic for ours.
    pub fn public_message(&self) -> String {
        match self {
            CoreError::Storage { .. } | CoreError::Internal(_) => {
                "internal error; the request was not completed".to_string()
            }
            CoreError::Unauthorized => "missing or invalid credentials".to_string(),
            CoreError::GuestAlone => {
                "a guest cannot be left without an employee; hand over, escalate or conclude first"
                    .to_string()
            }
            CoreError::RateLimited => "too many requests; slow down".to_string(),
            CoreError::RetryAfter(secs) => {
                format!("too many failed attempts; try again in {secs} s")
            }
            CoreError::BadRequest(m)
            | CoreError::Forbidden(m)
            | CoreError::NotFound(m)
            | CoreError::Conflict(m)
            | CoreError::PayloadTooLarge(m)
            | CoreError::Unavailable(m) => m.clone(),
        }
    }

    /// The wire body `{"error":{"code","message"}}`.
    pub fn to_body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.public_message(),
            },
        }
    }

    /// Wraps an adapter failure with what was being done.
    pub fn storage(context: impl Into<String>, source: impl Into<BoxError>) -> Self {
        CoreError::Storage {
            context: context.into(),
            source: source.into(),
        }
    }

    pub fn bad_request(m: impl Into<String>) -> Self {
        CoreError::BadRequest(m.into())
    }
    pub fn forbidden(m: impl Into<String>) -> Self {
        CoreError::Forbidden(m.into())
    }
    pub fn not_found(m: impl Into<String>) -> Self {
        CoreError::NotFound(m.into())
    }
    pub fn conflict(m: impl Into<String>) -> Self {
        CoreError::Conflict(m.into())
    }
}

/// `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
}

pub type CoreResult<T> = Result<T, CoreError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_details_never_reach_the_client() {
        let err = CoreError::storage("insert message", "disk I/O error at /secret/path");
        let body = err.to_body();
        assert_eq!(body.error.code, ErrorCode::Internal);
        assert!(!body.error.message.contains("/secret/path"));
    }

    #[test]
    fn every_code_has_the_status_the_protocol_names() {
        let expected = [
            (ErrorCode::BadRequest, 400),
            (ErrorCode::Unauthorized, 401),
            (ErrorCode::Forbidden, 403),
            (ErrorCode::NotFound, 404),
            (ErrorCode::Conflict, 409),
            (ErrorCode::RateLimited, 429),
            (ErrorCode::PayloadTooLarge, 413),
            (ErrorCode::GuestAlone, 409),
            (ErrorCode::Unavailable, 503),
            (ErrorCode::Internal, 500),
        ];
        for (code, status) in expected {
            assert_eq!(code.http_status(), status, "{code:?}");
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }
}
