//! Deleting a client revokes every token issued to it: a local-mode resource server
//! (the feed's client revocation) and introspection refuse its access tokens, and a
//! client registered again under the same `client_id` does not revive the old
//! client's refresh tokens.

use reqwest::Method;
use serde_json::json;
use tests::bootstrap::*;
use tests::fleet::REVOCATION_DEADLINE;
use tests::{poll_until, AdminClient, ApiStack, Credentials, Store, Verify};

use crate::support::*;

const KIOSK: &str = "kiosk-app";

on_both_stores! {
    async fn a_deleted_clients_tokens_are_refused_and_a_new_registration_revives_nothing(store: Store) {
        let stack = ApiStack::start_with(store, Verify::Local, |o| o).await;
        let client = &stack.client;
        let admin = AdminClient::login(client).await;
        let registration = json!({"client_id": KIOSK, "public": true, "grant_types": ["password", "refresh_token"],
            "scopes": [READ], "audiences": [DOCUMENTS_AUDIENCE]});
        let created = admin.request(Method::POST, "/admin/clients", Some(&registration)).await;
        assert_eq!(created.status, 201, "{created:?}");

        let login = client.token_password(KIOSK, ALICE, ALICE_PASSWORD, None).await;
        let token = login.access_token();
        let me = stack.api.me(Credentials::Bearer(token)).await;
        assert_eq!(me.status, 200, "accepted before the deletion: {me:?}");
        let active = client.introspect(token, DOCUMENTS_API, DOCUMENTS_API_SECRET).await;
        assert_eq!(active.json["active"], true, "{active:?}");

        let deleted = admin.request(Method::DELETE, &format!("/admin/clients/{KIOSK}"), None).await;
        assert_eq!(deleted.status, 204, "{deleted:?}");
        poll_until(REVOCATION_DEADLINE, "the local resource server refusing the deleted client's token", || async {
            (stack.api.me(Credentials::Bearer(token)).await.status == 401).then_some(())
        })
        .await;
        let inactive = client.introspect(token, DOCUMENTS_API, DOCUMENTS_API_SECRET).await;
        assert_eq!(inactive.json, json!({"active": false}), "{inactive:?}");

        let again = admin.request(Method::POST, "/admin/clients", Some(&registration)).await;
        assert_eq!(again.status, 201, "{again:?}");
        let refreshed = client.token_refresh(KIOSK, login.refresh_token()).await;
        assert_oauth_error(&refreshed, 400, "invalid_grant");
    }
}
