//! Following the revocation feed of a stand-in auth server over a real socket:
//! snapshot, live events, resumption with `Last-Event-ID`, key revocation, staleness
//! and recovery, introspection-cache invalidation, pruning. Every wait polls with a
//! deadline; no assertion depends on timing beyond "eventually".

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use shared_claims::poll::{poll_until, wait_until};
use shared_claims::unix_now;

use super::DEADLINE;
use crate::test_support::fake_auth::{CLIENT_ID, CLIENT_SECRET};
use crate::test_support::fake_feed::{FeedConnection, FeedMode, SnapshotFault};
use crate::test_support::{claims, exposition, jwks, render_metrics, FakeAuthServer, TestKey, AUDIENCE};
use crate::verify::{BuildError, ClientCredentials, Verifier, VerifyError};
use crate::Secret;

fn credentials() -> ClientCredentials {
    ClientCredentials::new(CLIENT_ID, Secret::new(CLIENT_SECRET))
}

/// Claims with a chosen `jti` and `sid`.
fn claims_with(jti: &str, sid: &str) -> Value {
    let mut claims = claims();
    claims["jti"] = jti.into();
    claims["sid"] = sid.into();
    claims
}

fn notice(mut revocation: Value) -> Value {
    revocation["expires_at"] = (unix_now() + 300).into();
    revocation
}

async fn local_following(auth: &FakeAuthServer, max_staleness: Duration) -> Verifier {
    let verifier =
        Verifier::builder(AUDIENCE).revocation_feed(credentials(), max_staleness).local(auth.base_url()).unwrap();
    wait_until(DEADLINE, "keys and a live feed", || verifier.is_ready()).await;
    verifier
}

async fn is_revoked(verifier: &Verifier, token: &str) -> bool {
    matches!(verifier.verify(token).await, Err(VerifyError::Revoked))
}

/// For [`poll_until`]: `Some` once `token` is refused as revoked.
async fn revoked(verifier: &Verifier, token: &str) -> Option<()> {
    is_revoked(verifier, token).await.then_some(())
}

#[actix_web::test]
async fn applies_the_snapshot_then_live_events() {
    let auth = FakeAuthServer::start_with_feed(jwks(&[TestKey::shared()])).await;
    auth.publish(notice(json!({"type": "token", "jti": "before-start"})));
    let verifier = local_following(&auth, Duration::from_secs(30)).await;
    assert_eq!(verifier.revocation_feed_live(), Some(true));

    let key = TestKey::shared();
    let revoked_early = key.access_token(&claims_with("before-start", "s1"));
    assert_eq!(verifier.verify(&revoked_early).await.unwrap_err(), VerifyError::Revoked);
    let token = key.access_token(&claims_with("live", "s2"));
    verifier.verify(&token).await.unwrap();
    verifier.verify(&token).await.unwrap();
    assert_eq!(verifier.metrics().cache_hits(), 1);

    auth.publish(notice(json!({"type": "token", "jti": "live"})));
    poll_until(DEADLINE, "the live revocation", || revoked(&verifier, &token)).await;
    assert!(verifier.metrics().revocation_feed_events() >= 2);
    assert_eq!(auth.feed_connections()[0], FeedConnection { last_event_id: None, resumed: false });
    auth.stop().await;
}

#[actix_web::test]
async fn reconnects_with_last_event_id_and_resumes() {
    let auth = FakeAuthServer::start_with_feed(jwks(&[TestKey::shared()])).await;
    let verifier = local_following(&auth, Duration::from_secs(30)).await;
    let key = TestKey::shared();
    let first = key.access_token(&claims_with("j1", "s1"));
    let second = key.access_token(&claims_with("j2", "s2"));

    let cursor = auth.publish(notice(json!({"type": "token", "jti": "j1"})));
    poll_until(DEADLINE, "the first revocation", || revoked(&verifier, &first)).await;

    // Cut the stream and keep the follower out while a revocation happens.
    auth.set_feed_mode(FeedMode::Refuse);
    auth.drop_feed_connections();
    auth.publish(notice(json!({"type": "session", "sid": "s2"})));
    verifier.verify(&second).await.unwrap();
    auth.set_feed_mode(FeedMode::Live);

    poll_until(DEADLINE, "the revocation missed while disconnected", || revoked(&verifier, &second)).await;
    let connections = auth.feed_connections();
    assert_eq!(connections.last(), Some(&FeedConnection { last_event_id: Some(cursor), resumed: true }));
    assert!(verifier.metrics().revocation_feed_reconnects() >= 1);
    assert!(is_revoked(&verifier, &first).await, "the resumed view still holds earlier revocations");
    auth.stop().await;
}

