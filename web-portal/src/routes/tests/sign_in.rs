//! `/login` and `/callback`: starting a sign-in and turning its response into a session.

use super::support::*;
use crate::routes::*;

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
