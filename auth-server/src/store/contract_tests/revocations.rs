//! Contract cases for revocations and their feed.

use shared_claims::unix_now;

use super::Run;
use crate::store::{FeedPage, Revocation, Store};

pub(super) async fn is_revoked_by_each_kind<S: Store + ?Sized>(store: &S, run: &Run) {
    let now = unix_now();
    let jti = run.id("jti");
    let sid = run.id("sid");
    let user = run.id("user");
    assert!(!store.is_revoked(&jti, Some(&sid), &user, now).await.expect("is_revoked"));

    store.revoke(&Revocation::Token { jti: jti.clone() }, now + 60).await.expect("revoke token");
    assert!(store.is_revoked(&jti, None, "someone", now).await.expect("is_revoked"), "jti revoked");
    assert!(!store.is_revoked(&run.id("other-jti"), None, &user, now).await.expect("is_revoked"));

    store.revoke(&Revocation::Session { sid: sid.clone() }, now + 60).await.expect("revoke session");
    assert!(store.is_revoked(&run.id("j2"), Some(&sid), &user, now).await.expect("is_revoked"), "session revoked");

    store.revoke(&Revocation::User { sub: user.clone(), before: now }, now + 60).await.expect("revoke user");
    let other_sid = run.id("sid2");
    assert!(store.is_revoked(&run.id("j3"), Some(&other_sid), &user, now - 1).await.expect("is_revoked"));
    assert!(
        !store.is_revoked(&run.id("j4"), Some(&other_sid), &user, now).await.expect("is_revoked"),
        "issued at the cut-off"
    );
    assert!(
        !store.is_revoked(&run.id("j5"), None, &user, now - 1).await.expect("is_revoked"),
        "client tokens are not user tokens"
    );

    // An earlier cut-off never replaces a later one.
    store
        .revoke(&Revocation::User { sub: user.clone(), before: now - 100 }, now + 60)
        .await
        .expect("revoke user again");
    assert!(store.is_revoked(&run.id("j6"), Some(&other_sid), &user, now - 1).await.expect("is_revoked"));
}

pub(super) async fn expired_revocations_are_forgotten<S: Store + ?Sized>(store: &S, run: &Run) {
    let now = unix_now();
    let jti = run.id("expired-jti");
    store.revoke(&Revocation::Token { jti: jti.clone() }, now - 1).await.expect("revoke");
    assert!(!store.is_revoked(&jti, None, "x", now).await.expect("is_revoked"));
    let (snapshot, _) = store.revocation_snapshot().await.expect("snapshot");
    assert!(snapshot.iter().all(|e| e.revocation != Revocation::Token { jti: jti.clone() }));
}

pub(super) async fn feed_resumes_from_a_cursor<S: Store + ?Sized>(store: &S, run: &Run) {
    let now = unix_now();
    let (_, cursor) = store.revocation_snapshot().await.expect("snapshot");
    let first = Revocation::Session { sid: run.id("feed-1") };
    let second = Revocation::Token { jti: run.id("feed-2") };
    let a = store.revoke(&first, now + 60).await.expect("revoke");
    let b = store.revoke(&second, now + 60).await.expect("revoke");
    assert_ne!(a.cursor, b.cursor);

    let FeedPage::Events(events) = store.revocations_since(&cursor, 100).await.expect("since") else {
        panic!("a fresh cursor must resume");
    };
    let ours: Vec<_> = events.iter().filter(|e| e.revocation == first || e.revocation == second).collect();
    assert_eq!(ours.len(), 2, "both events after the cursor");
    assert_eq!(ours[0].revocation, first, "in order");
    assert_eq!(ours[1].expires_at, now + 60);

    let FeedPage::Events(rest) = store.revocations_since(&b.cursor, 100).await.expect("since") else {
        panic!("the last cursor must resume");
    };
    assert!(rest.iter().all(|e| e.revocation != first && e.revocation != second), "nothing twice");

    let FeedPage::Events(limited) = store.revocations_since(&cursor, 1).await.expect("since") else {
        panic!("resume with a limit");
    };
    assert_eq!(limited.len(), 1);

    let (snapshot, snapshot_cursor) = store.revocation_snapshot().await.expect("snapshot");
    assert!(snapshot.iter().any(|e| e.revocation == first));
    assert!(snapshot.iter().any(|e| e.revocation == second));
    assert!(matches!(store.revocations_since(&snapshot_cursor, 10).await, Ok(FeedPage::Events(_))));
}

pub(super) async fn unknown_cursors_need_a_snapshot<S: Store + ?Sized>(store: &S) {
    for cursor in ["garbage", "", "99999999999999-0", "x-1"] {
        assert_eq!(store.revocations_since(cursor, 10).await.expect("since"), FeedPage::Gap, "cursor {cursor:?}");
    }
}
