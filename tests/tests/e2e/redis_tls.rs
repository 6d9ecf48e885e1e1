//! The auth server on Redis over TLS (`rediss://`): the server's certificate is
//! verified against the trust store OpenSSL is given (`SSL_CERT_FILE`, here the CA
//! made for the test), so a server that trusts another CA refuses to start and says
//! why; one that does starts, and issues and refreshes tokens. On one node and on a
//! cluster, whose every link is TLS.

use std::sync::Arc;

use tests::bootstrap::*;
use tests::{AuthOptions, AuthServer, AuthStack, RedisCluster, RedisServer, Store, TlsFiles};

/// How many starts may end in a timeout before one reaches the certificate check.
const ATTEMPTS: usize = 5;

/// A server on `options` (a TLS Redis or cluster) trusting another CA only refuses to
/// start because the certificate does not verify, and says so. The store's connection
/// timeout (300 ms) includes the TLS handshake, which a loaded machine can exceed:
/// such a start fails with `timed out`, which proves nothing about the check, and is
/// tried again.
///
/// The other CA stands for "not trusted": with no `SSL_CERT_FILE` at all the system's
/// bundle is read on every connection, which on a loaded machine alone outlasts the
/// connection timeout.
async fn assert_refused_for_the_certificate(options: AuthOptions) {
    let stranger = TlsFiles::generate();
    let options = options.env("SSL_CERT_FILE", stranger.ca_file().display().to_string());
    let mut timed_out = Vec::new();
    for _ in 0..ATTEMPTS {
        let log = AuthServer::start_failure(options.clone()).await;
        assert!(log.contains("store unavailable"), "the error says the store is unavailable:\n{log}");
        if log.contains("certificate verify failed") {
            return;
        }
        assert!(log.contains("timed out"), "the error names the certificate check:\n{log}");
        timed_out.push(log);
    }
    panic!("{ATTEMPTS} starts timed out before the certificate check:\n{}", timed_out.join("\n"));
}

#[tokio::test]
async fn a_redis_certificate_from_an_untrusted_ca_stops_the_start_with_a_clear_error() {
    let tls = Arc::new(TlsFiles::generate());
    let redis = RedisServer::start_tls(&tls).await;
    assert_refused_for_the_certificate(AuthOptions::redis(&redis)).await;
}

#[tokio::test]
async fn a_redis_cluster_certificate_from_an_untrusted_ca_stops_the_start_with_a_clear_error() {
    let tls = Arc::new(TlsFiles::generate());
    let cluster = RedisCluster::start_tls(&tls).await;
    assert_refused_for_the_certificate(AuthOptions::redis_cluster(&cluster)).await;
}

on_stores! {
    [redis_tls: RedisTls, redis_cluster_tls: RedisClusterTls]
    /// Trusting the CA, the server starts, issues tokens and rotates a refresh token.
    async fn a_trusted_tls_redis_serves_logins_and_refreshes(store: Store) {
        let stack = AuthStack::start(store).await;
        let client = stack.client();
        let login = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        assert_eq!(login.status, 200, "{login:?}");
        let refreshed = client.token_refresh(WEB_APP, login.refresh_token()).await;
        assert_eq!(refreshed.status, 200, "{refreshed:?}");
    }
}
