//! Client authentication at the token, introspection and revocation endpoints
//! (RFC 6749 §2.3): `client_secret_basic`, `client_secret_post`, and public clients
//! that send only `client_id`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use percent_encoding::percent_decode_str;
use shared_claims::OAuthError;

use crate::crypto::{constant_time_eq, sha256_hex};
use crate::oauth::form::FormParams;
use crate::store::{ClientRecord, ClientStore};
use shared_claims::Secret;

/// What the request presented, before any lookup.
#[derive(Debug)]
pub enum ClientCredentials {
    /// `Authorization: Basic`, id and secret form-urlencoded before Base64 (§2.3.1).
    Basic { client_id: String, secret: Secret },
    /// `client_id` and `client_secret` in the body.
    Post { client_id: String, secret: Secret },
    /// A public client: `client_id` only.
    Public { client_id: String },
}

impl ClientCredentials {
    /// Reads the credentials from the `Authorization` header value (if any) and the
    /// form. Using two methods at once is an error (RFC 6749 §2.3).
    pub fn from_request(authorization: Option<&str>, form: &FormParams) -> Result<Self, OAuthError> {
        let body_id = form.get("client_id");
        let body_secret = form.get("client_secret");
        if let Some(header) = authorization {
            if body_secret.is_some() {
                return Err(OAuthError::invalid_request("use one client authentication method only"));
            }
            let (client_id, secret) = parse_basic(header)?;
            if body_id.is_some_and(|id| id != client_id) {
                return Err(OAuthError::invalid_request("client_id does not match the authenticated client"));
            }
            return Ok(Self::Basic { client_id, secret });
        }
        let client_id =
            body_id.ok_or_else(|| OAuthError::invalid_client("client authentication is required"))?.to_owned();
        Ok(match body_secret {
            Some(secret) => Self::Post { client_id, secret: Secret::new(secret) },
            None => Self::Public { client_id },
        })
    }

    pub fn client_id(&self) -> &str {
        match self {
            Self::Basic { client_id, .. } | Self::Post { client_id, .. } | Self::Public { client_id } => client_id,
        }
    }

    /// Looks the client up and checks the secret. Every failure is `invalid_client`;
    /// a failed Basic attempt carries the challenge (RFC 6749 §5.2).
    pub async fn authenticate(&self, store: &dyn ClientStore) -> Result<ClientRecord, OAuthError> {
        let basic = matches!(self, Self::Basic { .. });
        let fail = |detail: &str| {
            let err = OAuthError::invalid_client("client authentication failed").with_detail(detail.to_owned());
            if basic {
                err.with_basic_challenge()
            } else {
                err
            }
        };
        let client = store.client(self.client_id()).await?.ok_or_else(|| fail("unknown client"))?;
        let presented = match self {
            Self::Basic { secret, .. } | Self::Post { secret, .. } => Some(secret),
            Self::Public { .. } => None,
        };
        match (&client.secret_sha256, presented) {
            (None, None) => Ok(client),
            // Some libraries send public clients as Basic with an empty secret
            // (`client_id:`); that is no secret at all.
            (None, Some(secret)) if secret.expose().is_empty() => Ok(client),
            (Some(expected), Some(secret)) => {
                let actual = sha256_hex(secret.expose().as_bytes());
                if constant_time_eq(expected.as_bytes(), actual.as_bytes()) {
                    Ok(client)
                } else {
                    Err(fail("wrong client secret"))
                }
            }
            (Some(_), None) => Err(fail("confidential client sent no secret")),
            (None, Some(_)) => Err(fail("public client sent a secret")),
        }
    }
}

fn parse_basic(header: &str) -> Result<(String, Secret), OAuthError> {
    let bad = || OAuthError::invalid_client("malformed Basic authorization header").with_basic_challenge();
    let (scheme, encoded) = header.trim().split_once(' ').ok_or_else(bad)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(bad());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let id = form_decode(id).ok_or_else(bad)?;
    let secret = form_decode(secret).ok_or_else(bad)?;
    if id.is_empty() {
        return Err(bad());
    }
    Ok((id, Secret::new(secret)))
}

/// RFC 6749 §2.3.1: both halves are `application/x-www-form-urlencoded` encoded.
fn form_decode(value: &str) -> Option<String> {
    percent_decode_str(&value.replace('+', " ")).decode_utf8().ok().map(|v| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(raw: &str) -> String {
        format!("Basic {}", STANDARD.encode(raw))
    }

    #[test]
    fn basic_credentials_are_url_decoded() {
        let form = FormParams::default();
        let creds = ClientCredentials::from_request(Some(&basic("my%20app:s%3Acret+x")), &form).unwrap();
        match creds {
            ClientCredentials::Basic { client_id, secret } => {
                assert_eq!(client_id, "my app");
                assert_eq!(secret.expose(), "s:cret x");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn malformed_basic_is_invalid_client_with_challenge() {
        let form = FormParams::default();
        for header in ["Basic !!!", "Basic", "Bearer abc", &basic("no-colon")] {
            let err = ClientCredentials::from_request(Some(header), &form).unwrap_err();
            assert_eq!(err.status(), 401, "{header}");
            assert!(err.basic_challenge(), "{header}");
        }
    }

    #[test]
    fn two_methods_at_once_are_refused() {
        let form = FormParams::parse(b"client_id=a&client_secret=b", &[]).unwrap();
        let err = ClientCredentials::from_request(Some(&basic("a:b")), &form).unwrap_err();
        assert_eq!(err.body().error, "invalid_request");
    }

    #[test]
    fn body_credentials_and_public_clients() {
        let form = FormParams::parse(b"client_id=a&client_secret=b", &[]).unwrap();
        assert!(matches!(ClientCredentials::from_request(None, &form), Ok(ClientCredentials::Post { .. })));
        let form = FormParams::parse(b"client_id=a", &[]).unwrap();
        assert!(matches!(ClientCredentials::from_request(None, &form), Ok(ClientCredentials::Public { .. })));
        let form = FormParams::default();
        assert_eq!(ClientCredentials::from_request(None, &form).unwrap_err().status(), 401);
    }
}
