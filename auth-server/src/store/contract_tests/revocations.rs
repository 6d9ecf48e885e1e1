//! Contract cases for revocations and their feed.

use shared_claims::unix_now;

use super::Run;
use crate::store::{FeedPage, Revocation, RevocationEvent, Store};

/// The feed head, then every page of the snapshot, read two at a time so that paging
/// itself is exercised.
async fn snapshot<S: Store + ?Sized>(store: &S) -> (Vec<RevocationEvent>, String) {
    let head = store.revocation_feed_head().await.expect("feed head");
    let mut events = Vec::new();
    let mut page = None;
    loop {
        let read = store.revocation_snapshot_page(page.as_deref(), 2).await.expect("snapshot page");
        events.extend(read.events);
        match read.next {
            Some(next) => page = Some(next),
            None => return (events, head),
        }
    }
}

pub(super) async fn is_revoked_by_each_kind<S: Store + ?Sized>(store: &S, run: &Run) {
    let now = unix_now();
    let jti = run.id("jti");
    let sid = run.id("sid");
    let user = run.id("user");
    let client = run.id("client");
    assert!(!store.is_revoked(&jti, Some(&sid), &user, &client, now).await.expect("is_revoked"));

    store.revoke(&Revocation::Token { jti: jti.clone() }, &[], now + 60).await.expect("revoke token");
    assert!(store.is_revoked(&jti, None, "someone", &client, now).await.expect("is_revoked"), "jti revoked");
    assert!(!store.is_revoked(&run.id("other-jti"), None, &user, &client, now).await.expect("is_revoked"));

    store.revoke(&Revocation::Session { sid: sid.clone() }, &[], now + 60).await.expect("revoke session");
    assert!(
        store.is_revoked(&run.id("j2"), Some(&sid), &user, &client, now).await.expect("is_revoked"),
        "session revoked"
    );

    store.revoke(&Revocation::User { sub: user.clone(), before: now }, &[], now + 60).await.expect("revoke user");
    let other_sid = run.id("sid2");
    assert!(store.is_revoked(&run.id("j3"), Some(&other_sid), &user, &client, now - 1).await.expect("is_revoked"));
    assert!(
        !store.is_revoked(&run.id("j4"), Some(&other_sid), &user, &client, now).await.expect("is_revoked"),
        "issued at the cut-off"
    );
    assert!(
        !store.is_revoked(&run.id("j5"), None, &user, &client, now - 1).await.expect("is_revoked"),
        "client tokens are not user tokens"
    );

    // An earlier cut-off never replaces a later one.
    store
        .revoke(&Revocation::User { sub: user.clone(), before: now - 100 }, &[], now + 60)
        .await
        .expect("revoke user again");
    assert!(store.is_revoked(&run.id("j6"), Some(&other_sid), &user, &client, now - 1).await.expect("is_revoked"));
}

/// A deleted client: every token issued to it before the cut-off, user and client
/// tokens alike; an earlier cut-off never replaces a later one.
pub(super) async fn is_revoked_by_client<S: Store + ?Sized>(store: &S, run: &Run) {
    let now = unix_now();
    let client = run.id("deleted-client");
    let other = run.id("kept-client");
    let (user, sid) = (run.id("client-user"), run.id("client-sid"));
    let revoked = |jti: &str, sid: Option<&str>, sub: &str, client: &str, iat: i64| {
        let (jti, sid, sub, client) = (run.id(jti), sid.map(str::to_owned), sub.to_owned(), client.to_owned());
        async move { store.is_revoked(&jti, sid.as_deref(), &sub, &client, iat).await.expect("is_revoked") }
    };
    assert!(!revoked("c1", Some(&sid), &user, &client, now - 1).await);
    store.revoke(&Revocation::Client { client_id: client.clone(), before: now }, &[], now + 60).await.expect("revoke");
    assert!(revoked("c2", Some(&sid), &user, &client, now - 1).await, "a user token of the client");
    assert!(revoked("c3", None, &client, &client, now - 1).await, "the client's own token");
    assert!(!revoked("c4", Some(&sid), &user, &client, now).await, "issued at the cut-off");
    assert!(!revoked("c5", Some(&sid), &user, &other, now - 1).await, "another client's token");
    let earlier = Revocation::Client { client_id: client.clone(), before: now - 100 };
    store.revoke(&earlier, &[], now + 60).await.expect("revoke again");
    assert!(revoked("c6", None, &client, &client, now - 1).await, "the later cut-off stays");
}

pub(super) async fn expired_revocations_are_forgotten<S: Store + ?Sized>(store: &S, run: &Run) {
    let now = unix_now();
    let jti = run.id("expired-jti");
    let client = run.id("client");
    store.revoke(&Revocation::Token { jti: jti.clone() }, &[], now - 1).await.expect("revoke");
    assert!(!store.is_revoked(&jti, None, "x", &client, now).await.expect("is_revoked"));
    let (snapshot, _) = snapshot(store).await;
    assert!(snapshot.iter().all(|e| e.revocation != Revocation::Token { jti: jti.clone() }));
}