/// A stale view is trusted again only once the reconnection has caught up: a
/// revocation made while the feed was silent is in force from the first moment the
/// server is ready again, however the stream's first bytes are split.
#[actix_web::test]
async fn a_resumed_connection_restores_trust_only_after_its_catch_up() {
    let auth = FakeAuthServer::start_with_feed(jwks(&[TestKey::shared()])).await;
    let verifier = local_following(&auth, Duration::from_secs(3)).await;
    let token = TestKey::shared().access_token(&claims_with("held", "s1"));
    verifier.verify(&token).await.unwrap();

    auth.set_feed_mode(FeedMode::Silent);
    wait_until(DEADLINE, "the view to turn stale", || !verifier.is_ready()).await;
    auth.publish(notice(json!({"type": "token", "jti": "held"})));
    auth.set_feed_mode(FeedMode::SlowCatchUp);
    auth.drop_feed_connections();

    let start = Instant::now();
    while !verifier.is_ready() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for the feed to recover");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(
        verifier.verify(&token).await.unwrap_err(),
        VerifyError::Revoked,
        "ready again before the revocation made during the silence was in"
    );
    let connections = auth.feed_connections();
    assert!(connections.last().is_some_and(|c| c.resumed), "it resumed: {connections:?}");
    auth.stop().await;
}

fn unavailable(result: Result<std::sync::Arc<shared_claims::AccessClaims>, VerifyError>) -> bool {
    matches!(result, Err(VerifyError::Unavailable(_)))
}

/// M1 (a): a revocation event that arrives unreadable is not skipped past: the view
/// stops being trusted (503), the cursor is not moved past it, and the follower
/// reconnects without a cursor; the fresh snapshot carries the revocation.
#[actix_web::test]
async fn an_unreadable_revocation_event_is_recovered_from_a_fresh_snapshot() {
    let auth = FakeAuthServer::start_with_feed(jwks(&[TestKey::shared()])).await;
    let verifier = local_following(&auth, Duration::from_secs(30)).await;
    let key = TestKey::shared();
    let garbled = key.access_token(&claims_with("garbled", "s1"));
    let bystander = key.access_token(&claims_with("bystander", "s2"));
    verifier.verify(&garbled).await.unwrap();

    // Hold the gap open: the snapshots that would close it are unreadable for now.
    auth.set_snapshot_fault(SnapshotFault::Unreadable);
    auth.publish_garbled(notice(json!({"type": "token", "jti": "garbled"})));
    wait_until(DEADLINE, "the view to be distrusted", || !verifier.is_ready()).await;
    assert_eq!(verifier.revocation_feed_live(), Some(false));
    assert!(unavailable(verifier.verify(&garbled).await), "local mode answers 503, not 200");
    assert!(unavailable(verifier.verify(&bystander).await));
    wait_until(DEADLINE, "a reconnection", || auth.feed_connections().len() >= 2).await;

    auth.set_snapshot_fault(SnapshotFault::None);
    poll_until(DEADLINE, "the garbled revocation, from a fresh snapshot", || revoked(&verifier, &garbled)).await;
    verifier.verify(&bystander).await.unwrap();
    let connections = auth.feed_connections();
    assert_eq!(connections[0], FeedConnection { last_event_id: None, resumed: false });
    for connection in &connections[1..] {
        assert_eq!(connection, &FeedConnection { last_event_id: None, resumed: false }, "{connections:?}");
    }
    auth.stop().await;
}

