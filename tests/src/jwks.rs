//! Verifying a token the way any relying party does: read the metadata (RFC 8414),
//! fetch `jwks_uri` (RFC 7517), pick the key by `kid`, verify the RS256 signature
//! (RFC 7515, RFC 7518 §3.3).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use josekit::jwk::Jwk;
use josekit::jws::RS256;
use serde_json::{Map, Value};

use crate::OAuthClient;

/// A JSON object, as JOSE headers and JWT claim sets are.
pub type JsonObject = Map<String, Value>;

pub const METADATA_PATH: &str = "/.well-known/oauth-authorization-server";

/// A verified JWS: its protected header and its payload as JSON.
#[derive(Debug, Clone)]
pub struct VerifiedJws {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
}

impl VerifiedJws {
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header.get(name).and_then(Value::as_str)
    }

    pub fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    pub fn claim_i64(&self, name: &str) -> Option<i64> {
        self.claims.get(name).and_then(Value::as_i64)
    }
}

/// The published key set of an auth server, found through its metadata.
#[derive(Debug, Clone)]
pub struct Jwks {
    pub keys: Vec<Map<String, Value>>,
}

impl Jwks {
    /// Reads the metadata document, then the key set at its `jwks_uri`.
    pub async fn fetch(client: &OAuthClient) -> Self {
        let metadata = client.get(METADATA_PATH).await;
        assert_eq!(metadata.status, 200, "metadata: {metadata:?}");
        let jwks_uri = metadata.str("jwks_uri").to_owned();
        let response = client.http().get(&jwks_uri).send().await;
        let response = response.unwrap_or_else(|e| panic!("GET {jwks_uri}: {e}"));
        assert_eq!(response.status(), 200, "GET {jwks_uri}");
        let set: Value = response.json().await.unwrap_or_else(|e| panic!("JWKS at {jwks_uri}: {e}"));
        let keys = set["keys"].as_array().unwrap_or_else(|| panic!("no `keys` array in {set}"));
        let keys = keys
            .iter()
            .map(|key| key.as_object().cloned().unwrap_or_else(|| panic!("a key that is not an object: {key}")))
            .collect();
        Jwks { keys }
    }

    /// The key with this `kid`.
    pub fn key(&self, kid: &str) -> Option<&Map<String, Value>> {
        self.keys.iter().find(|key| key.get("kid").and_then(Value::as_str) == Some(kid))
    }

    pub fn kids(&self) -> Vec<&str> {
        self.keys.iter().filter_map(|key| key.get("kid").and_then(Value::as_str)).collect()
    }

    /// Verifies an RS256 compact JWS with the key its `kid` names.
    pub fn verify(&self, token: &str) -> Result<VerifiedJws, String> {
        let (header, _) = decode_unverified(token)?;
        let kid = header.get("kid").and_then(Value::as_str).ok_or("the header has no `kid`")?;
        let key = self.key(kid).ok_or_else(|| format!("no key `{kid}` in the JWKS (kids: {:?})", self.kids()))?;
        let jwk = Jwk::from_map(key.clone()).map_err(|e| format!("key `{kid}` is not a JWK: {e}"))?;
        let verifier = RS256.verifier_from_jwk(&jwk).map_err(|e| format!("key `{kid}` is not an RS256 key: {e}"))?;
        let (payload, header) =
            josekit::jws::deserialize_compact(token, &verifier).map_err(|e| format!("signature check failed: {e}"))?;
        let claims: Value = serde_json::from_slice(&payload).map_err(|e| format!("payload is not JSON: {e}"))?;
        let claims = claims.as_object().cloned().ok_or("payload is not a JSON object")?;
        Ok(VerifiedJws { header: header.claims_set().clone(), claims })
    }
}

/// The header and payload of a compact JWS, without checking anything.
pub fn decode_unverified(token: &str) -> Result<(JsonObject, JsonObject), String> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(format!("not a compact JWS: {token:?}"));
    };
    Ok((decode_part(header)?, decode_part(payload)?))
}

fn decode_part(part: &str) -> Result<Map<String, Value>, String> {
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|e| format!("bad base64url: {e}"))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(format!("not a JSON object: {}", String::from_utf8_lossy(&bytes))),
    }
}
