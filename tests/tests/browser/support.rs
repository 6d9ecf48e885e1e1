//! The stack a browser test runs against, the browser itself, and what the tests
//! look for in pages.

use std::path::{Path, PathBuf};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use tests::bootstrap::{self, ALICE, ALICE_PASSWORD};
use tests::chromedriver::{self, ChromeDriver};
use tests::ports::free_port;
use tests::{AuthOptions, AuthServer, PortalOptions, PortalServer, ResourceOptions, ResourceServer};

/// The portal's client, as the bootstrap registers it.
pub(crate) const PORTAL: &str = "docs-portal";
pub(crate) const PORTAL_SECRET: &str = "docs-portal-secret-0123456789abcdef0123";
/// A second app of the same user, signing in at the same auth server (single sign-on).
pub(crate) const REPORTS: &str = "reports-portal";
pub(crate) const REPORTS_SECRET: &str = "reports-portal-secret-0123456789abcdef";

/// How long a page may take to show what a test waits for.
pub(crate) const PAGE_TIMEOUT: Duration = Duration::from_secs(20);

/// The portal's log line for each refresh of an access token.
pub(crate) const REFRESHED: &str = "access token refreshed";

/// An auth server, a resource server following it, two portals (`web-portal` and
/// `reports-portal`) reached by the browser at `http://localhost:PORT` (another site
/// than the auth server at `127.0.0.1`), chromedriver, and a browser session.
pub(crate) struct BrowserStack {
    /// Closed explicitly by [`Self::close`]; a panic leaves it to chromedriver's exit.
    pub(crate) browser: Option<Client>,
    pub(crate) portal: PortalServer,
    pub(crate) reports: PortalServer,
    /// Kept running for the portals.
    _resource: ResourceServer,
    pub(crate) auth: AuthServer,
    /// Kept running for the browser session.
    _driver: ChromeDriver,
    /// `http://localhost:PORT` of each portal, no trailing slash.
    pub(crate) portal_url: String,
    pub(crate) reports_url: String,
}

impl BrowserStack {
    /// Starts everything with access tokens living `access_ttl` seconds.
    pub(crate) async fn start(access_ttl: u64) -> Self {
        // The redirect URIs are registered before the portals start, so their ports
        // are chosen first; another process may take one meanwhile, and then the whole
        // stack starts again on new ports, as chromedriver's start does.
        const ATTEMPTS: usize = 3;
        for attempt in 1..=ATTEMPTS {
            match Self::try_start(access_ttl).await {
                Ok(stack) => return stack,
                Err(why) if attempt < ATTEMPTS && tests::port_was_taken(&why) => {
                    eprintln!("a portal's port was taken, starting again on new ports: {why}");
                }
                Err(why) => panic!("{why}"),
            }
        }
        unreachable!("the last attempt returns or panics")
    }

    async fn try_start(access_ttl: u64) -> Result<Self, String> {
        let (portal_port, reports_port) = (free_port(), free_port());
        let portal_url = format!("http://localhost:{portal_port}");
        let reports_url = format!("http://localhost:{reports_port}");
        let toml = format!(
            "{}\n{}\n{}",
            bootstrap::default_toml(),
            portal_client(PORTAL, PORTAL_SECRET, "Documents portal", &portal_url),
            portal_client(REPORTS, REPORTS_SECRET, "Reports", &reports_url),
        );
        let auth = AuthServer::start(
            AuthOptions::embedded().bootstrap(Some(toml)).env("AUTH_ACCESS_TTL", access_ttl.to_string()),
        )
        .await;
        let resource = ResourceServer::start(ResourceOptions::new(auth.base_url())).await;
        let start_portal = |port: u16, url: &str, id: &str, secret: &str| {
            let bind = format!("127.0.0.1:{port}");
            PortalServer::try_start(PortalOptions::new(&bind, url, &auth.base_url(), &resource.base_url(), id, secret))
        };
        let portal = start_portal(portal_port, &portal_url, PORTAL, PORTAL_SECRET).await?;
        let reports = start_portal(reports_port, &reports_url, REPORTS, REPORTS_SECRET).await?;
        let driver = ChromeDriver::start().await;
        let browser = ClientBuilder::native()
            .capabilities(chromedriver::capabilities())
            .connect(&driver.url())
            .await
            .unwrap_or_else(|e| panic!("cannot start a Chromium session: {e}\nchromedriver log:\n{}", driver.log()));
        Ok(BrowserStack {
            browser: Some(browser),
            portal,
            reports,
            _resource: resource,
            auth,
            _driver: driver,
            portal_url,
            reports_url,
        })
    }

    pub(crate) fn browser(&self) -> &Client {
        self.browser.as_ref().expect("the browser is open")
    }

    /// Ends the browser session (and so the browser).
    pub(crate) async fn close(mut self) {
        if let Some(browser) = self.browser.take() {
            browser.close().await.expect("close the browser");
        }
    }

    /// Opens `url` and waits until the portal's page has asked who is signed in.
    pub(crate) async fn open_portal(&self, url: &str) {
        self.browser().goto(url).await.unwrap_or_else(|e| panic!("open {url}: {e}"));
        self.wait_ready().await;
    }

