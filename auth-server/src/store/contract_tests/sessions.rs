//! Contract cases for login sessions and the rotation of their refresh tokens
//! (the rules of `RotateOutcome`).

use futures_util::future::join_all;
use shared_claims::{unix_now, ScopeSet};

use super::{scopes, Run};
use crate::store::{RotateOutcome, Rotation, Session, Store};

/// The idle window every rotation in these cases asks for.
const IDLE_TTL: i64 = 900;

/// A live session of `username`, created 10 s ago, idle end in 10 min, absolute end
/// in 1 h.
pub(super) fn session(run: &Run, name: &str, username: &str, now: i64) -> Session {
    Session {
        sid: run.id(name),
        username: username.to_owned(),
        client_id: run.id("client-web"),
        client_registration: run.id("registration-1"),
        scope: scopes("documents:read documents:write"),
        audiences: vec!["documents-api".into()],
        created_at: now - 10,
        expires_at: now + 3600,
        last_used: now - 10,
        idle_expires_at: now + 600,
        refresh_jti: run.id(&format!("{name}-jti-0")),
        refresh_iat: now - 10,
        previous_jti: None,
        rotated_at: None,
    }
}

fn rotation(new_jti: String, now: i64, reuse_grace: i64) -> Rotation {
    Rotation { new_jti, now, idle_ttl: IDLE_TTL, reuse_grace }
}

/// One refresh: `presented` against session `sid` at `now`.
async fn rotate<S: Store + ?Sized>(
    store: &S,
    sid: &str,
    presented: &str,
    new_jti: String,
    now: i64,
    grace: i64,
) -> RotateOutcome {
    store.rotate_refresh(sid, presented, &rotation(new_jti, now, grace)).await.expect("rotate_refresh")
}

/// Stores a session, with no cap on the user's sessions.
async fn create<S: Store + ?Sized>(store: &S, session: &Session) {
    let evicted = store.create_session(session, usize::MAX).await.expect("create");
    assert_eq!(evicted, Vec::<String>::new(), "nothing is over an unlimited cap");
}

async fn get<S: Store + ?Sized>(store: &S, sid: &str) -> Option<Session> {
    store.session(sid).await.expect("session")
}

/// What a rotation of `session` at `now` must yield (the rotation rules,
/// written out rather than borrowed from any implementation).
fn rotated(session: &Session, new_jti: &str, now: i64) -> Session {
    Session {
        previous_jti: Some(session.refresh_jti.clone()),
        rotated_at: Some(now),
        refresh_jti: new_jti.to_owned(),
        refresh_iat: now,
        last_used: now,
        idle_expires_at: (now + IDLE_TTL).min(session.expires_at),
        ..session.clone()
    }
}

pub(super) async fn round_trip<S: Store + ?Sized>(store: &S, run: &Run) {
    let now = unix_now();
    let plain = session(run, "round-trip", &run.id("user-rt"), now);
    let no_audience = Session {
        sid: run.id("round-trip-2"),
        audiences: vec![],
        scope: ScopeSet::new(),
        previous_jti: Some(run.id("earlier-jti")),
        rotated_at: Some(now - 5),
        ..plain.clone()
    };
    for s in [&plain, &no_audience] {
        create(store, s).await;
        assert_eq!(get(store, &s.sid).await, Some(s.clone()));
    }
    let unknown = run.id("no-such-session");
    assert_eq!(get(store, &unknown).await, None);
    let outcome = rotate(store, &unknown, "jti", run.id("x"), now, 0).await;
    assert_eq!(outcome, RotateOutcome::NotFound);
}

pub(super) async fn rotation_and_reuse<S: Store + ?Sized>(store: &S, run: &Run) {
    let now = unix_now();
    let s = session(run, "rotate", &run.id("user-rotate"), now);
    create(store, &s).await;

    // The current token rotates: new jti, idle end renewed from now.
    let j1 = run.id("rotate-jti-1");
    let first = rotated(&s, &j1, now);
    let outcome = rotate(store, &s.sid, &s.refresh_jti, j1.clone(), now, 0).await;
    assert_eq!(outcome, RotateOutcome::Rotated(first.clone()));
    assert_eq!(get(store, &s.sid).await, Some(first.clone()));

    // And the successor rotates in turn.
    let j2 = run.id("rotate-jti-2");
    let second = rotated(&first, &j2, now + 1);
    let outcome = rotate(store, &s.sid, &j1, j2.clone(), now + 1, 0).await;
    assert_eq!(outcome, RotateOutcome::Rotated(second.clone()));

    // The replaced token again, no grace: reuse, and the whole session is locked
    // until the caller has recorded its revocation and deleted it.
    let outcome = rotate(store, &s.sid, &j1, run.id("rotate-jti-3"), now + 2, 0).await;
    assert_eq!(outcome, RotateOutcome::Reused(second.clone()));
    assert_eq!(get(store, &s.sid).await, Some(second.locked()));
    let outcome = rotate(store, &s.sid, &j2, run.id("rotate-jti-4"), now + 3, 0).await;
    assert_eq!(outcome, RotateOutcome::Reused(second.locked()), "the current token died with its session");
    let outcome = rotate(store, &s.sid, "", run.id("rotate-jti-5"), now + 3, 0).await;
    assert_eq!(outcome, RotateOutcome::Reused(second.locked()), "the lock is no token");
    assert_eq!(store.delete_session(&s.sid).await.expect("delete"), Some(second.locked()));
    let outcome = rotate(store, &s.sid, &j2, run.id("rotate-jti-6"), now + 3, 0).await;
    assert_eq!(outcome, RotateOutcome::NotFound, "deleted by the caller");
}

