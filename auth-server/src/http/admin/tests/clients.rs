//! Clients: the secret is shown once, never listed; validation as in the bootstrap
//! file; delete.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use serde_json::json;

use super::admin;
use crate::store::Revocation;
use crate::test_support::TestServer;

#[actix_web::test]
async fn a_generated_secret_is_shown_once_and_works() {
    let server = TestServer::new().await;
    let body = json!({"client_id": "reports", "grant_types": ["client_credentials"], "scopes": ["introspect"]});
    let created = admin(&server, TestRequest::post().uri("/admin/clients"), Some(body.clone())).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let secret = created.str("client_secret").to_owned();
    assert!(secret.len() >= 43, "256 bits, base64url");
    assert_eq!(created.body["public"], false);
    assert_eq!(created.body["audiences"], json!([]));

    let token = server
        .token_request(&[("grant_type", "client_credentials"), ("client_id", "reports"), ("client_secret", &secret)])
        .await;
    assert_eq!(token.status, StatusCode::OK, "{}", token.body);

    let list = admin(&server, TestRequest::get().uri("/admin/clients"), None).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(
        list.body,
        json!([{"client_id": "reports", "public": false, "grant_types": ["client_credentials"], "scopes": ["introspect"], "audiences": [], "serves": ["reports"], "redirect_uris": [], "post_logout_redirect_uris": []}])
    );
    let text = list.body.to_string();
    assert!(!text.contains(&secret) && !text.contains("secret"));

    let again = admin(&server, TestRequest::post().uri("/admin/clients"), Some(body)).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

#[actix_web::test]
async fn code_flow_clients_keep_their_redirect_uris() {
    let server = TestServer::new().await;
    let body = json!({"client_id": "web-portal", "grant_types": ["authorization_code", "refresh_token"],
        "redirect_uris": ["http://localhost:8090/callback"], "post_logout_redirect_uris": ["http://localhost:8090/"],
        "display_name": "Documents portal", "audiences": ["documents-api"]});
    let created = admin(&server, TestRequest::post().uri("/admin/clients"), Some(body)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let list = admin(&server, TestRequest::get().uri("/admin/clients"), None).await;
    let portal = &list.body[0];
    assert_eq!(portal["redirect_uris"], json!(["http://localhost:8090/callback"]));
    assert_eq!(portal["post_logout_redirect_uris"], json!(["http://localhost:8090/"]));
    assert_eq!(portal["display_name"], "Documents portal");
    let stored = server.authority.store.client("web-portal").await.unwrap().unwrap();
    assert_eq!(stored.redirect_uris, ["http://localhost:8090/callback"]);
}

#[actix_web::test]
async fn public_clients_get_no_secret() {
    let server = TestServer::new().await;
    let body = json!({"client_id": "spa", "public": true, "grant_types": ["password", "refresh_token"], "audiences": ["documents-api"]});
    let created = admin(&server, TestRequest::post().uri("/admin/clients"), Some(body)).await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert!(created.body.get("client_secret").is_none());
    assert_eq!(created.body["public"], true);
}

#[actix_web::test]
async fn follows_the_bootstrap_rules() {
    let server = TestServer::new().await;
    let bad = [
        json!({"client_id": "x", "public": true, "grant_types": ["client_credentials"]}),
        json!({"client_id": "x", "grant_types": ["implicit"]}),
        json!({"client_id": "a:b", "grant_types": ["client_credentials"]}),
        json!({"client_id": "x", "grant_types": ["client_credentials"], "client_secret": "chosen"}),
        json!({"client_id": "x"}),
        json!({"client_id": "x", "public": true, "grant_types": ["authorization_code"]}),
        json!({"client_id": "x", "public": true, "grant_types": ["authorization_code"], "redirect_uris": ["/cb"]}),
        json!({"client_id": "x", "public": true, "grant_types": ["authorization_code"], "redirect_uris": ["https://a.example/cb#f"]}),
        json!({"client_id": "x", "public": true, "grant_types": ["authorization_code"], "redirect_uris": ["http://a.example/cb"]}),
        json!({"client_id": "x", "public": true, "grant_types": ["authorization_code"], "redirect_uris": ["https://a.example/cb"],
            "post_logout_redirect_uris": ["http://a.example/"]}),
    ];
    for body in bad {
        let reply = admin(&server, TestRequest::post().uri("/admin/clients"), Some(body.clone())).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.body["error"], "invalid_request");
    }
    assert!(server.authority.store.list_clients().await.unwrap().is_empty());
}

#[actix_web::test]
async fn deleting_a_client_makes_it_unknown() {
    let server = TestServer::new().await;
    server.add_public_client("web-app", "documents:read").await;
    let delete = || admin(&server, TestRequest::delete().uri("/admin/clients/web-app"), None);
    assert_eq!(delete().await.status, StatusCode::NO_CONTENT);
    let again = delete().await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(again.body["error"], "not_found");
    let list = admin(&server, TestRequest::get().uri("/admin/clients"), None).await;
    assert_eq!(list.body, json!([]));
}

/// Deleting a client revokes every token issued to it (introspection and the feed
/// refuse them), and a client registered again under the same id does not revive the
/// old client's sessions.
#[actix_web::test]
async fn deleting_a_client_revokes_its_tokens_and_a_new_registration_revives_nothing() {
    let server = TestServer::new().await;
    server.add_public_client("web-app", "documents:read").await;
    server.add_user("bob", "correct horse", "documents:read").await;
    let login = server.login("web-app", "bob", "correct horse").await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    let service_token = server.access_token("web-app", "web-app", "documents:read", &[], None);
    let other_client = server.access_token("bob", "other-app", "documents:read", &[], Some("s-1"));

    let delete = admin(&server, TestRequest::delete().uri("/admin/clients/web-app"), None).await;
    assert_eq!(delete.status, StatusCode::NO_CONTENT);
    assert!(server.is_revoked(login.str("access_token")).await, "a user token of the client");
    assert!(server.is_revoked(&service_token).await, "the client's own token");
    assert!(!server.is_revoked(&other_client).await, "other clients keep theirs");
    let events = crate::test_support::revocations_in_force(server.authority.store.as_ref()).await;
    assert!(
        events.iter().any(|e| matches!(&e.revocation, Revocation::Client { client_id, .. } if client_id == "web-app")),
        "on the feed: {events:?}"
    );

    let body = json!({"client_id": "web-app", "public": true, "grant_types": ["password", "refresh_token"],
        "scopes": ["documents:read"], "audiences": ["documents-api"]});
    let created = admin(&server, TestRequest::post().uri("/admin/clients"), Some(body)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let refreshed = server.refresh("web-app", login.str("refresh_token")).await;
    assert_eq!(refreshed.status, StatusCode::BAD_REQUEST, "{}", refreshed.body);
    assert_eq!(refreshed.body["error"], "invalid_grant");
}

/// Deleting its own client would revoke the caller's token mid-request and lock that
/// admin out: refused, and nothing is revoked.
#[actix_web::test]
async fn an_admin_client_cannot_delete_itself() {
    let server = TestServer::new().await;
    let refused = admin(&server, TestRequest::delete().uri("/admin/clients/ops"), None).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{:?}", refused.body);
    assert_eq!(refused.str("error"), "conflict");
    let events = server.authority.store.revocation_snapshot_page(None, 1_000).await.unwrap().events;
    assert!(!events.iter().any(|e| matches!(&e.revocation, Revocation::Client { .. })), "nothing revoked: {events:?}");
    let still = admin(&server, TestRequest::get().uri("/admin/keys"), None).await;
    assert_eq!(still.status, StatusCode::OK, "the caller's token still works");
}
