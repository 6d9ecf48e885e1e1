//! The checked-in document matches the code, every route is in it, and it is served.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use actix_web::test::TestRequest;
use actix_web::{test as actix_test, web, App};
use utoipa::OpenApi;

use super::{document_json, ApiDoc};
use crate::http::metrics::Metrics;
use crate::http::{configure_ops, AppState};
use crate::test_support::TestServer;

fn checked_in_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json")
}

#[test]
fn checked_in_document_matches_the_code() {
    let generated = document_json();
    let path = checked_in_path();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "docs/openapi.json differs from the document the code generates; regenerate it with\n\
         \tUPDATE_OPENAPI=1 cargo test -p auth-server --lib openapi\nand commit the result"
    );
}

/// `(METHOD, path)` of every route registered in a `configure` function's source:
/// each `web::resource(..)` with the `web::<method>()` routes that follow it. Paths
/// are turned into OpenAPI templates (`{path:.+}` becomes `{path}`).
fn registered_routes(source: &str, prefix: &str) -> BTreeSet<(String, String)> {
    // Routes registered another way (`cfg.route("/x", ..)`, `web::scope` inside) would
    // escape this scan; refuse them rather than pass silently.
    assert!(!source.contains(".route(\""), "register routes with web::resource(..) so this scan sees them");
    assert_eq!(source.matches("web::scope(").count(), usize::from(prefix == "/admin"), "an unexpected scope");
    let mut routes = BTreeSet::new();
    for resource in source.split("web::resource(").skip(1) {
        let (argument, rest) = resource.split_once(')').unwrap();
        let path = match argument.trim() {
            "shared_claims::feed_protocol::PATH" => shared_claims::feed_protocol::PATH.to_owned(),
            literal => literal.strip_prefix('"').and_then(|l| l.strip_suffix('"')).expect(literal).to_owned(),
        };
        let path = format!("{prefix}{}", path.replace(":.+}", "}"));
        let rest = rest.split("web::resource(").next().unwrap();
        for method in ["get", "post", "put", "patch", "delete"] {
            if rest.contains(&format!(".route(web::{method}()")) {
                routes.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    routes
}

fn documented_routes() -> BTreeSet<(String, String)> {
    let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            routes.insert((method.to_uppercase(), path.clone()));
        }
    }
    routes
}

#[test]
fn every_registered_route_is_documented() {
    let public = include_str!("../mod.rs");
    let public = public.split("fn configure(").nth(1).unwrap().split("fn configure_ops(").next().unwrap();
    let health = include_str!("../mod.rs").split("fn health_routes(").nth(1).unwrap();
    let admin = include_str!("../admin/mod.rs").split("fn configure(").nth(1).unwrap();
    let mut registered = registered_routes(public, "");
    registered.extend(registered_routes(health, ""));
    registered.extend(registered_routes(admin, "/admin"));
    assert!(registered.len() >= 24, "the route scan found too few routes: {registered:?}");
    let documented = documented_routes();
    let missing: Vec<_> = registered.difference(&documented).collect();
    assert!(missing.is_empty(), "routes without a #[utoipa::path] in ApiDoc: {missing:?}");
    let stale: Vec<_> = documented.difference(&registered).collect();
    assert!(stale.is_empty(), "documented routes that are not registered: {stale:?}");
}

#[test]
fn admin_operations_require_the_admin_scope() {
    let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
    for (path, item) in doc["paths"].as_object().unwrap().iter().filter(|(p, _)| p.starts_with("/admin/")) {
        for (method, operation) in item.as_object().unwrap() {
            assert_eq!(operation["security"], serde_json::json!([{"admin_bearer": ["admin"]}]), "{method} {path}");
            for status in ["400", "401", "403", "500", "503"] {
                assert!(operation["responses"][status].is_object(), "{method} {path} lacks {status}");
            }
        }
    }
}

#[test]
fn operation_ids_are_unique() {
    // Clients generated from the document name their methods after these.
    let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
    let mut seen = BTreeSet::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            let id = operation["operationId"].as_str().unwrap().to_owned();
            assert!(seen.insert(id.clone()), "operationId {id} is used twice");
        }
    }
}

#[actix_web::test]
async fn the_document_is_served_on_the_ops_listener() {
    let server = TestServer::new().await;
    let state = web::Data::new(AppState::new(server.authority.clone(), 60));
    let app = actix_test::init_service(
        App::new().app_data(state).app_data(web::Data::new(Metrics::new())).configure(configure_ops),
    )
    .await;
    let response = actix_test::call_service(&app, TestRequest::get().uri("/openapi.json").to_request()).await;
    assert_eq!(response.status(), 200);
    let body = actix_test::read_body(response).await;
    let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/oauth2/token"]["post"].is_object());
}
