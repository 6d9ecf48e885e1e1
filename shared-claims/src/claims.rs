//! The JWT access-token claims of RFC 9068 §2.2, plus `sid`, the login session.

use serde::{Deserialize, Serialize};

use crate::{Audience, ScopeSet};

/// JOSE `typ` header of an access token (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";
/// JOSE `typ` header of a refresh token. Distinct from [`ACCESS_TOKEN_TYP`] so that no
/// resource server can mistake one for the other (RFC 8725 §3.11).
pub const REFRESH_TOKEN_TYP: &str = "rt+jwt";

/// Claims of an access token. Times are whole seconds since the epoch: some common
/// verifiers reject fractional NumericDates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: Audience,
    pub exp: i64,
    pub iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    pub jti: String,
    pub client_id: String,
    /// RFC 9068 §2.2.3: the scopes granted, space-delimited. Absent means none.
    #[serde(default, skip_serializing_if = "ScopeSet::is_empty")]
    pub scope: ScopeSet,
    /// The login session this token descends from; absent for `client_credentials`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> AccessClaims {
        AccessClaims {
            iss: "http://127.0.0.1:8080".into(),
            sub: "alice".into(),
            aud: Audience::One("documents-api".into()),
            exp: 1_700_000_300,
            iat: 1_700_000_000,
            nbf: None,
            jti: "abc".into(),
            client_id: "web-app".into(),
            scope: ScopeSet::parse("documents:read").unwrap(),
            sid: Some("s1".into()),
        }
    }

    #[test]
    fn round_trips_through_json_with_integer_times() {
        let json = serde_json::to_value(sample()).unwrap();
        assert_eq!(json["exp"], serde_json::json!(1_700_000_300));
        assert_eq!(json["scope"], "documents:read");
        assert!(json.get("nbf").is_none());
        let back: AccessClaims = serde_json::from_value(json).unwrap();
        assert_eq!(back, sample());
    }

    #[test]
    fn missing_required_claims_are_rejected() {
        let mut json = serde_json::to_value(sample()).unwrap();
        json.as_object_mut().unwrap().remove("client_id");
        assert!(serde_json::from_value::<AccessClaims>(json).is_err());
    }

    #[test]
    fn fractional_times_are_rejected() {
        let mut json = serde_json::to_value(sample()).unwrap();
        json["exp"] = serde_json::json!(1.5);
        assert!(serde_json::from_value::<AccessClaims>(json).is_err());
    }
}
