//! Assertions shared by the end-to-end tests.

use std::collections::BTreeSet;

use serde_json::Value;
use shared_claims::ScopeSet;
use tests::{Challenge, Reply};

/// `Cache-Control` includes `no-store` (RFC 6749 §5.1, §5.2).
pub(crate) fn assert_no_store(reply: &Reply) {
    let cache_control = reply.header("cache-control").unwrap_or_default();
    assert!(
        cache_control.split(',').any(|d| d.trim().eq_ignore_ascii_case("no-store")),
        "expected Cache-Control: no-store: {reply:?}"
    );
}

/// An RFC 6749 §5.2 error: this status and code, a JSON body of exactly `error` and
/// `error_description` (in the allowed character set), `Cache-Control: no-store`, and no
/// `WWW-Authenticate` (it is reserved for failed Basic authentication, RFC 6749 §5.2).
pub(crate) fn assert_oauth_error(reply: &Reply, status: u16, code: &str) {
    assert_oauth_error_shape(reply, status, code);
    assert!(reply.header("www-authenticate").is_none(), "unexpected WWW-Authenticate: {reply:?}");
}

/// Like [`assert_oauth_error`], but for a failed `client_secret_basic`: 401
/// `invalid_client` with a `WWW-Authenticate: Basic` challenge (RFC 6749 §5.2).
pub(crate) fn assert_basic_challenge(reply: &Reply) {
    assert_oauth_error_shape(reply, 401, "invalid_client");
    let challenge = reply.header("www-authenticate").unwrap_or_default();
    let scheme = challenge.split_whitespace().next().unwrap_or_default();
    assert!(scheme.eq_ignore_ascii_case("basic"), "expected WWW-Authenticate: Basic: {reply:?}");
}

fn assert_oauth_error_shape(reply: &Reply, status: u16, code: &str) {
    assert_eq!((reply.status, reply.json["error"].as_str()), (status, Some(code)), "{reply:?}");
    assert_json_content_type(reply);
    assert_no_store(reply);
    let keys: BTreeSet<&str> = reply.json.as_object().expect("an object").keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(["error", "error_description"]), "{reply:?}");
    let description = reply.json["error_description"].as_str().expect("a string error_description");
    // RFC 6749 §5.2: error_description = 1*( %x20-21 / %x23-5B / %x5D-7E )
    assert!(
        !description.is_empty() && description.chars().all(|c| matches!(c, ' '..='~') && c != '"' && c != '\\'),
        "error_description outside RFC 6749 §5.2 characters: {description:?}"
    );
}

pub(crate) fn assert_json_content_type(reply: &Reply) {
    let content_type = reply.header("content-type").unwrap_or_default();
    assert!(content_type.starts_with("application/json"), "expected JSON: {reply:?}");
}

/// A successful RFC 6749 §5.1 token response: 200, `token_type` Bearer, `expires_in`
/// of `ttl`, no-store. Returns the JSON body.
pub(crate) fn assert_token_response(reply: &Reply, ttl: i64) -> &Value {
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_json_content_type(reply);
    assert_no_store(reply);
    let token_type = reply.json["token_type"].as_str().unwrap_or_default();
    assert!(token_type.eq_ignore_ascii_case("bearer"), "token_type: {reply:?}");
    assert_eq!(reply.json["expires_in"].as_i64(), Some(ttl), "expires_in: {reply:?}");
    assert!(!reply.str("access_token").is_empty());
    &reply.json
}

/// The space-delimited scope string as a set, so order does not matter.
pub(crate) fn scopes(value: &str) -> ScopeSet {
    ScopeSet::parse(value).unwrap_or_else(|e| panic!("bad scope {value:?}: {e:?}"))
}

/// The `aud` claim as a list (RFC 7519 §4.1.3: one string or an array).
pub(crate) fn audiences(claims: &serde_json::Map<String, Value>) -> Vec<String> {
    match claims.get("aud") {
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(many)) => many.iter().map(|v| v.as_str().expect("string audiences").to_owned()).collect(),
        other => panic!("bad aud claim: {other:?}"),
    }
}

/// What an access token must say (RFC 9068 §2.2).
pub(crate) struct ExpectedAccess<'a> {
    pub issuer: &'a str,
    pub sub: &'a str,
    pub client_id: &'a str,
    pub audience: &'a str,
    pub scope: &'a str,
    /// Whether a user is involved, so the token carries `sid`.
    pub user: bool,
    pub ttl: i64,
}

