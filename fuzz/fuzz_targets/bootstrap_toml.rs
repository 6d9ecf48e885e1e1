//! The bootstrap file (`bootstrap::Bootstrap::parse`, TOML).
//!
//! Must hold: no panic; parsing fails only as a syntax/shape error or a rule
//! violation, and a rule violation names a line of the file; parsing is
//! deterministic.

#![no_main]

use std::path::Path;

use auth_server::setup::bootstrap::{Bootstrap, BootstrapError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let path = Path::new("boot.toml");
    let first = Bootstrap::parse(text, path);
    match &first {
        Ok(_) => {}
        Err(BootstrapError::Invalid { line, message, .. }) => {
            assert!(*line >= 1 && *line <= text.matches('\n').count() + 1, "line {line} is outside the file");
            assert!(!message.is_empty());
        }
        Err(BootstrapError::Parse { source, .. }) => assert!(!source.to_string().is_empty()),
        Err(BootstrapError::Conflict { message, .. }) => assert!(!message.is_empty()),
        Err(other) => panic!("parsing failed in a way only applying can: {other}"),
    }
    let second = Bootstrap::parse(text, path);
    let chain = |e: BootstrapError| shared_claims::error_chain(&e);
    assert_eq!(first.err().map(chain), second.err().map(chain));
});
