//! `/oauth2/logout`: ends the login session, revokes the sessions it created, clears
//! the cookie, and returns only to a registered `post_logout_redirect_uri`.

use super::*;

/// Signs in, exchanges the code, and returns the tokens.
async fn signed_in(server: &TestServer, browser: &mut Browser) -> Reply {
    let code = portal_code(server, browser).await;
    let tokens = exchange(server, &code, VERIFIER, PORTAL_REDIRECT).await;
    assert_eq!(tokens.status, 200, "{tokens:?}");
    tokens
}

#[actix_web::test]
async fn logout_revokes_the_sessions_and_returns_to_a_registered_uri() {
    let server = server().await;
    let mut browser = Browser::default();
    let tokens = signed_in(&server, &mut browser).await;
    assert!(active(&server, tokens.str("access_token")).await);
    let query = query(&[
        ("client_id", PORTAL.into()),
        ("post_logout_redirect_uri", PORTAL_LOGOUT_REDIRECT.into()),
        ("state", "bye".into()),
    ]);
    let reply = browser.get(&server, &format!("/oauth2/logout?{query}")).await;
    assert_eq!(reply.status, 303, "{reply:?}");
    assert_eq!(reply.header("location"), Some("https://portal.example/?state=bye"));
    let cleared = reply.header("set-cookie").unwrap();
    assert!(cleared.starts_with("as_session=;") && cleared.contains("Max-Age=0"), "{cleared}");
    assert!(!browser.cookies.contains_key("as_session"));

    assert!(!active(&server, tokens.str("access_token")).await, "the access token is revoked");
    let refreshed = refresh(&server, tokens.str("refresh_token")).await;
    assert_eq!(refreshed.str("error"), "invalid_grant", "the refresh token too");
}

#[actix_web::test]
async fn the_login_session_is_gone_even_if_the_browser_keeps_its_cookie() {
    let server = server().await;
    let mut browser = Browser::default();
    signed_in(&server, &mut browser).await;
    let kept = browser.clone();
    let form = [("client_id".to_owned(), PORTAL.to_owned())];
    let reply = browser.post(&server, "/oauth2/logout", &form).await;
    assert_eq!(reply.status, 200, "no redirect asked for: the signed-out page: {reply:?}");
    assert!(reply.body.as_str().unwrap().contains("You are signed out"));

    let mut replayed = kept;
    let again = replayed.authorize(&server, &portal_request()).await;
    assert_eq!(again.status, 200, "the form, not a code: {again:?}");
}

#[actix_web::test]
async fn an_unregistered_post_logout_redirect_uri_shows_the_page() {
    let server = server().await;
    let mut browser = Browser::default();
    signed_in(&server, &mut browser).await;
    for (client, uri) in [
        (PORTAL, "https://evil.example/"),
        (PORTAL, "https://portal.example"),
        ("nobody", PORTAL_LOGOUT_REDIRECT),
        ("web-app", PORTAL_LOGOUT_REDIRECT),
    ] {
        let query = query(&[("client_id", client.into()), ("post_logout_redirect_uri", uri.into())]);
        let reply = browser.get(&server, &format!("/oauth2/logout?{query}")).await;
        assert_eq!((reply.status.as_u16(), reply.header("location")), (200, None), "{client} {uri}");
        assert!(reply.body.as_str().unwrap().contains("You are signed out"));
    }
    // Without any login session, logout is harmless.
    let reply = Browser::default().get(&server, "/oauth2/logout").await;
    assert_eq!(reply.status, 200);
}
