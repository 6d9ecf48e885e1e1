//! Malformed token requests: every one is an RFC 6749 §5.2 JSON error with
//! `Cache-Control: no-store`, never a 500.

use tests::bootstrap::*;
use tests::client::{form_encode, FORM};
use tests::{AuthOptions, AuthServer, ClientAuth, OAuthClient};

use crate::support::*;

async fn server() -> (AuthServer, OAuthClient) {
    let auth = AuthServer::start(AuthOptions::embedded()).await;
    let client = OAuthClient::new(auth.base_url());
    (auth, client)
}

/// A valid password-grant body for alice, as `(name, value)` pairs.
fn alice_login() -> Vec<(&'static str, &'static str)> {
    vec![("grant_type", "password"), ("client_id", WEB_APP), ("username", ALICE), ("password", ALICE_PASSWORD)]
}

#[tokio::test]
async fn an_unknown_grant_type_is_unsupported_grant_type() {
    let (_auth, client) = server().await;
    for grant in ["urn:example:unknown", "implicit"] {
        let reply = client.token(&[("grant_type", grant)], ClientAuth::Public(WEB_APP)).await;
        assert_oauth_error(&reply, 400, "unsupported_grant_type");
    }
}

#[tokio::test]
async fn a_missing_grant_type_is_invalid_request() {
    let (_auth, client) = server().await;
    let params = [("username", ALICE), ("password", ALICE_PASSWORD)];
    let reply = client.token(&params, ClientAuth::Public(WEB_APP)).await;
    assert_oauth_error(&reply, 400, "invalid_request");
    let reply = client.token(&[("grant_type", "")], ClientAuth::Public(WEB_APP)).await;
    assert_oauth_error(&reply, 400, "invalid_request");
}

#[tokio::test]
async fn a_missing_grant_parameter_is_invalid_request() {
    let (_auth, client) = server().await;
    let reply = client.token(&[("grant_type", "password"), ("username", ALICE)], ClientAuth::Public(WEB_APP)).await;
    assert_oauth_error(&reply, 400, "invalid_request");
    let reply = client.token(&[("grant_type", "refresh_token")], ClientAuth::Public(WEB_APP)).await;
    assert_oauth_error(&reply, 400, "invalid_request");
}

#[tokio::test]
async fn a_repeated_parameter_is_invalid_request() {
    // RFC 6749 §3.2: "Request and response parameters MUST NOT be included more than once."
    let (_auth, client) = server().await;
    for repeated in ["grant_type", "username", "password", "client_id"] {
        let mut params = alice_login();
        let value = params.iter().find(|(name, _)| *name == repeated).expect("a parameter").1;
        params.push((repeated, value));
        let reply = client.token(&params, ClientAuth::None).await;
        assert_oauth_error(&reply, 400, "invalid_request");
    }
    let mut params = alice_login();
    params.extend([("scope", READ), ("scope", WRITE)]);
    let reply = client.token(&params, ClientAuth::None).await;
    assert_oauth_error(&reply, 400, "invalid_request");
}

#[tokio::test]
async fn a_json_body_is_invalid_request() {
    let (_auth, client) = server().await;
    let body = serde_json::json!({
        "grant_type": "password", "client_id": WEB_APP, "username": ALICE, "password": ALICE_PASSWORD
    });
    let reply = client.post_token_raw(Some("application/json"), body.to_string().into_bytes(), &[]).await;
    assert_oauth_error(&reply, 400, "invalid_request");
}

#[tokio::test]
async fn a_wrong_or_missing_content_type_is_invalid_request() {
    let (_auth, client) = server().await;
    let body = form_encode(&alice_login());
    for content_type in [Some("text/plain"), Some("multipart/form-data; boundary=x"), Some("not a type"), None] {
        let reply = client.post_token_raw(content_type, body.clone().into_bytes(), &[]).await;
        assert_oauth_error(&reply, 400, "invalid_request");
    }
    // The same body with the right type works, so the type is what was refused.
    let reply = client.post_token_raw(Some(FORM), body.into_bytes(), &[]).await;
    assert_eq!(reply.status, 200, "{reply:?}");
}

#[tokio::test]
async fn an_oversized_body_is_invalid_request() {
    let (_auth, client) = server().await;
    let padding = "x".repeat(1024 * 1024);
    let mut params = alice_login();
    params.push(("padding", &padding));
    let reply = client.token(&params, ClientAuth::None).await;
    assert_oauth_error(&reply, 400, "invalid_request");
}

#[tokio::test]
async fn non_utf8_bytes_are_invalid_request() {
    let (_auth, client) = server().await;
    let valid = form_encode(&alice_login());
    // Raw bytes that are not UTF-8, and the same bytes percent-encoded.
    let mut raw = valid.clone().into_bytes();
    raw.extend_from_slice(b"&scope=documents:read\xff\xfe");
    let encoded = format!("{valid}&scope=documents%3Aread%FF%FE").into_bytes();
    let in_username = valid.replace("username=alice", "username=alice%C3%28").into_bytes();
    for body in [raw, encoded, in_username] {
        let reply = client.post_token_raw(Some(FORM), body, &[]).await;
        assert_oauth_error(&reply, 400, "invalid_request");
    }
}

#[tokio::test]
async fn an_undecodable_form_is_invalid_request() {
    let (_auth, client) = server().await;
    for body in ["grant_type=password&username=%ZZ", "%", "grant_type=password&&&=x"] {
        let reply = client.post_token_raw(Some(FORM), body.as_bytes().to_vec(), &[]).await;
        assert!(matches!(reply.status, 400 | 401), "never a 5xx: {reply:?}");
        assert!(reply.json["error"].is_string(), "an OAuth error: {reply:?}");
        assert_no_store(&reply);
    }
}
