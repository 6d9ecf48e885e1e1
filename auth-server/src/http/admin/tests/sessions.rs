//! Sessions: list a user's, end one, end all.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;

use super::admin;
use crate::test_support::{Reply, TestServer};

async fn list(server: &TestServer, username: &str) -> Reply {
    admin(server, TestRequest::get().uri(&format!("/admin/users/{username}/sessions")), None).await
}

#[actix_web::test]
async fn lists_and_revokes_sessions() {
    let server = TestServer::new().await;
    server.add_public_client("web-app", "documents:read").await;
    server.add_user("bob", "correct horse", "documents:read").await;
    let first = server.login("web-app", "bob", "correct horse").await;
    let second = server.login("web-app", "bob", "correct horse").await;

    let reply = list(&server, "bob").await;
    assert_eq!(reply.status, StatusCode::OK);
    let sessions = reply.body.as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    let mut members: Vec<&str> = sessions[0].as_object().unwrap().keys().map(String::as_str).collect();
    members.sort_unstable();
    assert_eq!(members, ["client_id", "created_at", "expires_at", "idle_expires_at", "last_used", "scope", "sid"]);
    assert_eq!(sessions[0]["client_id"], "web-app");
    assert_eq!(sessions[0]["scope"], "documents:read");

    // End the first login's session only.
    let claims = server
        .authority
        .tokens
        .verify_access_token(first.str("access_token"), shared_claims::unix_now())
        .await
        .unwrap();
    let sid = claims.sid.unwrap();
    let reply = admin(&server, TestRequest::delete().uri(&format!("/admin/sessions/{sid}")), None).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert!(server.is_revoked(first.str("access_token")).await);
    assert!(!server.is_revoked(second.str("access_token")).await);
    assert_eq!(list(&server, "bob").await.body.as_array().unwrap().len(), 1);
    let again = admin(&server, TestRequest::delete().uri(&format!("/admin/sessions/{sid}")), None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    // End all: the remaining one goes; a later login is unaffected.
    let reply = admin(&server, TestRequest::delete().uri("/admin/users/bob/sessions"), None).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert!(server.is_revoked(second.str("access_token")).await);
    assert_eq!(server.refresh("web-app", second.str("refresh_token")).await.body["error"], "invalid_grant");
    assert_eq!(list(&server, "bob").await.body, serde_json::json!([]));
    let later = server.login("web-app", "bob", "correct horse").await;
    assert!(!server.is_revoked(later.str("access_token")).await);
}

#[actix_web::test]
async fn unknown_users_are_404() {
    let server = TestServer::new().await;
    assert_eq!(list(&server, "nobody").await.status, StatusCode::NOT_FOUND);
    let reply = admin(&server, TestRequest::delete().uri("/admin/users/nobody/sessions"), None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}
