//! A cap on long-lived streams per client (the revocation feed), so that one client
//! cannot hold an unbounded number of connections and broadcast receivers open.
//! A slot is taken when a stream opens and given back when its guard drops.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// Streams per client when nothing else is configured: room for a fleet of resource
/// server replicas sharing one client, each reconnecting now and then.
pub(crate) const DEFAULT_MAX_STREAMS_PER_CLIENT: usize = 64;

#[derive(Debug)]
pub struct StreamSlots {
    open: Arc<Mutex<HashMap<String, usize>>>,
    max_per_client: AtomicUsize,
}

impl Default for StreamSlots {
    fn default() -> Self {
        Self { open: Arc::default(), max_per_client: AtomicUsize::new(DEFAULT_MAX_STREAMS_PER_CLIENT) }
    }
}

/// One open stream of a client; the slot is freed when this is dropped.
#[derive(Debug)]
pub struct StreamSlot {
    open: Arc<Mutex<HashMap<String, usize>>>,
    client_id: String,
}

impl StreamSlots {
    pub fn set_max_per_client(&self, max: usize) {
        self.max_per_client.store(max, Ordering::Relaxed);
    }

    /// A slot for one more stream of `client_id`, or `None` when it holds the most
    /// it may.
    pub fn try_open(&self, client_id: &str) -> Option<StreamSlot> {
        let max = self.max_per_client.load(Ordering::Relaxed);
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(client_id.to_owned()).or_insert(0);
        if *count >= max {
            if *count == 0 {
                open.remove(client_id);
            }
            return None;
        }
        *count += 1;
        Some(StreamSlot { open: self.open.clone(), client_id: client_id.to_owned() })
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.client_id) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.client_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_client_has_its_own_cap_and_slots_come_back() {
        let slots = StreamSlots::default();
        slots.set_max_per_client(2);
        let a1 = slots.try_open("a").expect("first");
        let _a2 = slots.try_open("a").expect("second");
        assert!(slots.try_open("a").is_none(), "a third is refused");
        assert!(slots.try_open("b").is_some(), "another client is not affected");
        drop(a1);
        assert!(slots.try_open("a").is_some(), "a closed stream frees its slot");
    }
}
