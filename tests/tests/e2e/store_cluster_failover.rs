//! The auth server on a Redis Cluster loses a primary: the primary serving the
//! client records (`as:{clients}`, read by every token request) is killed, its
//! replica takes over, and the server, having learnt the new layout, issues and
//! refreshes tokens again. Requests may fail while the cluster has no primary for
//! that slot (a 503 then); the test waits, with a deadline, for the first login that
//! succeeds, then requires the next ones to.

use std::time::Duration;

use tests::bootstrap::*;
use tests::{poll_until, AuthStack, Store};

/// The client records' key: every token request reads it.
const CLIENTS_KEY: &str = "as:{clients}";
/// How long after the cluster is healthy again the server may take to follow it.
const RECOVERY: Duration = Duration::from_secs(60);
/// Between two logins that failed while the server had not followed yet.
const PAUSE: Duration = Duration::from_millis(200);

#[tokio::test]
async fn the_auth_server_serves_again_once_a_replica_took_over_a_killed_primary() {
    let mut stack = AuthStack::start(Store::RedisCluster).await;
    let client = stack.client();
    let before = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
    assert_eq!(before.status, 200, "{before:?}");

    let cluster = stack.cluster.as_mut().expect("a cluster stack");
    let killed = cluster.kill_primary_of_key(CLIENTS_KEY).await;
    cluster.wait_until_healthy().await;
    assert_ne!(cluster.primary_of_key(CLIENTS_KEY).await, killed, "a replica took over");

    let first = poll_until(RECOVERY, "a login once the cluster is healthy again", || async {
        let login = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        if login.status != 200 {
            tokio::time::sleep(PAUSE).await;
        }
        (login.status == 200).then_some(login)
    })
    .await;
    let refreshed = client.token_refresh(WEB_APP, first.refresh_token()).await;
    assert_eq!(refreshed.status, 200, "a refresh after the failover: {refreshed:?}");
    let again = client.token_password(WEB_APP, BOB, BOB_PASSWORD, None).await;
    assert_eq!(again.status, 200, "another login after the failover: {again:?}");
}