/// Verifies `token` against the published JWKS and checks its header and claims:
/// `typ` at+jwt, RS256, `kid`; `iss sub aud exp iat jti client_id scope` (+ `sid`) with
/// integer times, `exp - iat == ttl`, and `iat` within `[before, after]` (the unix times
/// read just before and after the request).
pub(crate) async fn assert_access_token(
    client: &tests::OAuthClient,
    token: &str,
    expected: &ExpectedAccess<'_>,
    (before, after): (i64, i64),
) -> tests::VerifiedJws {
    let jwks = tests::Jwks::fetch(client).await;
    let jws = jwks.verify(token).unwrap_or_else(|e| panic!("access token does not verify: {e}"));
    assert_eq!(jws.header_str("typ"), Some(shared_claims::ACCESS_TOKEN_TYP), "typ: {:?}", jws.header);
    assert_eq!(jws.header_str("alg"), Some("RS256"), "alg: {:?}", jws.header);
    let claims = &jws.claims;
    for name in ["exp", "iat"] {
        assert!(claims.get(name).is_some_and(Value::is_i64), "{name} is not an integer: {claims:?}");
    }
    if let Some(nbf) = claims.get("nbf") {
        assert!(nbf.is_i64(), "nbf is not an integer: {claims:?}");
    }
    let iat = jws.claim_i64("iat").expect("iat");
    assert!((before..=after).contains(&iat), "iat {iat} outside the request [{before}, {after}]");
    assert_eq!(jws.claim_i64("exp").expect("exp") - iat, expected.ttl, "exp - iat: {claims:?}");
    assert_eq!(jws.claim_str("iss"), Some(expected.issuer), "iss: {claims:?}");
    assert_eq!(jws.claim_str("sub"), Some(expected.sub), "sub: {claims:?}");
    assert_eq!(jws.claim_str("client_id"), Some(expected.client_id), "client_id: {claims:?}");
    assert_eq!(audiences(claims), [expected.audience], "aud: {claims:?}");
    assert_eq!(scopes(jws.claim_str("scope").expect("scope")), scopes(expected.scope), "scope: {claims:?}");
    assert!(jws.claim_str("jti").is_some_and(|jti| !jti.is_empty()), "jti: {claims:?}");
    if expected.user {
        assert!(jws.claim_str("sid").is_some_and(|sid| !sid.is_empty()), "sid: {claims:?}");
    } else {
        assert!(claims.get("sid").is_none(), "sid without a user: {claims:?}");
    }
    // The shared claims model and validator accept it as well.
    let parsed: shared_claims::AccessClaims =
        serde_json::from_value(Value::Object(claims.clone())).expect("claims fit shared_claims::AccessClaims");
    shared_claims::ClaimValidator::new(expected.issuer, expected.audience)
        .validate(jws.header_str("typ"), &parsed, after)
        .expect("shared_claims::ClaimValidator accepts the token");
    jws
}

/// The current unix time, to bracket `iat`.
pub(crate) fn now() -> i64 {
    shared_claims::unix_now()
}

/// What an RFC 6750 §3 refusal must say: the status, the `error` code (`None` for a
/// request without credentials), and the `scope` of an `insufficient_scope`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BearerRefusal<'a> {
    pub status: u16,
    pub error: Option<&'a str>,
    pub scope: Option<&'a str>,
}

/// 401 with a bare challenge: the request carried no bearer credentials.
pub(crate) const NO_CREDENTIALS: BearerRefusal<'static> = BearerRefusal { status: 401, error: None, scope: None };
/// 400 `invalid_request`: a malformed `Authorization` header.
pub(crate) const INVALID_REQUEST: BearerRefusal<'static> =
    BearerRefusal { status: 400, error: Some("invalid_request"), scope: None };
/// 401 `invalid_token`: any token we must not accept.
pub(crate) const INVALID_TOKEN: BearerRefusal<'static> =
    BearerRefusal { status: 401, error: Some("invalid_token"), scope: None };

/// 403 `insufficient_scope` naming the scope the route needs.
pub(crate) fn insufficient_scope(scope: &str) -> BearerRefusal<'_> {
    BearerRefusal { status: 403, error: Some("insufficient_scope"), scope: Some(scope) }
}

/// The resource server's refusal is exactly the RFC 6750 §3 row: the status; a
/// `WWW-Authenticate: Bearer` challenge with a non-empty `realm`, the `error` code (no
/// error information at all without credentials, RFC 6750 §3.1) and, for
/// `insufficient_scope`, `scope`; and a JSON body of exactly `error` and
/// `error_description` carrying the same code.
pub(crate) fn assert_bearer_refusal(reply: &Reply, expected: BearerRefusal<'_>, what: &str) {
    assert_eq!(reply.status, expected.status, "{what}: {reply:?}");
    let header = reply.header("www-authenticate").unwrap_or_else(|| panic!("{what}: no WWW-Authenticate: {reply:?}"));
    let challenge = Challenge::parse(header).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(challenge.scheme.eq_ignore_ascii_case("bearer"), "{what}: not a Bearer challenge: {header}");
    assert!(challenge.param("realm").is_some_and(|realm| !realm.is_empty()), "{what}: no realm: {header}");
    assert_eq!(challenge.param("error"), expected.error, "{what}: error in {header}");
    assert_eq!(challenge.param("scope"), expected.scope, "{what}: scope in {header}");
    if expected.error.is_none() {
        assert_eq!(challenge.param("error_description"), None, "{what}: error information without credentials");
    }

    assert_json_content_type(reply);
    let keys: BTreeSet<&str> = reply
        .json
        .as_object()
        .unwrap_or_else(|| panic!("{what}: not a JSON object: {reply:?}"))
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, BTreeSet::from(["error", "error_description"]), "{what}: {reply:?}");
    let error = reply.json["error"].as_str().unwrap_or_else(|| panic!("{what}: no string error: {reply:?}"));
    match expected.error {
        Some(code) => assert_eq!(error, code, "{what}: the body's code differs from the header's"),
        None => assert!(
            !["invalid_request", "invalid_token", "insufficient_scope"].contains(&error),
            "{what}: an RFC 6750 error code without credentials: {reply:?}"
        ),
    }
    assert!(reply.json["error_description"].as_str().is_some_and(|d| !d.is_empty()), "{what}: {reply:?}");
}
