//! Keys and tokens for the crate's own tests and, through the `test-support` feature,
//! the demo API's: real RSA keys made once per test binary, and a signer that can put
//! anything in a header, so attack tokens are easy to build.

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use josekit::jwk::alg::rsa::RsaKeyPair;
use josekit::jwk::KeyPair;
use josekit::jws::alg::rsassa::RsassaJwsSigner;
use josekit::jws::{JwsSigner, HS256, RS256};
use serde_json::{json, Map, Value};
use shared_claims::unix_now;

use crate::verify::{KeySet, Verifier};

pub const ISSUER: &str = "http://auth.test";
pub const AUDIENCE: &str = "documents-api";

pub struct TestKey {
    kid: String,
    key_pair: RsaKeyPair,
    signer: RsassaJwsSigner,
}

impl TestKey {
    fn generate(kid: &str) -> Self {
        let key_pair = RS256.generate_key_pair(2048).expect("generate an RSA key");
        let signer = RS256.signer_from_der(key_pair.to_der_private_key()).expect("RSA signer");
        Self { kid: kid.to_owned(), key_pair, signer }
    }

    /// The key the tests' key sets publish.
    pub fn shared() -> &'static TestKey {
        static KEY: OnceLock<TestKey> = OnceLock::new();
        KEY.get_or_init(|| Self::generate("key-1"))
    }

    /// A second key, e.g. the next one of a rotation or an attacker's.
    pub fn other() -> &'static TestKey {
        static KEY: OnceLock<TestKey> = OnceLock::new();
        KEY.get_or_init(|| Self::generate("key-2"))
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn public_jwk(&self) -> Map<String, Value> {
        let mut jwk: Map<String, Value> = self.key_pair.to_jwk_public_key().into();
        jwk.insert("kid".into(), self.kid.clone().into());
        jwk.insert("alg".into(), "RS256".into());
        jwk.insert("use".into(), "sig".into());
        jwk
    }

    pub fn public_pem(&self) -> Vec<u8> {
        self.key_pair.to_pem_public_key()
    }

    /// A JWK of a 1024-bit RSA key: too weak to be trusted.
    pub fn small_rsa_jwk(kid: &str) -> Value {
        let rsa = openssl::rsa::Rsa::generate(1024).expect("generate a small RSA key");
        json!({
            "kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
            "n": URL_SAFE_NO_PAD.encode(rsa.n().to_vec()),
            "e": URL_SAFE_NO_PAD.encode(rsa.e().to_vec()),
        })
    }

    /// Signs any header and claims with RS256 under this key.
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        let input = signing_input(header, claims);
        let signature = self.signer.sign(input.as_bytes()).expect("RS256 signature");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// A normal access token for `claims` under this key.
    pub fn access_token(&self, claims: &Value) -> String {
        self.sign(&access_header(&self.kid), claims)
    }
}

pub fn signing_input(header: &Value, claims: &Value) -> String {
    format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()))
}

/// HS256 over the input with `secret` as the HMAC key (RFC 8725 §2.1 confusion).
pub fn sign_hs256(header: &Value, claims: &Value, secret: &[u8]) -> String {
    let input = signing_input(header, claims);
    let signer = HS256.signer_from_bytes(secret).expect("HMAC signer");
    let signature = signer.sign(input.as_bytes()).expect("HS256 signature");
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

pub fn access_header(kid: &str) -> Value {
    json!({"alg": "RS256", "typ": "at+jwt", "kid": kid})
}

/// Claims that pass every check, valid for five minutes from now.
pub fn claims_for(sub: &str, scope: &str) -> Value {
    let now = unix_now();
    json!({
        "iss": ISSUER, "sub": sub, "aud": AUDIENCE, "exp": now + 300, "iat": now,
        "jti": format!("jti-{sub}-{now}-{scope}"), "client_id": "web-app", "scope": scope, "sid": "session-1",
    })
}

pub fn claims() -> Value {
    claims_for("alice", "documents:read documents:write")
}

pub fn jwks(keys: &[&TestKey]) -> Value {
    json!({"keys": keys.iter().map(|k| Value::Object(k.public_jwk())).collect::<Vec<_>>()})
}

pub fn key_set(keys: &[&TestKey]) -> KeySet {
    KeySet::from_jwks_json(jwks(keys).to_string().as_bytes()).expect("a usable key set")
}

/// A local verifier holding the shared test key.
pub fn local_verifier() -> Verifier {
    Verifier::builder(AUDIENCE).local_with_keys(ISSUER, key_set(&[TestKey::shared()]))
}

/// What a service's `/metrics` would show of `verifier`: its metrics registered into a
/// fresh registry, encoded in the OpenMetrics text format.
pub fn render_metrics(verifier: &Verifier) -> String {
    let mut registry = prometheus_client::registry::Registry::default();
    verifier.register_metrics(&mut registry);
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).expect("writing into a String");
    text
}

pub mod exposition;
pub mod fake_auth;
pub mod fake_feed;
pub mod fake_tokens;
pub use fake_auth::FakeAuthServer;
