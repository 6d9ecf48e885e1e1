//! What a login session lists: only the sessions its codes were exchanged for, so
//! silent sign-ins that are never completed leave nothing behind for logout to revoke.

use shared_claims::unix_now;

use super::*;
use crate::oauth::login_session;
use crate::store::LoginSession;

async fn login_record(server: &TestServer, browser: &Browser) -> LoginSession {
    let key = login_session::key(&browser.cookies["as_session"]);
    server.authority.store.login_session(&key, unix_now()).await.unwrap().expect("a live login session")
}

#[actix_web::test]
async fn only_exchanged_codes_add_a_sid_to_the_login_session() {
    let server = server().await;
    let mut browser = Browser::default();
    portal_code(&server, &mut browser).await;
    for _ in 0..5 {
        portal_code(&server, &mut browser).await;
    }
    assert_eq!(login_record(&server, &browser).await.sids, Vec::<String>::new(), "no code exchanged yet");

    let code = portal_code(&server, &mut browser).await;
    let tokens = exchange(&server, &code, VERIFIER, PORTAL_REDIRECT).await;
    assert_eq!(tokens.status, 200, "{tokens:?}");
    let sessions = server.authority.store.user_sessions("alice").await.unwrap();
    let sids: Vec<String> = sessions.iter().map(|s| s.sid.clone()).collect();
    assert_eq!(login_record(&server, &browser).await.sids, sids);
}

#[actix_web::test]
async fn a_code_exchanged_after_its_login_session_ended_gives_no_tokens() {
    let server = server().await;
    let mut browser = Browser::default();
    let code = portal_code(&server, &mut browser).await;
    // A logout that ran between the issuance and the exchange.
    let key = login_session::key(&browser.cookies["as_session"]);
    server.authority.store.delete_login_session(&key).await.unwrap().expect("was there");

    let reply = exchange(&server, &code, VERIFIER, PORTAL_REDIRECT).await;
    assert_eq!((reply.status.as_u16(), reply.str("error")), (400, "invalid_grant"), "{reply:?}");
    assert!(server.authority.store.user_sessions("alice").await.unwrap().is_empty(), "the new session is gone");
}
