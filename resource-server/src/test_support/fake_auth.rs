//! A stand-in authorization server on a real socket (127.0.0.1, port 0): metadata, a
//! JWKS with `Cache-Control`, RFC 7662 introspection answering from a table, with
//! counters and a gate that holds introspection answers until the test opens it,
//! optionally a revocation feed ([`super::fake_feed`]), and a token endpoint with a
//! protected resource for the service client ([`super::fake_tokens`]).

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::{json, Value};
use tokio::sync::Semaphore;

use super::fake_feed::{FeedConnection, FeedMode, FeedState, SnapshotFault};
use super::fake_tokens::{self, FakeTokens};
use super::ISSUER;

pub const CLIENT_ID: &str = "documents api";
pub const CLIENT_SECRET: &str = "s3cr:t&é";
/// `client_secret_basic` of the credentials above: each part form-urlencoded first.
const EXPECTED_BASIC: &str = "Basic ZG9jdW1lbnRzK2FwaTpzM2NyJTNBdCUyNiVDMyVBOQ==";

struct State {
    jwks: Mutex<Value>,
    answers: Mutex<HashMap<String, Value>>,
    jwks_fetches: AtomicUsize,
    introspections: AtomicUsize,
    gated: AtomicBool,
    gate: Semaphore,
    base: Mutex<String>,
    /// Members replacing the metadata's own (a moved or hostile endpoint).
    metadata_overrides: Mutex<serde_json::Map<String, Value>>,
    metadata_fetches: AtomicUsize,
    /// `None`: the metadata announces no feed, like an auth server without one.
    feed: Option<Arc<FeedState>>,
}

pub struct FakeAuthServer {
    state: Arc<State>,
    tokens: Arc<FakeTokens>,
    base_url: String,
    handle: actix_web::dev::ServerHandle,
}

impl FakeAuthServer {
    pub async fn start(jwks: Value) -> Self {
        Self::start_with(jwks, None).await
    }

    /// The same, with a revocation feed announced in the metadata.
    pub async fn start_with_feed(jwks: Value) -> Self {
        Self::start_with(jwks, Some(Arc::default())).await
    }

