//! Each cause of revocation reaches every resource server: three in local
//! mode (the push feed) and one in introspection mode (its cache dropped by the same
//! feed). Each test first shows every server accepting the doomed tokens, so it fails
//! if a revocation does not arrive, and that a bystander's token is untouched after.
//!
//! ```text
//! AuthStack ─► Fleet::start(3 local, 1 introspect)
//! alice logs in twice, bob once; Cause::prepare picks the doomed tokens
//! Fleet::assert_all_accept(doomed, bystanders) ─► Cause::revoke
//!   ─► Fleet::await_all_refuse(doomed) ─► Fleet::assert_all_accept(bystanders)
//! ```

use tests::bootstrap::*;
use tests::fleet::REVOCATION_DEADLINE;
use tests::{AdminClient, AuthStack, ClientAuth, Fleet, OAuthClient, Reply, Store};

use crate::support::*;

/// How many resource servers of each mode follow the auth server.
const LOCAL_SERVERS: usize = 3;
const INTROSPECTION_SERVERS: usize = 1;

#[derive(Clone, Copy, Debug)]
enum Cause {
    /// RFC 7009 on an access token: that token only.
    RevokeAccessToken,
    /// RFC 7009 on a refresh token: its whole session.
    RevokeRefreshToken,
    /// A rotated refresh token presented again: its whole session (RFC 9700 §4.14.2).
    RefreshTokenReuse,
    /// `PUT /admin/users/{u}/password`: every session and token of the user.
    PasswordChange,
    /// `DELETE /admin/users/{u}/sessions`.
    RevokeAllSessions,
    /// `PATCH /admin/users/{u}` `{"disabled": true}`.
    DisableUser,
}

/// A login of alice as the cause will find it.
struct Session {
    login: Reply,
    /// The access tokens the cause must revoke.
    doomed: Vec<String>,
    /// A rotated-away refresh token, for [`Cause::RefreshTokenReuse`].
    used_refresh_token: Option<String>,
}

impl Cause {
    /// Whether alice's other sessions survive.
    fn spares_other_sessions(self) -> bool {
        matches!(self, Cause::RevokeAccessToken | Cause::RevokeRefreshToken | Cause::RefreshTokenReuse)
    }

    async fn prepare(self, client: &OAuthClient) -> Session {
        let login = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        let mut doomed = vec![login.access_token().to_owned()];
        if let Cause::RefreshTokenReuse = self {
            // Rotate once: both access tokens belong to the session the reuse ends.
            let rotated = client.token_refresh(WEB_APP, login.refresh_token()).await;
            doomed.push(rotated.access_token().to_owned());
            let used = login.refresh_token().to_owned();
            return Session { login: rotated, doomed, used_refresh_token: Some(used) };
        }
        Session { login, doomed, used_refresh_token: None }
    }

    async fn revoke(self, client: &OAuthClient, admin: &AdminClient, session: &Session) {
        let reply = match self {
            Cause::RevokeAccessToken => client.revoke(&session.doomed[0], ClientAuth::Public(WEB_APP)).await,
            Cause::RevokeRefreshToken => {
                client.revoke(session.login.refresh_token(), ClientAuth::Public(WEB_APP)).await
            }
            Cause::RefreshTokenReuse => {
                let used = session.used_refresh_token.as_deref().expect("a used refresh token");
                let reuse = client.token_refresh(WEB_APP, used).await;
                assert_oauth_error(&reuse, 400, "invalid_grant");
                return;
            }
            Cause::PasswordChange => admin.set_password(ALICE, "a-brand-new-password-789").await,
            Cause::RevokeAllSessions => admin.revoke_sessions(ALICE).await,
            Cause::DisableUser => admin.disable_user(ALICE).await,
        };
        assert!((200..300).contains(&reply.status), "{self:?}: {reply:?}");
    }
}

async fn reaches_every_resource_server(store: Store, cause: Cause) {
    let _heavy = tests::heavy::shared().await;
    let stack = AuthStack::start(store).await;
    let client = stack.client();
    let fleet = Fleet::start(&stack.base_url(), LOCAL_SERVERS, INTROSPECTION_SERVERS).await;
    let admin = AdminClient::login(&client).await;

    let session = cause.prepare(&client).await;
    let other_session = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
    let bob = client.token_password(WEB_APP, BOB, BOB_PASSWORD, None).await;
    let service = client.token_client_credentials(SERVICE_A, SERVICE_A_SECRET, None).await;
    let bystanders = [("bob's token", bob.access_token()), ("a service token", service.access_token())];
    for (index, token) in session.doomed.iter().enumerate() {
        fleet.assert_all_accept(token, &format!("doomed token {index} before {cause:?}")).await;
    }
    fleet.assert_all_accept(other_session.access_token(), "alice's other session").await;
    for (what, token) in bystanders {
        fleet.assert_all_accept(token, what).await;
    }

    cause.revoke(&client, &admin, &session).await;

    for (index, token) in session.doomed.iter().enumerate() {
        fleet.await_all_refuse(token, &format!("doomed token {index} after {cause:?}"), REVOCATION_DEADLINE).await;
    }
    if cause.spares_other_sessions() {
        fleet.assert_all_accept(other_session.access_token(), "alice's other session").await;
    } else {
        fleet.await_all_refuse(other_session.access_token(), "alice's other session", REVOCATION_DEADLINE).await;
    }
    for (what, token) in bystanders {
        fleet.assert_all_accept(token, &format!("{what} after {cause:?}")).await;
    }
    if let Cause::PasswordChange = cause {
        // Tokens issued after the change are not covered by it.
        let fresh = client.token_password(WEB_APP, ALICE, "a-brand-new-password-789", None).await;
        fleet.assert_all_accept(fresh.access_token(), "a login with the new password").await;
        let old = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        assert_oauth_error(&old, 400, "invalid_grant");
    }
}

on_three_stores! {
    async fn rfc_7009_on_an_access_token(store: Store) {
        reaches_every_resource_server(store, Cause::RevokeAccessToken).await
    }
}

on_three_stores! {
    async fn rfc_7009_on_a_refresh_token(store: Store) {
        reaches_every_resource_server(store, Cause::RevokeRefreshToken).await
    }
}

on_three_stores! {
    async fn refresh_token_reuse(store: Store) {
        reaches_every_resource_server(store, Cause::RefreshTokenReuse).await
    }
}

on_three_stores! {
    async fn password_change(store: Store) {
        reaches_every_resource_server(store, Cause::PasswordChange).await
    }
}

on_three_stores! {
    async fn admin_revokes_all_sessions(store: Store) {
        reaches_every_resource_server(store, Cause::RevokeAllSessions).await
    }
}

on_three_stores! {
    async fn disabled_user(store: Store) {
        reaches_every_resource_server(store, Cause::DisableUser).await
    }
}
