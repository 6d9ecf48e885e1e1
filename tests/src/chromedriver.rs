//! `chromedriver` (Debian's `chromium-driver`) as a child process on a free port, for
//! tests that drive a real headless Chromium over WebDriver.
//!
//! ```text
//! ChromeDriver::start   free port, spawn, GET /status until ready (retried on
//!                       another port if the first was taken)
//! capabilities()        headless Chromium as root in a container: no sandbox, no
//!                       /dev/shm, a fixed window size for screenshots
//! Drop                  kills chromedriver's process group: chromedriver and any
//!                       browser it started, even one a failed test left open
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

use crate::poll::try_poll_until;
use crate::ports::free_port;
use crate::process::ServerProcess;

/// How long chromedriver may take to answer `/status`.
const START_TIMEOUT: Duration = Duration::from_secs(20);

pub struct ChromeDriver {
    process: ServerProcess,
    port: u16,
    _dir: tempfile::TempDir,
}

impl ChromeDriver {
    /// Starts chromedriver and waits until it accepts sessions. Panics saying how to
    /// install it when it is missing.
    pub async fn start() -> Self {
        let binary = find("chromedriver").unwrap_or_else(|| {
            panic!("chromedriver not found on PATH: install Debian's chromium and chromium-driver packages")
        });
        let dir = tempfile::Builder::new().prefix("e2e-chromedriver-").tempdir().expect("create a temp dir");
        let mut last = String::new();
        for attempt in 1..=3 {
            let port = free_port();
            let log = dir.path().join(format!("chromedriver-{attempt}.log"));
            let env = [("HOME".to_owned(), dir.path().display().to_string())];
            let mut process = ServerProcess::spawn_with_args(
                "chromedriver",
                &binary,
                &[format!("--port={port}"), "--allowed-ips=127.0.0.1".to_owned()],
                &env,
                &log,
                true,
            );
            let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(2)).build().expect("client");
            let url = format!("http://127.0.0.1:{port}/status");
            let ready = try_poll_until(START_TIMEOUT, || {
                let exited = process.exited().is_some();
                let request = http.get(&url).send();
                async move {
                    if exited {
                        return Some(false);
                    }
                    let body: Value = request.await.ok()?.json().await.ok()?;
                    body["value"]["ready"].as_bool().filter(|ready| *ready)
                }
            })
            .await;
            if ready == Some(true) {
                return ChromeDriver { process, port, _dir: dir };
            }
            last = process.log();
            process.kill_group();
        }
        panic!("chromedriver did not start; its last log:\n{last}")
    }

    /// The WebDriver URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The captured output.
    pub fn log(&self) -> String {
        self.process.log()
    }
}

impl Drop for ChromeDriver {
    /// Ends chromedriver and every browser it started, also those of a test that
    /// panicked before closing its session.
    fn drop(&mut self) {
        self.process.kill_group();
    }
}

/// Capabilities for a headless Chromium fit for a container running as root.
pub fn capabilities() -> serde_json::Map<String, Value> {
    let mut options = json!({
        "args": [
            "--headless=new",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--window-size=1024,900",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            // Screenshots the same on every run and machine.
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
        ]
    });
    if let Some(chromium) = find("chromium") {
        options["binary"] = json!(chromium.display().to_string());
    }
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".into(), json!("chrome"));
    capabilities.insert("goog:chromeOptions".into(), options);
    capabilities
}

/// `name` on `PATH`, or in `/usr/bin` and `/usr/lib/chromium` where Debian puts it.
fn find(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/lib/chromium")])
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}
