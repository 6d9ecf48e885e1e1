//! Fixtures for the crate's in-process tests: an [`Authority`] over a `MemoryStore`
//! with short, fixed settings, tokens minted directly, and requests sent through the
//! real routes (`http::configure`) with `actix_web::test`.
//!
//! Generating an RSA key is the slow part of a fixture, so every fixture starts from
//! the same generated key (tests that rotate add their own).

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub(crate) mod faulty_store;

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::HeaderMap;
use actix_web::http::StatusCode;
use actix_web::{test, web, App};
use serde_json::Value;
use shared_claims::ScopeSet;
use tokio::sync::OnceCell;

use crate::crypto::password::Passwords;
use crate::http::metrics::Metrics;
use crate::http::AppState;
use crate::keys::{generate_record, KeyRing};
use crate::oauth::authority::Authority;
use crate::oauth::feed::RevocationFeed;
use crate::oauth::tokens::{AccessGrant, TokenSettings, Tokens};
use crate::store::{ClientRecord, KeyState, MemoryStore, SharedStore, SigningKeyRecord, UserRecord};
use shared_claims::Secret;

pub(crate) const ISSUER: &str = "http://auth.test";
/// The key timing of the test server: the settings' defaults.
pub(crate) const KEY_REFRESH_INTERVAL: i64 = 30;
pub(crate) const CLOCK_SKEW: i64 = 60;

static FIRST_KEY: OnceCell<SigningKeyRecord> = OnceCell::const_new();

/// One test's server: its own store, sharing only the first signing key.
pub(crate) struct TestServer {
    pub authority: Arc<Authority>,
}

/// An answer, read whole. `body` is `Null` when empty, a JSON string when not JSON.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A string member of the JSON body.
    pub(crate) fn str(&self, member: &str) -> &str {
        self.body[member].as_str().unwrap_or_else(|| panic!("no string {member:?} in {}", self.body))
    }
}

impl TestServer {
    pub(crate) async fn new() -> Self {
        Self::with_store(Arc::new(MemoryStore::new()), |_| {}).await
    }

    /// A server over `store`, with the fixture's settings as `configure` leaves them.
    pub(crate) async fn with_store(store: SharedStore, configure: impl FnOnce(&mut TokenSettings)) -> Self {
        let now = shared_claims::unix_now();
        let key = FIRST_KEY
            .get_or_try_init(|| generate_record(KeyState::Active, now))
            .await
            .expect("a signing key can be generated")
            .clone();
        // Recorded as signing already, so that the synchronous `access_token` below
        // may sign with it (rotations then retire it rather than drop it).
        let key = SigningKeyRecord { signed_at: Some(now), ..key };
        assert!(store.save_signing_keys(0, &[key]).await.unwrap());
        let keys = Arc::new(KeyRing::load_or_create(store.clone(), now).await.unwrap());
        let mut settings = TokenSettings {
            issuer: ISSUER.into(),
            access_ttl: 300,
            refresh_idle_ttl: 3600,
            refresh_max_ttl: 86_400,
            refresh_reuse_grace: 0,
            max_sessions_per_user: 50,
        };
        configure(&mut settings);
        let key_policy = crate::keys::KeyPolicy::new(
            2_592_000,
            300,
            settings.access_ttl,
            settings.longest_token_lifetime(),
            KEY_REFRESH_INTERVAL,
            CLOCK_SKEW,
        );
        let feed = RevocationFeed::new(store.clone(), Duration::from_secs(1));
        let authority = Authority::new(
            store,
            Tokens::new(keys, settings),
            Passwords::new(1).unwrap(),
            feed,
            crate::oauth::login_throttle::LoginThrottle::new(
                std::num::NonZeroU32::new(1_000).unwrap(),
                std::num::NonZeroU32::new(1_000).unwrap(),
            ),
            crate::oauth::revocation_budget::RevocationBudget::default(),
            key_policy,
        );
        Self { authority }
    }

