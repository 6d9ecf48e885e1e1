//! The login form's hidden fields are never trusted: a POST whose fields were changed
//! is validated afresh, so it gets an error page, or a code bound to what it now says
//! (which the original PKCE verifier cannot redeem); never a code sent to an
//! unregistered URI.

use super::*;

/// The login form's fields with `name` set to `value`, plus the credentials.
async fn tampered(server: &TestServer, browser: &mut Browser, name: &str, value: &str) -> Reply {
    let page = browser.authorize(server, &portal_request()).await;
    assert_eq!(page.status, 200, "{page:?}");
    let mut form: Vec<(String, String)> =
        hidden_inputs(page.body.as_str().unwrap()).into_iter().filter(|(n, _)| n != name).collect();
    form.push((name.to_owned(), value.to_owned()));
    form.push(("username".into(), "alice".into()));
    form.push(("password".into(), ALICE_PASSWORD.into()));
    browser.post(server, "/oauth2/authorize", &form).await
}

#[actix_web::test]
async fn a_tampered_redirect_uri_or_client_gets_an_error_page() {
    let server = server().await;
    for (name, value) in [
        ("redirect_uri", "https://evil.example/cb"),
        ("redirect_uri", "https://portal.example/cb?tenant=2"),
        ("client_id", NATIVE),
        ("client_id", "nobody"),
    ] {
        let mut browser = Browser::default();
        let reply = tampered(&server, &mut browser, name, value).await;
        assert_eq!((reply.status.as_u16(), reply.header("location")), (400, None), "{name}={value}: {reply:?}");
        assert!(!browser.cookies.contains_key("as_session"), "no sign-in happened");
    }
}

#[actix_web::test]
async fn a_tampered_code_challenge_gives_a_code_the_original_verifier_cannot_redeem() {
    let server = server().await;
    let mut browser = Browser::default();
    let other_challenge = "A".repeat(43);
    let reply = tampered(&server, &mut browser, "code_challenge", &other_challenge).await;
    assert_eq!(reply.status, 303, "{reply:?}");
    let code = redirect_params(&reply, PORTAL_REDIRECT)["code"].clone();
    let tokens = exchange(&server, &code, VERIFIER, PORTAL_REDIRECT).await;
    assert_eq!((tokens.status.as_u16(), tokens.str("error")), (400, "invalid_grant"), "{tokens:?}");
}
