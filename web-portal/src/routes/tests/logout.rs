//! `POST /logout`.

use super::support::*;
use crate::routes::*;

#[actix_web::test]
async fn sign_out_revokes_forgets_and_ends_the_login_session() {
    let stubs = start_stubs(3600).await;
    let app = portal!(stubs);
    let cookie = sign_in!(app, stubs);
    let req = test::TestRequest::post()
        .uri("/logout")
        .insert_header((COOKIE, cookie.clone()))
        .insert_header(("x-requested-with", "fetch"));
    let res = call!(app, req);
    assert_eq!(res.status(), 200);
    assert!(set_cookie(&res, "portal_session").contains("Max-Age=0"));
    let body: Value = test::read_body_json(res).await;
    let redirect = Url::parse(body["redirect"].as_str().unwrap()).unwrap();
    assert_eq!(redirect.as_str().split('?').next().unwrap(), format!("{}/logout", stubs.auth_url));
    let params: HashMap<String, String> = redirect.query_pairs().into_owned().collect();
    assert_eq!(params["client_id"], "web-portal");
    assert_eq!(params["post_logout_redirect_uri"], "http://localhost:8090/");
    assert_eq!(*stubs.stub.revoked.lock().unwrap(), ["refresh-0"]);
    let res = call!(app, test::TestRequest::get().uri("/api/me").insert_header((COOKIE, cookie)));
    assert_eq!(res.status(), 401);
}
