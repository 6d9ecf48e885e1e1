//! The stubs the route tests run against (an authorization server and a documents
//! API, each a real HTTP server on a free port of 127.0.0.1), and the macros and
//! helpers that drive the portal in-process.

pub(super) use std::collections::HashMap;
pub(super) use std::sync::atomic::Ordering;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex};

use actix_web::dev::ServiceResponse;
pub(super) use actix_web::http::header::{CACHE_CONTROL, COOKIE, LOCATION, SET_COOKIE};
pub(super) use actix_web::middleware::from_fn;
pub(super) use actix_web::{test, web, App};
use actix_web::{HttpRequest, HttpResponse, HttpServer};
use clap::Parser;
pub(super) use futures_util::future::join_all;
pub(super) use oauth2::url::Url;
pub(super) use serde_json::{json, Value};

use crate::routes::api_proxy;
use crate::settings::Settings;

pub(super) const SECRET: &str = "portal-secret";

/// What the stubs saw and how they behave.
#[derive(Default)]
pub(super) struct Stub {
    /// `refresh_token` grants answered.
    pub(super) refreshes: AtomicUsize,
    /// The one access token the API accepts.
    pub(super) valid_access: Mutex<String>,
    /// `expires_in` of the tokens issued.
    pub(super) expires_in: AtomicU64,
    /// Refresh requests are refused with `invalid_grant`.
    pub(super) refuse_refresh: AtomicBool,
    /// Refresh requests fail with 503.
    pub(super) refresh_unavailable: AtomicBool,
    /// `refresh_token` grants received, answered or not.
    pub(super) refresh_attempts: AtomicUsize,
    pub(super) revoked: Mutex<Vec<String>>,
    /// Calls that reached the API.
    pub(super) api_calls: AtomicUsize,
    /// The token endpoint's last client authentication header.
    pub(super) last_authorization: Mutex<String>,
    /// The issuer the metadata names, when not the stub's own URL.
    pub(super) issuer_override: Mutex<Option<String>>,
    /// A public URL the stub stands behind (a gateway's): the metadata's issuer and
    /// the base of every endpoint it announces, instead of the stub's own URL.
    pub(super) public_issuer: Mutex<Option<String>>,
    /// Code verifiers of the codes exchanged: a code is single-use (RFC 6749 §4.1.2).
    pub(super) used_verifiers: Mutex<Vec<String>>,
    /// Path and query of each call to the API other than `/api/me`.
    pub(super) api_paths: Mutex<Vec<String>>,
}

pub(super) struct Stubs {
    pub(super) stub: Arc<Stub>,
    pub(super) auth_url: String,
    pub(super) api_url: String,
}

pub(super) async fn start_stubs(expires_in: u64) -> Stubs {
    let stub = Arc::new(Stub::default());
    stub.expires_in.store(expires_in, Ordering::SeqCst);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let auth_url = format!("http://{}", listener.local_addr().unwrap());
    let (data, issuer) = (web::Data::from(stub.clone()), auth_url.clone());
    let auth = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::Data::new(issuer.clone()))
            .route("/.well-known/oauth-authorization-server", web::get().to(metadata))
            .route("/token", web::post().to(token))
            .route("/revoke", web::post().to(revoke))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(auth);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let api_url = format!("http://{}", listener.local_addr().unwrap());
    let data = web::Data::from(stub.clone());
    let api = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/api/me", web::to(api_me))
            .route("/api/html", web::get().to(api_html))
            .route("/api/huge", web::get().to(api_huge))
            .default_service(web::to(api_other))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(api);
    Stubs { stub, auth_url, api_url }
}

async fn metadata(own_url: web::Data<String>, stub: web::Data<Stub>) -> HttpResponse {
    let public = stub.public_issuer.lock().unwrap().clone();
    let issuer = public.as_deref().unwrap_or(own_url.as_str());
    let named = stub.issuer_override.lock().unwrap().clone().unwrap_or_else(|| issuer.to_owned());
    HttpResponse::Ok().json(json!({
        "issuer": named,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "revocation_endpoint": format!("{issuer}/revoke"),
        "end_session_endpoint": format!("{issuer}/logout"),
        "authorization_response_iss_parameter_supported": true,
    }))
}

fn issue(stub: &Stub, n: usize) -> HttpResponse {
    let access = format!("access-{n}");
    *stub.valid_access.lock().unwrap() = access.clone();
    HttpResponse::Ok().json(json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": stub.expires_in.load(Ordering::SeqCst),
        "refresh_token": format!("refresh-{n}"),
    }))
}

async fn token(req: HttpRequest, form: web::Form<HashMap<String, String>>, stub: web::Data<Stub>) -> HttpResponse {
    let authorization = req.headers().get("authorization").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    *stub.last_authorization.lock().unwrap() = authorization;
    let invalid_grant = || HttpResponse::BadRequest().json(json!({"error": "invalid_grant"}));
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            let pkce = form.get("code_verifier").is_some_and(|v| v.len() >= 43);
            if form.get("code").map(String::as_str) != Some("good-code") || !pkce {
                return invalid_grant();
            }
            let verifier = form.get("code_verifier").cloned().unwrap_or_default();
            let mut used = stub.used_verifiers.lock().unwrap();
            if used.contains(&verifier) {
                return invalid_grant();
            }
            used.push(verifier);
            issue(&stub, 0)
        }
        Some("refresh_token") => {
            stub.refresh_attempts.fetch_add(1, Ordering::SeqCst);
            if stub.refresh_unavailable.load(Ordering::SeqCst) {
                return HttpResponse::ServiceUnavailable().json(json!({"error": "temporarily_unavailable"}));
            }
            if stub.refuse_refresh.load(Ordering::SeqCst) {
                return invalid_grant();
            }
            let n = stub.refreshes.fetch_add(1, Ordering::SeqCst) + 1;
            issue(&stub, n)
        }
        _ => HttpResponse::BadRequest().json(json!({"error": "unsupported_grant_type"})),
    }
}

