//! The refresh token grant (RFC 6749 §6) with rotation and reuse detection
//! (RFC 9700 §4.14.2).

use tests::bootstrap::*;
use tests::jwks::decode_unverified;
use tests::{AuthStack, OAuthClient, Store};

use crate::support::*;

/// Logs alice in with the public web app; returns the refresh token.
pub(crate) async fn login(client: &OAuthClient) -> String {
    client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await.refresh_token().to_owned()
}

fn claim(token: &str, name: &str) -> serde_json::Value {
    let (_, claims) = decode_unverified(token).expect("a JWS");
    claims.get(name).cloned().unwrap_or_default()
}

on_three_stores! {
    /// Each refresh returns a new refresh token and an access token of the same session.
    async fn refresh_rotates_and_keeps_the_session(store: Store) {
        let stack = AuthStack::start_with(store, |o| o.env("AUTH_ACCESS_TTL", "60")).await;
        let client = stack.client();
        let login = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        let before = now();
        let refreshed = client.token_refresh(WEB_APP, login.refresh_token()).await;
        let after = now();
        assert_token_response(&refreshed, 60);
        assert_ne!(refreshed.refresh_token(), login.refresh_token(), "the refresh token rotates");
        assert_ne!(claim(refreshed.access_token(), "jti"), claim(login.access_token(), "jti"));
        assert_eq!(claim(refreshed.access_token(), "sid"), claim(login.access_token(), "sid"));
        let issuer = stack.base_url();
        let expected = ExpectedAccess {
            issuer: &issuer,
            sub: ALICE,
            client_id: WEB_APP,
            audience: DOCUMENTS_AUDIENCE,
            scope: "documents:read documents:write",
            user: true,
            ttl: 60,
        };
        assert_access_token(&client, refreshed.access_token(), &expected, (before, after)).await;
        // The successor works in turn.
        let again = client.token_refresh(WEB_APP, refreshed.refresh_token()).await;
        assert_eq!(again.status, 200, "{again:?}");
    }
}

on_three_stores! {
    /// Presenting a rotated refresh token revokes the whole session, successor included,
    /// and only that session.
    async fn reuse_of_a_rotated_token_revokes_the_session(store: Store) {
        let stack = AuthStack::start(store).await;
        let client = stack.client();
        let other = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        let first = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        let second = client.token_refresh(WEB_APP, first.refresh_token()).await;
        assert_eq!(second.status, 200, "{second:?}");

        let reuse = client.token_refresh(WEB_APP, first.refresh_token()).await;
        assert_oauth_error(&reuse, 400, "invalid_grant");
        let successor = client.token_refresh(WEB_APP, second.refresh_token()).await;
        assert_oauth_error(&successor, 400, "invalid_grant");
        // Every access token of the session is revoked as well (RFC 7662 `active`).
        for access in [first.access_token(), second.access_token()] {
            assert!(!active(&client, access).await, "an access token of the reused session");
        }

        assert!(active(&client, other.access_token()).await, "another session's access token");
        let unrelated = client.token_refresh(WEB_APP, other.refresh_token()).await;
        assert_eq!(unrelated.status, 200, "another login of the same user is untouched: {unrelated:?}");
    }
}

/// Whether the auth server still considers `token` active (RFC 7662 §2.2).
async fn active(client: &OAuthClient, token: &str) -> bool {
    let reply = client.introspect(token, DOCUMENTS_API, DOCUMENTS_API_SECRET).await;
    assert_eq!(reply.status, 200, "introspection: {reply:?}");
    reply.json["active"].as_bool().unwrap_or_else(|| panic!("no `active` in {reply:?}"))
}

on_both_stores! {
    /// With `AUTH_REFRESH_REUSE_GRACE`, an immediate repeat gets the same successor.
    async fn the_reuse_grace_returns_the_same_successor(store: Store) {
        let stack = AuthStack::start_with(store, |o| o.env("AUTH_REFRESH_REUSE_GRACE", "30")).await;
        let client = stack.client();
        let first = login(&client).await;
        let reply = client.token_refresh(WEB_APP, &first).await;
        let successor = reply.refresh_token().to_owned();
        let repeat = client.token_refresh(WEB_APP, &first).await;
        assert_eq!(repeat.refresh_token(), successor, "the repeat returns the same successor");
        let next = client.token_refresh(WEB_APP, &successor).await;
        assert_eq!(next.status, 200, "the successor still works: {next:?}");
        assert_ne!(next.refresh_token(), successor);
    }
}

on_both_stores! {
    /// RFC 6749 §6: a refresh token only works for the client it was issued to, and a
    /// rejected attempt by another client changes nothing.
    async fn a_refresh_token_is_bound_to_its_client(store: Store) {
        let stack = AuthStack::start(store).await;
        let client = stack.client();
        let token = login(&client).await;
        let stolen = client.token_refresh(MOBILE_APP, &token).await;
        assert_oauth_error(&stolen, 400, "invalid_grant");
        let own = client.token_refresh(WEB_APP, &token).await;
        assert_eq!(own.status, 200, "{own:?}");
    }
}

on_both_stores! {
    /// Access tokens, client-credentials tokens and garbage are not refresh tokens.
    async fn only_refresh_tokens_refresh(store: Store) {
        let stack = AuthStack::start(store).await;
        let client = stack.client();
        let login = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        let mut tampered = login.refresh_token().to_owned();
        tampered.push('A');
        for token in [login.access_token(), "not-a-token", "a.b.c", tampered.as_str()] {
            let reply = client.token_refresh(WEB_APP, token).await;
            assert_oauth_error(&reply, 400, "invalid_grant");
        }
        let own = client.token_refresh(WEB_APP, login.refresh_token()).await;
        assert_eq!(own.status, 200, "the real refresh token still works: {own:?}");
    }
}
