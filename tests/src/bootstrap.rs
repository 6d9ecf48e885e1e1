//! The users and clients every test server starts with (the README's bootstrap TOML).

pub const ALICE: &str = "alice";
pub const ALICE_PASSWORD: &str = "alice-password-123";
pub const BOB: &str = "bob";
pub const BOB_PASSWORD: &str = "bob-password-456";

/// Public first-party client: `password` and `refresh_token`, audience `documents-api`.
pub const WEB_APP: &str = "web-app";
/// A second public client with the same registration as [`WEB_APP`], to show that a
/// refresh token is bound to the client it was issued to (RFC 6749 §6).
pub const MOBILE_APP: &str = "mobile-app";
/// The resource server's own confidential client (scope `introspect`).
pub const DOCUMENTS_API: &str = "documents-api";
pub const DOCUMENTS_API_SECRET: &str = "documents-api-secret-0123456789abcdef";
/// The operator client (scope `admin`, no audiences: its tokens are for the issuer).
pub const OPS: &str = "ops";
pub const OPS_SECRET: &str = "ops-secret-0123456789abcdef0123456789";
/// A confidential service client: `client_credentials`, `documents:read`, `documents-api`.
pub const SERVICE_A: &str = "service-a";
pub const SERVICE_A_SECRET: &str = "service-a-secret-0123456789abcdef0123";
/// A confidential service client whose tokens are for another API (`aud` `other-api`).
pub const OTHER_SERVICE: &str = "other-service";
pub const OTHER_SERVICE_SECRET: &str = "other-service-secret-0123456789abcdef";
pub const OTHER_AUDIENCE: &str = "other-api";
/// A confidential client whose id and secret change under form-urlencoding, for
/// `client_secret_basic` (RFC 6749 §2.3.1).
pub const PARTNER: &str = "partner+app%";
pub const PARTNER_SECRET: &str = "p@ss word+/%:ü-0123456789abcdef0123";

/// A confidential browser app (through its backend) of the authorization code flow.
pub const WEB_PORTAL: &str = "web-portal";
pub const WEB_PORTAL_SECRET: &str = "web-portal-secret-0123456789abcdef0123";
pub const WEB_PORTAL_REDIRECT: &str = "http://localhost:8090/callback";

/// The audience of the demo API.
pub const DOCUMENTS_AUDIENCE: &str = "documents-api";
pub const READ: &str = "documents:read";
pub const WRITE: &str = "documents:write";

/// The default bootstrap file.
pub fn default_toml() -> String {
    format!(
        r#"
[[users]]
username = "{ALICE}"
password = "{ALICE_PASSWORD}"
scopes = ["{READ}", "{WRITE}"]

[[users]]
username = "{BOB}"
password = "{BOB_PASSWORD}"
scopes = ["{READ}"]

[[clients]]
client_id = "{WEB_APP}"
public = true
grant_types = ["password", "refresh_token"]
scopes = ["{READ}", "{WRITE}"]
audiences = ["{DOCUMENTS_AUDIENCE}"]

[[clients]]
client_id = "{MOBILE_APP}"
public = true
grant_types = ["password", "refresh_token"]
scopes = ["{READ}", "{WRITE}"]
audiences = ["{DOCUMENTS_AUDIENCE}"]

[[clients]]
client_id = "{WEB_PORTAL}"
client_secret = "{WEB_PORTAL_SECRET}"
grant_types = ["authorization_code", "refresh_token"]
redirect_uris = ["{WEB_PORTAL_REDIRECT}"]
post_logout_redirect_uris = ["http://localhost:8090/"]
display_name = "Documents portal"
scopes = ["{READ}", "{WRITE}"]
audiences = ["{DOCUMENTS_AUDIENCE}"]

[[clients]]
client_id = "{DOCUMENTS_API}"
client_secret = "{DOCUMENTS_API_SECRET}"
grant_types = ["client_credentials"]
scopes = ["introspect"]

[[clients]]
client_id = "{OPS}"
client_secret = "{OPS_SECRET}"
grant_types = ["client_credentials"]
scopes = ["admin"]

[[clients]]
client_id = "{SERVICE_A}"
client_secret = "{SERVICE_A_SECRET}"
grant_types = ["client_credentials"]
scopes = ["{READ}"]
audiences = ["{DOCUMENTS_AUDIENCE}"]

[[clients]]
client_id = "{OTHER_SERVICE}"
client_secret = "{OTHER_SERVICE_SECRET}"
grant_types = ["client_credentials"]
scopes = ["{READ}"]
audiences = ["{OTHER_AUDIENCE}"]

[[clients]]
client_id = "{PARTNER}"
client_secret = "{PARTNER_SECRET}"
grant_types = ["client_credentials"]
scopes = ["{READ}"]
audiences = ["{DOCUMENTS_AUDIENCE}"]
"#
    )
}
