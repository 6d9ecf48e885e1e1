//! The `reports-job` binary under test: a job, not a server. It is started, runs its
//! bounded number of runs (or until SIGTERM) and exits; the test reads its exit status
//! and the fields of its log lines (`run finished`, `summary`).

use std::collections::BTreeMap;
use std::process::ExitStatus;
use std::time::Duration;

use crate::binaries;
use crate::poll::try_poll_until;
use crate::process::ServerProcess;

const NAME: &str = "reports-job";

/// How to start the job against a given auth server and documents API.
#[derive(Clone)]
pub struct ReportsJobOptions {
    env: BTreeMap<String, String>,
}

impl ReportsJobOptions {
    /// The job calling `api_url` as `client_id`, with tokens from `auth_url`.
    pub fn new(auth_url: &str, api_url: &str, client_id: &str, client_secret: &str) -> Self {
        let env = [
            ("REPORTS_AUTH_URL", auth_url),
            ("REPORTS_API_URL", api_url),
            ("REPORTS_CLIENT_ID", client_id),
            ("REPORTS_CLIENT_SECRET", client_secret),
            ("RUST_LOG", "info"),
            ("LOG_FORMAT", "text"),
            ("NO_COLOR", "1"),
            ("RUST_BACKTRACE", "1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        ReportsJobOptions { env }
    }

    /// Sets an environment variable, e.g. `("REPORTS_RUNS", "10")`.
    pub fn env(mut self, key: &str, value: impl Into<String>) -> Self {
        self.env.insert(key.to_owned(), value.into());
        self
    }
}

/// A running (or finished) job, killed on drop; its log is printed if the test failed.
pub struct ReportsJob {
    process: ServerProcess,
    dir: tempfile::TempDir,
}

impl ReportsJob {
    pub fn start(options: &ReportsJobOptions) -> Self {
        let dir = tempfile::Builder::new().prefix("e2e-reports-").tempdir().expect("create a temp dir");
        let env: Vec<(String, String)> = options.env.clone().into_iter().collect();
        let process = ServerProcess::spawn(NAME, &binaries::path(NAME), &env, &dir.path().join("reports-job.log"));
        ReportsJob { process, dir }
    }

    /// Waits up to `timeout` for the job to exit by itself; its status, or `None`.
    pub async fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        try_poll_until(timeout, || std::future::ready(self.process.exited())).await
    }

    /// Sends SIGTERM and waits up to `timeout` for the exit.
    pub async fn terminate(&mut self, timeout: Duration) -> Option<ExitStatus> {
        self.process.terminate(timeout).await
    }

    /// Its stdout and stderr so far.
    pub fn log(&self) -> String {
        self.process.log()
    }

    /// The `key=value` fields of the last log line with this message (`"summary"`,
    /// `"run finished"`).
    pub fn fields(&self, message: &str) -> Option<BTreeMap<String, String>> {
        self.log().lines().rev().find_map(|line| line_fields(line, message))
    }
}

impl Drop for ReportsJob {
    fn drop(&mut self) {
        self.process.stop();
        if std::thread::panicking() {
            eprintln!("----- {NAME} log ({}) -----\n{}----- end -----", self.dir.path().display(), self.log());
        }
    }
}

/// The fields of a text-format line (`<time> <LEVEL> <message> key=value ...`) whose
/// message is `message`.
fn line_fields(line: &str, message: &str) -> Option<BTreeMap<String, String>> {
    let mut words = line.split_whitespace().skip(2);
    for word in message.split(' ') {
        if words.next()? != word {
            return None;
        }
    }
    Some(words.filter_map(|pair| pair.split_once('=')).map(|(key, value)| (key.to_owned(), value.to_owned())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_fields_of_a_line() {
        let line = "2026-01-01T00:00:00.000000Z  INFO summary runs=3 ok=24 failed=0";
        let fields = line_fields(line, "summary").unwrap();
        assert_eq!((fields["runs"].as_str(), fields["ok"].as_str(), fields["failed"].as_str()), ("3", "24", "0"));
        assert!(line_fields(line, "run finished").is_none());
        let run = "2026-01-01T00:00:00.000000Z  INFO run finished run=1 ok=8";
        assert_eq!(line_fields(run, "run finished").unwrap()["run"], "1");
    }
}
