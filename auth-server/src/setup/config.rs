//! Settings, each an environment variable with a default fit for local development
//! (the README's settings table). `--help` lists them all.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

use shared_claims::Secret;

/// The longest access token lifetime accepted, seconds (a day).
pub const MAX_ACCESS_TTL: i64 = 86_400;
/// The longest session, idle window or key rotation interval accepted, seconds (a
/// year). Far below where `now + ttl` could overflow, so token times stay meaningful.
pub const MAX_LONG_TTL: i64 = 31_536_000;

/// Where the operational endpoints listen unless `AUTH_OPS_BIND` says otherwise.
pub const DEFAULT_OPS_BIND: &str = "127.0.0.1:9080";

#[derive(Debug, Clone, Parser)]
#[command(
    name = "auth-server",
    version,
    about = "OAuth 2.0 authorization server (RS256 JWT access tokens)",
    after_help = "The admin CLI: auth-server admin --help"
)]
pub struct Settings {
    /// Listen address; port 0 picks a free port (the bound address is logged).
    #[arg(long, env = "AUTH_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Listen address of the operational endpoints (`/metrics`, `/healthz`,
    /// `/readyz`), kept off the public listener; loopback by default.
    #[arg(long, env = "AUTH_OPS_BIND", default_value = DEFAULT_OPS_BIND)]
    pub ops_bind: SocketAddr,

    /// `iss` of every token and the metadata `issuer`, without trailing slash.
    /// Default: `http://<bound address>`.
    #[arg(long, env = "AUTH_ISSUER")]
    pub issuer: Option<String>,

    /// Redis URL (`redis://` or, with TLS, `rediss://`); unset (and no
    /// `REDIS_CLUSTER_URLS`) means the embedded in-memory store (nothing survives a restart).
    #[arg(long, env = "REDIS_URL", hide_env_values = true, conflicts_with = "redis_cluster_urls")]
    pub redis_url: Option<Secret>,

    /// Instead of `REDIS_URL`: comma-separated URLs of some nodes of a Redis Cluster
    /// (the others are discovered from them); the same data model, sharded by hash tag.
    #[arg(long, env = "REDIS_CLUSTER_URLS", hide_env_values = true)]
    pub redis_cluster_urls: Option<Secret>,

    /// Replicas that must hold a revocation before it is acknowledged (Redis `WAIT`),
    /// so a failover cannot lose it; fewer in time answer 503. Default: 1 with
    /// `REDIS_CLUSTER_URLS`, 0 with `REDIS_URL`.
    #[arg(long, env = "REDIS_WAIT_REPLICAS", value_parser = clap::value_parser!(u32).range(0..=16))]
    pub redis_wait_replicas: Option<u32>,

    /// 32 random bytes, base64url: encrypts the private signing keys kept in Redis.
    #[arg(long, env = "AUTH_KEY_ENCRYPTION_KEY", hide_env_values = true)]
    pub key_encryption_key: Option<Secret>,

    /// The previous key-encryption key, while changing `AUTH_KEY_ENCRYPTION_KEY`: keys
    /// still encrypted under it are read with it and re-saved under the current one.
    /// Set new + previous, restart every replica, then drop this.
    #[arg(long, env = "AUTH_KEY_ENCRYPTION_KEY_PREVIOUS", hide_env_values = true)]
    pub key_encryption_key_previous: Option<Secret>,

    /// Seconds a signing key stays active before the next one takes over (automatic
    /// rotation), at most a year. The next key is published `AUTH_JWKS_MAX_AGE` +
    /// `AUTH_KEY_REFRESH_INTERVAL` + `AUTH_CLOCK_SKEW` before that.
    #[arg(long, env = "AUTH_KEY_ROTATION_INTERVAL", default_value_t = 2_592_000, value_parser = clap::value_parser!(i64).range(1..=MAX_LONG_TTL))]
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

    /// Access token lifetime, seconds; at most a day (bearer tokens should be short-lived,
    /// RFC 6750 §5.3).
    #[arg(long, env = "AUTH_ACCESS_TTL", default_value_t = 300, value_parser = clap::value_parser!(i64).range(1..=MAX_ACCESS_TTL))]
    pub access_ttl: i64,

    /// A refresh token unused this long expires; each refresh renews the window. At most
    /// a year; a window longer than `AUTH_REFRESH_MAX_TTL` is cut to it.
    #[arg(long, env = "AUTH_REFRESH_IDLE_TTL", default_value_t = 86_400, value_parser = clap::value_parser!(i64).range(1..=MAX_LONG_TTL))]
    pub refresh_idle_ttl: i64,

    /// Absolute session lifetime from login, at most a year; no refresh extends past it.
    #[arg(long, env = "AUTH_REFRESH_MAX_TTL", default_value_t = 2_592_000, value_parser = clap::value_parser!(i64).range(1..=MAX_LONG_TTL))]
    pub refresh_max_ttl: i64,

