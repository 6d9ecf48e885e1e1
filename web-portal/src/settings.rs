//! Settings of the `web-portal` binary, from the environment or the matching
//! command-line flags.

use clap::Parser;
use shared_claims::Secret;

/// Where the portal listens unless `PORTAL_BIND` says otherwise.
pub const DEFAULT_BIND: &str = "127.0.0.1:8090";

#[derive(Debug, Clone, Parser)]
#[command(name = "web-portal", version, about = "Documents portal: a browser app's backend that keeps the tokens.")]
pub struct Settings {
    /// Listen address; port 0 picks a free port (the bound address is logged).
    #[arg(long, env = "PORTAL_BIND", default_value = DEFAULT_BIND)]
    pub bind: String,

    /// The URL browsers use to reach the portal, no trailing slash. The redirect URI is
    /// `<it>/callback`, the post-logout redirect URI `<it>/`; `https` makes the cookies
    /// `Secure` with the `__Host-` prefix.
    #[arg(long, env = "PORTAL_PUBLIC_URL", default_value = "http://localhost:8090")]
    pub public_url: String,

    /// The authorization server; its RFC 8414 metadata is discovered from here.
    #[arg(long, env = "PORTAL_AUTH_URL", default_value = "http://127.0.0.1:8080")]
    pub auth_url: String,

    /// The authorization server's issuer (its `AUTH_ISSUER`), when the portal reaches
    /// it on another URL (behind a gateway, in a container network). The metadata,
    /// still fetched from `PORTAL_AUTH_URL`, must name this issuer; the browser is sent
    /// to the endpoints it announces, while the token and revocation endpoints are
    /// called on `PORTAL_AUTH_URL`. Unset: `PORTAL_AUTH_URL` is the issuer.
    #[arg(long, env = "PORTAL_ISSUER")]
    pub issuer: Option<String>,

    /// The documents API that `/api/...` is forwarded to.
    #[arg(long, env = "PORTAL_API_URL", default_value = "http://127.0.0.1:8081")]
    pub api_url: String,

    /// The portal's client id at the authorization server.
    #[arg(long, env = "PORTAL_CLIENT_ID", default_value = "web-portal")]
    pub client_id: String,

    /// The portal's client secret (sent with `client_secret_basic`).
    #[arg(long, env = "PORTAL_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<Secret>,

    /// The scopes asked for, space-separated.
    #[arg(long, env = "PORTAL_SCOPES", default_value = "documents:read documents:write")]
    pub scopes: String,

    /// Log line format; the level comes from `RUST_LOG` (default `info`).
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: server_kit::LogFormat,
}

/// A setting that cannot work, reported at start-up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("PORTAL_CLIENT_SECRET is required: the portal is a confidential client")]
    MissingClientSecret,
    #[error("PORTAL_PUBLIC_URL must be an absolute http(s) URL without a trailing slash, query or fragment")]
    BadPublicUrl,
    #[error("PORTAL_PUBLIC_URL must be https unless its host is loopback (localhost, 127.0.0.0/8, [::1])")]
    PlainHttpPublicUrl,
    #[error("{0} must be an absolute http(s) URL")]
    BadUrl(&'static str),
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
        let public = oauth2::url::Url::parse(&self.public_url).map_err(|_| SettingsError::BadPublicUrl)?;
        // An origin only: the cookies are `Path=/` and the `__Host-` prefix needs it.
        let plain = public.query().is_none()
            && public.fragment().is_none()
            && public.path() == "/"
            && public.username().is_empty()
            && public.password().is_none()
            && !self.public_url.ends_with('/');
        if !is_http(&public) || !plain {
            return Err(SettingsError::BadPublicUrl);
        }
        // Session cookies over plain http are only acceptable on this machine.
        if public.scheme() == "http" && !is_loopback(&public) {
            return Err(SettingsError::PlainHttpPublicUrl);
        }
        let issuer = self.issuer.as_ref().map(|issuer| ("PORTAL_ISSUER", issuer));
        for (name, value) in
            [("PORTAL_AUTH_URL", &self.auth_url), ("PORTAL_API_URL", &self.api_url)].into_iter().chain(issuer)
        {
            let url = oauth2::url::Url::parse(value).map_err(|_| SettingsError::BadUrl(name))?;
            if !is_http(&url) {
                return Err(SettingsError::BadUrl(name));
            }
        }
        Ok(())
    }

    /// The issuer the authorization server's metadata must name, and authorization
    /// responses carry (RFC 9207): `PORTAL_ISSUER`, or else `PORTAL_AUTH_URL`.
    pub fn expected_issuer(&self) -> &str {
        self.issuer.as_deref().unwrap_or(&self.auth_url)
    }

    /// Where the authorization server sends the browser back with the code.
    pub fn redirect_uri(&self) -> String {
        format!("{}/callback", self.public_url)
    }

    /// Where the authorization server sends the browser after signing out.
    pub fn post_logout_redirect_uri(&self) -> String {
        format!("{}/", self.public_url)
    }

    /// Whether browsers reach the portal over https: cookies are then `Secure` and
    /// `__Host-` prefixed.
    pub fn secure_cookies(&self) -> bool {
        oauth2::url::Url::parse(&self.public_url).is_ok_and(|url| url.scheme() == "https")
    }

    /// The requested scopes, one by one.
    pub fn scope_list(&self) -> Vec<String> {
        self.scopes.split_ascii_whitespace().map(str::to_owned).collect()
    }
}

