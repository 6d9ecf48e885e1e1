//! The rules a client registration must follow, whoever registers it: the bootstrap
//! file at start-up or `POST /admin/clients` (whose body is shaped like a bootstrap
//! file entry). One function, so the two can never disagree.
//!
//! - `client_id`: see [`crate::oauth::validation::check_client_id`].
//! - `grant_types`: names of grants this server implements (RFC 6749 §4.3, §4.4, §6).
//! - A public client has no secret; a confidential one has exactly one, given plain
//!   (hashed here) or as hex SHA-256.
//! - `client_credentials` needs a confidential client (RFC 6749 §4.4: the client
//!   authenticates itself, which a public client cannot).
//! - `scopes`: RFC 6749 §3.3 tokens; `audiences` (what its tokens are for) and
//!   `serves` (what it serves as a resource server): non-empty, printable values.
//! - `redirect_uris` and `post_logout_redirect_uris`: see
//!   [`crate::oauth::redirect_uri::check_registration`]; `authorization_code` needs at
//!   least one redirect URI (RFC 6749 §3.1.2.2).
//! - `display_name`: 1 to 100 printable characters.

use shared_claims::ScopeSet;

use crate::crypto::sha256_hex;
use crate::grants::GrantType;
use crate::store::ClientRecord;
use shared_claims::Secret;

/// A client as an operator describes it, before any check.
#[derive(Debug, Default)]
pub struct ClientSpec {
    pub client_id: String,
    pub public: bool,
    pub client_secret: Option<Secret>,
    /// Hex SHA-256 of the secret.
    pub client_secret_hash: Option<String>,
    pub grant_types: Vec<String>,
    pub scopes: Vec<String>,
    pub audiences: Vec<String>,
    /// Audiences it serves as a resource server; empty: its own `client_id`.
    pub serves: Vec<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// The name the login page shows.
    pub display_name: Option<String>,
}

/// Longest `display_name`, in characters.
const MAX_DISPLAY_NAME_CHARS: usize = 100;

