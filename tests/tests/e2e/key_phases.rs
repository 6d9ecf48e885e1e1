//! The JWKS in each phase of a key's life, watched on a real server with
//! short timings: a `next` key is published before it signs anything, then signs; a
//! retired key stays published while tokens it signed can be valid, and leaves once
//! they have all expired. The JWKS always lists exactly the keys `GET /admin/keys`
//! does.
//!
//! ```text
//! rotation 6 s, JWKS max-age 1 s, tick 1 s, skew 2 s: lead L = 4 s
//! access and refresh tokens live 10 s: retention R = 10 + 1 + 2 = 13 s
//!
//! time ─►  0        2            6                          19
//! key A    active ───────────────┤ retired ──────────────────┤ removed
//! key B             next ────────┤ active ─────────── …
//! ```
//!
//! Every wait is a poll with a deadline; the assertions compare states read from the
//! server, never elapsed times. The last tokens of the previous key are used right
//! after the first token of the next key appears; if a stall let them expire first
//! (which proves nothing either way), the test watches the following rotation instead,
//! a bounded number of times.

use std::time::{Duration, Instant};

use tests::bootstrap::*;
use tests::{poll_until, ApiClient, AuthStack, Credentials, Jwks, OAuthClient, ResourceOptions, ResourceServer, Store};

use crate::key_support::*;

const ROTATION_INTERVAL: i64 = 6;
const JWKS_MAX_AGE: i64 = 1;
const REFRESH_INTERVAL: i64 = 1;
const CLOCK_SKEW: i64 = 2;
/// Access tokens and sessions (so refresh tokens) alike.
const TOKEN_TTL: i64 = 10;
/// Each phase is reached within this (the whole cycle is ~19 s).
const PHASE_DEADLINE: Duration = Duration::from_secs(30);
/// Rotations to watch at most when the previous key's tokens expired before use.
const ROTATIONS: usize = 3;
const PAUSE: Duration = Duration::from_millis(100);

