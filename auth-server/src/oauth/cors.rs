//! Which browser origins may call the token and revocation endpoints directly: the
//! origins (scheme, host and port, RFC 6454) of the redirect URIs that *public*
//! clients registered. A public browser app runs at its redirect URI's origin and
//! has no secret to protect (RFC 6749 §3.2 lets the token endpoint serve it); a
//! confidential client calls from its backend and needs no CORS.

use crate::oauth::redirect_uri;
use crate::store::{ClientStore, StoreResult};

/// Whether `origin` (an `Origin` header's value) belongs to a public client.
pub(crate) async fn is_allowed_origin<C: ClientStore + ?Sized>(clients: &C, origin: &str) -> StoreResult<bool> {
    if origin == "null" || origin.is_empty() {
        return Ok(false);
    }
    let clients = clients.list_clients().await?;
    Ok(clients
        .iter()
        .filter(|client| client.is_public())
        .flat_map(|client| client.redirect_uris.iter())
        .any(|uri| redirect_uri::origin(uri).as_deref() == Some(origin)))
}
