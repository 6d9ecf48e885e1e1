//! The demo API: documents per owner, input validation, ops endpoints, the binary's
//! application factory.

use actix_web::http::header::{AUTHORIZATION, CONTENT_TYPE};
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use serde_json::json;
use shared_claims::unix_now;

use super::{bearer, get, post_document, send, service};
use crate::app::{
    configure, configure_ops, configured_documents, AppState, Application, DocumentStore, StartupError, StoreLimits,
};
use crate::settings::Settings;
use resource_server::test_support::{claims, claims_for, exposition, key_set, TestKey, AUDIENCE, ISSUER};
use resource_server::verify::Verifier;

#[actix_web::test]
async fn documents_are_stored_per_owner() {
    let app = service!();
    let alice = TestKey::shared().access_token(&claims_for("alice", "documents:read documents:write"));
    let bob = TestKey::shared().access_token(&claims_for("bob", "documents:read documents:write"));

    let before = unix_now();
    let reply = send(&app, post_document(Some(&alice), r#"{"title":"Plan","content":"Ship it."}"#).to_request()).await;
    let after = unix_now();
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let created = reply.body;
    assert_eq!((created["owner"].as_str(), created["title"].as_str()), (Some("alice"), Some("Plan")));
    assert_eq!(created["content"], "Ship it.");
    assert!(created["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert!(created["created_at"].as_i64().is_some_and(|t| before <= t && t <= after));

    let listed = send(&app, get("/api/documents", Some(&bearer(&alice))).to_request()).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body, json!({"documents": [created]}));
    let bobs = send(&app, get("/api/documents", Some(&bearer(&bob))).to_request()).await;
    assert_eq!(bobs.body, json!({"documents": []}));
}

#[actix_web::test]
async fn document_input_is_validated_with_clear_400s() {
    let app = service!();
    let token = TestKey::shared().access_token(&claims());
    let long_title = json!({"title": "t".repeat(201), "content": ""}).to_string();
    let big_content = json!({"title": "t", "content": "c".repeat(64 * 1024 + 1)}).to_string();
    let cases = [
        ("not json", "{".to_owned()),
        ("array", "[]".to_owned()),
        ("missing content", r#"{"title":"t"}"#.to_owned()),
        ("wrong type", r#"{"title":1,"content":"c"}"#.to_owned()),
        ("unknown field", r#"{"title":"t","content":"c","owner":"bob"}"#.to_owned()),
        ("empty title", r#"{"title":"  ","content":"c"}"#.to_owned()),
        ("control character", r#"{"title":"a\nb","content":"c"}"#.to_owned()),
        ("long title", long_title),
        ("big content", big_content),
    ];
    for (name, body) in cases {
        let reply = send(&app, post_document(Some(&token), &body).to_request()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{name}: {}", reply.text);
        assert_eq!(reply.body["error"], "invalid_request", "{name}");
        assert!(reply.body["error_description"].is_string(), "{name}");
    }
    let max_title = json!({"title": "é".repeat(200), "content": "c".repeat(64 * 1024)}).to_string();
    assert_eq!(send(&app, post_document(Some(&token), &max_title).to_request()).await.status, StatusCode::CREATED);

    let huge = "x".repeat(1024 * 1024);
    assert_eq!(send(&app, post_document(Some(&token), &huge).to_request()).await.status, StatusCode::PAYLOAD_TOO_LARGE);
    let text = TestRequest::post()
        .uri("/api/documents")
        .insert_header((AUTHORIZATION, bearer(&token)))
        .insert_header((CONTENT_TYPE, "text/plain"))
        .set_payload("hi")
        .to_request();
    assert_eq!(send(&app, text).await.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[actix_web::test]
async fn authentication_is_judged_before_the_body() {
    let app = service!();
    let reply = send(&app, post_document(None, "{").to_request()).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let reply = send(&app, post_document(Some("bad"), &"x".repeat(1024 * 1024)).to_request()).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn ops_endpoints_answer() {
    let verifier = Verifier::builder(AUDIENCE).local_with_keys(ISSUER, key_set(&[TestKey::shared()]));
    let state = AppState::new(verifier);
    let app = actix_web::test::init_service(actix_web::App::new().configure(configure(state.clone()))).await;
    let ops = actix_web::test::init_service(actix_web::App::new().configure(configure_ops(state))).await;
    for path in ["/healthz", "/readyz"] {
        assert_eq!(send(&app, get(path, None).to_request()).await.status, StatusCode::OK, "public {path}");
        assert_eq!(send(&ops, get(path, None).to_request()).await.status, StatusCode::OK, "ops {path}");
    }
    let public_metrics = send(&app, get("/metrics", None).to_request()).await;
    assert_eq!(public_metrics.status, StatusCode::NOT_FOUND, "no counters on the public port");
    send(&app, get("/api/me", None).to_request()).await;
    let token = TestKey::shared().access_token(&claims());
    send(&app, get("/api/me", Some(&bearer(&token))).to_request()).await;
    let metrics = send(&ops, get("/metrics", None).to_request()).await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(metrics.content_type.unwrap_or_default().starts_with("application/openmetrics-text; version=1.0.0"));
    let samples = exposition::check(&metrics.text).unwrap_or_else(|why| panic!("{why}\n{}", metrics.text));
    assert!(samples.iter().any(|sample| sample.name == "rs_ready" && sample.value == 1.0), "{}", metrics.text);
    assert!(metrics.text.contains("rs_ready 1\n"));
    assert!(metrics.text.contains("rs_tokens_accepted_total 1\n"), "{}", metrics.text);
    assert!(metrics.text.contains("rs_tokens_refused_total{reason=\"missing_token\"} 1\n"));
    let missing = send(&app, get("/nope", None).to_request()).await;
    assert_eq!((missing.status, missing.body["error"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
}

#[actix_web::test]
async fn the_application_binds_port_zero_and_serves() {
    let verifier = Verifier::builder(AUDIENCE).local_with_keys(ISSUER, key_set(&[TestKey::shared()]));
    let app = Application::with_verifier("127.0.0.1:0", "127.0.0.1:0", verifier).unwrap();
    let (address, ops) = (app.local_addr(), app.ops_addr());
    assert_ne!(address.port(), 0);
    assert_ne!(ops.port(), 0);
    let server = actix_web::rt::spawn(app.run());
    let response = reqwest::get(format!("http://{address}/healthz")).await.unwrap();
    assert_eq!(response.status(), 200);
    let response = reqwest::get(format!("http://{ops}/metrics")).await.unwrap();
    assert_eq!(response.status(), 200);
    server.abort();
}

/// S4: a user's documents and a client's own (a `client_credentials` token: no `sid`,
/// `sub` = the client id) are kept apart even when the `sub` is the same.
#[actix_web::test]
async fn a_client_named_like_a_user_does_not_share_its_documents() {
    let app = service!();
    let user = TestKey::shared().access_token(&claims_for("alice", "documents:read documents:write"));
    let mut client_claims = claims_for("alice", "documents:read documents:write");
    client_claims.as_object_mut().unwrap().remove("sid");
    client_claims["client_id"] = "alice".into();
    let client = TestKey::shared().access_token(&client_claims);

    let created = send(&app, post_document(Some(&user), r#"{"title":"mine","content":"secret"}"#).to_request()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["owner"], "alice");
    let seen_by_client = send(&app, get("/api/documents", Some(&bearer(&client))).to_request()).await;
    assert_eq!(seen_by_client.body, json!({"documents": []}), "the client sees none of the user's documents");

    let by_client = send(&app, post_document(Some(&client), r#"{"title":"ours","content":"c"}"#).to_request()).await;
    assert_eq!(by_client.status, StatusCode::CREATED);
    assert_eq!(by_client.body["owner"], "alice", "the API still shows the sub");
    let seen_by_user = send(&app, get("/api/documents", Some(&bearer(&user))).to_request()).await;
    assert_eq!(seen_by_user.body, json!({"documents": [created.body]}));
}

fn service_state(limits: StoreLimits) -> AppState {
    let mut state = AppState::new(resource_server::test_support::local_verifier());
    state.documents = actix_web::web::Data::new(DocumentStore::with_limits(limits));
    state
}

/// S3: past the byte budget of an owner, 409 `limit_reached`; past the number of
/// owners, 507 `insufficient_storage`; both with a JSON error.
#[actix_web::test]
async fn store_limits_answer_with_clear_errors() {
    let limits = StoreLimits { max_bytes_per_owner: 100, max_owners: 1, ..StoreLimits::default() };
    let app = actix_web::test::init_service(actix_web::App::new().configure(configure(service_state(limits)))).await;
    let alice = TestKey::shared().access_token(&claims_for("alice", "documents:read documents:write"));
    let bob = TestKey::shared().access_token(&claims_for("bob", "documents:read documents:write"));
    let body = |content: usize| json!({"title": "t", "content": "c".repeat(content)}).to_string();

    assert_eq!(send(&app, post_document(Some(&alice), &body(90)).to_request()).await.status, StatusCode::CREATED);
    let over = send(&app, post_document(Some(&alice), &body(10)).to_request()).await;
    assert_eq!(over.status, StatusCode::CONFLICT, "{}", over.text);
    assert_eq!(over.body["error"], "limit_reached");
    assert!(over.body["error_description"].as_str().is_some_and(|d| d.contains("100 bytes")), "{}", over.text);
    assert_eq!(send(&app, post_document(Some(&alice), &body(8)).to_request()).await.status, StatusCode::CREATED); // 100 bytes

    let full = send(&app, post_document(Some(&bob), &body(1)).to_request()).await;
    assert_eq!(full.status, StatusCode::INSUFFICIENT_STORAGE, "{}", full.text);
    assert_eq!(full.body["error"], "insufficient_storage");
    assert!(full.body["error_description"].is_string());
    let listed = send(&app, get("/api/documents", Some(&bearer(&alice))).to_request()).await;
    assert_eq!(listed.body["documents"].as_array().map(Vec::len), Some(2));
}

/// A document store that does not answer (Redis unreachable): 503
/// `temporarily_unavailable` with `Retry-After` and the API's JSON error, on both
/// routes.
#[actix_web::test]
async fn an_unavailable_store_answers_503_with_retry_after() {
    // Connections complete (the kernel's backlog) but nothing is ever answered.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("redis://{}", silent.local_addr().unwrap());
    let mut state = AppState::new(resource_server::test_support::local_verifier());
    state.documents = actix_web::web::Data::new(DocumentStore::redis(&url, StoreLimits::default()).unwrap());
    let app = actix_web::test::init_service(actix_web::App::new().configure(configure(state))).await;
    let alice = TestKey::shared().access_token(&claims_for("alice", "documents:read documents:write"));

    let requests = [
        ("GET", get("/api/documents", Some(&bearer(&alice)))),
        ("POST", post_document(Some(&alice), r#"{"title":"t","content":"c"}"#)),
    ];
    for (method, request) in requests {
        let reply = send(&app, request.to_request()).await;
        assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{method}: {}", reply.text);
        assert_eq!(reply.retry_after.as_deref(), Some("1"), "{method}");
        assert_eq!(reply.body["error"], "temporarily_unavailable", "{method}");
        assert!(reply.body["error_description"].is_string(), "{method}");
        assert!(!reply.text.contains(&url), "{method}: the store's address is not told");
    }
}

#[test]
fn rs_documents_redis_url_chooses_the_store() {
    let settings = |args: &[&str]| {
        let base = ["resource-server", "--client-id", "documents-api", "--client-secret", "s"];
        <Settings as clap::Parser>::try_parse_from(base.iter().chain(args)).unwrap()
    };
    let store = |args: &[&str]| configured_documents(&settings(args));
    assert!(matches!(store(&[]), Ok(DocumentStore::Memory(_))), "unset: in memory");
    assert!(matches!(store(&["--documents-redis-url", ""]), Ok(DocumentStore::Memory(_))), "empty: unset");
    let redis = store(&["--documents-redis-url", "redis://127.0.0.1:1/2"]);
    assert!(matches!(redis, Ok(DocumentStore::Redis(_))), "{redis:?}");

    let err = store(&["--documents-redis-url", "redis://:hunter2@127.0.0.1:notaport"]).unwrap_err();
    assert!(matches!(err, StartupError::Documents(_)), "{err:?}");
    let message = err.to_string();
    assert!(message.starts_with("RS_DOCUMENTS_REDIS_URL: "), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
}
