//! Settings of the `resource-server` binary, from the environment (names other
//! programs and deployments rely on) or the matching command-line flags.

use std::time::Duration;

use clap::{Parser, ValueEnum};

use resource_server::verify::{ClientCredentials, VerifyMode};
use resource_server::Secret;

/// Where the operational endpoints listen unless `RS_OPS_BIND` says otherwise.
pub const DEFAULT_OPS_BIND: &str = "127.0.0.1:9081";

/// The longest `RS_REVOCATION_MAX_STALENESS` accepted, seconds (a day): a revocation
/// view older than that is not a view.
pub const MAX_STALENESS_SECS: u64 = 86_400;

#[derive(Debug, Clone, Parser)]
#[command(name = "resource-server", version, about = "Demo API protected by OAuth 2.0 bearer tokens (RFC 6750).")]
pub struct Settings {
    /// Listen address; port 0 picks a free port (the bound address is logged).
    #[arg(long, env = "RS_BIND", default_value = "127.0.0.1:8081")]
    pub bind: String,

    /// Listen address of the operational endpoints (`/metrics`, `/healthz`,
    /// `/readyz`), kept off the public listener; loopback by default.
    #[arg(long, env = "RS_OPS_BIND", default_value = DEFAULT_OPS_BIND)]
    pub ops_bind: String,

    /// The authorization server; its RFC 8414 metadata is discovered from here.
    #[arg(long, env = "RS_AUTH_URL", default_value = "http://127.0.0.1:8080")]
    pub auth_url: String,

    /// The auth server's issuer (its `AUTH_ISSUER`), when this server reaches it on
    /// another URL (behind a gateway, in a container network). The metadata, still
    /// fetched from `RS_AUTH_URL`, must name exactly this issuer, tokens must carry it,
    /// and the endpoints announced under it are called on `RS_AUTH_URL` instead.
    /// Unset: the metadata's issuer and endpoints are taken as they are.
    #[arg(long, env = "RS_ISSUER")]
    pub issuer: Option<String>,

    /// The `aud` value this server accepts (also the challenge realm).
    #[arg(long, env = "RS_AUDIENCE", default_value = "documents-api")]
    pub audience: String,

    /// `local`: RS256 against the JWKS; `introspect`: RFC 7662 for every token.
    #[arg(long, env = "RS_VERIFY", value_enum, default_value = "local")]
    pub verify: VerifyArg,

    /// This server's own client id, holding the `introspect` scope. Required in both
    /// modes: introspection and the revocation feed authenticate with it.
    #[arg(long, env = "RS_CLIENT_ID")]
    pub client_id: Option<String>,

    /// This server's own client secret.
    #[arg(long, env = "RS_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<Secret>,

    /// Seconds without contact with the revocation feed (keepalives count; this server
    /// asks for one every third of this bound, between 1 and 5 s) after which the
    /// revocation view is no longer trusted: local mode then answers 503 and `/readyz`
    /// says not ready; introspection mode stops caching answers. From 3 s to a day.
    #[arg(long, env = "RS_REVOCATION_MAX_STALENESS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=MAX_STALENESS_SECS))]
    pub revocation_max_staleness: u64,

    /// The resource server's own Redis for the documents
    /// (`redis://[user:password@]host:port/db`, or `rediss://`), shared by every
    /// replica. Not the auth server's database. Unset: in this process's memory only.
    #[arg(long, env = "RS_DOCUMENTS_REDIS_URL", hide_env_values = true)]
    pub documents_redis_url: Option<Secret>,

    /// Log line format; the level comes from `RUST_LOG` (default `info`).
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: server_kit::LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VerifyArg {
    Local,
    Introspect,
}

/// A setting that cannot work, reported at start-up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("RS_VERIFY={mode} needs RS_CLIENT_ID and RS_CLIENT_SECRET ({why})")]
    MissingClientCredentials { mode: &'static str, why: &'static str },
    #[error(
        "RS_REVOCATION_MAX_STALENESS must be at least 3 seconds: the revocation feed's keepalive \
         is at least 1 s, and a quiet healthy feed must not look stale"
    )]
    StalenessTooShort,
}

impl Settings {
    pub fn mode(&self) -> VerifyMode {
        match self.verify {
            VerifyArg::Local => VerifyMode::Local,
            VerifyArg::Introspect => VerifyMode::Introspect,
        }
    }

    /// The client credentials, when both parts are set and non-empty.
    pub fn client_credentials(&self) -> Option<ClientCredentials> {
        let id = self.client_id.as_deref().filter(|id| !id.is_empty())?;
        let secret = self.client_secret.as_ref().filter(|secret| !secret.is_empty())?;
        Some(ClientCredentials::new(id, secret.clone()))
    }

    /// `RS_REVOCATION_MAX_STALENESS` as a duration.
    pub fn revocation_max_staleness(&self) -> Duration {
        Duration::from_secs(self.revocation_max_staleness)
    }

