//! The authorization server: issues RS256 JWT access tokens (RFC 9068) and rotating
//! refresh tokens, publishes its keys (RFC 7517) and metadata (RFC 8414).
//!
//! Layers: `http` parses and answers; `grants`, `client_auth` and `tokens` hold the
//! protocol logic and know nothing of actix; `store` keeps state and knows nothing
//! of HTTP.

pub mod admin;
pub mod admin_cli;
pub mod api_schemas;
pub mod authority;
pub mod bootstrap;
pub mod client_auth;
pub mod client_cache;
pub mod client_registration;
pub mod config;
pub mod crypto;
pub mod feed;
pub mod form;
pub mod grants;
pub mod hashing_pool;
pub mod http;
pub mod introspection;
pub mod jws;
pub mod keys;
#[cfg(test)]
mod layers;
pub mod login_throttle;
pub mod password;
pub mod revocation;
pub mod revocation_budget;
pub mod startup;
pub mod store;
pub mod stream_slots;
#[cfg(test)]
mod test_support;
pub mod tokens;
pub mod validation;
