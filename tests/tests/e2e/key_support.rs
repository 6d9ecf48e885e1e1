//! What the signing-key tests read from the servers: the admin key list,
//! a token's `kid`, Prometheus counters of both servers, and the key set as Redis
//! stores it.

use std::collections::BTreeSet;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use reqwest::Method;
use serde_json::Value;
use tests::jwks::decode_unverified;
use tests::{AdminClient, Jwks, OAuthClient, RedisServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub(crate) const KEYS_PATH: &str = "/admin/keys";
pub(crate) const JWKS_ROUTE: &str = "/.well-known/jwks.json";

/// One signing key as `GET /admin/keys` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyInfo {
    pub kid: String,
    /// `next`, `active` or `retired`.
    pub state: String,
    pub created_at: i64,
    pub activated_at: Option<i64>,
    pub retired_at: Option<i64>,
}

/// The key list of an admin reply (`GET /admin/keys`, `POST /admin/keys/rotate`, ...).
/// Panics (showing the reply) unless it is 200 with an array of keys.
pub(crate) fn parse_keys(reply: &tests::Reply) -> Vec<KeyInfo> {
    assert_eq!(reply.status, 200, "admin key list: {reply:?}");
    let keys = reply.json.as_array().unwrap_or_else(|| panic!("the key list is not an array: {reply:?}"));
    keys.iter()
        .map(|key| KeyInfo {
            kid: key["kid"].as_str().unwrap_or_else(|| panic!("a key without kid: {key}")).to_owned(),
            state: key["state"].as_str().unwrap_or_else(|| panic!("a key without state: {key}")).to_owned(),
            created_at: key["created_at"].as_i64().unwrap_or_else(|| panic!("a key without created_at: {key}")),
            activated_at: key["activated_at"].as_i64(),
            retired_at: key["retired_at"].as_i64(),
        })
        .collect()
}

/// `GET /admin/keys` with an admin session.
pub(crate) async fn list_keys(admin: &AdminClient) -> Vec<KeyInfo> {
    parse_keys(&admin.request(Method::GET, KEYS_PATH, None).await)
}

/// `GET /admin/keys` with a fresh `ops` token (for servers whose access tokens live
/// only a few seconds).
pub(crate) async fn list_keys_now(client: &OAuthClient) -> Vec<KeyInfo> {
    list_keys(&AdminClient::login(client).await).await
}

/// The only active key of a list; panics unless there is exactly one.
pub(crate) fn active(keys: &[KeyInfo]) -> &KeyInfo {
    let active: Vec<&KeyInfo> = keys.iter().filter(|k| k.state == "active").collect();
    assert_eq!(active.len(), 1, "exactly one active key: {keys:?}");
    active[0]
}

/// The key `kid` of a list, if listed.
pub(crate) fn find<'a>(keys: &'a [KeyInfo], kid: &str) -> Option<&'a KeyInfo> {
    keys.iter().find(|k| k.kid == kid)
}

/// The kids of a list, as a set.
pub(crate) fn kid_set(keys: &[KeyInfo]) -> BTreeSet<String> {
    keys.iter().map(|k| k.kid.clone()).collect()
}

/// The kids of a published JWKS, as a set.
pub(crate) fn jwks_kids(jwks: &Jwks) -> BTreeSet<String> {
    jwks.kids().into_iter().map(str::to_owned).collect()
}

/// The `kid` of a compact JWS header (not verified).
pub(crate) fn kid_of(token: &str) -> String {
    let (header, _) = decode_unverified(token).unwrap_or_else(|e| panic!("not a JWS: {e}"));
    header.get("kid").and_then(Value::as_str).unwrap_or_else(|| panic!("no kid in {header:?}")).to_owned()
}

/// The `exp` of a compact JWS (not verified).
pub(crate) fn exp_of(token: &str) -> i64 {
    let (_, claims) = decode_unverified(token).unwrap_or_else(|e| panic!("not a JWS: {e}"));
    claims.get("exp").and_then(Value::as_i64).unwrap_or_else(|| panic!("no exp in {claims:?}"))
}

