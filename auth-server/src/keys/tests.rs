//! The key ring over a real store (`MemoryStore`) with the clock driven by the
//! tests: every `now` is a parameter, nothing sleeps to make time pass.
//!
//! Numbers: rotation interval 1000 s, JWKS max-age 10 s (lead 100 s), access tokens
//! 300 s (published 390 s after retirement), sessions 600 s (kept 690 s). The first
//! key is activated at T0.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use shared_claims::ScopeSet;
use tokio::sync::OnceCell;

use super::*;
use crate::crypto::jws::JwsError;
use crate::oauth::tokens::{AccessGrant, TokenError, TokenSettings, Tokens};
use crate::store::{MemoryStore, Revocation, RevocationEvent};

const T0: i64 = 1_700_000_000;
const ACCESS_TTL: i64 = 300;
const SESSION_TTL: i64 = 600;
const INTERVAL: i64 = 1_000;
const LEAD: i64 = 100;
const PUBLISHED: i64 = 390;
const RETENTION: i64 = 690;

static FIRST_KEY: OnceCell<SigningKeyRecord> = OnceCell::const_new();

fn policy() -> KeyPolicy {
    let policy = KeyPolicy::new(INTERVAL, 10, ACCESS_TTL, SESSION_TTL, 30, 60);
    assert_eq!((policy.publish_lead, policy.retention, policy.keep), (LEAD, PUBLISHED, RETENTION));
    policy
}

/// A store holding one active key, activated at T0 (generated once per test run).
async fn store() -> SharedStore {
    seeded(Arc::new(MemoryStore::new())).await
}

async fn seeded(store: SharedStore) -> SharedStore {
    let key = FIRST_KEY.get_or_try_init(|| generate_record(KeyState::Active, T0)).await.unwrap().clone();
    assert!(store.save_signing_keys(0, &[key]).await.unwrap());
    store
}

/// One auth-server replica over `store`: its ring, scheduler and token minting.
struct Replica {
    ring: Arc<KeyRing>,
    scheduler: Arc<KeyScheduler>,
    tokens: Tokens,
}

impl Replica {
    async fn start(store: &SharedStore, now: i64) -> Self {
        let ring = Arc::new(KeyRing::load_or_create(store.clone(), now).await.unwrap());
        let settings = TokenSettings {
            issuer: "http://auth.test".into(),
            access_ttl: ACCESS_TTL,
            refresh_idle_ttl: SESSION_TTL,
            refresh_max_ttl: SESSION_TTL,
            refresh_reuse_grace: 0,
            max_sessions_per_user: 50,
        };
        let scheduler = KeyScheduler::new(ring.clone(), policy());
        Self { tokens: Tokens::new(ring.clone(), settings), ring, scheduler }
    }

    async fn token(&self, now: i64) -> String {
        let grant = AccessGrant {
            subject: "alice".into(),
            client_id: "web-app".into(),
            scope: ScopeSet::parse("documents:read").unwrap(),
            audiences: vec!["documents-api".into()],
            sid: Some("s1".into()),
        };
        self.tokens.access_token(&grant, now).await.unwrap()
    }

    async fn verify(&self, token: &str, now: i64) -> Result<(), TokenError> {
        self.tokens.verify_access_token(token, now).await.map(drop)
    }

    fn active(&self) -> String {
        self.ring.current().active().kid.clone()
    }

    /// The published kids, in JWKS order.
    fn jwks(&self) -> Vec<String> {
        let jwks: serde_json::Value = serde_json::from_str(self.ring.current().jwks_json()).unwrap();
        jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect()
    }
}

fn kid_of(token: &str) -> String {
    let header = URL_SAFE_NO_PAD.decode(token.split('.').next().unwrap()).unwrap();
    serde_json::from_slice::<serde_json::Value>(&header).unwrap()["kid"].as_str().unwrap().to_owned()
}

async fn states(store: &SharedStore) -> Vec<(String, KeyState)> {
    store.signing_keys().await.unwrap().1.into_iter().map(|k| (k.kid, k.state)).collect()
}

