//! The store contract: one suite every [`Store`] implementation must pass, so the
//! embedded store and Redis behave the same (`MemoryStore` runs it in its unit
//! tests, the `tests` crate against a real redis-server).
//!
//! Every run uses fresh ids (a random suffix), so it can run repeatedly against one
//! database. It must not run concurrently with itself or with a live server on the
//! same store: the signing key set is global, and the key cases change it (they put
//! its contents back at the end, at a higher version).
//!
//! Only `assert!`-family macros and what the crate already depends on, so the suite
//! can be public and called from other crates.

// Test code (compiled only for tests and the `test-support` feature): a failed step
// is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod codes;
mod failures;
mod login_sessions;
mod revocations;
mod sessions;
mod user_listing;

use futures_util::future::join;
use shared_claims::{unix_now, ScopeSet};

use super::{ClientRecord, KeyState, SigningKeyRecord, Store, UserRecord};

/// Runs every contract case in sequence; panics with the failed case's message.
pub async fn run_all<S: Store + ?Sized>(store: &S) {
    let run = Run::new();
    health(store).await;
    users(store, &run).await;
    user_listing::pages_through_every_user(store, &run).await;
    clients(store, &run).await;
    signing_keys(store, &run).await;
    sessions::round_trip(store, &run).await;
    sessions::rotation_and_reuse(store, &run).await;
    sessions::unknown_jti_is_reuse(store, &run).await;
    sessions::grace_window(store, &run).await;
    sessions::expired_sessions(store, &run).await;
    sessions::absolute_cap(store, &run).await;
    sessions::delete_session(store, &run).await;
    sessions::user_sessions(store, &run).await;
    sessions::session_cap(store, &run).await;
    sessions::session_cap_skips_ended_sessions(store, &run).await;
    sessions::concurrent_rotation(store, &run, 0).await;
    sessions::concurrent_rotation(store, &run, 60).await;
    revocations::is_revoked_by_each_kind(store, &run).await;
    revocations::is_revoked_by_client(store, &run).await;
    revocations::expired_revocations_are_forgotten(store, &run).await;
    revocations::feed_resumes_from_a_cursor(store, &run).await;
    revocations::repeated_revocations_append_once(store, &run).await;
    revocations::unknown_cursors_need_a_snapshot(store).await;
    revocations::snapshots_page_through_everything_with_audiences(store, &run).await;
    failures::counts_and_clears(store, &run).await;
    failures::concurrent_failures_all_count(store, &run).await;
    failures::window_is_fixed_from_the_first_failure(store, &run).await;
    codes::redeemed_once_then_reported_as_used(store, &run).await;
    codes::expired_codes_are_unknown(store, &run).await;
    codes::concurrent_redemptions_have_one_winner(store, &run).await;
    login_sessions::round_trip_and_sids(store, &run).await;
    login_sessions::expiry_and_sliding(store, &run).await;
}

/// Ids unique to one run of the suite.
struct Run {
    suffix: String,
}

impl Run {
    fn new() -> Self {
        Self { suffix: random_hex(8) }
    }

    /// An id with characters that stress key encoding (`{`, `}`, `%`).
    fn id(&self, name: &str) -> String {
        format!("contract-{name}-{{{}}}%", self.suffix)
    }

