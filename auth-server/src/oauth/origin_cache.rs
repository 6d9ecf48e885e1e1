//! The CORS origins of public clients ([`crate::oauth::cors`]), cached for a few
//! seconds in each replica: they come from the whole client list, and every token or
//! revocation request a browser sends carries an `Origin`.
//!
//! ```text
//! origins(): fresh set? ─► yes: it
//!   ─► wait for the gate (callers arriving during a read queue behind it)
//!   ─► fresh now (a read ahead of us brought it)? ─► it
//!   ─► read the client list ─► keep the set (unless forgotten meanwhile) ─► it
//! ```
//!
//! At most one store read is in flight per replica, and while the store answers at
//! most one per TTL, that of client records
//! ([`TTL`](crate::oauth::client_cache::TTL)). Client changes made through this replica (the admin API,
//! through [`ClientCache`](crate::oauth::client_cache::ClientCache)) drop the set at
//! once; other replicas accept up to that TTL of staleness, as for client records.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tracing::Instrument;

use crate::oauth::cors::{is_allowed_origin, public_client_origins};
use crate::store::{SharedStore, StoreResult};

/// A set as read, with when and under which generation.
struct Entry {
    fetched: Instant,
    generation: u64,
    origins: Arc<HashSet<String>>,
}

pub(crate) struct OriginCache {
    store: SharedStore,
    ttl: Duration,
    entry: Mutex<Option<Entry>>,
    /// Bumped by every local client change: a set read under an older one is stale.
    generation: AtomicU64,
    /// Held while the client list is read: what coalesces.
    gate: tokio::sync::Mutex<()>,
}

impl OriginCache {
    pub(crate) fn with_ttl(store: SharedStore, ttl: Duration) -> Self {
        Self { store, ttl, entry: Mutex::new(None), generation: AtomicU64::new(0), gate: tokio::sync::Mutex::new(()) }
    }

    fn entry(&self) -> std::sync::MutexGuard<'_, Option<Entry>> {
        self.entry.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn fresh(&self) -> Option<Arc<HashSet<String>>> {
        let generation = self.generation.load(Ordering::SeqCst);
        self.entry()
            .as_ref()
            .filter(|e| e.generation == generation && e.fetched.elapsed() < self.ttl)
            .map(|e| e.origins.clone())
    }

    /// Drops the set: a client was registered, changed or deleted here.
    pub(crate) fn forget(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Whether `origin` (an `Origin` header's value) belongs to a public client.
    pub(crate) async fn is_allowed(&self, origin: &str) -> StoreResult<bool> {
        Ok(is_allowed_origin(&*self.origins().await?, origin))
    }

    async fn origins(&self) -> StoreResult<Arc<HashSet<String>>> {
        if let Some(origins) = self.fresh() {
            return Ok(origins);
        }
        let _gate = self.gate.lock().await;
        if let Some(origins) = self.fresh() {
            return Ok(origins);
        }
        // Read before the list: a change during the read makes this set stale.
        let generation = self.generation.load(Ordering::SeqCst);
        let clients = self.store.list_clients().instrument(tracing::debug_span!("store.list_clients")).await?;
        let origins = Arc::new(public_client_origins(&clients));
        *self.entry() = Some(Entry { fetched: Instant::now(), generation, origins: origins.clone() });
        Ok(origins)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ClientRecord, ClientStore};
    use crate::test_support::faulty_store::FaultyStore;

    fn public_client(id: &str, redirect_uri: &str) -> ClientRecord {
        ClientRecord {
            client_id: id.into(),
            secret_sha256: None,
            grant_types: vec!["authorization_code".into()],
            scopes: shared_claims::ScopeSet::parse("x").unwrap(),
            audiences: vec![],
            serves: vec![],
            registration: String::new(),
            redirect_uris: vec![redirect_uri.into()],
            post_logout_redirect_uris: vec![],
            display_name: None,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_requests_cost_one_store_read() {
        let counting = Arc::new(FaultyStore::new());
        counting.put_client(&public_client("spa", "https://spa.example/cb")).await.unwrap();
        // A TTL no test run reaches, so "within the TTL" holds however slow the machine.
        let cache = Arc::new(OriginCache::with_ttl(counting.clone(), Duration::from_secs(3_600)));
        // All eight start together, so each finds no set before any read ends.
        let start = Arc::new(tokio::sync::Barrier::new(8));
        let checks: Vec<_> = (0..8)
            .map(|_| {
                let (cache, start) = (cache.clone(), start.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    cache.is_allowed("https://spa.example").await
                })
            })
            .collect();
        for check in checks {
            assert!(check.await.unwrap().unwrap());
        }
        assert_eq!(counting.client_list_reads(), 1, "one store read served all eight");
        assert!(!cache.is_allowed("https://evil.example").await.unwrap());
        assert_eq!(counting.client_list_reads(), 1, "a refused origin is answered from the set too");
    }

    #[tokio::test]
    async fn a_local_change_is_seen_at_once() {
        let counting = Arc::new(FaultyStore::new());
        let cache = OriginCache::with_ttl(counting.clone(), Duration::from_secs(3_600));
        assert!(!cache.is_allowed("https://spa.example").await.unwrap());
        counting.put_client(&public_client("spa", "https://spa.example/cb")).await.unwrap();
        assert!(!cache.is_allowed("https://spa.example").await.unwrap(), "within the TTL, the set in hand");
        cache.forget();
        assert!(cache.is_allowed("https://spa.example").await.unwrap());
        assert_eq!(counting.client_list_reads(), 2);
    }
}
