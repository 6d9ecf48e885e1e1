//! The OAuth pieces of the requests the cases send: form bodies, Basic client
//! authentication, bearer headers, and reading a field of a JSON answer.

use std::net::SocketAddr;

use base64::Engine;

use crate::http1;

/// A client id and secret, sent as `client_secret_basic` (RFC 6749 §2.3.1).
#[derive(Debug, Clone)]
pub struct Client {
    pub id: &'static str,
    pub secret: &'static str,
}

impl Client {
    pub fn basic_header(&self) -> String {
        // Our ids and secrets hold no characters that form-urlencoding would change.
        let raw = format!("{}:{}", self.id, self.secret);
        format!("Authorization: Basic {}", base64::engine::general_purpose::STANDARD.encode(raw))
    }
}

pub const FORM: &str = "Content-Type: application/x-www-form-urlencoded";

/// `application/x-www-form-urlencoded` from pairs.
pub fn form(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
}

fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A form POST authenticated with Basic.
pub fn post_form(addr: SocketAddr, path: &str, client: Option<&Client>, pairs: &[(&str, &str)]) -> Vec<u8> {
    let auth = client.map(Client::basic_header);
    let mut headers = vec![FORM];
    if let Some(auth) = auth.as_deref() {
        headers.push(auth);
    }
    http1::request("POST", addr, path, &headers, form(pairs).as_bytes())
}

/// A GET with a bearer token.
pub fn get_bearer(addr: SocketAddr, path: &str, token: &str) -> Vec<u8> {
    let auth = format!("Authorization: Bearer {token}");
    http1::request("GET", addr, path, &[&auth], b"")
}

/// A GET without credentials.
pub fn get(addr: SocketAddr, path: &str) -> Vec<u8> {
    http1::request("GET", addr, path, &[], b"")
}

/// A string member of a JSON object body.
pub fn json_string(body: &[u8], field: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value.get(field)?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding() {
        assert_eq!(form(&[("scope", "documents:read"), ("a b", "x/y")]), "scope=documents%3Aread&a%20b=x%2Fy");
    }
}
