//! A new signing key is recorded in the store before its first token leaves (so a
//! rotation never drops a key that signed). When that write fails because the store
//! is unreachable, the client is told to retry (503), not that the server broke.

use super::*;

#[actix_web::test]
async fn an_unreachable_store_at_a_key_s_first_signature_answers_503() {
    let (server, store) = faulty_server().await;
    server.authority.tokens.keys().rotate(shared_claims::unix_now()).await.unwrap();

    store.fail_next_key_saves(1);
    let refused = server.login(CLIENT, USER, PASSWORD).await;
    assert_eq!(refused.status, 503, "{}", refused.body);
    assert_eq!(refused.body["error"], "temporarily_unavailable");

    login(&server).await;
}
