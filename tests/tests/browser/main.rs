//! Browser tests: a real headless Chromium, driven over WebDriver (chromedriver), signs
//! in through the auth server's login page and uses the documents portal, with the
//! real binaries (auth-server, resource-server in local mode, web-portal) on free
//! ports. One test binary with modules, so it links once.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them).

// Test code: helpers panic with what went wrong.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sign_in;
mod signed_out;
mod sso;
mod support;
