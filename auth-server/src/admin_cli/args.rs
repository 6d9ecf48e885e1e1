//! The command line of `auth-server admin`: what an operator may type, nothing more.

use clap::{Args, Parser, Subcommand};

/// The exit codes, in `--help` and the README.
pub(super) const EXIT_CODES: &str = "\
Exit codes:
  0  done
  1  refused by the server (not found, conflict, invalid input, server error)
  2  usage error (bad arguments, a missing setting, unusable input on stdin)
  3  cannot reach the server, or it refused the admin client's credentials or token

Secrets never come from arguments. The admin client's secret comes from
AUTH_ADMIN_CLIENT_SECRET, else it is read first from standard input. User passwords
are read from standard input next (one line each), or prompted for without echo when
standard input is a terminal.";

#[derive(Debug, Parser)]
#[command(
    name = "auth-server admin",
    bin_name = "auth-server admin",
    about = "Manage users, clients and signing keys through the admin API",
    after_help = EXIT_CODES
)]
pub(super) struct Cli {
    /// Base URL of the auth server (its issuer), e.g. http://127.0.0.1:8080.
    #[arg(long, global = true, env = "AUTH_ADMIN_URL")]
    pub url: Option<String>,

    /// The admin client (grant `client_credentials`, scope `admin`).
    #[arg(long, global = true, env = "AUTH_ADMIN_CLIENT_ID")]
    pub client_id: Option<String>,

    /// Print the API's JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub(super) enum Command {
    /// Users: create, list, show, disable, enable, set a password, sessions.
    #[command(subcommand)]
    Users(UserCommand),
    /// Clients: create, list, delete.
    #[command(subcommand)]
    Clients(ClientCommand),
    /// Signing keys: list, rotate, revoke.
    #[command(subcommand)]
    Keys(KeyCommand),
    /// Print the `password_hash` (Argon2id PHC) of a password read from standard input,
    /// for the bootstrap file. Offline.
    HashPassword,
    /// Print the `client_secret_hash` (hex SHA-256) of a secret read from standard
    /// input, for the bootstrap file. Offline.
    HashClientSecret,
}

#[derive(Debug, Subcommand)]
pub(super) enum UserCommand {
    /// Create a user; the password is read from standard input.
    Create {
        username: String,
        /// A scope the user may be granted (repeat for more).
        #[arg(long = "scope", value_name = "SCOPE")]
        scopes: Vec<String>,
    },
    /// List users (every page, unless --limit or --cursor asks for one).
    List(Page),
    /// Show one user.
    Show { username: String },
    /// Disable a user: every session and token of it is revoked.
    Disable { username: String },
    /// Enable a disabled user.
    Enable { username: String },
    /// Set a user's password, read from standard input; earlier sessions end.
    SetPassword { username: String },
    /// List a user's live sessions.
    Sessions { username: String },
    /// End every session of a user.
    RevokeSessions { username: String },
}

/// One page of a listing instead of all of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub(super) struct Page {
    /// Users in one page (1 to 500); prints that page only.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=500))]
    pub limit: Option<u16>,
    /// Where the page starts: a previous page's `next_cursor`; prints that page only.
    #[arg(long)]
    pub cursor: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(super) enum ClientCommand {
    /// Register a client; a confidential client's secret is printed once.
    Create {
        client_id: String,
        /// A public client (no secret).
        #[arg(long)]
        public: bool,
        /// A grant it may use: authorization_code, password, refresh_token,
        /// client_credentials (repeat for more).
        #[arg(long = "grant-type", value_name = "GRANT", required = true)]
        grant_types: Vec<String>,
        /// A scope it may ask for (repeat for more).
        #[arg(long = "scope", value_name = "SCOPE")]
        scopes: Vec<String>,
        /// An audience of its tokens (repeat for more).
        #[arg(long = "audience", value_name = "AUDIENCE")]
        audiences: Vec<String>,
        /// An audience it serves as a resource server (default: its client id).
        #[arg(long = "serves", value_name = "AUDIENCE")]
        serves: Vec<String>,
        /// An exact redirect URI of the authorization code flow (repeat for more).
        #[arg(long = "redirect-uri", value_name = "URI")]
        redirect_uris: Vec<String>,
        /// Where the logout endpoint may send the browser afterwards (repeat for more).
        #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
        post_logout_redirect_uris: Vec<String>,
        /// The name the login page shows (default: the client id).
        #[arg(long = "display-name", value_name = "NAME")]
        display_name: Option<String>,
    },
    /// List clients (never their secrets).
    List,
    /// Delete a client, revoking every token issued to it.
    Delete { client_id: String },
}

#[derive(Debug, Subcommand)]
pub(super) enum KeyCommand {
    /// List signing keys with their states and dates.
    List,
    /// Rotate now: tokens issued afterwards carry the new key's kid.
    Rotate,
    /// Emergency: drop a compromised key; its tokens are refused everywhere.
    Revoke { kid: String },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::error::ErrorKind;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("auth-server admin").chain(args.iter().copied()))
    }

    #[test]
    fn global_options_go_anywhere() {
        let cli = parse(&["users", "show", "alice", "--json", "--url", "http://h:1", "--client-id", "ops"]).unwrap();
        assert!(cli.json);
        assert_eq!((cli.url.as_deref(), cli.client_id.as_deref()), (Some("http://h:1"), Some("ops")));
        assert!(matches!(cli.command, Command::Users(UserCommand::Show { username }) if username == "alice"));
    }

    #[test]
    fn repeated_options_collect() {
        let cli = parse(&["users", "create", "carol", "--scope", "documents:read", "--scope", "documents:write"]);
        let Command::Users(UserCommand::Create { username, scopes }) = cli.unwrap().command else { panic!() };
        assert_eq!((username.as_str(), scopes), ("carol", vec!["documents:read".into(), "documents:write".into()]));
        let cli = parse(&["clients", "create", "svc", "--grant-type", "client_credentials", "--audience", "a"]);
        let Command::Clients(ClientCommand::Create { grant_types, audiences, public, .. }) = cli.unwrap().command
        else {
            panic!()
        };
        assert_eq!((grant_types, audiences, public), (vec!["client_credentials".into()], vec!["a".into()], false));
    }

    #[test]
    fn pages_are_bounded() {
        let Command::Users(UserCommand::List(page)) = parse(&["users", "list"]).unwrap().command else { panic!() };
        assert_eq!(page, Page::default());
        assert!(parse(&["users", "list", "--limit", "500", "--cursor", "abc"]).is_ok());
        for bad in ["0", "501", "x"] {
            assert_eq!(parse(&["users", "list", "--limit", bad]).unwrap_err().kind(), ErrorKind::ValueValidation);
        }
    }

    #[test]
    fn secrets_have_no_argument() {
        for args in [
            &["users", "create", "carol", "--password", "x"][..],
            &["users", "set-password", "carol", "hunter22"],
            &["hash-password", "hunter22"],
            &["users", "list", "--client-secret", "x"],
        ] {
            assert!(parse(args).is_err(), "{args:?}");
        }
    }

    #[test]
    fn usage_errors_exit_2_and_help_names_the_exit_codes() {
        let err = parse(&["users", "frobnicate"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert_eq!(parse(&["clients", "create", "svc"]).unwrap_err().exit_code(), 2, "a grant type is required");
        let help = parse(&["--help"]).unwrap_err();
        assert_eq!(help.exit_code(), 0);
        assert!(help.to_string().contains("3  cannot reach the server"), "{help}");
    }
}