pub(super) async fn unknown_jti_is_reuse<S: Store + ?Sized>(store: &S, run: &Run) {
    let now = unix_now();
    let s = session(run, "unknown-jti", &run.id("user-unknown"), now);
    create(store, &s).await;
    let outcome = rotate(store, &s.sid, "never-issued", run.id("u-1"), now, 60).await;
    assert_eq!(outcome, RotateOutcome::Reused(s.clone()));
    assert_eq!(get(store, &s.sid).await, Some(s.locked()));
}

pub(super) async fn grace_window<S: Store + ?Sized>(store: &S, run: &Run) {
    let now = unix_now();
    let grace = 30;
    let s = session(run, "grace", &run.id("user-grace"), now);
    create(store, &s).await;
    let j1 = run.id("grace-jti-1");
    let next = rotated(&s, &j1, now);
    let outcome = rotate(store, &s.sid, &s.refresh_jti, j1.clone(), now, grace).await;
    assert_eq!(outcome, RotateOutcome::Rotated(next.clone()));

    // Within the window: the same successor, nothing changes (its own new_jti unused).
    for offset in [0, 5, grace - 1] {
        let outcome = rotate(store, &s.sid, &s.refresh_jti, run.id("g"), now + offset, grace).await;
        assert_eq!(outcome, RotateOutcome::Grace(next.clone()), "{offset} s after");
    }
    assert_eq!(get(store, &s.sid).await, Some(next.clone()));

    // The window is half-open: at rotated_at + grace it is reuse.
    let outcome = rotate(store, &s.sid, &s.refresh_jti, run.id("g"), now + grace, grace).await;
    assert_eq!(outcome, RotateOutcome::Reused(next.clone()));
    assert_eq!(get(store, &s.sid).await, Some(next.locked()));
    let outcome = rotate(store, &s.sid, &s.refresh_jti, run.id("g"), now + 1, grace).await;
    assert_eq!(outcome, RotateOutcome::Reused(next.locked()), "a locked session has no grace");

    // Grace covers only the token just replaced, not older ones.
    let t = session(run, "grace-older", &run.id("user-grace"), now);
    create(store, &t).await;
    let k1 = run.id("grace-older-1");
    let k2 = run.id("grace-older-2");
    let first = rotated(&t, &k1, now);
    let latest = rotated(&first, &k2, now + 1);
    rotate(store, &t.sid, &t.refresh_jti, k1.clone(), now, grace).await;
    let outcome = rotate(store, &t.sid, &k1, k2, now + 1, grace).await;
    assert_eq!(outcome, RotateOutcome::Rotated(latest.clone()));
    let outcome = rotate(store, &t.sid, &t.refresh_jti, run.id("g"), now + 2, grace).await;
    assert_eq!(outcome, RotateOutcome::Reused(latest), "a token two rotations old is reuse even within the window");
}

pub(super) async fn expired_sessions<S: Store + ?Sized>(store: &S, run: &Run) {
    let now = unix_now();
    let user = run.id("user-expired");
    let idle_over = Session { idle_expires_at: now - 1, ..session(run, "idle-over", &user, now) };
    let absolute_over =
        Session { created_at: now - 4000, expires_at: now - 1, ..session(run, "absolute-over", &user, now) };
    for s in [&idle_over, &absolute_over] {
        create(store, s).await;
        assert_eq!(get(store, &s.sid).await, None, "{}", s.sid);
        let outcome = rotate(store, &s.sid, &s.refresh_jti, run.id("e"), now, 60).await;
        assert_eq!(outcome, RotateOutcome::NotFound, "{}", s.sid);
        assert_eq!(store.delete_session(&s.sid).await.expect("delete"), None);
    }

    // Liveness is strict: at the idle end exactly, the session is over.
    let edge = session(run, "idle-edge", &user, now);
    create(store, &edge).await;
    let at_end = edge.idle_expires_at;
    let outcome = rotate(store, &edge.sid, &edge.refresh_jti, run.id("e"), at_end, 0).await;
    assert_eq!(outcome, RotateOutcome::NotFound);
    assert_eq!(get(store, &edge.sid).await, None, "a dead session is removed");
    assert_eq!(store.user_sessions(&user).await.expect("list"), vec![]);
}

