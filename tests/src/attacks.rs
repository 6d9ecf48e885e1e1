//! Forged and tampered access tokens of RFC 8725 (JWT best current practice) §2, built
//! from a genuine token of the server under test so that only the attack differs.
//!
//! | case                         | what a careless verifier would do              |
//! |------------------------------|------------------------------------------------|
//! | `alg: none`                  | accept an unsigned token (§2.1, §3.1)          |
//! | HS256 keyed with the RSA public key (PEM, DER, PKCS#1) | verify an HMAC with public bytes (§2.1) |
//! | a foreign RSA key under our `kid` | trust the `kid` without the published key |
//! | an unknown `kid`             | fetch or accept keys it was never given        |
//! | an embedded `jwk` / a `jku`  | trust a key the token brings along (§3.10)     |
//! | a refresh token              | confuse token kinds (§2.8, §3.11)              |
//! | one flipped byte (header, payload, signature), changed claims | skip the signature check |

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private, Public};
use openssl::rsa::Rsa;
use openssl::sign::Signer;
use serde_json::{json, Value};

use crate::jwks::{decode_unverified, JsonObject};
use crate::Jwks;

/// An attack token and what it tries.
pub struct Attack {
    pub name: &'static str,
    pub token: String,
}

/// Every attack token against the key set `jwks`, derived from a genuine `access`
/// token and a genuine `refresh` token of the same server.
pub fn attack_tokens(access: &str, refresh: &str, jwks: &Jwks) -> Vec<Attack> {
    let (header, claims) = decode_unverified(access).expect("a genuine access token");
    let kid = header.get("kid").and_then(Value::as_str).expect("a genuine token names its kid").to_owned();
    let public = public_key(jwks, &kid);
    let attacker = Rsa::generate(2048).and_then(PKey::from_rsa).expect("generate an RSA key");
    let ours = |extra: Value| with_members(json!({"alg": "RS256", "typ": "at+jwt", "kid": kid}), extra);

    let mut attacks = vec![
        Attack {
            name: "alg none, no signature",
            token: format!("{}.", signing_input(&ours(json!({"alg": "none"})), &claims)),
        },
        Attack {
            name: "alg none, genuine signature kept",
            token: format!("{}.{}", signing_input(&ours(json!({"alg": "none"})), &claims), part(access, 2)),
        },
    ];
    let rsa = public.rsa().expect("an RSA key");
    let secrets = [
        ("HS256 keyed with the public key as PEM", public.public_key_to_pem().expect("SPKI PEM")),
        ("HS256 keyed with the public key as DER", public.public_key_to_der().expect("SPKI DER")),
        ("HS256 keyed with the public key as PKCS#1 PEM", rsa.public_key_to_pem_pkcs1().expect("PKCS#1 PEM")),
    ];
    for (name, secret) in secrets {
        attacks.push(Attack { name, token: sign_hs256(&ours(json!({"alg": "HS256"})), &claims, &secret) });
    }
    let attacker_jwk = public_jwk(&attacker, "attacker-key");
    attacks.extend([
        Attack { name: "a foreign RSA key under our kid", token: sign_rs256(&ours(json!({})), &claims, &attacker) },
        Attack { name: "an unknown kid", token: sign_rs256(&ours(json!({"kid": "attacker-key"})), &claims, &attacker) },
        Attack {
            name: "an embedded jwk under our kid",
            token: sign_rs256(&ours(json!({"jwk": attacker_jwk})), &claims, &attacker),
        },
        Attack {
            name: "an embedded jwk without kid",
            token: sign_rs256(&without(&ours(json!({"jwk": attacker_jwk})), "kid"), &claims, &attacker),
        },
        Attack {
            name: "a jku pointing at the attacker's key set",
            token: sign_rs256(
                &ours(json!({"kid": "attacker-key", "jku": "http://127.0.0.1:9/jwks.json"})),
                &claims,
                &attacker,
            ),
        },
        Attack { name: "a refresh token", token: refresh.to_owned() },
        Attack { name: "one flipped byte in the header", token: flip(access, 0) },
        Attack { name: "one flipped byte in the payload", token: flip(access, 1) },
        Attack { name: "one flipped byte in the signature", token: flip(access, 2) },
        Attack {
            name: "changed claims under the genuine signature",
            token: format!("{}.{}.{}", part(access, 0), encode_json(&changed_claims(&claims)), part(access, 2)),
        },
    ]);
    attacks
}

