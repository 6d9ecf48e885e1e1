//! In-process tests of the admin API through the real routes (`http::configure`),
//! one file per concern; fixtures live in `crate::test_support`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod clients;
mod keys;
mod sessions;
mod user_listing;
mod users;

use actix_web::test::TestRequest;
use serde_json::Value;

use crate::test_support::{Reply, TestServer};

/// `req` with the fixture's admin token.
fn as_admin(server: &TestServer, req: TestRequest) -> TestRequest {
    req.insert_header(("Authorization", format!("Bearer {}", server.admin_token())))
}

/// Sends `req` as the admin, with a JSON body when given.
async fn admin(server: &TestServer, req: TestRequest, body: Option<Value>) -> Reply {
    let req = match body {
        Some(body) => req.set_json(body),
        None => req,
    };
    server.send(as_admin(server, req)).await
}

/// Creates a user through the admin API.
async fn create_user(server: &TestServer, username: &str, password: &str, scopes: &[&str]) -> Reply {
    let body = serde_json::json!({"username": username, "password": password, "scopes": scopes});
    admin(server, TestRequest::post().uri("/admin/users"), Some(body)).await
}
