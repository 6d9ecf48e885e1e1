//! The password grant (RFC 6749 §4.3): the first sequence of credentials → tokens →
//! signature and claims verified against the published JWKS, and the scope rules.

use tests::bootstrap::*;
use tests::jwks::decode_unverified;
use tests::{AuthOptions, AuthServer, AuthStack, Jwks, OAuthClient, Store};

use crate::support::*;

const TTL: i64 = 120;

on_three_stores! {
    /// Login, then verify both tokens the way a relying party would.
    async fn first_sequence_tokens_verify_against_the_jwks(store: Store) {
        let stack = AuthStack::start_with(store, |o| o.env("AUTH_ACCESS_TTL", TTL.to_string())).await;
        let client = stack.client();
        let issuer = stack.base_url();
        let before = now();
        let reply = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        let after = now();
        assert_token_response(&reply, TTL);

        let expected = ExpectedAccess {
            issuer: &issuer,
            sub: ALICE,
            client_id: WEB_APP,
            audience: DOCUMENTS_AUDIENCE,
            scope: "documents:read documents:write",
            user: true,
            ttl: TTL,
        };
        let access = assert_access_token(&client, reply.access_token(), &expected, (before, after)).await;
        let jwks = Jwks::fetch(&client).await;
        assert!(jwks.key(access.header_str("kid").expect("kid")).is_some());

        // The refresh token is a signed JWS too, but never an access token.
        let refresh = jwks.verify(reply.refresh_token()).unwrap_or_else(|e| panic!("refresh token: {e}"));
        let typ = refresh.header_str("typ").expect("refresh token has a typ");
        assert!(!typ.eq_ignore_ascii_case("at+jwt") && !typ.eq_ignore_ascii_case("application/at+jwt"), "typ {typ}");
        assert_eq!(refresh.header_str("alg"), Some("RS256"));
        assert_eq!(audiences(&refresh.claims), [issuer.as_str()], "refresh aud: {:?}", refresh.claims);
    }
}

on_both_stores! {
    /// Every login is its own session with its own token ids.
    async fn each_login_gets_its_own_session_and_token_id(store: Store) {
        let stack = AuthStack::start(store).await;
        let client = stack.client();
        let first = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        let second = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        let (_, first) = decode_unverified(first.access_token()).expect("a JWS");
        let (_, second) = decode_unverified(second.access_token()).expect("a JWS");
        assert_ne!(first["jti"], second["jti"]);
        assert_ne!(first["sid"], second["sid"]);
    }
}

/// The granted scope: the claim, and the response `scope`, which RFC 6749 §5.1 requires
/// whenever it differs from the request.
async fn granted_scope(client: &OAuthClient, user: &str, password: &str, scope: Option<&str>) -> String {
    let reply = client.token_password(WEB_APP, user, password, scope).await;
    let (_, claims) = decode_unverified(reply.access_token()).expect("a JWS");
    let granted = claims["scope"].as_str().expect("a scope claim").to_owned();
    match reply.json.get("scope").and_then(|s| s.as_str()) {
        Some(answered) => assert_eq!(scopes(answered), scopes(&granted), "response scope vs claim"),
        None => assert_eq!(scope.map(scopes), Some(scopes(&granted)), "scope must be in the response: {reply:?}"),
    }
    granted
}

#[tokio::test]
async fn a_requested_subset_is_granted_exactly() {
    let auth = AuthServer::start(AuthOptions::embedded()).await;
    let client = OAuthClient::new(auth.base_url());
    let granted = granted_scope(&client, ALICE, ALICE_PASSWORD, Some(READ)).await;
    assert_eq!(scopes(&granted), scopes(READ));
    let granted = granted_scope(&client, ALICE, ALICE_PASSWORD, Some("documents:write documents:read")).await;
    assert_eq!(scopes(&granted), scopes("documents:read documents:write"));
}

#[tokio::test]
async fn no_scope_grants_the_clients_scopes_narrowed_to_the_user() {
    let auth = AuthServer::start(AuthOptions::embedded()).await;
    let client = OAuthClient::new(auth.base_url());
    let alice = granted_scope(&client, ALICE, ALICE_PASSWORD, None).await;
    assert_eq!(scopes(&alice), scopes("documents:read documents:write"));
    let bob = granted_scope(&client, BOB, BOB_PASSWORD, None).await;
    assert_eq!(scopes(&bob), scopes(READ));
}

#[tokio::test]
async fn a_scope_outside_the_client_or_the_user_is_invalid_scope() {
    let auth = AuthServer::start(AuthOptions::embedded()).await;
    let client = OAuthClient::new(auth.base_url());
    for (user, password, scope) in [
        (ALICE, ALICE_PASSWORD, "documents:read unknown:scope"),
        (ALICE, ALICE_PASSWORD, "admin"),
        (BOB, BOB_PASSWORD, WRITE),
        (BOB, BOB_PASSWORD, "documents:read documents:write"),
    ] {
        let reply = client.token_password(WEB_APP, user, password, Some(scope)).await;
        assert_oauth_error(&reply, 400, "invalid_scope");
    }
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_invalid_grant() {
    let auth = AuthServer::start(AuthOptions::embedded()).await;
    let client = OAuthClient::new(auth.base_url());
    let wrong_password = client.token_password(WEB_APP, ALICE, "not-alices-password", None).await;
    let unknown_user = client.token_password(WEB_APP, "mallory", "not-alices-password", None).await;
    assert_oauth_error(&wrong_password, 400, "invalid_grant");
    assert_oauth_error(&unknown_user, 400, "invalid_grant");
    assert_eq!(wrong_password.body, unknown_user.body, "the answers must not tell users apart");
}