/// M1 (b): a snapshot holding a notice we cannot read never makes the view trusted;
/// the follower asks again (without a cursor) until a complete one arrives.
#[actix_web::test]
async fn a_snapshot_with_an_unreadable_notice_never_makes_the_feed_live() {
    let auth = FakeAuthServer::start_with_feed(jwks(&[TestKey::shared()])).await;
    auth.publish(notice(json!({"type": "token", "jti": "before-start"})));
    auth.set_snapshot_fault(SnapshotFault::UnreadableNotice);
    let verifier = Verifier::builder(AUDIENCE)
        .revocation_feed(credentials(), Duration::from_secs(30))
        .local(auth.base_url())
        .unwrap();
    wait_until(DEADLINE, "two incomplete snapshots", || auth.feed_connections().len() >= 2).await;
    wait_until(DEADLINE, "the key set", || auth.jwks_fetches() >= 1).await;
    assert_eq!(verifier.revocation_feed_live(), Some(false));
    assert!(!verifier.is_ready());
    let key = TestKey::shared();
    let revoked = key.access_token(&claims_with("before-start", "s1"));
    let fine = key.access_token(&claims_with("fine", "s2"));
    assert!(unavailable(verifier.verify(&fine).await));
    for connection in auth.feed_connections() {
        assert_eq!(connection, FeedConnection { last_event_id: None, resumed: false });
    }

    auth.set_snapshot_fault(SnapshotFault::None);
    wait_until(DEADLINE, "a complete snapshot", || verifier.is_ready()).await;
    assert_eq!(verifier.verify(&revoked).await.unwrap_err(), VerifyError::Revoked);
    verifier.verify(&fine).await.unwrap();
    auth.stop().await;
}

/// M1 (c): an unreadable (or incomplete) snapshot on a connection that resumed does
/// not leave the old view trusted, nor let later events move the cursor past the gap:
/// 503 until a complete snapshot, which carries what happened meanwhile.
#[actix_web::test]
async fn a_bad_snapshot_on_a_resumed_connection_distrusts_the_view_until_a_good_one() {
    for fault in [SnapshotFault::Unreadable, SnapshotFault::UnreadableNotice] {
        let auth = FakeAuthServer::start_with_feed(jwks(&[TestKey::shared()])).await;
        let verifier = local_following(&auth, Duration::from_secs(30)).await;
        let key = TestKey::shared();
        let first = key.access_token(&claims_with("first", "s1"));
        let during = key.access_token(&claims_with("during", "s2"));
        let cursor = auth.publish(notice(json!({"type": "token", "jti": "first"})));
        poll_until(DEADLINE, "the first revocation", || revoked(&verifier, &first)).await;

        // The cursor is "too old" now: the next connection gets a (bad) snapshot.
        auth.set_always_snapshot(true);
        auth.set_snapshot_fault(fault);
        auth.drop_feed_connections();
        wait_until(DEADLINE, "the view to be distrusted", || !verifier.is_ready()).await;
        auth.publish(notice(json!({"type": "token", "jti": "during"})));
        wait_until(DEADLINE, "a reconnection without cursor", || auth.feed_connections().len() >= 3).await;
        assert!(unavailable(verifier.verify(&during).await), "{fault:?}: not accepted while the view is incomplete");
        let connections = auth.feed_connections();
        assert_eq!(connections[1], FeedConnection { last_event_id: Some(cursor), resumed: false }, "{fault:?}");
        for connection in &connections[2..] {
            assert_eq!(connection.last_event_id, None, "{fault:?}: {connections:?}");
        }

        auth.set_snapshot_fault(SnapshotFault::None);
        auth.set_always_snapshot(false);
        wait_until(DEADLINE, "a complete snapshot", || verifier.is_ready()).await;
        assert_eq!(verifier.verify(&during).await.unwrap_err(), VerifyError::Revoked, "{fault:?}");
        assert_eq!(verifier.verify(&first).await.unwrap_err(), VerifyError::Revoked, "{fault:?}");
        auth.stop().await;
    }
}

#[actix_web::test]
async fn a_revoked_key_refuses_its_tokens_even_from_the_cache() {
    let (one, two) = (TestKey::shared(), TestKey::other());
    let auth = FakeAuthServer::start_with_feed(jwks(&[one, two])).await;
    let verifier = local_following(&auth, Duration::from_secs(30)).await;
    let cached = one.access_token(&claims_with("k1", "s1"));
    verifier.verify(&cached).await.unwrap();
    verifier.verify(&cached).await.unwrap();
    assert_eq!(verifier.metrics().cache_hits(), 1);

    auth.publish(notice(json!({"type": "key", "kid": one.kid()})));
    poll_until(DEADLINE, "the key revocation", || revoked(&verifier, &cached)).await;
    assert!(is_revoked(&verifier, &one.access_token(&claims_with("k1-fresh", "s1"))).await);
    verifier.verify(&two.access_token(&claims_with("k2", "s1"))).await.unwrap();
    auth.stop().await;
}

