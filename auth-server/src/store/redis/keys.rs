//! The Redis key layout. Every key starts with `as:` and carries a hash tag (the
//! part in `{...}`), so that all keys one operation touches hash to one slot and a
//! later Redis Cluster needs no change of layout:
//!
//! | key                         | type       | holds                                         |
//! |-----------------------------|------------|-----------------------------------------------|
//! | `as:{u:<username>}`         | string     | the user record (JSON)                        |
//! | `as:{u:<username>}:sessions`| sorted set | the user's session ids, scored by `expires_at`|
//! | `as:{u:<username>}:client:<client_id>` | sorted set | the same, of one client only (the session cap) |
//! | `as:{s:<sid>}`              | hash       | one login session (see `session_hash`)        |
//! | `as:{clients}`              | hash       | `client_id` → client record (JSON)            |
//! | `as:{keys}`                 | hash       | `version` and `keys` (JSON, private keys JWE) |
//! | `as:{f:<key>}`              | string     | a failure count, expiring with its window     |
//! | `as:{code:<sha256>}`        | hash       | an authorization code (see `codes`)           |
//! | `as:{login:<sha256>}`       | hash       | a login session of the authorization endpoint (see `login_sessions`) |
//! | `as:{rev}:log`, `:live`, `:data` | stream, sorted set, hash | the revocation feed and the revocations in force (see `revocations`) |
//!
//! The revocations share one slot on purpose: appending to the feed and recording
//! what is in force is one atomic step, and every replica reads one stream.
//!
//! In a Redis Cluster users, sessions, codes, login sessions and failure counters
//! spread over every shard by their tags. Three tags are global and each lives on one
//! shard, chosen for what touches them: `{clients}` (read once per client per replica
//! every few seconds, the records being cached), `{keys}` (read by each replica every
//! `AUTH_KEY_REFRESH_INTERVAL`) and `{rev}` (every revocation, every feed poll, every
//! introspection's revocation check). Their load does not grow with the number of
//! users or sessions; `{rev}`'s grows with revocations and introspections, which is why
//! resource servers in local mode never touch it per request.
//! Identifiers are chosen by users and operators and may contain `{` or `}`, which
//! would end the hash tag early, or `:`. Inside a tag they are therefore
//! percent-encoded ([`escape`]): `%`, `{`, `}`, space and control characters become
//! `%XX`, everything else stays readable (`alice` → `as:{u:alice}`). The encoding is
//! injective, so two names never share a key, and a tag never contains a brace.

use std::borrow::Cow;
use std::fmt::Write as _;

/// All clients in one hash: they are few, read whole by the admin API, and a single
/// key makes insert-if-absent (HSETNX) and listing atomic without a separate index.
pub(super) const CLIENTS: &str = "as:{clients}";

/// The signing key set with its compare-and-set version.
pub(super) const SIGNING_KEYS: &str = "as:{keys}";

/// A user record.
pub(super) fn user(username: &str) -> String {
    format!("as:{{u:{}}}", escape(username))
}

/// A `SCAN ... MATCH` pattern for user records only: a user's other keys go on
/// after the tag (`}:sessions`, `}:client:...`), and an escaped name holds no brace.
pub(super) const USER_PATTERN: &str = "as:{u:*}";

/// Whether `key` is the key of some user record (it matches [`USER_PATTERN`] and
/// nothing else): for keys read back from an untrusted listing cursor.
pub(super) fn is_user_key(key: &str) -> bool {
    key.strip_prefix("as:{u:").and_then(|rest| rest.strip_suffix('}')).is_some_and(|name| !name.contains(['{', '}']))
}

/// A user's session index: shares the user's tag, so it lives in the user's slot.
pub(super) fn user_sessions(username: &str) -> String {
    format!("as:{{u:{}}}:sessions", escape(username))
}

/// A user's sessions with one client, for the per-client session cap: in the
/// user's slot too, so one script keeps both indexes.
pub(super) fn user_client_sessions(username: &str, client_id: &str) -> String {
    format!("as:{{u:{}}}:client:{}", escape(username), escape(client_id))
}

