//! Calling other services as a service: access tokens from the auth server's client
//! credentials grant (RFC 6749 §4.4), kept while fresh, renewed before they expire by
//! one request however many callers wait, and sent as `Authorization: Bearer` (RFC
//! 6750 §2.1). Framework-free: reqwest and Tokio, no actix.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use resource_server::client::ServiceClient;
//! use resource_server::Secret;
//! let client = ServiceClient::builder("reports-job", Secret::new("reports-job-dev-secret"))
//!     .auth_url("http://127.0.0.1:8080")
//!     .scope("documents:read")
//!     .build()?;
//! let response = client.get("http://127.0.0.1:8081/api/documents").await?;
//! println!("{}", response.status());
//! # Ok(()) }
//! ```
//!
//! | file | what |
//! |---|---|
//! | `service_client.rs` | [`ServiceClient`]: sends, retries once on `401 invalid_token` |
//! | `builder.rs` | [`ServiceClientBuilder`] |
//! | `token_cache.rs` | the current token and its single-flight renewal |
//! | `cached_token.rs` | a token's renewal time and expiry |
//! | `token_endpoint.rs` | discovery (RFC 8414) and the token request |
//! | `token_response.rs` | the token endpoint's answer (RFC 6749 §5.1, §5.2) |
//! | `challenge.rs` | `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3.1) |

mod builder;
mod cached_token;
mod challenge;
mod error;
mod metrics;
mod service_client;
mod token_cache;
mod token_endpoint;
mod token_response;

pub use builder::{BuildError, ServiceClientBuilder};
pub use error::{ClientError, TokenError};
pub use service_client::ServiceClient;

#[cfg(test)]
mod tests;
