//! The operational endpoints live on their own listener: the public routes expose no
//! counters, and health answers on both.

use actix_web::test::TestRequest;
use actix_web::{test, web, App};

use crate::http::metrics::Metrics;
use crate::http::{configure, configure_ops, AppState};
use crate::test_support::TestServer;

/// The status of `GET path` on an app configured by `routes`.
async fn status(server: &TestServer, routes: fn(&mut web::ServiceConfig), path: &str) -> u16 {
    let state = web::Data::new(AppState::new(server.authority.clone(), 60));
    let app =
        test::init_service(App::new().app_data(state).app_data(web::Data::new(Metrics::new())).configure(routes)).await;
    test::call_service(&app, TestRequest::get().uri(path).to_request()).await.status().as_u16()
}

#[actix_web::test]
async fn metrics_are_served_on_the_ops_listener_only() {
    let server = TestServer::new().await;
    assert_eq!(status(&server, configure, "/metrics").await, 404, "no counters on the public port");
    assert_eq!(status(&server, configure_ops, "/metrics").await, 200);
    assert_eq!(status(&server, configure, "/openapi.json").await, 404, "the document is an ops route");
    assert_eq!(status(&server, configure_ops, "/openapi.json").await, 200);
    for path in ["/healthz", "/readyz"] {
        assert_eq!(status(&server, configure, path).await, 200, "public {path}");
        assert_eq!(status(&server, configure_ops, path).await, 200, "ops {path}");
    }
    assert_eq!(status(&server, configure_ops, "/oauth2/token").await, 404, "no OAuth endpoint on the ops port");
}
