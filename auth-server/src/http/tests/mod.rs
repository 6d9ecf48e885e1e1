//! In-process tests of the revocation feed, introspection and revocation endpoints:
//! who may see what, the stream cap, and the revocation budget.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod code_flow;
mod introspect;
mod ops;
mod revocation_feed;
mod revoke;

use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::test::TestRequest;
use actix_web::{test, web, App};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use shared_claims::ScopeSet;

use super::metrics::Metrics;
use super::AppState;
use crate::crypto::sha256_hex;
use crate::store::ClientRecord;
use crate::test_support::TestServer;

const SECRET: &str = "a-long-random-secret-0123456789";

/// Stores a confidential client holding `introspect` that serves `serves` (empty:
/// its own id) and calls `audiences`.
async fn add_resource_client(server: &TestServer, client_id: &str, serves: &[&str], audiences: &[&str]) {
    let client = ClientRecord {
        client_id: client_id.into(),
        secret_sha256: Some(sha256_hex(SECRET.as_bytes())),
        grant_types: vec!["client_credentials".into()],
        scopes: ScopeSet::parse("introspect").unwrap(),
        audiences: audiences.iter().map(|a| a.to_string()).collect(),
        serves: serves.iter().map(|a| a.to_string()).collect(),
        registration: String::new(),
        redirect_uris: vec![],
        post_logout_redirect_uris: vec![],
        display_name: None,
    };
    server.authority.store.put_client(&client).await.unwrap();
}

fn basic(client_id: &str) -> (&'static str, String) {
    ("authorization", format!("Basic {}", STANDARD.encode(format!("{client_id}:{SECRET}"))))
}

/// Opens the feed as `client_id` and keeps the response (a stream) open.
async fn open_feed(server: &TestServer, client_id: &str, query: &str, last_event_id: Option<&str>) -> ServiceResponse {
    let state = web::Data::new(AppState::new(server.authority.clone(), 60));
    let metrics = web::Data::new(Metrics::new());
    let app = test::init_service(App::new().app_data(state).app_data(metrics).configure(super::configure)).await;
    let mut req = TestRequest::get().uri(&format!("/oauth2/revocations{query}")).insert_header(basic(client_id));
    if let Some(id) = last_event_id {
        req = req.insert_header(("last-event-id", id));
    }
    test::call_service(&app, req.to_request()).await
}

/// Reads the stream until its text contains `needle`, failing after a deadline.
async fn read_until(body: &mut BoxBody, text: &mut String, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut body = std::pin::Pin::new(body);
    while !text.contains(needle) {
        let left = deadline.saturating_duration_since(Instant::now());
        let chunk = tokio::time::timeout(left, std::future::poll_fn(|cx| body.as_mut().poll_next(cx)))
            .await
            .unwrap_or_else(|_| panic!("no {needle:?} within the deadline; got {text}"));
        let chunk = chunk.expect("the stream ended").unwrap_or_else(|_| panic!("the stream failed"));
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
}
