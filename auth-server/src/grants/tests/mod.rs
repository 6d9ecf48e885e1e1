//! In-process tests of the grants through the real token endpoint, over stores that
//! fail on demand where the point is what a failure leaves behind.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod first_signature;
mod refresh_in_doubt;
mod request;
mod revocation_order;
mod session_cap;

use std::sync::Arc;

use crate::test_support::faulty_store::FaultyStore;
use crate::test_support::{Reply, TestServer};

const CLIENT: &str = "web-app";
const USER: &str = "bob";
const PASSWORD: &str = "correct horse";

/// A server over a [`FaultyStore`] (returned too, to inject faults) with one user and
/// one public client.
async fn faulty_server() -> (TestServer, Arc<FaultyStore>) {
    let store = Arc::new(FaultyStore::new());
    let server = TestServer::with_store(store.clone(), |_| {}).await;
    server.add_public_client(CLIENT, "documents:read").await;
    server.add_user(USER, PASSWORD, "documents:read").await;
    (server, store)
}

async fn login(server: &TestServer) -> Reply {
    let reply = server.login(CLIENT, USER, PASSWORD).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply
}

/// The session id an access token carries.
async fn sid_of(server: &TestServer, access_token: &str) -> String {
    let now = shared_claims::unix_now();
    server.authority.tokens.verify_access_token(access_token, now).await.unwrap().sid.unwrap()
}
