//! The authorization server as the portal's OAuth client sees it: its RFC 8414
//! metadata, discovered once (retried until it answers), and an `oauth2` client built
//! from it. Token requests authenticate with `client_secret_basic` (RFC 6749 §2.3.1).
//!
//! `oauth2` brings no HTTP client of its own here: `http_adapter` carries its requests over
//! the portal's `reqwest` client, which follows no redirects (RFC 6749 §3.2 does not
//! allow a token endpoint to redirect). Revocation (RFC 7009) is one form POST sent
//! directly: `oauth2` refuses a revocation endpoint that is not https, and local
//! development runs the authorization server over plain http.

use std::time::Duration;

use oauth2::basic::{BasicClient, BasicErrorResponseType, BasicRequestTokenError, BasicTokenResponse};
use oauth2::url::Url;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, Scope, TokenUrl,
};
use serde::Deserialize;
use shared_claims::Secret;

use crate::settings::Settings;

mod back_channel;
mod discovery;
mod http_adapter;

use back_channel::BackChannel;
pub(crate) use discovery::Discovery;
use http_adapter::{owned_sender, SendError};

/// The client: authorization endpoint if announced, and the token endpoint.
type PortalClient = BasicClient<EndpointMaybeSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// How long one call to the authorization server may take.
pub(crate) const AUTH_SERVER_TIMEOUT: Duration = Duration::from_secs(10);

/// The RFC 8414 §2 members the portal uses.
#[derive(Debug, Deserialize)]
pub(super) struct Metadata {
    issuer: String,
    authorization_endpoint: Option<String>,
    token_endpoint: String,
    revocation_endpoint: String,
    end_session_endpoint: Option<String>,
    #[serde(default)]
    authorization_response_iss_parameter_supported: bool,
}

/// Why the authorization server cannot be used (yet).
#[derive(Debug, thiserror::Error)]
pub(crate) enum DiscoveryError {
    #[error("cannot fetch the authorization server metadata: {0}")]
    Fetch(#[source] reqwest::Error),
    #[error("the authorization server metadata answered {0}")]
    Status(u16),
    #[error("the authorization server metadata is unusable: {0}")]
    Document(String),
}

/// The start of a sign-in: where to send the browser, and what to keep server-side.
pub(crate) struct AuthorizationStart {
    pub(crate) url: Url,
    pub(crate) state: Secret,
    pub(crate) verifier: Secret,
}

/// What a token endpoint answered, reduced to what the portal keeps.
#[derive(Debug)]
pub(crate) struct IssuedTokens {
    pub(crate) access_token: Secret,
    pub(crate) refresh_token: Option<Secret>,
    pub(crate) expires_in: Option<Duration>,
}

impl From<BasicTokenResponse> for IssuedTokens {
    fn from(response: BasicTokenResponse) -> Self {
        use oauth2::TokenResponse as _;
        Self {
            access_token: Secret::new(response.access_token().secret().clone()),
            refresh_token: response.refresh_token().map(|token| Secret::new(token.secret().clone())),
            expires_in: response.expires_in(),
        }
    }
}

/// A failed token request.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TokenError {
    /// RFC 6749 §5.2 `invalid_grant`: the code or refresh token is no good (expired,
    /// used, revoked). The session it belonged to is over.
    #[error("the grant was refused (invalid_grant)")]
    InvalidGrant,
    #[error("the token request failed: {0}")]
    Other(String),
}

impl From<BasicRequestTokenError<SendError>> for TokenError {
    fn from(error: BasicRequestTokenError<SendError>) -> Self {
        match error {
            oauth2::RequestTokenError::ServerResponse(response)
                if *response.error() == BasicErrorResponseType::InvalidGrant =>
            {
                TokenError::InvalidGrant
            }
            oauth2::RequestTokenError::ServerResponse(response) => TokenError::Other(response.error().to_string()),
            other => TokenError::Other(shared_claims::error_chain(&other)),
        }
    }
}

/// The authorization server, once discovered.
pub(crate) struct Provider {
    issuer: String,
    client: PortalClient,
    revocation_endpoint: Url,
    client_secret: Secret,
    end_session_endpoint: Option<String>,
    iss_parameter_supported: bool,
    scopes: Vec<String>,
    client_id: String,
    post_logout_redirect_uri: String,
}