#[tokio::test]
async fn the_jwks_holds_exactly_the_right_keys_in_each_phase() {
    let store = store().await;
    let replica = Replica::start(&store, T0).await;
    let a = replica.active();
    assert_eq!(replica.jwks(), std::slice::from_ref(&a));

    // Before the lead: nothing changes.
    assert_eq!(replica.scheduler.tick(T0 + INTERVAL - LEAD - 1).await.unwrap(), []);

    // Published as next a full lead before it signs; A still signs.
    let publish = T0 + INTERVAL - LEAD;
    assert_eq!(replica.scheduler.tick(publish).await.unwrap(), [Transition::PublishNext]);
    let b = replica.jwks().into_iter().find(|k| *k != a).unwrap();
    assert_eq!(replica.jwks(), [a.clone(), b.clone()]);
    assert_eq!(replica.active(), a);
    let last_of_a = replica.token(T0 + INTERVAL - 1).await;
    assert_eq!(kid_of(&last_of_a), a, "a next key signs nothing");

    // Due: B signs, A retired and still published.
    assert_eq!(replica.scheduler.tick(T0 + INTERVAL - 1).await.unwrap(), []);
    let promoted = replica.scheduler.tick(T0 + INTERVAL).await.unwrap();
    assert!(matches!(promoted.as_slice(), [Transition::Activate { .. }]), "{promoted:?}");
    assert_eq!(replica.active(), b);
    assert_eq!(states(&store).await, [(a.clone(), KeyState::Retired), (b.clone(), KeyState::Active)]);
    assert_eq!(kid_of(&replica.token(T0 + INTERVAL).await), b, "tokens signed after carry the new kid");

    // A's last token lives until T0 + INTERVAL - 1 + 300: A stays published past it,
    // listed after the active key.
    replica.verify(&last_of_a, T0 + INTERVAL - 1 + ACCESS_TTL - 1).await.unwrap();
    let withdrawal = T0 + INTERVAL + PUBLISHED;
    assert_eq!(replica.scheduler.tick(withdrawal - 1).await.unwrap(), []);
    assert_eq!(replica.jwks(), [b.clone(), a.clone()]);
    assert_eq!(replica.scheduler.tick(withdrawal).await.unwrap(), [Transition::Withdraw { kids: vec![a.clone()] }]);
    assert_eq!(replica.jwks(), std::slice::from_ref(&b));
    // Kept, unpublished, while refresh tokens it signed may live; then removed.
    assert_eq!(states(&store).await, [(a.clone(), KeyState::Withdrawn), (b.clone(), KeyState::Active)]);
    let removal = T0 + INTERVAL + RETENTION;
    assert_eq!(replica.scheduler.tick(removal - 1).await.unwrap(), []);
    assert_eq!(replica.scheduler.tick(removal).await.unwrap(), [Transition::Remove { kids: vec![a.clone()] }]);
    assert_eq!(states(&store).await, [(b.clone(), KeyState::Active)]);

    // The next rotation starts over.
    assert_eq!(replica.scheduler.tick(T0 + 2 * INTERVAL - LEAD).await.unwrap(), [Transition::PublishNext]);
    assert_eq!(replica.jwks().len(), 2);
    assert_eq!(replica.active(), b);
}

#[tokio::test]
async fn a_token_signed_before_a_rotation_verifies_after_it() {
    let store = store().await;
    let replica = Replica::start(&store, T0).await;
    let before = replica.token(T0 + 10).await;
    replica.ring.rotate(T0 + 20).await.unwrap();
    let after = replica.token(T0 + 20).await;
    assert_ne!(kid_of(&before), kid_of(&after));
    replica.verify(&before, T0 + 21).await.unwrap();
    replica.verify(&after, T0 + 21).await.unwrap();
    assert_eq!(replica.verify(&before, T0 + 10 + ACCESS_TTL).await, Err(TokenError::Expired));
}

