//! The records of a large store, byte for byte as the auth server writes them to
//! Redis (`auth-server/src/store/redis/`: `keys.rs` for the key layout, `redis.rs` for
//! user records, `session_hash.rs` and `sessions.rs` with the `INDEX_SESSION` script
//! for sessions and their indexes, `revocations.rs` for the revocations in force).
//! Each function returns the commands that leave Redis in the state the auth server's
//! own writes leave it in; the auth server's multi-step scripts are replayed as their
//! end result (an index holding one session is what `INDEX_SESSION` leaves).

use std::fmt::Write as _;

/// The client the seeded sessions belong to, and what it grants (bench/bootstrap.toml).
pub const CLIENT: &str = "bench-web";
pub const AUDIENCE: &str = "documents-api";
/// A `ScopeSet` serialises sorted and space-separated.
pub const SCOPE: &str = "documents:read documents:write";
/// `AUTH_REFRESH_IDLE_TTL` and `AUTH_REFRESH_MAX_TTL` at their defaults, as bench/run.sh
/// leaves them.
pub const REFRESH_IDLE_TTL: i64 = 86_400;
pub const REFRESH_MAX_TTL: i64 = 2_592_000;

pub const CLIENTS_KEY: &str = "as:{clients}";
pub const REVOCATIONS_DATA: &str = "as:{rev}:data";
pub const REVOCATIONS_LIVE: &str = "as:{rev}:live";

/// A seeded user's name: plain ASCII, so its key needs no escaping.
pub fn username(index: usize) -> String {
    format!("seed-user-{index:07}")
}

pub fn user_key(username: &str) -> String {
    format!("as:{{u:{username}}}")
}

/// `UserRecord` as serde writes it: fields in declaration order, none skipped.
pub fn user_json(username: &str, password_hash: &str) -> String {
    format!(
        r#"{{"username":"{username}","password_hash":"{password_hash}","scopes":"{SCOPE}","disabled":false,"tokens_valid_after":0}}"#
    )
}

/// One login session of `bench-web`, as the password grant creates it and, when
/// `rotated`, as a refresh has since left it.
#[derive(Debug, Clone)]
pub struct SeededSession {
    pub sid: String,
    pub username: String,
    pub client_registration: String,
    pub created_at: i64,
    pub last_used: i64,
    pub refresh_jti: String,
    /// The token the last rotation replaced (`previous_jti`, `rotated_at` = `last_used`).
    pub previous_jti: Option<String>,
    /// Milliseconds of the login's second: the fraction of its index score.
    pub login_millis: u32,
}

impl SeededSession {
    pub fn expires_at(&self) -> i64 {
        self.created_at + REFRESH_MAX_TTL
    }

    pub fn idle_expires_at(&self) -> i64 {
        (self.last_used + REFRESH_IDLE_TTL).min(self.expires_at())
    }

    /// The commands that store it: the session hash (`to_fields`, expiring at its idle
    /// end) and its entry in the user's two indexes (`INDEX_SESSION`: scored by the
    /// absolute end plus the login's milliseconds, each index expiring with its last
    /// member, rounded up).
    pub fn commands(&self) -> Vec<Vec<String>> {
        let key = format!("as:{{s:{}}}", self.sid);
        let data = format!(
            r#"{{"sid":"{}","username":"{}","client_id":"{CLIENT}","client_registration":"{}","scope":"{SCOPE}","audiences":["{AUDIENCE}"],"created_at":{}}}"#,
            self.sid, self.username, self.client_registration, self.created_at
        );
        let mut hash = vec![
            "HSET".to_owned(),
            key.clone(),
            "data".into(),
            data,
            "expires_at".into(),
            self.expires_at().to_string(),
            "idle_expires_at".into(),
            self.idle_expires_at().to_string(),
            "last_used".into(),
            self.last_used.to_string(),
            "refresh_jti".into(),
            self.refresh_jti.clone(),
            "refresh_iat".into(),
            self.last_used.to_string(),
        ];
        if let Some(previous) = &self.previous_jti {
            hash.extend(["previous_jti".into(), previous.clone(), "rotated_at".into(), self.last_used.to_string()]);
        }
        let mut score = self.expires_at().to_string();
        let _ = write!(score, ".{:03}", self.login_millis);
        let index_expiry = self.expires_at() + i64::from(self.login_millis > 0);
        let mut commands = vec![hash, vec!["EXPIREAT".into(), key, self.idle_expires_at().to_string()]];
        for index in
            [format!("as:{{u:{}}}:sessions", self.username), format!("as:{{u:{}}}:client:{CLIENT}", self.username)]
        {
            commands.push(vec!["ZADD".into(), index.clone(), score.clone(), self.sid.clone()]);
            commands.push(vec!["EXPIREAT".into(), index, index_expiry.to_string()]);
        }
        commands
    }
}

