//! [`BearerClaims`]: the claims of a verified bearer token, as a handler argument.
//!
//! ```text
//! from_request
//!   ├─ claims already in the request extensions? → reuse (one verification per request)
//!   ├─ BearerAuth from app_data                    (missing: 500, logged)
//!   ├─ bearer_token_from_headers                   401 bare / 400 invalid_request
//!   ├─ Verifier::verify                            401 invalid_token / 503
//!   └─ store in extensions
//! ```

use std::ops::Deref;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use shared_claims::{AccessClaims, BearerError, BearerErrorKind};

use super::{BearerAuth, BearerRejection};
use shared_claims::bearer_token_from_headers;

/// A request's verified access-token claims. Dereferences to
/// [`AccessClaims`](shared_claims::AccessClaims).
#[derive(Debug, Clone)]
pub struct BearerClaims {
    claims: Arc<AccessClaims>,
    auth: BearerAuth,
}

impl BearerClaims {
    pub fn claims(&self) -> &AccessClaims {
        &self.claims
    }

    pub fn into_claims(self) -> Arc<AccessClaims> {
        self.claims
    }

    /// Refuses with 403 `insufficient_scope` naming `scope` unless the token holds it
    /// (RFC 6750 §3.1), for checks that depend on the request.
    pub fn require_scope(&self, scope: &str) -> Result<(), BearerRejection> {
        if self.claims.scope.contains(scope) {
            return Ok(());
        }
        self.auth.verifier().metrics().refused_at_http("insufficient_scope");
        Err(BearerRejection::new(BearerError::insufficient_scope(scope), self.auth.realm_arc()))
    }
}

impl Deref for BearerClaims {
    type Target = AccessClaims;

    fn deref(&self) -> &AccessClaims {
        &self.claims
    }
}

/// The verified claims kept in the request's extensions.
#[derive(Clone)]
struct Verified(BearerClaims);

impl FromRequest for BearerClaims {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(Verified(claims)) = req.extensions().get::<Verified>() {
            let claims = claims.clone();
            return Box::pin(async move { Ok(claims) });
        }
        let Some(auth) = BearerAuth::from_app_data(req) else {
            tracing::error!("BearerAuth is not registered with App::app_data");
            return Box::pin(async { Err(actix_web::error::ErrorInternalServerError("server misconfigured")) });
        };
        let headers = req.headers().get_all(AUTHORIZATION).map(|value| value.as_bytes());
        let token = match bearer_token_from_headers(headers) {
            Ok(token) => token.to_owned(),
            Err(error) => {
                let reason = match error.kind {
                    BearerErrorKind::MissingToken => "missing_token",
                    _ => "invalid_request",
                };
                auth.verifier().metrics().refused_at_http(reason);
                return Box::pin(async move { Err(BearerRejection::new(error, auth.realm_arc()).into()) });
            }
        };
        let req = req.clone();
        Box::pin(async move {
            match auth.verifier().verify(&token).await {
                Ok(claims) => {
                    let claims = BearerClaims { claims, auth: auth.clone() };
                    req.extensions_mut().insert(Verified(claims.clone()));
                    Ok(claims)
                }
                Err(err) => {
                    tracing::debug!(reason = err.reason(), "bearer token refused");
                    Err(BearerRejection::new(err.to_bearer_error(), auth.realm_arc()).into())
                }
            }
        })
    }
}
