//! `AUTH_MAX_SESSIONS_PER_USER`: a login beyond the cap ends the oldest session of
//! that user and client, as a normal session revocation.

use std::sync::Arc;

use super::*;
use crate::store::{MemoryStore, Revocation};

#[actix_web::test]
async fn a_login_beyond_the_cap_revokes_the_oldest_session_of_that_client() {
    let server = TestServer::with_store(Arc::new(MemoryStore::new()), |s| s.max_sessions_per_user = 2).await;
    server.add_public_client(CLIENT, "documents:read").await;
    server.add_public_client("other-app", "documents:read").await;
    server.add_user(USER, PASSWORD, "documents:read").await;

    let oldest = login(&server).await;
    let middle = login(&server).await;
    let elsewhere = server.login("other-app", USER, PASSWORD).await;
    assert!(!server.is_revoked(oldest.str("access_token")).await, "within the cap");

    let newest = login(&server).await;
    assert!(server.is_revoked(oldest.str("access_token")).await, "the oldest session ended");
    assert_eq!(server.refresh(CLIENT, oldest.str("refresh_token")).await.body["error"], "invalid_grant");
    for kept in [&middle, &newest, &elsewhere] {
        assert!(!server.is_revoked(kept.str("access_token")).await);
    }
    assert_eq!(server.refresh(CLIENT, newest.str("refresh_token")).await.status, 200);
    assert_eq!(server.authority.store.user_sessions(USER).await.unwrap().len(), 3);

    // Through the feed, like any session revocation.
    let sid = sid_of(&server, oldest.str("access_token")).await;
    let events = crate::test_support::revocations_in_force(server.authority.store.as_ref()).await;
    assert!(events.iter().any(|e| e.revocation == Revocation::Session { sid: sid.clone() }), "{events:?}");
}