pub(super) async fn feed_resumes_from_a_cursor<S: Store + ?Sized>(store: &S, run: &Run) {
    let now = unix_now();
    let (_, cursor) = snapshot(store).await;
    let first = Revocation::Session { sid: run.id("feed-1") };
    let second = Revocation::Token { jti: run.id("feed-2") };
    let a = store.revoke(&first, &[], now + 60).await.expect("revoke").expect("appended");
    let b = store.revoke(&second, &[], now + 60).await.expect("revoke").expect("appended");
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

    let (snapshot, snapshot_cursor) = snapshot(store).await;
    assert!(snapshot.iter().any(|e| e.revocation == first));
    assert!(snapshot.iter().any(|e| e.revocation == second));
    assert!(matches!(store.revocations_since(&snapshot_cursor, 10).await, Ok(FeedPage::Events(_))));
}

pub(super) async fn unknown_cursors_need_a_snapshot<S: Store + ?Sized>(store: &S) {
    for cursor in ["garbage", "", "99999999999999-0", "x-1"] {
        assert_eq!(store.revocations_since(cursor, 10).await.expect("since"), FeedPage::Gap, "cursor {cursor:?}");
    }
    // `Last-Event-ID` is untrusted: a real cursor bent out of range, or past any
    // integer, is a gap, never a panic, a wrap or a store error.
    let head = store.revocation_feed_head().await.expect("feed head");
    let (prefix, _) = head.rsplit_once('-').expect("a cursor ends in -<sequence>");
    let bent = [
        format!("{prefix}-{}", u64::MAX),
        format!("{prefix}-{}0", u64::MAX),
        format!("{prefix}-99999999999999999999999999999999"),
        format!("{prefix}--1"),
        format!("{prefix}-+1"),
        format!("{}-{}", u64::MAX, u64::MAX),
        format!("{}0-0", u64::MAX),
    ];
    for cursor in &bent {
        assert_eq!(store.revocations_since(cursor, 10).await.expect("since"), FeedPage::Gap, "cursor {cursor:?}");
    }
}

pub(super) async fn snapshots_page_through_everything_with_audiences<S: Store + ?Sized>(store: &S, run: &Run) {
    let now = unix_now();
    let audiences = vec![run.id("api")];
    let mut ours = Vec::new();
    for i in 0..7 {
        let revocation = Revocation::Token { jti: run.id(&format!("paged-{i}")) };
        store.revoke(&revocation, &audiences, now + 60).await.expect("revoke");
        ours.push(revocation);
    }
    let user = Revocation::User { sub: run.id("paged-user"), before: now };
    let event = store.revoke(&user, &[], now + 60).await.expect("revoke user").expect("appended");
    assert!(event.audiences.is_empty());
    let (events, _) = snapshot(store).await;
    for revocation in &ours {
        let found = events.iter().find(|e| &e.revocation == revocation).expect("every revocation in some page");
        assert_eq!(found.audiences, audiences, "audiences kept");
    }
    assert!(events.iter().any(|e| e.revocation == user && e.audiences.is_empty()));
    let later = Revocation::Session { sid: run.id("paged-session") };
    store.revoke(&later, &audiences, now + 60).await.expect("revoke session");
    let FeedPage::Events(feed) = store.revocations_since(&event.cursor, 10).await.expect("since") else {
        panic!("resume");
    };
    let on_feed = feed.iter().find(|e| e.revocation == later).expect("the later revocation on the feed");
    assert_eq!(on_feed.audiences, audiences, "audiences on the feed too");
}

/// Repeating a revocation that is in force, as strong and as long, appends nothing:
/// a client presenting the same token again cannot flood the feed. A longer life or
/// a later cut-off is news, and is appended.
pub(super) async fn repeated_revocations_append_once<S: Store + ?Sized>(store: &S, run: &Run) {
    let now = unix_now();
    let (_, cursor) = snapshot(store).await;
    let session = Revocation::Session { sid: run.id("repeat-sid") };
    assert!(store.revoke(&session, &[], now + 60).await.expect("revoke").is_some());
    assert!(store.revoke(&session, &[], now + 60).await.expect("revoke").is_none(), "the same again");
    assert!(store.revoke(&session, &[], now + 30).await.expect("revoke").is_none(), "shorter");
    assert!(store.revoke(&session, &[], now + 90).await.expect("revoke").is_some(), "longer");
    let sub = run.id("repeat-user");
    let user = |before: i64| Revocation::User { sub: sub.clone(), before };
    assert!(store.revoke(&user(now), &[], now + 60).await.expect("revoke").is_some());
    assert!(store.revoke(&user(now - 5), &[], now + 60).await.expect("revoke").is_none(), "an earlier cut-off");
    assert!(store.revoke(&user(now + 5), &[], now + 60).await.expect("revoke").is_some(), "a later cut-off");

    let FeedPage::Events(events) = store.revocations_since(&cursor, 100).await.expect("since") else {
        panic!("a fresh cursor must resume");
    };
    let ours = events
        .iter()
        .filter(|e| e.revocation == session || matches!(&e.revocation, Revocation::User { sub: s, .. } if s == &sub));
    assert_eq!(ours.count(), 4, "one event per change: {events:?}");
    let (in_force, _) = snapshot(store).await;
    let kept = in_force.iter().find(|e| e.revocation == session).expect("in force");
    assert_eq!(kept.expires_at, now + 90, "the longest life is kept");
}
