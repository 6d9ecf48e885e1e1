//! Bearer-token verification for resource servers.
//!
//! Layers, each usable without the next:
//!
//! | module | feature | depends on | what |
//! |---|---|---|---|
//! | [`verify`] | always | tokio, reqwest, josekit | [`verify::Verifier`]: local RS256 against the JWKS, or RFC 7662 introspection; caches; the auth server's revocation feed (Server-Sent Events) and its staleness bound |
//! | `actix` | `actix` | actix-web | extractors `actix::BearerClaims` and `actix::Scoped`, RFC 6750 §3 error responses |
//! | [`client`] | always | tokio, reqwest | [`client::ServiceClient`]: calls to other services with the client credentials grant's tokens, renewed before expiry (one renewal in flight) and once on `401 invalid_token` |
//!
//! The demo documents API built on both is the `resource-server-demo` package
//! (`demo-api/`); `examples/protect_service.rs` is the smallest service using them.

// Request paths must not panic on input, and no lock may be held across an await.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![deny(clippy::await_holding_lock)]

#[cfg(feature = "actix")]
pub mod actix;

pub mod client;
pub mod verify;

pub use shared_claims::Secret;

// Test code, shared with the demo API's tests: it panics when a test's set-up fails.
#[cfg(any(test, feature = "test-support"))]
#[doc(hidden)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub mod test_support;

#[cfg(test)]
mod readme_example;
