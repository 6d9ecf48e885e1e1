//! The admin API's gate and a few of its operations, over HTTP against the real
//! binary: an `ops` token (client_credentials, scope `admin`, `aud` the issuer) opens
//! it; anything else gets the RFC 6750 answer.

use reqwest::Method;
use serde_json::json;
use tests::admin::admin_request;
use tests::bootstrap::*;
use tests::{AdminClient, AuthStack, Store};

use crate::support::*;

const USERS_PATH: &str = "/admin/users";

on_both_stores! {
    /// 401 without a token, 400 for a malformed header, 401 `invalid_token` for a
    /// token of another audience or a forged one, 403 `insufficient_scope` with
    /// `scope="admin"` for an issuer-audience token without `admin`.
    async fn the_admin_api_refuses_everything_but_an_admin_token(store: Store) {
        let stack = AuthStack::start(store).await;
        let client = stack.client();
        let alice = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        // documents-api has no audiences: its token is for the issuer, without `admin`.
        let introspector = client.token_client_credentials(DOCUMENTS_API, DOCUMENTS_API_SECRET, None).await;
        let alice_header = format!("Bearer {}", alice.access_token());
        let introspector_header = format!("Bearer {}", introspector.access_token());
        let cases = [
            (None, NO_CREDENTIALS),
            (Some("Basic b3BzOnNlY3JldA=="), NO_CREDENTIALS),
            (Some("Bearer"), INVALID_REQUEST),
            (Some("Bearer a b"), INVALID_REQUEST),
            (Some("Bearer not-a-jwt"), INVALID_TOKEN),
            (Some(alice_header.as_str()), INVALID_TOKEN),
            (Some(introspector_header.as_str()), insufficient_scope("admin")),
        ];
        let path = format!("/admin/users/{ALICE}/sessions");
        for (authorization, expected) in cases {
            let reply = admin_request(&client, Method::GET, &path, authorization, None).await;
            assert_bearer_refusal(&reply, expected, &format!("GET {path} with {authorization:?}"));
        }
        let admin = AdminClient::login(&client).await;
        let sessions = admin.sessions(ALICE).await;
        assert_eq!(sessions.status, 200, "the ops token opens the admin API: {sessions:?}");
    }
}

on_both_stores! {
    /// A user created through the admin API can log in; creating it twice is 409; its
    /// login shows among its sessions.
    async fn an_admin_creates_a_user_who_can_log_in(store: Store) {
        let stack = AuthStack::start(store).await;
        let client = stack.client();
        let admin = AdminClient::login(&client).await;
        let carol = json!({"username": "carol", "password": "carol-password-123", "scopes": [READ]});
        let created = admin.request(Method::POST, USERS_PATH, Some(&carol)).await;
        assert_eq!(created.status, 201, "{created:?}");
        assert_eq!(created.json["username"], "carol", "{created:?}");
        assert!(created.json.get("password").is_none() && created.json.get("password_hash").is_none(), "{created:?}");
        let again = admin.request(Method::POST, USERS_PATH, Some(&carol)).await;
        assert_eq!(again.status, 409, "{again:?}");

        let login = client.token_password(WEB_APP, "carol", "carol-password-123", None).await;
        assert_eq!(login.status, 200, "{login:?}");
        assert_eq!(scopes(login.str("scope")), scopes(READ), "{login:?}");
        let sessions = admin.sessions("carol").await;
        assert_eq!(sessions.status, 200, "{sessions:?}");
        let listed = sessions.json.as_array().or_else(|| sessions.json["sessions"].as_array());
        assert_eq!(listed.map(Vec::len), Some(1), "one live session: {sessions:?}");
    }
}
