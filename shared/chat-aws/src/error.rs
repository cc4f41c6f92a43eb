//! The crate's one error enum, and its mapping onto the core's errors.
//!
//! Port methods return `CoreError`; [`AwsError`] exists for what happens outside a port
//! call (building clients, creating resources) and as the one place SDK failures are
//! classified: throttling and unreachable endpoints are `Unavailable` (the caller may
//! retry), everything else is `Storage`.

use aws_smithy_runtime_api::client::result::SdkError;
use chat_core::CoreError;

#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    #[error("invalid AWS configuration: {0}")]
    Config(String),
    #[error("{service} {operation} failed: {message}")]
    Request {
        service: &'static str,
        operation: &'static str,
        message: String,
        /// Throttled, timed out or unreachable: worth retrying later.
        retryable: bool,
    },
}

impl AwsError {
    /// Classifies an SDK failure of `service`'s `operation`.
    pub fn from_sdk<E, R>(
        service: &'static str,
        operation: &'static str,
        err: SdkError<E, R>,
    ) -> Self
    where
        E: std::error::Error + aws_smithy_types::error::metadata::ProvideErrorMetadata + 'static,
        R: std::fmt::Debug,
    {
        let retryable = match &err {
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => true,
            SdkError::ServiceError(e) => is_throttling(e.err().code()),
            _ => false,
        };
        let message = match &err {
            SdkError::ServiceError(e) => {
                let e = e.err();
                format!(
                    "{}: {}",
                    e.code().unwrap_or("unknown"),
                    e.message().unwrap_or("no message")
                )
            }
            other => format!(
                "{}",
                aws_smithy_types::error::display::DisplayErrorContext(other)
            ),
        };
        AwsError::Request {
            service,
            operation,
            message,
            retryable,
        }
    }
}

/// Error codes AWS services use for "slow down".
pub fn is_throttling(code: Option<&str>) -> bool {
    matches!(
        code,
        Some(
            "ThrottlingException"
                | "Throttling"
                | "ProvisionedThroughputExceededException"
                | "RequestLimitExceeded"
                | "TooManyRequestsException"
                | "LimitExceededException"
                | "SlowDown"
                | "RequestThrottled"
        )
    )
}

impl From<AwsError> for CoreError {
    fn from(err: AwsError) -> Self {
        match err {
            // The client sees a generic "try again"; the detail is for our logs.
            AwsError::Request {
                retryable: true, ..
            } => {
                tracing::warn!(error = %err, "AWS backend throttled or unreachable");
                CoreError::Unavailable("the service is busy; try again shortly".to_string())
            }
            AwsError::Config(_) => CoreError::Internal(err.to_string()),
            AwsError::Request { .. } => CoreError::storage("AWS request", err),
        }
    }
}
