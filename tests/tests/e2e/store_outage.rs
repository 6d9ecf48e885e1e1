//! While Redis is unreachable, requests fail fast with 503 `temporarily_unavailable`
//! and `Retry-After`, and `/readyz` says not ready at once, instead of waiting for
//! Redis to come back; once it does, both recover and nothing was changed meanwhile.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tests::bootstrap::*;
use tests::{poll_until, AuthOptions, AuthServer, OAuthClient, RedisServer, Relay};

use super::support::assert_oauth_error;

/// Far above the store's ~1 s bound on any call, far below the many seconds callers
/// waited for the connection manager's reconnection attempts.
const ANSWER_DEADLINE: Duration = Duration::from_secs(4);
/// Requests made while Redis is cut: the first ones may meet a reconnection attempt.
const ROUNDS: usize = 4;
const RECOVERY_TIMEOUT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn an_unreachable_redis_fails_fast_and_recovers() {
    let redis = RedisServer::start().await;
    let redis_addr = SocketAddr::from(([127, 0, 0, 1], redis.port()));
    let relay = Relay::start().await;
    relay.route_to(redis_addr);
    let options = AuthOptions::redis(&redis).env("REDIS_URL", format!("redis://{}", relay.addr()));
    let auth = AuthServer::start(options).await;
    let client = OAuthClient::new(auth.base_url());
    let login = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
    assert_eq!(login.status, 200, "{login:?}");
    let refresh_token = login.str("refresh_token").to_owned();

    relay.cut();
    for round in 1..=ROUNDS {
        let started = Instant::now();
        let refresh = client.token_refresh(WEB_APP, &refresh_token).await;
        let took = started.elapsed();
        eprintln!("round {round}: refresh answered {} in {took:?} with Redis unreachable", refresh.status);
        assert_oauth_error(&refresh, 503, "temporarily_unavailable");
        assert!(refresh.header("retry-after").is_some(), "503 says when to retry: {refresh:?}");
        assert!(took < ANSWER_DEADLINE, "the refresh waited {took:?} for Redis");

        let started = Instant::now();
        let ready = client.get("/readyz").await;
        let took = started.elapsed();
        eprintln!("round {round}: /readyz answered {} in {took:?} with Redis unreachable", ready.status);
        assert_eq!(ready.status, 503, "{ready:?}");
        assert!(took < ANSWER_DEADLINE, "/readyz waited {took:?} for Redis");
    }

    relay.route_to(redis_addr);
    poll_until(RECOVERY_TIMEOUT, "/readyz to answer 200 once Redis is back", || {
        let ready = client.get("/readyz");
        async move { (ready.await.status == 200).then_some(()) }
    })
    .await;
    // The failed refreshes changed nothing: the refresh token is still the current one.
    let refreshed = poll_until(RECOVERY_TIMEOUT, "a refresh to succeed once Redis is back", || {
        let refresh = client.token_refresh(WEB_APP, &refresh_token);
        async move {
            let refresh = refresh.await;
            match refresh.status {
                503 => None,
                _ => Some(refresh),
            }
        }
    })
    .await;
    assert_eq!(refreshed.status, 200, "{refreshed:?}");
}
