//! Tokens, passwords and secrets never reach a log line.

use tests::bootstrap::*;
use tests::{AuthStack, Store};

on_both_stores! {
    async fn secrets_and_tokens_never_reach_the_log(store: Store) {
        let stack = AuthStack::start_with(store, |o| o.env("RUST_LOG", "debug")).await;
        let client = stack.client();
        let login = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        let refreshed = client.token_refresh(WEB_APP, login.refresh_token()).await;
        let service = client.token_client_credentials(SERVICE_A, SERVICE_A_SECRET, None).await;
        client.token_password(WEB_APP, ALICE, "a-wrong-password-42", None).await;
        client.token_client_credentials(SERVICE_A, "a-wrong-secret-42", None).await;
        client.token_refresh(WEB_APP, login.refresh_token()).await;

        let log = stack.auth.log();
        let secrets = [
            ALICE_PASSWORD, BOB_PASSWORD, "a-wrong-password-42", SERVICE_A_SECRET, "a-wrong-secret-42",
            OPS_SECRET, DOCUMENTS_API_SECRET, PARTNER_SECRET,
            login.access_token(), login.refresh_token(), refreshed.access_token(), refreshed.refresh_token(),
            service.access_token(),
        ];
        for secret in secrets {
            let signature = secret.rsplit('.').next().unwrap_or(secret);
            assert!(!log.contains(signature), "the log holds a secret or token ({}...)", &secret[..8]);
        }
    }
}
