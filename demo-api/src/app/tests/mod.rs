//! The RFC 6750 status table and the demo API, in process (`init_service`), with a
//! verifier holding a test key set.

mod demo_api;
mod status_table;
mod verifier_settings;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use serde_json::Value;

/// An initialised test service around the app, with `local_verifier()` by default.
macro_rules! service {
    ($verifier:expr) => {
        actix_web::test::init_service(
            actix_web::App::new().configure($crate::app::configure($crate::app::AppState::new($verifier))),
        )
        .await
    };
    () => {
        service!(resource_server::test_support::local_verifier())
    };
}
use service;

const REALM: &str = "Bearer realm=\"documents-api\"";

#[derive(Debug)]
struct Reply {
    status: StatusCode,
    challenge: Option<String>,
    retry_after: Option<String>,
    content_type: Option<String>,
    body: Value,
    text: String,
}

async fn send<S, R>(app: &S, req: R) -> Reply
where
    S: Service<R, Response = ServiceResponse, Error = actix_web::Error>,
{
    let response = test::call_service(app, req).await;
    let header = |name| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (status, challenge, retry_after, content_type) =
        (response.status(), header(WWW_AUTHENTICATE), header(RETRY_AFTER), header(CONTENT_TYPE));
    let bytes = test::read_body(response).await;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply { status, challenge, retry_after, content_type, body, text }
}

fn get(path: &str, authorization: Option<&str>) -> TestRequest {
    let req = TestRequest::get().uri(path);
    match authorization {
        Some(value) => req.insert_header((AUTHORIZATION, value)),
        None => req,
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn post_document(token: Option<&str>, body: &str) -> TestRequest {
    let mut req = TestRequest::post().uri("/api/documents").insert_header((CONTENT_TYPE, "application/json"));
    if let Some(token) = token {
        req = req.insert_header((AUTHORIZATION, bearer(token)));
    }
    req.set_payload(body.to_owned())
}

fn assert_invalid_token(name: &str, reply: &Reply) {
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{name}: {reply:?}");
    let challenge = reply.challenge.as_deref().unwrap_or_default();
    assert!(
        challenge.starts_with(&format!("{REALM}, error=\"invalid_token\", error_description=\"")),
        "{name}: {challenge}"
    );
    assert_eq!(reply.body["error"], "invalid_token");
    assert!(reply.body["error_description"].is_string());
}
