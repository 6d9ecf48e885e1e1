//! Emergency key revocation (`POST /admin/keys/{kid}/revoke`): every token
//! the key signed is refused by two local-mode resource servers (the feed's key
//! revocation, before their cached JWKS expires) and one introspecting server; the
//! key leaves the JWKS; new logins are signed by a new key and accepted everywhere.
//!
//! ```text
//! AuthStack ─► Fleet::start(2 local, 1 introspect)
//! alice logs in, service-a gets a token: both signed by K; every server accepts them
//! POST /admin/keys/K/revoke ─► Fleet::await_all_refuse(both) ─► K not in the JWKS
//!   ─► alice's refresh token (signed by K) is refused; the old admin token too
//!   ─► a new login carries K' ≠ K, the active key; every server accepts it
//! ```

use reqwest::Method;
use tests::admin::admin_request;
use tests::bootstrap::*;
use tests::fleet::REVOCATION_DEADLINE;
use tests::{AdminClient, AuthStack, Fleet, Jwks, Store};

use crate::key_support::*;
use crate::support::*;

on_three_stores! {
    async fn an_emergency_key_revocation_reaches_every_resource_server(store: Store) {
        let _heavy = tests::heavy::shared().await;
        let stack = AuthStack::start(store).await;
        let client = stack.client();
        let fleet = Fleet::start(&stack.base_url(), 2, 1).await;
        let admin = AdminClient::login(&client).await;

        let login = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        let service = client.token_client_credentials(SERVICE_A, SERVICE_A_SECRET, None).await;
        let doomed = [("alice's access token", login.access_token()), ("service-a's token", service.access_token())];
        let kid = kid_of(login.access_token());
        let keys = list_keys(&admin).await;
        assert_eq!(active(&keys).kid, kid, "tokens are signed by the active key: {keys:?}");
        for (what, token) in doomed {
            assert_eq!(kid_of(token), kid, "{what}");
            fleet.assert_all_accept(token, &format!("{what} before the key revocation")).await;
        }

        let unknown = admin.request(Method::POST, &format!("{KEYS_PATH}/no-such-kid/revoke"), None).await;
        assert_eq!(unknown.status, 404, "revoking an unknown kid: {unknown:?}");
        let revoked = admin.request(Method::POST, &format!("{KEYS_PATH}/{kid}/revoke"), None).await;
        let after = parse_keys(&revoked);
        assert!(find(&after, &kid).is_none(), "the revoked key is gone from the answer: {after:?}");
        let successor = active(&after).kid.clone();
        assert_ne!(successor, kid);

        for (what, token) in doomed {
            fleet.await_all_refuse(token, &format!("{what} after its key was revoked"), REVOCATION_DEADLINE).await;
        }
        let jwks = Jwks::fetch(&client).await;
        assert!(jwks.key(&kid).is_none(), "the revoked key {kid} is still published: {:?}", jwks.kids());
        assert!(jwks.key(&successor).is_some(), "the new active key {successor} is published: {:?}", jwks.kids());

        // Everything else the key signed is dead too: the session's refresh token and
        // the admin token used for the revocation.
        let refreshed = client.token_refresh(WEB_APP, login.refresh_token()).await;
        assert_oauth_error(&refreshed, 400, "invalid_grant");
        let stale_admin = admin.request(Method::GET, KEYS_PATH, None).await;
        assert_eq!(stale_admin.status, 401, "an admin token signed by the revoked key: {stale_admin:?}");

        let relogin = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        let new_kid = kid_of(relogin.access_token());
        assert_eq!(new_kid, successor, "a new login is signed by the new active key");
        fleet.assert_all_accept(relogin.access_token(), "a login after the key revocation").await;
        let service = client.token_client_credentials(SERVICE_A, SERVICE_A_SECRET, None).await;
        fleet.assert_all_accept(service.access_token(), "a service token after the key revocation").await;

        let admin = AdminClient::login(&client).await;
        let keys = list_keys(&admin).await;
        assert!(find(&keys, &kid).is_none(), "the revoked key is not listed: {keys:?}");
        assert_eq!(active(&keys).kid, successor, "{keys:?}");
        // The admin API's own gate: a request without a token is still refused.
        let anonymous = admin_request(&client, Method::GET, KEYS_PATH, None, None).await;
        assert_eq!(anonymous.status, 401, "{anonymous:?}");
    }
}