impl ClientSpec {
    /// Checks the registration and builds the stored record (only the secret's hash
    /// is kept). The error names the client and the rule it breaks.
    pub fn into_record(self) -> Result<ClientRecord, String> {
        let id = &self.client_id;
        crate::oauth::validation::check_client_id(id)?;
        for grant in &self.grant_types {
            if GrantType::parse(grant).is_none() {
                return Err(format!("client {id:?}: unknown grant type {grant:?}"));
            }
        }
        for (field, values) in [("audiences", &self.audiences), ("serves", &self.serves)] {
            if values.iter().any(|a| a.is_empty() || a.len() > 255 || a.chars().any(char::is_control)) {
                return Err(format!("client {id:?}: {field} must be 1 to 255 characters without control characters"));
            }
        }
        for uri in self.redirect_uris.iter().chain(&self.post_logout_redirect_uris) {
            crate::oauth::redirect_uri::check_registration(uri).map_err(|e| format!("client {id:?}: {e}"))?;
        }
        if self.redirect_uris.is_empty() && self.grant_types.iter().any(|g| g == GrantType::AuthorizationCode.as_str())
        {
            return Err(format!("client {id:?}: authorization_code needs at least one redirect URI"));
        }
        if let Some(name) = &self.display_name {
            let chars = name.chars().count();
            if chars == 0 || chars > MAX_DISPLAY_NAME_CHARS || name.chars().any(char::is_control) {
                return Err(format!(
                    "client {id:?}: display_name must be 1 to {MAX_DISPLAY_NAME_CHARS} characters without control characters"
                ));
            }
        }
        let secret_sha256 = match (self.public, self.client_secret, self.client_secret_hash) {
            (true, None, None) => None,
            (true, _, _) => return Err(format!("client {id:?}: a public client has no secret")),
            (false, Some(secret), None) => Some(sha256_hex(secret.expose().as_bytes())),
            (false, None, Some(hash)) if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Some(hash.to_ascii_lowercase())
            }
            (false, None, Some(_)) => return Err(format!("client {id:?}: client_secret_hash must be hex SHA-256")),
            (false, Some(_), Some(_)) => {
                return Err(format!("client {id:?}: give client_secret or client_secret_hash, not both"))
            }
            (false, None, None) => {
                return Err(format!("client {id:?}: a confidential client needs a secret (or public = true)"))
            }
        };
        if secret_sha256.is_none() && self.grant_types.iter().any(|g| g == GrantType::ClientCredentials.as_str()) {
            return Err(format!("client {id:?}: client_credentials needs a confidential client"));
        }
        let scopes = ScopeSet::from_tokens(&self.scopes).map_err(|e| format!("client {id:?}: {e}"))?;
        Ok(ClientRecord {
            client_id: self.client_id,
            secret_sha256,
            grant_types: self.grant_types,
            scopes,
            audiences: self.audiences,
            serves: self.serves,
            registration: crate::crypto::random_id(),
            redirect_uris: self.redirect_uris,
            post_logout_redirect_uris: self.post_logout_redirect_uris,
            display_name: self.display_name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(id: &str, public: bool, grants: &[&str]) -> ClientSpec {
        ClientSpec {
            client_id: id.into(),
            public,
            grant_types: grants.iter().map(|g| g.to_string()).collect(),
            ..ClientSpec::default()
        }
    }

    #[test]
    fn keeps_only_the_hash_of_a_plain_secret() {
        let record =
            ClientSpec { client_secret: Some(Secret::new("abc")), ..spec("svc", false, &["client_credentials"]) }
                .into_record()
                .unwrap();
        assert_eq!(
            record.secret_sha256.as_deref(),
            Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
    }

    #[test]
    fn refuses_what_the_rules_forbid() {
        let err = |spec: ClientSpec| spec.into_record().unwrap_err();
        assert!(err(spec("x", true, &["client_credentials"])).contains("confidential"));
        assert!(err(spec("x", true, &["implicit"])).contains("unknown grant type"));
        assert!(err(spec("a:b", true, &[])).contains("client_id"));
        assert!(err(spec("x", false, &["password"])).contains("needs a secret"));
        assert!(err(ClientSpec { audiences: vec![String::new()], ..spec("x", true, &[]) }).contains("audiences"));
        assert!(err(ClientSpec { serves: vec!["a\nb".into()], ..spec("x", true, &[]) }).contains("serves"));
        assert!(err(ClientSpec { scopes: vec!["a b".into()], ..spec("x", true, &[]) }).contains("scope"));
        assert!(err(spec("x", true, &["authorization_code"])).contains("needs at least one redirect URI"));
        let uris = |uris: &[&str]| uris.iter().map(|u| u.to_string()).collect::<Vec<_>>();
        let with_uri =
            |uri: &str| ClientSpec { redirect_uris: uris(&[uri]), ..spec("x", true, &["authorization_code"]) };
        assert!(err(with_uri("/cb")).contains("absolute"));
        assert!(err(with_uri("https://app.example/cb#f")).contains("fragment"));
        assert!(err(with_uri("http://app.example/cb")).contains("loopback"));
        let logout =
            ClientSpec { post_logout_redirect_uris: uris(&["http://app.example/"]), ..with_uri("https://a.b/c") };
        assert!(err(logout).contains("loopback"));
        assert!(err(ClientSpec { display_name: Some(String::new()), ..spec("x", true, &[]) }).contains("display_name"));
        assert!(err(ClientSpec { display_name: Some("a\nb".into()), ..spec("x", true, &[]) }).contains("display_name"));
    }

    #[test]
    fn keeps_redirect_uris_and_the_display_name() {
        let record = ClientSpec {
            redirect_uris: vec!["http://localhost:8090/callback".into()],
            post_logout_redirect_uris: vec!["http://localhost:8090/".into()],
            display_name: Some("Web portal".into()),
            client_secret: Some(Secret::new("s")),
            ..spec("web-portal", false, &["authorization_code", "refresh_token"])
        }
        .into_record()
        .unwrap();
        assert_eq!(record.redirect_uris, ["http://localhost:8090/callback"]);
        assert_eq!(record.post_logout_redirect_uris, ["http://localhost:8090/"]);
        assert_eq!(record.shown_name(), "Web portal");
    }
}