#[actix_web::test]
async fn a_silent_feed_turns_local_mode_unavailable_until_it_is_back() {
    let auth = FakeAuthServer::start_with_feed(jwks(&[TestKey::shared()])).await;
    // 3 s: far above the stand-in's 100 ms keep-alives, so only silence turns it stale.
    let verifier = local_following(&auth, Duration::from_secs(3)).await;
    let token = TestKey::shared().access_token(&claims());
    verifier.verify(&token).await.unwrap();

    auth.set_feed_mode(FeedMode::Silent);
    wait_until(DEADLINE, "the view to turn stale", || !verifier.is_ready()).await;
    assert_eq!(verifier.revocation_feed_live(), Some(false));
    assert!(verifier.not_ready_reason().is_some_and(|why| why.contains("revocation feed")));
    let err = verifier.verify(&token).await.unwrap_err();
    assert!(matches!(err, VerifyError::Unavailable(_)), "{err:?}");
    assert_eq!(err.to_bearer_error().status(), 503);

    auth.set_feed_mode(FeedMode::Live);
    wait_until(DEADLINE, "the feed to recover", || verifier.is_ready()).await;
    verifier.verify(&token).await.unwrap();
    let metrics = render_metrics(&verifier);
    assert!(metrics.contains("rs_revocation_feed_live 1\n"), "{metrics}");
    exposition::check(&metrics).unwrap();
    auth.stop().await;
}

#[actix_web::test]
async fn expired_revocations_are_forgotten() {
    let auth = FakeAuthServer::start_with_feed(jwks(&[TestKey::shared()])).await;
    let verifier = Verifier::builder(AUDIENCE)
        .leeway_secs(0)
        .revocation_feed(credentials(), Duration::from_secs(30))
        .local(auth.base_url())
        .unwrap();
    wait_until(DEADLINE, "keys and a live feed", || verifier.is_ready()).await;
    // Three seconds: at least two whole seconds in which both are in force, whatever
    // the sub-second phase of the clock when this runs.
    auth.publish(json!({"type": "token", "jti": "short", "expires_at": unix_now() + 3}));
    auth.publish(notice(json!({"type": "token", "jti": "long"})));
    let in_force = |count: usize| render_metrics(&verifier).contains(&format!("rs_revocations_in_force {count}\n"));
    wait_until(DEADLINE, "both revocations", || in_force(2)).await;
    wait_until(DEADLINE, "the expired one to be pruned", || in_force(1)).await;
    auth.stop().await;
}

#[actix_web::test]
async fn without_a_feed_in_the_metadata_local_mode_is_not_ready() {
    let auth = FakeAuthServer::start(jwks(&[TestKey::shared()])).await;
    let verifier = Verifier::builder(AUDIENCE)
        .revocation_feed(credentials(), Duration::from_secs(30))
        .local(auth.base_url())
        .unwrap();
    let absent = || verifier.not_ready_reason().is_some_and(|why| why.contains("announces no revocation feed"));
    wait_until(DEADLINE, "the absent feed to be noticed", absent).await;
    wait_until(DEADLINE, "the key set", || auth.jwks_fetches() >= 1).await;
    let err = verifier.verify(&TestKey::shared().access_token(&claims())).await.unwrap_err();
    assert!(matches!(err, VerifyError::Unavailable(_)), "{err:?}");
    auth.stop().await;
}

#[actix_web::test]
async fn refused_credentials_never_make_the_feed_live() {
    let auth = FakeAuthServer::start_with_feed(jwks(&[TestKey::shared()])).await;
    let wrong = ClientCredentials::new(CLIENT_ID, Secret::new("wrong secret"));
    let verifier =
        Verifier::builder(AUDIENCE).revocation_feed(wrong, Duration::from_secs(30)).local(auth.base_url()).unwrap();
    wait_until(DEADLINE, "refused attempts", || verifier.metrics().revocation_feed_reconnects() >= 2).await;
    assert_eq!(verifier.revocation_feed_live(), Some(false));
    assert!(!verifier.is_ready());
    assert!(auth.feed_connections().is_empty(), "every attempt was refused at authentication");
    auth.stop().await;
}

fn active_answer(claims: &Value) -> Value {
    let mut answer = claims.clone();
    answer["active"] = true.into();
    answer["token_type"] = "access_token".into();
    answer
}

