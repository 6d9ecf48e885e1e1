//! Ceiling: Argon2id verifications per second with the auth server's parameters
//! (m = 19456 KiB, t = 2, p = 1), one thread per core, for a fixed time.

use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

const PASSWORD: &[u8] = b"bench-user-password";

/// Verifications per second over `threads` threads running for `duration`.
pub fn verifications_per_sec(threads: usize, duration: Duration) -> Result<f64, String> {
    let params = Params::new(19_456, 2, 1, None).map_err(|e| e.to_string())?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let salt = SaltString::encode_b64(b"bench-salt-16byt").map_err(|e| e.to_string())?;
    let hash = argon2.hash_password(PASSWORD, &salt).map_err(|e| e.to_string())?.to_string();
    let started = Instant::now();
    let counts: Vec<u64> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let (argon2, hash) = (argon2.clone(), hash.as_str());
                scope.spawn(move || {
                    let parsed = PasswordHash::new(hash).ok();
                    let mut done = 0u64;
                    while started.elapsed() < duration {
                        if parsed.as_ref().is_some_and(|p| argon2.verify_password(PASSWORD, p).is_ok()) {
                            done += 1;
                        }
                    }
                    done
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap_or(0)).collect()
    });
    let elapsed = started.elapsed().as_secs_f64();
    Ok(counts.iter().sum::<u64>() as f64 / elapsed)
}
