//! The auth server's issuer is a public URL the resource servers cannot reach (as
//! `http://localhost:8080` inside a container network), and they reach the auth server
//! on another address: `RS_AUTH_URL` is that address, `RS_ISSUER` the issuer.
//!
//! ```text
//! issuer (AUTH_ISSUER)   a Relay routed nowhere: it refuses every connection, so an
//!                        endpoint followed there as the metadata announces it fails
//! test client ──────────► auth server, its own address      tokens: iss = the issuer
//! resource server ──────► auth server, its own address      (RS_AUTH_URL)
//!   RS_ISSUER = the issuer: metadata checked against it, every endpoint under it
//!   (JWKS, introspection, revocation feed) called on RS_AUTH_URL instead
//! ```

use std::time::Duration;

use reqwest::Method;
use tests::bootstrap::*;
use tests::fleet::REVOCATION_DEADLINE;
use tests::jwks::{decode_unverified, METADATA_PATH};
use tests::{
    poll_until, AuthOptions, AuthServer, ClientAuth, Credentials, OAuthClient, Relay, ResourceOptions, ResourceServer,
    Verify,
};

/// Long enough for a few discovery attempts (retried within a few seconds) on a
/// loaded machine.
const REFUSAL_DEADLINE: Duration = Duration::from_secs(60);

/// An auth server whose issuer is an address nobody can reach.
struct Deployment {
    /// Holds the issuer's address, refusing every connection to it.
    _public: Relay,
    issuer: String,
    auth: AuthServer,
    /// Talks to the auth server on its own address.
    client: OAuthClient,
}

impl Deployment {
    async fn start() -> Self {
        let public = Relay::start().await;
        let issuer = public.url();
        let auth = AuthServer::start(AuthOptions::embedded().env("AUTH_ISSUER", &issuer)).await;
        let client = OAuthClient::new(auth.base_url());
        let metadata = client.get(METADATA_PATH).await;
        assert_eq!(metadata.str("issuer"), issuer, "{metadata:?}");
        assert!(metadata.str("jwks_uri").starts_with(&issuer), "every endpoint is under the issuer: {metadata:?}");
        assert_ne!(auth.base_url(), issuer, "the auth server is reached on another address than its issuer");
        Deployment { _public: public, issuer, auth, client }
    }

    /// A resource server reaching the auth server on its own address, told `issuer`.
    fn resource(&self, verify: Verify, issuer: &str) -> ResourceOptions {
        ResourceOptions::new(self.auth.base_url()).verify(verify).env("RS_ISSUER", issuer)
    }

    async fn alice_token(&self) -> String {
        let login = self.client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        assert_eq!(login.status, 200, "{login:?}");
        let token = login.access_token().to_owned();
        let (_, claims) = decode_unverified(&token).expect("a JWS");
        assert_eq!(claims["iss"], self.issuer.as_str(), "tokens carry the public issuer");
        token
    }
}

on_both_modes! {
    /// Ready (the key set and the feed, or introspection, all through `RS_AUTH_URL`), a
    /// token accepted, and its revocation arriving.
    async fn a_resource_server_given_the_issuer_verifies_and_follows_revocations(verify: Verify) {
        let deployment = Deployment::start().await;
        let resource = ResourceServer::start(deployment.resource(verify, &deployment.issuer)).await;
        let api = resource.api();
        let token = deployment.alice_token().await;
        let me = api.me(Credentials::Bearer(&token)).await;
        assert_eq!(me.status, 200, "{me:?}");
        assert_eq!(me.str("sub"), ALICE);

        let revoked = deployment.client.revoke(&token, ClientAuth::Public(WEB_APP)).await;
        assert_eq!(revoked.status, 200, "{revoked:?}");
        poll_until(REVOCATION_DEADLINE, "the revocation to reach the resource server", || async {
            (api.me(Credentials::Bearer(&token)).await.status == 401).then_some(())
        })
        .await;
    }
}

on_both_modes! {
    /// `RS_ISSUER` set to the address the resource server uses, not the issuer: the
    /// metadata is refused (RFC 8414 §3.3), said so in the log, retried; the server
    /// stays not ready and answers 503 rather than judge tokens.
    async fn a_resource_server_given_another_issuer_stays_not_ready(verify: Verify) {
        let deployment = Deployment::start().await;
        let wrong = deployment.auth.base_url();
        let resource = ResourceServer::start_unready(deployment.resource(verify, &wrong)).await;
        let refusal = "its issuer is not the configured one";
        poll_until(REFUSAL_DEADLINE, "the metadata refused, twice", || async {
            (resource.log().matches(refusal).count() >= 2).then_some(())
        })
        .await;
        let log = resource.log();
        let line = log.lines().find(|line| line.contains(refusal)).unwrap();
        assert!(line.contains("ERROR"), "logged as an error: {line}");
        assert!(line.contains(&deployment.issuer) && line.contains(&wrong), "names both issuers: {line}");

        let api = resource.api();
        let ready = api.request(Method::GET, "/readyz", Credentials::None, None).await;
        assert_eq!(ready.status, 503, "{ready:?}");
        let token = deployment.alice_token().await;
        let me = api.me(Credentials::Bearer(&token)).await;
        assert_eq!(me.status, 503, "not ready: no token is judged: {me:?}");
        assert_eq!(me.json["error"], "temporarily_unavailable", "{me:?}");
    }
}
