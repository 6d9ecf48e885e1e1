//! Rotating the signing key on demand (`POST /admin/keys/rotate`).
//!
//! ```text
//! change(lifecycle::plan_rotation): the oldest `next` key ─► active, or a fresh key
//!   ─► active; the active key ─► retired (retired_at = now); compare-and-set
//!   ─► installed in this KeyRing: tokens signed after this carry the new kid
//! ```
//!
//! A manual rotation skips the pre-publication wait by design: the operator wants
//! the new key now (say, the old one is suspect but not known to be compromised).
//! A `next` key has been in the JWKS since it was created, so promoting one keeps
//! the rule "publish before it signs"; a fresh key is published and activated
//! in the same step, and resource servers that meet its `kid` before their cached
//! JWKS expires refetch it (coalesced and rate-limited on their side). The retired
//! key stays published for [`KeyPolicy::retention`](super::KeyPolicy::retention)
//! and is withdrawn, then removed, later by the scheduler; a retiring key that never
//! signed anything leaves at once, so a burst of rotations does not fill the JWKS.
//!
//! Other replicas pick the new set up at their next tick, or at once when a token
//! with the new `kid` reaches them (see `refetch`).

use super::{lifecycle, Applied, KeyError, KeyRing};
use crate::store::SigningKeyRecord;

impl KeyRing {
    /// Retires the active key and activates another; returns the saved key set.
    /// When it returns, this ring signs with the new key.
    /// Refused ([`KeyError::RotationRefused`]) when the JWKS would grow past
    /// [`lifecycle::MAX_PUBLISHED_KEYS`].
    pub async fn rotate(&self, now: i64) -> Result<Vec<SigningKeyRecord>, KeyError> {
        let refused = std::sync::Mutex::new(None);
        let decide = |keys: &[SigningKeyRecord]| match lifecycle::plan_rotation(keys) {
            Ok(transition) => Some(transition),
            Err(why) => {
                *refused.lock().unwrap_or_else(|p| p.into_inner()) = Some(why);
                None
            }
        };
        match self.change(now, decide).await? {
            Some(Applied { keys, .. }) => Ok(keys),
            // `plan_rotation` answers unless it refuses.
            None => match refused.into_inner().unwrap_or_else(|p| p.into_inner()) {
                Some(why) => Err(KeyError::RotationRefused(why)),
                None => Err(KeyError::Contended),
            },
        }
    }
}