    /// The client credentials, or the start-up error naming what is missing: both
    /// modes need them (introspection, and the revocation feed in either mode).
    pub fn required_client_credentials(&self) -> Result<ClientCredentials, SettingsError> {
        let (mode, why) = match self.mode() {
            VerifyMode::Local => ("local", "the revocation feed authenticates with them"),
            VerifyMode::Introspect => ("introspect", "introspection and the revocation feed authenticate with them"),
        };
        self.client_credentials().ok_or(SettingsError::MissingClientCredentials { mode, why })
    }

    /// Parses the settings from the environment and arguments, or exits saying which
    /// variable is wrong.
    pub fn load() -> Self {
        server_kit::settings::load()
    }

    /// Checks combinations clap cannot express.
    pub fn validate(&self) -> Result<(), SettingsError> {
        self.required_client_credentials()?;
        // The feed's keepalive is at least 1 s: a bound under three of them would
        // turn a quiet, healthy feed stale.
        if self.revocation_max_staleness() < resource_server::verify::VerifierBuilder::MIN_REVOCATION_MAX_STALENESS {
            return Err(SettingsError::StalenessTooShort);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Settings {
        Settings::try_parse_from(std::iter::once("resource-server").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn every_setting_is_in_the_readme() {
        let missing = server_kit::settings::undocumented::<Settings>(include_str!("../../README.md"));
        assert!(missing.is_empty(), "settings missing from README.md's tables: {missing:?}");
    }

    #[test]
    fn defaults_match_the_documented_settings() {
        // Parsed with every `env` source removed, so RS_* variables of the test
        // process cannot stand in for the defaults.
        let command = <Settings as clap::CommandFactory>::command().mut_args(|arg| arg.env(None));
        let matches = command.try_get_matches_from(["resource-server"]).unwrap();
        let settings = <Settings as clap::FromArgMatches>::from_arg_matches(&matches).unwrap();
        assert_eq!(settings.bind, "127.0.0.1:8081");
        assert_eq!(settings.auth_url, "http://127.0.0.1:8080");
        assert_eq!(settings.issuer, None);
        assert_eq!(settings.audience, "documents-api");
        assert_eq!(settings.mode(), VerifyMode::Local);
        assert_eq!(settings.revocation_max_staleness, 30);
        assert!(settings.documents_redis_url.is_none(), "documents in memory");
    }

    #[test]
    fn both_modes_need_credentials() {
        for mode in ["local", "introspect"] {
            let settings = parse(&["--verify", mode, "--client-id", "documents-api", "--client-secret", ""]);
            let err = settings.validate().unwrap_err();
            assert!(matches!(err, SettingsError::MissingClientCredentials { .. }), "{mode}");
            let message = err.to_string();
            assert!(message.contains(&format!("RS_VERIFY={mode}")), "{message}");
            assert!(message.contains("RS_CLIENT_ID and RS_CLIENT_SECRET"), "{message}");
            let settings = parse(&["--verify", mode, "--client-id", "id", "--client-secret", "s"]);
            assert_eq!(settings.validate(), Ok(()));
        }
    }

    #[test]
    fn the_issuer_is_optional() {
        let settings = parse(&["--auth-url", "http://gateway:8080", "--issuer", "http://localhost:8080"]);
        assert_eq!(settings.auth_url, "http://gateway:8080");
        assert_eq!(settings.issuer.as_deref(), Some("http://localhost:8080"));
    }

    #[test]
    fn staleness_must_leave_room_for_keepalives() {
        for short in ["1", "2"] {
            let settings = parse(&["--client-id", "id", "--client-secret", "s", "--revocation-max-staleness", short]);
            assert_eq!(settings.validate(), Err(SettingsError::StalenessTooShort), "{short}");
        }
        let settings = parse(&["--client-id", "id", "--client-secret", "s", "--revocation-max-staleness", "3"]);
        assert_eq!(settings.validate(), Ok(()));
        assert_eq!(settings.revocation_max_staleness(), Duration::from_secs(3));
    }

    #[test]
    fn staleness_is_bounded() {
        for bad in ["0", "86401", "18446744073709551615"] {
            let args = ["resource-server", "--revocation-max-staleness", bad];
            let err = Settings::try_parse_from(args).expect_err(bad);
            assert_eq!(
                server_kit::settings::invalid_env_var::<Settings>(&err).as_deref(),
                Some("RS_REVOCATION_MAX_STALENESS"),
                "{err}"
            );
        }
        let settings = parse(&["--client-id", "id", "--client-secret", "s", "--revocation-max-staleness", "2"]);
        assert_eq!(settings.revocation_max_staleness(), Duration::from_secs(2));
        let settings = parse(&["--revocation-max-staleness", "86400"]);
        assert_eq!(settings.revocation_max_staleness(), Duration::from_secs(86_400));
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let settings =
            parse(&["--client-secret", "hunter2", "--documents-redis-url", "redis://:hunter3@127.0.0.1:6379/1"]);
        let debug = format!("{settings:?}");
        assert!(!debug.contains("hunter2") && !debug.contains("hunter3"), "{debug}");
    }
}
