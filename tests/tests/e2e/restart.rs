//! Restarts: with Redis, keys and sessions survive; the embedded store forgets them.
//!
//! The auth server stands behind a relay whose URL is the issuer and restarts on a new
//! port: the issuer stays the same, and no other process can take its address while it
//! is down.

use tests::bootstrap::*;
use tests::{AuthStack, Jwks, Store};

use crate::support::*;

#[tokio::test]
async fn with_redis_tokens_survive_a_restart() {
    let mut stack = AuthStack::start_relayed(Store::Redis, |o| o).await;
    let client = stack.client();
    let login = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
    let before = Jwks::fetch(&client).await.verify(login.access_token()).expect("verifies before the restart");
    let kid = before.header_str("kid").expect("kid").to_owned();

    stack.restart_auth().await;

    let jwks = Jwks::fetch(&client).await;
    assert!(jwks.key(&kid).is_some(), "kid {kid} is still published: {:?}", jwks.kids());
    let after = jwks.verify(login.access_token()).unwrap_or_else(|e| panic!("after the restart: {e}"));
    assert_eq!(after.claims, before.claims);

    let refreshed = client.token_refresh(WEB_APP, login.refresh_token()).await;
    assert_eq!(refreshed.status, 200, "the refresh token survives: {refreshed:?}");
    let new_token = jwks.verify(refreshed.access_token()).expect("a new token verifies");
    assert_eq!(new_token.claims["sid"], before.claims["sid"], "same session");
    // A new login works too: the bootstrap was applied again without conflict.
    let again = client.token_password(WEB_APP, BOB, BOB_PASSWORD, None).await;
    assert_eq!(again.status, 200, "{again:?}");
}

#[tokio::test]
async fn with_the_embedded_store_refresh_tokens_do_not_survive_a_restart() {
    // Documented behaviour: nothing of the in-memory store survives a restart.
    let mut stack = AuthStack::start_relayed(Store::Embedded, |o| o).await;
    let client = stack.client();
    let login = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
    stack.restart_auth().await;
    let refreshed = client.token_refresh(WEB_APP, login.refresh_token()).await;
    assert_oauth_error(&refreshed, 400, "invalid_grant");
    let again = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
    assert_eq!(again.status, 200, "logging in again works: {again:?}");
}
