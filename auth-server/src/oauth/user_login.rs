//! A user's password check at the login page: the same rules as the password grant
//! (the brute-force throttle per username and per address, Argon2 on the hashing
//! pool, unknown users costing what wrong passwords cost), with an answer the page
//! can show without saying which part was wrong.

use std::net::IpAddr;

use shared_claims::{OAuthError, Secret};

use crate::oauth::authority::Authority;
use crate::oauth::validation::MAX_USERNAME_BYTES;
use crate::store::UserRecord;

#[derive(Debug)]
pub(crate) enum LoginOutcome {
    Success(UserRecord),
    /// Unknown user, wrong password or disabled account: one answer for all.
    Refused,
    /// Too many failures lately; nothing was checked.
    Throttled,
}

pub(crate) async fn check_password(
    authority: &Authority,
    username: &str,
    password: Secret,
    address: Option<IpAddr>,
) -> Result<LoginOutcome, OAuthError> {
    if username.is_empty() || username.len() > MAX_USERNAME_BYTES {
        return Ok(LoginOutcome::Refused);
    }
    let store = authority.store.as_ref();
    let Some(attempt) = authority.login_throttle.check(store, username, address).await? else {
        return Ok(LoginOutcome::Throttled);
    };
    let user = store.user(username).await?;
    let matches = authority.passwords.verify(user.as_ref().map(|u| u.password_hash.clone()), password).await?;
    match user {
        Some(user) if matches && !user.disabled => {
            attempt.succeeded(store).await?;
            Ok(LoginOutcome::Success(user))
        }
        _ => {
            attempt.failed(store).await?;
            Ok(LoginOutcome::Refused)
        }
    }
}