async fn introspection_following(auth: &FakeAuthServer, max_staleness: Duration) -> Verifier {
    let verifier = Verifier::builder(AUDIENCE)
        .revocation_feed(credentials(), max_staleness)
        .introspect(auth.base_url(), credentials())
        .unwrap();
    wait_until(DEADLINE, "discovery and a live feed", || {
        verifier.is_ready() && verifier.revocation_feed_live() == Some(true)
    })
    .await;
    verifier
}

#[actix_web::test]
async fn a_notice_refuses_a_cached_introspection_answer_at_once() {
    let auth = FakeAuthServer::start_with_feed(jwks(&[])).await;
    let verifier = introspection_following(&auth, Duration::from_secs(30)).await;
    auth.answer("opaque", active_answer(&claims_with("intro-1", "s1")));
    let signed = TestKey::shared().access_token(&claims_with("intro-2", "s2"));
    auth.answer(&signed, active_answer(&claims_with("intro-2", "s2")));
    for _ in 0..2 {
        verifier.verify("opaque").await.unwrap();
        verifier.verify(&signed).await.unwrap();
    }
    assert_eq!(auth.introspections(), 2);

    auth.publish(notice(json!({"type": "session", "sid": "s1"})));
    poll_until(DEADLINE, "the session revocation", || revoked(&verifier, "opaque")).await;
    auth.publish(notice(json!({"type": "key", "kid": TestKey::shared().kid()})));
    poll_until(DEADLINE, "the key revocation", || revoked(&verifier, &signed)).await;
    assert_eq!(auth.introspections(), 2, "refused from the cache, without asking again");
    auth.stop().await;
}

#[actix_web::test]
async fn a_stale_feed_makes_introspection_bypass_its_cache() {
    let auth = FakeAuthServer::start_with_feed(jwks(&[])).await;
    let verifier = introspection_following(&auth, Duration::from_secs(3)).await;
    auth.answer("t", active_answer(&claims()));
    verifier.verify("t").await.unwrap();
    verifier.verify("t").await.unwrap();
    assert_eq!(auth.introspections(), 1);

    auth.set_feed_mode(FeedMode::Silent);
    wait_until(DEADLINE, "the view to turn stale", || verifier.revocation_feed_live() == Some(false)).await;
    assert!(verifier.is_ready(), "introspection mode stays ready: the auth server answers");
    verifier.verify("t").await.unwrap();
    verifier.verify("t").await.unwrap();
    assert_eq!(auth.introspections(), 3, "every request introspected while stale");

    auth.set_feed_mode(FeedMode::Live);
    wait_until(DEADLINE, "the feed to recover", || verifier.revocation_feed_live() == Some(true)).await;
    verifier.verify("t").await.unwrap();
    assert_eq!(auth.introspections(), 3, "the cache serves again");
    auth.stop().await;
}

#[actix_web::test]
async fn local_mode_without_a_feed_or_an_explicit_opt_out_is_refused() {
    let auth = FakeAuthServer::start(jwks(&[TestKey::shared()])).await;
    let err = Verifier::builder(AUDIENCE).local(auth.base_url()).unwrap_err();
    assert!(matches!(err, BuildError::RevocationFeedNotConfigured), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains(".revocation_feed(") && message.contains(".without_revocation_feed()"),
        "the error says what to do: {message}"
    );
    assert_eq!(auth.jwks_fetches(), 0, "nothing was started");
}

#[actix_web::test]
async fn the_explicit_opt_out_verifies_without_following_revocations() {
    // This auth server announces no feed: a verifier following one would never be
    // ready (see `readyz_names_the_missing_revocation_feed`).
    let auth = FakeAuthServer::start(jwks(&[TestKey::shared()])).await;
    let verifier = Verifier::builder(AUDIENCE).without_revocation_feed().local(auth.base_url()).unwrap();
    wait_until(DEADLINE, "the key set", || verifier.is_ready()).await;
    assert_eq!(verifier.not_ready_reason(), None, "ready without a feed");
    verifier.verify(&TestKey::shared().access_token(&claims())).await.unwrap();
}

