//! Start-up: settings that must stop the server with a clear error, and what it keeps
//! in Redis.

use tests::auth::random_key;
use tests::bootstrap::*;
use tests::{AuthOptions, AuthServer, AuthStack, RedisServer, ResourceOptions, ResourceServer, Store};

#[tokio::test]
async fn redis_without_a_key_encryption_key_refuses_to_start() {
    let redis = RedisServer::start().await;
    let log = AuthServer::start_failure(AuthOptions::redis(&redis).without_env("AUTH_KEY_ENCRYPTION_KEY")).await;
    assert!(log.contains("AUTH_KEY_ENCRYPTION_KEY"), "the error names the setting:\n{log}");
}

#[tokio::test]
async fn a_malformed_key_encryption_key_refuses_to_start() {
    let redis = RedisServer::start().await;
    let short = &random_key()[..20];
    for key in ["not base64!", short] {
        let log = AuthServer::start_failure(AuthOptions::redis(&redis).env("AUTH_KEY_ENCRYPTION_KEY", key)).await;
        assert!(log.contains("AUTH_KEY_ENCRYPTION_KEY"), "the error names the setting:\n{log}");
        assert!(!log.contains(key), "the error does not print the key:\n{log}");
    }
}

/// The Redis URL's password stays out of the log when the store cannot be reached or
/// refuses it, while the cause is still told.
#[tokio::test]
async fn an_unreachable_or_refusing_redis_is_reported_without_the_urls_password() {
    const PASSWORD: &str = "pw-that-must-not-be-logged";
    let redis = RedisServer::start().await;
    let nobody = format!("redis://:{PASSWORD}@127.0.0.1:{}", tests::ports::free_port());
    let refusing = format!("redis://:{PASSWORD}@127.0.0.1:{}", redis.port());
    for url in [nobody, refusing] {
        let log = AuthServer::start_failure(AuthOptions::redis(&redis).env("REDIS_URL", &url)).await;
        assert!(log.contains("store unavailable: "), "the error says why, with its cause:\n{log}");
        assert!(!log.contains(PASSWORD), "the error does not print the password:\n{log}");
    }
}

#[tokio::test]
async fn a_bad_bootstrap_file_is_rejected_with_file_and_line() {
    let toml = "[[users]]\nusername = \"carol\"\npassword = = \"oops\"\n".to_owned();
    let options = AuthOptions::embedded().bootstrap(Some(toml));
    let log = AuthServer::start_failure(options).await;
    assert!(log.contains("bootstrap.toml"), "the error names the file:\n{log}");
    assert!(log.contains("line 3"), "the error names the line:\n{log}");
}

#[tokio::test]
async fn the_embedded_store_warns_that_nothing_survives_a_restart() {
    let auth = AuthServer::start(AuthOptions::embedded().bootstrap(None)).await;
    let log = auth.log();
    assert!(
        log.lines().any(|line| line.contains("WARN") && line.contains("nothing survives a restart")),
        "a start-up warning that nothing survives a restart:\n{log}"
    );
}

#[tokio::test]
async fn the_signing_key_is_encrypted_at_rest_in_redis() {
    let stack = AuthStack::start(Store::Redis).await;
    let login = stack.client().token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
    assert_eq!(login.status, 200, "{login:?}");
    let redis = stack.redis.as_ref().expect("a redis");
    assert_eq!(redis.command(&["SAVE"]).await, "+OK\r\n");
    let dump = std::fs::read(redis.dir().join("dump.rdb")).expect("redis wrote dump.rdb");
    let dump = String::from_utf8_lossy(&dump);
    // PEM, PKCS#8 and PKCS#1 DER (base64) openings, and the JWK private exponent.
    for plain in ["PRIVATE KEY", "QIBADANBgkqhkiG9w0BAQEFAASC", "IBAAKCAQEA", "\"d\":\"", "\"d\": \""] {
        assert!(!dump.contains(plain), "Redis holds a plain private key ({plain:?} found)");
    }
}

/// Lifetimes beyond their bounds (a day for access tokens, a year for sessions) stop
/// the server with a message naming the setting, rather than overflowing `now + ttl`
/// into tokens born expired.
#[tokio::test]
async fn out_of_range_lifetimes_refuse_to_start() {
    for (var, value) in [
        ("AUTH_ACCESS_TTL", "86401"),
        ("AUTH_ACCESS_TTL", "9223372036854775807"),
        ("AUTH_REFRESH_IDLE_TTL", "31536001"),
        ("AUTH_REFRESH_MAX_TTL", "9223372036854775807"),
        ("AUTH_KEY_ROTATION_INTERVAL", "9223372036854775807"),
    ] {
        let log = AuthServer::start_failure(AuthOptions::embedded().bootstrap(None).env(var, value)).await;
        assert!(log.contains(&format!("{var} is invalid")), "the error names {var}:\n{log}");
        assert!(log.contains("is not in 1..="), "the error gives the range:\n{log}");
    }
}

/// The resource server bounds `RS_REVOCATION_MAX_STALENESS` the same way.
#[tokio::test]
async fn an_out_of_range_staleness_bound_refuses_to_start() {
    for value in ["0", "86401", "18446744073709551615"] {
        let auth_url = format!("http://127.0.0.1:{}", tests::ports::free_port());
        let options = ResourceOptions::new(auth_url).env("RS_REVOCATION_MAX_STALENESS", value);
        let log = ResourceServer::start_failure(options).await;
        assert!(log.contains("RS_REVOCATION_MAX_STALENESS is invalid"), "the error names the setting:\n{log}");
    }
}

#[tokio::test]
async fn counters_are_on_the_ops_listener_and_not_on_the_public_one() {
    let auth = AuthServer::start(AuthOptions::embedded()).await;
    let public = tests::OAuthClient::new(auth.base_url());
    let ops = tests::OAuthClient::new(auth.ops_url());
    assert_eq!(public.get("/metrics").await.status, 404, "the public port shows no counters");
    let metrics = ops.get("/metrics").await;
    assert_eq!(metrics.status, 200, "{metrics:?}");
    assert!(metrics.text().contains("auth_http_requests_total"), "{}", metrics.text());
    for path in ["/healthz", "/readyz"] {
        assert_eq!(public.get(path).await.status, 200, "public {path}");
        assert_eq!(ops.get(path).await.status, 200, "ops {path}");
    }
    assert_ne!(auth.ops_url(), auth.base_url());
}
