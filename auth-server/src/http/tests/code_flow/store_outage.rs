//! A store outage during the browser flow: a 503 page (or error body) with
//! `Retry-After`, never a half-done sign-in or sign-out.

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::test_support::faulty_store::FaultyStore;

/// Long enough for the test's requests; the store comes back by itself.
const OUTAGE: Duration = Duration::from_secs(30);

async fn faulty() -> (TestServer, Arc<FaultyStore>) {
    let store = Arc::new(FaultyStore::new());
    let server = TestServer::with_store(store.clone(), |_| {}).await;
    setup(&server).await;
    (server, store)
}

fn assert_unavailable(reply: &Reply, what: &str) {
    assert_eq!(reply.status, 503, "{what}: {reply:?}");
    assert!(reply.header("retry-after").is_some(), "{what}: {reply:?}");
    assert_eq!(reply.header("location"), None, "{what}");
}

#[actix_web::test]
async fn an_outage_gives_503_with_retry_after_everywhere() {
    let (server, store) = faulty().await;
    let mut browser = Browser::default();
    let form = browser.authorize(&server, &portal_request()).await;
    assert_eq!(form.status, 200, "{form:?}");
    let code = portal_code(&server, &mut browser).await;
    let logout_page = browser.get(&server, "/oauth2/logout").await;
    let mut fresh = Browser::default();
    let login_page = fresh.authorize(&server, &portal_request()).await;

    store.go_down_for(OUTAGE);
    let get = browser.authorize(&server, &portal_request()).await;
    assert_unavailable(&get, "authorize GET within a login session");
    let post = fresh.submit(&server, &login_page, "alice", ALICE_PASSWORD).await;
    assert_unavailable(&post, "authorize POST");
    assert!(!fresh.cookies.contains_key("as_session"));
    let logout = browser.post(&server, "/oauth2/logout", &hidden_inputs(logout_page.body.as_str().unwrap())).await;
    assert_unavailable(&logout, "logout");
    assert!(browser.cookies.contains_key("as_session"), "the cookie is kept for a retry");
    let exchanged = exchange(&server, &code, VERIFIER, PORTAL_REDIRECT).await;
    assert_unavailable(&exchanged, "code exchange");
    assert_eq!(exchanged.str("error"), "temporarily_unavailable");
}
