//! Contract cases for login sessions of the authorization endpoint: liveness at a
//! given `now`, sliding within the absolute end, sids, deletion.

use shared_claims::unix_now;

use super::Run;
use crate::store::{LoginSession, Store};

fn login(run: &Run, now: i64) -> LoginSession {
    LoginSession {
        username: run.id("user-{alice}"),
        auth_time: now,
        credentials: "c2FsdA{}%".into(),
        idle_expires_at: now + 100,
        expires_at: now + 1_000,
        sids: vec![],
    }
}

pub(super) async fn round_trip_and_sids<S: Store + ?Sized>(store: &S, run: &Run) {
    let now = unix_now();
    let key = run.id("login-1");
    let session = login(run, now);
    assert_eq!(store.login_session(&key, now).await.expect("get"), None);
    assert!(!store.add_login_session_sid(&key, "sid-0").await.expect("add"), "no session, nothing added");
    store.create_login_session(&key, &session).await.expect("create");
    assert_eq!(store.login_session(&key, now).await.expect("get"), Some(session.clone()));
    let lookalike = key.replace('{', "%7B").replace('}', "%7D");
    assert_eq!(store.login_session(&lookalike, now).await.expect("get"), None, "key encoding collides");

    assert!(store.add_login_session_sid(&key, "sid-1").await.expect("add"));
    assert!(store.add_login_session_sid(&key, "sid-2").await.expect("add"));
    assert!(store.add_login_session_sid(&key, "sid-1").await.expect("add again"));
    let read = store.login_session(&key, now).await.expect("get").expect("live");
    assert_eq!(read.sids, ["sid-1", "sid-2"]);

    let deleted = store.delete_login_session(&key).await.expect("delete").expect("was there");
    assert_eq!(deleted, LoginSession { sids: vec!["sid-1".into(), "sid-2".into()], ..session });
    assert_eq!(store.login_session(&key, now).await.expect("get"), None);
    assert_eq!(store.delete_login_session(&key).await.expect("delete"), None, "delete twice");
}

/// Live only before both ends; sliding renews the idle end, never past the absolute one.
pub(super) async fn expiry_and_sliding<S: Store + ?Sized>(store: &S, run: &Run) {
    let now = unix_now();
    let key = run.id("login-2");
    let session = login(run, now);
    store.create_login_session(&key, &session).await.expect("create");
    assert_eq!(store.login_session(&key, now + 100).await.expect("get"), None, "past the idle end");
    assert_eq!(store.touch_login_session(&key, now + 100, 100).await.expect("touch"), None, "no sliding once idle");

    let touched = store.touch_login_session(&key, now + 50, 100).await.expect("touch").expect("live");
    assert_eq!(touched.idle_expires_at, now + 150);
    assert_eq!(store.login_session(&key, now + 120).await.expect("get"), Some(touched.clone()), "renewed");

    let capped = store.touch_login_session(&key, now + 140, 10_000).await.expect("touch").expect("live");
    assert_eq!(capped.idle_expires_at, session.expires_at, "never past the absolute end");
    assert_eq!(store.login_session(&key, session.expires_at).await.expect("get"), None, "past the absolute end");
    store.delete_login_session(&key).await.expect("delete");
}
