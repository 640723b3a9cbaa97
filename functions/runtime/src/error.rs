//! The one error type every handler returns, classified once.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// What went wrong while handling an event or a request.
///
/// The class decides everything downstream: the HTTP status, whether the
/// Kafka transport retries, and what lands in the dead-letter topic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FnError {
    /// The input is malformed: 400, never retried (Kafka: straight to the DLQ).
    #[error("bad input: {0}")]
    BadInput(String),
    /// The input is well-formed but can never succeed: 422, not retried.
    #[error("cannot process: {0}")]
    Permanent(String),
    /// A dependency (broker, database, object store, provider) is unavailable
    /// or failed transiently: 503, retried.
    #[error("dependency unavailable: {0}")]
    Unavailable(String),
}

impl FnError {
    pub fn bad_input(msg: impl Into<String>) -> Self {
        Self::BadInput(msg.into())
    }
    pub fn permanent(msg: impl Into<String>) -> Self {
        Self::Permanent(msg.into())
    }
    pub fn unavailable(msg: impl Into<String>) -> Self {
        Self::Unavailable(msg.into())
    }

    /// HTTP status of this class.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadInput(_) => StatusCode::BAD_REQUEST,
            Self::Permanent(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }

    /// Short machine-readable class name, used in logs, metrics and DLQ headers.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::BadInput(_) => "bad_input",
            Self::Permanent(_) => "permanent",
            Self::Unavailable(_) => "unavailable",
        }
    }

    /// The message without the class prefix.
    pub fn message(&self) -> &str {
        match self {
            Self::BadInput(m) | Self::Permanent(m) | Self::Unavailable(m) => m,
        }
    }
}

impl IntoResponse for FnError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = json!({ "error": self.message(), "kind": self.kind(), "status": status.as_u16() });
        let mut resp = (status, axum::Json(body)).into_response();
        if self.is_retryable() {
            resp.headers_mut()
                .insert("retry-after", axum::http::HeaderValue::from_static("1"));
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_map_to_status_and_retry() {
        assert_eq!(FnError::bad_input("x").status(), StatusCode::BAD_REQUEST);
        assert_eq!(FnError::permanent("x").status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(FnError::unavailable("x").status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(!FnError::bad_input("x").is_retryable());
        assert!(!FnError::permanent("x").is_retryable());
        assert!(FnError::unavailable("x").is_retryable());
        assert_eq!(FnError::permanent("no text").to_string(), "cannot process: no text");
    }
}
