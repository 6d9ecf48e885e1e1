//! An off-the-shelf OAuth 2.0 client — the `oauth2` crate — that knows only the issuer
//! URL: it reads the RFC 8414 metadata document and takes the token endpoint, the key
//! set, the accepted client authentication methods and grant types from there, then
//! logs in, refreshes, and verifies every access token against the published JWKS with
//! an off-the-shelf JOSE library (josekit). Nothing else of our API is assumed:
//! only the client registration (id, secret, audience, scopes) and the user's password.

use std::time::SystemTime;

use josekit::jwk::JwkSet;
use josekit::jws::{JwsHeader, JwsVerifier, RS256};
use josekit::jwt::{JwtPayload, JwtPayloadValidator};
use oauth2::basic::{BasicClient, BasicErrorResponseType, BasicRequestTokenError, BasicTokenResponse};
use oauth2::url::Url;
use oauth2::{
    AuthType, ClientId, ClientSecret, EndpointNotSet, EndpointSet, HttpRequest, HttpResponse, ResourceOwnerPassword,
    ResourceOwnerUsername, Scope, TokenResponse, TokenUrl,
};
use serde::Deserialize;
use tests::bootstrap::*;
use tests::{AuthStack, Store};

/// An `oauth2` client with only a token endpoint (no authorization, device, introspection
/// or revocation endpoint).
type TokenClient = BasicClient<EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// The members of the RFC 8414 §2 metadata document this client uses.
#[derive(Debug, Deserialize)]
struct Metadata {
    issuer: String,
    token_endpoint: String,
    jwks_uri: String,
    token_endpoint_auth_methods_supported: Vec<String>,
    grant_types_supported: Vec<String>,
}

impl Metadata {
    /// RFC 8414 §3: `GET` the well-known URI of `issuer` (§3.1: the well-known segment
    /// goes between the host and any path of the issuer), and check that the document
    /// names the same issuer (§3.3).
    async fn discover(http: &reqwest::Client, issuer: &str) -> Self {
        let mut url = Url::parse(issuer).unwrap_or_else(|e| panic!("issuer {issuer:?}: {e}"));
        let path = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("/.well-known/oauth-authorization-server{path}"));
        let response = http.get(url.as_str()).send().await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
        assert_eq!(response.status(), 200, "GET {url}");
        let metadata: Metadata = response.json().await.unwrap_or_else(|e| panic!("metadata at {url}: {e}"));
        assert_eq!(metadata.issuer, issuer, "RFC 8414 §3.3: the metadata names the issuer it was fetched for");
        metadata
    }

    fn assert_grant(&self, grant: &str) {
        assert!(self.grant_types_supported.iter().any(|g| g == grant), "{grant} not announced: {self:?}");
    }

    fn assert_auth_method(&self, method: &str) {
        let methods = &self.token_endpoint_auth_methods_supported;
        assert!(methods.iter().any(|m| m == method), "{method} not announced: {self:?}");
    }

    /// An `oauth2` client for `client_id` at the announced token endpoint.
    fn client(&self, client_id: &str) -> TokenClient {
        let token_url = TokenUrl::new(self.token_endpoint.clone()).expect("token_endpoint is a URL");
        BasicClient::new(ClientId::new(client_id.to_owned())).set_token_uri(token_url)
    }

    /// The key set at `jwks_uri` (RFC 7517 §5).
    async fn jwks(&self, http: &reqwest::Client) -> JwkSet {
        let uri = &self.jwks_uri;
        let response = http.get(uri).send().await.unwrap_or_else(|e| panic!("GET {uri}: {e}"));
        assert_eq!(response.status(), 200, "GET {uri}");
        let body = response.bytes().await.unwrap_or_else(|e| panic!("GET {uri}: {e}"));
        JwkSet::from_bytes(&body).unwrap_or_else(|e| panic!("the document at {uri} is not a JWK set: {e}"))
    }
}

/// oauth2's HTTP client (its `AsyncHttpClient` is any `Fn(HttpRequest) -> Future`): the
/// request's method, URL, headers and body go out through the workspace's reqwest
/// client as they are, and the response's status, version, headers and body come back.
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

/// What an access token must say beyond signature, `typ`, `iss` and `exp`.
struct Expected<'a> {
    sub: &'a str,
    client_id: &'a str,
    audience: &'a str,
    scope: &'a str,
}

