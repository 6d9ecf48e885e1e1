//! A resource server that was disconnected while a revocation happened refuses the
//! token once it is back in contact: it resumes the feed from its cursor
//! (`Last-Event-ID`) or takes a snapshot, so nothing is lost across the gap. Cut off
//! for longer than its staleness bound, a local-mode one stops trusting its view.

use std::time::Duration;

use reqwest::Method;
use tests::bootstrap::*;
use tests::fleet::REVOCATION_DEADLINE;
use tests::{
    poll_until, AuthStack, ClientAuth, Credentials, Fleet, OAuthClient, Relay, ResourceOptions, ResourceServer, Store,
};

on_three_stores! {
    /// The network between the resource servers and the auth server is cut (every
    /// connection closed, new ones refused), a token is revoked meanwhile, the link
    /// comes back: every resource server refuses the token.
    async fn a_resource_server_cut_off_during_a_revocation_refuses_after_reconnecting(store: Store) {
        let _heavy = tests::heavy::shared().await;
        // The resource servers reach the auth server only through the relay, whose
        // URL is the issuer, so every endpoint they discover goes through it too.
        let relay = Relay::start().await;
        let stack = AuthStack::start_with(store, |o| o.env("AUTH_ISSUER", relay.url())).await;
        relay.route_to(stack.auth.addr());
        let fleet = Fleet::start(&relay.url(), 1, 1).await;
        let client = stack.client();
        let alice = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        let bob = client.token_password(WEB_APP, BOB, BOB_PASSWORD, None).await;
        fleet.assert_all_accept(alice.access_token(), "alice's token").await;
        fleet.assert_all_accept(bob.access_token(), "bob's token").await;

        relay.cut();
        let revoked = client.revoke(alice.access_token(), ClientAuth::Public(WEB_APP)).await;
        assert_eq!(revoked.status, 200, "{revoked:?}");
        relay.route_to(stack.auth.addr());

        fleet.await_all_refuse(alice.access_token(), "the token revoked while cut off", REVOCATION_DEADLINE).await;
        fleet.assert_all_accept(bob.access_token(), "bob's token after reconnecting").await;
    }
}

/// The auth server the resource servers follow goes down; a second replica on the
/// same Redis revokes a session; the first comes back: the resource servers,
/// reconnecting to it, refuse the session's token. The first server stands behind a
/// relay (its URL is the issuer and what the resource servers follow), cut while it is
/// down and routed to it again once it is back on a new port: the replica, started
/// meanwhile on port 0, cannot take the address the resource servers use.
#[tokio::test]
async fn a_revocation_made_while_the_followed_auth_server_was_down_reaches_it_after_restart() {
    let _heavy = tests::heavy::shared().await;
    let mut stack = AuthStack::start_relayed(Store::Redis, |o| o).await;
    let fleet = Fleet::start(&stack.base_url(), 1, 1).await;
    let client = stack.client();
    let alice = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
    let bob = client.token_password(WEB_APP, BOB, BOB_PASSWORD, None).await;
    fleet.assert_all_accept(alice.access_token(), "alice's token").await;

    stack.stop_auth();
    let replica = stack.start_replica(|o| o).await;
    let replica_client = OAuthClient::new(replica.base_url());
    let revoked = replica_client.revoke(alice.refresh_token(), ClientAuth::Public(WEB_APP)).await;
    assert_eq!(revoked.status, 200, "{revoked:?}");
    let refresh = replica_client.token_refresh(WEB_APP, alice.refresh_token()).await;
    assert_eq!(refresh.status, 400, "the session is over at the replica: {refresh:?}");

    stack.restart_auth().await;
    fleet
        .await_all_refuse(alice.access_token(), "the session revoked while its server was down", REVOCATION_DEADLINE)
        .await;
    fleet.assert_all_accept(bob.access_token(), "bob's token after the restart").await;
}

/// The resource server's sensible minimum (it warns below 10 s): twice the auth
/// server's feed keep-alive (5 s), so a quiet but live feed stays trusted. The waits
/// below allow it plus 20 s.
const MAX_STALENESS_SECS: u64 = 10;

/// A local-mode resource server that has lost its feed for longer than
/// `RS_REVOCATION_MAX_STALENESS` stops trusting its revocation view: protected routes
/// answer 503 and `/readyz` is not ready, until the feed is back.
#[tokio::test]
async fn a_local_resource_server_cut_off_past_the_staleness_bound_answers_503_until_reconnected() {
    let _heavy = tests::heavy::shared().await;
    let relay = Relay::start().await;
    let stack = AuthStack::start_with(Store::Embedded, |o| o.env("AUTH_ISSUER", relay.url())).await;
    relay.route_to(stack.auth.addr());
    let options = ResourceOptions::new(relay.url()).env("RS_REVOCATION_MAX_STALENESS", MAX_STALENESS_SECS.to_string());
    let resource = ResourceServer::start(options).await;
    let api = resource.api();
    let alice = stack.client().token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
    let token = Credentials::Bearer(alice.access_token());
    assert_eq!(api.me(token).await.status, 200, "accepted while the feed is live");

    relay.cut();
    let deadline = Duration::from_secs(MAX_STALENESS_SECS + 20);
    let stale = poll_until(deadline, "503 once the feed is stale", || async {
        let reply = api.me(token).await;
        (reply.status != 200).then_some(reply)
    })
    .await;
    assert_eq!(stale.status, 503, "a stale view refuses to judge: {stale:?}");
    assert!(stale.json["error"].is_string(), "a JSON error body: {stale:?}");
    let ready = api.request(Method::GET, "/readyz", Credentials::None, None).await;
    assert_eq!(ready.status, 503, "/readyz says the view is stale: {ready:?}");

    relay.route_to(stack.auth.addr());
    poll_until(deadline, "the token accepted again once the feed is back", || async {
        (api.me(token).await.status == 200).then_some(())
    })
    .await;
    let ready = api.request(Method::GET, "/readyz", Credentials::None, None).await;
    assert_eq!(ready.status, 200, "ready again: {ready:?}");
}
