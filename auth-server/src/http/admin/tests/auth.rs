//! Who may call: RFC 6750 §3.1 answers, the audience rule, revocation, `admin`.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use serde_json::json;

use crate::store::Revocation;
use crate::test_support::{TestServer, ISSUER};

async fn get_clients(server: &TestServer, authorization: Option<&str>) -> crate::test_support::Reply {
    let mut req = TestRequest::get().uri("/admin/clients");
    if let Some(value) = authorization {
        req = req.insert_header(("Authorization", value));
    }
    server.send(req).await
}

#[actix_web::test]
async fn no_token_is_401_with_a_bare_challenge() {
    let server = TestServer::new().await;
    for authorization in [None, Some("Basic b3BzOnNlY3JldA==")] {
        let reply = get_clients(&server, authorization).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.header("www-authenticate"), Some("Bearer realm=\"admin\""));
        assert_eq!(reply.body["error"], "unauthorized");
        assert_eq!(reply.header("cache-control"), Some("no-store"));
    }
}

#[actix_web::test]
async fn malformed_header_is_400_invalid_request() {
    let server = TestServer::new().await;
    for authorization in ["Bearer", "Bearer ", "Bearer a b", "Bearer a,b"] {
        let reply = get_clients(&server, Some(authorization)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{authorization:?}");
        assert_eq!(reply.body["error"], "invalid_request");
        let challenge = reply.header("www-authenticate").unwrap();
        assert!(challenge.starts_with("Bearer realm=\"admin\", error=\"invalid_request\""), "{challenge}");
    }
}

#[actix_web::test]
async fn a_token_we_did_not_sign_is_401_invalid_token() {
    let server = TestServer::new().await;
    let reply = get_clients(&server, Some("Bearer eyJhbGciOiJub25lIn0.e30.")).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.body["error"], "invalid_token");
    assert!(reply.header("www-authenticate").unwrap().contains("error=\"invalid_token\""));
}

#[actix_web::test]
async fn a_token_without_admin_is_403_naming_the_scope() {
    let server = TestServer::new().await;
    let token = server.access_token("svc", "svc", "introspect", &[], None);
    let reply = get_clients(&server, Some(&format!("Bearer {token}"))).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.body["error"], "insufficient_scope");
    let challenge = reply.header("www-authenticate").unwrap();
    assert!(challenge.contains("error=\"insufficient_scope\"") && challenge.ends_with("scope=\"admin\""));
}

#[actix_web::test]
async fn only_the_issuer_is_an_accepted_audience() {
    let server = TestServer::new().await;
    let for_api = server.access_token("ops", "ops", "admin", &["documents-api"], None);
    let reply = get_clients(&server, Some(&format!("Bearer {for_api}"))).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.body["error"], "invalid_token");

    let also_for_us = server.access_token("ops", "ops", "admin", &["documents-api", ISSUER], None);
    let reply = get_clients(&server, Some(&format!("Bearer {also_for_us}"))).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[actix_web::test]
async fn a_revoked_token_is_401() {
    let server = TestServer::new().await;
    let token = server.admin_token();
    let claims = server.authority.tokens.verify_access_token(&token, shared_claims::unix_now()).await.unwrap();
    let revocation = Revocation::Token { jti: claims.jti };
    server.authority.store.revoke(&revocation, &[], claims.exp).await.unwrap();
    let reply = get_clients(&server, Some(&format!("Bearer {token}"))).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.body["error"], "invalid_token");
}

#[actix_web::test]
async fn authentication_comes_before_the_body_and_the_route() {
    let server = TestServer::new().await;
    let bad_json =
        TestRequest::post().uri("/admin/users").insert_header(("Content-Type", "application/json")).set_payload("{");
    assert_eq!(server.send(bad_json).await.status, StatusCode::UNAUTHORIZED);
    let unknown = server.send(TestRequest::get().uri("/admin/nothing-here")).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);

    let unknown = super::admin(&server, TestRequest::get().uri("/admin/nothing-here"), None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body, json!({"error": "not_found", "error_description": "no such admin resource"}));
}
