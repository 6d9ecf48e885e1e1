//! Single sign-on: once signed in at one app, a second app of the same auth server
//! signs the user in without the login form.

use fantoccini::Locator;

use crate::support::BrowserStack;

#[tokio::test]
async fn a_second_app_signs_in_without_the_form() {
    let stack = BrowserStack::start(300).await;
    let portal_url = stack.portal_url.clone();
    stack.sign_in_with_password(&portal_url, None).await;

    let reports_url = stack.reports_url.clone();
    stack.open_portal(&format!("{reports_url}/")).await;
    stack.wait_for("#signed-out:not([hidden])").await;
    stack.browser().find(Locator::Id("sign-in")).await.unwrap().click().await.unwrap();
    // Straight back, signed in: nobody filled a form.
    stack.wait_for("body[data-ready='true'] #signed-in:not([hidden])").await;
    assert_eq!(stack.browser().current_url().await.unwrap().as_str(), format!("{reports_url}/"));
    assert_eq!(stack.text("#user").await, "alice");
    assert!(stack.reports.log().contains("signed in"), "{}", stack.reports.log());

    stack.close().await;
}
