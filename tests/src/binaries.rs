//! Locating the server binaries.
//!
//! The end-to-end tests live in another package than the binaries, so Cargo gives them
//! no `CARGO_BIN_EXE_*`. Instead, the first time a test asks for a binary, we run
//! `cargo build --workspace --lib --bins --tests --examples` with the profile of the
//! running test binary and take the binary from the target directory that test binary
//! lives in (`target/<profile>/deps/<test>` -> `target/<profile>/`), once per test
//! process.
//!
//! The whole workspace and the targets `cargo test --workspace` builds, because Cargo
//! resolves dependency features for the packages and targets asked for: after that
//! test command, this build only links the binaries. A build of one package
//! (`-p auth-server`) resolved other features and rebuilt most of the dependency
//! tree, once per package.
//!
//! `E2E_AUTH_SERVER_BIN` / `E2E_RESOURCE_SERVER_BIN` / `E2E_WEB_PORTAL_BIN` /
//! `E2E_REPORTS_JOB_BIN`, when set, name a prebuilt binary to run instead (a release
//! build, a binary from a container image), and nothing is built for it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// The binaries the tests run.
const BINARIES: [&str; 5] = ["auth-server", "resource-server", "web-portal", "reports-job", "store-contract"];

/// The path of a freshly built workspace binary (`"auth-server"`, `"resource-server"`,
/// `"web-portal"`, `"reports-job"` or this crate's `"store-contract"`).
/// Panics with the build output if the build fails.
pub fn path(name: &str) -> PathBuf {
    if let Some(prebuilt) = prebuilt(name) {
        assert!(prebuilt.is_file(), "{} names no file: {}", override_variable(name), prebuilt.display());
        return prebuilt;
    }
    assert!(BINARIES.contains(&name), "unknown binary {name}");
    static BUILD: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    static REPORTED: AtomicBool = AtomicBool::new(false);
    let dir = BUILD.get_or_init(build).as_ref().unwrap_or_else(|error| {
        // The whole cargo output once; every other test that needs a binary says so briefly.
        if REPORTED.swap(true, Ordering::SeqCst) {
            panic!("building the binaries failed (the cargo output is in another failed test's output)");
        }
        panic!("{error}")
    });
    let binary = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(binary.is_file(), "{} was not built (looked for {})", name, binary.display());
    binary
}

/// The environment variable naming a prebuilt `name`: `E2E_<NAME>_BIN`.
fn override_variable(name: &str) -> String {
    format!("E2E_{}_BIN", name.to_ascii_uppercase().replace('-', "_"))
}

fn prebuilt(name: &str) -> Option<PathBuf> {
    std::env::var_os(override_variable(name)).filter(|path| !path.is_empty()).map(PathBuf::from)
}

/// The directory the test binary's profile writes binaries to.
fn profile_dir() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot locate the test binary: {e}"))?;
    let deps = exe.parent().ok_or("test binary has no parent directory")?;
    let dir = if deps.file_name().is_some_and(|n| n == "deps") { deps.parent() } else { Some(deps) };
    dir.map(Path::to_path_buf).ok_or_else(|| format!("no profile directory above {}", exe.display()))
}

fn build() -> Result<PathBuf, String> {
    let dir = profile_dir()?;
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().ok_or("the tests crate has no parent directory")?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(workspace).args(["build", "--workspace", "--lib", "--bins", "--tests", "--examples"]);
    if let Some(target_dir) = dir.parent() {
        command.arg("--target-dir").arg(target_dir);
    }
    match dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => {}
        Some("release") => {
            command.arg("--release");
        }
        Some(profile) => {
            command.args(["--profile", profile]);
        }
    }
    let output = command.output().map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "building the workspace failed ({command:?}, {}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(dir)
}
