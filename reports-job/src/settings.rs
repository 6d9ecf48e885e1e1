//! Settings of the `reports-job` binary, from the environment or the matching
//! command-line flags.

use std::time::Duration;

use clap::Parser;
use shared_claims::Secret;

/// The longest `REPORTS_INTERVAL_MS`: a day.
pub const MAX_INTERVAL_MS: u64 = 86_400_000;
/// The most calls one run makes at once.
pub const MAX_CONCURRENCY: u64 = 1024;

#[derive(Debug, Clone, Parser)]
#[command(name = "reports-job", version, about = "Calls the documents API as a service, on an interval.")]
pub struct Settings {
    /// The authorization server; its token endpoint is discovered from its RFC 8414
    /// metadata.
    #[arg(long, env = "REPORTS_AUTH_URL", default_value = "http://127.0.0.1:8080")]
    pub auth_url: String,

    /// The auth server's issuer, when `REPORTS_AUTH_URL` is another address (a
    /// gateway's in-network one): the metadata must name it, and the token endpoint
    /// under it is reached under `REPORTS_AUTH_URL`.
    #[arg(long, env = "REPORTS_ISSUER")]
    pub issuer: Option<String>,

    /// The documents API whose `GET /api/documents` each run calls.
    #[arg(long, env = "REPORTS_API_URL", default_value = "http://127.0.0.1:8081")]
    pub api_url: String,

    /// The job's client id at the authorization server (grant `client_credentials`).
    #[arg(long, env = "REPORTS_CLIENT_ID", default_value = "reports-job")]
    pub client_id: String,

    /// The job's client secret (sent with `client_secret_basic`).
    #[arg(long, env = "REPORTS_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<Secret>,

    /// The scopes asked for, space-separated.
    #[arg(long, env = "REPORTS_SCOPE", default_value = "documents:read")]
    pub scope: String,

    /// Milliseconds from the start of one run to the start of the next (a run that
    /// takes longer is followed at once). From 1 to a day.
    #[arg(long, env = "REPORTS_INTERVAL_MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..=MAX_INTERVAL_MS))]
    pub interval_ms: u64,

    /// Calls each run makes at once.
    #[arg(long, env = "REPORTS_CONCURRENCY", default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=MAX_CONCURRENCY))]
    pub concurrency: u64,

    /// Runs before the job ends by itself; unset, it runs until SIGTERM or SIGINT.
    #[arg(long, env = "REPORTS_RUNS", value_parser = clap::value_parser!(u64).range(1..))]
    pub runs: Option<u64>,

    /// Log line format; the level comes from `RUST_LOG` (default `info`).
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: server_kit::LogFormat,
}

/// A setting that cannot work, reported at start-up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("REPORTS_CLIENT_SECRET is required: the job authenticates as a confidential client")]
    MissingClientSecret,
    #[error("REPORTS_API_URL must be an absolute http(s) URL without query or fragment")]
    BadApiUrl,
}

impl Settings {
    /// Parses the settings from the environment and arguments, or exits saying which
    /// variable is wrong.
    pub fn load() -> Self {
        server_kit::settings::load()
    }

    /// Checks what clap cannot express.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.client_secret.as_ref().is_none_or(Secret::is_empty) {
            return Err(SettingsError::MissingClientSecret);
        }
        self.documents_url()?;
        Ok(())
    }

    /// `GET` this each call: `/api/documents` under `REPORTS_API_URL`.
    pub fn documents_url(&self) -> Result<reqwest::Url, SettingsError> {
        let base = reqwest::Url::parse(&self.api_url).map_err(|_| SettingsError::BadApiUrl)?;
        if !matches!(base.scheme(), "http" | "https") || base.query().is_some() || base.fragment().is_some() {
            return Err(SettingsError::BadApiUrl);
        }
        let path = format!("{}/api/documents", base.path().trim_end_matches('/'));
        let mut url = base;
        url.set_path(&path);
        Ok(url)
    }

    pub fn interval(&self) -> Duration {
        Duration::from_millis(self.interval_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Settings {
        Settings::try_parse_from(std::iter::once("reports-job").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn every_setting_is_in_the_readme() {
        let missing = server_kit::settings::undocumented::<Settings>(include_str!("../../README.md"));
        assert!(missing.is_empty(), "settings missing from README.md's tables: {missing:?}");
    }

    #[test]
    fn defaults_match_the_documented_settings() {
        let command = <Settings as clap::CommandFactory>::command().mut_args(|arg| arg.env(None));
        let matches = command.try_get_matches_from(["reports-job"]).unwrap();
        let settings = <Settings as clap::FromArgMatches>::from_arg_matches(&matches).unwrap();
        assert_eq!(settings.auth_url, "http://127.0.0.1:8080");
        assert_eq!(settings.api_url, "http://127.0.0.1:8081");
        assert_eq!(settings.client_id, "reports-job");
        assert_eq!(settings.scope, "documents:read");
        assert_eq!(settings.interval(), Duration::from_secs(5));
        assert_eq!(settings.concurrency, 8);
        assert_eq!(settings.runs, None);
        assert_eq!(settings.validate(), Err(SettingsError::MissingClientSecret));
    }

    #[test]
    fn the_documents_url_keeps_a_base_path() {
        let url = |api: &str| parse(&["--api-url", api]).documents_url().map(|u| u.to_string());
        assert_eq!(url("http://127.0.0.1:8081").unwrap(), "http://127.0.0.1:8081/api/documents");
        assert_eq!(url("http://127.0.0.1:8081/").unwrap(), "http://127.0.0.1:8081/api/documents");
        assert_eq!(url("https://gw.example/docs/").unwrap(), "https://gw.example/docs/api/documents");
        for bad in ["ftp://x", "not a url", "http://x/?q=1", "http://x/#f"] {
            assert_eq!(url(bad), Err(SettingsError::BadApiUrl), "{bad}");
        }
    }

    #[test]
    fn numbers_are_bounded_and_name_their_variable() {
        for (flag, bad) in [("--interval-ms", "0"), ("--concurrency", "0"), ("--concurrency", "1025"), ("--runs", "0")]
        {
            let err = Settings::try_parse_from(["reports-job", flag, bad]).expect_err(bad);
            let var = server_kit::settings::invalid_env_var::<Settings>(&err);
            assert!(var.is_some_and(|var| var.starts_with("REPORTS_")), "{flag} {bad}: {err}");
        }
        let settings = parse(&["--runs", "3", "--interval-ms", "250", "--client-secret", "s"]);
        assert_eq!((settings.runs, settings.interval()), (Some(3), Duration::from_millis(250)));
        assert_eq!(settings.validate(), Ok(()));
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let settings = parse(&["--client-secret", "hunter2"]);
        assert!(!format!("{settings:?}").contains("hunter2"));
    }
}