impl Provider {
    pub(super) fn from_metadata(metadata: Metadata, settings: &Settings) -> Result<Self, DiscoveryError> {
        let bad = |what: &str| DiscoveryError::Document(what.to_owned());
        // RFC 8414 §3.3: the metadata must name the issuer it was fetched for, or an
        // attacker's document could redirect every endpoint.
        let expected = settings.expected_issuer();
        if metadata.issuer.trim_end_matches('/') != expected.trim_end_matches('/') {
            let setting = if settings.issuer.is_some() { "PORTAL_ISSUER" } else { "PORTAL_AUTH_URL" };
            return Err(DiscoveryError::Document(format!(
                "the metadata names the issuer {:?}, not {setting} ({expected:?})",
                metadata.issuer
            )));
        }
        // The portal's own calls; the browser's endpoints stay as announced.
        let back_channel = BackChannel::new(settings.issuer.as_deref(), &settings.auth_url);
        let back_channel = |url: String| match &back_channel {
            Some(back_channel) => back_channel.url(&url),
            None => url,
        };
        let secret = settings.client_secret.clone().unwrap_or_else(|| Secret::new(""));
        let auth_url = match metadata.authorization_endpoint {
            Some(url) => Some(AuthUrl::new(url).map_err(|_| bad("authorization_endpoint"))?),
            None => None,
        };
        let client = BasicClient::new(ClientId::new(settings.client_id.clone()))
            .set_client_secret(ClientSecret::new(secret.expose().to_owned()))
            .set_auth_uri_option(auth_url)
            .set_token_uri(TokenUrl::new(back_channel(metadata.token_endpoint)).map_err(|_| bad("token_endpoint"))?)
            .set_redirect_uri(RedirectUrl::new(settings.redirect_uri()).map_err(|_| bad("redirect URI"))?);
        Ok(Self {
            issuer: metadata.issuer,
            client,
            revocation_endpoint: Url::parse(&back_channel(metadata.revocation_endpoint))
                .map_err(|_| bad("revocation_endpoint"))?,
            client_secret: secret,
            end_session_endpoint: metadata.end_session_endpoint,
            iss_parameter_supported: metadata.authorization_response_iss_parameter_supported,
            scopes: settings.scope_list(),
            client_id: settings.client_id.clone(),
            post_logout_redirect_uri: settings.post_logout_redirect_uri(),
        })
    }

