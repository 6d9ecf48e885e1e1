//! Brute-force throttling of the password grant (RFC 6749 §4.3.2): only failed
//! attempts count, per username and per client address, in budgets the store keeps
//! (shared by replicas on one Redis); a spray of made-up usernames never starves
//! known users; over-long usernames are refused before any work.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use tests::bootstrap::*;
use tests::client::{form_encode, FORM};
use tests::{poll_until, AuthStack, OAuthClient, Reply, Store};

use crate::support::*;

const WRONG_PASSWORD: &str = "not-the-password";
/// The server's answer to a wrong password or an unknown user.
const INVALID: &str = "invalid username or password";
/// The server's answer once a budget is spent.
const THROTTLED: &str = "too many failed login attempts; try again later";

/// A password-grant login by `web-app`, sent as if through a proxy that saw the client
/// at `forwarded_for` (believed only when the server trusts the proxy).
async fn login(client: &OAuthClient, forwarded_for: Option<&str>, username: &str, password: &str) -> Reply {
    let body = form_encode(&[
        ("grant_type", "password"),
        ("client_id", WEB_APP),
        ("username", username),
        ("password", password),
    ]);
    let headers: Vec<(&str, &str)> = forwarded_for.map(|address| ("x-forwarded-for", address)).into_iter().collect();
    client.post_token_raw(Some(FORM), body.into_bytes(), &headers).await
}

fn assert_refused(reply: &Reply, description: &str, what: &str) {
    assert_oauth_error(reply, 400, "invalid_grant");
    assert_eq!(reply.json["error_description"], description, "{what}: {reply:?}");
}

fn assert_logged_in(reply: &Reply, what: &str) {
    assert_eq!(reply.status, 200, "{what}: {reply:?}");
}

/// A prefix no other run uses, for made-up usernames.
fn run_prefix() -> String {
    let mut bytes = [0u8; 6];
    openssl::rand::rand_bytes(&mut bytes).expect("random bytes");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

on_both_stores! {
    /// A user who knows the password is never throttled: 25 logins within a minute on
    /// default settings (10 failures per username per minute).
    async fn successful_logins_are_never_throttled(store: Store) {
        let stack = AuthStack::start(store).await;
        let client = stack.client();
        for n in 1..=25 {
            assert_logged_in(&client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await, &format!("login {n}"));
        }
    }
}

on_both_stores! {
    /// Ten failures for a username spend its budget: even the right password is then
    /// refused, unknown usernames alike; a success before that resets the count, and
    /// other usernames keep their own budgets.
    async fn failures_are_throttled_per_username(store: Store) {
        let stack = AuthStack::start(store).await;
        let client = stack.client();
        for n in 1..=9 {
            let reply = client.token_password(WEB_APP, ALICE, WRONG_PASSWORD, None).await;
            assert_refused(&reply, INVALID, &format!("failure {n}"));
        }
        assert_logged_in(&client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await, "after 9 failures");
        for n in 1..=10 {
            let reply = client.token_password(WEB_APP, ALICE, WRONG_PASSWORD, None).await;
            assert_refused(&reply, INVALID, &format!("failure {n} after the reset"));
        }
        let throttled = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        assert_refused(&throttled, THROTTLED, "the right password after 10 failures");
        assert_logged_in(&client.token_password(WEB_APP, BOB, BOB_PASSWORD, None).await, "another user");

        let unknown = format!("nobody-{}", run_prefix());
        for _ in 0..10 {
            assert_refused(&client.token_password(WEB_APP, &unknown, WRONG_PASSWORD, None).await, INVALID, "unknown");
        }
        let unknown_throttled = client.token_password(WEB_APP, &unknown, WRONG_PASSWORD, None).await;
        assert_eq!(unknown_throttled.body, throttled.body, "unknown usernames are throttled alike");
    }
}

on_both_stores! {
    /// Failures from one client address, across any usernames, spend that address's
    /// budget; other addresses are unaffected. Behind a trusted proxy the address is
    /// the one it forwards.
    async fn failures_are_throttled_per_address(store: Store) {
        let stack = AuthStack::start_with(store, |o| {
            o.env("AUTH_TRUSTED_PROXIES", "127.0.0.1").env("AUTH_LOGIN_ADDRESS_FAILURES_PER_MINUTE", "5")
        })
        .await;
        let client = stack.client();
        let (attacker, neighbour) = (Some("198.51.100.1"), Some("198.51.100.2"));
        let prefix = run_prefix();
        for n in 0..5 {
            let reply = login(&client, attacker, &format!("guess-{prefix}-{n}"), WRONG_PASSWORD).await;
            assert_refused(&reply, INVALID, &format!("failure {n}"));
        }
        assert_refused(&login(&client, attacker, ALICE, ALICE_PASSWORD).await, THROTTLED, "the spent address");
        assert_logged_in(&login(&client, neighbour, ALICE, ALICE_PASSWORD).await, "another address");
        assert_logged_in(&login(&client, None, ALICE, ALICE_PASSWORD).await, "the proxy itself");
    }
}

/// Without trusted proxies `X-Forwarded-For` is the client's own claim: ignored, so a
/// guesser cannot buy fresh budgets by writing a new address into it.
#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_is_ignored() {
    let stack = AuthStack::start_with(Store::Embedded, |o| o.env("AUTH_LOGIN_ADDRESS_FAILURES_PER_MINUTE", "3")).await;
    let client = stack.client();
    let prefix = run_prefix();
    for n in 0..3 {
        let forged = format!("203.0.113.{n}");
        let reply = login(&client, Some(&forged), &format!("guess-{prefix}-{n}"), WRONG_PASSWORD).await;
        assert_refused(&reply, INVALID, &format!("failure {n}"));
    }
    let reply = login(&client, Some("203.0.113.99"), ALICE, ALICE_PASSWORD).await;
    assert_refused(&reply, THROTTLED, "a fresh forged address");
}

