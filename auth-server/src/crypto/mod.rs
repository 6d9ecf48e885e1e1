//! Small cryptographic helpers over OpenSSL (already linked for the JOSE work, so no
//! extra dependency): random identifiers, SHA-256, constant-time comparison.

pub(crate) mod hashing_pool;
pub mod jws;
pub(crate) mod password;
pub mod rs256;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// A random identifier with 128 bits of entropy, base64url (for `jti`, `sid`).
pub fn random_id() -> String {
    random_token(16)
}

/// `bytes` random bytes, base64url without padding.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // OpenSSL's CSPRNG only fails if the OS entropy source is gone; nothing safe
    // can be issued then, so stopping is the safe answer.
    #[allow(clippy::expect_used)]
    openssl::rand::rand_bytes(&mut buf).expect("the system random number generator failed");
    URL_SAFE_NO_PAD.encode(buf)
}

/// SHA-256 through OpenSSL's direct interface: its one-shot `SHA256()` looks the
/// algorithm up in the provider tables on every call, which costs more than hashing
/// a client secret.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut hasher = openssl::sha::Sha256::new();
    hasher.update(data);
    hasher.finish()
}

/// [`sha256`] as lowercase hex.
pub fn sha256_hex(data: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(64);
    for byte in sha256(data) {
        hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    hex
}

/// Compares two secrets (or their hashes) without leaking where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && openssl::memcmp::eq(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_are_distinct_and_url_safe() {
        let a = random_id();
        assert_ne!(a, random_id());
        assert_eq!(a.len(), 22);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }

    #[test]
    fn sha256_hex_matches_known_vectors() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(sha256(b"abc"), openssl::sha::sha256(b"abc"));
    }

    #[test]
    fn constant_time_eq_handles_lengths() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