/// A login session.
pub(super) fn session(sid: &str) -> String {
    format!("as:{{s:{}}}", escape(sid))
}

/// A failure counter of the brute-force throttle: one key, so one slot, per counter.
pub(super) fn failures(key: &str) -> String {
    format!("as:{{f:{}}}", escape(key))
}

/// An authorization code, by the hash of its value.
pub(super) fn code(code_hash: &str) -> String {
    format!("as:{{code:{}}}", escape(code_hash))
}

/// A login session of the authorization endpoint, by the hash of its cookie value.
pub(super) fn login_session(key: &str) -> String {
    format!("as:{{login:{}}}", escape(key))
}

/// Percent-encodes the bytes that could break a hash tag or make a key hard to
/// read in `redis-cli`; borrows when nothing needs encoding (the usual case).
pub(super) fn escape(id: &str) -> Cow<'_, str> {
    let needs_escape = |c: char| matches!(c, '%' | '{' | '}' | ' ') || c.is_ascii_control();
    if !id.contains(needs_escape) {
        return Cow::Borrowed(id);
    }
    let mut out = String::with_capacity(id.len() + 8);
    for c in id.chars() {
        if needs_escape(c) {
            // `needs_escape` only matches ASCII, so `c` is one byte.
            let _ = write!(out, "%{:02X}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hash tag as Redis Cluster computes it: the text between the first `{`
    /// and the first `}` after it, when non-empty.
    fn hash_tag(key: &str) -> Option<&str> {
        let open = key.find('{')?;
        let close = key[open + 1..].find('}')? + open + 1;
        (close > open + 1).then(|| &key[open + 1..close])
    }

    #[test]
    fn plain_names_stay_readable() {
        assert_eq!(user("alice"), "as:{u:alice}");
        assert_eq!(user_sessions("alice"), "as:{u:alice}:sessions");
        assert_eq!(session("Zm9vYmFy-_"), "as:{s:Zm9vYmFy-_}");
        assert_eq!(failures("u:alice"), "as:{f:u:alice}");
        assert_eq!(escape("web-app:prod@example.com"), "web-app:prod@example.com");
    }

    #[test]
    fn braces_and_percent_are_encoded() {
        assert_eq!(escape("a}b{c%d e\n"), "a%7Db%7Bc%25d%20e%0A");
        assert_eq!(user("evil}:sessions"), "as:{u:evil%7D:sessions}");
        // Non-ASCII stays as UTF-8.
        assert_eq!(escape("jürgen"), "jürgen");
    }

    #[test]
    fn a_user_and_its_index_share_one_tag_whatever_the_name() {
        for name in ["alice", "a}b", "{x}", "}", "{", "%7D", "", "a b"] {
            let tag = hash_tag(&user(name)).map(str::to_owned);
            assert_eq!(tag, Some(format!("u:{}", escape(name))), "{name:?}");
            assert_eq!(hash_tag(&user_sessions(name)).map(str::to_owned), tag, "{name:?}");
            assert!(!escape(name).contains(['{', '}']), "{name:?}");
        }
    }

    #[test]
    fn encoding_is_injective() {
        // "%7D" literally and "}" must not collide.
        assert_ne!(user("%7D"), user("}"));
        assert_ne!(session("a%20b"), session("a b"));
        assert_eq!(escape("%7D"), "%257D");
    }

    #[test]
    fn only_user_records_are_user_keys() {
        for name in ["alice", "a}b", "{x}", "%7D", "a b"] {
            assert!(is_user_key(&user(name)), "{name:?}");
            assert!(!is_user_key(&user_sessions(name)), "{name:?}");
            assert!(!is_user_key(&user_client_sessions(name, "web}app")), "{name:?}");
        }
        for other in [session("s"), failures("u:alice"), code("ab"), login_session("ab"), CLIENTS.to_owned()] {
            assert!(!is_user_key(&other), "{other}");
        }
    }

    #[test]
    fn fixed_keys_have_tags() {
        assert_eq!(hash_tag(CLIENTS), Some("clients"));
        assert_eq!(hash_tag(SIGNING_KEYS), Some("keys"));
    }
}
