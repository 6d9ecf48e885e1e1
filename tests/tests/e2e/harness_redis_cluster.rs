//! The harness's Redis Cluster and TLS Redis: a cluster forms, answers through any
//! node, computes slots as `key_slot` does, survives the loss of a primary and is gone
//! on drop; a TLS Redis speaks TLS only, with a certificate of the test's own CA.

use std::sync::Arc;
use std::time::Duration;

use tests::key_slot::key_slot;
use tests::resp::{self, Connection, Endpoint, Reply};
use tests::{poll_until, RedisCluster, RedisServer, TlsFiles};

const DEADLINE: Duration = Duration::from_secs(30);

/// Waits until no process listens on any of `ports` any more.
async fn await_closed(ports: &[u16]) {
    for &port in ports {
        poll_until(DEADLINE, &format!("port {port} to close"), || async move {
            tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err().then_some(())
        })
        .await;
    }
}

#[tokio::test]
async fn a_cluster_forms_routes_by_slot_and_a_replica_takes_over_a_killed_primary() {
    let mut cluster = RedisCluster::start().await;
    let ports = cluster.ports();
    assert_eq!(cluster.urls().len(), 6);
    assert!(cluster.urls().iter().all(|url| url.starts_with("redis://127.0.0.1:")), "{:?}", cluster.urls());
    let primaries = cluster.primaries().await;
    assert_eq!(primaries.len(), 3, "three primaries: {primaries:?}");
    for key in ["foo", "as:{u:alice}", "as:{rev}:log", "{user1000}.following", "a{}b", ""] {
        assert_eq!(cluster.slot_of(key).await, key_slot(key.as_bytes()), "the slot of {key:?}");
    }

    // Written through one node and read through another, neither of which serves it.
    let key = "harness:{cluster}";
    let primary = cluster.primary_of_key(key).await;
    let others: Vec<u16> = ports.iter().copied().filter(|port| *port != primary).collect();
    match cluster.command_on(others[0], &["GET", key]).await {
        Reply::Error(moved) => assert!(moved.ends_with(&format!(":{primary}")), "redirected to {primary}: {moved}"),
        other => panic!("a node not serving the slot redirects: {other:?}"),
    }
    assert_eq!(cluster.cli_on(others[0], &["SET", key, "v1"]).await, "OK");
    assert_eq!(cluster.cli_on(others[1], &["GET", key]).await, "v1");

    // The primary's replica has the key before its primary goes.
    let replica = cluster.replica_of(primary).await;
    let endpoint = cluster.endpoint(replica).clone();
    poll_until(DEADLINE, "the key on the replica", || {
        let endpoint = endpoint.clone();
        async move {
            let mut connection = Connection::connect(&endpoint).await.ok()?;
            connection.command(&["READONLY"]).await.ok()?;
            let value = connection.command(&["GET", key]).await.ok()?;
            (value.text().as_deref() == Some("v1")).then_some(())
        }
    })
    .await;
    assert_eq!(cluster.kill_primary_of_key(key).await, primary);
    cluster.wait_until_healthy().await;
    assert_eq!(cluster.primary_of_key(key).await, replica, "the replica took over the slot");
    assert_eq!(cluster.primaries().await.len(), 3, "three primaries again");
    assert_eq!(cluster.cli(&["GET", key]).await, "v1", "the value survived");

    drop(cluster);
    await_closed(&ports).await;
}

#[tokio::test]
async fn a_tls_redis_answers_over_tls_only_with_a_certificate_of_the_tests_ca() {
    let tls = Arc::new(TlsFiles::generate());
    let redis = RedisServer::start_tls(&tls).await;
    assert_eq!(redis.url(), format!("rediss://127.0.0.1:{}", redis.port()));
    assert!(redis.ping().await, "PING over TLS");
    assert_eq!(redis.command(&["SET", "harness", "ok"]).await, "+OK\r\n");
    let plain = resp::command(&Endpoint::plain(redis.port()), &["PING"]).await;
    assert!(plain.is_err(), "plain text on the TLS port gets no answer: {plain:?}");
    let stranger = TlsFiles::generate();
    let untrusted = resp::command(&Endpoint::tls(redis.port(), stranger.ca_pem()), &["PING"]).await;
    let error = untrusted.expect_err("a certificate of another CA is refused").to_string();
    assert!(error.contains("TLS handshake"), "{error}");
}

#[tokio::test]
async fn a_tls_cluster_forms_and_routes_over_tls() {
    let tls = Arc::new(TlsFiles::generate());
    let cluster = RedisCluster::start_tls(&tls).await;
    assert!(cluster.urls().iter().all(|url| url.starts_with("rediss://127.0.0.1:")), "{:?}", cluster.urls());
    let key = "harness:{tls}";
    let primary = cluster.primary_of_key(key).await;
    let others: Vec<u16> = cluster.ports().into_iter().filter(|port| *port != primary).collect();
    assert_eq!(cluster.cli_on(others[0], &["SET", key, "v1"]).await, "OK");
    assert_eq!(cluster.cli_on(others[1], &["GET", key]).await, "v1");
    let plain = resp::command(&Endpoint::plain(primary), &["GET", key]).await;
    assert!(plain.is_err(), "no plain-text port: {plain:?}");
}
