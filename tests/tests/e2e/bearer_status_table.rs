//! Every row of the RFC 6750 §3 status table (README: resource server answers), in both verification modes,
//! on every protected route: exact status, `WWW-Authenticate` and JSON body.

use reqwest::Method;
use serde_json::json;
use tests::api::{DOCUMENTS_PATH, ME_PATH};
use tests::bootstrap::*;
use tests::{ApiStack, Credentials, Verify};

use crate::support::*;

/// Every protected route: `(method, path)`.
const ROUTES: [(Method, &str); 3] =
    [(Method::GET, ME_PATH), (Method::GET, DOCUMENTS_PATH), (Method::POST, DOCUMENTS_PATH)];

fn document() -> serde_json::Value {
    json!({"title": "t", "content": "c"})
}

on_both_modes! {
    /// No credentials (or another scheme): 401 with a bare `Bearer realm` challenge; a
    /// malformed `Authorization` header: 400 `invalid_request`; a token that is not
    /// one of ours: 401 `invalid_token`.
    async fn missing_malformed_and_invalid_credentials(verify: Verify) {
        let api = ApiStack::start(verify).await;
        let login = api.client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        let token = login.access_token();
        let with_space = format!("Bearer {token} {token}");
        let with_comma = format!("Bearer {token},x");
        let cases = [
            (Credentials::None, NO_CREDENTIALS),
            (Credentials::Raw("Basic YWxpY2U6cGFzc3dvcmQ="), NO_CREDENTIALS),
            (Credentials::Raw("Bearer"), INVALID_REQUEST),
            (Credentials::Raw("Bearer    "), INVALID_REQUEST),
            (Credentials::Raw("Bearer a b"), INVALID_REQUEST),
            (Credentials::Raw(&with_space), INVALID_REQUEST),
            (Credentials::Raw(&with_comma), INVALID_REQUEST),
            (Credentials::Raw("Bearer \"quoted\""), INVALID_REQUEST),
            (Credentials::Bearer("not-a-jwt"), INVALID_TOKEN),
            (Credentials::Bearer("a.b.c"), INVALID_TOKEN),
        ];
        for (method, path) in ROUTES {
            let body = (method == Method::POST).then(document);
            for (credentials, expected) in cases {
                let reply = api.api.request(method.clone(), path, credentials, body.as_ref()).await;
                assert_bearer_refusal(&reply, expected, &format!("{method} {path} with {credentials:?}"));
            }
            // The same route accepts the genuine token: the refusals above are about
            // the header, not the route.
            let reply = api.api.request(method.clone(), path, Credentials::Bearer(token), body.as_ref()).await;
            assert!(matches!(reply.status, 200 | 201), "{method} {path} with alice's token: {reply:?}");
        }
    }
}

on_both_modes! {
    /// A valid token without the route's scope: 403 `insufficient_scope` naming it.
    async fn a_token_without_the_routes_scope_is_insufficient_scope(verify: Verify) {
        let api = ApiStack::start(verify).await;
        let bob = api.client.token_password(WEB_APP, BOB, BOB_PASSWORD, None).await;
        let alice_read = api.client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, Some(READ)).await;
        let alice_write = api.client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, Some(WRITE)).await;
        let service = api.client.token_client_credentials(SERVICE_A, SERVICE_A_SECRET, None).await;

        for (who, token) in [("bob", &bob), ("alice read-only", &alice_read), ("service-a", &service)] {
            let credentials = Credentials::Bearer(token.access_token());
            let reply = api.api.create_document(credentials, "t", "c").await;
            assert_bearer_refusal(&reply, insufficient_scope(WRITE), &format!("POST {DOCUMENTS_PATH} as {who}"));
            let listed = api.api.documents(credentials).await;
            assert_eq!(listed.status, 200, "{who} may read: {listed:?}");
        }
        let write_only = Credentials::Bearer(alice_write.access_token());
        let reply = api.api.documents(write_only).await;
        assert_bearer_refusal(&reply, insufficient_scope(READ), &format!("GET {DOCUMENTS_PATH} write-only"));
        let created = api.api.create_document(write_only, "t", "c").await;
        assert_eq!(created.status, 201, "write-only may write: {created:?}");
        let me = api.api.me(write_only).await;
        assert_eq!(me.status, 200, "any valid token may ask who it is: {me:?}");
    }
}
