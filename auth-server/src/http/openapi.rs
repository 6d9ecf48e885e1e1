//! The OpenAPI 3.1 document of the public listener, generated from the handlers'
//! annotations, and `GET /openapi.json` on the operational listener.
//!
//! The issuer URL is known only at run time, so the document names no `servers`:
//! paths are relative to wherever the server is reached. `docs/openapi.json` is a
//! checked-in copy; a test keeps the two equal.

pub(crate) mod schemas;
#[cfg(test)]
mod tests;

use actix_web::http::header;
use actix_web::HttpResponse;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::{Modify, OpenApi};

use super::{admin, authorize, health, introspect, jwks, login_page, logout, metadata, revocation_feed, revoke, token};

/// The security scheme of the token, introspection, revocation and feed endpoints:
/// `client_secret_basic` (RFC 6749 §2.3.1). `client_secret_post` is in the form body.
const CLIENT_BASIC: &str = "client_basic";
/// The admin API's scheme: an access token of this server with scope `admin`
/// (RFC 6750 §2.1).
const ADMIN_BEARER: &str = "admin_bearer";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "auth-server",
        description = "OAuth 2.0 authorization server: RS256 JWT access tokens (RFC 9068), rotating refresh \
                       tokens, introspection (RFC 7662), revocation (RFC 7009), a revocation feed (Server-Sent \
                       Events) and an admin API. The operational listener (`AUTH_OPS_BIND`) serves `/metrics`,
                       `/healthz`, `/readyz` and this document at `/openapi.json`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    paths(
        authorize::get_authorize,
        authorize::post_authorize,
        login_page::get_login_css,
        logout::get_logout,
        logout::post_logout,
        token::post_token,
        introspect::post_introspect,
        revoke::post_revoke,
        revocation_feed::get_revocations,
        metadata::get_metadata,
        metadata::get_metadata_for_path,
        jwks::get_jwks,
        health::get_healthz,
        health::get_readyz,
        admin::users::post_user,
        admin::users::get_users,
        admin::users::get_user,
        admin::users::patch_user,
        admin::users::delete_user,
        admin::users::put_password,
        admin::sessions::get_user_sessions,
        admin::sessions::delete_user_sessions,
        admin::sessions::delete_session,
        admin::clients::post_client,
        admin::clients::get_clients,
        admin::clients::delete_client,
        admin::keys::get_keys,
        admin::keys::post_rotate,
        admin::keys::post_revoke,
    ),
    modifiers(&SecuritySchemes, &AdminRefusals),
    components(schemas(schemas::AdminErrorBody)),
    tags(
        (name = "oauth", description = "OAuth 2.0 endpoints"),
        (name = "browser", description = "Pages for the user's browser: sign-in and sign-out (HTML)"),
        (name = "discovery", description = "Metadata and keys, anonymous and cacheable"),
        (name = "health", description = "Health probes, on both listeners"),
        (name = "admin", description = "The admin API: a bearer token with scope `admin`"),
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(CLIENT_BASIC, SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)));
        let mut bearer = Http::new(HttpAuthScheme::Bearer);
        bearer.bearer_format = Some("JWT".into());
        bearer.description = Some("An access token of this server with scope `admin` and the issuer as `aud`.".into());
        components.add_security_scheme(ADMIN_BEARER, SecurityScheme::Http(bearer));
    }
}

/// The answers every admin operation may give, added to each so no handler can leave
/// one out: the gate's refusals (RFC 6750 §3.1) and the store's failures.
struct AdminRefusals;

const ADMIN_REFUSALS: [(&str, &str); 5] = [
    ("400", "`invalid_request`: a malformed `Authorization` header, query or body"),
    (
        "401",
        "No bearer token (`unauthorized`), or one this server does not accept (`invalid_token`); \
             `WWW-Authenticate: Bearer realm=\"admin\"`",
    ),
    ("403", "`insufficient_scope`: the token lacks `admin`"),
    ("500", "`server_error`"),
    ("503", "`temporarily_unavailable`, with `Retry-After`: the store is unreachable"),
];

impl Modify for AdminRefusals {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let body = ContentBuilder::new().schema(Some(Ref::from_schema_name("AdminErrorBody"))).build();
        for (_, item) in openapi.paths.paths.iter_mut().filter(|(path, _)| path.starts_with("/admin/")) {
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for operation in operations.into_iter().flatten() {
                for (status, description) in ADMIN_REFUSALS {
                    let response =
                        ResponseBuilder::new().description(description).content("application/json", body.clone());
                    operation.responses.responses.entry(status.to_owned()).or_insert(RefOr::T(response.build()));
                }
            }
        }
    }
}

/// The document as served and checked in: pretty-printed, keys in a stable order.
pub fn document_json() -> String {
    let mut json = ApiDoc::openapi().to_pretty_json().unwrap_or_default();
    json.push('\n');
    json
}

/// `GET /openapi.json` (operational listener).
pub async fn get_openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(document_json())
}
