//! Users: create, change (disable, allowances), delete.
//!
//! ```text
//! create_user ─► check name, scopes, password rules ─► Passwords::hash (blocking pool)
//!             ─► store.insert_user (409 if the name is taken)
//! update_user ─► store.put_user ─► disabled? revoke_user(now + 1)
//! delete_user ─► put_user(disabled) ─► revoke_user(now + 1) ─► store.delete_user
//! ```
//!
//! Disabling or deleting revokes every session of the user and every token issued
//! up to and including this second (`iat` is whole seconds, hence `now + 1`). The
//! account is disabled *before* the revocation so no login can slip in between.
//! Re-enabling a user within that same second leaves a token issued in it revoked.
//!
//! Narrowing a user's `scopes` does not revoke anything: tokens already issued keep
//! their scope until they expire (at most `AUTH_ACCESS_TTL`), and the next refresh
//! intersects the session's scope with the user's current scopes, so the change
//! takes effect at the next refresh. Disable the user to cut access at once.

use serde::{Deserialize, Serialize};
use shared_claims::ScopeSet;

use super::find_user;
use super::passwords::check_new_password;
use super::AdminError;
use crate::oauth::authority::Authority;
use crate::store::UserRecord;
use shared_claims::Secret;

/// `POST /admin/users`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[schema(value_type = crate::oauth::api_schemas::Name)]
    pub username: String,
    #[schema(value_type = String, format = Password, min_length = 8, max_length = 1024)]
    pub password: Secret,
    /// The most this user may be granted.
    #[serde(default)]
    #[schema(value_type = Vec<crate::oauth::api_schemas::ScopeToken>)]
    pub scopes: Vec<String>,
}

/// `PATCH /admin/users/{username}`: each member present and not `null` is changed;
/// at least one must be.
// No `minProperties = 1` in the schema: utoipa-gen 5.5 renders it as `maxProperties`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[serde(default)]
    pub disabled: Option<bool>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<crate::oauth::api_schemas::ScopeToken>>)]
    pub scopes: Option<Vec<String>>,
}

/// A user as the admin API shows it: never the password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub username: String,
    pub scopes: Vec<String>,
    pub disabled: bool,
}

impl From<&UserRecord> for UserView {
    fn from(user: &UserRecord) -> Self {
        Self {
            username: user.username.clone(),
            scopes: user.scopes.iter().map(str::to_owned).collect(),
            disabled: user.disabled,
        }
    }
}

pub async fn create_user(authority: &Authority, new: NewUser) -> Result<UserView, AdminError> {
    crate::oauth::validation::check_username(&new.username).map_err(AdminError::InvalidRequest)?;
    let scopes = parse_scopes(&new.scopes)?;
    check_new_password(&new.password)?;
    // Cheap early answer before the deliberately slow hash; insert_user decides.
    if authority.store.user(&new.username).await?.is_some() {
        return Err(exists(&new.username));
    }
    // A client's own tokens carry its id as `sub`: a user of the same name would be
    // indistinguishable by `sub` alone (RFC 9700 §4.15.1).
    if authority.store.client(&new.username).await?.is_some() {
        return Err(AdminError::conflict(format!("{:?} is already a client id", new.username)));
    }
    let password_hash = authority.passwords.hash(new.password).await?;
    let user = UserRecord { username: new.username, password_hash, scopes, disabled: false, tokens_valid_after: 0 };
    if !authority.store.insert_user(&user).await? {
        return Err(exists(&user.username));
    }
    tracing::info!(username = %user.username, "admin: user created");
    Ok(UserView::from(&user))
}

pub async fn update_user(authority: &Authority, username: &str, patch: UserPatch) -> Result<UserView, AdminError> {
    if patch.disabled.is_none() && patch.scopes.is_none() {
        return Err(AdminError::invalid("give \"disabled\" and/or \"scopes\""));
    }
    let scopes = patch.scopes.as_deref().map(parse_scopes).transpose()?;
    let mut user = find_user(authority, username).await?;
    if let Some(scopes) = scopes {
        user.scopes = scopes;
    }
    let now = shared_claims::unix_now();
    if let Some(disabled) = patch.disabled {
        user.disabled = disabled;
        if disabled {
            // A lasting cut-off (the revocation below lives only as long as access
            // tokens): nothing from before, a browser's login session included,
            // comes back when the user is enabled again.
            user.tokens_valid_after = user.tokens_valid_after.max(now + 1);
        }
    }
    authority.store.put_user(&user).await?;
    if patch.disabled == Some(true) {
        let sessions = authority.revoke_user(username, now + 1).await?;
        tracing::info!(username, sessions, "admin: user disabled, everything of it revoked");
    } else {
        tracing::info!(username, "admin: user changed");
    }
    Ok(UserView::from(&user))
}

pub async fn delete_user(authority: &Authority, username: &str) -> Result<(), AdminError> {
    let mut user = find_user(authority, username).await?;
    if !user.disabled {
        user.disabled = true;
        authority.store.put_user(&user).await?;
    }
    let now = shared_claims::unix_now();
    let sessions = authority.revoke_user(username, now + 1).await?;
    authority.store.delete_user(username).await?;
    tracing::info!(username, sessions, "admin: user deleted, everything of it revoked");
    Ok(())
}

fn parse_scopes(scopes: &[String]) -> Result<ScopeSet, AdminError> {
    ScopeSet::from_tokens(scopes).map_err(|e| AdminError::invalid(format!("scopes: {e}")))
}

fn exists(username: &str) -> AdminError {
    AdminError::conflict(format!("user {username:?} already exists"))
}
