//! RFC 7662 §2.2, §4: a token is active only to a caller serving one of its audiences.

use actix_web::test::TestRequest;

use super::{add_resource_client, basic, TestServer};

async fn introspect(server: &TestServer, caller: &str, token: &str) -> bool {
    let req = TestRequest::post().uri("/oauth2/introspect").insert_header(basic(caller)).set_form([("token", token)]);
    let reply = server.send(req).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body["active"].as_bool().expect("active")
}

#[actix_web::test]
async fn a_token_is_active_only_to_a_caller_serving_its_audience() {
    let server = TestServer::new().await;
    // Serves its own id (the default), like the bootstrap file's `documents-api`.
    add_resource_client(&server, "documents-api", &[], &[]).await;
    add_resource_client(&server, "billing", &["billing-api", "invoices-api"], &[]).await;
    // Calls `documents-api` (its own tokens are for it) but serves nothing of it.
    add_resource_client(&server, "reports", &[], &["documents-api"]).await;

    let documents = server.access_token("alice", "web-app", "documents:read", &["documents-api"], Some("s1"));
    let invoices = server.access_token("alice", "web-app", "documents:read", &["invoices-api"], Some("s1"));
    assert!(introspect(&server, "documents-api", &documents).await);
    assert!(!introspect(&server, "documents-api", &invoices).await);
    assert!(introspect(&server, "billing", &invoices).await, "an audience it serves");
    assert!(!introspect(&server, "billing", &documents).await);
    assert!(
        !introspect(&server, "reports", &documents).await,
        "calling an API gives no view of other clients' tokens for it"
    );
}
