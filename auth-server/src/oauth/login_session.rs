//! The authorization server's own login session (single sign-on at the authorization
//! endpoint). The browser holds a cookie of 32 random bytes; the store keys the
//! session by the SHA-256 of it, so a dump of the store yields no cookie.
//!
//! A session stands while it is live (idle and absolute ends, as refresh tokens:
//! `AUTH_REFRESH_IDLE_TTL`, `AUTH_REFRESH_MAX_TTL`), its user exists and is enabled,
//! the user's password is the one it was opened with, and no revocation of the user's
//! "everything issued before" covers its login time. Each use slides its idle end.
//!
//! ```text
//! open   ─► store.create_login_session                  (after a good password)
//! resume ─► store.touch_login_session ─► user checks ─┬─ stands: the session
//!                                                      └─ not: end it, None
//! end    ─► store.delete_login_session ─► revoke each sid it created
//! ```

use shared_claims::OAuthError;

use crate::crypto::{random_token, sha256_hex};
use crate::oauth::authority::Authority;
use crate::store::{LoginSession, UserRecord};

/// Random bytes in a login session cookie.
const COOKIE_BYTES: usize = 32;

/// A login session in hand: its store key and record.
#[derive(Debug, Clone)]
pub(crate) struct OpenLogin {
    pub key: String,
    pub session: LoginSession,
}

/// The store key of a cookie value.
pub(crate) fn key(cookie: &str) -> String {
    sha256_hex(cookie.as_bytes())
}

/// What ties a session to the password it was opened with.
fn credentials(user: &UserRecord) -> String {
    sha256_hex(user.password_hash.as_bytes())
}

/// Whether `cookie` could be one of ours (43 base64url characters); anything else is
/// ignored without a store round trip.
fn is_plausible(cookie: &str) -> bool {
    cookie.len() == 43 && cookie.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Opens a session for `user`, who has just given the password, in place of the
/// browser's `previous` one if any (a new cookie value each login, against session
/// fixation). The previous session's sids carry over when it was the same user's;
/// another user's are revoked. Returns the cookie value and the session.
pub(crate) async fn open(
    authority: &Authority,
    user: &UserRecord,
    now: i64,
    previous: Option<&str>,
) -> Result<(String, OpenLogin), OAuthError> {
    let mut sids = Vec::new();
    if let Some(previous) = previous.filter(|c| is_plausible(c)) {
        if let Some(old) = authority.store.delete_login_session(&key(previous)).await? {
            if old.username == user.username {
                sids = old.sids;
            } else {
                for sid in &old.sids {
                    authority.revoke_session(sid).await?;
                }
            }
        }
    }
    let cookie = random_token(COOKIE_BYTES);
    let expiry = authority.tokens.settings().session_expiry(now);
    let session = LoginSession {
        username: user.username.clone(),
        auth_time: now,
        credentials: credentials(user),
        idle_expires_at: expiry.idle_expires_at,
        expires_at: expiry.expires_at,
        sids,
    };
    let key = key(&cookie);
    authority.store.create_login_session(&key, &session).await?;
    Ok((cookie, OpenLogin { key, session }))
}

/// The session behind `cookie` if it still stands (sliding its idle end), with its
/// user. A session that no longer stands is ended.
pub(crate) async fn resume(
    authority: &Authority,
    cookie: &str,
    now: i64,
) -> Result<Option<(OpenLogin, UserRecord)>, OAuthError> {
    if !is_plausible(cookie) {
        return Ok(None);
    }
    let key = key(cookie);
    let idle_ttl = authority.tokens.settings().refresh_idle_ttl;
    let Some(session) = authority.store.touch_login_session(&key, now, idle_ttl).await? else {
        return Ok(None);
    };
    let user = authority.store.user(&session.username).await?;
    let stands = match &user {
        Some(user) => {
            !user.disabled
                && user.tokens_valid_after <= session.auth_time
                && credentials(user) == session.credentials
                && !authority.store.is_revoked("", None, &user.username, "", session.auth_time).await?
        }
        None => false,
    };
    match user {
        Some(user) if stands => Ok(Some((OpenLogin { key, session }, user))),
        _ => {
            authority.store.delete_login_session(&key).await?;
            Ok(None)
        }
    }
}

/// Ends the session behind `cookie` and revokes every token session created through
/// it (each a session revocation, so the feed carries it). Returns whether there was one.
pub(crate) async fn end(authority: &Authority, cookie: &str) -> Result<bool, OAuthError> {
    if !is_plausible(cookie) {
        return Ok(false);
    }
    let Some(session) = authority.store.delete_login_session(&key(cookie)).await? else {
        return Ok(false);
    };
    for sid in &session.sids {
        authority.revoke_session(sid).await?;
    }
    tracing::info!(sessions = session.sids.len(), "login session ended");
    Ok(true)
}
