//! Keys in Redis across restarts: a restart keeps every key with its state
//! and dates, and a key-encryption-key change (new key + previous, then new key
//! alone) re-encrypts every stored private key without losing one; the old KEK alone
//! then cannot start the server.
//!
//! Both scenarios hold all three states at once: with a rotation interval shorter
//! than the lead (`AUTH_JWKS_MAX_AGE` 600 s + tick 1 s + skew 60 s), a `next` key is
//! published at the first tick and waits; a manual rotation promotes it (the old key
//! retires) and the next tick publishes another `next` key.

use std::time::Duration;

use reqwest::Method;
use tests::auth::random_key;
use tests::bootstrap::*;
use tests::{
    poll_until, AdminClient, AuthOptions, AuthServer, AuthStack, Credentials, Jwks, OAuthClient, RedisServer, Relay,
    ResourceOptions, ResourceServer, Store,
};

use crate::key_support::*;

const KEK: &str = "AUTH_KEY_ENCRYPTION_KEY";
const KEK_PREVIOUS: &str = "AUTH_KEY_ENCRYPTION_KEY_PREVIOUS";
const KEY_DEADLINE: Duration = Duration::from_secs(15);

/// Timings under which a `next` key is published at once and never promoted by itself.
fn three_state_timings(options: AuthOptions) -> AuthOptions {
    options
        .env("AUTH_KEY_ROTATION_INTERVAL", "600")
        .env("AUTH_JWKS_MAX_AGE", "600")
        .env("AUTH_KEY_REFRESH_INTERVAL", "1")
}

/// Waits for a `next` key, rotates (promoting it) and waits for the following
/// `next` key: returns the list, which then holds one key in each state.
async fn keys_in_every_state(admin: &AdminClient) -> Vec<KeyInfo> {
    let (first, waiting) = poll_until(KEY_DEADLINE, "a published next key", || async move {
        let keys = list_keys(admin).await;
        let next = keys.iter().find(|k| k.state == "next")?;
        Some((active(&keys).kid.clone(), next.kid.clone()))
    })
    .await;
    let rotated = parse_keys(&admin.request(Method::POST, &format!("{KEYS_PATH}/rotate"), None).await);
    assert_eq!(active(&rotated).kid, waiting, "the rotation promotes the waiting next key: {rotated:?}");
    let keys = poll_until(KEY_DEADLINE, "a next key after the rotation", || async move {
        let keys = list_keys(admin).await;
        keys.iter().any(|k| k.state == "next").then_some(keys)
    })
    .await;
    assert_eq!(keys.len(), 3, "{keys:?}");
    assert_eq!(in_state(&keys, "retired").kid, first, "the rotated-out key is retired: {keys:?}");
    assert_eq!(in_state(&keys, "active").kid, waiting, "{keys:?}");
    keys
}

/// The only key of a list in `state`.
fn in_state<'a>(keys: &'a [KeyInfo], state: &str) -> &'a KeyInfo {
    let found: Vec<&KeyInfo> = keys.iter().filter(|k| k.state == state).collect();
    assert_eq!(found.len(), 1, "exactly one {state} key: {keys:?}");
    found[0]
}

#[tokio::test]
async fn a_restart_keeps_every_key_with_its_state_and_tokens_signed_before_it() {
    let _heavy = tests::heavy::shared().await;
    // Behind a relay whose URL is the issuer: the restart (on a new port) keeps it.
    let mut stack = AuthStack::start_relayed(Store::Redis, three_state_timings).await;
    let client = stack.client();
    let admin = AdminClient::login(&client).await;
    let first_login = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
    let keys = keys_in_every_state(&admin).await;
    let second_login = client.token_password(WEB_APP, BOB, BOB_PASSWORD, None).await;
    let (retired, signing) = (in_state(&keys, "retired").kid.clone(), in_state(&keys, "active").kid.clone());
    assert_eq!(kid_of(first_login.access_token()), retired, "signed before the rotation: {keys:?}");
    assert_eq!(kid_of(second_login.access_token()), signing, "signed after the rotation: {keys:?}");
    let jwks_before = jwks_kids(&Jwks::fetch(&client).await);
    assert_eq!(jwks_before, kid_set(&keys));

    stack.restart_auth().await;

    let client = stack.client();
    // The admin token from before the restart still opens the admin API: its key is back.
    let after = list_keys(&admin).await;
    assert_eq!(after, keys, "the same keys with the same states and dates after the restart");
    let jwks = Jwks::fetch(&client).await;
    assert_eq!(jwks_kids(&jwks), jwks_before, "the JWKS after the restart");
    let resource = ResourceServer::start(ResourceOptions::new(stack.base_url())).await;
    let api = resource.api();
    for (what, login) in [("a token of the retired key", &first_login), ("a token of the active key", &second_login)] {
        jwks.verify(login.access_token()).unwrap_or_else(|e| panic!("{what} from before the restart: {e}"));
        let me = api.me(Credentials::Bearer(login.access_token())).await;
        assert_eq!(me.status, 200, "{what} from before the restart at a resource server: {me:?}");
    }
    let fresh = client.token_client_credentials(SERVICE_A, SERVICE_A_SECRET, None).await;
    assert_eq!(kid_of(fresh.access_token()), signing, "the same active key signs after the restart");
    let refreshed = client.token_refresh(WEB_APP, first_login.refresh_token()).await;
    assert_eq!(refreshed.status, 200, "a refresh token of the retired key, after the restart: {refreshed:?}");
}

