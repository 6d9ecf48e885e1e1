//! The client credentials grant (RFC 6749 §4.4, RFC 9068 §2.2) and grant registration.

use tests::bootstrap::*;
use tests::{AuthStack, ClientAuth, Store};

use crate::support::*;

const TTL: i64 = 90;

on_both_stores! {
    /// A service gets an access token for its audience, with itself as `sub`, and no
    /// refresh token.
    async fn a_service_gets_an_access_token_without_refresh_token(store: Store) {
        let stack = AuthStack::start_with(store, |o| o.env("AUTH_ACCESS_TTL", TTL.to_string())).await;
        let client = stack.client();
        let before = now();
        let reply = client.token_client_credentials(SERVICE_A, SERVICE_A_SECRET, None).await;
        let after = now();
        let body = assert_token_response(&reply, TTL);
        assert!(body.get("refresh_token").is_none(), "no refresh token for client_credentials: {reply:?}");
        let issuer = stack.base_url();
        let expected = ExpectedAccess {
            issuer: &issuer,
            sub: SERVICE_A,
            client_id: SERVICE_A,
            audience: DOCUMENTS_AUDIENCE,
            scope: READ,
            user: false,
            ttl: TTL,
        };
        assert_access_token(&client, reply.access_token(), &expected, (before, after)).await;
    }
}

#[tokio::test]
async fn a_client_without_audiences_gets_the_issuer_as_audience() {
    let stack = AuthStack::start_with(Store::Embedded, |o| o.env("AUTH_ACCESS_TTL", TTL.to_string())).await;
    let client = stack.client();
    let issuer = stack.base_url();
    for (id, secret, scope) in [(OPS, OPS_SECRET, "admin"), (DOCUMENTS_API, DOCUMENTS_API_SECRET, "introspect")] {
        let before = now();
        let reply = client.token_client_credentials(id, secret, None).await;
        let after = now();
        assert_token_response(&reply, TTL);
        let expected =
            ExpectedAccess { issuer: &issuer, sub: id, client_id: id, audience: &issuer, scope, user: false, ttl: TTL };
        assert_access_token(&client, reply.access_token(), &expected, (before, after)).await;
    }
}

#[tokio::test]
async fn a_scope_outside_the_client_is_invalid_scope() {
    let stack = AuthStack::start(Store::Embedded).await;
    let client = stack.client();
    let reply = client.token_client_credentials(SERVICE_A, SERVICE_A_SECRET, Some("documents:write")).await;
    assert_oauth_error(&reply, 400, "invalid_scope");
    let reply = client.token_client_credentials(OPS, OPS_SECRET, Some("admin documents:read")).await;
    assert_oauth_error(&reply, 400, "invalid_scope");
}

#[tokio::test]
async fn a_grant_the_client_is_not_registered_for_is_unauthorized_client() {
    let stack = AuthStack::start(Store::Embedded).await;
    let client = stack.client();
    // A confidential service client asking for a user's password grant.
    let params = [("grant_type", "password"), ("username", ALICE), ("password", ALICE_PASSWORD)];
    let reply = client.token(&params, ClientAuth::Basic(SERVICE_A, SERVICE_A_SECRET)).await;
    assert_oauth_error(&reply, 400, "unauthorized_client");
    // A confidential client asking for refresh (it has no refresh_token grant).
    let params = [("grant_type", "refresh_token"), ("refresh_token", "anything")];
    let reply = client.token(&params, ClientAuth::Post(OPS, OPS_SECRET)).await;
    assert_oauth_error(&reply, 400, "unauthorized_client");
    // A public client asking for client_credentials (registered for password and refresh).
    let reply = client.token(&[("grant_type", "client_credentials")], ClientAuth::Public(WEB_APP)).await;
    assert_oauth_error(&reply, 400, "unauthorized_client");
}
