//! Passwords an operator sets: the rules, and `PUT /admin/users/{username}/password`.
//!
//! Rules (NIST SP 800-63B §5.1.1.2): at least 8 characters; no composition rules;
//! an upper bound generous enough for passphrases (1024 bytes) that still keeps a
//! hash request cheap to refuse.
//!
//! Setting a password revokes every session and access token of the user issued
//! before it: the new hash and `tokens_valid_after = now` are
//! stored first (so the refresh grant refuses older sessions), then
//! `revoke_user(username, now)` ends every session and cuts off tokens with
//! `iat < now`. A login with the new password in the same second gets `iat = now`
//! and is not affected.

use super::find_user;
use super::AdminError;
use crate::oauth::authority::Authority;
use shared_claims::Secret;

/// NIST SP 800-63B §5.1.1.2: memorized secrets of at least 8 characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Long enough for any passphrase; bounds the work a request can ask of the hasher.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// `PUT /admin/users/{username}/password`.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    #[schema(value_type = String, format = Password, min_length = 8, max_length = 1024)]
    pub password: Secret,
}

pub fn check_new_password(password: &Secret) -> Result<(), AdminError> {
    let value = password.expose();
    if value.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AdminError::invalid(format!("password must be at least {MIN_PASSWORD_CHARS} characters")));
    }
    if value.len() > MAX_PASSWORD_BYTES {
        return Err(AdminError::invalid(format!("password must be at most {MAX_PASSWORD_BYTES} bytes")));
    }
    Ok(())
}

pub async fn set_password(authority: &Authority, username: &str, new: NewPassword) -> Result<(), AdminError> {
    check_new_password(&new.password)?;
    // 404 before the slow hash; read again after it so the write loses as little
    // as possible of a concurrent change.
    find_user(authority, username).await?;
    let password_hash = authority.passwords.hash(new.password).await?;
    let mut user = find_user(authority, username).await?;
    let now = shared_claims::unix_now();
    user.password_hash = password_hash;
    user.tokens_valid_after = now;
    authority.store.put_user(&user).await?;
    let sessions = authority.revoke_user(username, now).await?;
    tracing::info!(username, sessions, "admin: password set, earlier sessions and tokens revoked");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_nist_lengths() {
        let check = |p: &str| check_new_password(&Secret::new(p)).is_ok();
        assert!(!check("1234567"));
        assert!(check("12345678"));
        assert!(check("éééééééé"));
        assert!(!check("ééé"));
        assert!(check(&"x".repeat(1024)));
        assert!(!check(&"x".repeat(1025)));
    }
}
