//! The login session: a second authorization request within it needs no password;
//! `prompt=login` forces the form; disabling the user or changing the password ends it.

use serde_json::json;

use super::*;

#[actix_web::test]
async fn a_second_request_within_the_login_session_gets_a_code_without_the_form() {
    let server = server().await;
    let mut browser = Browser::default();
    portal_code(&server, &mut browser).await;
    let again = browser.authorize(&server, &with(&portal_request(), "state", Some("second"))).await;
    assert_eq!(again.status, 302, "{again:?}");
    let params = redirect_params(&again, PORTAL_REDIRECT);
    assert_eq!(params["state"], "second");
    let tokens = exchange(&server, &params["code"], VERIFIER, PORTAL_REDIRECT).await;
    assert_eq!(tokens.status, 200, "{tokens:?}");

    // Another browser (no cookie) sees the form.
    let other = Browser::default().authorize(&server, &portal_request()).await;
    assert_eq!(other.status, 200);
    // prompt=none works within the session.
    let silent = browser.authorize(&server, &with(&portal_request(), "prompt", Some("none"))).await;
    assert!(redirect_params(&silent, PORTAL_REDIRECT).contains_key("code"), "{silent:?}");
}

#[actix_web::test]
async fn prompt_login_shows_the_form_within_a_login_session() {
    let server = server().await;
    let mut browser = Browser::default();
    portal_code(&server, &mut browser).await;
    let forced = browser.authorize(&server, &with(&portal_request(), "prompt", Some("login"))).await;
    assert_eq!(forced.status, 200, "{forced:?}");
    assert!(forced.body.as_str().unwrap().contains("name=\"password\""));
    let hidden: HashMap<String, String> = hidden_inputs(forced.body.as_str().unwrap()).into_iter().collect();
    assert_eq!(hidden["prompt"], "login");
    // Signing in again replaces the session cookie (a new value each login).
    let old = browser.cookies["as_session"].clone();
    let reply = browser.submit(&server, &forced, "alice", ALICE_PASSWORD).await;
    assert_eq!(reply.status, 303, "{reply:?}");
    assert_ne!(browser.cookies["as_session"], old);
}

async fn admin(server: &TestServer, req: TestRequest, body: serde_json::Value) {
    let req = req.insert_header(("authorization", format!("Bearer {}", server.admin_token()))).set_json(body);
    let reply = server.send(req).await;
    assert!(reply.status.is_success(), "{reply:?}");
}

#[actix_web::test]
async fn disabling_the_user_ends_the_login_session() {
    let server = server().await;
    let (mut checked, mut away) = (Browser::default(), Browser::default());
    portal_code(&server, &mut checked).await;
    portal_code(&server, &mut away).await;
    admin(&server, TestRequest::patch().uri("/admin/users/alice"), json!({"disabled": true})).await;
    let reply = checked.authorize(&server, &portal_request()).await;
    assert_eq!(reply.status, 200, "the form, not a code: {reply:?}");
    admin(&server, TestRequest::patch().uri("/admin/users/alice"), json!({"disabled": false})).await;
    for browser in [&mut checked, &mut away] {
        let reply = browser.authorize(&server, &portal_request()).await;
        assert_eq!(reply.status, 200, "the session stays ended after re-enabling: {reply:?}");
    }
}

#[actix_web::test]
async fn changing_the_password_ends_the_login_session() {
    let server = server().await;
    let mut browser = Browser::default();
    portal_code(&server, &mut browser).await;
    let control = browser.authorize(&server, &portal_request()).await;
    assert_eq!(control.status, 302, "the session stands before the change: {control:?}");
    admin(&server, TestRequest::put().uri("/admin/users/alice/password"), json!({"password": "a-new-password-456"}))
        .await;
    let reply = browser.authorize(&server, &portal_request()).await;
    assert_eq!(reply.status, 200, "the form, not a code: {reply:?}");
    let signed_in = browser.submit(&server, &reply, "alice", "a-new-password-456").await;
    assert_eq!(signed_in.status, 303, "{signed_in:?}");
}
