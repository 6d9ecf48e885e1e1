//! Signing in through the real login page, working with documents across several
//! access-token lifetimes, seeing no token from inside the page, and signing out.

use std::time::Duration;

use fantoccini::Locator;
use serde_json::Value;
use tests::poll_until;

use crate::support::{has_jwt, refreshes, BrowserStack};

/// Whether the fetched bodies mention `text`.
fn bodies_mention(seen: &Value, text: &str) -> bool {
    seen["bodies"].as_array().unwrap().iter().any(|body| body.as_str().unwrap().contains(text))
}

/// Access tokens live this long, so a test sees several expire.
const ACCESS_TTL: u64 = 3;

#[tokio::test]
async fn sign_in_work_across_token_expiry_and_sign_out() {
    let stack = BrowserStack::start(ACCESS_TTL).await;
    let portal_url = stack.portal_url.clone();
    stack.sign_in_with_password(&portal_url, Some("login-page.png")).await;
    assert_eq!(stack.text("#user").await, "alice");

    // The session cookie is HttpOnly and Strict, and the only cookie of the portal.
    let cookies = stack.browser().get_all_cookies().await.unwrap();
    let names: Vec<&str> = cookies.iter().map(|c| c.name()).collect();
    assert_eq!(names, ["portal_session"], "{cookies:?}");
    let session = &cookies[0];
    assert_eq!(session.http_only(), Some(true));
    assert_eq!(session.same_site().map(|s| s.to_string()).as_deref(), Some("Strict"));
    let old_session = session.value().to_owned();

    // List (empty), then create two documents through the page.
    stack.wait_for("#documents[data-count='0']").await;
    for (title, content) in [("Shopping list", "Milk, eggs, bread"), ("Meeting notes", "Ship the portal on Friday.")] {
        stack.browser().find(Locator::Id("title")).await.unwrap().send_keys(title).await.unwrap();
        stack.browser().find(Locator::Id("content")).await.unwrap().send_keys(content).await.unwrap();
        stack.browser().find(Locator::Css("#new-document button[type='submit']")).await.unwrap().click().await.unwrap();
        stack.wait_for(&format!("#documents li:nth-child({})", if title == "Shopping list" { 1 } else { 2 })).await;
    }
    stack.wait_for("#documents[data-count='2']").await;
    let list = stack.text("#documents").await;
    assert!(list.contains("Shopping list") && list.contains("Meeting notes"), "{list}");
    stack.screenshot("portal.png").await;

    // From inside the page, no token anywhere: no readable cookie, empty storage, and
    // no JWT in the page or in anything the page fetches.
    let seen = stack
        .browser()
        .execute(
            "return (async () => {
               const unmarked = await fetch('/api/documents', {
                 method: 'POST',
                 headers: { 'Content-Type': 'application/json' },
                 body: JSON.stringify({ title: 'forged', content: 'no CSRF header' }),
               });
               const bodies = [];
               for (const path of ['/api/me', '/api/documents']) {
                 const response = await fetch(path);
                 bodies.push(await response.text());
               }
               return {
                 unmarked: unmarked.status,
                 cookie: document.cookie,
                 local: localStorage.length,
                 session: sessionStorage.length,
                 html: document.documentElement.outerHTML,
                 bodies,
               };
             })();",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(seen["cookie"], "", "document.cookie: {seen}");
    assert_eq!(seen["unmarked"], 403, "a POST without X-Requested-With is refused: {seen}");
    assert!(!bodies_mention(&seen, "forged"), "the refused POST stored nothing: {seen}");
    assert_eq!((seen["local"].as_u64(), seen["session"].as_u64()), (Some(0), Some(0)), "web storage: {seen}");
    let bodies = seen["bodies"].as_array().unwrap();
    assert!(bodies[0].as_str().unwrap().contains("\"sub\":\"alice\""), "{seen}");
    assert!(bodies[1].as_str().unwrap().contains("Meeting notes"), "{seen}");
    for text in bodies.iter().chain([&seen["html"]]).map(|v| v.as_str().unwrap()) {
        assert!(!has_jwt(text), "a JWT reached the page: {text}");
    }

    // Access tokens expire every 3 s: reloading the page keeps working while the
    // portal refreshes them behind it, until at least two refreshes happened.
    let before = refreshes(&stack.portal);
    poll_until(Duration::from_secs(60), "two access-token refreshes while the page is used", || async {
        stack.browser().refresh().await.unwrap();
        stack.wait_for("body[data-ready='true'] #signed-in:not([hidden]) #documents[data-count='2']").await;
        (refreshes(&stack.portal) >= before + 2).then_some(())
    })
    .await;
    assert!(!stack.portal.log().contains("refresh refused"), "{}", stack.portal.log());

    // Sign out: back at the portal's front page, signed out, also at the auth server.
    stack.browser().find(Locator::Id("sign-out")).await.unwrap().click().await.unwrap();
    // The auth server asks before it ends its login session (a bare GET signs nobody
    // out); its form carries a CSRF token.
    let confirm = stack.wait_for("form[action$='/oauth2/logout'] button[type='submit']").await;
    let at = stack.browser().current_url().await.unwrap();
    assert!(at.as_str().starts_with(&format!("{}/oauth2/logout", stack.auth.base_url())), "{at}");
    assert!(stack.browser().find(Locator::Css("form input[name='csrf']")).await.is_ok());
    confirm.click().await.unwrap();
    stack.wait_for("body[data-ready='true'] #signed-out:not([hidden])").await;
    assert_eq!(stack.browser().current_url().await.unwrap().as_str(), format!("{portal_url}/"));
    assert!(stack.portal.log().contains("signed out: refresh token revoked"), "{}", stack.portal.log());

    // The old session cookie opens nothing any more.
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    for path in ["/api/me", "/api/documents"] {
        let response = http
            .get(format!("{}{path}", stack.portal.base_url()))
            .header("cookie", format!("portal_session={old_session}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{path} with the old session");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "login_required");
    }

    // The back button shows nothing private: past the auth server's confirmation page,
    // the portal's page is fetched again (not restored from a cache) and finds no
    // session.
    stack.browser().back().await.unwrap();
    stack.wait_for("form[action$='/oauth2/logout']").await;
    stack.browser().back().await.unwrap();
    let at = stack.browser().current_url().await.unwrap();
    assert_eq!(at.as_str(), format!("{portal_url}/"), "back at the page that showed the documents");
    stack.wait_for("body[data-ready='true'] #signed-out:not([hidden])").await;
    let source = stack.browser().source().await.unwrap();
    assert!(!source.contains("Meeting notes") && !source.contains("Shopping list"), "{source}");

    // The portal logged no token and not its secret.
    let log = stack.portal.log();
    assert!(!has_jwt(&log), "a token in the portal's log:\n{log}");
    assert!(!log.contains(crate::support::PORTAL_SECRET), "the client secret in the portal's log");

    // Signing in again needs the password: the auth server's login session ended too.
    stack.browser().find(Locator::Id("sign-in")).await.unwrap().click().await.unwrap();
    stack.wait_for("input[name='password']").await;

    stack.close().await;
}