fn is_loopback(url: &oauth2::url::Url) -> bool {
    use oauth2::url::Host;
    match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn is_http(url: &oauth2::url::Url) -> bool {
    matches!(url.scheme(), "http" | "https") && url.has_host()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Settings {
        let command = <Settings as clap::CommandFactory>::command().mut_args(|arg| arg.env(None));
        let matches = command.try_get_matches_from(std::iter::once("web-portal").chain(args.iter().copied())).unwrap();
        <Settings as clap::FromArgMatches>::from_arg_matches(&matches).unwrap()
    }

    #[test]
    fn every_setting_is_in_the_readme() {
        let missing = server_kit::settings::undocumented::<Settings>(include_str!("../../README.md"));
        assert!(missing.is_empty(), "settings missing from README.md's tables: {missing:?}");
    }

    #[test]
    fn defaults_match_the_documented_settings() {
        let settings = parse(&[]);
        assert_eq!(settings.bind, "127.0.0.1:8090");
        assert_eq!(settings.public_url, "http://localhost:8090");
        assert_eq!(settings.auth_url, "http://127.0.0.1:8080");
        assert_eq!(settings.issuer, None);
        assert_eq!(settings.expected_issuer(), "http://127.0.0.1:8080", "the auth server URL is the issuer");
        assert_eq!(settings.api_url, "http://127.0.0.1:8081");
        assert_eq!(settings.client_id, "web-portal");
        assert_eq!(settings.scope_list(), ["documents:read", "documents:write"]);
        assert_eq!(settings.redirect_uri(), "http://localhost:8090/callback");
        assert_eq!(settings.post_logout_redirect_uri(), "http://localhost:8090/");
        assert!(!settings.secure_cookies());
        assert_eq!(settings.validate(), Err(SettingsError::MissingClientSecret));
    }

    #[test]
    fn urls_are_checked() {
        let ok = parse(&["--client-secret", "s"]);
        assert_eq!(ok.validate(), Ok(()));
        for bad in [
            "http://localhost:8090/",
            "localhost:8090",
            "ftp://x",
            "https://portal.example?x=1",
            "https://portal.example/portal",
            "https://user@portal.example",
        ] {
            let settings = parse(&["--client-secret", "s", "--public-url", bad]);
            assert_eq!(settings.validate(), Err(SettingsError::BadPublicUrl), "{bad}");
        }
        let settings = parse(&["--client-secret", "s", "--auth-url", "nowhere"]);
        assert_eq!(settings.validate(), Err(SettingsError::BadUrl("PORTAL_AUTH_URL")));
        let settings = parse(&["--client-secret", "s", "--issuer", "localhost:8080"]);
        assert_eq!(settings.validate(), Err(SettingsError::BadUrl("PORTAL_ISSUER")));
        let settings =
            parse(&["--client-secret", "s", "--auth-url", "http://auth:8080", "--issuer", "http://localhost:8080"]);
        assert_eq!(settings.validate(), Ok(()));
        assert_eq!(settings.expected_issuer(), "http://localhost:8080");
        for plain in ["http://portal.example", "http://10.0.0.1:8090", "http://localhost.example"] {
            let settings = parse(&["--client-secret", "s", "--public-url", plain]);
            assert_eq!(settings.validate(), Err(SettingsError::PlainHttpPublicUrl), "{plain}");
        }
        for local in ["http://localhost:8090", "http://127.0.0.2:1", "http://[::1]:8090"] {
            let settings = parse(&["--client-secret", "s", "--public-url", local]);
            assert_eq!(settings.validate(), Ok(()), "{local}");
            assert!(!settings.secure_cookies());
        }
        let https = parse(&["--client-secret", "s", "--public-url", "HTTPS://portal.example"]);
        assert_eq!(https.validate(), Ok(()));
        assert!(https.secure_cookies(), "the parsed scheme decides");
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let settings = parse(&["--client-secret", "hunter2"]);
        assert!(!format!("{settings:?}").contains("hunter2"));
    }
}