    async fn start_with(jwks: Value, feed: Option<Arc<FeedState>>) -> Self {
        let state = Arc::new(State {
            jwks: Mutex::new(jwks),
            answers: Mutex::default(),
            jwks_fetches: AtomicUsize::new(0),
            introspections: AtomicUsize::new(0),
            gated: AtomicBool::new(false),
            gate: Semaphore::new(0),
            base: Mutex::default(),
            metadata_overrides: Mutex::default(),
            metadata_fetches: AtomicUsize::new(0),
            feed,
        });
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let base_url = format!("http://{}", listener.local_addr().expect("local address"));
        *state.base.lock().unwrap() = base_url.clone();
        let shared = web::Data::from(state.clone());
        let tokens = Arc::new(FakeTokens::new(EXPECTED_BASIC));
        let shared_tokens = web::Data::from(tokens.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .app_data(shared_tokens.clone())
                .route("/.well-known/oauth-authorization-server", web::get().to(metadata))
                .route("/jwks", web::get().to(jwks_document))
                .route("/introspect", web::post().to(introspection))
                .route("/revocations", web::get().to(revocation_feed))
                .route("/token", web::post().to(fake_tokens::token))
                .route("/resource", web::get().to(fake_tokens::resource))
                .route("/resource", web::post().to(fake_tokens::resource))
                .route("/forbidden", web::get().to(fake_tokens::forbidden))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .expect("listen")
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Self { state, tokens, base_url, handle }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The token endpoint (`/token`, announced in the metadata) and the protected
    /// resource (`/resource`, `/forbidden`).
    pub fn tokens(&self) -> &FakeTokens {
        &self.tokens
    }

    /// What introspection says about `token`; unknown tokens are inactive.
    pub fn answer(&self, token: &str, answer: Value) {
        self.state.answers.lock().unwrap().insert(token.to_owned(), answer);
    }

    /// Announces `value` for the metadata member `name` instead of the real one;
    /// `None` restores it.
    pub fn override_metadata(&self, name: &str, value: Option<&str>) {
        let mut overrides = self.state.metadata_overrides.lock().unwrap();
        match value {
            Some(value) => overrides.insert(name.to_owned(), value.into()),
            None => overrides.remove(name),
        };
    }

    pub fn metadata_fetches(&self) -> usize {
        self.state.metadata_fetches.load(Ordering::SeqCst)
    }

    pub fn set_jwks(&self, jwks: Value) {
        *self.state.jwks.lock().unwrap() = jwks;
    }

    /// Holds every introspection answer until [`FakeAuthServer::open_gate`].
    pub fn close_gate(&self) {
        self.state.gated.store(true, Ordering::SeqCst);
    }

    pub fn open_gate(&self) {
        self.state.gated.store(false, Ordering::SeqCst);
        self.state.gate.add_permits(1000);
    }

    pub fn introspections(&self) -> usize {
        self.state.introspections.load(Ordering::SeqCst)
    }

    pub fn jwks_fetches(&self) -> usize {
        self.state.jwks_fetches.load(Ordering::SeqCst)
    }

    fn feed(&self) -> &Arc<FeedState> {
        self.state.feed.as_ref().expect("started with a feed")
    }

    /// Publishes a revocation notice (JSON as on the wire); returns its event id.
    pub fn publish(&self, notice: Value) -> String {
        self.feed().publish(notice)
    }

    /// Publishes a notice that open streams receive garbled (see
    /// [`FeedState::publish_garbled`]); returns its event id.
    pub fn publish_garbled(&self, notice: Value) -> String {
        self.feed().publish_garbled(notice)
    }

    pub fn set_snapshot_fault(&self, fault: SnapshotFault) {
        self.feed().set_snapshot_fault(fault);
    }

    /// Answer every connection with a snapshot, even one that could resume.
    pub fn set_always_snapshot(&self, always: bool) {
        self.feed().set_always_snapshot(always);
    }

    pub fn set_feed_mode(&self, mode: FeedMode) {
        self.feed().set_mode(mode);
    }

    /// Ends every open feed stream (the client sees the connection close).
    pub fn drop_feed_connections(&self) {
        self.feed().drop_connections();
    }

    /// Every feed connection so far, in order.
    pub fn feed_connections(&self) -> Vec<FeedConnection> {
        self.feed().connections()
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

async fn metadata(state: web::Data<State>) -> HttpResponse {
    let base = state.base.lock().unwrap().clone();
    let mut document = json!({
        "issuer": ISSUER,
        "jwks_uri": format!("{base}/jwks"),
        "introspection_endpoint": format!("{base}/introspect"),
        "token_endpoint": format!("{base}/token"),
    });
    if state.feed.is_some() {
        document["revocation_feed_endpoint"] = format!("{base}/revocations").into();
    }
    state.metadata_fetches.fetch_add(1, Ordering::SeqCst);
    for (name, value) in state.metadata_overrides.lock().unwrap().iter() {
        document[name] = value.clone();
    }
    HttpResponse::Ok().json(document)
}

async fn revocation_feed(state: web::Data<State>, req: HttpRequest) -> HttpResponse {
    let authorization = req.headers().get("authorization").and_then(|v| v.to_str().ok());
    if authorization != Some(EXPECTED_BASIC) {
        return HttpResponse::Unauthorized().insert_header(("WWW-Authenticate", "Basic")).finish();
    }
    let Some(feed) = &state.feed else { return HttpResponse::NotFound().finish() };
    let last_event_id = req.headers().get("last-event-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    feed.respond(last_event_id)
}

async fn jwks_document(state: web::Data<State>) -> HttpResponse {
    state.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    let jwks = state.jwks.lock().unwrap().clone();
    HttpResponse::Ok().insert_header(("Cache-Control", "public, max-age=300")).json(jwks)
}

async fn introspection(
    state: web::Data<State>,
    req: HttpRequest,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    state.introspections.fetch_add(1, Ordering::SeqCst);
    let authorization = req.headers().get("authorization").and_then(|v| v.to_str().ok());
    if authorization != Some(EXPECTED_BASIC) {
        return HttpResponse::Unauthorized().insert_header(("WWW-Authenticate", "Basic")).finish();
    }
    if state.gated.load(Ordering::SeqCst) {
        let _permit = state.gate.acquire().await;
    }
    let token = form.get("token").cloned().unwrap_or_default();
    let answer = state.answers.lock().unwrap().get(&token).cloned();
    HttpResponse::Ok().json(answer.unwrap_or_else(|| json!({"active": false})))
}
