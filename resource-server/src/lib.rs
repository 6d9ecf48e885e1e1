//! Bearer-token verification for resource servers, and a demo protected API.
//!
//! Layers, each usable without the next:
//!
//! | module | depends on | what |
//! |---|---|---|
//! | [`verify`] | tokio, reqwest, josekit | [`verify::Verifier`]: local RS256 against the JWKS, or RFC 7662 introspection; caches; the auth server's revocation feed (Server-Sent Events) and its staleness bound |
//! | [`actix`] | actix-web | extractors [`actix::BearerClaims`] and [`actix::Scoped`], RFC 6750 §3 error responses |
//! | [`app`] | all of the above | the demo API served by the `resource-server` binary |

// Request paths must not panic on input, and no lock may be held across an await.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![deny(clippy::await_holding_lock)]

pub mod actix;
pub mod app;
mod secret;
pub mod settings;
pub mod telemetry;
pub mod verify;

pub use secret::Secret;

#[cfg(test)]
pub(crate) mod test_support;
