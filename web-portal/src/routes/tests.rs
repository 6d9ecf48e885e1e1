//! The portal in-process, against a stub authorization server and a stub documents
//! API, each a real HTTP server on a free port of 127.0.0.1.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::dev::ServiceResponse;
use actix_web::http::header::{CACHE_CONTROL, COOKIE, LOCATION, SET_COOKIE};
use actix_web::middleware::from_fn;
use actix_web::{test, web, App, HttpRequest, HttpResponse, HttpServer};
use clap::Parser;
use futures_util::future::join_all;
use oauth2::url::Url;
use serde_json::{json, Value};

use super::*;
use crate::settings::Settings;

const SECRET: &str = "portal-secret";

/// What the stubs saw and how they behave.
#[derive(Default)]
struct Stub {
    /// `refresh_token` grants answered.
    refreshes: AtomicUsize,
    /// The one access token the API accepts.
    valid_access: Mutex<String>,
    /// `expires_in` of the tokens issued.
    expires_in: AtomicU64,
    /// Refresh requests are refused with `invalid_grant`.
    refuse_refresh: AtomicBool,
    /// Refresh requests fail with 503.
    refresh_unavailable: AtomicBool,
    /// `refresh_token` grants received, answered or not.
    refresh_attempts: AtomicUsize,
    revoked: Mutex<Vec<String>>,
    /// Calls that reached the API.
    api_calls: AtomicUsize,
    /// The token endpoint's last client authentication header.
    last_authorization: Mutex<String>,
    /// The issuer the metadata names, when not the stub's own URL.
    issuer_override: Mutex<Option<String>>,
    /// Code verifiers of the codes exchanged: a code is single-use (RFC 6749 §4.1.2).
    used_verifiers: Mutex<Vec<String>>,
    /// Path and query of each call to the API other than `/api/me`.
    api_paths: Mutex<Vec<String>>,
}

struct Stubs {
    stub: Arc<Stub>,
    auth_url: String,
    api_url: String,
}