#[tokio::test]
async fn the_jwks_publishes_a_key_before_it_signs_and_keeps_it_until_its_tokens_expired() {
    let _heavy = tests::heavy::shared().await;
    let stack = AuthStack::start_with(Store::Embedded, |o| {
        o.env("AUTH_KEY_ROTATION_INTERVAL", ROTATION_INTERVAL.to_string())
            .env("AUTH_JWKS_MAX_AGE", JWKS_MAX_AGE.to_string())
            .env("AUTH_KEY_REFRESH_INTERVAL", REFRESH_INTERVAL.to_string())
            .env("AUTH_CLOCK_SKEW", CLOCK_SKEW.to_string())
            .env("AUTH_ACCESS_TTL", TOKEN_TTL.to_string())
            .env("AUTH_REFRESH_IDLE_TTL", TOKEN_TTL.to_string())
            .env("AUTH_REFRESH_MAX_TTL", TOKEN_TTL.to_string())
            .env("AUTH_LOGIN_ATTEMPTS_PER_MINUTE", "100000")
    })
    .await;
    let client = stack.client();
    let resource = ResourceServer::start(ResourceOptions::new(stack.base_url())).await;
    let api = resource.api();

    // Phases 1 and 2, and the previous key's tokens used at once; again at the next
    // rotation if they had expired before they could be used.
    let mut expired_first = Vec::new();
    let (previous, previous_exp) = loop {
        assert!(
            expired_first.len() < ROTATIONS,
            "in {ROTATIONS} rotations the previous key's last tokens expired before they could be used: \
             {expired_first:?}"
        );
        // Phase 1: a `next` key is in the JWKS while tokens still carry the active one.
        let (previous, next, login) =
            poll_until(PHASE_DEADLINE, "a token issued while a next key is published", || {
                let (client, api) = (client.clone(), api.clone());
                async move { token_during_next_phase(&client, &api).await }
            })
            .await;

        // Phase 2: the next key signs. Logins until one carries it; the last login
        // signed by the previous key is kept (its access and refresh tokens).
        let mut previous_exp = exp_of(&login.0).max(exp_of(&login.1));
        let mut last_of_previous = login;
        let deadline = Instant::now() + PHASE_DEADLINE;
        let first_of_next = loop {
            assert!(Instant::now() < deadline, "no token was signed by the next key {next} within {PHASE_DEADLINE:?}");
            let login = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
            let (access, refresh) = (login.access_token().to_owned(), login.refresh_token().to_owned());
            let kid = kid_of(&access);
            assert_eq!(kid_of(&refresh), kid, "access and refresh token of one login share the key");
            if kid == next {
                break access;
            }
            assert_eq!(kid, previous, "a token of a third key before {next} signed anything");
            previous_exp = previous_exp.max(exp_of(&access)).max(exp_of(&refresh));
            last_of_previous = (access, refresh);
            tokio::time::sleep(PAUSE).await;
        };

        // At once, before any other read: the previous key (retired now that the next
        // one signs) still has live tokens, and they still work.
        let (old_access, old_refresh) = last_of_previous;
        if let Err(why) = use_old_tokens(&client, &api, (&old_access, &old_refresh), &previous, &next).await {
            eprintln!("key phases: {why}; watching the next rotation");
            expired_first.push(why);
            continue;
        }

        let keys = list_keys_now(&client).await;
        assert_eq!(active(&keys).kid, next, "a token of {next} means it is the active key: {keys:?}");
        let me = api.me(Credentials::Bearer(&first_of_next)).await;
        assert_eq!(me.status, 200, "the resource server accepts the first token of the new key: {me:?}");
        break (previous, previous_exp);
    };

    // Phase 3: the previous key is retired but published (its tokens worked, above).
    let (keys, jwks) = consistent_view(&client).await;
    let retired = find(&keys, &previous).unwrap_or_else(|| panic!("{previous} left the key list at once: {keys:?}"));
    assert_eq!(retired.state, "retired", "{keys:?}");
    let retired_at = retired.retired_at.unwrap_or_else(|| panic!("a retired key without retired_at: {keys:?}"));
    assert!(jwks.key(&previous).is_some(), "the retired key {previous} is still in the JWKS: {:?}", jwks.kids());
    // Nothing signed by the previous key can outlive this.
    let latest_possible_exp = retired_at + TOKEN_TTL;

    // Phase 4: the retired key leaves the JWKS, and only once its tokens are all dead.
    let removed_at = poll_until(PHASE_DEADLINE, &format!("the retired key {previous} to leave the JWKS"), || {
        let (client, previous) = (client.clone(), previous.clone());
        async move {
            let (keys, jwks) = consistent_view(&client).await;
            let observed = now();
            if jwks.key(&previous).is_some() {
                // Still published: fine at any time; it must still be listed as retired.
                let key = find(&keys, &previous).expect("a published key is listed");
                assert_eq!(key.state, "retired", "{keys:?}");
                tokio::time::sleep(PAUSE).await;
                return None;
            }
            assert!(find(&keys, &previous).is_none(), "gone from the JWKS, so from the list: {keys:?}");
            Some(observed)
        }
    })
    .await;
    eprintln!(
        "key phases: {previous} retired at {retired_at}, its last token expired at {previous_exp}, \
         left the JWKS by {removed_at} (not before {latest_possible_exp})"
    );
    assert!(
        removed_at >= previous_exp,
        "{previous} left the JWKS at {removed_at}, before a token it signed expired at {previous_exp}"
    );
    assert!(
        removed_at >= latest_possible_exp,
        "{previous} left the JWKS at {removed_at}, before {latest_possible_exp} (retired at {retired_at} + the \
         {TOKEN_TTL} s token lifetime)"
    );
}

