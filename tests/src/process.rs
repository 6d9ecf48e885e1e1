//! A server binary run as a child process with its output captured in a log file.
//!
//! `ServerProcess::spawn` starts it; `wait_bound` waits for `listening on http://ADDR`;
//! drop kills it. Starting, readiness and restarts are `crate::managed`'s business.
//! [`die_with_parent`] makes a child go when the test process does, even on abort.

use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use crate::poll::try_poll_until;

/// How long a server may take from spawn to logging its address.
pub(crate) const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The log text that announces the bound address.
const LISTENING: &str = "listening on http://";

pub(crate) struct ServerProcess {
    name: String,
    child: Child,
    log_path: PathBuf,
}

impl ServerProcess {
    /// Starts `binary` with exactly `env` (plus `PATH`) and stdout+stderr appended to
    /// `log_path`.
    pub(crate) fn spawn(name: &str, binary: &Path, env: &[(String, String)], log_path: &Path) -> Self {
        Self::spawn_with_args(name, binary, &[], env, log_path, false)
    }

    /// Like [`Self::spawn`], with command-line arguments; with `own_group`, the process
    /// leads a new process group, which [`Self::kill_group`] ends with everything it
    /// started (a browser and its helpers).
    pub(crate) fn spawn_with_args(
        name: &str,
        binary: &Path,
        args: &[String],
        env: &[(String, String)],
        log_path: &Path,
        own_group: bool,
    ) -> Self {
        let log = File::options()
            .create(true)
            .append(true)
            .open(log_path)
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", log_path.display()));
        let stderr = log.try_clone().expect("clone a log file handle");
        let mut command = Command::new(binary);
        command
            .args(args)
            .env_clear()
            .envs(std::env::var_os("PATH").map(|path| ("PATH", path)))
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(stderr);
        if own_group {
            use std::os::unix::process::CommandExt;
            command.process_group(0);
        }
        die_with_parent(&mut command);
        let child = command.spawn().unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        ServerProcess { name: name.to_owned(), child, log_path: log_path.to_owned() }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The captured output so far, without ANSI colour codes.
    pub(crate) fn log(&self) -> String {
        read_log(&self.log_path)
    }

    /// The exit status if the process has ended.
    pub(crate) fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Waits for the log line announcing the bound address. On failure returns a message
    /// with the log, so the caller can panic or report it.
    pub(crate) async fn wait_bound(&mut self) -> Result<SocketAddr, String> {
        let log_path = self.log_path.clone();
        let found = try_poll_until(START_TIMEOUT, || {
            let result = match self.exited() {
                Some(status) => Some(Err(format!("exited with {status}"))),
                None => bound_address(&read_log(&log_path)).map(Ok),
            };
            async move { result }
        })
        .await
        .unwrap_or_else(|| Err(format!("did not log `{LISTENING}ADDR` within {START_TIMEOUT:?}")));
        found.map_err(|why| format!("{} {why}; its log:\n{}", self.name, self.log()))
    }

    /// Sends SIGTERM (what `docker compose stop` sends) and waits up to `timeout` for
    /// the process to exit; `None` if it is still running then.
    pub(crate) async fn terminate(&mut self, timeout: Duration) -> Option<ExitStatus> {
        terminate(&mut self.child, timeout).await
    }

    /// Sends `signal` (e.g. `SIGSTOP`, `SIGCONT`) unless the process has exited.
    pub(crate) fn signal(&mut self, signal: libc::c_int) {
        send_signal(&mut self.child, signal);
    }

    /// SIGKILLs the process group this process leads (spawned with `own_group`), then
    /// reaps the process. Only while the leader is running or unreaped: its pid, the
    /// group id, cannot have been reused then.
    pub(crate) fn kill_group(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let pid = libc::pid_t::try_from(self.child.id()).expect("a pid fits pid_t");
            // SAFETY: a plain system call on the group our own unreaped child leads.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
        self.stop();
    }

    /// Kills the process and waits for it, so its port and files are released.
    pub(crate) fn stop(&mut self) {
        if self.exited().is_none() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// On Linux, makes the kernel send the child SIGKILL when the test process dies
/// (`PR_SET_PDEATHSIG`): a test binary killed by a timeout, Ctrl-C or an abort, which
/// runs no `Drop`, leaves no server or redis-server behind. Elsewhere, does nothing.
///
/// The signal fires when the *thread* that spawned the child exits, not only the
/// process. That is safe here: every test is a `#[tokio::test]` on a current-thread
/// runtime, so children are spawned on the test's own thread, which outlives all of the
/// test's servers (their `Drop` kills them before the thread ends). The worker threads
/// of a multi-thread runtime also live as long as the runtime. A child spawned from
/// `spawn_blocking`, whose threads end after a short idle time, would be killed early:
/// never start servers there.
pub(crate) fn die_with_parent(command: &mut Command) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        let parent = libc::pid_t::try_from(std::process::id()).expect("a pid fits pid_t");
        // SAFETY: the closure runs in the forked child before `exec`, where only
        // async-signal-safe functions may be called. It makes two raw system calls
        // (`prctl`, `getppid`) and, on failure, reads `errno` or builds an
        // `io::Error` from a code: no allocation, no lock, no shared state. `prctl`
        // takes its argument as an unsigned long, so it is passed as one.
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                // The parent may have died between fork and prctl: then no signal will
                // come, so refuse to start rather than run unowned.
                if libc::getppid() != parent {
                    return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
                }
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = command;
}

/// Sends `signal` to `child` unless it has exited (and been reaped) already.
pub(crate) fn send_signal(child: &mut Child, signal: libc::c_int) {
    if child.try_wait().ok().flatten().is_some() {
        return;
    }
    let pid = libc::pid_t::try_from(child.id()).expect("a pid fits pid_t");
    // SAFETY: a plain system call on our own child's pid, which cannot have been
    // reused: the child is not reaped until `try_wait` or `wait` sees it exit, and
    // `try_wait` just said it has not.
    unsafe {
        libc::kill(pid, signal);
    }
}

/// Sends SIGTERM to `child` and waits up to `timeout` for it to exit; its exit status,
/// or `None` if it is still running then. A stopped (`SIGSTOP`) child is continued so
/// that it can act on the signal.
pub(crate) async fn terminate(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    send_signal(child, libc::SIGTERM);
    send_signal(child, libc::SIGCONT);
    try_poll_until(timeout, || {
        let status = child.try_wait().ok().flatten();
        async move { status }
    })
    .await
}

pub(crate) fn read_log(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_default();
    strip_ansi(&String::from_utf8_lossy(&bytes))
}

/// Removes ANSI escape sequences (`ESC [ ... letter`) that coloured log output carries.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The address in the first `listening on http://ADDR` of `log`.
fn bound_address(log: &str) -> Option<SocketAddr> {
    log.match_indices(LISTENING).find_map(|(at, _)| {
        let rest = &log[at + LISTENING.len()..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '[' | ']')))
            .unwrap_or(rest.len());
        rest[..end].parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_address_in_text_and_json_logs() {
        let text = "2025-01-01T00:00:00Z  INFO auth_server: listening on http://127.0.0.1:4321\n";
        assert_eq!(bound_address(text), Some("127.0.0.1:4321".parse().unwrap()));
        let json = r#"{"fields":{"message":"listening on http://127.0.0.1:99"}}"#;
        assert_eq!(bound_address(json), Some("127.0.0.1:99".parse().unwrap()));
        assert_eq!(bound_address("starting\n"), None);
    }

    #[test]
    fn strips_colour_codes() {
        assert_eq!(strip_ansi("\u{1b}[32m INFO\u{1b}[0m listening"), " INFO listening");
    }
}
