//! An actix-web service with one protected route. Tokens are verified locally (RS256
//! against the auth server's JWKS) and revocations arrive through its feed.
//!
//! Against `scripts/run-local.sh` (its development client `documents-api`):
//!   CLIENT_SECRET=documents-api-dev-secret \
//!     cargo run -p resource-server --features actix --example protect_service

use std::time::Duration;

use actix_web::{web, App, HttpServer};
use resource_server::actix::{BearerAuth, Scoped};
use resource_server::verify::{ClientCredentials, Verifier};
use resource_server::{required_scope, Secret};

/// Where the auth server publishes its RFC 8414 metadata (JWKS, feed, introspection).
const AUTH_URL: &str = "http://127.0.0.1:8080";
/// The `aud` this service accepts; tokens issued for other APIs are refused.
const AUDIENCE: &str = "documents-api";
/// This service's own client at the auth server (grant `client_credentials`, scope
/// `introspect`): the revocation feed is read with it.
const CLIENT_ID: &str = "documents-api";

required_scope!(DocumentsRead = "documents:read");

/// Reached only with a valid token carrying `documents:read`: without a token 401, with
/// a bad, expired or revoked one 401 `invalid_token`, without the scope 403.
async fn documents(token: Scoped<DocumentsRead>) -> String {
    format!("documents of {}\n", token.sub)
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = std::env::var("CLIENT_SECRET").map_err(|_| "CLIENT_SECRET: this service's client secret")?;
    let credentials = ClientCredentials::new(CLIENT_ID, Secret::new(secret));
    // A revoked token is refused within seconds; if the feed stays silent for 30 s,
    // requests get 503 rather than a possibly revoked token being accepted.
    let verifier = Verifier::builder(AUDIENCE).revocation_feed(credentials, Duration::from_secs(30)).local(AUTH_URL)?;
    let auth = BearerAuth::new(verifier, AUDIENCE);
    HttpServer::new(move || App::new().app_data(auth.clone()).route("/documents", web::get().to(documents)))
        .bind("127.0.0.1:8082")?
        .run()
        .await?;
    Ok(())
}
