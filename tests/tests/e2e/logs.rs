//! Tokens, passwords and secrets never reach a log line.
//!
//! The scan must see everything the requests logged, at debug level: before scanning,
//! the log is polled (with a deadline) until it shows the INFO line of the last token
//! request (the refusal of a reused refresh token, after its reuse warning) and the
//! DEBUG line of a final refused admin request, which proves debug logging is on. At
//! that level the debug spans of store calls and signatures log their timing too.

use std::time::Duration;

use tests::bootstrap::*;
use tests::{poll_until, AdminClient, AuthStack, Store};

use crate::support::*;

/// How long the log may take to show the last requests' lines.
const LOG_DEADLINE: Duration = Duration::from_secs(10);
/// An account that does not exist: the admin API refuses it with 404, logged at debug.
const NO_SUCH_USER: &str = "no-such-user-42";

/// Whether `log` holds the lines of the last requests, in order: the reused refresh
/// token's warning, its INFO refusal, then the DEBUG refusal of the admin request.
fn holds_the_last_requests(log: &str) -> bool {
    let lines: Vec<&str> = log.lines().collect();
    let Some(reuse) = lines.iter().rposition(|l| l.contains("WARN") && l.contains("refresh token reuse")) else {
        return false;
    };
    let Some(refused) = lines[reuse..]
        .iter()
        .position(|l| l.contains("INFO") && l.contains("request refused") && l.contains("refresh token reuse"))
    else {
        return false;
    };
    lines[reuse + refused..].iter().any(|l| l.contains("DEBUG") && l.contains("admin request refused"))
}

on_both_stores! {
    async fn secrets_and_tokens_never_reach_the_log(store: Store) {
        let stack = AuthStack::start_with(store, |o| o.env("RUST_LOG", "debug")).await;
        let client = stack.client();
        let login = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        let refreshed = client.token_refresh(WEB_APP, login.refresh_token()).await;
        let service = client.token_client_credentials(SERVICE_A, SERVICE_A_SECRET, None).await;
        client.token_password(WEB_APP, ALICE, "a-wrong-password-42", None).await;
        client.token_client_credentials(SERVICE_A, "a-wrong-secret-42", None).await;
        // The last token request: a reused refresh token, refused (and its session revoked).
        let reused = client.token_refresh(WEB_APP, login.refresh_token()).await;
        assert_oauth_error(&reused, 400, "invalid_grant");
        // Then one request refused at debug level: an admin request for an unknown user.
        let admin = AdminClient::login(&client).await;
        let unknown = admin.sessions(NO_SUCH_USER).await;
        assert_eq!(unknown.status, 404, "an unknown user: {unknown:?}");

        let auth = &stack.auth;
        let log = poll_until(LOG_DEADLINE, "the log to show the last requests' INFO and DEBUG lines", || async move {
            let log = auth.log();
            holds_the_last_requests(&log).then_some(log)
        })
        .await;
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
        // At debug level, the store calls, signatures and password checks are timed,
        // each line inside its request's span.
        for span in ["store.rotate_refresh", "store.create_session", "jws.sign_rs256", "password.verify"] {
            let timed = |line: &str| {
                line.contains("request{request_id=")
                    && line.contains(&format!("span closed span=\"{span}\" elapsed_us="))
            };
            assert!(log.lines().any(timed), "no timing of {span} in the log:\n{log}");
        }
    }
}