    /// RFC 6749 §4.1.1 with PKCE S256 (RFC 7636 §4.2) and a random `state`; `None` when
    /// the server announces no authorization endpoint.
    pub(crate) fn start_authorization(&self) -> Option<AuthorizationStart> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = self
            .client
            .authorize_url(CsrfToken::new_random)
            .ok()?
            .add_scopes(self.scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge)
            .url();
        Some(AuthorizationStart {
            url,
            state: Secret::new(state.secret().clone()),
            verifier: Secret::new(verifier.secret().clone()),
        })
    }

    /// RFC 9207 §2.4: the `iss` of an authorization response must name this server;
    /// when the server announces that it sends `iss`, a response without one is refused.
    pub(crate) fn accepts_iss(&self, iss: Option<&str>) -> bool {
        match iss {
            Some(iss) => iss == self.issuer,
            None => !self.iss_parameter_supported,
        }
    }

    /// RFC 6749 §4.1.3 with the PKCE verifier (RFC 7636 §4.5).
    pub(crate) async fn exchange_code(
        &self,
        http: &reqwest::Client,
        code: &str,
        verifier: &Secret,
    ) -> Result<IssuedTokens, TokenError> {
        let response = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.expose().to_owned()))
            .request_async(&owned_sender(http))
            .await?;
        Ok(response.into())
    }

    /// RFC 6749 §6. The answer carries the rotated refresh token.
    pub(crate) async fn refresh(
        &self,
        http: &reqwest::Client,
        refresh_token: &Secret,
    ) -> Result<IssuedTokens, TokenError> {
        let token = RefreshToken::new(refresh_token.expose().to_owned());
        let response = self.client.exchange_refresh_token(&token).request_async(&owned_sender(http)).await?;
        Ok(response.into())
    }

    /// RFC 7009 §2.1: revoking the refresh token ends its whole session at the server.
    /// The client authenticates as for the token endpoint (`client_secret_basic`, id
    /// and secret form-urlencoded first, RFC 6749 §2.3.1).
    pub(crate) async fn revoke(&self, http: &reqwest::Client, refresh_token: &Secret) -> Result<(), String> {
        let encode = |text: &str| form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
        let response = http
            .post(self.revocation_endpoint.clone())
            .basic_auth(encode(&self.client_id), Some(encode(self.client_secret.expose())))
            .form(&[("token", refresh_token.expose()), ("token_type_hint", "refresh_token")])
            .timeout(AUTH_SERVER_TIMEOUT)
            .send()
            .await
            .map_err(|e| shared_claims::error_chain(&e))?;
        match response.status().as_u16() {
            200 => Ok(()),
            status => Err(format!("the revocation endpoint answered {status}")),
        }
    }

    /// Where the browser goes to end its login session at the authorization server,
    /// coming back to the portal's front page; the front page itself when the server
    /// announces no `end_session_endpoint`.
    pub(crate) fn end_session_url(&self) -> String {
        let Some(endpoint) = &self.end_session_endpoint else { return "/".to_owned() };
        match Url::parse(endpoint) {
            Ok(mut url) => {
                url.query_pairs_mut()
                    .append_pair("client_id", &self.client_id)
                    .append_pair("post_logout_redirect_uri", &self.post_logout_redirect_uri);
                url.into()
            }
            Err(_) => "/".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn settings(args: &[&str]) -> Settings {
        let base = ["web-portal", "--client-secret", "s", "--auth-url", "http://auth-server:8080"];
        Settings::try_parse_from(base.iter().chain(args)).unwrap()
    }

    /// What the authorization server announces: every endpoint under its issuer.
    fn metadata(issuer: &str) -> Metadata {
        Metadata {
            issuer: issuer.to_owned(),
            authorization_endpoint: Some(format!("{issuer}/oauth2/authorize")),
            token_endpoint: format!("{issuer}/oauth2/token"),
            revocation_endpoint: format!("{issuer}/oauth2/revoke"),
            end_session_endpoint: Some(format!("{issuer}/oauth2/logout")),
            authorization_response_iss_parameter_supported: true,
        }
    }

    fn before_query(url: &str) -> &str {
        url.split('?').next().unwrap()
    }

    #[test]
    fn behind_a_gateway_the_browser_goes_to_the_issuer_and_the_portal_to_the_auth_url() {
        let public = "http://localhost:8080";
        let provider = Provider::from_metadata(metadata(public), &settings(&["--issuer", public])).unwrap();
        let start = provider.start_authorization().unwrap();
        assert_eq!(before_query(start.url.as_str()), "http://localhost:8080/oauth2/authorize");
        assert_eq!(before_query(&provider.end_session_url()), "http://localhost:8080/oauth2/logout");
        assert_eq!(provider.client.token_uri().as_str(), "http://auth-server:8080/oauth2/token");
        assert_eq!(provider.revocation_endpoint.as_str(), "http://auth-server:8080/oauth2/revoke");
        // RFC 9207: authorization responses name the public issuer.
        assert!(provider.accepts_iss(Some(public)));
        assert!(!provider.accepts_iss(Some("http://auth-server:8080")));
    }

    #[test]
    fn without_an_issuer_setting_the_endpoints_are_used_as_announced() {
        let provider = Provider::from_metadata(metadata("http://auth-server:8080"), &settings(&[])).unwrap();
        assert_eq!(provider.client.token_uri().as_str(), "http://auth-server:8080/oauth2/token");
        assert!(provider.accepts_iss(Some("http://auth-server:8080")));
    }

    #[test]
    fn the_metadata_must_name_the_configured_issuer() {
        // PORTAL_ISSUER set: the auth server URL is not the issuer.
        let err = Provider::from_metadata(
            metadata("http://auth-server:8080"),
            &settings(&["--issuer", "http://localhost:8080"]),
        )
        .err()
        .unwrap();
        let message = err.to_string();
        assert!(message.contains("not PORTAL_ISSUER (\"http://localhost:8080\")"), "{message}");
        // Unset: PORTAL_AUTH_URL is, as before.
        let err = Provider::from_metadata(metadata("http://localhost:8080"), &settings(&[])).err().unwrap();
        assert!(err.to_string().contains("not PORTAL_AUTH_URL"), "{err}");
        // A trailing slash on either side is tolerated, as before.
        let provider = Provider::from_metadata(
            metadata("http://localhost:8080"),
            &settings(&["--issuer", "http://localhost:8080/"]),
        );
        assert!(provider.is_ok());
    }
}
