//! RFC 8725 attack tokens and tokens for another audience: every one 401
//! `invalid_token` in both verification modes.

use tests::api::{DOCUMENTS_PATH, ME_PATH};
use tests::attacks::attack_tokens;
use tests::bootstrap::*;
use tests::{ApiStack, Credentials, Jwks, Verify};

use crate::support::*;

on_both_modes! {
    /// `alg: none`, HS256 keyed with our public key, a foreign key under our `kid`, an
    /// unknown `kid`, an embedded `jwk`, a `jku`, a refresh token, one flipped byte in
    /// each part, changed claims: all refused, while the genuine token they were made
    /// from is accepted before and after.
    async fn attack_tokens_are_invalid_token(verify: Verify) {
        let api = ApiStack::start(verify).await;
        let login = api.client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        let genuine = Credentials::Bearer(login.access_token());
        assert_eq!(api.api.me(genuine).await.status, 200, "the genuine token is accepted");

        let jwks = Jwks::fetch(&api.client).await;
        for attack in attack_tokens(login.access_token(), login.refresh_token(), &jwks) {
            let forged = Credentials::Bearer(&attack.token);
            let me = api.api.me(forged).await;
            assert_bearer_refusal(&me, INVALID_TOKEN, &format!("{} on {ME_PATH}", attack.name));
            let documents = api.api.documents(forged).await;
            assert_bearer_refusal(&documents, INVALID_TOKEN, &format!("{} on {DOCUMENTS_PATH}", attack.name));
        }

        let me = api.api.me(genuine).await;
        assert_eq!((me.status, me.str("sub")), (200, ALICE), "the genuine token still works: {me:?}");
    }
}

on_both_modes! {
    /// Genuine tokens of our issuer, signed by our key, but for another `aud`: a
    /// service's token for `other-api`, and the `ops` token whose `aud` is the issuer.
    async fn tokens_for_another_audience_are_invalid_token(verify: Verify) {
        let api = ApiStack::start(verify).await;
        let other = api.client.token_client_credentials(OTHER_SERVICE, OTHER_SERVICE_SECRET, None).await;
        let ops = api.client.token_client_credentials(OPS, OPS_SECRET, None).await;
        let jwks = Jwks::fetch(&api.client).await;
        let issuer = api.stack.issuer();
        for (who, token, audience) in
            [("other-service", other.access_token(), OTHER_AUDIENCE), ("ops", ops.access_token(), issuer.as_str())]
        {
            // Genuine and current: only the audience is wrong.
            let jws = jwks.verify(token).unwrap_or_else(|e| panic!("{who}'s token does not verify: {e}"));
            assert_eq!(audiences(&jws.claims), [audience], "{who}: {:?}", jws.claims);
            let reply = api.api.me(Credentials::Bearer(token)).await;
            assert_bearer_refusal(&reply, INVALID_TOKEN, &format!("{who}'s token (aud {audience})"));
        }
        let service = api.client.token_client_credentials(SERVICE_A, SERVICE_A_SECRET, None).await;
        let reply = api.api.me(Credentials::Bearer(service.access_token())).await;
        assert_eq!(reply.status, 200, "a service token for documents-api is accepted: {reply:?}");
    }
}
