//! The records the store keeps. Plain data, serialisable, with no behaviour beyond
//! what a record can say about itself.

use serde::{Deserialize, Serialize};
pub use shared_claims::Revocation;
use shared_claims::ScopeSet;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    pub username: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// The most this user may be granted.
    pub scopes: ScopeSet,
    #[serde(default)]
    pub disabled: bool,
    /// Tokens of this user issued before this time (seconds) are revoked: set by a
    /// password change.
    #[serde(default)]
    pub tokens_valid_after: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRecord {
    pub client_id: String,
    /// Hex SHA-256 of the secret; `None` for a public client. Secrets are long and
    /// random, so a fast hash is enough and client authentication stays cheap.
    pub secret_sha256: Option<String>,
    /// Grant type names as in RFC 6749 (`password`, `refresh_token`, ...).
    pub grant_types: Vec<String>,
    pub scopes: ScopeSet,
    /// Audiences of the tokens issued to this client (the APIs it calls); empty means
    /// the issuer itself.
    pub audiences: Vec<String>,
    /// Audiences this client serves as a resource server: introspection and the
    /// revocation feed show it only tokens meant for these. Empty means its own
    /// `client_id` (see [`ClientRecord::served_audiences`]).
    #[serde(default)]
    pub serves: Vec<String>,
    /// Random, one per registration of this `client_id` (empty in records older than
    /// the field). Sessions remember it, so those of an earlier, deleted registration
    /// under the same id never refresh.
    #[serde(default)]
    pub registration: String,
    /// Where the authorization endpoint may send the browser back (RFC 6749 §3.1.2),
    /// compared character for character.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Where the logout endpoint may send the browser afterwards (exact match).
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// The name the login page shows; `client_id` when absent.
    #[serde(default)]
    pub display_name: Option<String>,
}

impl ClientRecord {
    /// A client without a secret (RFC 6749 §2.1).
    pub fn is_public(&self) -> bool {
        self.secret_sha256.is_none()
    }

    /// The name to show a user: `display_name`, else `client_id`.
    pub fn shown_name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.client_id)
    }

    /// The audiences this client serves: `serves`, or its own `client_id` when none
    /// were registered.
    pub fn served_audiences(&self) -> &[String] {
        if self.serves.is_empty() {
            std::slice::from_ref(&self.client_id)
        } else {
            &self.serves
        }
    }

    /// Whether any of `audiences` is one this client serves.
    pub fn serves_any<'a>(&self, mut audiences: impl Iterator<Item = &'a str>) -> bool {
        let served = self.served_audiences();
        audiences.any(|aud| served.iter().any(|s| s == aud))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    /// Published, signs nothing yet.
    Next,
    /// Signs. Exactly one key is active.
    Active,
    /// Published, signs nothing: an access token it signed may still be live.
    Retired,
    /// No longer published (every access token it signed has expired) but kept to
    /// verify the refresh tokens it signed, which only the auth server accepts;
    /// removed once those have expired too.
    Withdrawn,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningKeyRecord {
    pub kid: String,
    pub state: KeyState,
    /// PKCS#8 PEM of the RSA private key. The Redis store encrypts it at rest.
    pub private_pem: String,
    pub created_at: i64,
    #[serde(default)]
    pub activated_at: Option<i64>,
    #[serde(default)]
    pub retired_at: Option<i64>,
    /// When a replica was first cleared to sign with it (saved before that first
    /// token left the server); `None`: it never signed anything.
    #[serde(default)]
    pub signed_at: Option<i64>,
}

impl std::fmt::Debug for SigningKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyRecord")
            .field("kid", &self.kid)
            .field("state", &self.state)
            .field("created_at", &self.created_at)
            .field("activated_at", &self.activated_at)
            .field("retired_at", &self.retired_at)
            .field("signed_at", &self.signed_at)
            .finish_non_exhaustive()
    }
}

/// A login session: every refresh and access token of one login carries its `sid`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub sid: String,
    pub username: String,
    pub client_id: String,
    /// [`ClientRecord::registration`] at login.
    #[serde(default)]
    pub client_registration: String,
    pub scope: ScopeSet,
    pub audiences: Vec<String>,
    pub created_at: i64,
    /// Absolute end: no refresh extends past it.
    pub expires_at: i64,
    pub last_used: i64,
    /// Sliding end: the session dies if not refreshed before it.
    pub idle_expires_at: i64,
    /// `jti` of the only refresh token that may be used next.
    pub refresh_jti: String,
    pub refresh_iat: i64,
    /// The refresh token that `refresh_jti` replaced, and when, for the reuse grace.
    #[serde(default)]
    pub previous_jti: Option<String>,
    #[serde(default)]
    pub rotated_at: Option<i64>,
}

