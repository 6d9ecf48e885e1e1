//! Requiring a scope per route, checked by the type of the handler argument:
//! `Scoped<DocumentsRead>` cannot reach the handler without `documents:read`.

use std::marker::PhantomData;
use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use shared_claims::AccessClaims;

use super::BearerClaims;

/// A scope a route needs. Declare one with [`required_scope!`](crate::required_scope).
pub trait RequiredScope: 'static {
    const SCOPE: &'static str;
}

/// Declares a [`RequiredScope`] marker type:
/// `required_scope!(pub DocumentsRead = "documents:read");`
#[macro_export]
macro_rules! required_scope {
    ($vis:vis $name:ident = $scope:literal) => {
        #[doc = concat!("Requires the `", $scope, "` scope.")]
        #[derive(Debug, Clone, Copy)]
        $vis struct $name;
        impl $crate::actix::RequiredScope for $name {
            const SCOPE: &'static str = $scope;
        }
    };
}

/// Verified claims that hold the scope `S::SCOPE`; otherwise the request is answered
/// 403 `insufficient_scope` with `scope="<S::SCOPE>"` (RFC 6750 §3.1).
#[derive(Debug, Clone)]
pub struct Scoped<S: RequiredScope> {
    claims: BearerClaims,
    _scope: PhantomData<S>,
}

impl<S: RequiredScope> Scoped<S> {
    pub fn bearer(&self) -> &BearerClaims {
        &self.claims
    }
}

impl<S: RequiredScope> Deref for Scoped<S> {
    type Target = AccessClaims;

    fn deref(&self) -> &AccessClaims {
        self.claims.claims()
    }
}

impl<S: RequiredScope> FromRequest for Scoped<S> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let claims = BearerClaims::from_request(req, payload);
        Box::pin(async move {
            let claims = claims.await?;
            claims.require_scope(S::SCOPE)?;
            Ok(Self { claims, _scope: PhantomData })
        })
    }
}
