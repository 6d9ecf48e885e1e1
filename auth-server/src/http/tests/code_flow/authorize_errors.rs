//! Refused authorization requests: an error page without `Location` while the client
//! or its redirect URI is in doubt (RFC 6749 §4.1.2.1), an error redirect after that.

use super::*;
use crate::test_support::ISSUER;

#[actix_web::test]
async fn a_mismatched_redirect_uri_gets_an_error_page_never_a_redirect() {
    let server = server().await;
    let mut browser = Browser::default();
    for uri in [
        "https://evil.example/cb?tenant=1",        // host
        "https://portal.example:8443/cb?tenant=1", // port
        "https://portal.example/cb2?tenant=1",     // path
        "https://portal.example/cb?tenant=2",      // query
        "https://portal.example/cb",               // query missing
        "https://portal.example/cb/?tenant=1",     // trailing slash
        "https://portal.example/cb?tenant=1#f",    // fragment
        "http://portal.example/cb?tenant=1",       // scheme
    ] {
        let reply = browser.authorize(&server, &with(&portal_request(), "redirect_uri", Some(uri))).await;
        assert_eq!(reply.status, 400, "{uri}: {reply:?}");
        assert_eq!(reply.header("location"), None, "{uri}");
        assert!(reply.header("content-type").unwrap().starts_with("text/html"), "{uri}");
        assert!(reply.body.as_str().unwrap().contains("redirect_uri is not registered"), "{uri}");
    }
    let missing = browser.authorize(&server, &with(&portal_request(), "redirect_uri", None)).await;
    assert_eq!((missing.status.as_u16(), missing.header("location")), (400, None));
    // The control: the registered URI, exactly, is accepted.
    assert_eq!(browser.authorize(&server, &portal_request()).await.status, 200);
}

#[actix_web::test]
async fn an_unknown_client_or_a_repeated_parameter_gets_an_error_page() {
    let server = server().await;
    let mut browser = Browser::default();
    let unknown = browser.authorize(&server, &with(&portal_request(), "client_id", Some("nobody"))).await;
    assert_eq!((unknown.status.as_u16(), unknown.header("location")), (400, None), "{unknown:?}");
    let no_client = browser.authorize(&server, &with(&portal_request(), "client_id", None)).await;
    assert_eq!((no_client.status.as_u16(), no_client.header("location")), (400, None));
    let mut repeated = portal_request();
    repeated.push(("state", "second".into()));
    let reply = browser.authorize(&server, &repeated).await;
    assert_eq!((reply.status.as_u16(), reply.header("location")), (400, None), "{reply:?}");
    assert!(reply.body.as_str().unwrap().contains("state is repeated"));
}

#[actix_web::test]
async fn a_loopback_ip_redirect_uri_accepts_any_port() {
    let server = server().await;
    let mut browser = Browser::default();
    let native = |uri: &str| {
        with(&with(&with(&portal_request(), "client_id", Some(NATIVE)), "redirect_uri", Some(uri)), "scope", None)
    };
    let reply = browser.sign_in(&server, &native("http://127.0.0.1:53111/cb"), "alice", ALICE_PASSWORD).await;
    assert_eq!(reply.status, 303, "{reply:?}");
    assert!(reply.header("location").unwrap().starts_with("http://127.0.0.1:53111/cb?code="), "{reply:?}");
    for other in ["http://127.0.0.1:53111/cb2", "http://localhost:53111/cb", "http://127.0.0.1:53111/cb/"] {
        let reply = browser.authorize(&server, &native(other)).await;
        assert_eq!((reply.status.as_u16(), reply.header("location")), (400, None), "{other}");
    }
}

/// Each error after the client and redirect URI are known goes back to the client.
#[actix_web::test]
async fn later_errors_redirect_with_state_and_iss() {
    let server = server().await;
    add_code_client(&server, "password-only", None, "https://po.example/cb").await;
    let mut po = server.authority.store.client("password-only").await.unwrap().unwrap();
    po.grant_types = vec!["password".into()];
    server.authority.store.put_client(&po).await.unwrap();
    let mut browser = Browser::default();
    let base = portal_request();
    let cases = [
        (with(&base, "code_challenge", None), "invalid_request"),
        (with(&base, "code_challenge_method", None), "invalid_request"),
        (with(&base, "code_challenge_method", Some("plain")), "invalid_request"),
        (
            with(&with(&base, "code_challenge_method", Some("plain")), "code_challenge", Some(VERIFIER)),
            "invalid_request",
        ),
        (with(&base, "code_challenge", Some("too-short")), "invalid_request"),
        (with(&base, "response_type", Some("token")), "unsupported_response_type"),
        (with(&base, "response_type", None), "invalid_request"),
        (with(&base, "scope", Some("admin")), "invalid_scope"),
        (with(&base, "resource", Some("other-api")), "invalid_target"),
        (with(&base, "prompt", Some("none")), "login_required"),
        (
            with(&with(&base, "client_id", Some("password-only")), "redirect_uri", Some("https://po.example/cb")),
            "unauthorized_client",
        ),
    ];
    for (params, error) in cases {
        let reply = browser.authorize(&server, &params).await;
        assert_eq!(reply.status, 302, "{error}: {reply:?}");
        let to = params.iter().find(|(n, _)| *n == "redirect_uri").unwrap().1.clone();
        let got = redirect_params(&reply, &to);
        assert_eq!(got["error"], error, "{params:?}");
        assert_eq!(got["state"], "xyz-state");
        assert_eq!(got["iss"], ISSUER);
        if to == PORTAL_REDIRECT {
            assert_eq!(got["tenant"], "1", "the registered query is kept");
        }
    }
    assert!(browser.cookies.is_empty(), "no form was shown: {:?}", browser.cookies);
}