/// Verifies an access token the way a resource server with a stock JOSE library does:
/// RS256 signature with the key of its `kid` from `jwks_uri`, header `typ` `at+jwt`
/// (RFC 9068 §2.1), then `iss` (the metadata's issuer), `aud`, `exp` after now, `sub`,
/// `client_id` and `scope` (§2.2). Returns the claims.
async fn verify_access_token(
    http: &reqwest::Client,
    metadata: &Metadata,
    token: &str,
    expected: &Expected<'_>,
) -> JwtPayload {
    let jwks = metadata.jwks(http).await;
    let header = josekit::jwt::decode_header(token).expect("a JOSE header");
    let kid = header.claim("kid").and_then(|kid| kid.as_str()).expect("the header names a `kid`").to_owned();
    assert!(!jwks.get(&kid).is_empty(), "`kid` {kid} is not in the key set at {}", metadata.jwks_uri);
    let verifiers: Vec<(String, Box<dyn JwsVerifier>)> = jwks
        .keys()
        .into_iter()
        .filter_map(|jwk| {
            let verifier = RS256.verifier_from_jwk(jwk).ok()?;
            Some((jwk.key_id()?.to_owned(), Box::new(verifier) as Box<dyn JwsVerifier>))
        })
        .collect();
    let (claims, header) = josekit::jwt::decode_with_verifier_selector(token, |header: &JwsHeader| {
        Ok(header.key_id().and_then(|kid| verifiers.iter().find(|(id, _)| id == kid)).map(|(_, v)| &**v))
    })
    .unwrap_or_else(|e| panic!("the access token does not verify against {}: {e}", metadata.jwks_uri));
    assert_eq!(header.algorithm(), Some("RS256"), "alg: {header}");
    assert_eq!(header.token_type(), Some("at+jwt"), "typ: {header}");

    let now = SystemTime::now();
    let mut validator = JwtPayloadValidator::new();
    validator.set_base_time(now);
    validator.set_issuer(metadata.issuer.as_str());
    validator.set_audience(expected.audience);
    validator.set_subject(expected.sub);
    validator.set_claim("client_id", expected.client_id.into());
    validator.validate(&claims).unwrap_or_else(|e| panic!("claims: {e}: {claims}"));
    // The validator skips `exp` and `aud` when they are absent; RFC 9068 requires both.
    assert!(claims.expires_at().is_some_and(|exp| exp > now), "exp after now: {claims}");
    assert_eq!(claims.audience(), Some(vec![expected.audience]), "aud: {claims}");
    let scope = claims.claim("scope").and_then(|s| s.as_str()).unwrap_or_else(|| panic!("scope: {claims}"));
    assert_eq!(sorted(scope.split(' ')), sorted(expected.scope.split(' ')), "scope: {claims}");
    claims
}

fn sorted<'a>(words: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut words: Vec<&str> = words.collect();
    words.sort_unstable();
    words
}

/// A successful RFC 6749 §5.1 response as oauth2 parsed it: a bearer token (§7.1: the
/// type is case-insensitive) with a lifetime, granted `scope`.
fn assert_token_response(token: &BasicTokenResponse, scope: &str) {
    assert!(token.token_type().as_ref().eq_ignore_ascii_case("bearer"), "token_type: {:?}", token.token_type());
    assert!(token.expires_in().is_some_and(|ttl| !ttl.is_zero()), "expires_in: {:?}", token.expires_in());
    let granted: Vec<&str> = token.scopes().expect("the granted scope").iter().map(|s| s.as_str()).collect();
    assert_eq!(sorted(granted.into_iter()), sorted(scope.split(' ')), "scope of the token response");
}

/// The RFC 6749 §5.2 error code of a failed token request; panics on anything else.
fn error_code(error: BasicRequestTokenError<reqwest::Error>) -> BasicErrorResponseType {
    match error {
        oauth2::RequestTokenError::ServerResponse(response) => response.error().clone(),
        other => panic!("expected an RFC 6749 §5.2 error response, got {other:?}"),
    }
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("build an HTTP client")
}

