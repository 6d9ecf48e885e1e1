//! Expiry and the design's refresh sequence, in both verification modes: a short
//! `AUTH_ACCESS_TTL`, the token refused once expired, a refresh at the auth server, the
//! retry accepted.
//!
//! The lifetime is short and `exp` is in whole seconds, so on a loaded machine a token
//! may expire before a check of it is answered (introspection has no leeway). A
//! "fresh" check therefore counts only when the token was sent before its `exp`; a 401
//! answered at or after `exp` says nothing, and the check is made again with a new
//! token, a bounded number of times. A refusal before `exp` fails at once.

use std::time::Duration;

use tests::bootstrap::*;
use tests::fleet::await_refusal;
use tests::jwks::decode_unverified;
use tests::{ApiClient, ApiStack, Credentials, Reply, Store, Verify};

use crate::key_support::exp_of;
use crate::support::*;

/// The access token lifetime of these tests, seconds.
const ACCESS_TTL: i64 = 5;
/// Generous: the lifetime, the verifier's clock-skew leeway (a few seconds) and a
/// loaded machine.
const EXPIRY_DEADLINE: Duration = Duration::from_secs(30);
/// How many fresh tokens a "fresh" check may take before it gives up.
const TRIES: usize = 3;

/// Presents `token` to `GET /api/me`. `Ok` with the answer when it was sent before
/// the token's `exp` and accepted; `Err` saying why the outcome is inconclusive when
/// the token had expired first (sent at or after `exp`, or a 401 answered at or after
/// it). Panics when a token sent and answered before its `exp` is refused.
async fn present_fresh(api: &ApiClient, token: &str, what: &str) -> Result<Reply, String> {
    let exp = exp_of(token);
    let before = now();
    let reply = api.me(Credentials::Bearer(token)).await;
    let after = now();
    if before >= exp {
        return Err(format!("sent at {before}, at or after its exp {exp}: HTTP {}", reply.status));
    }
    match reply.status {
        200 => Ok(reply),
        401 if after >= exp => Err(format!("refused at {after}, at or after its exp {exp}: {reply:?}")),
        _ => panic!("{what}: a token sent at {before} and answered at {after}, before its exp {exp}: {reply:?}"),
    }
}

on_both_modes! {
    /// login → call → (token expires) 401 `invalid_token` → refresh → retry → 200.
    async fn an_expired_token_is_refused_and_a_refresh_restores_access(verify: Verify) {
        let ttl = ACCESS_TTL.to_string();
        let api = ApiStack::start_with(Store::Embedded, verify, |o| o.env("AUTH_ACCESS_TTL", ttl)).await;

        // Accepted while fresh: a login whose token was presented, and accepted, before its exp.
        let mut expired_first = Vec::new();
        let mut fresh = None;
        for _ in 0..TRIES {
            let login = api.client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
            assert_token_response(&login, ACCESS_TTL);
            match present_fresh(&api.api, login.access_token(), "accepted while fresh").await {
                Ok(_) => {
                    fresh = Some(login);
                    break;
                }
                Err(why) => expired_first.push(why),
            }
        }
        let login = fresh.unwrap_or_else(|| {
            panic!("no token was presented before its exp in {TRIES} logins (TTL {ACCESS_TTL} s): {expired_first:?}")
        });
        let token = login.access_token();

        let refused = await_refusal(&api.api, token, EXPIRY_DEADLINE)
            .await
            .unwrap_or_else(|last| panic!("the expired token was still accepted after {EXPIRY_DEADLINE:?}: {last:?}"));
        assert_bearer_refusal(&refused, INVALID_TOKEN, "an expired token");
        let (_, claims) = decode_unverified(token).expect("a JWS");
        let exp = claims["exp"].as_i64().expect("exp");
        assert!(now() >= exp, "refused before its exp {exp}: {refused:?}");

        // The retry after a refresh: accepted when presented before the new token's exp.
        let mut refresh_token = login.refresh_token().to_owned();
        let mut expired_first = Vec::new();
        let mut retry = None;
        for _ in 0..TRIES {
            let refreshed = api.client.token_refresh(WEB_APP, &refresh_token).await;
            assert_token_response(&refreshed, ACCESS_TTL);
            refresh_token = refreshed.refresh_token().to_owned();
            match present_fresh(&api.api, refreshed.access_token(), "the retry with the new token").await {
                Ok(reply) => {
                    retry = Some(reply);
                    break;
                }
                Err(why) => expired_first.push(why),
            }
        }
        let retry = retry.unwrap_or_else(|| {
            panic!("no refreshed token was presented before its exp in {TRIES} refreshes: {expired_first:?}")
        });
        assert_eq!((retry.status, retry.str("sub")), (200, ALICE), "the retry with the new token: {retry:?}");
    }
}
