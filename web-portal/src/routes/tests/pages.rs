//! The page, its assets, the operational endpoints and the headers every answer carries.

use super::support::*;
use crate::routes::*;

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
async fn message_pages_escape_what_they_show() {
    let res = message_page(StatusCode::BAD_REQUEST, "<b>title</b>", "\"><script>x</script>");
    let body = actix_web::body::to_bytes(res.into_body()).await.unwrap();
    let body = std::str::from_utf8(&body).unwrap();
    assert!(body.contains("&lt;b&gt;title&lt;/b&gt;") && body.contains("&quot;&gt;&lt;script&gt;"), "{body}");
    assert!(!body.contains("<script>") && !body.contains("<b>"), "{body}");
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