#[tokio::test]
async fn a_key_encryption_key_change_keeps_every_signing_key() {
    let _heavy = tests::heavy::shared().await;
    let redis = RedisServer::start().await;
    // The issuer stays the relay's URL while one server after another serves it.
    let relay = Relay::start().await;
    let base = three_state_timings(AuthOptions::redis(&redis)).env("AUTH_ISSUER", relay.url());
    let (kek_a, kek_b) = (random_key(), random_key());
    let (print_a, print_b) = (kek_fingerprint(&kek_a), kek_fingerprint(&kek_b));

    // Under KEK A: keys in every state, a login, and the store sealed under A.
    let mut auth = AuthServer::start(base.clone().env(KEK, &kek_a)).await;
    relay.route_to(auth.addr());
    let client = OAuthClient::new(relay.url());
    let keys = keys_in_every_state(&AdminClient::login(&client).await).await;
    let login = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
    let token = login.access_token().to_owned();
    assert_sealed_under(&redis, &keys, &print_a, "under KEK A").await;
    auth.stop();

    // KEK B with A as the previous key: every key opens and is sealed again under B.
    let mut auth = AuthServer::start(base.clone().env(KEK, &kek_b).env(KEK_PREVIOUS, &kek_a)).await;
    relay.route_to(auth.addr());
    let client = OAuthClient::new(relay.url());
    assert_same_keys_and_token(&client, &keys, &token, "with KEK B and A as the previous key").await;
    assert_sealed_under(&redis, &keys, &print_b, "after starting with KEK B and previous A").await;
    assert!(auth.log().contains("re-encrypted"), "the log says the keys were re-encrypted:\n{}", auth.log());
    auth.stop();

    // KEK B alone reads them.
    let mut auth = AuthServer::start(base.clone().env(KEK, &kek_b)).await;
    relay.route_to(auth.addr());
    let client = OAuthClient::new(relay.url());
    assert_same_keys_and_token(&client, &keys, &token, "with KEK B alone").await;
    let refreshed = client.token_refresh(WEB_APP, login.refresh_token()).await;
    assert_eq!(refreshed.status, 200, "the session from before the change goes on: {refreshed:?}");
    assert_sealed_under(&redis, &keys, &print_b, "with KEK B alone").await;
    auth.stop();

    // KEK A alone no longer can: the server refuses to start and says why.
    let log = AuthServer::start_failure(base.env(KEK, &kek_a)).await;
    assert!(log.contains(KEK), "the start-up error names {KEK}:\n{log}");
    assert!(log.contains(&print_b), "the error names the fingerprint the keys are sealed under ({print_b}):\n{log}");
    assert!(!log.contains(&kek_a) && !log.contains(&kek_b), "the error does not print a key:\n{log}");
}

/// The key list is `keys` (kids, states, dates), and `token`, issued before the
/// change, is still active at introspection and verifies against the JWKS.
async fn assert_same_keys_and_token(client: &OAuthClient, keys: &[KeyInfo], token: &str, when: &str) {
    let now = list_keys_now(client).await;
    assert_eq!(now, keys, "the same keys {when}");
    let introspection = client.introspect(token, DOCUMENTS_API, DOCUMENTS_API_SECRET).await;
    assert_eq!(introspection.status, 200, "{when}: {introspection:?}");
    assert_eq!(introspection.json["active"], true, "the token from before is active {when}: {introspection:?}");
    let jwks = Jwks::fetch(client).await;
    jwks.verify(token).unwrap_or_else(|e| panic!("the token from before does not verify {when}: {e}"));
    assert_eq!(jwks_kids(&jwks), kid_set(keys), "the JWKS {when}");
}

/// Redis holds exactly the keys of `keys`, each private key a JWE whose header `kid`
/// is the fingerprint `kek`.
async fn assert_sealed_under(redis: &RedisServer, keys: &[KeyInfo], kek: &str, when: &str) {
    let stored = stored_key_encryption(redis).await;
    let stored_kids: std::collections::BTreeSet<String> = stored.iter().map(|(kid, _)| kid.clone()).collect();
    assert_eq!(stored_kids, kid_set(keys), "the stored keys {when}");
    for (kid, sealed_under) in &stored {
        assert_eq!(sealed_under, kek, "key {kid} is sealed under the expected KEK {when}");
    }
}