async fn revoke(form: web::Form<HashMap<String, String>>, stub: web::Data<Stub>) -> HttpResponse {
    stub.revoked.lock().unwrap().push(form.get("token").cloned().unwrap_or_default());
    HttpResponse::Ok().finish()
}

async fn api_me(req: HttpRequest, stub: web::Data<Stub>) -> HttpResponse {
    stub.api_calls.fetch_add(1, Ordering::SeqCst);
    let presented = req.headers().get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    if presented != format!("Bearer {}", stub.valid_access.lock().unwrap()) {
        return HttpResponse::Unauthorized()
            .insert_header(("www-authenticate", "Bearer realm=\"documents-api\", error=\"invalid_token\""))
            .json(json!({"error": "invalid_token"}));
    }
    HttpResponse::Ok().json(json!({"sub": "alice", "client_id": "web-portal", "scope": "documents:read"}))
}

async fn api_html() -> HttpResponse {
    HttpResponse::Created()
        .insert_header(("content-type", "text/html"))
        .insert_header(("location", "/api/documents/7"))
        .insert_header(("etag", "\"v7\""))
        .insert_header(("retry-after", "3"))
        .insert_header(("set-cookie", "api=1"))
        .insert_header(("x-internal", "secret"))
        .body("<script>alert(1)</script>")
}

async fn api_huge() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(vec![b' '; api_proxy::MAX_RESPONSE_BYTES + 1])
}

async fn api_other(req: HttpRequest, stub: web::Data<Stub>) -> HttpResponse {
    stub.api_paths.lock().unwrap().push(req.uri().to_string());
    HttpResponse::Ok().json(json!({"path": req.uri().path()}))
}

pub(super) fn settings(stubs: &Stubs) -> Settings {
    Settings::try_parse_from([
        "web-portal",
        "--public-url",
        "http://localhost:8090",
        "--auth-url",
        &stubs.auth_url,
        "--api-url",
        &stubs.api_url,
        "--client-secret",
        SECRET,
    ])
    .unwrap()
}

/// The portal as `main` builds it (without the request-trace and body-deadline layers).
macro_rules! portal {
    ($stubs:expr) => {{
        portal!($stubs, settings(&$stubs))
    }};
    ($stubs:expr, $settings:expr) => {{
        let settings = $settings;
        let state = web::Data::new(AppState::new(&settings).unwrap());
        test::init_service(
            App::new()
                .wrap(from_fn(crate::csrf::require_header))
                .wrap(security_headers(settings.secure_cookies()))
                .configure(configure(state)),
        )
        .await
    }};
}

/// `name=value` of the response's `Set-Cookie` for `name`.
pub(super) fn cookie_pair<B>(res: &ServiceResponse<B>, name: &str) -> Option<String> {
    res.headers()
        .get_all(SET_COOKIE)
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

pub(super) fn set_cookie<B>(res: &ServiceResponse<B>, name: &str) -> String {
    res.headers()
        .get_all(SET_COOKIE)
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no Set-Cookie {name}"))
}

macro_rules! call {
    ($app:expr, $req:expr) => {
        test::call_service(&$app, $req.to_request()).await
    };
}

/// `/login`: the authorization request and the pre-login cookie.
macro_rules! start_login {
    ($app:expr, $stubs:expr) => {{
        let res = call!($app, test::TestRequest::get().uri("/login"));
        assert_eq!(res.status(), 302);
        let location = Url::parse(res.headers().get(LOCATION).unwrap().to_str().unwrap()).unwrap();
        let login_cookie = cookie_pair(&res, "portal_login").expect("a pre-login cookie");
        (location, login_cookie)
    }};
}

/// Signs in through `/login` and `/callback`; the session cookie pair.
macro_rules! sign_in {
    ($app:expr, $stubs:expr) => {{
        let (location, login_cookie) = start_login!($app, $stubs);
        let state = location.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
        let uri = callback_uri(&[("code", "good-code"), ("state", &state), ("iss", &$stubs.auth_url)]);
        let res = call!($app, test::TestRequest::get().uri(&uri).insert_header((COOKIE, login_cookie)));
        assert_eq!(res.status(), 200);
        cookie_pair(&res, "portal_session").expect("a session cookie")
    }};
}

pub(super) fn callback_uri(params: &[(&str, &str)]) -> String {
    let query: String = form_urlencoded_pairs(params);
    format!("/callback?{query}")
}

fn form_urlencoded_pairs(params: &[(&str, &str)]) -> String {
    let mut url = Url::parse("http://x/").unwrap();
    url.query_pairs_mut().extend_pairs(params);
    url.query().unwrap().to_owned()
}