/// An event larger than the reader accepts (here a snapshot sent whole) may carry a
/// revocation: the view stops being trusted and the cursor is dropped, rather than
/// the follower retrying its old cursor forever while it says it is live.
#[actix_web::test]
async fn an_oversized_event_distrusts_the_view_and_asks_for_a_fresh_snapshot() {
    let auth = FakeAuthServer::start_with_feed(jwks(&[TestKey::shared()])).await;
    let verifier = local_following(&auth, Duration::from_secs(30)).await;
    let key = TestKey::shared();
    let first = key.access_token(&claims_with("first", "s1"));
    let during = key.access_token(&claims_with("during", "s2"));
    let cursor = auth.publish(notice(json!({"type": "token", "jti": "first"})));
    poll_until(DEADLINE, "the first revocation", || revoked(&verifier, &first)).await;

    auth.set_always_snapshot(true);
    auth.set_snapshot_fault(SnapshotFault::Oversized);
    auth.drop_feed_connections();
    wait_until(DEADLINE, "the view to be distrusted", || !verifier.is_ready()).await;
    auth.publish(notice(json!({"type": "token", "jti": "during"})));
    assert!(unavailable(verifier.verify(&during).await), "503 while the view may be missing revocations");
    wait_until(DEADLINE, "a reconnection after the oversized event", || auth.feed_connections().len() >= 3).await;
    let connections = auth.feed_connections();
    assert_eq!(connections[1].last_event_id, Some(cursor), "{connections:?}");
    for connection in &connections[2..] {
        assert_eq!(connection.last_event_id, None, "the cursor was dropped: {connections:?}");
    }

    auth.set_snapshot_fault(SnapshotFault::None);
    auth.set_always_snapshot(false);
    wait_until(DEADLINE, "a complete snapshot", || verifier.is_ready()).await;
    assert_eq!(verifier.verify(&during).await.unwrap_err(), VerifyError::Revoked);
    auth.stop().await;
}

/// Bytes that never complete an event are not contact: a stream trickling them is
/// as dead as a silent one, so the view turns stale (and the connection is replaced).
#[actix_web::test]
async fn a_stream_that_never_completes_an_event_is_not_contact() {
    let auth = FakeAuthServer::start_with_feed(jwks(&[TestKey::shared()])).await;
    let verifier = local_following(&auth, Duration::from_secs(3)).await;
    let token = TestKey::shared().access_token(&claims());
    verifier.verify(&token).await.unwrap();

    auth.set_feed_mode(FeedMode::Trickle);
    auth.drop_feed_connections();
    wait_until(DEADLINE, "the view to turn stale", || !verifier.is_ready()).await;
    assert!(unavailable(verifier.verify(&token).await));
    let before = auth.feed_connections().len();
    wait_until(DEADLINE, "the busy but dead connection to be replaced", || auth.feed_connections().len() > before)
        .await;

    auth.set_feed_mode(FeedMode::Live);
    wait_until(DEADLINE, "the feed to recover", || verifier.is_ready()).await;
    verifier.verify(&token).await.unwrap();
    auth.stop().await;
}

/// A snapshot sent to a connection that resumed from a cursor means the auth server
/// could not resume it: revocations may be missing, so the view is not trusted (503
/// in local mode) until the snapshot is complete, however many keepalives arrive.
#[actix_web::test]
async fn a_snapshot_instead_of_a_resume_distrusts_the_view_until_it_completes() {
    let auth = FakeAuthServer::start_with_feed(jwks(&[TestKey::shared()])).await;
    let verifier = local_following(&auth, Duration::from_secs(30)).await;
    let token = TestKey::shared().access_token(&claims());
    auth.publish(notice(json!({"type": "token", "jti": "other"})));
    verifier.verify(&token).await.unwrap();

    auth.set_always_snapshot(true);
    auth.set_snapshot_fault(SnapshotFault::Unfinished);
    auth.drop_feed_connections();
    wait_until(DEADLINE, "the view to be distrusted", || !verifier.is_ready()).await;
    assert!(unavailable(verifier.verify(&token).await), "503 while the snapshot is incomplete");
    let connections = auth.feed_connections();
    assert!(connections.iter().skip(1).any(|c| c.last_event_id.is_some()), "it resumed: {connections:?}");

    auth.set_snapshot_fault(SnapshotFault::None);
    auth.drop_feed_connections();
    wait_until(DEADLINE, "a complete snapshot", || verifier.is_ready()).await;
    verifier.verify(&token).await.unwrap();
    auth.stop().await;
}
