//! Cross-site request forgery defence in depth, on top of the `SameSite=Strict`
//! session cookie: every request other than `GET`, `HEAD` and `OPTIONS` must carry
//! `X-Requested-With: fetch`. `TRACE`, although safe by RFC 9110 §9.2.1, is not let
//! through: nothing here needs it and it has been a cross-site tracing vector. A
//! cross-site form cannot set a header, and a cross-site `fetch` with a custom header
//! needs a CORS preflight the portal never grants, so only the portal's own page can
//! send one. Anything else is refused with 403 before a handler runs.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderMap;
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::HttpResponse;
use serde_json::json;

/// The header the portal's page sends with every state-changing call.
pub(crate) const HEADER: &str = "x-requested-with";
pub(crate) const VALUE: &str = "fetch";

/// Whether a request with `method` and `headers` passes the rule.
pub(crate) fn allowed(method: &Method, headers: &HeaderMap) -> bool {
    let safe = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if safe {
        return true;
    }
    let mut values = headers.get_all(HEADER);
    matches!((values.next(), values.next()), (Some(value), None) if value.as_bytes() == VALUE.as_bytes())
}

/// Middleware applying [`allowed`] to every route.
pub(crate) async fn require_header(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if allowed(req.method(), req.headers()) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let refused = HttpResponse::Forbidden().insert_header(("cache-control", "no-store")).json(json!({
        "error": "csrf_header_missing",
        "error_description": "state-changing requests must carry X-Requested-With: fetch",
    }));
    Ok(req.into_response(refused).map_into_right_body())
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};
    use actix_web::middleware::from_fn;
    use actix_web::test as actix_test;
    use actix_web::{web, App};

    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(HeaderName::from_static(HEADER), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn safe_methods_need_nothing() {
        for method in [Method::GET, Method::HEAD, Method::OPTIONS] {
            assert!(allowed(&method, &headers(&[])), "{method}");
        }
    }

    #[test]
    fn state_changing_methods_need_the_header() {
        for method in [
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::TRACE,
            Method::from_bytes(b"PURGE").unwrap(),
        ] {
            assert!(!allowed(&method, &headers(&[])), "{method} without the header");
            assert!(allowed(&method, &headers(&["fetch"])), "{method} with it");
            assert!(!allowed(&method, &headers(&["XMLHttpRequest"])), "{method} with another value");
            assert!(!allowed(&method, &headers(&["fetch", "fetch"])), "{method} with two");
        }
    }

    #[actix_web::test]
    async fn the_middleware_refuses_before_the_handler_runs() {
        let app = actix_test::init_service(
            App::new()
                .wrap(from_fn(require_header))
                .route("/x", web::to(|| async { HttpResponse::NoContent().finish() })),
        )
        .await;
        let res = actix_test::call_service(&app, actix_test::TestRequest::post().uri("/x").to_request()).await;
        assert_eq!(res.status(), 403);
        let body: serde_json::Value = actix_test::read_body_json(res).await;
        assert_eq!(body["error"], "csrf_header_missing");
        let res = actix_test::call_service(
            &app,
            actix_test::TestRequest::post().uri("/x").insert_header((HEADER, VALUE)).to_request(),
        )
        .await;
        assert_eq!(res.status(), 204);
        let res = actix_test::call_service(&app, actix_test::TestRequest::get().uri("/x").to_request()).await;
        assert_eq!(res.status(), 204);
    }
}
