//! The portal's page before anyone signs in: what it shows, the headers it is served
//! with, and that the browser enforces its policy (no inline script runs).

use serde_json::json;

use crate::support::BrowserStack;

#[tokio::test]
async fn the_signed_out_page_runs_no_inline_script() {
    let stack = BrowserStack::start(300).await;
    stack.open_portal(&format!("{}/", stack.portal_url)).await;
    stack.wait_for("#signed-out:not([hidden])").await;
    assert!(stack.browser().find(fantoccini::Locator::Css("#signed-in[hidden]")).await.is_ok());
    assert_eq!(stack.text("#sign-in").await, "Sign in");
    stack.screenshot("portal-signed-out.png").await;

    // Every script is an external file of the portal's own; no element has an inline
    // event handler.
    let scripts = stack
        .browser()
        .execute(
            "return {
               scripts: [...document.scripts].map(s => ({ src: s.src, inline: s.textContent.trim().length })),
               handlers: [...document.querySelectorAll('*')]
                 .flatMap(el => [...el.attributes].map(a => a.name))
                 .filter(name => name.startsWith('on')),
             };",
            vec![],
        )
        .await
        .unwrap();
    let expected_src = format!("{}/static/app.js", stack.portal_url);
    assert_eq!(scripts["scripts"], json!([{ "src": expected_src, "inline": 0 }]), "{scripts}");
    assert_eq!(scripts["handlers"], json!([]), "{scripts}");

    // The Content-Security-Policy is in force: a script injected into the page does
    // not run.
    let ran = stack
        .browser()
        .execute(
            "const s = document.createElement('script');
             s.textContent = 'window.injected = true';
             document.body.append(s);
             return window.injected === true;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(ran, json!(false), "an inline script ran despite the CSP");

    // The headers the page was served with.
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let page = http.get(format!("{}/", stack.portal.base_url())).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let header = |name: &str| page.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    assert_eq!(header("cache-control"), "no-store");
    let csp = header("content-security-policy");
    assert!(csp.contains("script-src 'self'") && csp.contains("default-src 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(header("x-frame-options"), "DENY");
    let api = http.get(format!("{}/api/me", stack.portal.base_url())).send().await.unwrap();
    assert_eq!(api.status(), 401, "no session, no API");

    stack.close().await;
}
