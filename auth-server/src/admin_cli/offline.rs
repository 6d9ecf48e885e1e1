//! The commands that need no server: the values of the bootstrap file's
//! `password_hash` and `client_secret_hash`, made by the server's own code.

use std::io::BufRead;

use super::secrets::SecretInput;
use super::CliError;
use crate::admin::passwords::check_new_password;
use crate::crypto::password::{hash_offline, is_valid_phc};
use crate::crypto::sha256_hex;

/// An Argon2id PHC string, with the server's parameters, of a password that follows
/// the admin API's rules.
pub(super) fn hash_password<R: BufRead>(input: &mut SecretInput<R>) -> Result<String, CliError> {
    let password = input.read_new("password")?;
    check_new_password(&password).map_err(|e| CliError::Usage(e.description()))?;
    let hash = hash_offline(&password).map_err(|e| CliError::Refused(e.to_string()))?;
    debug_assert!(is_valid_phc(&hash));
    Ok(hash)
}

/// Below this many characters a secret is worth a warning: a client secret should be
/// long and random (RFC 6749 §10.10); the server generates 43.
const SHORT_SECRET_CHARS: usize = 32;

/// The hex SHA-256 of a client secret, as `client_secret_hash` takes it; and a warning
/// when the secret is short.
pub(super) fn hash_client_secret<R: BufRead>(input: &mut SecretInput<R>) -> Result<(String, Option<String>), CliError> {
    let secret = input.read_new("client secret")?;
    let warning = (secret.expose().chars().count() < SHORT_SECRET_CHARS).then(|| {
        format!("warning: a client secret of fewer than {SHORT_SECRET_CHARS} characters is easy to guess; use a long random one")
    });
    Ok((sha256_hex(secret.expose().as_bytes()), warning))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::password::Passwords;
    use shared_claims::Secret;

    #[tokio::test]
    async fn password_hashes_verify_on_the_server() {
        let hash = hash_password(&mut SecretInput::piped("correct horse\n".as_bytes())).unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        let passwords = Passwords::new(1).unwrap();
        assert!(passwords.verify(Some(hash.clone()), Secret::new("correct horse")).await.unwrap());
        assert!(!passwords.verify(Some(hash), Secret::new("correct horse\n")).await.unwrap());
    }

    #[test]
    fn short_passwords_are_refused_as_bad_input() {
        let err = hash_password(&mut SecretInput::piped("short\n".as_bytes())).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("at least 8"), "{err}");
    }

    #[tokio::test]
    async fn client_secret_hashes_are_what_the_bootstrap_file_takes() {
        let secret = "a-long-random-secret-0123456789abcdef";
        let (hash, warning) = hash_client_secret(&mut SecretInput::piped(format!("{secret}\n").as_bytes())).unwrap();
        assert_eq!(hash, sha256_hex(secret.as_bytes()));
        assert_eq!(warning, None);
        let toml = format!(
            "[[clients]]\nclient_id = \"svc\"\nclient_secret_hash = \"{hash}\"\ngrant_types = [\"client_credentials\"]\n"
        );
        let store = crate::store::MemoryStore::new();
        let boot = crate::setup::bootstrap::Bootstrap::parse(&toml, std::path::Path::new("b.toml")).unwrap();
        boot.apply(&store, &Passwords::new(1).unwrap()).await.unwrap();
        let client = crate::store::ClientStore::client(&store, "svc").await.unwrap().unwrap();
        assert_eq!(client.secret_sha256.as_deref(), Some(hash.as_str()));
        let (_, warning) = hash_client_secret(&mut SecretInput::piped("abc\n".as_bytes())).unwrap();
        assert!(warning.is_some());
    }
}
