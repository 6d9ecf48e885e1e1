//! The login page: its form, headers, cookies, CSRF protection and failed attempts.

use std::sync::Arc;

use super::*;
use crate::store::MemoryStore;

#[actix_web::test]
async fn the_form_names_the_client_and_carries_the_request() {
    let server = server().await;
    let mut browser = Browser::default();
    let page = browser.authorize(&server, &portal_request()).await;
    assert_eq!(page.status, 200);
    let html = page.body.as_str().unwrap();
    assert!(html.contains("The portal app"), "display_name shown: {html}");
    assert!(html.contains("<form method=\"post\" action=\"/oauth2/authorize\">"));
    assert!(
        html.contains("name=\"username\"") && html.contains("autofocus") && html.contains("autocomplete=\"username\"")
    );
    assert!(html.contains("type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\""));
    assert!(!html.contains("<script"), "no JavaScript");
    let hidden: HashMap<String, String> = hidden_inputs(html).into_iter().collect();
    for (name, value) in portal_request() {
        assert_eq!(hidden.get(name), Some(&value), "{name}");
    }
    assert_eq!(hidden["csrf"], browser.cookies["as_login_csrf"], "the CSRF field matches its cookie");
    assert_eq!(hidden["csrf"].len(), 43);
}

#[actix_web::test]
async fn pages_carry_the_security_headers() {
    let server = server().await;
    let mut browser = Browser::default();
    let page = browser.authorize(&server, &portal_request()).await;
    let error = browser.authorize(&server, &with(&portal_request(), "client_id", Some("nobody"))).await;
    for reply in [&page, &error] {
        let csp = reply.header("content-security-policy").unwrap();
        assert_eq!(
            csp,
            "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'"
        );
        assert!(!csp.contains("form-action"));
        assert_eq!(reply.header("x-frame-options"), Some("DENY"));
        assert_eq!(reply.header("cache-control"), Some("no-store"));
        assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    }
    let css = browser.get(&server, "/oauth2/assets/login.css").await;
    assert_eq!((css.status.as_u16(), css.header("content-type")), (200, Some("text/css; charset=utf-8")));
}

#[actix_web::test]
async fn a_missing_or_mismatched_csrf_token_is_refused_and_counts_nothing() {
    let server = server().await;
    let mut browser = Browser::default();
    let page = browser.authorize(&server, &portal_request()).await;
    let mut form = hidden_inputs(page.body.as_str().unwrap());
    form.push(("username".into(), "alice".into()));
    form.push(("password".into(), "wrong-password".into()));

    let mut no_cookie = Browser::default();
    let reply = no_cookie.post(&server, "/oauth2/authorize", &form).await;
    assert_eq!((reply.status.as_u16(), reply.header("location")), (403, None), "{reply:?}");

    let mut other = Browser::default();
    other.cookies.insert("as_login_csrf".into(), "A".repeat(43));
    let reply = other.post(&server, "/oauth2/authorize", &form).await;
    assert_eq!(reply.status, 403, "{reply:?}");

    let without_field: Vec<_> = form.iter().filter(|(n, _)| n != "csrf").cloned().collect();
    let reply = browser.post(&server, "/oauth2/authorize", &without_field).await;
    assert_eq!(reply.status, 403, "{reply:?}");
    assert_eq!(server.authority.store.failures("u:alice").await.unwrap(), 0, "nothing counted");

    // The control: the same form with its cookie goes through to the password check.
    let reply = browser.submit(&server, &page, "alice", "wrong-password").await;
    assert_eq!(reply.status, 400, "{reply:?}");
    assert_eq!(server.authority.store.failures("u:alice").await.unwrap(), 1);
}

