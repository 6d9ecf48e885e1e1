//! The bootstrap file (`AUTH_BOOTSTRAP`, TOML): users and clients applied at start-up.
//!
//! Applying is idempotent and only ever creates: a user or client missing from the
//! store is created from the file; one that exists is left exactly as it is. The file
//! seeds a deployment; afterwards the admin API is the authority, so a restart (or a
//! new replica) never re-enables a disabled user, undoes a password reset, or reverts
//! a changed client. A user or client deleted through the admin API but still named
//! in the file comes back at the next start: remove it from the file too.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use shared_claims::ScopeSet;
use toml::Spanned;

use crate::crypto::password::{is_valid_phc, PasswordError, Passwords};
use crate::oauth::client_registration::ClientSpec;
use crate::store::{ClientRecord, Store, StoreError, UserRecord};
use shared_claims::Secret;

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("cannot read bootstrap file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("bootstrap file {path}")]
    Parse {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    #[error("bootstrap file {path}, line {line}: {message}")]
    Invalid { path: PathBuf, line: usize, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("bootstrap file {path}: {message}")]
    Conflict { path: PathBuf, message: String },
    #[error("bootstrap user {username:?} has neither password nor password_hash")]
    NoPassword { username: String },
    #[error("hashing a bootstrap password failed")]
    Hash(#[source] PasswordError),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BootstrapFile {
    #[serde(default)]
    users: Vec<Spanned<UserEntry>>,
    #[serde(default)]
    clients: Vec<Spanned<ClientEntry>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserEntry {
    username: String,
    password: Option<Secret>,
    password_hash: Option<String>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    disabled: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientEntry {
    client_id: String,
    #[serde(default)]
    public: bool,
    client_secret: Option<Secret>,
    /// Hex SHA-256 of the secret.
    client_secret_hash: Option<String>,
    grant_types: Vec<String>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    audiences: Vec<String>,
    /// Audiences it serves as a resource server (introspection, revocation feed);
    /// absent: its own `client_id`.
    #[serde(default)]
    serves: Vec<String>,
    /// Exact redirect URIs of the authorization code flow.
    #[serde(default)]
    redirect_uris: Vec<String>,
    /// Where the logout endpoint may send the browser afterwards.
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
    /// The name the login page shows.
    display_name: Option<String>,
}

/// What the file asks for, checked and ready to apply.
pub struct Bootstrap {
    users: Vec<(UserEntry, ScopeSet)>,
    clients: Vec<ClientRecord>,
}

impl Bootstrap {
    pub fn load(path: &Path) -> Result<Self, BootstrapError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| BootstrapError::Read { path: path.into(), source })?;
        Self::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Self, BootstrapError> {
        let file: BootstrapFile =
            toml::from_str(text).map_err(|source| BootstrapError::Parse { path: path.into(), source })?;
        let invalid = |span: std::ops::Range<usize>, message: String| BootstrapError::Invalid {
            path: path.into(),
            line: text[..span.start.min(text.len())].matches('\n').count() + 1,
            message,
        };
        let mut users = Vec::new();
        for entry in file.users {
            let span = entry.span();
            let user = entry.into_inner();
            let scopes = check_user(&user).map_err(|m| invalid(span, m))?;
            users.push((user, scopes));
        }
        let mut clients: Vec<ClientRecord> = Vec::new();
        for entry in file.clients {
            let span = entry.span();
            clients.push(client_record(entry.into_inner()).map_err(|m| invalid(span, m))?);
        }
        // Client tokens carry the client id as `sub`: no user may share it
        // (RFC 9700 §4.15.1).
        if let Some(clash) = clients.iter().find(|c| users.iter().any(|(u, _)| u.username == c.client_id)) {
            return Err(BootstrapError::Conflict {
                path: path.into(),
                message: format!("{:?} is both a username and a client id", clash.client_id),
            });
        }
        Ok(Self { users, clients })
    }

    /// Applies the file to the store. Returns how many plain-text passwords it holds,
    /// so start-up can warn about them.
    pub async fn apply(self, store: &dyn Store, passwords: &Passwords) -> Result<usize, BootstrapError> {
        let mut plain = 0;
        for (entry, scopes) in self.users {
            if entry.password.is_some() {
                plain += 1;
            }
            // Unknown users must cost what the strongest stored hash costs: the
            // dummy hash follows hashes stronger than ours.
            if let Some(existing) = store.user(&entry.username).await? {
                passwords.observe(&existing.password_hash).await.map_err(BootstrapError::Hash)?;
                continue;
            }
            let password_hash = match (entry.password_hash, entry.password) {
                (Some(hash), _) => {
                    passwords.observe(&hash).await.map_err(BootstrapError::Hash)?;
                    hash
                }
                (None, Some(password)) => passwords.hash(password).await.map_err(BootstrapError::Hash)?,
                (None, None) => return Err(BootstrapError::NoPassword { username: entry.username }),
            };
            let user = UserRecord {
                username: entry.username,
                password_hash,
                scopes,
                disabled: entry.disabled,
                tokens_valid_after: 0,
            };
            store.insert_user(&user).await?;
        }
        for client in self.clients {
            store.insert_client(&client).await?;
        }
        Ok(plain)
    }
}

fn check_user(user: &UserEntry) -> Result<ScopeSet, String> {
    crate::oauth::validation::check_username(&user.username)?;
    match (&user.password, &user.password_hash) {
        (Some(_), Some(_)) => {
            return Err(format!("user {:?}: give password or password_hash, not both", user.username))
        }
        (None, None) => return Err(format!("user {:?}: password or password_hash is required", user.username)),
        (None, Some(hash)) if !is_valid_phc(hash) => {
            return Err(format!("user {:?}: password_hash is not an Argon2 PHC string", user.username))
        }
        _ => {}
    }
    ScopeSet::from_tokens(&user.scopes).map_err(|e| format!("user {:?}: {e}", user.username))
}

fn client_record(entry: ClientEntry) -> Result<ClientRecord, String> {
    ClientSpec {
        client_id: entry.client_id,
        public: entry.public,
        client_secret: entry.client_secret,
        client_secret_hash: entry.client_secret_hash,
        grant_types: entry.grant_types,
        scopes: entry.scopes,
        audiences: entry.audiences,
        serves: entry.serves,
        redirect_uris: entry.redirect_uris,
        post_logout_redirect_uris: entry.post_logout_redirect_uris,
        display_name: entry.display_name,
    }
    .into_record()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::UserStore;

    fn parse(text: &str) -> Result<Bootstrap, BootstrapError> {
        Bootstrap::parse(text, Path::new("boot.toml"))
    }

    #[test]
    fn reads_the_documented_example() {
        let boot = parse(
            r#"
[[users]]
username = "alice"
password = "dev-only-password"
scopes = ["documents:read", "documents:write"]

[[clients]]
client_id = "web-app"
public = true
grant_types = ["password", "refresh_token"]
scopes = ["documents:read", "documents:write"]
audiences = ["documents-api"]

[[clients]]
client_id = "ops"
client_secret = "another-long-random-secret"
grant_types = ["client_credentials"]
scopes = ["admin"]
"#,
        )
        .unwrap();
        assert_eq!(boot.users.len(), 1);
        assert_eq!(boot.clients.len(), 2);
        assert!(boot.clients[0].secret_sha256.is_none());
        assert_eq!(boot.clients[1].secret_sha256.as_deref().map(str::len), Some(64));
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let err = parse("[[clients]]\nclient_id = \"x\"\npublic = true\nclient_secret = \"s\"\ngrant_types = []\n")
            .err()
            .unwrap()
            .to_string();
        assert!(err.starts_with("bootstrap file boot.toml, line 1:"), "{err}");
        let err = parse("\n\n[[users]]\nusername = \"a\"\n").err().unwrap().to_string();
        assert!(err.contains("line 3") && err.contains("password"), "{err}");
        // The TOML parser's message (with the line) is the cause, kept as the source.
        let err = shared_claims::error_chain(&parse("[[users]\n").err().unwrap());
        assert!(err.contains("boot.toml") && err.contains("line 1"), "{err}");
        let err = parse("[[clients]]\nclient_id = \"x\"\nclient_secret = \"s\"\ngrant_types = [\"implicit\"]\n")
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("unknown grant type"), "{err}");
        assert!(parse("typo = 1").is_err());
    }

    #[test]
    fn reads_redirect_uris_and_the_display_name() {
        let boot = parse(
            r#"
[[clients]]
client_id = "web-portal"
client_secret = "a-long-random-secret"
grant_types = ["authorization_code", "refresh_token"]
redirect_uris = ["http://localhost:8090/callback"]
post_logout_redirect_uris = ["http://localhost:8090/"]
display_name = "Documents portal"
"#,
        )
        .unwrap();
        let portal = &boot.clients[0];
        assert_eq!(portal.redirect_uris, ["http://localhost:8090/callback"]);
        assert_eq!(portal.post_logout_redirect_uris, ["http://localhost:8090/"]);
        assert_eq!(portal.display_name.as_deref(), Some("Documents portal"));
        let err = parse("[[clients]]\nclient_id = \"x\"\npublic = true\ngrant_types = [\"authorization_code\"]\n")
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("line 1") && err.contains("redirect URI"), "{err}");
        let err = parse(
            "[[clients]]\nclient_id = \"x\"\npublic = true\ngrant_types = [\"authorization_code\"]\n\
             redirect_uris = [\"http://app.example/cb\"]\n",
        )
        .err()
        .unwrap()
        .to_string();
        assert!(err.contains("loopback"), "{err}");
    }

    #[test]
    fn a_name_cannot_be_both_user_and_client() {
        let err = parse(
            "[[users]]\nusername = \"svc\"\npassword = \"pw-123456\"\n\n\
             [[clients]]\nclient_id = \"svc\"\nclient_secret = \"s\"\ngrant_types = [\"client_credentials\"]\n",
        )
        .err()
        .unwrap()
        .to_string();
        assert!(err.contains("both a username and a client id"), "{err}");
    }

    #[test]
    fn public_clients_cannot_use_client_credentials() {
        let err = parse("[[clients]]\nclient_id = \"x\"\npublic = true\ngrant_types = [\"client_credentials\"]\n")
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("confidential"), "{err}");
    }

    #[tokio::test]
    async fn applying_twice_changes_nothing() {
        let store = crate::store::MemoryStore::new();
        let passwords = Passwords::new(1).unwrap();
        let text = "[[users]]\nusername = \"a\"\npassword = \"pw-123456\"\nscopes = [\"x\"]\n";
        let plain = parse(text).unwrap().apply(&store, &passwords).await.unwrap();
        assert_eq!(plain, 1);
        let first = store.user("a").await.unwrap().unwrap();
        parse(text).unwrap().apply(&store, &passwords).await.unwrap();
        assert_eq!(store.user("a").await.unwrap().unwrap(), first);
    }
}
