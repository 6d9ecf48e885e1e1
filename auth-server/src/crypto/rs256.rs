//! RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 §3.3) for one key, with the
//! OpenSSL contexts set up once and reused.
//!
//! Setting up a context (`EVP_DigestSignInit`) looks the algorithms up in OpenSSL's
//! provider tables under a lock, every time: a few percent of an RSA-2048 signature
//! and a quarter of a verification. A context set up for PKCS#1 v1.5 and SHA-256 signs
//! any number of digests, but only one at a time, so each key keeps a small pool: a
//! signer takes a context, uses it and puts it back. The pool holds at most as many
//! contexts as signatures ever ran at once (one per worker thread).
//!
//! The signature is the same as `EVP_DigestSign`'s (PKCS#1 v1.5 is deterministic);
//! blinding and OpenSSL's check of its own result belong to the key, not the context,
//! and happen as before.

use std::sync::Mutex;

use openssl::error::ErrorStack;
use openssl::md::Md;
use openssl::pkey::{HasPublic, PKey, Private, Public};
use openssl::pkey_ctx::PkeyCtx;
use openssl::rsa::Padding;

use super::sha256;

/// Contexts kept beyond this are dropped after use (more threads than this never sign
/// at once in this server).
const MAX_POOLED: usize = 64;

/// Signs with one private key.
pub struct Rs256Signer {
    key: PKey<Private>,
    contexts: ContextPool<Private>,
}

impl Rs256Signer {
    pub fn new(key: PKey<Private>) -> Self {
        Self { key, contexts: ContextPool::default() }
    }

    /// The RS256 signature of `message`.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, ErrorStack> {
        let digest = sha256(message);
        let mut signature = Vec::with_capacity(self.key.size());
        self.contexts.with(
            || {
                let mut ctx = PkeyCtx::new(&self.key)?;
                ctx.sign_init()?;
                configure(&mut ctx)?;
                Ok(ctx)
            },
            |ctx| ctx.sign_to_vec(&digest, &mut signature),
        )?;
        Ok(signature)
    }
}

/// Verifies with one public key.
pub struct Rs256Verifier {
    key: PKey<Public>,
    contexts: ContextPool<Public>,
}

impl Rs256Verifier {
    pub fn new(key: PKey<Public>) -> Self {
        Self { key, contexts: ContextPool::default() }
    }

    /// Whether `signature` is this key's RS256 signature of `message`. OpenSSL reports
    /// most mismatches (a signature of the wrong length, say) as errors: all count
    /// as invalid, and the context stays usable.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let digest = sha256(message);
        self.contexts
            .with(
                || {
                    let mut ctx = PkeyCtx::new(&self.key)?;
                    ctx.verify_init()?;
                    configure(&mut ctx)?;
                    Ok(ctx)
                },
                |ctx| Ok(ctx.verify(&digest, signature).unwrap_or(false)),
            )
            .unwrap_or(false)
    }
}

fn configure<T: HasPublic>(ctx: &mut PkeyCtx<T>) -> Result<(), ErrorStack> {
    ctx.set_rsa_padding(Padding::PKCS1)?;
    ctx.set_signature_md(Md::sha256())
}

/// Contexts ready for one operation, taken one per use.
struct ContextPool<T> {
    idle: Mutex<Vec<PkeyCtx<T>>>,
}

impl<T> Default for ContextPool<T> {
    fn default() -> Self {
        Self { idle: Mutex::new(Vec::new()) }
    }
}

impl<T> ContextPool<T> {
    /// Runs `operation` on an idle context (or a new one from `create`), and keeps the
    /// context for the next caller unless the operation failed: a context that
    /// failed to sign is not trusted again.
    fn with<R>(
        &self,
        create: impl FnOnce() -> Result<PkeyCtx<T>, ErrorStack>,
        operation: impl FnOnce(&mut PkeyCtx<T>) -> Result<R, ErrorStack>,
    ) -> Result<R, ErrorStack> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut ctx = match idle {
            Some(ctx) => ctx,
            None => create()?,
        };
        let outcome = operation(&mut ctx)?;
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_POOLED {
            idle.push(ctx);
        }
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use openssl::hash::MessageDigest;
    use openssl::rsa::Rsa;
    use openssl::sign::{Signer, Verifier};

    use super::*;

    fn keys() -> (PKey<Private>, PKey<Public>) {
        let rsa = Rsa::generate(2048).unwrap();
        let public = PKey::public_key_from_der(&rsa.public_key_to_der().unwrap()).unwrap();
        (PKey::from_rsa(rsa).unwrap(), public)
    }

    #[test]
    fn signs_exactly_like_a_one_shot_digest_sign_and_reuses_its_context() {
        let (private, public) = keys();
        let signer = Rs256Signer::new(private.clone());
        for message in [&b"first"[..], b"second, on the pooled context", b""] {
            let ours = signer.sign(message).unwrap();
            let mut reference = Signer::new(MessageDigest::sha256(), &private).unwrap();
            assert_eq!(ours, reference.sign_oneshot_to_vec(message).unwrap());
            let mut check = Verifier::new(MessageDigest::sha256(), &public).unwrap();
            assert!(check.verify_oneshot(&ours, message).unwrap());
        }
        assert_eq!(signer.contexts.idle.lock().unwrap().len(), 1, "one context, reused");
    }

    #[test]
    fn verifies_its_own_key_s_signatures_only() {
        let (private, public) = keys();
        let (other_private, _) = keys();
        let verifier = Rs256Verifier::new(public);
        let signature = Rs256Signer::new(private).sign(b"message").unwrap();
        assert!(verifier.verify(b"message", &signature));
        assert!(!verifier.verify(b"messagE", &signature));
        assert!(!verifier.verify(b"message", &Rs256Signer::new(other_private).sign(b"message").unwrap()));
        assert!(!verifier.verify(b"message", &signature[1..]), "a short signature is refused, not an error");
        assert!(!verifier.verify(b"message", b""));
        assert!(verifier.verify(b"message", &signature), "a refusal leaves the verifier usable");
        assert_eq!(verifier.contexts.idle.lock().unwrap().len(), 1, "one context, kept through the refusals");
    }

    #[test]
    fn signers_on_several_threads_each_get_a_context() {
        let (private, public) = keys();
        let signer = std::sync::Arc::new(Rs256Signer::new(private));
        let verifier = std::sync::Arc::new(Rs256Verifier::new(public));
        let threads: Vec<_> = (0..4)
            .map(|i| {
                let (signer, verifier) = (signer.clone(), verifier.clone());
                std::thread::spawn(move || {
                    for j in 0..8 {
                        let message = format!("{i}-{j}");
                        assert!(verifier.verify(message.as_bytes(), &signer.sign(message.as_bytes()).unwrap()));
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let pooled = signer.contexts.idle.lock().unwrap().len();
        assert!((1..=4).contains(&pooled), "{pooled} contexts for 4 threads");
    }
}