async fn start_stubs(expires_in: u64) -> Stubs {
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

async fn metadata(issuer: web::Data<String>, stub: web::Data<Stub>) -> HttpResponse {
    let issuer = issuer.as_str();
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

fn settings(stubs: &Stubs) -> Settings {
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
fn cookie_pair<B>(res: &ServiceResponse<B>, name: &str) -> Option<String> {
    res.headers()
        .get_all(SET_COOKIE)
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

fn set_cookie<B>(res: &ServiceResponse<B>, name: &str) -> String {
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

fn callback_uri(params: &[(&str, &str)]) -> String {
    let query: String = form_urlencoded_pairs(params);
    format!("/callback?{query}")
}

fn form_urlencoded_pairs(params: &[(&str, &str)]) -> String {
    let mut url = Url::parse("http://x/").unwrap();
    url.query_pairs_mut().extend_pairs(params);
    url.query().unwrap().to_owned()
}

#[actix_web::test]
async fn the_page_has_security_headers_and_no_inline_script() {
    let stubs = start_stubs(3600).await;
    let app = portal!(stubs);
    let res = call!(app, test::TestRequest::get().uri("/"));
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers().get(CACHE_CONTROL).unwrap(), "no-store");
    let csp = res.headers().get("content-security-policy").unwrap().to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(res.headers().get("x-frame-options").unwrap(), "DENY");
    let body = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
    for script in body.match_indices("<script").map(|(at, _)| &body[at..]) {
        let tag = &script[..script.find('>').unwrap()];
        assert!(tag.contains("src=\"/static/"), "only external scripts: {tag}");
    }
    assert!(!body.contains(" on"), "no inline event handlers");
    let res = call!(app, test::TestRequest::get().uri("/static/app.js"));
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("content-type").unwrap().to_str().unwrap().starts_with("text/javascript"));
}

#[actix_web::test]
async fn login_sends_an_s256_authorization_request_with_state() {
    let stubs = start_stubs(3600).await;
    let app = portal!(stubs);
    let res = call!(app, test::TestRequest::get().uri("/login"));
    assert_eq!(res.status(), 302);
    assert!(set_cookie(&res, "portal_login").contains("HttpOnly; SameSite=Lax"));
    let location = Url::parse(res.headers().get(LOCATION).unwrap().to_str().unwrap()).unwrap();
    assert_eq!(location.as_str().split('?').next().unwrap(), format!("{}/authorize", stubs.auth_url));
    let params: HashMap<String, String> = location.query_pairs().into_owned().collect();
    assert_eq!(params["response_type"], "code");
    assert_eq!(params["client_id"], "web-portal");
    assert_eq!(params["redirect_uri"], "http://localhost:8090/callback");
    assert_eq!(params["code_challenge_method"], "S256");
    assert_eq!(params["code_challenge"].len(), 43);
    assert_eq!(params["scope"], "documents:read documents:write");
    assert!(params["state"].len() >= 16);
}

#[actix_web::test]
async fn sign_in_keeps_the_tokens_on_the_server() {
    let stubs = start_stubs(3600).await;
    let app = portal!(stubs);
    let (location, login_cookie) = start_login!(app, stubs);
    let state = location.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    let uri = callback_uri(&[("code", "good-code"), ("state", &state), ("iss", &stubs.auth_url)]);
    let res = call!(app, test::TestRequest::get().uri(&uri).insert_header((COOKIE, login_cookie.clone())));
    assert_eq!(res.status(), 200);
    let session = set_cookie(&res, "portal_session");
    assert!(session.ends_with("; Path=/; HttpOnly; SameSite=Strict"), "{session}");
    assert!(set_cookie(&res, "portal_login").contains("Max-Age=0"), "the pre-login cookie is cleared");
    let body = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
    assert!(body.contains("http-equiv=\"refresh\" content=\"0;url=/\""), "{body}");
    assert!(!body.contains("access-") && !body.contains("refresh-"), "no token in the page: {body}");
    let basic = stubs.stub.last_authorization.lock().unwrap().clone();
    assert!(basic.starts_with("Basic "), "client_secret_basic: {basic}");

    // Replaying the response with the pre-login cookie presents a used code, which
    // the authorization server refuses.
    let res = call!(app, test::TestRequest::get().uri(&uri).insert_header((COOKIE, login_cookie)));
    assert_eq!(res.status(), 400);
    assert_eq!(cookie_pair(&res, "portal_session"), None);

    let cookie = session.split(';').next().unwrap().to_owned();
    let res = call!(app, test::TestRequest::get().uri("/api/me").insert_header((COOKIE, cookie)));
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers().get(CACHE_CONTROL).unwrap(), "no-store");
    let me: Value = test::read_body_json(res).await;
    assert_eq!(me["sub"], "alice");
}

/// The callback's query for a given `state` and `iss`.
type CallbackParams = fn(&str, &str) -> Vec<(String, String)>;

#[actix_web::test]
async fn the_callback_refuses_a_foreign_response() {
    let stubs = start_stubs(3600).await;
    let app = portal!(stubs);
    let cases: [(&str, CallbackParams); 4] = [
        ("wrong state", |_, iss| {
            vec![("code".into(), "good-code".into()), ("state".into(), "x".repeat(43)), ("iss".into(), iss.into())]
        }),
        ("no state", |_, iss| vec![("code".into(), "good-code".into()), ("iss".into(), iss.into())]),
        ("wrong iss", |state, _| {
            vec![
                ("code".into(), "good-code".into()),
                ("state".into(), state.into()),
                ("iss".into(), "http://evil.example".into()),
            ]
        }),
        ("no iss although announced", |state, _| {
            vec![("code".into(), "good-code".into()), ("state".into(), state.into())]
        }),
    ];
    for (case, params) in cases {
        let (location, login_cookie) = start_login!(app, stubs);
        let state = location.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
        let params = params(&state, &stubs.auth_url);
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let res = call!(app, test::TestRequest::get().uri(&callback_uri(&pairs)).insert_header((COOKIE, login_cookie)));
        assert_eq!(res.status(), 400, "{case}");
        assert_eq!(cookie_pair(&res, "portal_session"), None, "{case}");
    }
    // Without the pre-login cookie nothing is exchanged.
    let res = call!(app, test::TestRequest::get().uri(&callback_uri(&[("code", "good-code"), ("state", "s")])));
    assert_eq!(res.status(), 400);
    assert_eq!(*stubs.stub.valid_access.lock().unwrap(), "", "no code was exchanged");
}

#[actix_web::test]
async fn without_a_session_the_api_answers_401() {
    let stubs = start_stubs(3600).await;
    let app = portal!(stubs);
    for cookie in [None, Some("portal_session=unknown")] {
        let mut req = test::TestRequest::get().uri("/api/me");
        if let Some(cookie) = cookie {
            req = req.insert_header((COOKIE, cookie));
        }
        let res = call!(app, req);
        assert_eq!(res.status(), 401, "{cookie:?}");
        let body: Value = test::read_body_json(res).await;
        assert_eq!(body["error"], "login_required");
    }
    assert_eq!(stubs.stub.api_calls.load(Ordering::SeqCst), 0);
}

#[actix_web::test]
async fn state_changing_calls_need_the_csrf_header() {
    let stubs = start_stubs(3600).await;
    let app = portal!(stubs);
    let cookie = sign_in!(app, stubs);
    for (method, uri) in [("POST", "/api/me"), ("DELETE", "/api/me"), ("POST", "/logout")] {
        let req = test::TestRequest::default()
            .method(actix_web::http::Method::from_bytes(method.as_bytes()).unwrap())
            .uri(uri)
            .insert_header((COOKIE, cookie.clone()));
        let res = call!(app, req);
        assert_eq!(res.status(), 403, "{method} {uri}");
    }
    assert_eq!(stubs.stub.api_calls.load(Ordering::SeqCst), 0, "nothing reached the API");
    let res = call!(app, test::TestRequest::get().uri("/api/me").insert_header((COOKIE, cookie)));
    assert_eq!(res.status(), 200, "the session survived");
}

/// Several requests at once on one session, each finding `access-0` refused, cause
/// exactly one refresh; all of them then succeed with its token.
#[actix_web::test]
async fn a_rejected_token_is_refreshed_once_for_concurrent_requests() {
    let stubs = start_stubs(3600).await;
    let app = portal!(stubs);
    let cookie = sign_in!(app, stubs);
    *stubs.stub.valid_access.lock().unwrap() = "revoked-elsewhere".into();
    let stub = stubs.stub.clone();
    // Only a refresh makes `access-1` valid: the stub issues it as the one accepted.
    let calls = (0..8).map(|_| {
        test::call_service(
            &app,
            test::TestRequest::get().uri("/api/me").insert_header((COOKIE, cookie.clone())).to_request(),
        )
    });
    let responses = join_all(calls).await;
    for res in responses {
        assert_eq!(res.status(), 200);
    }
    assert_eq!(stub.refreshes.load(Ordering::SeqCst), 1, "one refresh for the session");
}

/// Tokens that expire at once are refreshed before use, once for concurrent requests.
#[actix_web::test]
async fn an_expiring_token_is_refreshed_once_before_use() {
    let stubs = start_stubs(0).await;
    let app = portal!(stubs);
    let cookie = sign_in!(app, stubs);
    // From now on tokens live an hour: one refresh serves every request.
    stubs.stub.expires_in.store(3600, Ordering::SeqCst);
    let calls = (0..8).map(|_| {
        test::call_service(
            &app,
            test::TestRequest::get().uri("/api/me").insert_header((COOKIE, cookie.clone())).to_request(),
        )
    });
    for res in join_all(calls).await {
        assert_eq!(res.status(), 200);
    }
    assert_eq!(stubs.stub.refreshes.load(Ordering::SeqCst), 1);
    assert_eq!(stubs.stub.api_calls.load(Ordering::SeqCst), 8, "no request needed a retry");
}

#[actix_web::test]
async fn a_refused_refresh_ends_the_session() {
    let stubs = start_stubs(3600).await;
    let app = portal!(stubs);
    let cookie = sign_in!(app, stubs);
    *stubs.stub.valid_access.lock().unwrap() = "revoked-elsewhere".into();
    stubs.stub.refuse_refresh.store(true, Ordering::SeqCst);
    let res = call!(app, test::TestRequest::get().uri("/api/me").insert_header((COOKIE, cookie.clone())));
    assert_eq!(res.status(), 401);
    assert!(set_cookie(&res, "portal_session").contains("Max-Age=0"));
    let calls = stubs.stub.api_calls.load(Ordering::SeqCst);
    let res = call!(app, test::TestRequest::get().uri("/api/me").insert_header((COOKIE, cookie)));
    assert_eq!(res.status(), 401);
    assert_eq!(stubs.stub.api_calls.load(Ordering::SeqCst), calls, "a forgotten session calls nothing");
}

#[actix_web::test]
async fn sign_out_revokes_forgets_and_ends_the_login_session() {
    let stubs = start_stubs(3600).await;
    let app = portal!(stubs);
    let cookie = sign_in!(app, stubs);
    let req = test::TestRequest::post()
        .uri("/logout")
        .insert_header((COOKIE, cookie.clone()))
        .insert_header(("x-requested-with", "fetch"));
    let res = call!(app, req);
    assert_eq!(res.status(), 200);
    assert!(set_cookie(&res, "portal_session").contains("Max-Age=0"));
    let body: Value = test::read_body_json(res).await;
    let redirect = Url::parse(body["redirect"].as_str().unwrap()).unwrap();
    assert_eq!(redirect.as_str().split('?').next().unwrap(), format!("{}/logout", stubs.auth_url));
    let params: HashMap<String, String> = redirect.query_pairs().into_owned().collect();
    assert_eq!(params["client_id"], "web-portal");
    assert_eq!(params["post_logout_redirect_uri"], "http://localhost:8090/");
    assert_eq!(*stubs.stub.revoked.lock().unwrap(), ["refresh-0"]);
    let res = call!(app, test::TestRequest::get().uri("/api/me").insert_header((COOKIE, cookie)));
    assert_eq!(res.status(), 401);
}

#[actix_web::test]
async fn html_is_escaped() {
    assert_eq!(escape_html("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

#[actix_web::test]
async fn bodies_up_to_the_api_s_largest_document_are_forwarded() {
    let stubs = start_stubs(3600).await;
    let app = portal!(stubs);
    let cookie = sign_in!(app, stubs);
    let post = |size: usize| {
        test::TestRequest::post()
            .uri("/api/me")
            .insert_header((COOKIE, cookie.clone()))
            .insert_header(("x-requested-with", "fetch"))
            .insert_header(("content-type", "application/json"))
            .set_payload(vec![b' '; size])
    };
    let res = call!(app, post(400 * 1024));
    assert_eq!(res.status(), 200, "forwarded");
    let calls = stubs.stub.api_calls.load(Ordering::SeqCst);
    let res = call!(app, post(api_proxy::MAX_BODY_BYTES + 1));
    assert_eq!(res.status(), 413);
    assert_eq!(stubs.stub.api_calls.load(Ordering::SeqCst), calls, "not forwarded");
}

#[actix_web::test]
async fn paths_that_would_leave_the_api_tree_are_refused() {
    let stubs = start_stubs(3600).await;
    let app = portal!(stubs);
    let cookie = sign_in!(app, stubs);
    for uri in [
        "/api/../admin",
        "/api/%2e%2e/admin",
        "/api/..%5Cadmin",
        "/api/docs%3Fa=b",
        "/api/docs%23",
        "/api/docs/%2E",
        "/api/a%2Fb",
        "/api/a%0Ab",
    ] {
        let res = call!(app, test::TestRequest::get().uri(uri).insert_header((COOKIE, cookie.clone())));
        assert_eq!(res.status(), 400, "{uri}");
    }
    assert_eq!(*stubs.stub.api_paths.lock().unwrap(), Vec::<String>::new(), "nothing reached the API");

    // Ordinary paths and queries arrive as they were sent.
    for uri in ["/api/documents/a%20b?q=x%26y&n=1", "/api/documents/"] {
        let res = call!(app, test::TestRequest::get().uri(uri).insert_header((COOKIE, cookie.clone())));
        assert_eq!(res.status(), 200, "{uri}");
    }
    assert_eq!(*stubs.stub.api_paths.lock().unwrap(), ["/api/documents/a%20b?q=x%26y&n=1", "/api/documents/"]);
}

#[actix_web::test]
async fn only_the_api_s_methods_are_forwarded() {
    let stubs = start_stubs(3600).await;
    let app = portal!(stubs);
    let cookie = sign_in!(app, stubs);
    for method in ["TRACE", "OPTIONS", "CONNECT", "PROPFIND"] {
        let req = test::TestRequest::default()
            .method(actix_web::http::Method::from_bytes(method.as_bytes()).unwrap())
            .uri("/api/documents")
            .insert_header((COOKIE, cookie.clone()))
            .insert_header(("x-requested-with", "fetch"));
        let res = call!(app, req);
        assert_eq!(res.status(), 405, "{method}");
    }
    // TRACE is not let through without the CSRF header either.
    let req = test::TestRequest::default()
        .method(actix_web::http::Method::TRACE)
        .uri("/api/documents")
        .insert_header((COOKIE, cookie.clone()));
    assert_eq!(call!(app, req).status(), 403);
    assert_eq!(*stubs.stub.api_paths.lock().unwrap(), Vec::<String>::new(), "nothing reached the API");
    for method in ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] {
        let req = test::TestRequest::default()
            .method(actix_web::http::Method::from_bytes(method.as_bytes()).unwrap())
            .uri("/api/documents")
            .insert_header((COOKIE, cookie.clone()))
            .insert_header(("x-requested-with", "fetch"));
        assert_eq!(call!(app, req).status(), 200, "{method}");
    }
}

/// Eight requests at once on a session whose token must be refreshed first, while the
/// authorization server cannot refresh: one attempt, and every request gets its answer.
#[actix_web::test]
async fn a_failing_refresh_is_tried_once_for_concurrent_requests() {
    for (case, unavailable, status) in [("unavailable", true, 503), ("invalid_grant", false, 401)] {
        let stubs = start_stubs(0).await;
        let app = portal!(stubs);
        let cookie = sign_in!(app, stubs);
        if unavailable {
            stubs.stub.refresh_unavailable.store(true, Ordering::SeqCst);
        } else {
            stubs.stub.refuse_refresh.store(true, Ordering::SeqCst);
        }
        let calls = (0..8).map(|_| {
            test::call_service(
                &app,
                test::TestRequest::get().uri("/api/me").insert_header((COOKIE, cookie.clone())).to_request(),
            )
        });
        for res in join_all(calls).await {
            assert_eq!(res.status(), status, "{case}");
        }
        assert_eq!(stubs.stub.refresh_attempts.load(Ordering::SeqCst), 1, "{case}: one refresh attempt");
        assert_eq!(stubs.stub.api_calls.load(Ordering::SeqCst), 0, "{case}");
    }
}

#[actix_web::test]
async fn metadata_naming_another_issuer_is_refused() {
    let stubs = start_stubs(3600).await;
    *stubs.stub.issuer_override.lock().unwrap() = Some("http://evil.example".into());
    let app = portal!(stubs);
    let res = call!(app, test::TestRequest::get().uri("/login"));
    assert_eq!(res.status(), 503, "no sign-in against a foreign issuer's metadata");
    assert_eq!(res.headers().get(LOCATION), None);
    *stubs.stub.issuer_override.lock().unwrap() = None;
    let res = call!(app, test::TestRequest::get().uri("/login"));
    assert_eq!(res.status(), 302, "discovery is retried");
}

#[actix_web::test]
async fn an_error_response_from_another_issuer_is_refused_as_such() {
    let stubs = start_stubs(3600).await;
    let app = portal!(stubs);
    for (iss, expected) in [("http://evil.example", "unexpected server"), ("", "(access_denied)")] {
        let (location, login_cookie) = start_login!(app, stubs);
        let state = location.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
        let iss = if iss.is_empty() { stubs.auth_url.as_str() } else { iss };
        let uri = callback_uri(&[("error", "access_denied"), ("state", &state), ("iss", iss)]);
        let res = call!(app, test::TestRequest::get().uri(&uri).insert_header((COOKIE, login_cookie)));
        assert_eq!(res.status(), 400);
        let body = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
        assert!(body.contains(expected), "{iss}: {body}");
    }
}

#[actix_web::test]
async fn signing_in_again_replaces_and_revokes_the_old_session() {
    let stubs = start_stubs(3600).await;
    let app = portal!(stubs);
    let old_cookie = sign_in!(app, stubs);
    let (location, login_cookie) = start_login!(app, stubs);
    let state = location.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    let uri = callback_uri(&[("code", "good-code"), ("state", &state), ("iss", &stubs.auth_url)]);
    let both = format!("{login_cookie}; {old_cookie}");
    let res = call!(app, test::TestRequest::get().uri(&uri).insert_header((COOKIE, both)));
    assert_eq!(res.status(), 200);
    let new_cookie = cookie_pair(&res, "portal_session").unwrap();
    assert_ne!(new_cookie, old_cookie);
    assert_eq!(*stubs.stub.revoked.lock().unwrap(), ["refresh-0"], "the old session's refresh token");
    let res = call!(app, test::TestRequest::get().uri("/api/me").insert_header((COOKIE, old_cookie)));
    assert_eq!(res.status(), 401, "the old session is gone");
    let res = call!(app, test::TestRequest::get().uri("/api/me").insert_header((COOKIE, new_cookie)));
    assert_eq!(res.status(), 200);
}

#[actix_web::test]
async fn a_refused_code_is_a_bad_request() {
    let stubs = start_stubs(3600).await;
    let app = portal!(stubs);
    let (location, login_cookie) = start_login!(app, stubs);
    let state = location.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    let uri = callback_uri(&[("code", "used-code"), ("state", &state), ("iss", &stubs.auth_url)]);
    let res = call!(app, test::TestRequest::get().uri(&uri).insert_header((COOKIE, login_cookie)));
    assert_eq!(res.status(), 400);
    assert_eq!(cookie_pair(&res, "portal_session"), None);
}

#[actix_web::test]
async fn api_answers_are_passed_on_inert_and_bounded() {
    let stubs = start_stubs(3600).await;
    let app = portal!(stubs);
    let cookie = sign_in!(app, stubs);
    let res = call!(app, test::TestRequest::get().uri("/api/html").insert_header((COOKIE, cookie.clone())));
    assert_eq!(res.status(), 201);
    let header = |name: &str| res.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(header("content-type").as_deref(), Some("application/octet-stream"), "HTML is not served as HTML");
    assert_eq!(header("content-security-policy").as_deref(), Some("sandbox"));
    assert_eq!(header("cross-origin-resource-policy").as_deref(), Some("same-origin"));
    assert_eq!(header("location").as_deref(), Some("/api/documents/7"));
    assert_eq!(header("etag").as_deref(), Some("\"v7\""));
    assert_eq!(header("retry-after").as_deref(), Some("3"));
    assert_eq!(header("x-internal"), None);
    assert_eq!(cookie_pair(&res, "api"), None, "the API's cookies stay behind");

    let res = call!(app, test::TestRequest::get().uri("/api/me").insert_header((COOKIE, cookie.clone())));
    assert_eq!(res.headers().get("content-type").unwrap(), "application/json");

    let res = call!(app, test::TestRequest::get().uri("/api/huge").insert_header((COOKIE, cookie)));
    assert_eq!(res.status(), 502, "an oversized answer is not passed on");
}

#[actix_web::test]
async fn readiness_names_no_internal_address() {
    let mut stubs = start_stubs(3600).await;
    // Nothing listens here.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    stubs.auth_url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let app = portal!(stubs);
    let res = call!(app, test::TestRequest::get().uri("/readyz"));
    assert_eq!(res.status(), 503);
    let body = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
    assert_eq!(body, r#"{"status":"not ready"}"#);
}

#[actix_web::test]
async fn https_adds_strict_transport_security() {
    let stubs = start_stubs(3600).await;
    let app = portal!(stubs);
    let res = call!(app, test::TestRequest::get().uri("/"));
    assert_eq!(res.headers().get("strict-transport-security"), None, "not over plain http");
    let mut https = settings(&stubs);
    https.public_url = "https://portal.example".into();
    let app = portal!(stubs, https);
    let res = call!(app, test::TestRequest::get().uri("/"));
    assert_eq!(res.headers().get("strict-transport-security").unwrap(), "max-age=31536000");
}

/// `/login` needs no session, so anyone may call it at will: that costs the server
/// nothing and does not push out a sign-in under way.
#[actix_web::test]
async fn a_flood_of_logins_leaves_a_sign_in_under_way_intact() {
    let stubs = start_stubs(3600).await;
    let app = portal!(stubs);
    let (location, login_cookie) = start_login!(app, stubs);
    for _ in 0..10_001 {
        let res = call!(app, test::TestRequest::get().uri("/login"));
        assert_eq!(res.status(), 302);
    }
    let state = location.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    let uri = callback_uri(&[("code", "good-code"), ("state", &state), ("iss", &stubs.auth_url)]);
    let res = call!(app, test::TestRequest::get().uri(&uri).insert_header((COOKIE, login_cookie.clone())));
    assert_eq!(res.status(), 200);
    assert!(cookie_pair(&res, "portal_session").is_some());

    // A pre-login cookie altered by one character opens nothing.
    let (location, login_cookie) = start_login!(app, stubs);
    let state = location.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    let (name, value) = login_cookie.split_once('=').unwrap();
    let last = if value.ends_with('A') { 'B' } else { 'A' };
    let tampered = format!("{name}={}{last}", &value[..value.len() - 1]);
    let uri = callback_uri(&[("code", "good-code"), ("state", &state), ("iss", &stubs.auth_url)]);
    let res = call!(app, test::TestRequest::get().uri(&uri).insert_header((COOKIE, tampered)));
    assert_eq!(res.status(), 400);
    assert_eq!(cookie_pair(&res, "portal_session"), None);
}
