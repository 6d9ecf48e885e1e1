//! Public clients get no code without the user's interaction, even within a login
//! session: anyone can claim such a client's identity (RFC 8252 §8.6, RFC 6749
//! §10.2), so the user confirms which application is signing in.

use super::*;

fn native_request() -> Vec<(&'static str, String)> {
    let mut params = with(&portal_request(), "client_id", Some(NATIVE));
    params = with(&params, "redirect_uri", Some(NATIVE_REDIRECT));
    params
}

/// A browser signed in (with the password) through the native app.
async fn signed_in() -> (TestServer, Browser) {
    let server = server().await;
    let mut browser = Browser::default();
    let reply = browser.sign_in(&server, &native_request(), "alice", ALICE_PASSWORD).await;
    assert_eq!(reply.status, 303, "{reply:?}");
    (server, browser)
}

#[actix_web::test]
async fn within_a_login_session_a_public_client_gets_a_continue_page_not_a_code() {
    let (server, mut browser) = signed_in().await;
    let page = browser.authorize(&server, &native_request()).await;
    assert_eq!((page.status.as_u16(), page.header("location")), (200, None), "{page:?}");
    let html = page.body.as_str().unwrap();
    assert!(html.contains("Continue as alice to The native app?"), "{html}");
    assert!(!html.contains("name=\"password\""), "{html}");
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    let hidden: HashMap<String, String> = hidden_inputs(html).into_iter().collect();
    assert_eq!(hidden["csrf"], browser.cookies["as_login_csrf"]);

    // Confirming gets the code, which the app exchanges.
    let confirmed = browser.post(&server, "/oauth2/authorize", &hidden_inputs(html)).await;
    assert_eq!(confirmed.status, 303, "{confirmed:?}");
    let params = redirect_params(&confirmed, NATIVE_REDIRECT);
    assert_eq!(params["state"], "xyz-state");
    let req = TestRequest::post().uri("/oauth2/token").set_form([
        ("grant_type", "authorization_code"),
        ("client_id", NATIVE),
        ("code", &params["code"]),
        ("code_verifier", VERIFIER),
        ("redirect_uri", NATIVE_REDIRECT),
    ]);
    let tokens = server.send(req).await;
    assert_eq!(tokens.status, 200, "{tokens:?}");
}

#[actix_web::test]
async fn the_continue_form_needs_its_csrf_token() {
    let (server, mut browser) = signed_in().await;
    let page = browser.authorize(&server, &native_request()).await;
    let form: Vec<(String, String)> =
        hidden_inputs(page.body.as_str().unwrap()).into_iter().filter(|(name, _)| name != "csrf").collect();
    let reply = browser.post(&server, "/oauth2/authorize", &form).await;
    assert_eq!((reply.status.as_u16(), reply.header("location")), (403, None), "{reply:?}");
}

#[actix_web::test]
async fn another_account_shows_the_login_form() {
    let (server, mut browser) = signed_in().await;
    let page = browser.authorize(&server, &native_request()).await;
    let html = page.body.as_str().unwrap();
    let start = html.find("<a href=\"").unwrap() + "<a href=\"".len();
    let href = html[start..start + html[start..].find('"').unwrap()].replace("&amp;", "&");
    assert!(href.starts_with("/oauth2/authorize?") && href.contains("prompt=login"), "{href}");
    let form = browser.get(&server, &href).await;
    assert_eq!(form.status, 200, "{form:?}");
    assert!(form.body.as_str().unwrap().contains("name=\"password\""), "the login form");
}

#[actix_web::test]
async fn prompt_none_for_a_public_client_is_interaction_required() {
    let (server, mut browser) = signed_in().await;
    let reply = browser.authorize(&server, &with(&native_request(), "prompt", Some("none"))).await;
    assert_eq!(reply.status, 302, "{reply:?}");
    let params = redirect_params(&reply, NATIVE_REDIRECT);
    assert_eq!(params["error"], "interaction_required");
    assert!(!params.contains_key("code"));
    assert_eq!(params["state"], "xyz-state");
}

#[actix_web::test]
async fn confidential_clients_keep_silent_single_sign_on() {
    let (server, mut browser) = signed_in().await;
    let reply = browser.authorize(&server, &portal_request()).await;
    assert_eq!(reply.status, 302, "{reply:?}");
    assert!(redirect_params(&reply, PORTAL_REDIRECT).contains_key("code"));
}
