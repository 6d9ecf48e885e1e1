//! Settings, each an environment variable with a default fit for local development
//! (the contract's table). `--help` lists them all.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

use crate::secret::SecretString;

#[derive(Debug, Clone, Parser)]
#[command(name = "auth-server", version, about = "OAuth 2.0 authorization server (RS256 JWT access tokens)")]
pub struct Settings {
    /// Listen address; port 0 picks a free port (the bound address is logged).
    #[arg(long, env = "AUTH_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// `iss` of every token and the metadata `issuer`, without trailing slash.
    /// Default: `http://<bound address>`.
    #[arg(long, env = "AUTH_ISSUER")]
    pub issuer: Option<String>,

    /// Redis URL; unset means the embedded in-memory store (nothing survives a restart).
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<SecretString>,

    /// 32 random bytes, base64url: encrypts the private signing keys kept in Redis.
    #[arg(long, env = "AUTH_KEY_ENCRYPTION_KEY", hide_env_values = true)]
    pub key_encryption_key: Option<SecretString>,

    /// The previous key-encryption key, while changing `AUTH_KEY_ENCRYPTION_KEY`: keys
    /// still encrypted under it are read with it and re-saved under the current one.
    /// Set new + previous, restart every replica, then drop this.
    #[arg(long, env = "AUTH_KEY_ENCRYPTION_KEY_PREVIOUS", hide_env_values = true)]
    pub key_encryption_key_previous: Option<SecretString>,

    /// Seconds a signing key stays active before the next one takes over (automatic
    /// rotation). The next key is published `AUTH_JWKS_MAX_AGE` + 90 s before that.
    #[arg(long, env = "AUTH_KEY_ROTATION_INTERVAL", default_value_t = 2_592_000, value_parser = clap::value_parser!(i64).range(1..))]
    pub key_rotation_interval: i64,

    /// Seconds between re-reads of the signing key set on each replica (and lifecycle
    /// ticks). Part of the pre-publication lead and of the retention.
    #[arg(long, env = "AUTH_KEY_REFRESH_INTERVAL", default_value_t = 30, value_parser = clap::value_parser!(i64).range(1..=3600))]
    pub key_refresh_interval: i64,

    /// Clock skew tolerated between servers, seconds: added to the key lead and
    /// retention.
    #[arg(long, env = "AUTH_CLOCK_SKEW", default_value_t = 60, value_parser = clap::value_parser!(i64).range(0..=3600))]
    pub clock_skew: i64,

    /// TOML file of users and clients, applied idempotently at start-up.
    #[arg(long, env = "AUTH_BOOTSTRAP")]
    pub bootstrap: Option<PathBuf>,

    /// Access token lifetime, seconds.
    #[arg(long, env = "AUTH_ACCESS_TTL", default_value_t = 300, value_parser = clap::value_parser!(i64).range(1..))]
    pub access_ttl: i64,

    /// A refresh token unused this long expires; each refresh renews the window.
    #[arg(long, env = "AUTH_REFRESH_IDLE_TTL", default_value_t = 86_400, value_parser = clap::value_parser!(i64).range(1..))]
    pub refresh_idle_ttl: i64,

    /// Absolute session lifetime from login; no refresh extends past it.
    #[arg(long, env = "AUTH_REFRESH_MAX_TTL", default_value_t = 2_592_000, value_parser = clap::value_parser!(i64).range(1..))]
    pub refresh_max_ttl: i64,

    /// Seconds after a rotation in which the replaced refresh token yields the same
    /// successor instead of counting as reuse. 0 turns the window off.
    #[arg(long, env = "AUTH_REFRESH_REUSE_GRACE", default_value_t = 0, value_parser = clap::value_parser!(i64).range(0..=300))]
    pub refresh_reuse_grace: i64,

    /// `max-age` of the JWKS response, seconds. A new signing key is published at
    /// least this long (+ 90 s) before it signs.
    #[arg(long, env = "AUTH_JWKS_MAX_AGE", default_value_t = 300, value_parser = clap::value_parser!(i64).range(0..=86_400))]
    pub jwks_max_age: i64,

    /// Password verifications running at once (Argon2id is memory- and CPU-bound).
    /// Default: the number of CPUs.
    #[arg(long, env = "AUTH_PASSWORD_CONCURRENCY")]
    pub password_concurrency: Option<usize>,

    /// Password-grant attempts allowed per username per minute (per replica), against
    /// password guessing.
    #[arg(long, env = "AUTH_LOGIN_ATTEMPTS_PER_MINUTE", default_value_t = std::num::NonZeroU32::new(10).expect("non-zero"))]
    pub login_attempts_per_minute: std::num::NonZeroU32,

    /// Log format: `text` or `json`.
    #[arg(long, env = "LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,
}

impl Settings {
    /// The issuer once the listen address is known. A trailing slash is dropped so
    /// `iss` compares equal however the operator wrote it.
    pub fn issuer_for(&self, bound: SocketAddr) -> String {
        match &self.issuer {
            Some(issuer) => issuer.trim_end_matches('/').to_owned(),
            None => format!("http://{bound}"),
        }
    }
}
