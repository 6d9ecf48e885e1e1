//! RFC 8414 metadata, the RFC 7517 key set, and the health endpoints.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::Value;
use tests::jwks::METADATA_PATH;
use tests::{AuthOptions, AuthServer, OAuthClient};

use crate::support::assert_json_content_type;

fn strings(value: &Value) -> Vec<&str> {
    let array = value.as_array().unwrap_or_else(|| panic!("expected an array, got {value}"));
    array.iter().map(|v| v.as_str().expect("an array of strings")).collect()
}

#[tokio::test]
async fn metadata_announces_every_endpoint_under_the_issuer() {
    let auth = AuthServer::start(AuthOptions::embedded()).await;
    let client = OAuthClient::new(auth.base_url());
    let reply = client.get(METADATA_PATH).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_json_content_type(&reply);
    let issuer = reply.str("issuer");
    assert_eq!(issuer, auth.base_url(), "issuer is the base URL without a trailing slash");
    for (field, path) in [
        ("token_endpoint", "/oauth2/token"),
        ("jwks_uri", "/.well-known/jwks.json"),
        ("introspection_endpoint", "/oauth2/introspect"),
        ("revocation_endpoint", "/oauth2/revoke"),
    ] {
        assert_eq!(reply.str(field), format!("{issuer}{path}"), "{field}");
    }
    let grants = strings(&reply.json["grant_types_supported"]);
    for grant in ["password", "client_credentials", "refresh_token"] {
        assert!(grants.contains(&grant), "grant_types_supported lacks {grant}: {grants:?}");
    }
    let methods = strings(&reply.json["token_endpoint_auth_methods_supported"]);
    for method in ["client_secret_basic", "client_secret_post"] {
        assert!(methods.contains(&method), "token_endpoint_auth_methods_supported lacks {method}: {methods:?}");
    }
    let scopes = strings(&reply.json["scopes_supported"]);
    for scope in ["documents:read", "documents:write"] {
        assert!(scopes.contains(&scope), "scopes_supported lacks {scope}: {scopes:?}");
    }
    // RFC 8414 §2: REQUIRED, even for a server without an authorization endpoint.
    strings(&reply.json["response_types_supported"]);
    // Every URL the document announces is built from the issuer.
    for (field, value) in reply.json.as_object().expect("an object") {
        if let Some(url) = value.as_str().filter(|v| v.starts_with("http")) {
            assert!(url.starts_with(issuer), "{field} = {url} is not under the issuer {issuer}");
        }
    }
}

#[tokio::test]
async fn metadata_and_tokens_follow_a_configured_issuer() {
    let issuer = "https://auth.example.test";
    let auth = AuthServer::start(AuthOptions::embedded().env("AUTH_ISSUER", issuer)).await;
    let client = OAuthClient::new(auth.base_url());
    let reply = client.get(METADATA_PATH).await;
    assert_eq!(reply.str("issuer"), issuer);
    assert_eq!(reply.str("token_endpoint"), format!("{issuer}/oauth2/token"));
    assert_eq!(reply.str("jwks_uri"), format!("{issuer}/.well-known/jwks.json"));
    assert_eq!(reply.str("revocation_endpoint"), format!("{issuer}/oauth2/revoke"));
    assert_eq!(reply.str("introspection_endpoint"), format!("{issuer}/oauth2/introspect"));

    let token = client.token_password("web-app", "alice", "alice-password-123", None).await;
    let (_, claims) = tests::jwks::decode_unverified(token.access_token()).expect("a JWS");
    assert_eq!(claims["iss"], issuer);
}

#[tokio::test]
async fn jwks_publishes_public_rs256_signing_keys_with_max_age() {
    let auth = AuthServer::start(AuthOptions::embedded()).await;
    let client = OAuthClient::new(auth.base_url());
    let reply = client.get("/.well-known/jwks.json").await;
    assert_eq!(reply.status, 200, "{reply:?}");
    // RFC 7517 §8.5 registers application/jwk-set+json; plain JSON is common too.
    let content_type = reply.header("content-type").unwrap_or_default();
    assert!(
        ["application/jwk-set+json", "application/json"].iter().any(|t| content_type.starts_with(t)),
        "content type: {reply:?}"
    );
    let cache_control = reply.header("cache-control").unwrap_or_default();
    let max_age =
        cache_control.split(',').find_map(|d| d.trim().strip_prefix("max-age=")).and_then(|v| v.parse::<u64>().ok());
    assert!(max_age.is_some(), "expected Cache-Control with max-age: {reply:?}");

    let keys = reply.json["keys"].as_array().expect("a `keys` array");
    assert!(!keys.is_empty(), "no keys: {reply:?}");
    for key in keys {
        assert!(key["kid"].as_str().is_some_and(|kid| !kid.is_empty()), "kid: {key}");
        assert_eq!((&key["kty"], &key["alg"], &key["use"]), (&"RSA".into(), &"RS256".into(), &"sig".into()), "{key}");
        for private in ["d", "p", "q", "dp", "dq", "qi", "oth"] {
            assert!(key.get(private).is_none(), "a private member `{private}` is published: {key}");
        }
        let modulus = URL_SAFE_NO_PAD.decode(key["n"].as_str().expect("n")).expect("base64url n");
        let bits = modulus.len() * 8 - modulus.first().map_or(0, |b| b.leading_zeros() as usize);
        assert!(bits >= 2048, "RSA key of {bits} bits: {key}");
        assert!(key["e"].as_str().is_some(), "e: {key}");
    }
    let mut kids: Vec<&str> = keys.iter().filter_map(|k| k["kid"].as_str()).collect();
    kids.sort_unstable();
    kids.dedup();
    assert_eq!(kids.len(), keys.len(), "kids are unique: {reply:?}");
}

#[tokio::test]
async fn health_endpoints_answer() {
    let auth = AuthServer::start(AuthOptions::embedded()).await;
    let client = OAuthClient::new(auth.base_url());
    assert_eq!(client.get("/healthz").await.status, 200);
    assert_eq!(client.get("/readyz").await.status, 200);
}
