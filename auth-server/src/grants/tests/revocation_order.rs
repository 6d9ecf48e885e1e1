//! A session revocation is two writes: record the revocation, delete the session. A
//! failure of either must never leave a gone session whose tokens still work.

use super::*;

/// Reuse detection locks the session; if recording its revocation then fails, the
/// answer is 503 and the revocation is not lost: the next presentation of any token
/// of the session (the replayed one, or the successor a thief holds) records it.
#[actix_web::test]
async fn reuse_whose_revocation_fails_is_revoked_at_the_next_attempt() {
    let (server, store) = faulty_server().await;
    let first = login(&server).await;
    let second = server.refresh(CLIENT, first.str("refresh_token")).await;
    assert_eq!(second.status, 200, "{}", second.body);

    store.fail_next_revokes(1);
    let replay = server.refresh(CLIENT, first.str("refresh_token")).await;
    assert_eq!(replay.status, 503, "{}", replay.body);
    assert_eq!(replay.body["error"], "temporarily_unavailable");

    // The successor no longer refreshes: the session is locked, and this attempt
    // records the revocation.
    let successor = server.refresh(CLIENT, second.str("refresh_token")).await;
    assert_eq!(successor.status, 400, "{}", successor.body);
    assert_eq!(successor.body["error"], "invalid_grant");
    assert!(server.is_revoked(second.str("access_token")).await, "the session's access tokens are revoked");
    assert!(server.is_revoked(first.str("access_token")).await);
    let sid = sid_of(&server, first.str("access_token")).await;
    assert_eq!(server.authority.store.session(&sid).await.unwrap(), None, "deleted once revoked");
}

/// Revoking a session whose deletion fails: the tokens are refused already, and the
/// session is still there for the retry to find.
#[actix_web::test]
async fn a_failed_session_delete_leaves_the_tokens_revoked() {
    let (server, store) = faulty_server().await;
    let reply = login(&server).await;
    let sid = sid_of(&server, reply.str("access_token")).await;

    store.fail_next_session_deletes(1);
    assert!(server.authority.revoke_session(&sid).await.is_err(), "the failure is reported");
    assert!(server.is_revoked(reply.str("access_token")).await);

    server.authority.revoke_session(&sid).await.expect("a retry succeeds");
    assert_eq!(server.authority.store.session(&sid).await.unwrap(), None);
    assert_eq!(server.refresh(CLIENT, reply.str("refresh_token")).await.body["error"], "invalid_grant");
}

/// Revoking a session whose revocation write fails: reported, and the session is
/// untouched, so the caller (admin API, RFC 7009) can retry and find it.
#[actix_web::test]
async fn a_failed_revocation_write_leaves_the_session_for_a_retry() {
    let (server, store) = faulty_server().await;
    let reply = login(&server).await;
    let sid = sid_of(&server, reply.str("access_token")).await;

    store.fail_next_revokes(1);
    assert!(server.authority.revoke_session(&sid).await.is_err(), "the failure is reported");
    assert!(server.authority.store.session(&sid).await.unwrap().is_some(), "a retry can still name the session");

    server.authority.revoke_session(&sid).await.expect("a retry succeeds");
    assert!(server.is_revoked(reply.str("access_token")).await);
    assert_eq!(server.authority.store.session(&sid).await.unwrap(), None);
}
