//! The fake auth server's token endpoint (client credentials only) and a protected
//! resource that accepts the tokens it issued: what the service client's tests talk
//! to. Counters, a chosen lifetime, a chosen failure, a gate that holds token answers,
//! and tokens the resource refuses on demand.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};
use tokio::sync::Semaphore;

/// The realm of the protected resource's challenges.
const REALM: &str = "fake-api";

pub struct FakeTokens {
    expected_basic: &'static str,
    token_requests: AtomicUsize,
    lifetime_secs: AtomicU64,
    /// Answered instead of a token: status and JSON body.
    failure: Mutex<Option<(u16, Value)>>,
    gated: AtomicBool,
    gate: Semaphore,
    /// Every token issued, in order.
    issued: Mutex<Vec<String>>,
    /// The form of the last token request, pairs in order.
    last_form: Mutex<Vec<(String, String)>>,
    /// Tokens the resource refuses as `invalid_token` although issued here.
    refused: Mutex<HashSet<String>>,
    refuse_all: AtomicBool,
    resource_requests: AtomicUsize,
}

impl FakeTokens {
    pub(super) fn new(expected_basic: &'static str) -> Self {
        Self {
            expected_basic,
            token_requests: AtomicUsize::new(0),
            lifetime_secs: AtomicU64::new(300),
            failure: Mutex::default(),
            gated: AtomicBool::new(false),
            gate: Semaphore::new(0),
            issued: Mutex::default(),
            last_form: Mutex::default(),
            refused: Mutex::default(),
            refuse_all: AtomicBool::new(false),
            resource_requests: AtomicUsize::new(0),
        }
    }

    /// `expires_in` of the tokens issued from now on (300 s at first).
    pub fn set_lifetime(&self, seconds: u64) {
        self.lifetime_secs.store(seconds, Ordering::SeqCst);
    }

    /// Answers token requests with `status` and `body` instead; `None` issues again.
    pub fn fail_with(&self, failure: Option<(u16, Value)>) {
        *self.failure.lock().unwrap() = failure;
    }

    /// Holds every token answer until [`Self::open_gate`].
    pub fn close_gate(&self) {
        self.gated.store(true, Ordering::SeqCst);
    }

    pub fn open_gate(&self) {
        self.gated.store(false, Ordering::SeqCst);
        self.gate.add_permits(10_000);
    }

    pub fn token_requests(&self) -> usize {
        self.token_requests.load(Ordering::SeqCst)
    }

    pub fn issued(&self) -> Vec<String> {
        self.issued.lock().unwrap().clone()
    }

    pub fn last_form(&self) -> Vec<(String, String)> {
        self.last_form.lock().unwrap().clone()
    }

    /// The resource refuses `token` as `invalid_token` from now on (a revocation).
    pub fn refuse(&self, token: &str) {
        self.refused.lock().unwrap().insert(token.to_owned());
    }

    /// The resource refuses every token as `invalid_token` (`true`), or none.
    pub fn refuse_all(&self, refuse: bool) {
        self.refuse_all.store(refuse, Ordering::SeqCst);
    }

    pub fn resource_requests(&self) -> usize {
        self.resource_requests.load(Ordering::SeqCst)
    }

    /// Whether the resource accepts `token`.
    fn accepts(&self, token: &str) -> bool {
        !self.refuse_all.load(Ordering::SeqCst)
            && !self.refused.lock().unwrap().contains(token)
            && self.issued.lock().unwrap().iter().any(|issued| issued == token)
    }
}

/// `POST /token`: `client_credentials` with `client_secret_basic` only.
pub(super) async fn token(
    tokens: web::Data<FakeTokens>,
    req: HttpRequest,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    tokens.token_requests.fetch_add(1, Ordering::SeqCst);
    *tokens.last_form.lock().unwrap() = form.0.clone();
    let authorization = req.headers().get("authorization").and_then(|v| v.to_str().ok());
    if authorization != Some(tokens.expected_basic) {
        return HttpResponse::Unauthorized()
            .insert_header(("WWW-Authenticate", "Basic"))
            .json(json!({"error": "invalid_client", "error_description": "client authentication failed"}));
    }
    if !form.iter().any(|(name, value)| name == "grant_type" && value == "client_credentials") {
        return HttpResponse::BadRequest().json(json!({"error": "unsupported_grant_type"}));
    }
    if tokens.gated.load(Ordering::SeqCst) {
        let _permit = tokens.gate.acquire().await;
    }
    if let Some((status, body)) = tokens.failure.lock().unwrap().clone() {
        let status = actix_web::http::StatusCode::from_u16(status).unwrap();
        return HttpResponse::build(status).insert_header(("Cache-Control", "no-store")).json(body);
    }
    let value = {
        let mut issued = tokens.issued.lock().unwrap();
        let value = format!("fake-token-{}", issued.len() + 1);
        issued.push(value.clone());
        value
    };
    HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(json!({
        "access_token": value,
        "token_type": "Bearer",
        "expires_in": tokens.lifetime_secs.load(Ordering::SeqCst),
    }))
}

/// `GET|POST /resource`: 200 with the token's number for a token issued here and not
/// refused, else 401 `invalid_token` (RFC 6750 §3.1).
pub(super) async fn resource(tokens: web::Data<FakeTokens>, req: HttpRequest) -> HttpResponse {
    tokens.resource_requests.fetch_add(1, Ordering::SeqCst);
    match bearer(&req) {
        Some(token) if tokens.accepts(&token) => HttpResponse::Ok().json(json!({"token": token_number(&token)})),
        Some(_) => refusal(401, "invalid_token"),
        None => HttpResponse::Unauthorized()
            .insert_header(("WWW-Authenticate", format!("Bearer realm=\"{REALM}\"")))
            .finish(),
    }
}

/// `GET /forbidden`: 403 `insufficient_scope` for a good token (RFC 6750 §3.1).
pub(super) async fn forbidden(tokens: web::Data<FakeTokens>, req: HttpRequest) -> HttpResponse {
    tokens.resource_requests.fetch_add(1, Ordering::SeqCst);
    match bearer(&req) {
        Some(token) if tokens.accepts(&token) => refusal(403, "insufficient_scope"),
        _ => refusal(401, "invalid_token"),
    }
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get("authorization")?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(str::to_owned)
}

fn token_number(token: &str) -> u64 {
    token.rsplit('-').next().and_then(|n| n.parse().ok()).unwrap_or(0)
}

fn refusal(status: u16, error: &str) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(status).unwrap();
    HttpResponse::build(status)
        .insert_header(("WWW-Authenticate", format!("Bearer realm=\"{REALM}\", error=\"{error}\"")))
        .json(json!({"error": error}))
}
