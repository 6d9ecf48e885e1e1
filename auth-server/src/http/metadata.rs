//! `GET /.well-known/oauth-authorization-server` (RFC 8414 §3). Every URL is built
//! from the issuer, so a server behind a TLS proxy announces its public URLs.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde_json::json;
use shared_claims::{OAuthError, ScopeSet};

use super::{AppState, OAuthResponseError};
use crate::grants::GrantType;

pub async fn get_metadata(state: web::Data<AppState>) -> Result<HttpResponse, OAuthResponseError> {
    let authority = &state.authority;
    let issuer = authority.issuer();
    let clients = authority.store.list_clients().await.map_err(OAuthError::server_error)?;
    let scopes: ScopeSet = clients.iter().flat_map(|c| c.scopes.iter().map(str::to_owned)).collect();
    let auth_methods = ["client_secret_basic", "client_secret_post", "none"];
    let body = json!({
        "issuer": issuer,
        "token_endpoint": format!("{issuer}/oauth2/token"),
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "introspection_endpoint": format!("{issuer}/oauth2/introspect"),
        "revocation_endpoint": format!("{issuer}/oauth2/revoke"),
        // Extension (RFC 8414 §2 allows more members): the push feed of revocations
        // that locally-verifying resource servers follow.
        "revocation_feed_endpoint": format!("{issuer}/oauth2/revocations"),
        "grant_types_supported": GrantType::ALL.map(GrantType::as_str),
        // No authorization endpoint: no response types (RFC 8414 §2).
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "scopes_supported": scopes.iter().collect::<Vec<_>>(),
    });
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "public, max-age=300")).json(body))
}
