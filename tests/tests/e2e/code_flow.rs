//! The authorization code flow with PKCE run by an off-the-shelf client, the `oauth2`
//! crate, against the real auth-server binary, with a browser's part played by hand:
//! GET the authorization URL, submit the login form (its hidden inputs unchanged, with
//! the cookies the page set), take the code from the redirect, exchange it with
//! oauth2, and call the demo API with the access token. A replay of the code is
//! refused and revokes that access token at the resource server.

use std::collections::HashMap;
use std::time::Duration;

use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::url::Url;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, HttpRequest, HttpResponse, PkceCodeChallenge,
    RedirectUrl, Scope, TokenResponse, TokenUrl,
};
use serde::Deserialize;
use tests::bootstrap::*;
use tests::{poll_until, ApiStack, Credentials, Store, Verify};

/// The members of the RFC 8414 metadata this flow uses.
#[derive(Debug, Deserialize)]
struct Metadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    code_challenge_methods_supported: Vec<String>,
}

/// A browser-like client: no redirects followed (the test reads each `Location`).
fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("build an HTTP client")
}

/// oauth2's HTTP client over the workspace's reqwest (as in `off_the_shelf_client`).
async fn send(http: &reqwest::Client, request: HttpRequest) -> Result<HttpResponse, reqwest::Error> {
    let (parts, body) = request.into_parts();
    let response = http.request(parts.method, parts.uri.to_string()).headers(parts.headers).body(body).send().await?;
    let (status, version, headers) = (response.status(), response.version(), response.headers().clone());
    let mut reply = HttpResponse::new(response.bytes().await?.to_vec());
    *reply.status_mut() = status;
    *reply.version_mut() = version;
    *reply.headers_mut() = headers;
    Ok(reply)
}

/// The `name=value` pairs of a response's `Set-Cookie` headers, as a `Cookie` header.
fn cookie_header(response: &reqwest::Response) -> String {
    let pairs: Vec<&str> = response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|line| line.split(';').next())
        .collect();
    pairs.join("; ")
}

/// The form's `action` and its inputs with their values (hidden ones as the page has
/// them), as a browser would submit them.
fn login_form(html: &str) -> (String, Vec<(String, String)>) {
    let attribute = |tag: &str, name: &str| -> Option<String> {
        let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        let end = start + tag[start..].find('"')?;
        Some(
            tag[start..end]
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&"),
        )
    };
    let form_tag = html.split("<form").nth(1).expect("a form").split('>').next().expect("a form tag");
    assert!(form_tag.contains("method=\"post\""), "a POST form: {form_tag}");
    let action = attribute(form_tag, "action").expect("an action");
    let inputs = html
        .split("<input")
        .skip(1)
        .map(|rest| rest.split('>').next().expect("an input tag"))
        .filter(|tag| tag.contains("type=\"hidden\""))
        .map(|tag| (attribute(tag, "name").expect("a name"), attribute(tag, "value").unwrap_or_default()))
        .collect();
    (action, inputs)
}

on_both_stores! {
    async fn oauth2_runs_the_code_flow_with_pkce(store: Store) {
        let api = ApiStack::start_with(store, Verify::Local, |options| options).await;
        let issuer = api.stack.issuer();
        let http = http_client();
        let send = |request| send(&http, request);
        let metadata: Metadata = http
            .get(format!("{issuer}/.well-known/oauth-authorization-server"))
            .send()
            .await
            .expect("metadata")
            .json()
            .await
            .expect("metadata JSON");
        assert_eq!(metadata.issuer, issuer);
        assert_eq!(metadata.code_challenge_methods_supported, ["S256"]);

        let client = BasicClient::new(ClientId::new(WEB_PORTAL.to_owned()))
            .set_client_secret(ClientSecret::new(WEB_PORTAL_SECRET.to_owned()))
            .set_auth_uri(AuthUrl::new(metadata.authorization_endpoint.clone()).expect("authorization_endpoint"))
            .set_token_uri(TokenUrl::new(metadata.token_endpoint.clone()).expect("token_endpoint"))
            .set_redirect_uri(RedirectUrl::new(WEB_PORTAL_REDIRECT.to_owned()).expect("redirect URI"));
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (authorize_url, state) = client
            .authorize_url(CsrfToken::new_random)
            .add_scope(Scope::new(READ.to_owned()))
            .set_pkce_challenge(challenge)
            .url();

        // The browser: the login page, then the form submitted with its cookies.
        let page = http.get(authorize_url.as_str()).send().await.expect("GET the authorization URL");
        assert_eq!(page.status(), 200, "the login page");
        let cookies = cookie_header(&page);
        assert!(cookies.contains("as_login_csrf="), "the page sets its CSRF cookie: {cookies}");
        let (action, mut form) = login_form(&page.text().await.expect("the page"));
        form.push(("username".into(), ALICE.into()));
        form.push(("password".into(), ALICE_PASSWORD.into()));
        let action = Url::parse(&issuer).expect("issuer").join(&action).expect("the form's action");
        let submitted = http
            .post(action.as_str())
            .header(reqwest::header::COOKIE, cookies)
            .form(&form)
            .send()
            .await
            .expect("POST the login form");
        assert_eq!(submitted.status(), 303, "signed in, redirected to the client");
        let location = submitted.headers()[reqwest::header::LOCATION].to_str().expect("a Location").to_owned();
        assert!(location.starts_with(&format!("{WEB_PORTAL_REDIRECT}?")), "{location}");
        let params: HashMap<String, String> =
            Url::parse(&location).expect("Location is a URL").query_pairs().into_owned().collect();
        assert_eq!(params.get("state"), Some(state.secret()), "state comes back unchanged");
        assert_eq!(params.get("iss"), Some(&issuer), "RFC 9207 iss");
        let code = AuthorizationCode::new(params["code"].clone());

        let tokens = client
            .exchange_code(code.clone())
            .set_pkce_verifier(verifier)
            .request_async(&send)
            .await
            .unwrap_or_else(|e| panic!("code exchange: {e:?}"));
        assert!(tokens.refresh_token().is_some(), "the code grant returns a refresh token");
        let access = tokens.access_token().secret().to_owned();
        let me = api.api.me(Credentials::Bearer(&access)).await;
        assert_eq!(me.status, 200, "the demo API accepts the token: {:?}", me.json);
        assert_eq!((me.json["sub"].as_str(), me.json["client_id"].as_str()), (Some(ALICE), Some(WEB_PORTAL)));

        // A replayed code: invalid_grant, and what it was exchanged for is revoked.
        let replay = client
            .exchange_code(code)
            .set_pkce_verifier(oauth2::PkceCodeVerifier::new("x".repeat(43)))
            .request_async(&send)
            .await
            .expect_err("a used code is refused");
        match replay {
            oauth2::RequestTokenError::ServerResponse(response) => {
                assert_eq!(*response.error(), BasicErrorResponseType::InvalidGrant)
            }
            other => panic!("expected invalid_grant, got {other:?}"),
        }
        poll_until(Duration::from_secs(10), "the replay's revocation reaches the resource server", || async {
            (api.api.me(Credentials::Bearer(&access)).await.status == 401).then_some(())
        })
        .await;
    }
}
