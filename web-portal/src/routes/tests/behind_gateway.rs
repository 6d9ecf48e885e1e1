//! The authorization server behind a gateway: its issuer (`PORTAL_ISSUER`) is a public
//! URL that nothing here resolves, and the portal reaches it on `PORTAL_AUTH_URL`.
//! The browser is sent to the public URLs; the code exchange and the revocation go to
//! `PORTAL_AUTH_URL`.

use super::support::*;
use crate::routes::*;

const PUBLIC: &str = "http://auth.public.test";

async fn behind_gateway() -> Stubs {
    let stubs = start_stubs(3600).await;
    *stubs.stub.public_issuer.lock().unwrap() = Some(PUBLIC.to_owned());
    stubs
}

fn with_issuer(stubs: &Stubs, issuer: &str) -> crate::settings::Settings {
    let mut settings = settings(stubs);
    settings.issuer = Some(issuer.to_owned());
    settings
}

#[actix_web::test]
async fn signs_in_and_out_through_the_public_issuer_and_the_auth_url() {
    let stubs = behind_gateway().await;
    let app = portal!(stubs, with_issuer(&stubs, PUBLIC));
    let (location, login_cookie) = start_login!(app, stubs);
    assert_eq!(location.as_str().split('?').next().unwrap(), format!("{PUBLIC}/authorize"), "the browser's URL");
    let state = location.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();

    // RFC 9207: the response names the public issuer, not the address the portal uses.
    let uri = callback_uri(&[("code", "good-code"), ("state", &state), ("iss", &stubs.auth_url)]);
    let res = call!(app, test::TestRequest::get().uri(&uri).insert_header((COOKIE, login_cookie.clone())));
    assert_eq!(res.status(), 400, "an iss other than PORTAL_ISSUER is refused");
    let uri = callback_uri(&[("code", "good-code"), ("state", &state), ("iss", PUBLIC)]);
    let res = call!(app, test::TestRequest::get().uri(&uri).insert_header((COOKIE, login_cookie)));
    assert_eq!(res.status(), 200, "the code was exchanged on PORTAL_AUTH_URL");
    let cookie = cookie_pair(&res, "portal_session").expect("a session cookie");

    let req = test::TestRequest::post()
        .uri("/logout")
        .insert_header((COOKIE, cookie))
        .insert_header(("x-requested-with", "fetch"));
    let res = call!(app, req);
    assert_eq!(res.status(), 200);
    let body: Value = test::read_body_json(res).await;
    let redirect = body["redirect"].as_str().unwrap();
    assert_eq!(redirect.split('?').next().unwrap(), format!("{PUBLIC}/logout"), "the browser's URL");
    assert_eq!(*stubs.stub.revoked.lock().unwrap(), ["refresh-0"], "revoked on PORTAL_AUTH_URL");
}

#[actix_web::test]
async fn metadata_naming_another_issuer_than_portal_issuer_is_refused() {
    let stubs = behind_gateway().await;
    let app = portal!(stubs, with_issuer(&stubs, "http://other.public.test"));
    let res = call!(app, test::TestRequest::get().uri("/login"));
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers().get(LOCATION), None);
    let res = call!(app, test::TestRequest::get().uri("/readyz"));
    assert_eq!(res.status(), 503);
}

#[actix_web::test]
async fn without_portal_issuer_the_auth_url_must_be_the_issuer() {
    let stubs = behind_gateway().await;
    let app = portal!(stubs);
    let res = call!(app, test::TestRequest::get().uri("/login"));
    assert_eq!(res.status(), 503, "the metadata names {PUBLIC}, not PORTAL_AUTH_URL");
}