    /// An access token signed by this server, as the token endpoint would mint it.
    /// No `audiences` means the issuer.
    pub(crate) fn access_token(
        &self,
        subject: &str,
        client_id: &str,
        scope: &str,
        audiences: &[&str],
        sid: Option<&str>,
    ) -> String {
        let grant = AccessGrant {
            subject: subject.into(),
            client_id: client_id.into(),
            scope: ScopeSet::parse(scope).unwrap(),
            audiences: audiences.iter().map(|a| a.to_string()).collect(),
            sid: sid.map(str::to_owned),
        };
        // Signs with the active key without recording a first signature (synchronous
        // for the tests' convenience): the first key is recorded as signing already.
        let tokens = &self.authority.tokens;
        let claims = tokens.access_claims(&grant, shared_claims::unix_now());
        tokens.keys().current().active().sign_access_token(&claims).unwrap()
    }

    /// What the `ops` client of the README's bootstrap example gets.
    pub(crate) fn admin_token(&self) -> String {
        self.access_token("ops", "ops", "admin", &[], None)
    }

    /// Sends `req` through every route of the server.
    pub(crate) async fn send(&self, req: test::TestRequest) -> Reply {
        let state = web::Data::new(AppState::new(self.authority.clone(), 60));
        let metrics = web::Data::new(Metrics::new());
        let app =
            test::init_service(App::new().app_data(state).app_data(metrics).configure(crate::http::configure)).await;
        let res = test::call_service(&app, req.to_request()).await;
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = test::read_body(res).await;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Reply { status, headers, body }
    }

    /// Stores a user directly (bypassing the admin API).
    pub(crate) async fn add_user(&self, username: &str, password: &str, scopes: &str) {
        let password_hash = self.authority.passwords.hash(Secret::new(password)).await.unwrap();
        let user = UserRecord {
            username: username.into(),
            password_hash,
            scopes: ScopeSet::parse(scopes).unwrap(),
            disabled: false,
            tokens_valid_after: 0,
        };
        assert!(self.authority.store.insert_user(&user).await.unwrap());
    }

    /// Stores a public client allowed the password and refresh grants.
    pub(crate) async fn add_public_client(&self, client_id: &str, scopes: &str) {
        let client = ClientRecord {
            client_id: client_id.into(),
            secret_sha256: None,
            grant_types: vec!["password".into(), "refresh_token".into()],
            scopes: ScopeSet::parse(scopes).unwrap(),
            audiences: vec!["documents-api".into()],
            serves: vec![],
            registration: crate::crypto::random_id(),
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            display_name: None,
        };
        self.authority.store.put_client(&client).await.unwrap();
    }

    /// `POST /oauth2/token` with the form `params`.
    pub(crate) async fn token_request(&self, params: &[(&str, &str)]) -> Reply {
        self.send(test::TestRequest::post().uri("/oauth2/token").set_form(params)).await
    }

    /// A password-grant login through the token endpoint by a public client.
    pub(crate) async fn login(&self, client_id: &str, username: &str, password: &str) -> Reply {
        self.token_request(&[
            ("grant_type", "password"),
            ("client_id", client_id),
            ("username", username),
            ("password", password),
        ])
        .await
    }

    /// A refresh through the token endpoint by a public client.
    pub(crate) async fn refresh(&self, client_id: &str, refresh_token: &str) -> Reply {
        self.token_request(&[
            ("grant_type", "refresh_token"),
            ("client_id", client_id),
            ("refresh_token", refresh_token),
        ])
        .await
    }

    /// Whether the server now considers this access token revoked.
    pub(crate) async fn is_revoked(&self, access_token: &str) -> bool {
        let claims = self.authority.tokens.verify_access_token(access_token, shared_claims::unix_now()).await.unwrap();
        self.authority.is_revoked(&claims).await.unwrap()
    }
}

/// Every revocation in force, read page by page as the feed's snapshot reads them.
pub(crate) async fn revocations_in_force(store: &dyn crate::store::Store) -> Vec<crate::store::RevocationEvent> {
    let mut events = Vec::new();
    let mut page = None;
    loop {
        let read = store.revocation_snapshot_page(page.as_deref(), 1_000).await.expect("snapshot page");
        events.extend(read.events);
        match read.next {
            Some(next) => page = Some(next),
            None => return events,
        }
    }
}
