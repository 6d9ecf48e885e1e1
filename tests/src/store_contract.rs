//! The store contract suite (`auth_server::store::contract_tests`) in a process of its
//! own, the `store-contract` binary of this crate: the test gives it a trust store
//! (`SSL_CERT_FILE`, the CA of a TLS Redis) without changing its own environment,
//! which every other test shares.

use std::process::Stdio;
use std::time::Duration;

use crate::binaries;
use crate::process::die_with_parent;

/// Two runs of the whole suite on a loaded machine, over TLS to a cluster.
const TIMEOUT: Duration = Duration::from_secs(600);

/// What the binary prints once both runs passed.
pub const PASSED: &str = "the store contract passed twice";

/// Runs the suite twice with exactly `env` (plus `PATH`): `REDIS_URL` or
/// `REDIS_CLUSTER_URLS`, and `SSL_CERT_FILE` for TLS. `Ok` with its output when it
/// passed, `Err` with everything it printed otherwise.
pub async fn run_in_child(env: &[(&str, String)]) -> Result<String, String> {
    let mut command = std::process::Command::new(binaries::path("store-contract"));
    command
        .env_clear()
        .envs(std::env::var_os("PATH").map(|path| ("PATH", path)))
        .envs(env.iter().map(|(key, value)| (key, value)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    die_with_parent(&mut command);
    let mut command = tokio::process::Command::from(command);
    command.kill_on_drop(true);
    let output = tokio::time::timeout(TIMEOUT, command.output())
        .await
        .map_err(|_| format!("store-contract did not finish within {TIMEOUT:?}"))?
        .map_err(|e| format!("cannot run store-contract: {e}"))?;
    let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    if output.status.success() && printed.contains(PASSED) {
        Ok(printed)
    } else {
        Err(format!("store-contract exited with {}:\n{printed}", output.status))
    }
}
