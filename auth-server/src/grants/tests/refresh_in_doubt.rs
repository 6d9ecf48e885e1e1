//! A refresh whose rotation fails with the store unavailable: the server answers what
//! actually happened, found by reading the session back, and 503 only when the
//! rotation certainly did not happen or the store stayed silent past the bound.

use std::time::Duration;

use super::*;
use crate::grants::in_doubt;
use crate::test_support::faulty_store::RotateFault;

#[actix_web::test]
async fn a_rotation_committed_before_its_reply_was_lost_answers_200_with_the_successor() {
    let (server, store) = faulty_server().await;
    let first = login(&server).await;

    store.fail_next_rotation(RotateFault::AfterCommit);
    let refreshed = server.refresh(CLIENT, first.str("refresh_token")).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);

    // What was answered is what the session now expects: the successor works, the
    // presented token is used up.
    let next = server.refresh(CLIENT, refreshed.str("refresh_token")).await;
    assert_eq!(next.status, 200, "the answered successor is the stored one: {}", next.body);
    assert!(!server.is_revoked(next.str("access_token")).await);
}

#[actix_web::test]
async fn a_rotation_that_failed_before_committing_answers_503_and_the_token_still_works() {
    let (server, store) = faulty_server().await;
    let first = login(&server).await;

    store.fail_next_rotation(RotateFault::BeforeCommit);
    let failed = server.refresh(CLIENT, first.str("refresh_token")).await;
    assert_eq!(failed.status, 503, "{}", failed.body);
    assert_eq!(failed.body["error"], "temporarily_unavailable");

    let retried = server.refresh(CLIENT, first.str("refresh_token")).await;
    assert_eq!(retried.status, 200, "the retry with the same token works: {}", retried.body);
}

#[actix_web::test]
async fn a_store_silent_past_the_bound_answers_503() {
    let (server, store) = faulty_server().await;
    let first = login(&server).await;

    store.fail_next_rotation(RotateFault::AfterCommitThenDown(in_doubt::BOUND + Duration::from_secs(2)));
    let failed = server.refresh(CLIENT, first.str("refresh_token")).await;
    assert_eq!(failed.status, 503, "{}", failed.body);
    assert_eq!(failed.body["error"], "temporarily_unavailable");
}
