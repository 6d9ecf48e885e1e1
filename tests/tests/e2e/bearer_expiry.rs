//! Expiry and the design's refresh sequence, in both verification modes: a short
//! `AUTH_ACCESS_TTL`, the token refused once expired, a refresh at the auth server, the
//! retry accepted.

use std::time::Duration;

use tests::bootstrap::*;
use tests::fleet::await_refusal;
use tests::jwks::decode_unverified;
use tests::{ApiStack, Credentials, Store, Verify};

use crate::support::*;

/// The access token lifetime of these tests, seconds.
const ACCESS_TTL: i64 = 2;
/// Generous: the lifetime, the verifier's clock-skew leeway (a few seconds) and a
/// loaded machine.
const EXPIRY_DEADLINE: Duration = Duration::from_secs(30);

on_both_modes! {
    /// login → call → (token expires) 401 `invalid_token` → refresh → retry → 200.
    async fn an_expired_token_is_refused_and_a_refresh_restores_access(verify: Verify) {
        let ttl = ACCESS_TTL.to_string();
        let api = ApiStack::start_with(Store::Embedded, verify, |o| o.env("AUTH_ACCESS_TTL", ttl)).await;
        let login = api.client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        let token = login.access_token();
        let me = api.api.me(Credentials::Bearer(token)).await;
        assert_eq!(me.status, 200, "accepted while fresh: {me:?}");

        let refused = await_refusal(&api.api, token, EXPIRY_DEADLINE)
            .await
            .unwrap_or_else(|last| panic!("the expired token was still accepted after {EXPIRY_DEADLINE:?}: {last:?}"));
        assert_bearer_refusal(&refused, INVALID_TOKEN, "an expired token");
        let (_, claims) = decode_unverified(token).expect("a JWS");
        let exp = claims["exp"].as_i64().expect("exp");
        assert!(now() >= exp, "refused before its exp {exp}: {refused:?}");

        let refreshed = api.client.token_refresh(WEB_APP, login.refresh_token()).await;
        assert_token_response(&refreshed, ACCESS_TTL);
        let retry = api.api.me(Credentials::Bearer(refreshed.access_token())).await;
        assert_eq!((retry.status, retry.str("sub")), (200, ALICE), "the retry with the new token: {retry:?}");
    }
}
