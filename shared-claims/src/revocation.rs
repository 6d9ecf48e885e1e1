//! What a revocation covers, as recorded by the authorization server and pushed to
//! resource servers on its revocation feed (Server-Sent Events, one JSON notice per
//! event). Local verifiers apply these to tokens whose signatures are still valid.

use serde::{Deserialize, Serialize};

use crate::AccessClaims;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Revocation {
    /// One access token, by `jti` (RFC 7009 on an access token).
    Token { jti: String },
    /// Every token of one login session, by `sid` (logout, reuse detection, admin).
    Session { sid: String },
    /// Every user token of `sub` issued before `before` (password change, disabled
    /// or deleted account). Client tokens are never covered: they carry no `sid`.
    User { sub: String, before: i64 },
    /// Every token issued to `client_id` before `before`, user and client tokens alike
    /// (the client was deleted: a client registered again under the same id must not
    /// inherit its predecessor's tokens).
    Client { client_id: String, before: i64 },
    /// Every token signed by the key `kid` (emergency key revocation): verifiers drop
    /// the key from their key set. Not claims-based, so [`Revocation::covers`] is false.
    Key { kid: String },
}

impl Revocation {
    /// The identity of what is revoked: a later revocation of the same thing
    /// replaces an earlier one.
    pub fn key(&self) -> String {
        match self {
            Revocation::Token { jti } => format!("jti:{jti}"),
            Revocation::Session { sid } => format!("sid:{sid}"),
            Revocation::User { sub, .. } => format!("sub:{sub}"),
            Revocation::Client { client_id, .. } => format!("client:{client_id}"),
            Revocation::Key { kid } => format!("kid:{kid}"),
        }
    }

    /// Whether this revocation covers a token with these claims.
    pub fn covers(&self, jti: &str, sid: Option<&str>, subject: &str, client_id: &str, issued_at: i64) -> bool {
        match self {
            Revocation::Token { jti: revoked } => revoked == jti,
            Revocation::Session { sid: revoked } => sid == Some(revoked.as_str()),
            Revocation::User { sub, before } => sid.is_some() && sub == subject && issued_at < *before,
            Revocation::Client { client_id: revoked, before } => revoked == client_id && issued_at < *before,
            Revocation::Key { .. } => false,
        }
    }

    pub fn covers_claims(&self, claims: &AccessClaims) -> bool {
        self.covers(&claims.jti, claims.sid.as_deref(), &claims.sub, &claims.client_id, claims.iat)
    }
}

/// One revocation on the feed, with the time after which every token it covers has
/// expired anyway, so a reader can forget it (its memory stays bounded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationNotice {
    #[serde(flatten)]
    pub revocation: Revocation,
    pub expires_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_by_jti_session_and_user_cut_off() {
        let token = Revocation::Token { jti: "j".into() };
        assert!(token.covers("j", None, "a", "c", 1) && !token.covers("k", None, "a", "c", 1));
        let session = Revocation::Session { sid: "s".into() };
        assert!(session.covers("j", Some("s"), "a", "c", 1) && !session.covers("j", None, "a", "c", 1));
        let user = Revocation::User { sub: "a".into(), before: 10 };
        assert!(user.covers("j", Some("s"), "a", "c", 9));
        assert!(!user.covers("j", Some("s"), "a", "c", 10));
        assert!(!user.covers("j", Some("s"), "b", "c", 9));
        assert!(!user.covers("j", None, "a", "c", 9), "client tokens are never covered");
    }

    #[test]
    fn a_client_revocation_covers_user_and_client_tokens_issued_before_it() {
        let client = Revocation::Client { client_id: "c".into(), before: 10 };
        assert!(client.covers("j", Some("s"), "alice", "c", 9), "a user token of the client");
        assert!(client.covers("j", None, "c", "c", 9), "the client's own token");
        assert!(!client.covers("j", Some("s"), "alice", "c", 10), "issued after the cut-off");
        assert!(!client.covers("j", Some("s"), "c", "other", 9), "another client's token");
        assert_eq!(client.key(), "client:c");
        let json = serde_json::to_value(RevocationNotice { revocation: client.clone(), expires_at: 5 }).unwrap();
        assert_eq!(json, serde_json::json!({"type": "client", "client_id": "c", "before": 10, "expires_at": 5}));
    }

    #[test]
    fn notices_have_a_flat_wire_form() {
        let notice = RevocationNotice { revocation: Revocation::Session { sid: "s".into() }, expires_at: 5 };
        let json = serde_json::to_value(&notice).unwrap();
        assert_eq!(json, serde_json::json!({"type": "session", "sid": "s", "expires_at": 5}));
        assert_eq!(serde_json::from_value::<RevocationNotice>(json).unwrap(), notice);
        assert_eq!(Revocation::User { sub: "a".into(), before: 1 }.key(), "sub:a");
    }
}
