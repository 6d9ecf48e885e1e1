//! actix-web glue over the framework-free [`crate::verify`]: register a [`BearerAuth`]
//! once, then take [`BearerClaims`] (any valid token) or [`Scoped<S>`] (a token with
//! scope `S::SCOPE`) as handler arguments. Refusals are answered per RFC 6750 §3.
//!
//! ```no_run
//! use actix_web::{web, App, HttpServer};
//! use resource_server::actix::{BearerAuth, BearerClaims, Scoped};
//! use resource_server::verify::{ClientCredentials, Verifier};
//! use resource_server::{required_scope, Secret};
//! use std::time::Duration;
//!
//! required_scope!(ReadReports = "reports:read");
//!
//! async fn whoami(token: BearerClaims) -> String {
//!     token.sub.clone()
//! }
//!
//! async fn reports(token: Scoped<ReadReports>) -> String {
//!     format!("reports of {}", token.sub)
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! // The resource server's own client (scope `introspect`) follows revocations.
//! let credentials = ClientCredentials::new("reports-api", Secret::new("a-long-random-secret"));
//! let verifier = Verifier::builder("reports-api")
//!     .revocation_feed(credentials, Duration::from_secs(30))
//!     .local("http://127.0.0.1:8080")
//!     .unwrap();
//! let auth = BearerAuth::new(verifier, "reports-api");
//! HttpServer::new(move || {
//!     App::new()
//!         .app_data(auth.clone())
//!         .route("/me", web::get().to(whoami))
//!         .route("/reports", web::get().to(reports))
//! })
//! .bind("127.0.0.1:8082")?
//! .run()
//! .await
//! # }
//! ```

mod extractor;
mod rejection;
mod scope;

use std::sync::Arc;

pub use extractor::BearerClaims;
pub use rejection::BearerRejection;
pub use scope::{RequiredScope, Scoped};

use crate::verify::Verifier;

/// What the extractors need: the verifier and the realm named in challenges
/// (RFC 6750 §3). Register it with `App::app_data` (plain or in `web::Data`).
#[derive(Clone, Debug)]
pub struct BearerAuth {
    verifier: Verifier,
    realm: Arc<str>,
}

impl BearerAuth {
    pub fn new(verifier: Verifier, realm: impl Into<Arc<str>>) -> Self {
        Self { verifier, realm: realm.into() }
    }

    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    pub fn realm(&self) -> &str {
        &self.realm
    }

    pub(crate) fn realm_arc(&self) -> Arc<str> {
        self.realm.clone()
    }

    /// The instance registered with `App::app_data`, plain or wrapped in `web::Data`.
    pub fn from_app_data(req: &actix_web::HttpRequest) -> Option<Self> {
        req.app_data::<Self>()
            .or_else(|| req.app_data::<actix_web::web::Data<Self>>().map(|data| data.get_ref()))
            .cloned()
    }
}