impl Session {
    pub fn is_live(&self, now: i64) -> bool {
        now < self.idle_expires_at && now < self.expires_at
    }

    /// The session as reuse detection leaves it: no token of it refreshes any more
    /// (its expected `jti` is empty, which no token carries, and the grace window is
    /// closed), so every later attempt is
    /// reuse again, until the caller has recorded its revocation and deleted it.
    pub fn locked(&self) -> Session {
        Session { refresh_jti: String::new(), previous_jti: None, rotated_at: None, ..self.clone() }
    }
}

/// A revocation in the feed: `cursor` orders events; `expires_at` is when every
/// token it affects has expired and it can be forgotten; `audiences` are those of
/// the tokens it covers, where known (a token's `aud`, a session's audiences), so the
/// feed shows it only to resource servers serving one of them. Empty: every
/// subscriber (user- and key-level revocations, records written before audiences
/// were kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationEvent {
    pub cursor: String,
    pub revocation: Revocation,
    pub expires_at: i64,
    #[serde(default)]
    pub audiences: Vec<String>,
}

impl RevocationEvent {
    /// Whether a subscriber serving `client` may see this event.
    pub fn visible_to(&self, client: &ClientRecord) -> bool {
        self.audiences.is_empty() || client.serves_any(self.audiences.iter().map(String::as_str))
    }
}

/// One page of users (see `UserStore::users_page`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPage {
    /// At most the `limit` asked for; may be fewer, even none, before the last page.
    pub users: Vec<UserRecord>,
    /// Where the next page starts; `None` after the last page.
    pub next: Option<String>,
}

/// One bounded page of the revocations in force (see
/// `RevocationStore::revocation_snapshot_page`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotPage {
    /// Revocations in force; their `cursor` is empty (a snapshot is positioned by the
    /// feed head read before its first page).
    pub events: Vec<RevocationEvent>,
    /// Where the next page starts; `None` after the last page.
    pub next: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedPage {
    Events(Vec<RevocationEvent>),
    /// The cursor is older than the feed keeps: take a snapshot.
    Gap,
}

/// What a refresh asks of the store.
#[derive(Debug, Clone)]
pub struct Rotation {
    pub new_jti: String,
    pub now: i64,
    /// How long the session may now sit unused.
    pub idle_ttl: i64,
    /// Within this many seconds of a rotation, presenting the token it replaced
    /// yields the same successor instead of counting as reuse.
    pub reuse_grace: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RotateOutcome {
    /// The presented token was current; the session now expects `new_jti`.
    Rotated(Session),
    /// The presented token was just replaced, within the grace window: the session
    /// is unchanged and its current token is the successor to hand out again.
    Grace(Session),
    /// The presented token had already been used. The session is [`Session::locked`]
    /// (the snapshot here is from before): the caller records its revocation, then
    /// deletes it. Deleting it here already would lose the revocation for good
    /// should recording it fail.
    Reused(Session),
    /// No live session of that id.
    NotFound,
}

/// The state machine of [`RotateOutcome`], shared by stores that hold a `Session`
/// value under a lock. (Redis runs the same rules in Lua.)
pub(crate) fn decide_rotation(session: &Session, presented_jti: &str, rotation: &Rotation) -> RotateOutcome {
    let now = rotation.now;
    if !session.is_live(now) {
        return RotateOutcome::NotFound;
    }
    if session.refresh_jti == presented_jti && !presented_jti.is_empty() {
        let mut next = session.clone();
        next.previous_jti = Some(presented_jti.to_owned());
        next.rotated_at = Some(now);
        next.refresh_jti = rotation.new_jti.clone();
        next.refresh_iat = now;
        next.last_used = now;
        next.idle_expires_at = now.saturating_add(rotation.idle_ttl).min(session.expires_at);
        return RotateOutcome::Rotated(next);
    }
    let in_grace = session.previous_jti.as_deref() == Some(presented_jti)
        && session.rotated_at.is_some_and(|at| now < at.saturating_add(rotation.reuse_grace));
    if in_grace {
        RotateOutcome::Grace(session.clone())
    } else {
        RotateOutcome::Reused(session.clone())
    }
}