/// A revocation in force, as `revoke` records it in `as:{rev}:data` (the revocation
/// and its audiences, JSON) and `as:{rev}:live` (scored by when it can be forgotten).
#[derive(Debug, Clone)]
pub enum SeededRevocation {
    /// RFC 7009 on an access token of `documents-api`.
    Token { jti: String, expires_at: i64 },
    /// A session ended (logout, admin): every token carrying its `sid`.
    Session { sid: String, expires_at: i64 },
}

impl SeededRevocation {
    /// The field of both keys (`Revocation::key`).
    pub fn key(&self) -> String {
        match self {
            SeededRevocation::Token { jti, .. } => format!("jti:{jti}"),
            SeededRevocation::Session { sid, .. } => format!("sid:{sid}"),
        }
    }

    /// `Stored`: the internally tagged `Revocation` flattened, then `audiences`.
    pub fn json(&self) -> String {
        match self {
            SeededRevocation::Token { jti, .. } => {
                format!(r#"{{"type":"token","jti":"{jti}","audiences":["{AUDIENCE}"]}}"#)
            }
            SeededRevocation::Session { sid, .. } => {
                format!(r#"{{"type":"session","sid":"{sid}","audiences":["{AUDIENCE}"]}}"#)
            }
        }
    }

    pub fn expires_at(&self) -> i64 {
        match self {
            SeededRevocation::Token { expires_at, .. } | SeededRevocation::Session { expires_at, .. } => *expires_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(rotated: bool) -> SeededSession {
        SeededSession {
            sid: "c2lkLXNpZC1zaWQtc2lkAA".into(),
            username: username(7),
            client_registration: "reg".into(),
            created_at: 1_700_000_000,
            last_used: if rotated { 1_700_000_500 } else { 1_700_000_000 },
            refresh_jti: "jti-2".into(),
            previous_jti: rotated.then(|| "jti-1".into()),
            login_millis: 42,
        }
    }

    #[test]
    fn a_session_is_a_hash_and_two_index_entries() {
        let commands = session(false).commands();
        let verbs: Vec<&str> = commands.iter().map(|c| c[0].as_str()).collect();
        assert_eq!(verbs, ["HSET", "EXPIREAT", "ZADD", "EXPIREAT", "ZADD", "EXPIREAT"]);
        assert_eq!(commands[0][1], "as:{s:c2lkLXNpZC1zaWQtc2lkAA}");
        assert_eq!(
            commands[0][3],
            r#"{"sid":"c2lkLXNpZC1zaWQtc2lkAA","username":"seed-user-0000007","client_id":"bench-web","client_registration":"reg","scope":"documents:read documents:write","audiences":["documents-api"],"created_at":1700000000}"#
        );
        assert_eq!(commands[1][2], (1_700_000_000 + REFRESH_IDLE_TTL).to_string(), "expires at its idle end");
        assert_eq!(commands[2][1], "as:{u:seed-user-0000007}:sessions");
        assert_eq!(commands[2][2], "1702592000.042");
        assert_eq!(commands[3][2], "1702592001", "the index expires with its member, rounded up");
        assert_eq!(commands[4][1], "as:{u:seed-user-0000007}:client:bench-web");
        assert_eq!(commands[0].len(), 14, "no rotation fields before a rotation");
    }

    #[test]
    fn a_rotated_session_keeps_the_token_it_replaced() {
        let commands = session(true).commands();
        assert_eq!(&commands[0][14..], ["previous_jti", "jti-1", "rotated_at", "1700000500"]);
        assert_eq!(commands[1][2], (1_700_000_500 + REFRESH_IDLE_TTL).to_string());
    }

    #[test]
    fn records_match_the_auth_servers_serialisation() {
        assert_eq!(user_key("seed-user-0000001"), "as:{u:seed-user-0000001}");
        assert_eq!(
            user_json("u", "$argon2id$x"),
            r#"{"username":"u","password_hash":"$argon2id$x","scopes":"documents:read documents:write","disabled":false,"tokens_valid_after":0}"#
        );
        let token = SeededRevocation::Token { jti: "j".into(), expires_at: 5 };
        assert_eq!((token.key().as_str(), token.expires_at()), ("jti:j", 5));
        assert_eq!(token.json(), r#"{"type":"token","jti":"j","audiences":["documents-api"]}"#);
        let session = SeededRevocation::Session { sid: "s".into(), expires_at: 5 };
        assert_eq!(session.key(), "sid:s");
        assert_eq!(session.json(), r#"{"type":"session","sid":"s","audiences":["documents-api"]}"#);
    }
}
