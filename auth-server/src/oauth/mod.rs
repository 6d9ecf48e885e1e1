//! The OAuth 2.0 protocol logic, framework-free: the authority that ties the parts
//! together, client authentication and registration, tokens, introspection,
//! revocation and its feed, the login throttle, form and name rules.

pub(crate) mod api_schemas;
pub(crate) mod authority;
pub mod authorization_request;
pub mod client_auth;
pub(crate) mod client_cache;
pub mod client_registration;
pub(crate) mod code_issuance;
pub(crate) mod cors;
pub(crate) mod feed;
pub mod form;
pub(crate) mod introspection;
pub(crate) mod login_session;
pub(crate) mod login_throttle;
pub mod pkce;
pub mod redirect_uri;
pub(crate) mod revocation;
pub(crate) mod revocation_budget;
pub(crate) mod stream_slots;
pub(crate) mod tokens;
pub(crate) mod user_login;
pub mod validation;
