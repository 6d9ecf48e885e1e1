//! The harness itself: a private Redis comes up on its own port and is gone on drop.

use std::time::Duration;

use tests::{poll_until, RedisServer};

#[tokio::test]
async fn redis_server_answers_ping_and_stops_on_drop() {
    let redis = RedisServer::start().await;
    assert_eq!(redis.url(), format!("redis://127.0.0.1:{}", redis.port()));
    assert!(redis.ping().await, "a started redis answers PING");
    assert_eq!(redis.command(&["SET", "harness", "ok"]).await, "+OK\r\n");
    let port = redis.port();
    drop(redis);
    poll_until(Duration::from_secs(10), "the dropped redis-server to stop listening", || async move {
        tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err().then_some(())
    })
    .await;
}

#[tokio::test]
async fn each_redis_server_is_private() {
    let first = RedisServer::start().await;
    let second = RedisServer::start().await;
    assert_ne!(first.port(), second.port());
    assert_ne!(first.dir(), second.dir());
    assert_eq!(first.command(&["SET", "owner", "first"]).await, "+OK\r\n");
    assert_eq!(first.command(&["EXISTS", "owner"]).await, ":1\r\n", "the first instance holds its key");
    assert_eq!(second.command(&["EXISTS", "owner"]).await, ":0\r\n", "the second instance does not see it");
}

#[tokio::test]
async fn the_jwks_helper_rejects_tampered_and_unknown_tokens() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use tests::bootstrap::*;
    use tests::{AuthStack, Jwks, Store};

    let stack = AuthStack::start(Store::Embedded).await;
    let client = stack.client();
    let token = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
    let token = token.access_token();
    let jwks = Jwks::fetch(&client).await;
    assert!(jwks.verify(token).is_ok());

    let parts: Vec<&str> = token.split('.').collect();
    let forged_claims = URL_SAFE_NO_PAD.encode(br#"{"sub":"mallory"}"#);
    let forged = format!("{}.{forged_claims}.{}", parts[0], parts[2]);
    assert!(jwks.verify(&forged).is_err(), "a changed payload must not verify");
    let unknown_kid = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"at+jwt","kid":"nope"}"#);
    let unknown = format!("{unknown_kid}.{}.{}", parts[1], parts[2]);
    assert!(jwks.verify(&unknown).unwrap_err().contains("no key"));
}
