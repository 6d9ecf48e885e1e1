//! The pre-login cookie's value: a sign-in under way (`state`, PKCE verifier, expiry),
//! sealed with AES-256-GCM under a key made at start-up. Nothing is kept on the server
//! between `/login` and `/callback`, so unauthenticated `GET /login` calls cost no
//! memory and cannot push out other users' sign-ins.
//!
//! Replay: a ticket stays valid until it expires (10 minutes) and is not remembered as
//! used. Replaying it is harmless: it sits in an `HttpOnly` cookie of the browser that
//! started the sign-in, the authorization code it pairs with is single-use
//! (RFC 6749 §4.1.2), and the code is bound to this ticket's verifier (RFC 7636 §4.6).
//! A restart makes the key, and so every ticket under way, void.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use openssl::symm::{decrypt_aead, encrypt_aead, Cipher};
use shared_claims::Secret;

/// A sign-in under way: what `/callback` checks and needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PendingLogin {
    pub(crate) state: Secret,
    pub(crate) verifier: Secret,
}

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// Binds the ciphertext to its purpose.
const AAD: &[u8] = b"portal pre-login v1";
/// The longest ticket accepted, in cookie characters.
pub(crate) const MAX_TICKET_LEN: usize = 256;

/// Seals and opens pre-login tickets.
pub(crate) struct TicketSealer {
    key: [u8; 32],
    lifetime: Duration,
}

impl TicketSealer {
    /// A fresh random key; `None` if the system's random generator fails.
    pub(crate) fn new(lifetime: Duration) -> Option<Self> {
        let mut key = [0u8; 32];
        openssl::rand::rand_bytes(&mut key).ok()?;
        Some(Self { key, lifetime })
    }

    pub(crate) fn seal(&self, login: &PendingLogin) -> Option<String> {
        self.seal_at(login, unix_now())
    }

    fn seal_at(&self, login: &PendingLogin, now: u64) -> Option<String> {
        let expires = now.checked_add(self.lifetime.as_secs())?;
        let plain = format!("{expires}\n{}\n{}", login.state.expose(), login.verifier.expose());
        let mut nonce = [0u8; NONCE_LEN];
        openssl::rand::rand_bytes(&mut nonce).ok()?;
        let mut tag = [0u8; TAG_LEN];
        let sealed =
            encrypt_aead(Cipher::aes_256_gcm(), &self.key, Some(&nonce), AAD, plain.as_bytes(), &mut tag).ok()?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        out.extend_from_slice(&tag);
        Some(URL_SAFE_NO_PAD.encode(out))
    }

    /// The sign-in in `ticket`, if this process sealed it and it has not expired.
    pub(crate) fn open(&self, ticket: &str) -> Option<PendingLogin> {
        self.open_at(ticket, unix_now())
    }

    fn open_at(&self, ticket: &str, now: u64) -> Option<PendingLogin> {
        if ticket.len() > MAX_TICKET_LEN {
            return None;
        }
        let raw = URL_SAFE_NO_PAD.decode(ticket).ok()?;
        if raw.len() < NONCE_LEN + TAG_LEN {
            return None;
        }
        let (nonce, rest) = raw.split_at(NONCE_LEN);
        let (sealed, tag) = rest.split_at(rest.len() - TAG_LEN);
        let plain = decrypt_aead(Cipher::aes_256_gcm(), &self.key, Some(nonce), AAD, sealed, tag).ok()?;
        let plain = String::from_utf8(plain).ok()?;
        let mut parts = plain.splitn(3, '\n');
        let expires: u64 = parts.next()?.parse().ok()?;
        let (state, verifier) = (parts.next()?, parts.next()?);
        (now < expires).then(|| PendingLogin { state: Secret::new(state), verifier: Secret::new(verifier) })
    }
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login() -> PendingLogin {
        PendingLogin { state: Secret::new("s".repeat(43)), verifier: Secret::new("v".repeat(43)) }
    }

    #[test]
    fn a_sealed_login_opens_until_it_expires() {
        let sealer = TicketSealer::new(Duration::from_secs(600)).unwrap();
        let ticket = sealer.seal_at(&login(), 1000).unwrap();
        assert!(ticket.len() <= MAX_TICKET_LEN, "{}", ticket.len());
        assert!(!ticket.contains("sss") && !ticket.contains("vvv"), "encrypted");
        assert_eq!(sealer.open_at(&ticket, 1599), Some(login()));
        assert_eq!(sealer.open_at(&ticket, 1600), None);
    }

    #[test]
    fn tampered_or_foreign_tickets_do_not_open() {
        let sealer = TicketSealer::new(Duration::from_secs(600)).unwrap();
        let ticket = sealer.seal_at(&login(), 1000).unwrap();
        let mut raw = URL_SAFE_NO_PAD.decode(&ticket).unwrap();
        for at in [0, NONCE_LEN + 1, raw.len() - 1] {
            raw[at] ^= 1;
            assert_eq!(sealer.open_at(&URL_SAFE_NO_PAD.encode(&raw), 1001), None, "byte {at} flipped");
            raw[at] ^= 1;
        }
        let other = TicketSealer::new(Duration::from_secs(600)).unwrap();
        assert_eq!(other.open_at(&ticket, 1001), None, "another key (a restart)");
        for junk in ["", "x", "not base64!", &"A".repeat(MAX_TICKET_LEN + 1)] {
            assert_eq!(sealer.open_at(junk, 1001), None, "{junk}");
        }
    }
}
