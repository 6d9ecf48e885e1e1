//! The resource server's own client credentials, sent as `client_secret_basic`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::Secret;

/// The client the resource server authenticates as when it calls the auth server
/// (`RS_CLIENT_ID`, `RS_CLIENT_SECRET`).
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: Secret,
}

impl ClientCredentials {
    pub fn new(client_id: impl Into<String>, client_secret: Secret) -> Self {
        Self { client_id: client_id.into(), client_secret }
    }

    /// The `Authorization` value of RFC 6749 §2.3.1: id and secret are each
    /// `application/x-www-form-urlencoded` (Appendix B) before being joined by `:` and
    /// base64-encoded, so that a `:` or non-ASCII character survives the trip.
    pub(crate) fn basic_authorization(&self) -> String {
        let joined = format!("{}:{}", form_urlencode(&self.client_id), form_urlencode(self.client_secret.expose()));
        format!("Basic {}", STANDARD.encode(joined))
    }
}

/// `application/x-www-form-urlencoded` serialisation of one string (the URL
/// standard's byte serializer: alphanumerics and `*-._` kept, space as `+`).
fn form_urlencode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_before_base64() {
        assert_eq!(form_urlencode("a b:c%é*"), "a+b%3Ac%25%C3%A9*");
        let credentials = ClientCredentials::new("documents-api", Secret::new("s3cr:t"));
        let header = credentials.basic_authorization();
        let decoded = STANDARD.decode(header.strip_prefix("Basic ").unwrap()).unwrap();
        assert_eq!(decoded, b"documents-api:s3cr%3At");
    }

    #[test]
    fn debug_hides_the_secret() {
        let credentials = ClientCredentials::new("id", Secret::new("hunter2"));
        assert!(!format!("{credentials:?}").contains("hunter2"));
    }
}
