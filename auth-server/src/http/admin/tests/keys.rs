//! Signing keys: list, rotate (promoting a published next key), emergency revoke;
//! the JWKS keeps a retired key, drops a revoked one, and new tokens carry the new `kid`.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use std::sync::Arc;

use super::admin;
use crate::keys::{KeyPolicy, KeyRing, KeyScheduler, Transition};
use crate::store::{KeyState, Revocation};
use crate::test_support::TestServer;

fn kid_of(token: &str) -> String {
    let header = token.split('.').next().unwrap();
    let header: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn lists_and_rotates_keys() {
    let server = TestServer::new().await;
    let old_token = server.admin_token();

    let list = admin(&server, TestRequest::get().uri("/admin/keys"), None).await;
    assert_eq!(list.status, StatusCode::OK);
    let keys = list.body.as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let mut members: Vec<&str> = keys[0].as_object().unwrap().keys().map(String::as_str).collect();
    members.sort_unstable();
    assert_eq!(members, ["activated_at", "created_at", "kid", "retired_at", "state"]);
    assert_eq!(keys[0]["state"], "active");
    let old_kid = keys[0]["kid"].as_str().unwrap().to_owned();
    assert_eq!(kid_of(&old_token), old_kid);

    let rotated = admin(&server, TestRequest::post().uri("/admin/keys/rotate"), None).await;
    assert_eq!(rotated.status, StatusCode::OK);
    let keys = rotated.body.as_array().unwrap();
    assert_eq!(keys.len(), 2);
    let old = keys.iter().find(|k| k["kid"] == old_kid.as_str()).unwrap();
    assert_eq!(old["state"], "retired");
    assert!(old["retired_at"].is_i64());
    let new = keys.iter().find(|k| k["kid"] != old_kid.as_str()).unwrap();
    assert_eq!(new["state"], "active");
    let new_kid = new["kid"].as_str().unwrap();

    let jwks = server.send(TestRequest::get().uri("/.well-known/jwks.json")).await;
    let published: Vec<&str> =
        jwks.body["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert_eq!(published.len(), 2);
    assert!(published.contains(&old_kid.as_str()) && published.contains(&new_kid));
    assert!(!jwks.body.to_string().contains("\"d\""), "no private material");

    // New tokens carry the new kid; a token signed before the rotation still works.
    assert_eq!(kid_of(&server.admin_token()), new_kid);
    let still = server
        .send(TestRequest::get().uri("/admin/keys").insert_header(("Authorization", format!("Bearer {old_token}"))))
        .await;
    assert_eq!(still.status, StatusCode::OK);
    assert!(!rotated.body.to_string().contains("PRIVATE"));
}

#[actix_web::test]
async fn rotating_promotes_a_published_next_key() {
    let server = TestServer::new().await;
    let now = shared_claims::unix_now();
    // Another replica over the same store publishes a next key (interval 1 s: at once).
    let other = Arc::new(KeyRing::load_or_create(server.authority.store.clone(), now).await.unwrap());
    let scheduler = KeyScheduler::new(other.clone(), KeyPolicy::new(1, 0, 300, 600, 30, 60));
    assert_eq!(scheduler.tick(now).await.unwrap(), [Transition::PublishNext]);
    let next = other.current().keys().find(|k| k.state == KeyState::Next).unwrap().kid.clone();

    let rotated = admin(&server, TestRequest::post().uri("/admin/keys/rotate"), None).await;
    assert_eq!(rotated.status, StatusCode::OK);
    let keys = rotated.body.as_array().unwrap();
    assert_eq!(keys.len(), 2, "no key generated: {keys:?}");
    let active = keys.iter().find(|k| k["state"] == "active").unwrap();
    assert_eq!(active["kid"], next.as_str());
}

#[actix_web::test]
async fn emergency_revoke_removes_the_key_and_feeds_the_revocation() {
    let server = TestServer::new().await;
    let old_token = server.admin_token();
    let old_kid = kid_of(&old_token);

    let before = shared_claims::unix_now();
    let revoked = admin(&server, TestRequest::post().uri(&format!("/admin/keys/{old_kid}/revoke")), None).await;
    let after = shared_claims::unix_now();
    assert_eq!(revoked.status, StatusCode::OK, "{:?}", revoked.body);
    let keys = revoked.body.as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["state"], "active");
    assert_ne!(keys[0]["kid"], old_kid.as_str());
    assert!(!revoked.body.to_string().contains("PRIVATE"));

    // Gone from the JWKS at once.
    let jwks = server.send(TestRequest::get().uri("/.well-known/jwks.json")).await;
    let published: Vec<&str> =
        jwks.body["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert_eq!(published, [keys[0]["kid"].as_str().unwrap()]);

    // On the feed, remembered as long as any token of the key could live: the
    // longest token lifetime plus the configured refresh interval and clock skew.
    let events = server.authority.store.revocation_snapshot_page(None, 1_000).await.unwrap().events;
    let event = events.iter().find(|e| e.revocation == Revocation::Key { kid: old_kid.clone() }).unwrap();
    let longest = server.authority.tokens.settings().longest_token_lifetime();
    let keep = longest + crate::test_support::KEY_REFRESH_INTERVAL + crate::test_support::CLOCK_SKEW;
    assert_eq!(server.authority.key_policy.keep, keep);
    assert!((before + keep..=after + keep).contains(&event.expires_at), "{} for {keep}", event.expires_at - before);

    // Its tokens no longer open the admin API; new tokens carry the successor's kid.
    let refused = server
        .send(TestRequest::get().uri("/admin/keys").insert_header(("Authorization", format!("Bearer {old_token}"))))
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(kid_of(&server.admin_token()), keys[0]["kid"].as_str().unwrap());
}

#[actix_web::test]
async fn revoking_an_unknown_key_is_404() {
    let server = TestServer::new().await;
    let reply = admin(&server, TestRequest::post().uri("/admin/keys/no-such-kid/revoke"), None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.body["error"], "not_found");
    let events = server.authority.store.revocation_snapshot_page(None, 1_000).await.unwrap().events;
    assert!(events.is_empty(), "nothing recorded");
    let keys = admin(&server, TestRequest::get().uri("/admin/keys"), None).await;
    assert_eq!(keys.body.as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn a_refresh_token_signed_by_a_revoked_key_needs_a_new_login() {
    let server = TestServer::new().await;
    server.add_user("alice", "pw", "documents:read").await;
    server.add_public_client("web-app", "documents:read").await;
    let login = server.login("web-app", "alice", "pw").await;
    assert_eq!(login.status, StatusCode::OK);
    let kid = kid_of(login.str("refresh_token"));

    let revoked = admin(&server, TestRequest::post().uri(&format!("/admin/keys/{kid}/revoke")), None).await;
    assert_eq!(revoked.status, StatusCode::OK);
    let refresh = server.refresh("web-app", login.str("refresh_token")).await;
    assert_eq!(refresh.status, StatusCode::BAD_REQUEST);
    assert_eq!(refresh.body["error"], "invalid_grant");
    assert_eq!(server.login("web-app", "alice", "pw").await.status, StatusCode::OK);
}
