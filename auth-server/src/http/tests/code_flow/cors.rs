//! CORS on the token and revocation endpoints: only the redirect-URI origins of
//! public clients, never `*`, never credentials.

use super::*;

const SPA_ORIGIN: &str = "https://spa.example:8443";

async fn cors_server() -> TestServer {
    let server = server().await;
    add_code_client(&server, "spa", None, &format!("{SPA_ORIGIN}/app/cb")).await;
    server
}

fn preflight(path: &str, origin: &str) -> TestRequest {
    TestRequest::default()
        .method(actix_web::http::Method::OPTIONS)
        .uri(path)
        .insert_header(("origin", origin))
        .insert_header(("access-control-request-method", "POST"))
        .insert_header(("access-control-request-headers", "content-type"))
}

#[actix_web::test]
async fn a_public_client_s_origin_passes_the_preflight() {
    let server = cors_server().await;
    for path in ["/oauth2/token", "/oauth2/revoke"] {
        let reply = server.send(preflight(path, SPA_ORIGIN)).await;
        assert_eq!(reply.status, 204, "{path}: {reply:?}");
        assert_eq!(reply.header("access-control-allow-origin"), Some(SPA_ORIGIN));
        assert_eq!(reply.header("access-control-allow-methods"), Some("POST"));
        assert_eq!(reply.header("access-control-allow-headers"), Some("content-type"));
        assert!(reply.header("access-control-max-age").is_some());
        assert_eq!(reply.header("vary"), Some("Origin"));
        assert_eq!(reply.header("access-control-allow-credentials"), None);
    }
}

#[actix_web::test]
async fn other_origins_are_refused_without_cors_headers() {
    let server = cors_server().await;
    for origin in [
        "https://evil.example",
        "https://spa.example",     // another port
        "http://spa.example:8443", // another scheme
        "https://portal.example",  // a confidential client's redirect origin
        "null",
    ] {
        let reply = server.send(preflight("/oauth2/token", origin)).await;
        assert_eq!(reply.status, 403, "{origin}: {reply:?}");
        assert_eq!(reply.header("access-control-allow-origin"), None, "{origin}");
    }
}

#[actix_web::test]
async fn answers_carry_the_allowed_origin_errors_included() {
    let server = cors_server().await;
    let token = |origin: &str| {
        TestRequest::post().uri("/oauth2/token").insert_header(("origin", origin.to_owned())).set_form([
            ("grant_type", "authorization_code"),
            ("client_id", "spa"),
            ("code", "unknown-code"),
            ("code_verifier", VERIFIER),
            ("redirect_uri", "https://spa.example:8443/app/cb"),
        ])
    };
    let reply = server.send(token(SPA_ORIGIN)).await;
    assert_eq!(reply.str("error"), "invalid_grant", "{reply:?}");
    assert_eq!(reply.header("access-control-allow-origin"), Some(SPA_ORIGIN));
    let reply = server.send(token("https://evil.example")).await;
    assert_eq!(reply.header("access-control-allow-origin"), None, "{reply:?}");

    let revoke = TestRequest::post()
        .uri("/oauth2/revoke")
        .insert_header(("origin", SPA_ORIGIN))
        .set_form([("token", "whatever"), ("client_id", "spa")]);
    let reply = server.send(revoke).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.header("access-control-allow-origin"), Some(SPA_ORIGIN));
    assert_eq!(reply.header("access-control-allow-credentials"), None);
}