    /// Waits until the portal's page has finished loading what it shows.
    pub(crate) async fn wait_ready(&self) {
        self.wait_for("body[data-ready='true']").await;
    }

    pub(crate) async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        let browser = self.browser();
        match browser.wait().at_most(PAGE_TIMEOUT).for_element(Locator::Css(css)).await {
            Ok(element) => element,
            Err(e) => {
                let url = browser.current_url().await.map(|u| u.to_string()).unwrap_or_default();
                let source = browser.source().await.unwrap_or_default();
                panic!("no `{css}` within {PAGE_TIMEOUT:?} ({e}) at {url}; page:\n{source}")
            }
        }
    }

    /// From the portal's signed-out page, through the auth server's login page, to the
    /// signed-in portal. Saves a screenshot of the login page when `screenshot` names one.
    pub(crate) async fn sign_in_with_password(&self, portal_url: &str, screenshot: Option<&str>) {
        self.open_portal(&format!("{portal_url}/")).await;
        self.wait_for("#signed-out:not([hidden])").await.text().await.unwrap();
        self.browser().find(Locator::Id("sign-in")).await.unwrap().click().await.unwrap();
        let username = self.wait_for("input[name='username']").await;
        let at = self.browser().current_url().await.unwrap();
        assert!(
            at.as_str().starts_with(&format!("{}/oauth2/authorize", self.auth.base_url())),
            "the login page is the auth server's: {at}"
        );
        if let Some(name) = screenshot {
            self.screenshot(name).await;
            // Typing goes to the field again.
            username.click().await.unwrap();
        }
        username.send_keys(ALICE).await.unwrap();
        let password = self.browser().find(Locator::Css("input[name='password']")).await.unwrap();
        password.send_keys(ALICE_PASSWORD).await.unwrap();
        let submit = self.browser().find(Locator::Css("form button, form input[type='submit']")).await.unwrap();
        submit.click().await.unwrap();
        self.wait_for("body[data-ready='true'] #signed-in:not([hidden])").await;
        let at = self.browser().current_url().await.unwrap();
        assert_eq!(at.as_str(), format!("{portal_url}/"), "back at the portal's page");
    }

    /// Saves a screenshot of the page as `name` (see [`save_screenshot`]), taken once
    /// nothing in it changes between runs: no focus ring or blinking caret, the fonts
    /// loaded.
    pub(crate) async fn screenshot(&self, name: &str) {
        self.browser()
            .execute(
                "return (async () => {
                   if (document.activeElement) document.activeElement.blur();
                   document.documentElement.style.caretColor = 'transparent';
                   await document.fonts.ready;
                   return true;
                 })();",
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("prepare the page for {name}: {e}"));
        save_screenshot(name, &self.browser().screenshot().await.unwrap());
    }

    /// The text of the element `css`.
    pub(crate) async fn text(&self, css: &str) -> String {
        self.browser().find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("find {css}: {e}")).text().await.unwrap()
    }
}

/// A confidential client registered for the portal at `url`.
fn portal_client(id: &str, secret: &str, name: &str, url: &str) -> String {
    let (read, write, audience) = (bootstrap::READ, bootstrap::WRITE, bootstrap::DOCUMENTS_AUDIENCE);
    format!(
        r#"
[[clients]]
client_id = "{id}"
client_secret = "{secret}"
grant_types = ["authorization_code", "refresh_token"]
redirect_uris = ["{url}/callback"]
post_logout_redirect_uris = ["{url}/"]
display_name = "{name}"
scopes = ["{read}", "{write}"]
audiences = ["{audience}"]
"#
    )
}

/// How many times the portal's log says it refreshed an access token.
pub(crate) fn refreshes(portal: &PortalServer) -> usize {
    portal.log().matches(REFRESHED).count()
}

/// Whether `text` holds something shaped like a JWS compact serialisation: a
/// base64url JSON header (`eyJ...`), a dot, a payload, a dot.
pub(crate) fn has_jwt(text: &str) -> bool {
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    text.match_indices("eyJ").any(|(at, _)| {
        let mut parts = text[at..].split('.');
        let header = parts.next().unwrap_or("").chars().take_while(|c| is_b64(*c)).count();
        let payload = parts.next().map(|p| p.chars().take_while(|c| is_b64(*c)).count()).unwrap_or(0);
        let header_whole = text[at..].chars().nth(header) == Some('.');
        header_whole && header >= 10 && payload >= 10
    })
}

/// Writes a PNG under the target directory, and into `docs/screenshots/` as well when
/// `UPDATE_SCREENSHOTS=1`.
pub(crate) fn save_screenshot(name: &str, png: &[u8]) {
    assert!(png.starts_with(b"\x89PNG"), "{name} is a PNG");
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    write(&target, name, png);
    if std::env::var("UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1") {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
        write(&docs, name, png);
    }
}

fn write(dir: &PathBuf, name: &str, png: &[u8]) {
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    let path = dir.join(name);
    std::fs::write(&path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    eprintln!("screenshot: {}", path.display());
}

#[test]
fn recognises_jwts() {
    assert!(has_jwt(r#"{"t":"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln"}"#));
    assert!(!has_jwt(r#"{"sub":"alice","scope":"documents:read"}"#));
    assert!(!has_jwt("eyJ."));
}
