//! Graceful shutdown on SIGTERM (what `docker compose stop` sends): the auth server
//! closes its revocation feed streams instead of waiting for them to end (they never
//! do), drains and exits; the resource server drains and exits.

use std::time::{Duration, Instant};

use tests::{poll_until, AuthStack, ResourceOptions, ResourceServer, Store, Verify};

use super::key_support::{metrics_text, sample};

/// The servers promise to exit within 2 s (a drain of at most 1 s); one more second
/// for a loaded machine. Open feed streams used to hold the auth server until actix's
/// 30 s shutdown timeout.
const EXIT_DEADLINE: Duration = Duration::from_secs(3);
const SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn sigterm_stops_the_auth_server_promptly_despite_feed_subscribers() {
    let _heavy = tests::heavy::shared().await;
    let mut stack = AuthStack::start(Store::Embedded).await;
    let mut local = ResourceServer::start(ResourceOptions::new(stack.base_url())).await;
    let introspect = ResourceServer::start(ResourceOptions::new(stack.base_url()).verify(Verify::Introspect)).await;
    let ops_url = stack.ops_url();
    poll_until(SUBSCRIBE_TIMEOUT, "both resource servers subscribed to the feed", || {
        let ops_url = ops_url.clone();
        async move {
            let text = metrics_text(&ops_url).await;
            (sample(&text, "auth_revocation_feed_subscribers") == Some(2)).then_some(())
        }
    })
    .await;

    let started = Instant::now();
    let status = stack.auth.terminate(EXIT_DEADLINE).await;
    let took = started.elapsed();
    eprintln!("auth server exited {took:?} after SIGTERM with two feed subscribers");
    let status = status.unwrap_or_else(|| panic!("the auth server still ran {EXIT_DEADLINE:?} after SIGTERM"));
    assert!(status.success(), "the auth server exits with success on SIGTERM: {status}\n{}", stack.auth.log());
    let log = stack.auth.log();
    assert!(log.contains("SIGTERM received"), "the shutdown is logged:\n{log}");

    let started = Instant::now();
    let status = local.terminate(EXIT_DEADLINE).await;
    let took = started.elapsed();
    eprintln!("resource server exited {took:?} after SIGTERM");
    let status = status.unwrap_or_else(|| panic!("the resource server still ran {EXIT_DEADLINE:?} after SIGTERM"));
    assert!(status.success(), "the resource server exits with success on SIGTERM: {status}\n{}", local.log());
    drop(introspect);
}
