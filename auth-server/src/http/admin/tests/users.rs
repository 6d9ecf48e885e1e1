//! Users: create, validation errors, disable, delete, password change.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use serde_json::json;

use super::{admin, as_admin, create_user};
use crate::test_support::TestServer;

const SCOPES: &str = "documents:read documents:write";

async fn server_with_web_app() -> TestServer {
    let server = TestServer::new().await;
    server.add_public_client("web-app", SCOPES).await;
    server
}

#[actix_web::test]
async fn creates_a_user_once_and_never_shows_the_hash() {
    let server = server_with_web_app().await;
    let reply = create_user(&server, "bob", "correct horse", &["documents:read"]).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.body, json!({"username": "bob", "scopes": ["documents:read"], "disabled": false}));
    assert_eq!(reply.header("cache-control"), Some("no-store"));

    let again = create_user(&server, "bob", "another password", &[]).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.body["error"], "conflict");

    let login = server.login("web-app", "bob", "correct horse").await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    assert_eq!(login.body["scope"], "documents:read");
}

#[actix_web::test]
async fn bad_input_is_400_invalid_request() {
    let server = TestServer::new().await;
    let raw = |body: &'static str, content_type: &'static str| {
        as_admin(&server, TestRequest::post().uri("/admin/users"))
            .insert_header(("Content-Type", content_type))
            .set_payload(body)
    };
    let cases = [
        raw("{\"username\": ", "application/json"),
        raw("[1, 2]", "application/json"),
        raw("{\"username\":\"a\",\"password\":\"12345678\"}", "text/plain"),
        raw("{\"username\":\"a\",\"password\":\"12345678\",\"admin\":true}", "application/json"),
        raw("{\"username\":\"a\"}", "application/json"),
        raw("{\"username\":\"a\",\"password\":\"short\"}", "application/json"),
        raw("{\"username\":\"\",\"password\":\"12345678\"}", "application/json"),
        raw("{\"username\":\"a\",\"password\":\"12345678\",\"scopes\":[\"a b\"]}", "application/json"),
    ];
    for req in cases {
        let reply = server.send(req).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
        assert_eq!(reply.body["error"], "invalid_request");
        assert!(reply.body["error_description"].is_string());
    }
    let unknown_field =
        server.send(raw("{\"username\":\"a\",\"password\":\"12345678\",\"x\":1}", "application/json")).await;
    assert!(unknown_field.str("error_description").contains("unknown field `x`"));
    let short = server.send(raw("{\"username\":\"a\",\"password\":\"1234567\"}", "application/json")).await;
    assert!(short.str("error_description").contains("at least 8"));

    let huge = json!({"username": "a", "password": "x".repeat(70 * 1024)});
    let reply = admin(&server, TestRequest::post().uri("/admin/users"), Some(huge)).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.body["error"], "invalid_request");
    assert!(server.authority.store.user("a").await.unwrap().is_none());
}

#[actix_web::test]
async fn disabling_revokes_everything_of_the_user() {
    let server = server_with_web_app().await;
    server.add_user("bob", "correct horse", SCOPES).await;
    let login = server.login("web-app", "bob", "correct horse").await;
    let (access, refresh) = (login.str("access_token").to_owned(), login.str("refresh_token").to_owned());
    assert!(!server.is_revoked(&access).await);

    let reply = admin(&server, TestRequest::patch().uri("/admin/users/bob"), Some(json!({"disabled": true}))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["disabled"], true);
    assert!(server.is_revoked(&access).await);
    assert_eq!(server.refresh("web-app", &refresh).await.body["error"], "invalid_grant");
    assert_eq!(server.login("web-app", "bob", "correct horse").await.body["error"], "invalid_grant");

    let reply = admin(&server, TestRequest::patch().uri("/admin/users/bob"), Some(json!({"disabled": false}))).await;
    assert_eq!(reply.body["disabled"], false);
}

#[actix_web::test]
async fn patch_changes_allowances_and_refuses_nonsense() {
    let server = TestServer::new().await;
    server.add_user("bob", "correct horse", SCOPES).await;
    let patch = |body| admin(&server, TestRequest::patch().uri("/admin/users/bob"), Some(body));
    let reply = patch(json!({"scopes": ["documents:read"]})).await;
    assert_eq!(reply.body, json!({"username": "bob", "scopes": ["documents:read"], "disabled": false}));
    assert_eq!(patch(json!({})).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(patch(json!({"disabled": "yes"})).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(patch(json!({"password": "new password"})).await.status, StatusCode::BAD_REQUEST);
    let missing =
        admin(&server, TestRequest::patch().uri("/admin/users/nobody"), Some(json!({"disabled": true}))).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["error"], "not_found");
}

#[actix_web::test]
async fn deleting_revokes_then_removes_the_user() {
    let server = server_with_web_app().await;
    server.add_user("bob", "correct horse", SCOPES).await;
    let access = server.login("web-app", "bob", "correct horse").await.str("access_token").to_owned();

    let reply = admin(&server, TestRequest::delete().uri("/admin/users/bob"), None).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert!(server.is_revoked(&access).await);
    assert!(server.authority.store.user("bob").await.unwrap().is_none());
    assert!(server.authority.store.user_sessions("bob").await.unwrap().is_empty());
    let again = admin(&server, TestRequest::delete().uri("/admin/users/bob"), None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn a_new_password_revokes_what_came_before_and_works_at_once() {
    let server = server_with_web_app().await;
    server.add_user("bob", "old password", SCOPES).await;
    let login = server.login("web-app", "bob", "old password").await;
    let (old_access, old_refresh) = (login.str("access_token").to_owned(), login.str("refresh_token").to_owned());

    let put = |body| admin(&server, TestRequest::put().uri("/admin/users/bob/password"), Some(body));
    assert_eq!(put(json!({"password": "short"})).await.status, StatusCode::BAD_REQUEST);
    let reply = put(json!({"password": "new password"})).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert!(reply.body.is_null());

    assert!(server.is_revoked(&old_access).await);
    assert_eq!(server.refresh("web-app", &old_refresh).await.body["error"], "invalid_grant");
    assert_eq!(server.login("web-app", "bob", "old password").await.body["error"], "invalid_grant");

    let login = server.login("web-app", "bob", "new password").await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    assert!(!server.is_revoked(login.str("access_token")).await);
    let refreshed = server.refresh("web-app", login.str("refresh_token")).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);

    let missing = admin(
        &server,
        TestRequest::put().uri("/admin/users/nobody/password"),
        Some(json!({"password": "new password"})),
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn an_unreachable_store_answers_503_with_retry_after() {
    let store = std::sync::Arc::new(crate::test_support::faulty_store::FaultyStore::new());
    let server = TestServer::with_store(store.clone(), |_| {}).await;
    store.go_down_for(std::time::Duration::from_secs(60));
    let reply = admin(&server, TestRequest::get().uri("/admin/users/bob"), None).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{:?}", reply.body);
    assert_eq!(reply.str("error"), "temporarily_unavailable");
    assert_eq!(reply.headers.get("retry-after").and_then(|v| v.to_str().ok()), Some("1"));
}