/// Replicas on one Redis count failures together: five at each replica spend the
/// username's budget of ten at both, and an address's failures at either count at both.
#[tokio::test]
async fn replicas_share_the_budgets() {
    let stack = AuthStack::start_with(Store::Redis, |o| {
        o.env("AUTH_TRUSTED_PROXIES", "127.0.0.1").env("AUTH_LOGIN_ADDRESS_FAILURES_PER_MINUTE", "6")
    })
    .await;
    let replica = stack.start_replica(|o| o).await;
    let clients = [stack.client(), OAuthClient::new(replica.base_url())];

    for n in 0..10 {
        // A fresh address each time: only the username's budget is spent.
        let address = format!("198.51.100.{}", 10 + n);
        let reply = login(&clients[n % 2], Some(&address), ALICE, WRONG_PASSWORD).await;
        assert_refused(&reply, INVALID, &format!("failure {n}"));
    }
    for (n, client) in clients.iter().enumerate() {
        let reply = login(client, Some("198.51.100.99"), ALICE, ALICE_PASSWORD).await;
        assert_refused(&reply, THROTTLED, &format!("alice at replica {}", n + 1));
    }

    let prefix = run_prefix();
    for n in 0..6 {
        let reply =
            login(&clients[n % 2], Some("198.51.100.200"), &format!("guess-{prefix}-{n}"), WRONG_PASSWORD).await;
        assert_refused(&reply, INVALID, &format!("address failure {n}"));
    }
    for (n, client) in clients.iter().enumerate() {
        let reply = login(client, Some("198.51.100.200"), BOB, BOB_PASSWORD).await;
        assert_refused(&reply, THROTTLED, &format!("bob from the spent address at replica {}", n + 1));
        let reply = login(client, Some("198.51.100.201"), BOB, BOB_PASSWORD).await;
        assert_logged_in(&reply, &format!("bob from another address at replica {}", n + 1));
    }
}