pub(super) async fn absolute_cap<S: Store + ?Sized>(store: &S, run: &Run) {
    let now = unix_now();
    let s =
        Session { expires_at: now + 100, idle_expires_at: now + 50, ..session(run, "cap", &run.id("user-cap"), now) };
    create(store, &s).await;
    let j1 = run.id("cap-jti-1");
    let outcome = rotate(store, &s.sid, &s.refresh_jti, j1.clone(), now, 0).await;
    let capped = rotated(&s, &j1, now);
    assert_eq!(capped.idle_expires_at, s.expires_at, "no refresh extends past the absolute end");
    assert_eq!(outcome, RotateOutcome::Rotated(capped));
    let outcome = rotate(store, &s.sid, &j1, run.id("cap-jti-2"), now + 100, 0).await;
    assert_eq!(outcome, RotateOutcome::NotFound, "at the absolute end the session is over");
}

pub(super) async fn delete_session<S: Store + ?Sized>(store: &S, run: &Run) {
    let now = unix_now();
    let user = run.id("user-delete");
    let s = session(run, "delete", &user, now);
    create(store, &s).await;
    assert_eq!(store.delete_session(&s.sid).await.expect("delete"), Some(s.clone()));
    assert_eq!(get(store, &s.sid).await, None);
    assert_eq!(store.delete_session(&s.sid).await.expect("delete"), None, "delete twice");
    let outcome = rotate(store, &s.sid, &s.refresh_jti, run.id("d"), now, 60).await;
    assert_eq!(outcome, RotateOutcome::NotFound);
    assert_eq!(store.user_sessions(&user).await.expect("list"), vec![]);
}

pub(super) async fn user_sessions<S: Store + ?Sized>(store: &S, run: &Run) {
    let now = unix_now();
    let user = run.id("user-{list}");
    let other = run.id("user-other");
    let older = Session { created_at: now - 30, ..session(run, "list-older", &user, now) };
    let newer = session(run, "list-newer", &user, now);
    let expired = Session { idle_expires_at: now - 1, ..session(run, "list-expired", &user, now) };
    let deleted = session(run, "list-deleted", &user, now);
    let reused = session(run, "list-reused", &user, now);
    let theirs = session(run, "list-theirs", &other, now);
    for s in [&newer, &older, &expired, &deleted, &reused, &theirs] {
        create(store, s).await;
    }
    store.delete_session(&deleted.sid).await.expect("delete");
    rotate(store, &reused.sid, "not-the-jti", run.id("r"), now, 0).await;
    // What the caller does after reuse, once the revocation is recorded.
    store.delete_session(&reused.sid).await.expect("delete");

    // A rotation shows in the listing.
    let j1 = run.id("list-older-jti-1");
    rotate(store, &older.sid, &older.refresh_jti, j1.clone(), now, 0).await;
    let older_now = rotated(&older, &j1, now);

    let expected = vec![older_now, newer];
    let listed = store.user_sessions(&user).await.expect("list");
    assert_eq!(listed, expected, "only the live sessions of the user, oldest first");
    assert_eq!(store.user_sessions(&other).await.expect("list"), vec![theirs]);
    let nobody = store.user_sessions(&run.id("user-nobody")).await.expect("list");
    assert_eq!(nobody, vec![]);
    // Reading twice (after any pruning) gives the same answer.
    assert_eq!(store.user_sessions(&user).await.expect("list"), expected);
}