on_both_stores! {
    /// A public first-party app logs alice in with the password grant, refreshes (the
    /// refresh token rotates), verifies both access tokens against the JWKS, and gets
    /// `invalid_grant` for the spent refresh token.
    async fn password_login_refresh_and_reuse(store: Store) {
        let stack = AuthStack::start(store).await;
        let http = http_client();
        let send = |request| send(&http, request);
        let metadata = Metadata::discover(&http, &stack.issuer()).await;
        metadata.assert_grant("password");
        metadata.assert_grant("refresh_token");
        // RFC 8414 §2 / RFC 7591 §2: "none" is how a public client authenticates.
        metadata.assert_auth_method("none");
        let client = metadata.client(WEB_APP).set_auth_type(AuthType::RequestBody);
        let expected = Expected { sub: ALICE, client_id: WEB_APP, audience: DOCUMENTS_AUDIENCE, scope: READ };

        // Ask for less than alice may have, so the granted scope is the asked one.
        let login = client
            .exchange_password(
                &ResourceOwnerUsername::new(ALICE.to_owned()),
                &ResourceOwnerPassword::new(ALICE_PASSWORD.to_owned()),
            )
            .add_scope(Scope::new(READ.to_owned()))
            .request_async(&send)
            .await
            .unwrap_or_else(|e| panic!("password grant: {e:?}"));
        assert_token_response(&login, READ);
        let first_refresh = login.refresh_token().expect("the password grant returns a refresh token").clone();
        let first = verify_access_token(&http, &metadata, login.access_token().secret(), &expected).await;
        let sid = first.claim("sid").cloned();
        assert!(sid.as_ref().is_some_and(|sid| sid.as_str().is_some_and(|s| !s.is_empty())), "sid: {first}");

        let refreshed = client
            .exchange_refresh_token(&first_refresh)
            .request_async(&send)
            .await
            .unwrap_or_else(|e| panic!("refresh grant: {e:?}"));
        assert_token_response(&refreshed, READ);
        let second_refresh = refreshed.refresh_token().expect("the refresh grant returns a new refresh token").clone();
        assert_ne!(second_refresh.secret(), first_refresh.secret(), "the refresh token rotates");
        assert_ne!(refreshed.access_token().secret(), login.access_token().secret(), "a new access token");
        let second = verify_access_token(&http, &metadata, refreshed.access_token().secret(), &expected).await;
        assert_eq!(second.claim("sid").cloned(), sid, "the refreshed token belongs to the same login session");
        assert_ne!(second.jwt_id(), first.jwt_id(), "jti");

        // The spent token again: RFC 6749 §5.2 `invalid_grant`, and (reuse detection) the
        // whole session is gone, so its successor is refused too.
        let reuse = client.exchange_refresh_token(&first_refresh).request_async(&send).await;
        let reuse = reuse.expect_err("a spent refresh token must be refused");
        assert_eq!(error_code(reuse), BasicErrorResponseType::InvalidGrant);
        let successor = client.exchange_refresh_token(&second_refresh).request_async(&send).await;
        let successor = successor.expect_err("the session of a reused refresh token is revoked");
        assert_eq!(error_code(successor), BasicErrorResponseType::InvalidGrant);
    }
}

on_both_stores! {
    /// Confidential services authenticate with `client_secret_basic` as oauth2 sends it
    /// (id and secret form-urlencoded before Base64, RFC 6749 §2.3.1 — `partner+app%`
    /// and its secret change under that encoding) and get an access token for
    /// themselves, without a refresh token.
    async fn client_credentials_with_http_basic(store: Store) {
        let stack = AuthStack::start(store).await;
        let http = http_client();
        let send = |request| send(&http, request);
        let metadata = Metadata::discover(&http, &stack.issuer()).await;
        metadata.assert_grant("client_credentials");
        metadata.assert_auth_method("client_secret_basic");
        for (id, secret) in [(SERVICE_A, SERVICE_A_SECRET), (PARTNER, PARTNER_SECRET)] {
            let client = metadata
                .client(id)
                .set_client_secret(ClientSecret::new(secret.to_owned()))
                .set_auth_type(AuthType::BasicAuth);
            let token = client
                .exchange_client_credentials()
                .request_async(&send)
                .await
                .unwrap_or_else(|e| panic!("client credentials grant for {id}: {e:?}"));
            assert_token_response(&token, READ);
            assert!(token.refresh_token().is_none(), "{id}: no refresh token for client_credentials");
            let expected = Expected { sub: id, client_id: id, audience: DOCUMENTS_AUDIENCE, scope: READ };
            let claims = verify_access_token(&http, &metadata, token.access_token().secret(), &expected).await;
            assert!(claims.claim("sid").is_none(), "{id}: no login session without a user: {claims}");

            // The same client with a wrong secret is refused: the server really checks
            // what oauth2 sent.
            let wrong = metadata
                .client(id)
                .set_client_secret(ClientSecret::new(format!("{secret}-wrong")))
                .set_auth_type(AuthType::BasicAuth);
            let refused = wrong.exchange_client_credentials().request_async(&send).await;
            let refused = refused.expect_err("a wrong secret must be refused");
            assert_eq!(error_code(refused), BasicErrorResponseType::InvalidClient, "{id}");
        }
    }
}
