//! Signing keys: list, rotate; the JWKS keeps the retired key and new tokens carry
//! the new `kid`.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::admin;
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
