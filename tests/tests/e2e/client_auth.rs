//! Client authentication at the token endpoint (RFC 6749 §2.3, §5.2).

use tests::bootstrap::*;
use tests::client::basic_authorization;
use tests::{AuthOptions, AuthServer, ClientAuth, OAuthClient, Reply};

use crate::support::*;

const CLIENT_CREDENTIALS: [(&str, &str); 1] = [("grant_type", "client_credentials")];

async fn server() -> (AuthServer, OAuthClient) {
    let auth = AuthServer::start(AuthOptions::embedded()).await;
    let client = OAuthClient::new(auth.base_url());
    (auth, client)
}

/// `client_credentials` with a raw `Authorization` header.
async fn with_authorization(client: &OAuthClient, authorization: &str) -> Reply {
    let body = tests::client::form_encode(&CLIENT_CREDENTIALS).into_bytes();
    client.post_token_raw(Some(tests::client::FORM), body, &[("authorization", authorization)]).await
}

#[tokio::test]
async fn client_secret_basic_form_urlencodes_id_and_secret() {
    let (_auth, client) = server().await;
    // "partner+app%" changes under form-urlencoding, and its secret has '@', ' ', '+', '/', '%', ':' and 'ü'.
    let reply = client.token(&CLIENT_CREDENTIALS, ClientAuth::Basic(PARTNER, PARTNER_SECRET)).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let reply = client.token(&CLIENT_CREDENTIALS, ClientAuth::Basic(SERVICE_A, SERVICE_A_SECRET)).await;
    assert_eq!(reply.status, 200, "{reply:?}");
}

#[tokio::test]
async fn client_secret_post_authenticates() {
    let (_auth, client) = server().await;
    for (id, secret) in [(SERVICE_A, SERVICE_A_SECRET), (PARTNER, PARTNER_SECRET)] {
        let reply = client.token(&CLIENT_CREDENTIALS, ClientAuth::Post(id, secret)).await;
        assert_eq!(reply.status, 200, "{id}: {reply:?}");
    }
}

#[tokio::test]
async fn a_wrong_secret_via_basic_is_401_with_a_basic_challenge() {
    let (_auth, client) = server().await;
    let reply = client.token(&CLIENT_CREDENTIALS, ClientAuth::Basic(SERVICE_A, "wrong-secret")).await;
    assert_basic_challenge(&reply);
    // The secret of another client does not do either.
    let reply = client.token(&CLIENT_CREDENTIALS, ClientAuth::Basic(SERVICE_A, OPS_SECRET)).await;
    assert_basic_challenge(&reply);
}

#[tokio::test]
async fn a_wrong_secret_via_post_is_401_without_a_challenge() {
    let (_auth, client) = server().await;
    let reply = client.token(&CLIENT_CREDENTIALS, ClientAuth::Post(SERVICE_A, "wrong-secret")).await;
    assert_oauth_error(&reply, 401, "invalid_client");
}

#[tokio::test]
async fn an_unknown_client_is_invalid_client() {
    let (_auth, client) = server().await;
    let reply = client.token(&CLIENT_CREDENTIALS, ClientAuth::Basic("nobody", "some-secret")).await;
    assert_basic_challenge(&reply);
    let reply = client.token(&CLIENT_CREDENTIALS, ClientAuth::Post("nobody", "some-secret")).await;
    assert_oauth_error(&reply, 401, "invalid_client");
    let reply = client.token_password("nobody", ALICE, ALICE_PASSWORD, None).await;
    assert_oauth_error(&reply, 401, "invalid_client");
}

#[tokio::test]
async fn a_confidential_client_without_its_secret_is_invalid_client() {
    let (_auth, client) = server().await;
    let reply = client.token(&CLIENT_CREDENTIALS, ClientAuth::Public(SERVICE_A)).await;
    assert_oauth_error(&reply, 401, "invalid_client");
}

#[tokio::test]
async fn no_client_identification_is_rejected() {
    let (_auth, client) = server().await;
    let reply = client.token(&CLIENT_CREDENTIALS, ClientAuth::None).await;
    match reply.status {
        400 => assert_oauth_error(&reply, 400, "invalid_request"),
        _ => assert_oauth_error(&reply, 401, "invalid_client"),
    }
}

#[tokio::test]
async fn two_authentication_methods_at_once_are_invalid_request() {
    // RFC 6749 §2.3: "The client MUST NOT use more than one authentication method".
    let (_auth, client) = server().await;
    let body = tests::client::form_encode(&[
        ("grant_type", "client_credentials"),
        ("client_id", SERVICE_A),
        ("client_secret", SERVICE_A_SECRET),
    ]);
    let authorization = basic_authorization(SERVICE_A, SERVICE_A_SECRET);
    let reply =
        client.post_token_raw(Some(tests::client::FORM), body.into_bytes(), &[("authorization", &authorization)]).await;
    assert_oauth_error(&reply, 400, "invalid_request");
}

#[tokio::test]
async fn a_malformed_basic_header_is_an_error_not_a_crash() {
    let (_auth, client) = server().await;
    for authorization in ["Basic", "Basic !!!not-base64!!!", "Basic bm8tY29sb24", "Basic //79/w=="] {
        let reply = with_authorization(&client, authorization).await;
        // A failed attempt at Basic is 401 + challenge (RFC 6749 §5.2); an unreadable
        // header may also be read as a malformed request.
        match reply.status {
            401 => assert_basic_challenge(&reply),
            _ => assert_oauth_error(&reply, 400, "invalid_request"),
        }
    }
}
