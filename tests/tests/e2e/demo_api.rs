//! The demo API's happy path, in both verification modes: who the token speaks for,
//! and the caller's own documents (`/api/me`, `/api/documents`).

use serde_json::json;
use tests::bootstrap::*;
use tests::{ApiStack, Credentials, Verify};

use crate::support::*;

on_both_modes! {
    /// `GET /api/me` answers the token's `sub`, `client_id` and `scope`, for a user's
    /// token and for a service's (whose `sub` is its client id, RFC 9068 §2.2).
    async fn me_answers_who_the_token_speaks_for(verify: Verify) {
        let api = ApiStack::start(verify).await;
        let alice = api.client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        let service = api.client.token_client_credentials(SERVICE_A, SERVICE_A_SECRET, None).await;
        let cases = [
            (alice.access_token(), ALICE, WEB_APP, "documents:read documents:write"),
            (service.access_token(), SERVICE_A, SERVICE_A, READ),
        ];
        for (token, sub, client_id, scope) in cases {
            let me = api.api.me(Credentials::Bearer(token)).await;
            assert_eq!(me.status, 200, "{me:?}");
            assert_json_content_type(&me);
            assert_eq!((me.str("sub"), me.str("client_id")), (sub, client_id), "{me:?}");
            assert_eq!(scopes(me.str("scope")), scopes(scope), "{me:?}");
        }
    }
}

on_both_modes! {
    /// `POST /api/documents` with `documents:write` answers 201 with the stored
    /// document, which `GET /api/documents` (`documents:read`) then lists, for its owner
    /// only.
    async fn documents_are_created_then_listed_for_their_owner(verify: Verify) {
        let api = ApiStack::start(verify).await;
        let alice = api.client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        let alice = Credentials::Bearer(alice.access_token());
        let bob = api.client.token_password(WEB_APP, BOB, BOB_PASSWORD, None).await;
        let bob = Credentials::Bearer(bob.access_token());

        let empty = api.api.documents(alice).await;
        assert_eq!((empty.status, &empty.json), (200, &json!({"documents": []})), "{empty:?}");

        let created = api.api.create_document(alice, "Minutes", "Nothing was decided.").await;
        assert_eq!(created.status, 201, "{created:?}");
        assert_json_content_type(&created);
        assert_eq!((created.str("title"), created.str("content")), ("Minutes", "Nothing was decided."));
        assert!(!created.str("id").is_empty(), "{created:?}");

        let listed = api.api.documents(alice).await;
        assert_eq!(listed.status, 200, "{listed:?}");
        assert_eq!(listed.json, json!({"documents": [created.json]}), "the new document is listed");

        let others = api.api.documents(bob).await;
        assert_eq!((others.status, &others.json), (200, &json!({"documents": []})), "bob sees none of alice's");
    }
}