/// The published RSA key `kid` as an OpenSSL public key (from the JWK's `n` and `e`).
fn public_key(jwks: &Jwks, kid: &str) -> PKey<Public> {
    let jwk = jwks.key(kid).unwrap_or_else(|| panic!("kid {kid} is not published: {:?}", jwks.kids()));
    let number = |name: &str| {
        let text = jwk.get(name).and_then(Value::as_str).unwrap_or_else(|| panic!("no `{name}` in {jwk:?}"));
        let bytes = URL_SAFE_NO_PAD.decode(text).unwrap_or_else(|e| panic!("bad `{name}`: {e}"));
        BigNum::from_slice(&bytes).expect("a big number")
    };
    let rsa = Rsa::from_public_components(number("n"), number("e")).expect("an RSA public key");
    PKey::from_rsa(rsa).expect("a public key")
}

/// The public half of `key` as a JWK (RFC 7518 §6.3.1).
fn public_jwk(key: &PKey<Private>, kid: &str) -> Value {
    let rsa = key.rsa().expect("an RSA key");
    json!({
        "kty": "RSA",
        "kid": kid,
        "use": "sig",
        "alg": "RS256",
        "n": URL_SAFE_NO_PAD.encode(rsa.n().to_vec()),
        "e": URL_SAFE_NO_PAD.encode(rsa.e().to_vec()),
    })
}

fn with_members(mut object: Value, extra: Value) -> Value {
    if let (Some(object), Value::Object(extra)) = (object.as_object_mut(), extra) {
        object.extend(extra);
    }
    object
}

fn without(object: &Value, member: &str) -> Value {
    let mut object = object.clone();
    if let Some(map) = object.as_object_mut() {
        map.remove(member);
    }
    object
}

fn encode_json(value: &impl serde::Serialize) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("serialise JSON"))
}

/// `BASE64URL(header) . BASE64URL(claims)` (RFC 7515 §5.1).
fn signing_input(header: &Value, claims: &JsonObject) -> String {
    format!("{}.{}", encode_json(header), encode_json(claims))
}

fn sign_rs256(header: &Value, claims: &JsonObject, key: &PKey<Private>) -> String {
    let input = signing_input(header, claims);
    let mut signer = Signer::new(MessageDigest::sha256(), key).expect("an RS256 signer");
    let signature = signer.sign_oneshot_to_vec(input.as_bytes()).expect("sign");
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn sign_hs256(header: &Value, claims: &JsonObject, secret: &[u8]) -> String {
    let input = signing_input(header, claims);
    let key = PKey::hmac(secret).expect("an HMAC key");
    let mut signer = Signer::new(MessageDigest::sha256(), &key).expect("an HS256 signer");
    let signature = signer.sign_oneshot_to_vec(input.as_bytes()).expect("sign");
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// Part `index` (0 header, 1 payload, 2 signature) of a compact JWS.
fn part(token: &str, index: usize) -> &str {
    token.split('.').nth(index).expect("a compact JWS")
}

/// The token with one byte of part `index` changed: the middle character, whose six
/// bits all count (the last character of a part may carry padding bits only).
fn flip(token: &str, index: usize) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let segment = &mut parts[index];
    let middle = segment.len() / 2;
    let replacement = if segment.as_bytes()[middle] == b'A' { "B" } else { "A" };
    segment.replace_range(middle..=middle, replacement);
    parts.join(".")
}

/// The same claims with more privilege: another subject and every scope.
fn changed_claims(claims: &JsonObject) -> JsonObject {
    let mut changed = claims.clone();
    changed.insert("sub".into(), json!("mallory"));
    changed.insert("scope".into(), json!("documents:read documents:write admin"));
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flip_changes_exactly_one_character_of_the_part() {
        let token = "aaaa.bbbbAbbbb.cccc";
        for index in 0..3 {
            let flipped = flip(token, index);
            let differing = token.bytes().zip(flipped.bytes()).filter(|(a, b)| a != b).count();
            assert_eq!((flipped.len(), differing), (token.len(), 1), "{flipped}");
            assert_ne!(part(&flipped, index), part(token, index));
        }
        assert_eq!(flip(token, 1), "aaaa.bbbbBbbbb.cccc");
    }
}