/// The Prometheus / OpenMetrics text of a server's `GET /metrics`.
pub(crate) async fn metrics_text(base_url: &str) -> String {
    let reply = OAuthClient::new(base_url).get("/metrics").await;
    assert_eq!(reply.status, 200, "GET {base_url}/metrics: {reply:?}");
    reply.text()
}

/// The value of the unlabelled sample `name` (e.g. `rs_key_set_fetches_total`).
pub(crate) fn sample(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse::<f64>().ok())
        .map(|value| value as u64)
}

/// The sum of the samples of `name` whose labels contain `label` (e.g.
/// `route="/.well-known/jwks.json"`), over every other label.
pub(crate) fn labelled_sum(text: &str, name: &str, label: &str) -> u64 {
    text.lines()
        .filter_map(|line| line.strip_prefix(name)?.strip_prefix('{'))
        .filter_map(|rest| rest.split_once("} "))
        .filter(|(labels, _)| labels.split(',').any(|l| l == label))
        .filter_map(|(_, value)| value.split_whitespace().next()?.parse::<f64>().ok())
        .map(|value| value as u64)
        .sum()
}

/// A resource server's JWKS fetch figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FetchCounts {
    pub fetches: u64,
    pub failures: u64,
    /// Tokens refused because their `kid` was unknown even after a refetch.
    pub unknown_kid_refusals: u64,
    /// Fetches caused by a token naming a `kid` the server did not hold yet.
    pub unknown_kid_fetches: u64,
}

/// Reads a resource server's `rs_key_set_fetches_total`, its failures and the
/// `unknown_kid` refusals.
pub(crate) async fn rs_fetch_counts(ops_url: &str) -> FetchCounts {
    let text = metrics_text(ops_url).await;
    let fetches = sample(&text, "rs_key_set_fetches_total");
    let failures = sample(&text, "rs_key_set_fetch_failures_total");
    let unknown = labelled_sum(&text, "rs_tokens_refused_total", "reason=\"unknown_kid\"");
    let unknown_kid_fetches = sample(&text, "rs_key_set_unknown_kid_fetches_total");
    match (fetches, failures, unknown_kid_fetches) {
        (Some(fetches), Some(failures), Some(unknown_kid_fetches)) => {
            FetchCounts { fetches, failures, unknown_kid_refusals: unknown, unknown_kid_fetches }
        }
        _ => panic!("no JWKS fetch counters in {ops_url}/metrics:\n{text}"),
    }
}

/// The auth server's count of `GET /.well-known/jwks.json` requests, every status,
/// from its operational endpoint.
pub(crate) async fn auth_jwks_requests(ops_url: &str) -> u64 {
    let text = metrics_text(ops_url).await;
    let label = format!("route=\"{JWKS_ROUTE}\"");
    labelled_sum(&text, "auth_http_requests_total", &label)
}

/// `HGET key field` on `redis`, reading the whole bulk reply (the harness's
/// `RedisServer::command` stops after one read, too short for the key set).
pub(crate) async fn redis_hget(redis: &RedisServer, key: &str, field: &str) -> Option<String> {
    let exchange = async {
        let mut stream = TcpStream::connect(("127.0.0.1", redis.port())).await?;
        let mut request = "*3\r\n$4\r\nHGET\r\n".to_owned();
        for arg in [key, field] {
            request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
        stream.write_all(request.as_bytes()).await?;
        let mut reply = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            if let Some(parsed) = parse_bulk(&reply) {
                return Ok::<_, std::io::Error>(parsed);
            }
            let read = stream.read(&mut chunk).await?;
            if read == 0 {
                return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "redis closed the connection"));
            }
            reply.extend_from_slice(&chunk[..read]);
        }
    };
    let outcome = tokio::time::timeout(Duration::from_secs(10), exchange).await;
    let outcome = outcome.unwrap_or_else(|_| panic!("redis HGET {key} {field}: no complete reply within 10 s"));
    outcome.unwrap_or_else(|e| panic!("redis HGET {key} {field}: {e}"))
}

