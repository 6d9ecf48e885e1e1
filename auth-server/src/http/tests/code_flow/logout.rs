//! `/oauth2/logout`: a GET asks for confirmation; the confirmation's POST (with its
//! CSRF token) ends the login session, revokes the sessions it created, clears the
//! cookie, and returns only to a registered `post_logout_redirect_uri`.

use std::sync::Arc;

use super::*;
use crate::test_support::faulty_store::FaultyStore;

/// Signs in, exchanges the code, and returns the tokens.
async fn signed_in(server: &TestServer, browser: &mut Browser) -> Reply {
    let code = portal_code(server, browser).await;
    let tokens = exchange(server, &code, VERIFIER, PORTAL_REDIRECT).await;
    assert_eq!(tokens.status, 200, "{tokens:?}");
    tokens
}

/// Signs out as a browser does: the confirmation page for `params`, then its form.
async fn sign_out(server: &TestServer, browser: &mut Browser, params: &[(&str, String)]) -> Reply {
    let page = browser.get(server, &format!("/oauth2/logout?{}", query(params))).await;
    assert_eq!(page.status, 200, "the confirmation page: {page:?}");
    browser.post(server, "/oauth2/logout", &hidden_inputs(page.body.as_str().unwrap())).await
}

#[actix_web::test]
async fn a_get_only_asks_and_a_post_without_the_csrf_token_changes_nothing() {
    let server = server().await;
    let mut browser = Browser::default();
    let tokens = signed_in(&server, &mut browser).await;
    let params = [
        ("client_id", PORTAL.into()),
        ("post_logout_redirect_uri", PORTAL_LOGOUT_REDIRECT.into()),
        ("state", "b&y\"e<".into()),
    ];
    let page = browser.get(&server, &format!("/oauth2/logout?{}", query(&params))).await;
    assert_eq!(page.status, 200, "{page:?}");
    let html = page.body.as_str().unwrap();
    assert!(html.contains(&format!("Sign out of {}?", crate::test_support::ISSUER)), "{html}");
    assert!(html.contains("The portal app asks to sign you out."), "{html}");
    assert!(html.contains("<form method=\"post\" action=\"/oauth2/logout\">"), "{html}");
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert!(page.header("content-security-policy").unwrap().contains("frame-ancestors 'none'"));
    let hidden: HashMap<String, String> = hidden_inputs(html).into_iter().collect();
    assert_eq!(hidden["state"], "b&y\"e<");
    assert_eq!(hidden["post_logout_redirect_uri"], PORTAL_LOGOUT_REDIRECT);
    assert_eq!(hidden["csrf"], browser.cookies["as_login_csrf"]);

    let without_field: Vec<(String, String)> =
        hidden.iter().filter(|(n, _)| *n != "csrf").map(|(n, v)| (n.clone(), v.clone())).collect();
    let mut wrong_field = without_field.clone();
    wrong_field.push(("csrf".into(), "x".repeat(43)));
    let mut no_cookie = browser.clone();
    no_cookie.cookies.remove("as_login_csrf");
    for (who, form) in [(&mut browser.clone(), &without_field), (&mut browser.clone(), &wrong_field)] {
        let reply = who.post(&server, "/oauth2/logout", form).await;
        assert_eq!(reply.status, 403, "{reply:?}");
        assert!(reply.body.as_str().unwrap().contains("Sign out of"), "the confirmation again: {reply:?}");
    }
    let all: Vec<(String, String)> = hidden.into_iter().collect();
    let reply = no_cookie.post(&server, "/oauth2/logout", &all).await;
    assert_eq!(reply.status, 403, "a field without the cookie: {reply:?}");

    assert!(active(&server, tokens.str("access_token")).await, "nothing was revoked");
    let again = browser.authorize(&server, &portal_request()).await;
    assert_eq!(again.status, 302, "the login session stands: {again:?}");
}

#[actix_web::test]
async fn logout_revokes_the_sessions_and_returns_to_a_registered_uri() {
    let server = server().await;
    let mut browser = Browser::default();
    let tokens = signed_in(&server, &mut browser).await;
    assert!(active(&server, tokens.str("access_token")).await);
    let params = [
        ("client_id", PORTAL.into()),
        ("post_logout_redirect_uri", PORTAL_LOGOUT_REDIRECT.into()),
        ("state", "bye".into()),
    ];
    let reply = sign_out(&server, &mut browser, &params).await;
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
    let reply = sign_out(&server, &mut browser, &[("client_id", PORTAL.into())]).await;
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
        let params = [("client_id", client.into()), ("post_logout_redirect_uri", uri.into())];
        let reply = sign_out(&server, &mut browser, &params).await;
        assert_eq!((reply.status.as_u16(), reply.header("location")), (200, None), "{client} {uri}");
        assert!(reply.body.as_str().unwrap().contains("You are signed out"));
    }
    // Without any login session, logout is harmless.
    let reply = sign_out(&server, &mut Browser::default(), &[]).await;
    assert_eq!(reply.status, 200);
}

#[actix_web::test]
async fn a_logout_that_fails_midway_can_be_finished_by_signing_out_again() {
    let store = Arc::new(FaultyStore::new());
    let server = TestServer::with_store(store.clone(), |_| {}).await;
    setup(&server).await;
    let mut browser = Browser::default();
    let first = signed_in(&server, &mut browser).await;
    let second = signed_in(&server, &mut browser).await;

    store.fail_next_revokes(1);
    let failed = sign_out(&server, &mut browser, &[]).await;
    assert_eq!(failed.status, 503, "{failed:?}");
    assert!(browser.cookies.contains_key("as_session"), "the cookie is kept for a retry");

    let retried = sign_out(&server, &mut browser, &[]).await;
    assert_eq!(retried.status, 200, "{retried:?}");
    for tokens in [&first, &second] {
        assert!(!active(&server, tokens.str("access_token")).await, "every session of the login is revoked");
    }
    assert!(!browser.cookies.contains_key("as_session"));
}