#[actix_web::test]
async fn a_wrong_password_shows_the_form_again_and_counts_toward_the_throttle() {
    let server = server().await;
    let mut browser = Browser::default();
    let mut answers = Vec::new();
    for (username, password) in [("alice", "wrong-password"), ("nobody", "wrong-password")] {
        let reply = browser.sign_in(&server, &portal_request(), username, password).await;
        assert_eq!((reply.status.as_u16(), reply.header("location")), (400, None), "{reply:?}");
        let html = reply.body.as_str().unwrap().to_owned();
        assert!(html.contains("<p role=\"alert\">The username or password is incorrect.</p>"), "{html}");
        assert!(html.contains(&format!("value=\"{username}\"")), "the username is kept");
        assert!(!browser.cookies.contains_key("as_session"));
        answers.push(html.replace(username, "NAME"));
    }
    assert_eq!(answers[0], answers[1], "unknown users and wrong passwords look alike");
    assert_eq!(server.authority.store.failures("u:alice").await.unwrap(), 1);
    assert_eq!(server.authority.store.failures("u:nobody").await.unwrap(), 1);

    // A disabled account gets the same answer, whatever the password.
    let mut alice = server.authority.store.user("alice").await.unwrap().unwrap();
    alice.disabled = true;
    server.authority.store.put_user(&alice).await.unwrap();
    let reply = browser.sign_in(&server, &portal_request(), "alice", ALICE_PASSWORD).await;
    assert_eq!(reply.status, 400, "{reply:?}");
    assert!(reply.body.as_str().unwrap().contains("The username or password is incorrect."));
}

#[actix_web::test]
async fn past_the_throttle_budget_the_form_says_so_and_checks_nothing() {
    let server = TestServer::with_store(Arc::new(MemoryStore::new()), |_| {}).await;
    setup(&server).await;
    for _ in 0..1_000 {
        server.authority.store.record_failure("u:alice", 60).await.unwrap();
    }
    let mut browser = Browser::default();
    let reply = browser.sign_in(&server, &portal_request(), "alice", ALICE_PASSWORD).await;
    assert_eq!(reply.status, 429, "{reply:?}");
    assert!(reply.body.as_str().unwrap().contains("Too many failed sign-in attempts"));
    assert!(!browser.cookies.contains_key("as_session"));
}

#[actix_web::test]
async fn cookies_are_http_only_and_lax_and_secure_with_a_host_prefix_under_https() {
    let server = server().await;
    let mut browser = Browser::default();
    let page = browser.authorize(&server, &portal_request()).await;
    let csrf = page.header("set-cookie").unwrap();
    assert!(csrf.starts_with("as_login_csrf="), "{csrf}");
    assert!(csrf.contains("; HttpOnly") && csrf.contains("; SameSite=Lax") && csrf.contains("Path=/oauth2;"), "{csrf}");
    assert!(!csrf.contains("Secure"), "{csrf}");
    let signed_in = browser.submit(&server, &page, "alice", ALICE_PASSWORD).await;
    let session = set_cookie(&signed_in, "as_session");
    assert!(
        session.contains("Path=/;") && session.contains("; HttpOnly") && session.contains("; SameSite=Lax"),
        "{session}"
    );
    assert!(!session.contains("Secure"), "{session}");
    assert_eq!(browser.cookies["as_session"].len(), 43);
    assert!(set_cookie(&signed_in, "as_login_csrf").contains("Max-Age=0"), "the CSRF cookie is spent");

    let secure = TestServer::with_store(Arc::new(MemoryStore::new()), |s| s.issuer = "https://auth.test".into()).await;
    setup(&secure).await;
    let mut browser = Browser::default();
    let page = browser.authorize(&secure, &portal_request()).await;
    let csrf = page.header("set-cookie").unwrap();
    assert!(
        csrf.starts_with("__Host-as_login_csrf=") && csrf.contains("Path=/;") && csrf.ends_with("; Secure"),
        "{csrf}"
    );
    let signed_in = browser.submit(&secure, &page, "alice", ALICE_PASSWORD).await;
    assert_eq!(signed_in.status, 303, "{signed_in:?}");
    let session = set_cookie(&signed_in, "__Host-as_session");
    assert!(
        session.contains("Path=/;") && session.contains("; HttpOnly") && session.contains("; SameSite=Lax"),
        "{session}"
    );
    assert!(session.ends_with("; Secure"), "{session}");
}

fn set_cookie<'a>(reply: &'a Reply, name: &str) -> &'a str {
    reply
        .headers
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find(|line| line.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie: {reply:?}"))
}
