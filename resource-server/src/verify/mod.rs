//! Framework-free bearer-token verification: usable from actix-web (see
//! `resource_server::actix`, feature `actix`), from any other HTTP stack, or from a
//! worker that receives tokens some other way. Depends on Tokio (background refresh)
//! and reqwest, never on actix.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use resource_server::verify::{ClientCredentials, Verifier};
//! use resource_server::Secret;
//! let credentials = ClientCredentials::new("documents-api", Secret::new("a-long-random-secret"));
//! let verifier = Verifier::builder("documents-api")
//!     .revocation_feed(credentials, Duration::from_secs(30))
//!     .local("http://127.0.0.1:8080")?;
//! let claims = verifier.verify("eyJhbGciOi...").await?;
//! println!("{} may use {}", claims.sub, claims.scope);
//! # Ok(()) }
//! ```

mod auth_server_urls;
pub(crate) mod backoff;
mod builder;
mod client_auth;
pub(crate) mod discovery;
mod error;
mod feed;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub(crate) mod http;
mod introspection;
mod introspection_verifier;
mod jose_header;
mod jwks;
mod key_set;
mod key_source;
mod local_verifier;
mod metrics;
mod revocation;
mod revocation_list;
mod token_cache;
mod verifier;

pub use auth_server_urls::{AuthServerUrls, InvalidIssuer};
pub use builder::{BuildError, VerifierBuilder};
pub use client_auth::ClientCredentials;
pub use discovery::{metadata_url, InvalidAuthUrl, ServerMetadata};
pub use error::VerifyError;
pub use http::FetchError;
pub use jwks::RefreshPolicy;
pub use key_set::{KeySet, KeySetError, VerificationKey};
pub use key_source::{FetchedKeys, HttpKeySource, KeySource, StaticKeySource};
pub use metrics::{VerifierMetrics, HTTP_REASONS};
pub use revocation::{NeverRevoked, RevocationCheck, RevocationStatus};
pub use revocation_list::RevocationList;
pub use verifier::{Verifier, VerifyMode};
// Kept here, where it was first published; it lives with the other shared rules.
pub use shared_claims::rebase_endpoint;

#[cfg(test)]
mod tests;
