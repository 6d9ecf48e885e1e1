//! The signed-in sessions (their tokens), server-side, keyed by an opaque random id.
//! The browser holds only the id, in an `HttpOnly` cookie.
//!
//! A bounded map with expiry: an entry lives until its deadline; inserting drops what
//! has expired, and into a full map also the entry closest to its deadline, each in
//! O(log n), so a flood of sign-ins costs memory up to the bound and no more.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// 32 random bytes, base64url: an id nobody can guess. `None` if the system's random
/// generator fails (then no session is created).
pub(crate) fn random_id() -> Option<String> {
    let mut bytes = [0u8; 32];
    openssl::rand::rand_bytes(&mut bytes).ok()?;
    Some(URL_SAFE_NO_PAD.encode(bytes))
}

struct Entry<V> {
    value: V,
    expires_at: Instant,
}

struct Entries<V> {
    by_id: HashMap<String, Entry<V>>,
    /// The same ids ordered by deadline: expired and oldest entries are found at the
    /// front in O(log n), without scanning the map.
    by_expiry: BTreeSet<(Instant, String)>,
}

impl<V> Entries<V> {
    fn remove(&mut self, id: &str) -> Option<Entry<V>> {
        let entry = self.by_id.remove(id)?;
        self.by_expiry.remove(&(entry.expires_at, id.to_owned()));
        Some(entry)
    }

    /// Drops the entry closest to its deadline.
    fn pop_first(&mut self) {
        if let Some((_, id)) = self.by_expiry.pop_first() {
            self.by_id.remove(&id);
        }
    }

    fn first_expiry(&self) -> Option<Instant> {
        self.by_expiry.first().map(|(at, _)| *at)
    }
}

/// Values of type `V` by random id, at most `capacity` of them, each for `ttl`.
pub(crate) struct SessionStore<V> {
    entries: Mutex<Entries<V>>,
    capacity: usize,
    ttl: Duration,
}

impl<V: Clone> SessionStore<V> {
    pub(crate) fn new(capacity: usize, ttl: Duration) -> Self {
        let entries = Entries { by_id: HashMap::new(), by_expiry: BTreeSet::new() };
        Self { entries: Mutex::new(entries), capacity: capacity.max(1), ttl }
    }

    fn lock(&self) -> MutexGuard<'_, Entries<V>> {
        // The maps stay consistent whatever panicked while holding them: nothing in
        // these operations panics between the two updates.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores `value` under a fresh random id and returns the id.
    pub(crate) fn insert(&self, value: V) -> Option<String> {
        self.insert_at(value, Instant::now())
    }

    fn insert_at(&self, value: V, now: Instant) -> Option<String> {
        let id = random_id()?;
        let expires_at = now.checked_add(self.ttl)?;
        let mut entries = self.lock();
        // What has expired goes first; a full store then drops the oldest live entry.
        while entries.first_expiry().is_some_and(|at| at <= now) {
            entries.pop_first();
        }
        while entries.by_id.len() >= self.capacity {
            entries.pop_first();
        }
        entries.by_expiry.insert((expires_at, id.clone()));
        entries.by_id.insert(id.clone(), Entry { value, expires_at });
        Some(id)
    }

    /// The value under `id`, unless it has expired (an expired one is dropped).
    pub(crate) fn get(&self, id: &str) -> Option<V> {
        self.get_at(id, Instant::now())
    }

    fn get_at(&self, id: &str, now: Instant) -> Option<V> {
        let mut entries = self.lock();
        match entries.by_id.get(id) {
            Some(entry) if entry.expires_at > now => Some(entry.value.clone()),
            Some(_) => {
                entries.remove(id);
                None
            }
            None => None,
        }
    }

    /// Forgets `id`.
    pub(crate) fn remove(&self, id: &str) {
        self.lock().remove(id);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        let entries = self.lock();
        assert_eq!(entries.by_id.len(), entries.by_expiry.len(), "both indexes hold the same ids");
        entries.by_id.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_random_and_opaque() {
        let store = SessionStore::new(10, Duration::from_secs(60));
        let a = store.insert("alice").unwrap();
        let b = store.insert("alice").unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43, "32 bytes base64url: {a}");
        assert!(!a.contains("alice"));
        assert_eq!(store.get(&a), Some("alice"));
        assert_eq!(store.get("guess"), None);
    }

    #[test]
    fn entries_expire() {
        let store = SessionStore::new(10, Duration::from_secs(60));
        let now = Instant::now();
        let id = store.insert_at(1, now).unwrap();
        assert_eq!(store.get_at(&id, now + Duration::from_secs(59)), Some(1));
        assert_eq!(store.get_at(&id, now + Duration::from_secs(60)), None);
        assert_eq!(store.len(), 0, "an expired entry is dropped when seen");
    }

    #[test]
    fn remove_forgets() {
        let store = SessionStore::new(10, Duration::from_secs(60));
        let id = store.insert(7).unwrap();
        store.remove(&id);
        assert_eq!(store.get(&id), None);
    }

    #[test]
    fn a_full_store_drops_expired_entries_first_then_the_oldest() {
        let store = SessionStore::new(3, Duration::from_secs(60));
        let start = Instant::now();
        let first = store.insert_at(1, start).unwrap();
        let second = store.insert_at(2, start + Duration::from_secs(10)).unwrap();
        let third = store.insert_at(3, start + Duration::from_secs(20)).unwrap();
        // At +65 s the first has expired: it goes, the others stay.
        let fourth = store.insert_at(4, start + Duration::from_secs(65)).unwrap();
        assert_eq!(store.len(), 3);
        let at = start + Duration::from_secs(66);
        assert_eq!(store.get_at(&first, at), None);
        assert_eq!(store.get_at(&second, at), Some(2));
        // Nothing has expired at +66 s: the oldest live entry (the second) makes room.
        let fifth = store.insert_at(5, at).unwrap();
        assert_eq!(store.len(), 3);
        assert_eq!(store.get_at(&second, at), None);
        for (id, value) in [(&third, 3), (&fourth, 4), (&fifth, 5)] {
            assert_eq!(store.get_at(id, at), Some(value));
        }
    }
}
