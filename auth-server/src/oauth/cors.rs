//! Which browser origins may call the token and revocation endpoints directly: the
//! origins (scheme, host and port, RFC 6454) of the redirect URIs that *public*
//! clients registered. A public browser app runs at its redirect URI's origin and
//! has no secret to protect (RFC 6749 §3.2 lets the token endpoint serve it); a
//! confidential client calls from its backend and needs no CORS.
//!
//! The set is derived from the whole client list, so it is cached
//! ([`crate::oauth::origin_cache`]) rather than read on every request.

use std::collections::HashSet;

use crate::oauth::redirect_uri;
use crate::store::ClientRecord;

/// The origins of the redirect URIs of the public clients among `clients`.
pub(crate) fn public_client_origins(clients: &[ClientRecord]) -> HashSet<String> {
    clients
        .iter()
        .filter(|client| client.is_public())
        .flat_map(|client| client.redirect_uris.iter())
        .filter_map(|uri| redirect_uri::origin(uri))
        .collect()
}

/// Whether `origin` (an `Origin` header's value) is among `allowed`. An opaque
/// origin (`null`) never is.
pub(crate) fn is_allowed_origin(allowed: &HashSet<String>, origin: &str) -> bool {
    origin != "null" && !origin.is_empty() && allowed.contains(origin)
}
