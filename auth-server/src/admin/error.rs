//! The admin API's one error type, and the one table that maps each variant to an
//! HTTP status and a JSON `error` code. The HTTP layer renders it; nothing else
//! decides a status.
//!
//! | variant          | status | `error`                   |
//! |------------------|--------|---------------------------|
//! | `InvalidRequest` | 400    | `invalid_request`         |
//! | `TooLarge`       | 413    | `invalid_request`         |
//! | `NotFound`       | 404    | `not_found`               |
//! | `Conflict`       | 409    | `conflict`                |
//! | `Unavailable`    | 503    | `temporarily_unavailable` |
//! | `Store`, `Internal` | 500 | `server_error`            |

use crate::crypto::password::PasswordError;
use crate::keys::KeyError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Malformed JSON, a wrong shape, an unknown field, or a value breaking a rule.
    #[error("{0}")]
    InvalidRequest(String),
    /// The body is larger than the admin API reads (bytes).
    #[error("the request body exceeds {limit} bytes")]
    TooLarge { limit: usize },
    /// No such user, client or live session.
    #[error("{0}")]
    NotFound(String),
    /// The user or client already exists.
    #[error("{0}")]
    Conflict(String),
    /// Worth retrying: e.g. the signing keys kept changing under a rotation.
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A failure of ours (hashing, key generation); the cause is logged, not sent.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AdminError {
    pub fn invalid(description: impl Into<String>) -> Self {
        AdminError::InvalidRequest(description.into())
    }

    pub fn not_found(description: impl Into<String>) -> Self {
        AdminError::NotFound(description.into())
    }

    pub fn conflict(description: impl Into<String>) -> Self {
        AdminError::Conflict(description.into())
    }

    pub fn status(&self) -> u16 {
        match self {
            AdminError::InvalidRequest(_) => 400,
            AdminError::TooLarge { .. } => 413,
            AdminError::NotFound(_) => 404,
            AdminError::Conflict(_) => 409,
            AdminError::Unavailable(_) | AdminError::Store(StoreError::Unavailable(_)) => 503,
            AdminError::Store(_) | AdminError::Internal(_) => 500,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AdminError::InvalidRequest(_) | AdminError::TooLarge { .. } => "invalid_request",
            AdminError::NotFound(_) => "not_found",
            AdminError::Conflict(_) => "conflict",
            AdminError::Unavailable(_) | AdminError::Store(StoreError::Unavailable(_)) => "temporarily_unavailable",
            AdminError::Store(_) | AdminError::Internal(_) => "server_error",
        }
    }

    /// What the caller is told. A server error says nothing of its cause (the log
    /// has it); every other description is written for the caller.
    pub fn description(&self) -> String {
        match self {
            AdminError::Store(StoreError::Unavailable(_)) => "the store is unavailable; retry shortly".into(),
            AdminError::Store(_) | AdminError::Internal(_) => "the server could not complete the request".into(),
            other => other.to_string(),
        }
    }
}

impl From<PasswordError> for AdminError {
    fn from(err: PasswordError) -> Self {
        AdminError::Internal(err.into())
    }
}

impl From<KeyError> for AdminError {
    fn from(err: KeyError) -> Self {
        match err {
            KeyError::Store(store) => AdminError::Store(store),
            KeyError::Contended => AdminError::Unavailable(err.to_string()),
            // A 409: the key set's state forbids the change now; it is allowed again
            // once the oldest retired key is withdrawn.
            KeyError::RotationRefused(why) => AdminError::conflict(why.to_string()),
            other => AdminError::Internal(other.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_hide_their_cause() {
        let err = AdminError::Store(StoreError::Corrupt("user record at 10.0.0.3".into()));
        assert_eq!((err.status(), err.code()), (500, "server_error"));
        assert!(!err.description().contains("10.0.0.3"));
    }

    #[test]
    fn an_unreachable_store_is_worth_a_retry() {
        let err = AdminError::Store(StoreError::Unavailable("redis at 10.0.0.3 refused".into()));
        assert_eq!((err.status(), err.code()), (503, "temporarily_unavailable"));
        assert!(!err.description().contains("10.0.0.3"));
    }

    #[test]
    fn client_errors_say_what_is_wrong() {
        let err = AdminError::conflict("user \"a\" already exists");
        assert_eq!((err.status(), err.code()), (409, "conflict"));
        assert_eq!(err.description(), "user \"a\" already exists");
        assert_eq!(AdminError::TooLarge { limit: 10 }.status(), 413);
        assert_eq!(AdminError::from(KeyError::Contended).status(), 503);
    }
}