    /// Seconds after a rotation in which the replaced refresh token yields the same
    /// successor instead of counting as reuse. 0 turns the window off.
    #[arg(long, env = "AUTH_REFRESH_REUSE_GRACE", default_value_t = 0, value_parser = clap::value_parser!(i64).range(0..=300))]
    pub refresh_reuse_grace: i64,

    /// Live sessions one user may hold with one client; a login beyond it ends the
    /// oldest (a normal session revocation, on the feed).
    #[arg(long, env = "AUTH_MAX_SESSIONS_PER_USER", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_sessions_per_user: u32,

    /// `max-age` of the JWKS response, seconds. A new signing key is published at
    /// least this long (+ `AUTH_KEY_REFRESH_INTERVAL` + `AUTH_CLOCK_SKEW`) before it
    /// signs.
    #[arg(long, env = "AUTH_JWKS_MAX_AGE", default_value_t = 300, value_parser = clap::value_parser!(i64).range(0..=86_400))]
    pub jwks_max_age: i64,

    /// Password verifications running at once (Argon2id is memory- and CPU-bound).
    /// Default: the number of CPUs.
    #[arg(long, env = "AUTH_PASSWORD_CONCURRENCY")]
    pub password_concurrency: Option<usize>,

    /// Failed password-grant attempts allowed per username per minute, against
    /// password guessing; past it, logins of that username are refused until the
    /// minute is over. A successful login resets the count. Shared by all replicas
    /// with Redis.
    #[arg(long, env = "AUTH_LOGIN_ATTEMPTS_PER_MINUTE", default_value_t = std::num::NonZeroU32::new(10).expect("non-zero"))]
    pub login_attempts_per_minute: std::num::NonZeroU32,

    /// Access tokens one session may revoke one by one per minute (per replica); past
    /// it, revoking one of its access tokens revokes the whole session. A client's
    /// tokens without a session have the same budget per client; past it, 503. Bounds
    /// the revocations in force, which every resource server holds.
    #[arg(long, env = "AUTH_REVOCATIONS_PER_MINUTE", default_value_t = std::num::NonZeroU32::new(crate::oauth::revocation_budget::REVOCATIONS_PER_MINUTE).expect("non-zero"))]
    pub revocations_per_minute: std::num::NonZeroU32,

    /// Failed password-grant attempts allowed per client address (IPv6: per /64) per
    /// minute, whatever usernames they name, against password spraying. Shared by all
    /// replicas with Redis.
    #[arg(long, env = "AUTH_LOGIN_ADDRESS_FAILURES_PER_MINUTE", default_value_t = std::num::NonZeroU32::new(100).expect("non-zero"))]
    pub login_address_failures_per_minute: std::num::NonZeroU32,

    /// Comma-separated addresses or CIDR ranges of proxies whose `X-Forwarded-For`
    /// names the client, for the per-address login limit. Unset: the socket's peer.
    #[arg(long, env = "AUTH_TRUSTED_PROXIES")]
    pub trusted_proxies: Option<server_kit::TrustedProxies>,

    /// Revocation feed streams one client may hold open at once (a fleet of resource
    /// servers sharing one client needs one each, plus a few reconnecting); past it,
    /// 503 with `Retry-After`.
    #[arg(long, env = "AUTH_FEED_MAX_STREAMS_PER_CLIENT", default_value_t = crate::oauth::stream_slots::DEFAULT_MAX_STREAMS_PER_CLIENT as u16, value_parser = clap::value_parser!(u16).range(1..))]
    pub feed_max_streams_per_client: u16,

    /// Log format: `text` or `json`.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t)]
    pub log_format: server_kit::LogFormat,
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

impl Settings {
    /// Parses the settings from the environment and arguments, or exits saying which
    /// variable is wrong.
    pub fn load() -> Self {
        server_kit::settings::load()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Settings, clap::Error> {
        Settings::try_parse_from(std::iter::once("auth-server").chain(args.iter().copied()))
    }

    #[test]
    fn every_setting_is_in_the_readme() {
        let missing = server_kit::settings::undocumented::<Settings>(include_str!("../../../README.md"));
        assert!(missing.is_empty(), "settings missing from README.md's tables: {missing:?}");
    }

    #[test]
    fn lifetimes_are_bounded() {
        for (flag, var, max) in [
            ("--access-ttl", "AUTH_ACCESS_TTL", MAX_ACCESS_TTL),
            ("--refresh-idle-ttl", "AUTH_REFRESH_IDLE_TTL", MAX_LONG_TTL),
            ("--refresh-max-ttl", "AUTH_REFRESH_MAX_TTL", MAX_LONG_TTL),
            ("--key-rotation-interval", "AUTH_KEY_ROTATION_INTERVAL", MAX_LONG_TTL),
        ] {
            assert!(parse(&[flag, &max.to_string()]).is_ok(), "{flag} {max}");
            for bad in [max + 1, i64::MAX, 0] {
                let err = parse(&[flag, &bad.to_string()]).expect_err(flag);
                assert_eq!(server_kit::settings::invalid_env_var::<Settings>(&err).as_deref(), Some(var), "{err}");
            }
        }
    }
}