/// Usernames no user can have (over 255 bytes) are malformed requests, refused before
/// any store or hashing work: they do not even count against the address's budget.
#[tokio::test]
async fn overlong_usernames_are_refused_before_any_work() {
    let stack = AuthStack::start_with(Store::Embedded, |o| o.env("AUTH_LOGIN_ADDRESS_FAILURES_PER_MINUTE", "2")).await;
    let client = stack.client();
    for too_long in ["a".repeat(256), "é".repeat(128), "x".repeat(8_000)] {
        let reply = client.token_password(WEB_APP, &too_long, WRONG_PASSWORD, None).await;
        assert_oauth_error(&reply, 400, "invalid_request");
        assert_eq!(reply.json["error_description"], "username must be at most 255 bytes", "{reply:?}");
    }
    // The longest possible name is just a name: unknown, one failure.
    let longest = client.token_password(WEB_APP, &"a".repeat(255), WRONG_PASSWORD, None).await;
    assert_refused(&longest, INVALID, "a 255-byte username");
    assert_logged_in(&client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await, "the budget is not spent");
}

/// Requests a spray sends at once: more than the hashing queue of one thread holds.
const SPRAY_PARALLELISM: usize = 64;
const SPRAY_SIZE: usize = 5_000;

/// Sends `SPRAY_SIZE` wrong-password logins for made-up usernames, `SPRAY_PARALLELISM`
/// at a time, from the address `address(n)` of the n-th; every answer must be
/// `invalid_grant` (never a 503). Counts sent logins in `sent`.
async fn spray(client: &OAuthClient, address: fn(usize) -> String, sent: Arc<AtomicUsize>) {
    let prefix = run_prefix();
    let next = Arc::new(AtomicUsize::new(0));
    let workers = (0..SPRAY_PARALLELISM).map(|_| {
        let (client, next, sent, prefix) = (client.clone(), next.clone(), sent.clone(), prefix.clone());
        tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= SPRAY_SIZE {
                    return;
                }
                let reply = login(&client, Some(&address(n)), &format!("spray-{prefix}-{n}"), WRONG_PASSWORD).await;
                assert_oauth_error(&reply, 400, "invalid_grant");
                sent.fetch_add(1, Ordering::Relaxed);
            }
        })
    });
    for worker in join_all(workers).await {
        worker.expect("a spray worker panicked");
    }
}

/// Logs the known user in repeatedly while `spray` runs (from an address of its own),
/// starting once the spray is under way; every login must succeed.
async fn known_user_during(client: &OAuthClient, spray: impl std::future::Future<Output = ()>, sent: &AtomicUsize) {
    let known = async {
        poll_until(Duration::from_secs(60), "the spray to get under way", || async {
            (sent.load(Ordering::Relaxed) >= SPRAY_PARALLELISM).then_some(())
        })
        .await;
        for n in 1..=5 {
            let reply = login(client, Some("192.0.2.10"), ALICE, ALICE_PASSWORD).await;
            assert_logged_in(&reply, &format!("known user's login {n} during the spray"));
        }
    };
    futures_util::future::join(spray, known).await;
    assert_eq!(sent.load(Ordering::Relaxed), SPRAY_SIZE);
    assert_logged_in(&login(client, Some("192.0.2.10"), ALICE, ALICE_PASSWORD).await, "after the spray");
}

on_both_stores! {
    /// A spray of made-up usernames, from one address and then from a fresh address per
    /// request through a trusted proxy, on one hashing thread: the known user's logins
    /// all succeed meanwhile. One address is stopped by its budget; many addresses by
    /// the unknown users' bounded share of the hashing pool.
    async fn a_username_spray_never_starves_known_users(store: Store) {
        let _heavy = tests::heavy::shared().await;
        let stack = AuthStack::start_with(store, |o| {
            o.env("AUTH_TRUSTED_PROXIES", "127.0.0.1").env("AUTH_PASSWORD_CONCURRENCY", "1")
        })
        .await;
        let client = stack.client();

        let sent = Arc::new(AtomicUsize::new(0));
        let one_address = spray(&client, |_| "198.51.100.7".to_owned(), sent.clone());
        known_user_during(&client, one_address, &sent).await;

        let sent = Arc::new(AtomicUsize::new(0));
        let many_addresses = spray(&client, |n| format!("10.{}.{}.{}", n >> 16 & 255, n >> 8 & 255, n & 255), sent.clone());
        known_user_during(&client, many_addresses, &sent).await;
    }
}
