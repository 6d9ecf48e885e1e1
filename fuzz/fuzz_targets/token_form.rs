//! The token endpoint's body: `form::FormParams` (strict
//! `application/x-www-form-urlencoded`) then `grants::TokenRequest::parse`.
//!
//! Must hold: no panic; a repeated-name error echoes at most 64 characters; every
//! refusal is a 400 `invalid_request` or `unsupported_grant_type` (RFC 6749 §5.2);
//! an accepted request, serialised again as a form, parses to the same request.

#![no_main]

use auth_server::grants::{GrantRequest, TokenRequest};
use auth_server::oauth::form::{FormError, FormParams};
use libfuzzer_sys::fuzz_target;

const MULTI: &[&str] = &["resource"];

fuzz_target!(|body: &[u8]| {
    let form = match FormParams::parse(body, MULTI) {
        Ok(form) => form,
        Err(FormError::Repeated(name)) => {
            assert!(name.chars().count() <= 64, "the echoed name is not bounded");
            return;
        }
        Err(FormError::NotUtf8) => return,
    };
    for name in [
        "grant_type",
        "username",
        "password",
        "refresh_token",
        "code",
        "redirect_uri",
        "code_verifier",
        "scope",
        "client_id",
    ] {
        assert_ne!(form.get(name), Some(""), "an empty value counts as absent");
    }
    assert!(form.get_all("resource").iter().all(|r| !r.is_empty()));
    match TokenRequest::parse(&form) {
        Err(err) => {
            assert_eq!(err.status(), 400);
            assert!(matches!(err.body().error, "invalid_request" | "unsupported_grant_type"), "{err:?}");
        }
        Ok(request) => {
            let again = FormParams::parse(encode(&request).as_bytes(), MULTI).expect("our own form parses");
            let again = TokenRequest::parse(&again).expect("our own form is a token request");
            assert_eq!(describe(&request), describe(&again));
        }
    }
});

type Described = (&'static str, Vec<(&'static str, String)>, Option<String>, Vec<String>);

fn describe(request: &TokenRequest) -> Described {
    let fields = match &request.grant {
        GrantRequest::AuthorizationCode { code, redirect_uri, code_verifier } => vec![
            ("code", code.expose().to_owned()),
            ("redirect_uri", redirect_uri.clone()),
            ("code_verifier", code_verifier.expose().to_owned()),
        ],
        GrantRequest::Password { username, password } => {
            vec![("username", username.clone()), ("password", password.expose().to_owned())]
        }
        GrantRequest::ClientCredentials => vec![],
        GrantRequest::RefreshToken { refresh_token } => vec![("refresh_token", refresh_token.expose().to_owned())],
    };
    (request.grant.grant_type().as_str(), fields, request.scope.clone(), request.resources.clone())
}

fn encode(request: &TokenRequest) -> String {
    let (grant_type, fields, scope, resources) = describe(request);
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", grant_type);
    for (name, value) in &fields {
        form.append_pair(name, value);
    }
    if let Some(scope) = &scope {
        form.append_pair("scope", scope);
    }
    for resource in &resources {
        form.append_pair("resource", resource);
    }
    form.finish()
}
