//! In-process tests of the authorization code flow: the authorization endpoint, the
//! login page, the login session, the `authorization_code` grant and logout. A
//! [`Browser`] carries cookies between requests as a browser would.

mod authorize_errors;
mod code_exchange;
mod cors;
mod login_form;
mod logout;
mod sso;

use std::collections::HashMap;

use actix_web::test::TestRequest;
use shared_claims::ScopeSet;

use super::{add_resource_client, basic, SECRET};
use crate::crypto::sha256_hex;
use crate::store::ClientRecord;
use crate::test_support::{Reply, TestServer};

/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A confidential code-flow client (secret [`SECRET`]).
const PORTAL: &str = "portal";
const PORTAL_REDIRECT: &str = "https://portal.example/cb?tenant=1";
const PORTAL_LOGOUT_REDIRECT: &str = "https://portal.example/";
/// A public code-flow client with a loopback redirect URI.
const NATIVE: &str = "native";
const NATIVE_REDIRECT: &str = "http://127.0.0.1/cb";

const ALICE_PASSWORD: &str = "alice-password-123";

/// A server with alice, both code-flow clients, the password-grant `web-app`, and
/// `documents-api` to introspect with.
async fn server() -> TestServer {
    let server = TestServer::new().await;
    setup(&server).await;
    server
}

async fn setup(server: &TestServer) {
    server.add_user("alice", ALICE_PASSWORD, "documents:read documents:write").await;
    server.add_public_client("web-app", "documents:read").await;
    add_resource_client(server, "documents-api", &[], &[]).await;
    add_code_client(server, PORTAL, Some(SECRET), PORTAL_REDIRECT).await;
    add_code_client(server, NATIVE, None, NATIVE_REDIRECT).await;
}

async fn add_code_client(server: &TestServer, client_id: &str, secret: Option<&str>, redirect_uri: &str) {
    let client = ClientRecord {
        client_id: client_id.into(),
        secret_sha256: secret.map(|s| sha256_hex(s.as_bytes())),
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        scopes: ScopeSet::parse("documents:read documents:write").unwrap(),
        audiences: vec!["documents-api".into()],
        serves: vec![],
        registration: crate::crypto::random_id(),
        redirect_uris: vec![redirect_uri.into()],
        post_logout_redirect_uris: vec![PORTAL_LOGOUT_REDIRECT.into()],
        display_name: Some(format!("The {client_id} app")),
    };
    server.authority.store.put_client(&client).await.unwrap();
}

/// The query of a valid authorization request of the portal.
fn portal_request() -> Vec<(&'static str, String)> {
    vec![
        ("response_type", "code".into()),
        ("client_id", PORTAL.into()),
        ("redirect_uri", PORTAL_REDIRECT.into()),
        ("code_challenge", CHALLENGE.into()),
        ("code_challenge_method", "S256".into()),
        ("state", "xyz-state".into()),
        ("scope", "documents:read".into()),
    ]
}

