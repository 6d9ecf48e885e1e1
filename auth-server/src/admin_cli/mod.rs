//! `auth-server admin ...`: the operator's command line for the admin API, and the
//! offline helpers for the bootstrap file.
//!
//! A subcommand of the server binary rather than a second binary: wherever the server
//! is installed (the container image ships one binary) the tool is too, and
//! `hash-password` runs the server's own hashing code. It is recognised before the
//! server reads its settings, so the server starts exactly as before without it, and
//! the server's `AUTH_*` variables neither reach nor break the CLI.
//!
//! ```text
//! args ─► args::Cli (clap) ─► commands::execute ─► offline::hash_*            (no server)
//!                                              └─► secrets (env, stdin, prompt)
//!                                                  ─► api::AdminApi::login (client_credentials)
//!                                                  ─► commands::plan ─► api call ─► render / JSON
//! ```
//!
//! Exit codes: `args::EXIT_CODES`.

mod api;
mod args;
mod commands;
mod offline;
mod render;
mod secrets;
mod table;

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

/// The first argument that selects the CLI.
pub const SUBCOMMAND: &str = "admin";

/// A failed command, by the exit code it earns.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad arguments, a missing setting, unusable input: exit 2.
    #[error("{0}")]
    Usage(String),
    /// The server answered with an error: exit 1.
    #[error("{0}")]
    Refused(String),
    /// The server could not be reached, or refused the admin client or its token: exit 3.
    #[error("{0}")]
    Unreachable(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Refused(_) => 1,
            CliError::Usage(_) => 2,
            CliError::Unreachable(_) => 3,
        }
    }
}

/// Whether the process was started as `auth-server admin ...`.
pub fn is_invoked(args: &[OsString]) -> bool {
    args.get(1).is_some_and(|first| first == SUBCOMMAND)
}

/// Runs the CLI on the process's arguments (`auth-server admin ...`) and standard input.
pub async fn run(args: Vec<OsString>) -> ExitCode {
    let program = OsString::from(format!("auth-server {SUBCOMMAND}"));
    let cli = match args::Cli::try_parse_from(std::iter::once(program).chain(args.into_iter().skip(2))) {
        Ok(cli) => cli,
        Err(err) => {
            // Help and version go to stdout with 0; usage errors to stderr with 2.
            let _ = err.print();
            return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
        }
    };
    let secret_env = std::env::var(secrets::CLIENT_SECRET_VAR).ok();
    match commands::execute(cli, &mut secrets::SecretInput::stdin(), secret_env).await {
        Ok(outcome) => {
            if let Some(note) = outcome.note {
                eprintln!("{note}");
            }
            let mut stdout = std::io::stdout().lock();
            match stdout.write_all(outcome.stdout.as_bytes()).and_then(|()| stdout.flush()) {
                Ok(()) => ExitCode::SUCCESS,
                // A closed pipe (`| head`) is not worth a message.
                Err(_) => ExitCode::from(1),
            }
        }
        Err(err) => {
            eprintln!("auth-server admin: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_first_argument_of_admin_selects_the_cli() {
        let args = |list: &[&str]| list.iter().map(OsString::from).collect::<Vec<_>>();
        assert!(is_invoked(&args(&["auth-server", "admin", "users", "list"])));
        assert!(is_invoked(&args(&["/usr/local/bin/auth-server", "admin"])));
        assert!(!is_invoked(&args(&["auth-server"])));
        assert!(!is_invoked(&args(&["auth-server", "--bind", "127.0.0.1:0", "admin"])));
        assert!(!is_invoked(&args(&["auth-server", "--help"])));
    }

    #[test]
    fn each_failure_has_its_exit_code() {
        assert_eq!(CliError::Refused(String::new()).exit_code(), 1);
        assert_eq!(CliError::Usage(String::new()).exit_code(), 2);
        assert_eq!(CliError::Unreachable(String::new()).exit_code(), 3);
    }
}
