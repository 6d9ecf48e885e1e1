//! Clients: register, list, delete.
//!
//! Registration follows the bootstrap file's rules ([`ClientSpec::into_record`]);
//! the secret of a confidential client is generated here (256 random bits,
//! base64url), returned once in the creation answer, and only its SHA-256 is kept.
//!
//! Deleting a client stops it at once at the token endpoint (its refresh tokens need
//! it to authenticate) and revokes every token issued to it (a client revocation on
//! the feed, so resource servers refuse its access tokens too). Registering the same
//! `client_id` again makes a new client: sessions of the old one never refresh again
//! (they name the old registration). A client registered again within a few seconds
//! of its deletion gets tokens refused until the deletion's cut-off has passed.

use serde::{Deserialize, Serialize, Serializer};

use super::AdminError;
use crate::oauth::authority::Authority;
use crate::oauth::client_cache;
use crate::oauth::client_registration::ClientSpec;
use crate::store::{ClientRecord, ClientStore, Revocation};
use shared_claims::Secret;

/// Bytes of randomness in a generated client secret (RFC 6749 §10.10; RFC 9700 §4.14).
const SECRET_BYTES: usize = 32;

/// `POST /admin/clients`: the bootstrap file's client, without secret fields (the
/// server makes the secret).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(
    description = "`POST /admin/clients`. `client_credentials` needs a confidential client (`public` false); anything else breaking a rule of the bootstrap file is 400 too."
)]
pub struct NewClient {
    #[schema(value_type = crate::oauth::api_schemas::ClientId)]
    pub client_id: String,
    #[serde(default)]
    pub public: bool,
    #[schema(value_type = Vec<crate::oauth::api_schemas::GrantTypeName>)]
    pub grant_types: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Vec<crate::oauth::api_schemas::ScopeToken>)]
    pub scopes: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Vec<crate::oauth::api_schemas::Name>)]
    pub audiences: Vec<String>,
    /// Audiences it serves as a resource server; absent: its own `client_id`.
    #[serde(default)]
    #[schema(value_type = Vec<crate::oauth::api_schemas::Name>)]
    pub serves: Vec<String>,
    /// Exact redirect URIs of the authorization code flow: absolute, no fragment,
    /// `https` (or `http` on a loopback host). Required with `authorization_code`.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Where the logout endpoint may send the browser afterwards (same rules).
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// The name the login page shows (default: `client_id`).
    #[serde(default)]
    pub display_name: Option<String>,
}

/// A client as the admin API lists it: never a secret or its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ClientView {
    pub client_id: String,
    pub public: bool,
    pub grant_types: Vec<String>,
    pub scopes: Vec<String>,
    pub audiences: Vec<String>,
    /// The audiences it serves as a resource server (its `client_id` unless others
    /// were registered).
    pub serves: Vec<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

impl From<&ClientRecord> for ClientView {
    fn from(client: &ClientRecord) -> Self {
        Self {
            client_id: client.client_id.clone(),
            public: client.secret_sha256.is_none(),
            grant_types: client.grant_types.clone(),
            scopes: client.scopes.iter().map(str::to_owned).collect(),
            audiences: client.audiences.clone(),
            serves: client.served_audiences().to_vec(),
            redirect_uris: client.redirect_uris.clone(),
            post_logout_redirect_uris: client.post_logout_redirect_uris.clone(),
            display_name: client.display_name.clone(),
        }
    }
}

/// The creation answer: the view, plus the generated secret of a confidential
/// client. The only time the secret is ever shown.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedClient {
    #[serde(flatten)]
    pub client: ClientView,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "expose")]
    #[schema(value_type = Option<String>)]
    pub client_secret: Option<Secret>,
}

fn expose<S: Serializer>(secret: &Option<Secret>, serializer: S) -> Result<S::Ok, S::Error> {
    match secret {
        Some(secret) => serializer.serialize_str(secret.expose()),
        None => serializer.serialize_none(),
    }
}

pub async fn create_client(authority: &Authority, new: NewClient) -> Result<CreatedClient, AdminError> {
    let secret = (!new.public).then(|| Secret::new(crate::crypto::random_token(SECRET_BYTES)));
    let record = ClientSpec {
        client_id: new.client_id,
        public: new.public,
        client_secret: secret.clone(),
        client_secret_hash: None,
        grant_types: new.grant_types,
        scopes: new.scopes,
        audiences: new.audiences,
        serves: new.serves,
        redirect_uris: new.redirect_uris,
        post_logout_redirect_uris: new.post_logout_redirect_uris,
        display_name: new.display_name,
    }
    .into_record()
    .map_err(AdminError::InvalidRequest)?;
    // Client tokens carry the client id as `sub`, like users' tokens carry the
    // username: keep the two apart (RFC 9700 §4.15.1).
    if authority.store.user(&record.client_id).await?.is_some() {
        return Err(AdminError::conflict(format!("{:?} is already a username", record.client_id)));
    }
    if !authority.clients.insert_client(&record).await? {
        return Err(AdminError::conflict(format!("client {:?} already exists", record.client_id)));
    }
    tracing::info!(client_id = %record.client_id, "admin: client created");
    Ok(CreatedClient { client: ClientView::from(&record), client_secret: secret })
}

/// Every client, ordered by `client_id`.
pub async fn list_clients(authority: &Authority) -> Result<Vec<ClientView>, AdminError> {
    let mut clients: Vec<ClientView> = authority.store.list_clients().await?.iter().map(ClientView::from).collect();
    clients.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    Ok(clients)
}

/// Deletes `client_id`, unless it is `caller`'s own client: deleting it would revoke the
/// caller's token mid-request and leave the admin API without that admin.
pub async fn delete_client(authority: &Authority, client_id: &str, caller: Option<&str>) -> Result<(), AdminError> {
    if caller == Some(client_id) {
        return Err(AdminError::conflict(format!(
            "client {client_id:?} is the caller's own client; delete it with another admin client"
        )));
    }
    if authority.store.client(client_id).await?.is_none() {
        return Err(AdminError::not_found(format!("no client {client_id:?}")));
    }
    // Revoked before it is deleted, so a failed deletion can be retried with nothing
    // left valid. The cut-off covers this whole second (`iat` is whole seconds) and
    // the time other replicas may still authenticate the client from their cache.
    let now = shared_claims::unix_now();
    let before = now + client_cache::TTL.as_secs() as i64 + 1;
    let revocation = Revocation::Client { client_id: client_id.to_owned(), before };
    authority.record_revocation(&revocation, before + authority.tokens.settings().access_ttl).await?;
    authority.clients.delete_client(client_id).await?;
    tracing::info!(client_id, "admin: client deleted, every token of it revoked");
    Ok(())
}