fn with(params: &[(&'static str, String)], name: &'static str, value: Option<&str>) -> Vec<(&'static str, String)> {
    let mut out: Vec<_> = params.iter().filter(|(n, _)| *n != name).cloned().collect();
    if let Some(value) = value {
        out.push((name, value.to_owned()));
    }
    out
}

fn query(params: &[(&str, String)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        query.append_pair(name, value);
    }
    query.finish()
}

/// Cookies kept between requests, by name.
#[derive(Default, Debug, Clone)]
struct Browser {
    cookies: HashMap<String, String>,
}

impl Browser {
    fn attach(&self, req: TestRequest) -> TestRequest {
        if self.cookies.is_empty() {
            return req;
        }
        let header: Vec<String> = self.cookies.iter().map(|(n, v)| format!("{n}={v}")).collect();
        req.insert_header(("cookie", header.join("; ")))
    }

    fn keep(&mut self, reply: &Reply) {
        for line in reply.headers.get_all("set-cookie").filter_map(|v| v.to_str().ok()) {
            let pair = line.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || line.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    async fn get(&mut self, server: &TestServer, uri: &str) -> Reply {
        let reply = server.send(self.attach(TestRequest::get().uri(uri))).await;
        self.keep(&reply);
        reply
    }

    async fn post(&mut self, server: &TestServer, uri: &str, form: &[(String, String)]) -> Reply {
        let reply = server.send(self.attach(TestRequest::post().uri(uri).set_form(form))).await;
        self.keep(&reply);
        reply
    }

    async fn authorize(&mut self, server: &TestServer, params: &[(&str, String)]) -> Reply {
        self.get(server, &format!("/oauth2/authorize?{}", query(params))).await
    }

    /// Shows the form for `params` and submits it with these credentials.
    async fn sign_in(
        &mut self,
        server: &TestServer,
        params: &[(&str, String)],
        username: &str,
        password: &str,
    ) -> Reply {
        let page = self.authorize(server, params).await;
        assert_eq!(page.status, 200, "the login form: {page:?}");
        self.submit(server, &page, username, password).await
    }

    /// Submits the form in `page` as a browser would: its hidden inputs unchanged.
    async fn submit(&mut self, server: &TestServer, page: &Reply, username: &str, password: &str) -> Reply {
        let mut form = hidden_inputs(page.body.as_str().unwrap());
        form.push(("username".into(), username.into()));
        form.push(("password".into(), password.into()));
        self.post(server, "/oauth2/authorize", &form).await
    }
}

/// The hidden inputs of a page, unescaped.
fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    let attribute = |tag: &str, name: &str| -> String {
        let start = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        let end = start + tag[start..].find('"').unwrap();
        tag[start..end]
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    html.split("<input ")
        .skip(1)
        .map(|rest| &rest[..rest.find('>').unwrap()])
        .filter(|tag| tag.contains("type=\"hidden\""))
        .map(|tag| (attribute(tag, "name"), attribute(tag, "value")))
        .collect()
}

/// The parameters of a redirect's `Location`, after checking where it goes.
fn redirect_params(reply: &Reply, to: &str) -> HashMap<String, String> {
    let location = reply.header("location").unwrap_or_else(|| panic!("no Location: {reply:?}"));
    let (base, query) = location.split_once('?').unwrap();
    assert_eq!(base, to.split('?').next().unwrap(), "{location}");
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

/// A code for the portal: signing in, or at once within the browser's login session.
async fn portal_code(server: &TestServer, browser: &mut Browser) -> String {
    let mut reply = browser.authorize(server, &portal_request()).await;
    if reply.status == 200 {
        reply = browser.submit(server, &reply, "alice", ALICE_PASSWORD).await;
        assert_eq!(reply.status, 303, "{reply:?}");
    }
    redirect_params(&reply, PORTAL_REDIRECT)["code"].clone()
}

/// `POST /oauth2/token` for a code, as the portal (Basic authentication).
async fn exchange(server: &TestServer, code: &str, verifier: &str, redirect_uri: &str) -> Reply {
    let req = TestRequest::post().uri("/oauth2/token").insert_header(basic(PORTAL)).set_form([
        ("grant_type", "authorization_code"),
        ("code", code),
        ("code_verifier", verifier),
        ("redirect_uri", redirect_uri),
    ]);
    server.send(req).await
}

/// Whether `documents-api` sees the access token as active.
async fn active(server: &TestServer, token: &str) -> bool {
    let req = TestRequest::post()
        .uri("/oauth2/introspect")
        .insert_header(basic("documents-api"))
        .set_form([("token", token)]);
    let reply = server.send(req).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body["active"].as_bool().unwrap()
}

/// A refresh by the portal.
async fn refresh(server: &TestServer, refresh_token: &str) -> Reply {
    let req = TestRequest::post()
        .uri("/oauth2/token")
        .insert_header(basic(PORTAL))
        .set_form([("grant_type", "refresh_token"), ("refresh_token", refresh_token)]);
    server.send(req).await
}
