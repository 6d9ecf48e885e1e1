//! `GET /.well-known/oauth-authorization-server` (RFC 8414 §3). Every URL is built
//! from the issuer, so a server behind a TLS proxy announces its public URLs.
//!
//! The document is built from the store (for `scopes_supported`) at most every
//! [`REBUILD_AFTER`], so anonymous discovery traffic costs no store round trip and
//! survives a store outage with the last good document.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde_json::json;
use shared_claims::{feed_protocol, ScopeSet};

use super::openapi::schemas::{Metadata, OAuthErrorBody};
use super::{AppState, OAuthResponseError};
use crate::grants::GrantType;
use crate::oauth::authority::Authority;
use crate::oauth::introspection::INTROSPECT_SCOPE;

const REBUILD_AFTER: Duration = Duration::from_secs(30);

/// The last document built, and when.
#[derive(Default)]
pub struct MetadataCache(Mutex<Option<(Instant, String)>>);

/// The authorization server metadata (RFC 8414 §3); `Cache-Control: public, max-age=300`.
#[utoipa::path(
    get,
    path = "/.well-known/oauth-authorization-server",
    tag = "discovery",
    responses(
        (status = 200, description = "The metadata", body = Metadata),
        (status = 503, description = "The store is unreachable and no document was built yet",
            body = OAuthErrorBody),
    )
)]
pub(super) async fn get_metadata(state: web::Data<AppState>) -> Result<HttpResponse, OAuthResponseError> {
    let body = document(&state.authority, &state.metadata).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(body))
}

/// RFC 8414 §3: for an issuer with a path (`https://host/auth`), the metadata lives at
/// `/.well-known/oauth-authorization-server/auth`. Served here too, for a proxy that
/// forwards that path; other paths are 404.
#[utoipa::path(
    get,
    path = "/.well-known/oauth-authorization-server/{path}",
    tag = "discovery",
    params(("path" = String, Path, description = "The path of the issuer URL (RFC 8414 §3.1)")),
    responses(
        (status = 200, description = "The metadata, when `path` is the issuer's path", body = Metadata),
        (status = 404, description = "Not the issuer's path; empty body"),
        (status = 503, description = "The store is unreachable and no document was built yet",
            body = OAuthErrorBody),
    )
)]
pub(super) async fn get_metadata_for_path(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, OAuthResponseError> {
    let issuer_path = issuer_path(state.authority.issuer());
    if issuer_path.is_empty() || issuer_path != path.as_str() {
        return Ok(HttpResponse::NotFound().finish());
    }
    get_metadata(state).await
}

/// The path of the issuer URL, without slashes at either end.
fn issuer_path(issuer: &str) -> &str {
    let after_scheme = issuer.split_once("://").map_or(issuer, |(_, rest)| rest);
    after_scheme.split_once('/').map_or("", |(_, path)| path.trim_matches('/'))
}

async fn document(authority: &Authority, cache: &MetadataCache) -> Result<String, OAuthResponseError> {
    let cached = cache.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
    if let Some((built, body)) = &cached {
        if built.elapsed() < REBUILD_AFTER {
            return Ok(body.clone());
        }
    }
    let clients = match authority.store.list_clients().await {
        Ok(clients) => clients,
        // A stale document beats none: the endpoints it names have not moved.
        Err(err) => return cached.map(|(_, body)| body).ok_or_else(|| OAuthResponseError(err.into())),
    };
    // The scopes clients may ask for, less the operational ones (RFC 8414 §2 lets us
    // leave out what we do not want to advertise).
    let scopes: ScopeSet = clients
        .iter()
        .flat_map(|c| c.scopes.iter())
        .filter(|s| *s != INTROSPECT_SCOPE && *s != crate::admin::caller::ADMIN_SCOPE)
        .map(str::to_owned)
        .collect();
    let body = build(authority.issuer(), &scopes);
    *cache.0.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), body.clone()));
    Ok(body)
}

fn build(issuer: &str, scopes: &ScopeSet) -> String {
    let auth_methods = ["client_secret_basic", "client_secret_post", "none"];
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth2/authorize"),
        "token_endpoint": format!("{issuer}/oauth2/token"),
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "introspection_endpoint": format!("{issuer}/oauth2/introspect"),
        "revocation_endpoint": format!("{issuer}/oauth2/revoke"),
        // Extension (RFC 8414 §2 allows more members): the push feed of revocations
        // that locally-verifying resource servers follow.
        (feed_protocol::METADATA_KEY): format!("{issuer}{}", feed_protocol::PATH),
        "grant_types_supported": GrantType::ALL.map(GrantType::as_str),
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": [crate::oauth::pkce::S256],
        "authorization_response_iss_parameter_supported": true,
        // OpenID RP-initiated logout's name for the logout endpoint.
        "end_session_endpoint": format!("{issuer}/oauth2/logout"),
        "token_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "scopes_supported": scopes.iter().collect::<Vec<_>>(),
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::issuer_path;

    #[test]
    fn issuer_paths() {
        assert_eq!(issuer_path("http://127.0.0.1:8080"), "");
        assert_eq!(issuer_path("https://example.com/auth"), "auth");
        assert_eq!(issuer_path("https://example.com/a/b"), "a/b");
    }
}
