//! Two replicas of the demo API with the same `RS_DOCUMENTS_REDIS_URL` (a private
//! redis-server), behind the real auth server: what is created through one is listed
//! by the other, as behind a round-robin load balancer.

use serde_json::json;
use tests::bootstrap::*;
use tests::redis::RedisServer;
use tests::{AuthStack, Credentials, ResourceOptions, ResourceServer, Store};

#[tokio::test]
async fn replicas_sharing_a_documents_redis_list_each_others_documents() {
    let redis = RedisServer::start().await;
    let stack = AuthStack::start(Store::Embedded).await;
    let options = ResourceOptions::new(stack.base_url()).env("RS_DOCUMENTS_REDIS_URL", redis.url());
    let first = ResourceServer::start(options.clone()).await;
    let second = ResourceServer::start(options).await;
    let (first, second) = (first.api(), second.api());
    let client = stack.client();
    let alice = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
    let alice = Credentials::Bearer(alice.access_token());
    let bob = client.token_password(WEB_APP, BOB, BOB_PASSWORD, None).await;
    let bob = Credentials::Bearer(bob.access_token());

    let created = first.create_document(alice, "Minutes", "Nothing was decided.").await;
    assert_eq!(created.status, 201, "{created:?}");
    let listed = second.documents(alice).await;
    assert_eq!(listed.status, 200, "{listed:?}");
    assert_eq!(listed.json, json!({"documents": [created.json]}), "the other replica lists it");

    let again = second.create_document(alice, "Actions", "None.").await;
    assert_eq!(again.status, 201, "{again:?}");
    let listed = first.documents(alice).await;
    assert_eq!(listed.json, json!({"documents": [created.json, again.json]}), "both, oldest first");

    let others = first.documents(bob).await;
    assert_eq!((others.status, &others.json), (200, &json!({"documents": []})), "bob sees none of alice's");
}
