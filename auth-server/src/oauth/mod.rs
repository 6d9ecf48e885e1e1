//! The OAuth 2.0 protocol logic, framework-free: the authority that ties the parts
//! together, client authentication and registration, tokens, introspection,
//! revocation and its feed, the login throttle, form and name rules.

pub mod api_schemas;
pub mod authority;
pub mod client_auth;
pub mod client_cache;
pub mod client_registration;
pub mod feed;
pub mod form;
pub mod introspection;
pub mod login_throttle;
pub mod revocation;
pub mod revocation_budget;
pub mod stream_slots;
pub mod tokens;
pub mod validation;
