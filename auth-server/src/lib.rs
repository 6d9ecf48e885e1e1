//! The authorization server: issues RS256 JWT access tokens (RFC 9068) and rotating
//! refresh tokens, publishes its keys (RFC 7517) and metadata (RFC 8414).
//!
//! Layers, top down: `http` parses and answers (with `admin_cli`, the command line
//! over the admin API); `grants`, `admin`, `oauth` and `keys` hold the protocol logic
//! and know nothing of actix; `crypto` holds JWS, passwords and randomness; `store`
//! keeps state and knows nothing of HTTP. `setup` reads the settings and wires it all
//! together.

pub mod admin;
pub mod admin_cli;
pub mod crypto;
pub mod grants;
pub mod http;
pub(crate) mod keys;
#[cfg(test)]
mod layers;
pub mod oauth;
pub mod setup;
pub mod store;
#[cfg(test)]
mod test_support;
