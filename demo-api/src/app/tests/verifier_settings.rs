//! The verifier `build_verifier` makes of the settings.

use clap::Parser;
use resource_server::verify::{BuildError, VerifyMode};

use crate::app::{build_verifier, StartupError};
use crate::settings::Settings;

fn settings(args: &[&str]) -> Settings {
    let base = ["resource-server", "--client-id", "documents-api", "--client-secret", "s"];
    Settings::try_parse_from(base.iter().chain(args)).unwrap()
}

#[actix_web::test]
async fn an_issuer_is_passed_on_and_checked_in_both_modes() {
    for mode in ["local", "introspect"] {
        let good =
            settings(&["--verify", mode, "--auth-url", "http://gateway:8080", "--issuer", "http://localhost:8080"]);
        let verifier = build_verifier(&good).unwrap();
        assert_eq!(verifier.mode() == VerifyMode::Local, mode == "local");

        let bad = settings(&["--verify", mode, "--issuer", "localhost:8080"]);
        let err = build_verifier(&bad).unwrap_err();
        assert!(matches!(err, StartupError::Verifier(BuildError::Issuer(_))), "{mode}: {err:?}");
        assert!(err.to_string().contains("\"localhost:8080\""), "the error names the value: {err}");
    }
}
