//! Revoking access tokens of one session in a loop is bounded: past the budget the
//! whole session is revoked, as one record.

use actix_web::test::TestRequest;

use super::TestServer;
use crate::oauth::revocation_budget::REVOCATIONS_PER_MINUTE;
use crate::store::Revocation;

async fn revoke(server: &TestServer, token: &str) {
    let req = TestRequest::post().uri("/oauth2/revoke").set_form([("token", token), ("client_id", "web-app")]);
    let reply = server.send(req).await;
    assert_eq!(reply.status, 200, "{reply:?}");
}

#[actix_web::test]
async fn revoking_a_session_s_access_tokens_past_the_budget_revokes_the_session() {
    let server = TestServer::new().await;
    server.add_user("alice", "alice-password-123", "documents:read").await;
    server.add_public_client("web-app", "documents:read").await;
    let login = server.login("web-app", "alice", "alice-password-123").await;
    assert_eq!(login.status, 200, "{login:?}");
    let mut refresh = login.str("refresh_token").to_owned();
    let mut access = login.str("access_token").to_owned();
    for _ in 0..REVOCATIONS_PER_MINUTE {
        revoke(&server, &access).await;
        let next = server.refresh("web-app", &refresh).await;
        assert_eq!(next.status, 200, "within the budget the session lives on: {next:?}");
        refresh = next.str("refresh_token").to_owned();
        access = next.str("access_token").to_owned();
    }
    let before = server.authority.store.revocation_snapshot_page(None, 10_000).await.unwrap().events;
    revoke(&server, &access).await;

    let after = server.refresh("web-app", &refresh).await;
    assert_eq!(after.status, 400, "past the budget the whole session is revoked: {after:?}");
    assert!(server.is_revoked(&access).await);
    let events = server.authority.store.revocation_snapshot_page(None, 10_000).await.unwrap().events;
    let tokens = events.iter().filter(|e| matches!(e.revocation, Revocation::Token { .. })).count();
    assert_eq!(tokens, REVOCATIONS_PER_MINUTE as usize, "no token record past the budget");
    assert_eq!(events.len(), before.len() + 1, "one session record instead");
    assert!(events.iter().any(|e| matches!(e.revocation, Revocation::Session { .. })));
}
