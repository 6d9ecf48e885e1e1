//! The `authorization_code` grant: PKCE, binding to client and redirect URI, single
//! use with revocation on replay, expiry.

use super::*;
use crate::oauth::code_issuance::code_hash;
use crate::store::AuthorizationCode;
use crate::test_support::ISSUER;

#[actix_web::test]
async fn a_code_is_exchanged_once_for_tokens_that_work() {
    let server = server().await;
    let mut browser = Browser::default();
    let reply = browser.sign_in(&server, &portal_request(), "alice", ALICE_PASSWORD).await;
    let params = redirect_params(&reply, PORTAL_REDIRECT);
    assert_eq!(
        (params["state"].as_str(), params["iss"].as_str(), params["tenant"].as_str()),
        ("xyz-state", ISSUER, "1")
    );
    assert_eq!(params["code"].len(), 43, "32 random bytes");

    let tokens = exchange(&server, &params["code"], VERIFIER, PORTAL_REDIRECT).await;
    assert_eq!(tokens.status, 200, "{tokens:?}");
    assert_eq!(tokens.header("cache-control"), Some("no-store"));
    assert_eq!(tokens.str("scope"), "documents:read");
    assert!(active(&server, tokens.str("access_token")).await);
    let refreshed = refresh(&server, tokens.str("refresh_token")).await;
    assert_eq!(refreshed.status, 200, "{refreshed:?}");
}

#[actix_web::test]
async fn a_replayed_code_is_refused_and_revokes_what_the_first_exchange_issued() {
    let server = server().await;
    let mut browser = Browser::default();
    let code = portal_code(&server, &mut browser).await;
    let first = exchange(&server, &code, VERIFIER, PORTAL_REDIRECT).await;
    assert_eq!(first.status, 200, "{first:?}");
    let access = first.str("access_token").to_owned();
    assert!(active(&server, &access).await);

    let replay = exchange(&server, &code, VERIFIER, PORTAL_REDIRECT).await;
    assert_eq!(replay.status, 400, "{replay:?}");
    assert_eq!(replay.str("error"), "invalid_grant");
    assert!(!active(&server, &access).await, "the first access token is revoked");
    let refreshed = refresh(&server, first.str("refresh_token")).await;
    assert_eq!((refreshed.status.as_u16(), refreshed.str("error")), (400, "invalid_grant"), "the refresh token too");
}

#[actix_web::test]
async fn a_wrong_or_missing_verifier_is_refused_and_spends_the_code() {
    let server = server().await;
    let mut browser = Browser::default();
    let code = portal_code(&server, &mut browser).await;
    let wrong = exchange(&server, &code, &VERIFIER.replace('d', "e"), PORTAL_REDIRECT).await;
    assert_eq!((wrong.status.as_u16(), wrong.str("error")), (400, "invalid_grant"), "{wrong:?}");
    let right = exchange(&server, &code, VERIFIER, PORTAL_REDIRECT).await;
    assert_eq!((right.status.as_u16(), right.str("error")), (400, "invalid_grant"), "a failed attempt spends the code");

    let code = portal_code(&server, &mut browser).await;
    let plain = exchange(&server, &code, CHALLENGE, PORTAL_REDIRECT).await;
    assert_eq!(plain.str("error"), "invalid_grant", "the challenge itself (plain) is no verifier");

    let req = TestRequest::post().uri("/oauth2/token").insert_header(basic(PORTAL)).set_form([
        ("grant_type", "authorization_code"),
        ("code", "whatever"),
        ("redirect_uri", PORTAL_REDIRECT),
    ]);
    let missing = server.send(req).await;
    assert_eq!((missing.status.as_u16(), missing.str("error")), (400, "invalid_request"), "{missing:?}");
}

#[actix_web::test]
async fn a_code_is_bound_to_its_client_and_redirect_uri() {
    let server = server().await;
    let mut browser = Browser::default();
    let code = portal_code(&server, &mut browser).await;
    let elsewhere = exchange(&server, &code, VERIFIER, "https://portal.example/cb").await;
    assert_eq!(elsewhere.str("error"), "invalid_grant", "{elsewhere:?}");

    let code = portal_code(&server, &mut browser).await;
    let req = TestRequest::post().uri("/oauth2/token").set_form([
        ("grant_type", "authorization_code"),
        ("client_id", NATIVE),
        ("code", &code),
        ("code_verifier", VERIFIER),
        ("redirect_uri", PORTAL_REDIRECT),
    ]);
    let other_client = server.send(req).await;
    assert_eq!(other_client.str("error"), "invalid_grant", "{other_client:?}");

    let req = TestRequest::post().uri("/oauth2/token").set_form([
        ("grant_type", "authorization_code"),
        ("client_id", "web-app"),
        ("code", "whatever"),
        ("code_verifier", VERIFIER),
        ("redirect_uri", PORTAL_REDIRECT),
    ]);
    let unregistered = server.send(req).await;
    assert_eq!(unregistered.str("error"), "unauthorized_client", "{unregistered:?}");
}

/// A code lives 60 seconds: one past its expiry is unknown, one just inside works.
#[actix_web::test]
async fn an_expired_code_is_refused() {
    let server = server().await;
    let now = shared_claims::unix_now();
    let record = |expires_at: i64| AuthorizationCode {
        client_id: PORTAL.into(),
        redirect_uri: PORTAL_REDIRECT.into(),
        code_challenge: CHALLENGE.into(),
        scope: ScopeSet::parse("documents:read").unwrap(),
        audiences: vec!["documents-api".into()],
        username: "alice".into(),
        login_session: "l".into(),
        sid: crate::crypto::random_id(),
        auth_time: now - 61,
        expires_at,
    };
    let store = &server.authority.store;
    store.put_code(&code_hash("expired-code"), &record(now - 1)).await.unwrap();
    store.put_code(&code_hash("live-code"), &record(now + 60)).await.unwrap();
    let expired = exchange(&server, "expired-code", VERIFIER, PORTAL_REDIRECT).await;
    assert_eq!((expired.status.as_u16(), expired.str("error")), (400, "invalid_grant"), "{expired:?}");
    let live = exchange(&server, "live-code", VERIFIER, PORTAL_REDIRECT).await;
    assert_eq!(live.status, 200, "{live:?}");
}

#[actix_web::test]
async fn the_metadata_announces_the_flow() {
    let server = server().await;
    let reply = server.send(TestRequest::get().uri("/.well-known/oauth-authorization-server")).await;
    let body: serde_json::Value = match &reply.body {
        serde_json::Value::String(text) => serde_json::from_str(text).unwrap(),
        other => other.clone(),
    };
    assert_eq!(body["authorization_endpoint"], format!("{ISSUER}/oauth2/authorize"));
    assert_eq!(body["end_session_endpoint"], format!("{ISSUER}/oauth2/logout"));
    assert_eq!(body["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(body["code_challenge_methods_supported"], serde_json::json!(["S256"]));
    assert_eq!(body["authorization_response_iss_parameter_supported"], true);
    assert!(body["grant_types_supported"].as_array().unwrap().contains(&"authorization_code".into()));
}
