//! `/api/...`: forwarding to the documents API, the CSRF header, and token refresh.

use super::support::*;
use crate::routes::*;

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
