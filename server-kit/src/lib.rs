//! What the auth server and the demo API share around actix-web, so each concept
//! lives once: logging set-up ([`telemetry`]), settings loading ([`settings`]),
//! connection limits ([`limits`]),
//! request ids and access logs ([`request_trace`]), the container health probe
//! ([`probe`]), the proxies whose forwarded
//! headers are believed ([`trusted_proxies`]), the request-body deadline
//! ([`body_deadline`]) and graceful shutdown ([`shutdown`]).
//!
//! Not part of the verifier library: a service that adopts `resource-server` keeps
//! its own server set-up.

pub mod body_deadline;
pub mod html;
pub mod limits;
pub mod probe;
pub mod request_trace;
pub mod settings;
pub mod shutdown;
mod span_timing;
pub mod telemetry;
pub mod trusted_proxies;

pub use telemetry::LogFormat;
pub use trusted_proxies::TrustedProxies;