/// Sixteen refreshes with one token at once (concurrent requests in flight, not
/// one after another). Without grace exactly one rotates and the others are reuse
/// (which kills the session) or find it gone; with grace exactly one rotates and the
/// others get its successor. Either way no two callers hold different live tokens.
pub(super) async fn concurrent_rotation<S: Store + ?Sized>(store: &S, run: &Run, grace: i64) {
    let now = unix_now();
    let s = session(run, &format!("race-{grace}"), &run.id("user-race"), now);
    create(store, &s).await;
    let rotations: Vec<Rotation> =
        (0..16).map(|i| rotation(run.id(&format!("race-{grace}-successor-{i}")), now, grace)).collect();
    let outcomes = join_all(rotations.iter().map(|r| store.rotate_refresh(&s.sid, &s.refresh_jti, r))).await;
    let outcomes: Vec<RotateOutcome> = outcomes.into_iter().map(|o| o.expect("rotate")).collect();

    let winners: Vec<&Session> = outcomes
        .iter()
        .filter_map(|o| match o {
            RotateOutcome::Rotated(s) => Some(s),
            _ => None,
        })
        .collect();
    assert_eq!(winners.len(), 1, "exactly one rotation wins: {outcomes:?}");
    let winner = winners[0].clone();
    assert!(
        rotations.iter().any(|r| r.new_jti == winner.refresh_jti),
        "the winner's session expects the winner's new jti"
    );
    assert_eq!(winner, rotated(&s, &winner.refresh_jti, now));

    for outcome in &outcomes {
        match outcome {
            RotateOutcome::Rotated(_) => {}
            RotateOutcome::Grace(successor) => {
                assert!(grace > 0, "no grace window was open: {outcome:?}");
                assert_eq!(successor, &winner, "grace hands out the winner's successor");
            }
            RotateOutcome::Reused(snapshot) => {
                assert_eq!(grace, 0, "within grace a race is not reuse: {outcome:?}");
                assert!(
                    snapshot == &winner || snapshot == &winner.locked(),
                    "reuse saw the winner's rotation: {snapshot:?}"
                );
            }
            RotateOutcome::NotFound => {
                assert_eq!(grace, 0, "within grace the session survives: {outcome:?}")
            }
        }
    }
    let stored = get(store, &s.sid).await;
    if grace > 0 {
        assert_eq!(stored, Some(winner), "the session expects the winner's new jti");
    } else {
        assert_eq!(stored, Some(winner.locked()), "the losers' reuse locked the session");
    }
}

/// The per-client session cap: creating a session names the user's sessions with the
/// same client beyond the cap, those that end first, never the new one; sessions with
/// other clients do not count, and a named session counts until the caller deletes it.
pub(super) async fn session_cap<S: Store + ?Sized>(store: &S, run: &Run) {
    let now = unix_now();
    let user = run.id("user-cap-{sessions}");
    let other_client = run.id("client-other");
    let login = |name: &str, age: i64| {
        let s = session(run, name, &user, now);
        Session { created_at: now - age, expires_at: now - age + 3600, ..s }
    };
    let create_capped = |s: Session| async move { store.create_session(&s, 2).await.expect("create") };
    let (s1, s2, s3) = (login("cap-1", 30), login("cap-2", 20), login("cap-3", 10));
    assert_eq!(create_capped(s1.clone()).await, Vec::<String>::new());
    assert_eq!(create_capped(s2.clone()).await, Vec::<String>::new());
    assert_eq!(create_capped(s3.clone()).await, vec![s1.sid.clone()], "the oldest goes first");
    store.delete_session(&s1.sid).await.expect("delete");

    let elsewhere = Session { client_id: other_client, ..login("cap-other", 5) };
    assert_eq!(create_capped(elsewhere.clone()).await, Vec::<String>::new(), "another client's sessions do not count");

    // A new session that ends before the others (a shorter AUTH_REFRESH_MAX_TTL then)
    // is still never the one named.
    let early = login("cap-early", 40);
    assert_eq!(create_capped(early.clone()).await, vec![s2.sid.clone()]);
    // Not deleted: still counted, and named again.
    let s4 = login("cap-4", 0);
    assert_eq!(create_capped(s4.clone()).await, vec![early.sid.clone(), s2.sid.clone()]);
    let mut listed: Vec<String> = store.user_sessions(&user).await.expect("list").into_iter().map(|s| s.sid).collect();
    listed.sort();
    let mut expected = vec![s2.sid, s3.sid, elsewhere.sid, early.sid, s4.sid];
    expected.sort();
    assert_eq!(listed, expected, "the store names sessions, it does not delete them");
}

/// A session that ended on its own (idle expiry) is never named for the cap and no
/// longer counts toward it.
pub(super) async fn session_cap_skips_ended_sessions<S: Store + ?Sized>(store: &S, run: &Run) {
    let now = unix_now();
    let user = run.id("user-cap-ended-{sessions}");
    let login = |name: &str, age: i64| {
        let s = session(run, name, &user, now);
        Session { created_at: now - age, expires_at: now - age + 3600, ..s }
    };
    let ended = Session { idle_expires_at: now - 1, ..login("cap-ended", 30) };
    store.create_session(&ended, 1).await.expect("create");
    let live = login("cap-live", 20);
    assert_eq!(
        store.create_session(&live, 1).await.expect("create"),
        Vec::<String>::new(),
        "the ended one is not named"
    );
    let newer = login("cap-newer", 10);
    assert_eq!(store.create_session(&newer, 1).await.expect("create"), vec![live.sid.clone()]);
}