/// Uses the last tokens of the `previous` key right after the `next` key signed its
/// first: the access token at the resource server, the refresh token at the auth
/// server (whose new tokens carry `next`). `Err` when a token was refused but had
/// expired by the answer, which proves nothing; panics on a refusal of a live token.
async fn use_old_tokens(
    client: &OAuthClient,
    api: &ApiClient,
    (access, refresh): (&str, &str),
    previous: &str,
    next: &str,
) -> Result<(), String> {
    let me = api.me(Credentials::Bearer(access)).await;
    let answered = now();
    if me.status != 200 {
        let exp = exp_of(access);
        if answered >= exp {
            return Err(format!("the access token of {previous} (exp {exp}) was refused at {answered}: {me:?}"));
        }
        panic!("an unexpired token (exp {exp}) of the retired key {previous} is refused at {answered}: {me:?}");
    }
    let refreshed = client.token_refresh(WEB_APP, refresh).await;
    let answered = now();
    if refreshed.status != 200 {
        let exp = exp_of(refresh);
        if answered >= exp {
            return Err(format!(
                "the refresh token of {previous} (exp {exp}) was refused at {answered}: {refreshed:?}"
            ));
        }
        panic!("an unexpired refresh token (exp {exp}) of the retired key {previous} is refused: {refreshed:?}");
    }
    assert_eq!(kid_of(refreshed.access_token()), next, "the refresh's new tokens carry the active key");
    let me = api.me(Credentials::Bearer(refreshed.access_token())).await;
    assert_eq!(me.status, 200, "the refreshed access token is accepted: {me:?}");
    Ok(())
}

/// Reads the key list, logs in, reads the list again: when both reads show the same
/// `next` key, the login happened while it was `next`, so its tokens must carry the
/// active key of both reads, and the JWKS read in between must list both keys.
/// Returns `(active kid, next kid, (access token, refresh token))`, or `None` when
/// there is no `next` key yet or the list changed meanwhile.
async fn token_during_next_phase(client: &OAuthClient, api: &ApiClient) -> Option<(String, String, (String, String))> {
    let before = list_keys_now(client).await;
    let next = before.iter().find(|k| k.state == "next").map(|k| k.kid.clone());
    let Some(next) = next else {
        tokio::time::sleep(PAUSE).await;
        return None;
    };
    let jwks = Jwks::fetch(client).await;
    let login = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
    let (token, refresh) = (login.access_token().to_owned(), login.refresh_token().to_owned());
    let after = list_keys_now(client).await;
    if before != after {
        return None;
    }
    let active_kid = active(&before).kid.clone();
    for (what, token) in [("access", &token), ("refresh", &refresh)] {
        let kid = kid_of(token);
        assert_ne!(kid, next, "a {what} token signed by {next} while it was only published as next: {before:?}");
        assert_eq!(kid, active_kid, "the {what} token carries the active key: {before:?}");
    }
    assert_eq!(jwks_kids(&jwks), kid_set(&before), "the JWKS lists exactly the keys of {before:?}");
    let me = api.me(Credentials::Bearer(&token)).await;
    assert_eq!(me.status, 200, "{me:?}");
    Some((active_kid, next, (token, refresh)))
}

/// The key list and the JWKS at one moment: reads list, JWKS, list until both lists
/// agree, and asserts that the JWKS publishes exactly the listed keys (every state
/// is published) with exactly one active.
async fn consistent_view(client: &OAuthClient) -> (Vec<KeyInfo>, Jwks) {
    poll_until(PHASE_DEADLINE, "a key list that holds still around a JWKS read", || async move {
        let before = list_keys_now(client).await;
        let jwks = Jwks::fetch(client).await;
        let after = list_keys_now(client).await;
        if before != after {
            return None;
        }
        active(&before);
        for key in &before {
            assert!(["next", "active", "retired"].contains(&key.state.as_str()), "unknown state: {before:?}");
        }
        assert_eq!(jwks_kids(&jwks), kid_set(&before), "the JWKS lists exactly the keys of {before:?}");
        Some((before, jwks))
    })
    .await
}

fn now() -> i64 {
    shared_claims::unix_now()
}
