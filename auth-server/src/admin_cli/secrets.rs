//! Where the CLI's secrets come from: never arguments (they show in `ps` and shell
//! history). From standard input, one line each, in the order asked; or, when standard
//! input is a terminal, a prompt on stderr with echo off.

use std::io::{self, BufRead, IsTerminal, Write};

use super::CliError;
use shared_claims::Secret;

/// The admin client's secret, when not read from standard input.
pub(super) const CLIENT_SECRET_VAR: &str = "AUTH_ADMIN_CLIENT_SECRET";

/// Reads secrets one after another from one input.
pub(super) struct SecretInput<R> {
    input: R,
    /// A person at a terminal: prompt, hide the typing, ask new passwords twice.
    interactive: bool,
}

impl SecretInput<io::StdinLock<'static>> {
    pub(super) fn stdin() -> Self {
        let stdin = io::stdin();
        let interactive = stdin.is_terminal();
        SecretInput { input: stdin.lock(), interactive }
    }
}

impl<R: BufRead> SecretInput<R> {
    /// Reads lines as if piped (never a terminal).
    #[cfg(test)]
    pub(super) fn piped(input: R) -> Self {
        SecretInput { input, interactive: false }
    }

    /// One secret; `what` names it in the prompt and in errors.
    pub(super) fn read(&mut self, what: &str) -> Result<Secret, CliError> {
        let line = if self.interactive { prompt_hidden(&format!("{what}: "))? } else { self.next_line(what)? };
        let secret = line.strip_suffix('\n').unwrap_or(&line);
        let secret = secret.strip_suffix('\r').unwrap_or(secret);
        if secret.is_empty() {
            return Err(CliError::Usage(format!("{what}: empty")));
        }
        Ok(Secret::new(secret))
    }

    /// A new secret: asked twice at a terminal, so a typo does not become the password.
    pub(super) fn read_new(&mut self, what: &str) -> Result<Secret, CliError> {
        let secret = self.read(what)?;
        if self.interactive && self.read(&format!("{what} (again)"))? != secret {
            return Err(CliError::Usage(format!("{what}: the two entries differ")));
        }
        Ok(secret)
    }

    fn next_line(&mut self, what: &str) -> Result<String, CliError> {
        let mut line = String::new();
        match self.input.read_line(&mut line) {
            Ok(0) => Err(CliError::Usage(format!("{what}: expected a line on standard input, found its end"))),
            Ok(_) => Ok(line),
            Err(e) => Err(CliError::Usage(format!("{what}: cannot read standard input ({})", e.kind()))),
        }
    }
}

/// The admin client's secret: the environment, else the next input line.
pub(super) fn client_secret<R: BufRead>(
    env: Option<String>,
    input: &mut SecretInput<R>,
    client_id: &str,
) -> Result<Secret, CliError> {
    match env.filter(|value| !value.is_empty()) {
        Some(value) => Ok(Secret::new(value)),
        None => input.read(&format!("client secret of {client_id}")),
    }
}

/// Prompts on stderr and reads a line from the terminal without echoing it.
fn prompt_hidden(prompt: &str) -> Result<String, CliError> {
    let unreadable = |e: io::Error| CliError::Usage(format!("cannot read from the terminal ({})", e.kind()));
    let mut stderr = io::stderr();
    stderr.write_all(prompt.as_bytes()).and_then(|()| stderr.flush()).map_err(unreadable)?;
    let echo = EchoOff::new();
    let mut line = String::new();
    let read = io::stdin().lock().read_line(&mut line);
    drop(echo);
    // The Enter the user typed was not echoed either.
    let _ = writeln!(stderr);
    read.map_err(unreadable)?;
    Ok(line)
}

/// Terminal echo off on standard input while it lives (unix); nothing elsewhere, or
/// when standard input is no terminal.
struct EchoOff {
    #[cfg(unix)]
    saved: Option<libc::termios>,
}

impl EchoOff {
    #[cfg(unix)]
    fn new() -> Self {
        // SAFETY: termios is plain data; tcgetattr fills it or fails (then unused).
        unsafe {
            let mut attrs: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(libc::STDIN_FILENO, &mut attrs) != 0 {
                return EchoOff { saved: None };
            }
            let mut quiet = attrs;
            quiet.c_lflag &= !libc::ECHO;
            if libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &quiet) != 0 {
                return EchoOff { saved: None };
            }
            EchoOff { saved: Some(attrs) }
        }
    }

    #[cfg(not(unix))]
    fn new() -> Self {
        EchoOff {}
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some(saved) = self.saved {
            // SAFETY: restores the attributes tcgetattr returned for the same descriptor.
            unsafe {
                libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &saved);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn piped_secrets_are_read_a_line_each_without_line_ends() {
        let mut input = SecretInput::piped("client-secret\r\nnew password\nlast".as_bytes());
        let secret = client_secret(None, &mut input, "ops").unwrap();
        assert_eq!(secret.expose(), "client-secret");
        assert_eq!(input.read_new("password").unwrap().expose(), "new password", "asked once when piped");
        assert_eq!(input.read("x").unwrap().expose(), "last", "a last line without a newline");
        let end = input.read("password of carol").unwrap_err();
        assert_eq!(end.exit_code(), 2);
        assert!(end.to_string().contains("password of carol"), "{end}");
    }

    #[test]
    fn the_environment_spares_a_line() {
        let mut input = SecretInput::piped("user password\n".as_bytes());
        let secret = client_secret(Some("from-env".into()), &mut input, "ops").unwrap();
        assert_eq!(secret.expose(), "from-env");
        assert_eq!(input.read("password").unwrap().expose(), "user password");
    }

    #[test]
    fn empty_secrets_are_refused() {
        let mut input = SecretInput::piped("\n".as_bytes());
        assert_eq!(input.read("password").unwrap_err().exit_code(), 2);
        let mut input = SecretInput::piped("x\n".as_bytes());
        assert_eq!(client_secret(Some(String::new()), &mut input, "ops").unwrap().expose(), "x", "empty env is unset");
    }
}