    fn owns(&self, id: &str) -> bool {
        id.contains(&self.suffix)
    }
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    openssl::rand::rand_bytes(&mut buf).expect("system random number generator");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

fn scopes(text: &str) -> ScopeSet {
    ScopeSet::parse(text).expect("valid scope")
}

async fn health<S: Store + ?Sized>(store: &S) {
    store.ping().await.expect("ping");
}

async fn users<S: Store + ?Sized>(store: &S, run: &Run) {
    let alice = UserRecord {
        username: run.id("user-{alice}"),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        scopes: scopes("documents:read"),
        disabled: false,
        tokens_valid_after: 0,
    };
    // The same name with its braces percent-encoded: must be a different user.
    let lookalike = UserRecord { username: alice.username.replace('{', "%7B").replace('}', "%7D"), ..alice.clone() };
    assert_eq!(store.user(&alice.username).await.expect("user"), None);
    assert!(store.insert_user(&alice).await.expect("insert"));
    assert_eq!(store.user(&alice.username).await.expect("user"), Some(alice.clone()));
    assert_eq!(store.user(&lookalike.username).await.expect("user"), None, "key encoding collides");

    let changed = UserRecord { scopes: scopes("admin"), ..alice.clone() };
    assert!(!store.insert_user(&changed).await.expect("insert"), "insert of an existing user");
    assert_eq!(store.user(&alice.username).await.expect("user"), Some(alice.clone()), "insert replaced");

    let updated = UserRecord { disabled: true, tokens_valid_after: 1_700_000_000, ..changed };
    store.put_user(&updated).await.expect("put");
    assert_eq!(store.user(&alice.username).await.expect("user"), Some(updated));

    store.put_user(&lookalike).await.expect("put creates");
    assert_eq!(store.user(&lookalike.username).await.expect("user"), Some(lookalike.clone()));

    assert!(store.delete_user(&alice.username).await.expect("delete"));
    assert_eq!(store.user(&alice.username).await.expect("user"), None);
    assert!(!store.delete_user(&alice.username).await.expect("delete"), "delete of a deleted user");
    assert_eq!(store.user(&lookalike.username).await.expect("user"), Some(lookalike.clone()));
    assert!(store.delete_user(&lookalike.username).await.expect("delete"));
}

async fn clients<S: Store + ?Sized>(store: &S, run: &Run) {
    let public = ClientRecord {
        client_id: run.id("client-a-web"),
        secret_sha256: None,
        grant_types: vec!["password".into(), "refresh_token".into()],
        scopes: scopes("documents:read documents:write"),
        audiences: vec!["documents-api".into()],
        serves: vec![],
        registration: run.id("registration"),
        redirect_uris: vec!["https://app.example/cb?x={y}".into(), "http://127.0.0.1/cb".into()],
        post_logout_redirect_uris: vec!["https://app.example/".into()],
        display_name: Some("Web app {ä}".into()),
    };
    let service = ClientRecord {
        client_id: run.id("client-b-service"),
        secret_sha256: Some("ab".repeat(32)),
        grant_types: vec!["client_credentials".into()],
        scopes: scopes("introspect"),
        audiences: vec![],
        serves: vec![],
        registration: String::new(),
        redirect_uris: vec![],
        post_logout_redirect_uris: vec![],
        display_name: None,
    };
    let ours = |list: Vec<ClientRecord>| -> Vec<ClientRecord> {
        list.into_iter().filter(|c| run.owns(&c.client_id)).collect()
    };

    assert_eq!(store.client(&public.client_id).await.expect("client"), None);
    assert!(store.insert_client(&public).await.expect("insert"));
    assert!(store.insert_client(&service).await.expect("insert"));
    let replaced = ClientRecord { scopes: scopes("admin"), ..public.clone() };
    assert!(!store.insert_client(&replaced).await.expect("insert"), "insert of an existing client");
    assert_eq!(store.client(&public.client_id).await.expect("client"), Some(public.clone()));
    assert_eq!(store.client(&service.client_id).await.expect("client"), Some(service.clone()));
    assert_eq!(
        ours(store.list_clients().await.expect("list")),
        vec![public.clone(), service.clone()],
        "listed, sorted by client_id"
    );

    store.put_client(&replaced).await.expect("put");
    assert_eq!(store.client(&public.client_id).await.expect("client"), Some(replaced.clone()));

    assert!(store.delete_client(&public.client_id).await.expect("delete"));
    assert!(!store.delete_client(&public.client_id).await.expect("delete"), "delete twice");
    assert_eq!(store.client(&public.client_id).await.expect("client"), None);
    assert_eq!(ours(store.list_clients().await.expect("list")), vec![service.clone()]);
    assert!(store.delete_client(&service.client_id).await.expect("delete"));
    assert_eq!(ours(store.list_clients().await.expect("list")), vec![]);
}

fn signing_key(run: &Run, name: &str, state: KeyState, now: i64) -> SigningKeyRecord {
    SigningKeyRecord {
        kid: run.id(name),
        state,
        private_pem: format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", random_hex(48)),
        created_at: now - 100,
        activated_at: (state != KeyState::Next).then_some(now - 50),
        retired_at: (state == KeyState::Retired).then_some(now - 10),
        signed_at: (state != KeyState::Next).then_some(now - 40),
    }
}

async fn signing_keys<S: Store + ?Sized>(store: &S, run: &Run) {
    let now = unix_now();
    let (start, original) = store.signing_keys().await.expect("keys");
    if start == 0 {
        assert!(original.is_empty(), "version 0 means no keys were ever saved");
    }
    let first = vec![signing_key(run, "key-1", KeyState::Active, now), signing_key(run, "key-2", KeyState::Next, now)];

    // A stale or future version changes nothing.
    assert!(!store.save_signing_keys(start + 1, &first).await.expect("save"), "wrong version");
    if start > 0 {
        assert!(!store.save_signing_keys(start - 1, &first).await.expect("save"), "stale version");
    }
    assert_eq!(store.signing_keys().await.expect("keys"), (start, original.clone()));

    // The right version: saved whole, private keys included, version + 1.
    assert!(store.save_signing_keys(start, &first).await.expect("save"));
    assert_eq!(store.signing_keys().await.expect("keys"), (start + 1, first.clone()));
    let read = store.signing_keys().await.expect("keys").1;
    assert_eq!(read[0].private_pem, first[0].private_pem);

    // Two writers from one version: exactly one wins, and what is stored is its set.
    let a = vec![signing_key(run, "key-1", KeyState::Retired, now), signing_key(run, "key-2", KeyState::Active, now)];
    let b = vec![signing_key(run, "key-3", KeyState::Active, now)];
    let (won_a, won_b) = join(store.save_signing_keys(start + 1, &a), store.save_signing_keys(start + 1, &b)).await;
    let (won_a, won_b) = (won_a.expect("save a"), won_b.expect("save b"));
    assert!(won_a != won_b, "exactly one compare-and-set wins (a: {won_a}, b: {won_b})");
    let winner = if won_a { a } else { b };
    assert_eq!(store.signing_keys().await.expect("keys"), (start + 2, winner));

    // Put the original set back (at a higher version) for whoever uses this store next.
    assert!(store.save_signing_keys(start + 2, &original).await.expect("restore"));
    assert_eq!(store.signing_keys().await.expect("keys"), (start + 3, original));
}
