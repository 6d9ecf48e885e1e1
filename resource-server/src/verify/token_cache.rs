//! A cache of tokens already verified, keyed by the exact token string, so a token seen
//! again costs a hash lookup instead of an RSA verification or an introspection call.
//!
//! Bounded by two generations: new entries go to `young`; when `young` holds half the
//! capacity it becomes `old` and the previous `old` is dropped. A hit in `old` moves the
//! entry back to `young`. That approximates LRU with O(1) work and no extra crate.
//!
//! Generations also turn over with time, so memory follows the live tokens rather
//! than the capacity: `young` becomes `old` once it holds an expired entry (and `old`
//! is empty), and `old` is dropped once its last entry has expired. Tokens presented
//! once and never again (most of them) are forgotten about one lifetime after they
//! expire, instead of waiting for `capacity / 2` newer tokens to push them out.
//!
//! What the cache does NOT decide: revocation. The verifier consults its
//! [`RevocationCheck`](super::RevocationCheck) on every hit.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use shared_claims::AccessClaims;

/// What a verification established, kept until `expires_at`.
#[derive(Debug, Clone)]
pub(crate) struct CachedToken {
    pub claims: Arc<AccessClaims>,
    /// The key that verified it (local mode): a hit is refused once that key leaves the
    /// published set, so withdrawing a key takes effect at once.
    pub kid: Option<Arc<str>>,
    /// Unix seconds; the entry is usable while `now < expires_at`. Never later than the
    /// token's `exp`.
    pub expires_at: i64,
}

/// What a cache entry needs: the Unix second from which it is no longer used.
pub(crate) trait Expiring: Clone {
    fn expires_at(&self) -> i64;
}

impl Expiring for CachedToken {
    fn expires_at(&self) -> i64 {
        self.expires_at
    }
}

/// The auth server called the token inactive (RFC 7662); remembered until this Unix
/// second so that the same token presented again costs no call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InactiveUntil(pub i64);

impl Expiring for InactiveUntil {
    fn expires_at(&self) -> i64 {
        self.0
    }
}

type Generation<V> = HashMap<Box<str>, V>;

pub(crate) struct TokenCache<V = CachedToken> {
    generations: Mutex<Generations<V>>,
    /// Entries per generation; the cache holds at most twice this.
    half_capacity: usize,
}

struct Generations<V> {
    young: Generation<V>,
    old: Generation<V>,
    /// The earliest and latest `expires_at` in `young`; the latest in `old`.
    young_first_expiry: i64,
    young_last_expiry: i64,
    old_last_expiry: i64,
}

impl<V> Default for Generations<V> {
    fn default() -> Self {
        Self {
            young: HashMap::new(),
            old: HashMap::new(),
            young_first_expiry: i64::MAX,
            young_last_expiry: i64::MIN,
            old_last_expiry: i64::MIN,
        }
    }
}

impl<V: Expiring> TokenCache<V> {
    /// `capacity` 0 disables caching.
    pub(crate) fn new(capacity: usize) -> Self {
        Self { generations: Mutex::new(Generations::default()), half_capacity: capacity / 2 }
    }

    /// The entry for exactly this token, if it is still live at `now`.
    pub(crate) fn get(&self, token: &str, now: i64) -> Option<V> {
        if self.half_capacity == 0 {
            return None;
        }
        let mut generations = self.lock();
        if let Some(entry) = generations.young.get(token) {
            if now < entry.expires_at() {
                return Some(entry.clone());
            }
            generations.young.remove(token);
            return None;
        }
        let (key, entry) = generations.old.remove_entry(token)?;
        if now >= entry.expires_at() {
            return None;
        }
        generations.insert(key, entry.clone(), self.half_capacity, now);
        Some(entry)
    }