#[tokio::test]
async fn manual_rotation_promotes_a_waiting_next_key() {
    let store = store().await;
    let replica = Replica::start(&store, T0).await;
    replica.scheduler.tick(T0 + INTERVAL - LEAD).await.unwrap();
    let next = replica.jwks()[1].clone();
    replica.token(T0 + INTERVAL - LEAD).await;
    let keys = replica.ring.rotate(T0 + INTERVAL - LEAD + 1).await.unwrap();
    assert_eq!(keys.len(), 2, "no key generated: the waiting one was promoted");
    assert_eq!(replica.active(), next);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_ticking_at_once_make_exactly_one_change() {
    let store = store().await;
    let one = Replica::start(&store, T0).await;
    let two = Replica::start(&store, T0).await;

    let at = T0 + INTERVAL - LEAD;
    let (x, y) = tokio::join!(one.scheduler.tick(at), two.scheduler.tick(at));
    let applied = [x.unwrap(), y.unwrap()].concat();
    assert_eq!(applied, [Transition::PublishNext], "exactly one replica published");
    assert_eq!(states(&store).await.len(), 2, "exactly one new key");
    assert_eq!(one.jwks(), two.jwks(), "both serve the same JWKS");

    let (x, y) = tokio::join!(one.scheduler.tick(T0 + INTERVAL), two.scheduler.tick(T0 + INTERVAL));
    assert_eq!([x.unwrap(), y.unwrap()].concat().len(), 1, "exactly one promotion");
    assert_eq!(one.active(), two.active(), "both sign with the same key");
    assert_eq!(states(&store).await.iter().filter(|(_, s)| *s == KeyState::Active).count(), 1);
}

#[tokio::test]
async fn a_replica_that_missed_a_rotation_reloads_on_the_unknown_kid_rate_limited() {
    let store = store().await;
    let one = Replica::start(&store, T0).await;
    let lagging = Replica::start(&store, T0).await;

    // A token with an invented kid makes the lagging replica reload once...
    let forged = format!("{}.e30.AA", URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"at+jwt","kid":"nope"}"#));
    assert_eq!(lagging.verify(&forged, T0 + 100).await, Err(TokenError::Jws(JwsError::UnknownKey)));

    // ...so right after, a real rotation elsewhere is not fetched again for 5 s.
    one.ring.rotate(T0 + 101).await.unwrap();
    let fresh = one.token(T0 + 101).await;
    assert_eq!(lagging.verify(&fresh, T0 + 101).await, Err(TokenError::Jws(JwsError::UnknownKey)));
    lagging.verify(&fresh, T0 + 100 + refetch::REFETCH_MIN_INTERVAL).await.unwrap();
    assert_eq!(lagging.active(), one.active(), "the reload also moved its signing key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_kid_reloads_are_coalesced() {
    let counting = Arc::new(crate::test_support::faulty_store::FaultyStore::new());
    let store = seeded(counting.clone()).await;
    let one = Replica::start(&store, T0).await;
    let lagging = Arc::new(Replica::start(&store, T0).await);
    one.ring.rotate(T0 + 1).await.unwrap();
    let token = one.token(T0 + 1).await;
    // All eight start together, so each meets the unknown kid before any reload ends.
    let start = Arc::new(tokio::sync::Barrier::new(8));
    let reads_before = counting.key_set_reads();
    let checks: Vec<_> = (0..8)
        .map(|_| {
            let (lagging, token, start) = (lagging.clone(), token.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                lagging.verify(&token, T0 + 2).await
            })
        })
        .collect();
    for check in checks {
        check.await.unwrap().unwrap();
    }
    assert_eq!(counting.key_set_reads() - reads_before, 1, "one store read served all eight");
}

#[tokio::test]
async fn emergency_revocation_removes_the_key_at_once_and_a_successor_signs() {
    let store = store().await;
    let replica = Replica::start(&store, T0).await;
    let old = replica.active();
    let token = replica.token(T0 + 1).await;

    let keys = replica.ring.revoke(&old, T0 + 2).await.unwrap().unwrap();
    assert_eq!(keys.len(), 1);
    assert!(!replica.jwks().contains(&old), "gone from the JWKS at once");
    assert_ne!(replica.active(), old);
    assert_eq!(replica.verify(&token, T0 + 3).await, Err(TokenError::Jws(JwsError::UnknownKey)));
    assert_eq!(kid_of(&replica.token(T0 + 3).await), replica.active());
    assert_eq!(replica.ring.revoke(&old, T0 + 4).await.unwrap(), None, "already gone");
    assert_eq!(replica.ring.revoke("unknown", T0 + 4).await.unwrap(), None);
}

#[tokio::test]
async fn revoking_a_next_or_retired_key_keeps_the_active_one() {
    let store = store().await;
    let replica = Replica::start(&store, T0).await;
    let a = replica.active();
    replica.token(T0 + 1).await;
    replica.scheduler.tick(T0 + INTERVAL - LEAD).await.unwrap();
    replica.scheduler.tick(T0 + INTERVAL).await.unwrap();
    let b = replica.active();
    replica.ring.revoke(&a, T0 + INTERVAL + 1).await.unwrap().unwrap();
    assert_eq!(replica.jwks(), std::slice::from_ref(&b));
    assert_eq!(replica.active(), b);
}

#[tokio::test]
async fn a_restart_keeps_every_state() {
    let store = store().await;
    let replica = Replica::start(&store, T0).await;
    let a = replica.active();
    replica.scheduler.tick(T0 + INTERVAL - LEAD).await.unwrap();
    let next_phase = states(&store).await;
    let restarted = Replica::start(&store, T0 + INTERVAL - 50).await;
    assert_eq!(states(&store).await, next_phase, "loading changed nothing");
    assert_eq!((restarted.active(), restarted.jwks()), (replica.active(), replica.jwks()));

    let token = restarted.token(T0 + INTERVAL - 1).await;
    restarted.scheduler.tick(T0 + INTERVAL).await.unwrap();
    let again = Replica::start(&store, T0 + INTERVAL + 1).await;
    assert_eq!(states(&store).await, [(a.clone(), KeyState::Retired), (again.active(), KeyState::Active)]);
    assert_eq!(again.jwks(), restarted.jwks());
    again.verify(&token, T0 + INTERVAL + 1).await.unwrap();
    // And the retirement date survived: removal happens on schedule after the restart.
    assert_eq!(again.scheduler.tick(T0 + INTERVAL + RETENTION).await.unwrap(), [Transition::Remove { kids: vec![a] }]);
}

#[tokio::test]
async fn a_set_without_an_active_key_is_repaired_on_load() {
    let store: SharedStore = Arc::new(MemoryStore::new());
    let waiting = generate_record(KeyState::Next, T0).await.unwrap();
    assert!(store.save_signing_keys(0, std::slice::from_ref(&waiting)).await.unwrap());
    let replica = Replica::start(&store, T0 + 5).await;
    assert_eq!(replica.active(), waiting.kid);
    assert_eq!(states(&store).await, [(waiting.kid, KeyState::Active)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_revoked_on_another_replica_stops_signing_here_when_the_feed_says_so() {
    let store = store().await;
    let one = Replica::start(&store, T0).await;
    let other = Replica::start(&store, T0).await;
    let (sender, events) = tokio::sync::broadcast::channel(4);
    let clock = || T0 + 10;
    tokio::spawn(other.scheduler.clone().run(clock));
    tokio::spawn(other.scheduler.clone().follow_revocations(events));

    // Wait for its first tick (at start) to finish, so only the wake-up can explain a
    // reload: the next scheduled tick is 30 s away.
    let first_tick = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while other.scheduler.finished_ticks() == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(first_tick.is_ok(), "the scheduler never finished its first tick");
    let old = one.active();
    one.ring.revoke(&old, T0 + 10).await.unwrap().unwrap();
    let revocation = Revocation::Key { kid: old.clone() };
    sender
        .send(Arc::new(RevocationEvent { cursor: "1".into(), revocation, expires_at: T0 + 1_000, audiences: vec![] }))
        .unwrap();
    // Woken at once rather than after the 30 s refresh interval.
    let changed = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while other.active() == old {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(changed.is_ok(), "the other replica still signs with the revoked key");
    assert_eq!(other.active(), one.active());
    // The woken tick did it: the next scheduled one is 30 s away.
    let woken = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while other.scheduler.finished_ticks() < 2 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(woken.is_ok(), "the woken tick never finished");
    assert_eq!(other.scheduler.finished_ticks(), 2, "exactly one tick after the first");
}

#[tokio::test]
async fn a_key_that_never_signed_leaves_when_superseded_and_its_replicas_sign_with_the_successor() {
    let store = store().await;
    let one = Replica::start(&store, T0).await;
    let two = Replica::start(&store, T0).await;
    let unused = one.active();
    // Two rotates before anyone signed: the unused key leaves at once.
    let keys = two.ring.rotate(T0 + 1).await.unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let successor = two.active();
    assert_ne!(successor, unused);
    // One still holds the unused key in memory, yet signs nothing with it: recording
    // its first signature finds it gone, so one signs with the successor.
    assert_eq!(one.active(), unused);
    let token = one.token(T0 + 2).await;
    assert_eq!(kid_of(&token), successor);
    let (_, records) = store.signing_keys().await.unwrap();
    assert_eq!(records.iter().map(|k| (k.kid.clone(), k.signed_at)).collect::<Vec<_>>(), [(successor, Some(T0 + 2))]);
    // Recorded once: later tokens need no store change.
    let version = store.signing_keys().await.unwrap().0;
    two.token(T0 + 3).await;
    one.token(T0 + 3).await;
    assert_eq!(store.signing_keys().await.unwrap().0, version);
}

#[tokio::test]
async fn a_withdrawn_key_verifies_refresh_tokens_only() {
    use crate::oauth::tokens::RefreshClaims;
    let store = store().await;
    let replica = Replica::start(&store, T0).await;
    replica.token(T0).await;
    let a = replica.ring.current();
    // Signed by A directly, to outlive A's publication: an access token (as if the
    // lifetime had been longer) and a refresh token of a 600 s session.
    let mut access = replica.tokens.access_claims(
        &AccessGrant {
            subject: "alice".into(),
            client_id: "web-app".into(),
            scope: ScopeSet::parse("documents:read").unwrap(),
            audiences: vec!["documents-api".into()],
            sid: None,
        },
        T0,
    );
    access.exp = T0 + 10 * INTERVAL;
    let access = a.active().sign_access_token(&access).unwrap();
    let refresh = RefreshClaims {
        iss: "http://auth.test".into(),
        sub: "alice".into(),
        aud: "http://auth.test".into(),
        exp: T0 + SESSION_TTL,
        iat: T0,
        jti: "j1".into(),
        client_id: "web-app".into(),
        sid: "s1".into(),
        scope: ScopeSet::parse("documents:read").unwrap(),
    };
    let refresh = a.active().sign_refresh_token(&refresh).unwrap();

    replica.ring.rotate(T0 + 1).await.unwrap();
    replica.verify(&access, T0 + 2).await.unwrap();
    assert_eq!(replica.scheduler.tick(T0 + 1 + PUBLISHED).await.unwrap().len(), 1, "withdrawn");
    let now = T0 + 1 + PUBLISHED;
    assert_eq!(replica.verify(&access, now).await, Err(TokenError::Jws(JwsError::UnknownKey)), "unpublished");
    replica.tokens.verify_refresh_token(&refresh, now).await.unwrap();
}

#[tokio::test]
async fn a_replica_publishes_a_key_another_replica_rotated_in_before_its_next_tick() {
    let store = store().await;
    let rotating = Replica::start(&store, T0).await;
    let lagging = Replica::start(&store, T0).await;
    rotating.ring.rotate(T0 + 20).await.unwrap();
    let token = rotating.token(T0 + 20).await;
    // A resource server meeting this token's kid refetches the JWKS, and a balancer may
    // send that request to the replica that has not ticked since the rotation.
    let published = lagging.ring.published().await;
    let kids: Vec<String> = serde_json::from_str::<serde_json::Value>(published.jwks_json()).unwrap()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    assert!(kids.contains(&kid_of(&token)), "the JWKS must hold the kid of every token issued: {kids:?}");
}