/// A complete RESP bulk string reply: `Some(Some(text))`, `Some(None)` for nil, `None`
/// while incomplete. Panics on an error reply.
fn parse_bulk(reply: &[u8]) -> Option<Option<String>> {
    let line_end = reply.windows(2).position(|w| w == b"\r\n")?;
    let line = std::str::from_utf8(&reply[..line_end]).expect("a RESP header line");
    let length = line.strip_prefix('$').unwrap_or_else(|| panic!("not a bulk string reply: {line}"));
    let length: i64 = length.parse().unwrap_or_else(|_| panic!("bad bulk length: {line}"));
    if length < 0 {
        return Some(None);
    }
    let start = line_end + 2;
    let end = start + usize::try_from(length).expect("a length");
    (reply.len() >= end + 2).then(|| Some(String::from_utf8_lossy(&reply[start..end]).into_owned()))
}

/// The stored signing keys in Redis (`as:{keys}` field `keys`): each `kid` with the
/// `kid` of its private key's JWE header (the key-encryption key's fingerprint).
pub(crate) async fn stored_key_encryption(redis: &RedisServer) -> Vec<(String, String)> {
    let stored = redis_hget(redis, "as:{keys}", "keys").await.expect("the key set is stored in as:{keys}");
    let stored: Value = serde_json::from_str(&stored).unwrap_or_else(|e| panic!("as:{{keys}} keys is not JSON: {e}"));
    let keys = stored.as_array().unwrap_or_else(|| panic!("as:{{keys}} keys is not an array: {stored}"));
    keys.iter()
        .map(|key| {
            let kid = key["kid"].as_str().unwrap_or_else(|| panic!("a stored key without kid: {key}"));
            let jwe = key["private_key_jwe"].as_str().unwrap_or_else(|| panic!("a stored key without a JWE: {kid}"));
            (kid.to_owned(), jwe_header_kid(jwe))
        })
        .collect()
}

/// The `kid` of a compact JWE's protected header.
fn jwe_header_kid(jwe: &str) -> String {
    assert_eq!(jwe.split('.').count(), 5, "a compact JWE has five parts");
    let header = jwe.split('.').next().unwrap_or_default();
    let header = URL_SAFE_NO_PAD.decode(header).unwrap_or_else(|e| panic!("JWE header is not base64url: {e}"));
    let header: Value = serde_json::from_slice(&header).unwrap_or_else(|e| panic!("JWE header is not JSON: {e}"));
    assert_eq!((header["alg"].as_str(), header["enc"].as_str()), (Some("dir"), Some("A256GCM")), "{header}");
    header["kid"].as_str().unwrap_or_else(|| panic!("JWE header without kid: {header}")).to_owned()
}

/// The fingerprint the auth server writes as the JWE `kid` for a key-encryption key
/// given as base64url (`auth-server/src/store/redis/key_encryption.rs`): `kek-` and
/// the base64url of the first 12 bytes of SHA-256 over a domain label and the key.
pub(crate) fn kek_fingerprint(key_base64url: &str) -> String {
    let bytes = URL_SAFE_NO_PAD.decode(key_base64url).expect("a base64url key-encryption key");
    let mut input = b"auth-server key-encryption-key v1\0".to_vec();
    input.extend_from_slice(&bytes);
    let digest = openssl::sha::sha256(&input);
    format!("kek-{}", URL_SAFE_NO_PAD.encode(&digest[..12]))
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn reads_prometheus_samples() {
        let text = "# TYPE rs_key_set_fetches_total counter\nrs_key_set_fetches_total 7\n\
            rs_key_set_fetches_total_other 9\n\
            auth_http_requests_total{route=\"/.well-known/jwks.json\",status=\"200\"} 5\n\
            auth_http_requests_total{route=\"/.well-known/jwks.json\",status=\"304\"} 1\n\
            auth_http_requests_total{route=\"/oauth2/token\",status=\"200\"} 40\n";
        assert_eq!(sample(text, "rs_key_set_fetches_total"), Some(7));
        assert_eq!(labelled_sum(text, "auth_http_requests_total", "route=\"/.well-known/jwks.json\""), 6);
    }

    #[test]
    fn parses_bulk_replies() {
        assert_eq!(parse_bulk(b"$5\r\nhel"), None);
        assert_eq!(parse_bulk(b"$5\r\nhello\r\n"), Some(Some("hello".to_owned())));
        assert_eq!(parse_bulk(b"$-1\r\n"), Some(None));
    }
}
