//! Reading users: `GET /admin/users` in pages and `GET /admin/users/{username}`.

use std::collections::BTreeSet;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use serde_json::{json, Value};
use shared_claims::ScopeSet;

use super::admin;
use crate::store::UserRecord;
use crate::test_support::{Reply, TestServer};

/// Stores users without hashing a password (listing never reads it).
async fn server_with_users(names: &[&str]) -> TestServer {
    let server = TestServer::new().await;
    for name in names {
        let user = UserRecord {
            username: (*name).to_owned(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            scopes: ScopeSet::parse("documents:read").unwrap(),
            disabled: name.starts_with('d'),
            tokens_valid_after: 0,
        };
        assert!(server.authority.store.insert_user(&user).await.unwrap());
    }
    server
}

async fn get(server: &TestServer, uri: &str) -> Reply {
    admin(server, TestRequest::get().uri(uri), None).await
}

fn names(page: &Value) -> Vec<String> {
    page["users"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap().to_owned()).collect()
}

#[actix_web::test]
async fn pages_list_every_user_once_without_hashes() {
    let names_in = ["ann", "bo b", "carl", "dora", "é%{x}", "fred", "gus"];
    let server = server_with_users(&names_in).await;

    let whole = get(&server, "/admin/users").await;
    assert_eq!(whole.status, StatusCode::OK, "{}", whole.body);
    assert_eq!(whole.header("cache-control"), Some("no-store"));
    assert_eq!(whole.body["next_cursor"], Value::Null, "one default page holds all");
    assert_eq!(names(&whole.body).into_iter().collect::<BTreeSet<_>>(), names_in.map(String::from).into());
    let dora = whole.body["users"].as_array().unwrap().iter().find(|u| u["username"] == "dora").unwrap();
    assert_eq!(dora, &json!({"username": "dora", "scopes": ["documents:read"], "disabled": true}));
    assert!(!whole.body.to_string().contains("argon2"), "{}", whole.body);

    let mut listed = Vec::new();
    let mut uri = "/admin/users?limit=2".to_owned();
    for _ in 0..names_in.len() {
        let page = get(&server, &uri).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let page_names = names(&page.body);
        assert!(page_names.len() <= 2, "{}", page.body);
        listed.extend(page_names);
        match page.body["next_cursor"].as_str() {
            Some(cursor) => uri = format!("/admin/users?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    listed.sort();
    let mut expected = names_in.map(String::from).to_vec();
    expected.sort();
    assert_eq!(listed, expected, "every user once, over four pages");
}

#[actix_web::test]
async fn a_bad_limit_or_cursor_is_400_invalid_request() {
    let server = server_with_users(&["ann", "bob"]).await;
    let first = get(&server, "/admin/users?limit=1").await;
    let cursor = first.str("next_cursor").to_owned();
    for query in [
        "limit=0".to_owned(),
        "limit=501".into(),
        "limit=ten".into(),
        "limit=".into(),
        "limit=1&limit=2".into(),
        "cursor=".into(),
        "cursor=!!".into(),
        format!("cursor={cursor}&cursor={cursor}"),
        "page=2".into(),
    ] {
        let reply = get(&server, &format!("/admin/users?{query}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}: {}", reply.body);
        assert_eq!(reply.body["error"], "invalid_request", "{query}");
        assert!(reply.body["error_description"].is_string(), "{query}");
        assert_eq!(reply.header("cache-control"), Some("no-store"));
    }
    let rest = get(&server, &format!("/admin/users?limit=500&cursor={cursor}")).await;
    assert_eq!((rest.status, names(&rest.body)), (StatusCode::OK, vec!["bob".to_owned()]));
}

#[actix_web::test]
async fn one_user_by_name_or_404() {
    let server = server_with_users(&["bo b", "dora"]).await;
    let reply = get(&server, "/admin/users/bo%20b").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body, json!({"username": "bo b", "scopes": ["documents:read"], "disabled": false}));
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let missing = get(&server, "/admin/users/nobody").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["error"], "not_found");
}

#[actix_web::test]
async fn reading_users_needs_the_admin_token() {
    let server = server_with_users(&["ann"]).await;
    for uri in ["/admin/users", "/admin/users/ann"] {
        let reply = server.send(TestRequest::get().uri(uri)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{uri}");
        let alice = server.access_token("ann", "web-app", "documents:read", &[], None);
        let reply =
            server.send(TestRequest::get().uri(uri).insert_header(("Authorization", format!("Bearer {alice}")))).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{uri}");
    }
}