    /// Remembers a verified token. Entries already expired at `now` are not kept.
    pub(crate) fn insert(&self, token: &str, entry: V, now: i64) {
        if self.half_capacity == 0 || now >= entry.expires_at() {
            return;
        }
        self.lock().insert(token.into(), entry, self.half_capacity, now);
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        let generations = self.lock();
        generations.young.len() + generations.old.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Generations<V>> {
        // A panic while holding this lock cannot leave the maps inconsistent in a way
        // that matters (at worst an entry is missing), so a poisoned lock is reused.
        self.generations.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl<V: Expiring> Generations<V> {
    fn insert(&mut self, key: Box<str>, entry: V, half_capacity: usize, now: i64) {
        if !self.old.is_empty() && self.old_last_expiry <= now {
            // Every entry of `old` is dead: free it (a new map, not `clear`, which
            // would keep the allocation).
            self.old = HashMap::new();
        }
        let full = self.young.len() >= half_capacity && !self.young.contains_key(&key);
        let aged = self.old.is_empty() && !self.young.is_empty() && self.young_first_expiry <= now;
        if full || aged {
            self.old = std::mem::take(&mut self.young);
            self.old_last_expiry = self.young_last_expiry;
            self.young_first_expiry = i64::MAX;
            self.young_last_expiry = i64::MIN;
        }
        let expires_at = entry.expires_at();
        self.young_first_expiry = self.young_first_expiry.min(expires_at);
        self.young_last_expiry = self.young_last_expiry.max(expires_at);
        self.young.insert(key, entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_claims::{Audience, ScopeSet};

    const NOW: i64 = 1_700_000_000;

    fn entry(expires_at: i64) -> CachedToken {
        let claims = AccessClaims {
            iss: "iss".into(),
            sub: "alice".into(),
            aud: Audience::One("api".into()),
            exp: expires_at,
            iat: NOW,
            nbf: None,
            jti: "j".into(),
            client_id: "c".into(),
            scope: ScopeSet::new(),
            sid: None,
        };
        CachedToken { claims: Arc::new(claims), kid: None, expires_at }
    }

    #[test]
    fn returns_a_live_entry_for_the_exact_token_only() {
        let cache = TokenCache::new(10);
        cache.insert("a.b.c", entry(NOW + 60), NOW);
        assert!(cache.get("a.b.c", NOW).is_some());
        assert!(cache.get("a.b.d", NOW).is_none());
        assert!(cache.get("a.b.c ", NOW).is_none());
    }

    #[test]
    fn entries_die_at_their_expiry() {
        let cache = TokenCache::new(10);
        cache.insert("t", entry(NOW + 60), NOW);
        assert!(cache.get("t", NOW + 59).is_some());
        assert!(cache.get("t", NOW + 60).is_none());
        assert_eq!(cache.len(), 0, "an expired entry is dropped when found");
        cache.insert("dead", entry(NOW), NOW);
        assert_eq!(cache.len(), 0, "an already expired entry is not stored");
    }

    #[test]
    fn size_stays_bounded_and_recent_entries_survive() {
        let cache = TokenCache::new(10);
        for i in 0..1000 {
            cache.insert(&format!("t{i}"), entry(NOW + 60), NOW);
            // keep one token hot: it must survive every rotation
            assert!(cache.get("t0", NOW).is_some(), "hot entry lost at {i}");
        }
        assert!(cache.len() <= 10, "len {}", cache.len());
        assert!(cache.get("t999", NOW).is_some());
        assert!(cache.get("t500", NOW).is_none());
    }

    #[test]
    fn inactive_answers_are_kept_until_their_time() {
        let cache: TokenCache<InactiveUntil> = TokenCache::new(4);
        cache.insert("t", InactiveUntil(NOW + 10), NOW);
        assert_eq!(cache.get("t", NOW + 9), Some(InactiveUntil(NOW + 10)));
        assert_eq!(cache.get("t", NOW + 10), None);
        for i in 0..100 {
            cache.insert(&format!("t{i}"), InactiveUntil(NOW + 10), NOW);
        }
        assert!(cache.len() <= 4);
    }

    #[test]
    fn tokens_never_seen_again_are_forgotten_once_expired() {
        // A steady stream of short-lived tokens, each presented once: the cache must
        // track the live ones, not fill up to its capacity with dead ones.
        let cache = TokenCache::new(10_000);
        for second in 0..600 {
            for i in 0..10 {
                cache.insert(&format!("t-{second}-{i}"), entry(NOW + second + 60), NOW + second);
            }
        }
        assert!(cache.len() <= 2 * 10 * 61, "{} entries held for ~600 live tokens", cache.len());
    }

    #[test]
    fn capacity_zero_disables_the_cache() {
        let cache: TokenCache = TokenCache::new(0);
        cache.insert("t", entry(NOW + 60), NOW);
        assert!(cache.get("t", NOW).is_none());
    }
}
