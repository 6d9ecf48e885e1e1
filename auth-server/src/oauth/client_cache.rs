//! Client records, cached for a few seconds in each replica: every token,
//! introspection and revocation request authenticates a client, and client records
//! change rarely, so most requests need no store round trip for it.
//!
//! Changes made through this replica (the admin API) take effect here at once; other
//! replicas see them within [`TTL`]. Unknown client ids are not cached, so a flood of
//! made-up ids cannot fill the cache.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::store::{ClientRecord, ClientStore, SharedStore, StoreResult};

pub(crate) const TTL: Duration = Duration::from_secs(5);
/// More clients than this and the cache starts over (deployments have far fewer).
const CAPACITY: usize = 10_000;

pub struct ClientCache {
    store: SharedStore,
    ttl: Duration,
    entries: Mutex<HashMap<String, (Instant, ClientRecord)>>,
}

impl ClientCache {
    pub fn new(store: SharedStore) -> Self {
        Self::with_ttl(store, TTL)
    }

    pub fn with_ttl(store: SharedStore, ttl: Duration) -> Self {
        Self { store, ttl, entries: Mutex::default() }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, ClientRecord)>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn forget(&self, client_id: &str) {
        self.entries().remove(client_id);
    }
}

#[async_trait]
impl ClientStore for ClientCache {
    async fn client(&self, client_id: &str) -> StoreResult<Option<ClientRecord>> {
        if let Some((fetched, client)) = self.entries().get(client_id) {
            if fetched.elapsed() < self.ttl {
                return Ok(Some(client.clone()));
            }
        }
        let client = self.store.client(client_id).await?;
        let mut entries = self.entries();
        match &client {
            Some(record) => {
                if entries.len() >= CAPACITY {
                    entries.clear();
                }
                entries.insert(client_id.to_owned(), (Instant::now(), record.clone()));
            }
            None => {
                entries.remove(client_id);
            }
        }
        Ok(client)
    }

    async fn insert_client(&self, client: &ClientRecord) -> StoreResult<bool> {
        self.forget(&client.client_id);
        self.store.insert_client(client).await
    }

    async fn put_client(&self, client: &ClientRecord) -> StoreResult<()> {
        self.forget(&client.client_id);
        self.store.put_client(client).await
    }

    async fn list_clients(&self) -> StoreResult<Vec<ClientRecord>> {
        self.store.list_clients().await
    }

    async fn delete_client(&self, client_id: &str) -> StoreResult<bool> {
        self.forget(client_id);
        self.store.delete_client(client_id).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::store::MemoryStore;

    fn client(id: &str, scopes: &str) -> ClientRecord {
        ClientRecord {
            client_id: id.into(),
            secret_sha256: None,
            grant_types: vec![],
            scopes: shared_claims::ScopeSet::parse(scopes).unwrap(),
            audiences: vec![],
            serves: vec![],
            registration: String::new(),
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            display_name: None,
        }
    }

    #[tokio::test]
    async fn serves_from_cache_and_forgets_on_local_changes() {
        let store: SharedStore = Arc::new(MemoryStore::new());
        // A TTL no test run reaches, so "within the TTL" holds however slow the machine.
        let cache = ClientCache::with_ttl(store.clone(), Duration::from_secs(3_600));
        assert_eq!(cache.client("a").await.unwrap(), None);
        cache.insert_client(&client("a", "x")).await.unwrap();
        assert_eq!(cache.client("a").await.unwrap(), Some(client("a", "x")));

        // A change behind the cache's back is not seen within the TTL...
        store.put_client(&client("a", "y")).await.unwrap();
        assert_eq!(cache.client("a").await.unwrap(), Some(client("a", "x")));
        // ...but a change through it is, at once.
        cache.delete_client("a").await.unwrap();
        assert_eq!(cache.client("a").await.unwrap(), None);
    }
}
