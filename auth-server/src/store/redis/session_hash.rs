//! A session as a Redis hash. The fields a rotation changes are separate hash
//! fields, so the rotation script reads and writes them with HMGET/HSET and never
//! parses JSON; what never changes after login sits in one JSON field, `data`.
//!
//! | field             | value                                                   |
//! |-------------------|---------------------------------------------------------|
//! | `data`            | JSON: sid, username, client_id, client_registration, scope, audiences, created_at |
//! | `expires_at`      | absolute end, seconds (read by the script, never written) |
//! | `idle_expires_at` | sliding end, seconds                                    |
//! | `last_used`       | seconds                                                 |
//! | `refresh_jti`     | the only refresh token that may be used next           |
//! | `refresh_iat`     | seconds                                                 |
//! | `previous_jti`    | the token `refresh_jti` replaced (absent before the first rotation) |
//! | `rotated_at`      | when it was replaced (absent likewise)                  |

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use shared_claims::ScopeSet;

use crate::store::{Session, StoreError, StoreResult};

/// The part of a session fixed at login.
#[derive(Serialize, Deserialize)]
struct SessionData {
    sid: String,
    username: String,
    client_id: String,
    #[serde(default)]
    client_registration: String,
    scope: ScopeSet,
    audiences: Vec<String>,
    created_at: i64,
}

/// The hash fields of a new session, for HSET.
pub(super) fn to_fields(session: &Session) -> StoreResult<Vec<(&'static str, String)>> {
    let data = SessionData {
        sid: session.sid.clone(),
        username: session.username.clone(),
        client_id: session.client_id.clone(),
        client_registration: session.client_registration.clone(),
        scope: session.scope.clone(),
        audiences: session.audiences.clone(),
        created_at: session.created_at,
    };
    let data = serde_json::to_string(&data).map_err(|e| corrupt("session", &e))?;
    let mut fields = vec![
        ("data", data),
        ("expires_at", session.expires_at.to_string()),
        ("idle_expires_at", session.idle_expires_at.to_string()),
        ("last_used", session.last_used.to_string()),
        ("refresh_jti", session.refresh_jti.clone()),
        ("refresh_iat", session.refresh_iat.to_string()),
    ];
    if let Some(previous) = &session.previous_jti {
        fields.push(("previous_jti", previous.clone()));
    }
    if let Some(at) = session.rotated_at {
        fields.push(("rotated_at", at.to_string()));
    }
    Ok(fields)
}

/// Reads a session back from HGETALL; `None` for an empty reply (no such key).
pub(super) fn from_fields(fields: &HashMap<String, String>) -> StoreResult<Option<Session>> {
    if fields.is_empty() {
        return Ok(None);
    }
    let text =
        |name: &str| fields.get(name).ok_or_else(|| StoreError::Corrupt(format!("session hash lacks `{name}`").into()));
    let int = |name: &str| -> StoreResult<i64> {
        text(name)?.parse().map_err(|_| StoreError::Corrupt(format!("session field `{name}` is not an integer").into()))
    };
    let data: SessionData = serde_json::from_str(text("data")?).map_err(|e| corrupt("session", &e))?;
    let rotated_at = match fields.get("rotated_at") {
        Some(_) => Some(int("rotated_at")?),
        None => None,
    };
    Ok(Some(Session {
        sid: data.sid,
        username: data.username,
        client_id: data.client_id,
        client_registration: data.client_registration,
        scope: data.scope,
        audiences: data.audiences,
        created_at: data.created_at,
        expires_at: int("expires_at")?,
        last_used: int("last_used")?,
        idle_expires_at: int("idle_expires_at")?,
        refresh_jti: text("refresh_jti")?.clone(),
        refresh_iat: int("refresh_iat")?,
        previous_jti: fields.get("previous_jti").cloned(),
        rotated_at,
    }))
}

/// The same, from the flat `field, value, ...` array a script returns.
pub(super) fn from_flat(flat: Vec<String>) -> StoreResult<Option<Session>> {
    let mut fields = HashMap::with_capacity(flat.len() / 2);
    let mut items = flat.into_iter();
    while let (Some(name), Some(value)) = (items.next(), items.next()) {
        fields.insert(name, value);
    }
    from_fields(&fields)
}

/// A JSON error without the offending text: a record may hold secrets (a password
/// hash), so only the position and category are reported.
pub(super) fn corrupt(what: &str, err: &serde_json::Error) -> StoreError {
    StoreError::Corrupt(
        format!("{what}: invalid JSON ({:?} at line {} column {})", err.classify(), err.line(), err.column()).into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        Session {
            sid: "sid-1".into(),
            username: "a}lice".into(),
            client_id: "web-app".into(),
            client_registration: "r-1".into(),
            scope: ScopeSet::parse("documents:read documents:write").expect("scope"),
            audiences: vec![],
            created_at: 1_700_000_000,
            expires_at: 1_702_592_000,
            last_used: 1_700_000_000,
            idle_expires_at: 1_700_086_400,
            refresh_jti: "jti-1".into(),
            refresh_iat: 1_700_000_000,
            previous_jti: None,
            rotated_at: None,
        }
    }

    fn round_trip(session: &Session) -> Option<Session> {
        let fields = to_fields(session).expect("encodes");
        let map = fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        from_fields(&map).expect("decodes")
    }

    #[test]
    fn round_trips_before_and_after_a_rotation() {
        let fresh = session();
        assert_eq!(round_trip(&fresh).as_ref(), Some(&fresh));
        let rotated = Session {
            previous_jti: Some("jti-1".into()),
            rotated_at: Some(1_700_000_100),
            refresh_jti: "jti-2".into(),
            audiences: vec!["documents-api".into()],
            ..fresh
        };
        assert_eq!(round_trip(&rotated).as_ref(), Some(&rotated));
    }

    #[test]
    fn flat_script_replies_decode_too() {
        let fresh = session();
        let flat = to_fields(&fresh).expect("encodes").into_iter().flat_map(|(k, v)| [k.to_owned(), v]).collect();
        assert_eq!(from_flat(flat).expect("decodes"), Some(fresh));
        assert_eq!(from_flat(vec![]).expect("empty"), None);
    }

    #[test]
    fn damaged_hashes_are_corrupt_not_panics() {
        let mut map: HashMap<String, String> =
            to_fields(&session()).expect("encodes").into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        map.insert("last_used".into(), "soon".into());
        assert!(matches!(from_fields(&map), Err(StoreError::Corrupt(_))));
        map.remove("last_used");
        assert!(matches!(from_fields(&map), Err(StoreError::Corrupt(_))));
        map.insert("data".into(), "{\"password\": \"hunter2\"".into());
        let err = from_fields(&map).expect_err("bad json");
        let message = shared_claims::error_chain(&err);
        assert!(message.contains("invalid JSON") && !message.contains("hunter2"), "{message}");
    }
}
