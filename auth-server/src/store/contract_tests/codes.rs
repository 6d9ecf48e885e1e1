//! Contract cases for authorization codes: single use, atomic redemption, expiry
//! (tested with an explicit `now`, not by waiting).

use futures_util::future::join_all;
use shared_claims::unix_now;

use super::{scopes, Run};
use crate::store::{AuthorizationCode, Redeemed, Store};

fn code(run: &Run, now: i64) -> AuthorizationCode {
    AuthorizationCode {
        client_id: run.id("code-client"),
        redirect_uri: "https://app.example/cb?x={y}".into(),
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
        scope: scopes("documents:read"),
        audiences: vec!["documents-api".into()],
        username: run.id("user-{alice}"),
        login_session: run.id("login"),
        sid: run.id("sid"),
        auth_time: now - 5,
        expires_at: now + 60,
    }
}

pub(super) async fn redeemed_once_then_reported_as_used<S: Store + ?Sized>(store: &S, run: &Run) {
    let now = unix_now();
    let hash = run.id("code-1");
    let record = code(run, now);
    assert_eq!(store.redeem_code(&hash, now).await.expect("redeem"), None, "unknown code");
    store.put_code(&hash, &record).await.expect("put");
    assert_eq!(store.redeem_code(&hash, now).await.expect("redeem"), Some(Redeemed::First(record.clone())));
    for _ in 0..2 {
        let again = store.redeem_code(&hash, now + 1).await.expect("redeem");
        assert_eq!(again, Some(Redeemed::AlreadyUsed(record.clone())), "a used code stays known as used");
    }
    let lookalike = hash.replace('{', "%7B").replace('}', "%7D");
    assert_eq!(store.redeem_code(&lookalike, now).await.expect("redeem"), None, "key encoding collides");
}

/// A code is dead at its `expires_at`, used or not.
pub(super) async fn expired_codes_are_unknown<S: Store + ?Sized>(store: &S, run: &Run) {
    let now = unix_now();
    let fresh = run.id("code-fresh");
    let used = run.id("code-used");
    let record = code(run, now);
    store.put_code(&fresh, &record).await.expect("put");
    store.put_code(&used, &record).await.expect("put");
    assert!(matches!(store.redeem_code(&used, now).await.expect("redeem"), Some(Redeemed::First(_))));
    assert_eq!(store.redeem_code(&fresh, record.expires_at).await.expect("redeem"), None, "expired, never used");
    assert_eq!(store.redeem_code(&used, record.expires_at).await.expect("redeem"), None, "expired, used");
    assert!(
        matches!(store.redeem_code(&fresh, now).await.expect("redeem"), Some(Redeemed::First(_))),
        "a late attempt spends nothing"
    );
}

/// Concurrent redemptions: exactly one is first.
pub(super) async fn concurrent_redemptions_have_one_winner<S: Store + ?Sized>(store: &S, run: &Run) {
    let now = unix_now();
    let hash = run.id("code-race");
    store.put_code(&hash, &code(run, now)).await.expect("put");
    let outcomes = join_all((0..10).map(|_| store.redeem_code(&hash, now))).await;
    let firsts = outcomes.iter().filter(|o| matches!(o, Ok(Some(Redeemed::First(_))))).count();
    let used = outcomes.iter().filter(|o| matches!(o, Ok(Some(Redeemed::AlreadyUsed(_))))).count();
    assert_eq!((firsts, used), (1, 9), "{outcomes:?}");
}
