//! A local-mode resource server cut off from the auth server: once it has heard
//! nothing for `RS_REVOCATION_MAX_STALENESS` it answers 503 instead of trusting a view
//! that may miss revocations; when the link returns it recovers without a restart, and
//! a revocation made during the cut is enforced from the first request it accepts.
//!
//! ```text
//! client ─► auth server ◄── Relay ◄── resource server (its feed, JWKS, metadata)
//!   cut:  every connection closed, new ones refused (a crashed link)
//!   hold: connections stay open, nothing comes back (a silent partition)
//! during: revoke alice's token; poll with bob's until 503; link back; poll until 200
//! ```

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::key_support::metrics_text;
use reqwest::Method;
use tests::bootstrap::*;
use tests::poll::try_poll_until;
use tests::{AuthStack, ClientAuth, Credentials, Direction, Relay, ResourceOptions, ResourceServer, Store};

/// The smallest bound the resource server accepts.
const MAX_STALENESS: Duration = Duration::from_secs(3);
/// The resource server reports its last contact's age in milliseconds.
const ROUNDING: Duration = Duration::from_millis(10);
/// Generous waits for going stale and for recovering.
const DEADLINE: Duration = Duration::from_secs(30);

/// `rs_revocation_feed_seconds_since_contact` of the resource server's metrics.
fn contact_age(metrics: &str) -> Option<Duration> {
    let value = metrics.lines().find_map(|line| line.strip_prefix("rs_revocation_feed_seconds_since_contact "))?;
    Duration::try_from_secs_f64(value.trim().parse().ok()?).ok()
}

#[derive(Clone, Copy, Debug)]
enum LinkFault {
    Cut,
    Hold,
}

async fn scenario(fault: LinkFault) {
    let _heavy = tests::heavy::shared().await;
    let relay = Relay::start().await;
    let stack = AuthStack::start_with(Store::Embedded, |o| o.env("AUTH_ISSUER", relay.url())).await;
    relay.route_to(stack.auth.addr());
    let options =
        ResourceOptions::new(relay.url()).env("RS_REVOCATION_MAX_STALENESS", MAX_STALENESS.as_secs().to_string());
    let resource = ResourceServer::start(options).await;
    let api = resource.api();
    // The test's own client reaches the auth server directly: only the resource
    // server's link is broken.
    let client = stack.client();
    let alice_login = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
    let bob_login = client.token_password(WEB_APP, BOB, BOB_PASSWORD, None).await;
    let alice = Credentials::Bearer(alice_login.access_token());
    let bob = Credentials::Bearer(bob_login.access_token());
    assert_eq!(api.me(alice).await.status, 200, "alice's token before the fault");

    let outcomes: RefCell<BTreeMap<String, usize>> = RefCell::new(BTreeMap::new());
    // Staleness counts from the last contact, which may precede the fault.
    let faulted = Instant::now();
    let metrics = metrics_text(&resource.ops_url()).await;
    let since_contact = contact_age(&metrics).unwrap_or_else(|| panic!("no feed contact age in {metrics}"));
    match fault {
        LinkFault::Cut => relay.cut(),
        LinkFault::Hold => relay.hold(Direction::ToClient),
    }
    let revoked = client.revoke(alice_login.access_token(), ClientAuth::Public(WEB_APP)).await;
    assert_eq!(revoked.status, 200, "revoked during the fault: {revoked:?}");

    let stale = try_poll_until(DEADLINE, || {
        let api = &api;
        let outcomes = &outcomes;
        async move {
            let reply = api.me(bob).await;
            *outcomes.borrow_mut().entry(format!("fault {}", reply.status)).or_default() += 1;
            (reply.status != 200).then_some(reply)
        }
    })
    .await
    .unwrap_or_else(|| panic!("{fault:?}: still trusted {DEADLINE:?} after the fault"));
    let stale_after = faulted.elapsed();
    assert_eq!(stale.status, 503, "{fault:?}: a stale view refuses to judge: {stale:?}");
    assert!(stale.json["error"].is_string(), "a JSON error body: {stale:?}");
    assert!(
        stale_after + since_contact + ROUNDING >= MAX_STALENESS,
        "{fault:?}: 503 after {stale_after:?}, {since_contact:?} after the last contact, before the \
         {MAX_STALENESS:?} bound"
    );
    let ready = api.request(Method::GET, "/readyz", Credentials::None, None).await;
    assert_eq!(ready.status, 503, "{fault:?}: /readyz says the view is stale: {ready:?}");
    let revoked_now = api.me(alice).await;
    assert_eq!(revoked_now.status, 503, "{fault:?}: the revoked token while stale: {revoked_now:?}");

    let restored = Instant::now();
    match fault {
        LinkFault::Cut => relay.route_to(stack.auth.addr()),
        LinkFault::Hold => relay.release(),
    }
    let recovered = try_poll_until(DEADLINE, || {
        let api = &api;
        let outcomes = &outcomes;
        async move {
            // The revoked token is checked first: from the moment the view is trusted
            // again, it must hold the revocation made during the fault.
            let revoked = api.me(alice).await;
            *outcomes.borrow_mut().entry(format!("after, revoked {}", revoked.status)).or_default() += 1;
            assert_ne!(revoked.status, 200, "{fault:?}: a token revoked during the fault accepted after it");
            let reply = api.me(bob).await;
            *outcomes.borrow_mut().entry(format!("after, live {}", reply.status)).or_default() += 1;
            (reply.status == 200).then_some(())
        }
    })
    .await;
    let recovery = restored.elapsed();
    assert!(recovered.is_some(), "{fault:?}: not trusted again {DEADLINE:?} after the link returned");
    let refused = api.me(alice).await;
    assert_eq!(
        (refused.status, refused.json["error"].as_str()),
        (401, Some("invalid_token")),
        "{fault:?}: the token revoked during the fault: {refused:?}"
    );
    let ready = api.request(Method::GET, "/readyz", Credentials::None, None).await;
    assert_eq!(ready.status, 200, "{fault:?}: ready again without a restart: {ready:?}");
    eprintln!(
        "faults::resource_cut ({fault:?}): 503 after {stale_after:?} ({since_contact:?} since the last contact before; bound {MAX_STALENESS:?}), trusted again \
         {recovery:?} after the link returned; outcomes {:?}",
        outcomes.borrow()
    );
}

#[tokio::test]
async fn a_resource_server_cut_off_goes_503_after_its_bound_and_recovers_without_restart() {
    scenario(LinkFault::Cut).await;
}

#[tokio::test]
async fn a_resource_server_behind_a_silent_partition_goes_503_and_recovers_without_restart() {
    scenario(LinkFault::Hold).await;
}
