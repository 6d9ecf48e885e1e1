//! The admin API's logic (users, sessions, clients, keys), free of any
//! web framework: each operation takes the `Authority` (`oauth::authority`) and
//! parsed input and returns a view or an [`AdminError`]. `http::admin` reads
//! requests, authenticates the caller with `caller::authorize` and renders answers.
//!
//! | operation                                    | module         |
//! |----------------------------------------------|----------------|
//! | who may call (bearer token with `admin`)     | `caller`       |
//! | create, change, delete users                 | [`users`]      |
//! | show a user, list users in pages             | `user_listing` |
//! | set a password (and revoke what came before) | [`passwords`]  |
//! | list and end login sessions                  | `sessions`     |
//! | register, list, delete clients               | [`clients`]    |
//! | list and rotate signing keys                 | `keys`         |
//!
//! Revocation semantics (each recorded in the store and pushed on the feed):
//! - disabling or deleting a user revokes all its sessions and every token of it
//!   issued up to now;
//! - a password change revokes all sessions and every token issued before it;
//! - ending sessions revokes those sessions' tokens only; ending all of a user's
//!   also ends its browser login sessions (logins made afterwards work);
//! - narrowing a user's `scopes` revokes nothing: it takes effect at the next
//!   refresh, which intersects the session's scope with the user's current scopes.
//!
//! Passwords, client secrets and tokens are never logged: they travel in
//! [`Secret`](shared_claims::Secret), whose `Debug` is a mask.

pub(crate) mod caller;
pub mod clients;
mod error;
pub(crate) mod keys;
pub mod passwords;
pub(crate) mod sessions;
pub(crate) mod user_listing;
pub mod users;

pub use error::AdminError;

use crate::oauth::authority::Authority;
use crate::store::UserRecord;

/// The stored user, or 404: what every per-user operation looks up first.
async fn find_user(authority: &Authority, username: &str) -> Result<UserRecord, AdminError> {
    authority.store.user(username).await?.ok_or_else(|| AdminError::not_found(format!("no user {username:?}")))
}
