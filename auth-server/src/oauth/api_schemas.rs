//! Schemas that types of the logic layer (admin requests, the introspection answer)
//! name in `#[schema(value_type = ..)]`: the admin API's string rules (see
//! [`crate::oauth::validation`]) and the `aud` claim's two shapes. Documentation only; kept
//! here rather than in the HTTP layer, which the logic layer never imports.

#![allow(dead_code)]

use serde::Deserialize;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// A scope token (RFC 6749 §3.3).
pub(crate) struct ScopeToken;

/// A username or an audience.
pub(crate) struct Name;

/// A client id.
pub(crate) struct ClientId;

impl PartialSchema for ScopeToken {
    fn schema() -> RefOr<Schema> {
        constrained_string("A scope token (RFC 6749 §3.3)", None, r"^[\x21\x23-\x5B\x5D-\x7E]+$")
    }
}

impl PartialSchema for Name {
    fn schema() -> RefOr<Schema> {
        constrained_string("1 to 255 bytes without control characters", Some(255), r"^[^\x00-\x1F\x7F-\x9F]+$")
    }
}

impl PartialSchema for ClientId {
    fn schema() -> RefOr<Schema> {
        constrained_string(
            "1 to 128 printable ASCII characters without spaces or `:`",
            Some(128),
            r"^[\x21-\x39\x3B-\x7E]+$",
        )
    }
}

impl ToSchema for ScopeToken {}
impl ToSchema for Name {}
impl ToSchema for ClientId {}

/// A non-empty string of at most `max_length` characters matching `pattern`.
fn constrained_string(description: &str, max_length: Option<usize>, pattern: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .min_length(Some(1))
        .max_length(max_length)
        .pattern(Some(pattern))
        .into()
}

/// A grant type a client may be registered for.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum GrantTypeName {
    AuthorizationCode,
    Password,
    ClientCredentials,
    RefreshToken,
}

/// The `aud` claim: one audience or several (RFC 7519 §4.1.3).
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub(crate) enum Audience {
    One(String),
    Many(Vec<String>),
}
