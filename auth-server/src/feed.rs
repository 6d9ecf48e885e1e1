//! The revocation feed: every revocation, from whichever replica recorded it, pushed
//! to every subscribed resource server.
//!
//! ```text
//! Authority::record_revocation ─► store.revoke (feed entry) ─► signal
//!                                                          │
//! RevocationFeed::run (one task per replica): revocations_since(cursor) on signal,
//!   or every poll interval for other replicas' entries ─► broadcast ─► SSE streams
//! ```
//!
//! A subscriber that comes with a cursor (`Last-Event-ID`) gets what it missed;
//! one without, or whose cursor the store no longer reaches, gets a snapshot first.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, Notify};

use crate::store::{FeedPage, RevocationEvent, SharedStore, StoreResult};

/// Events read from the store at once.
const PAGE: usize = 1_000;
/// Events buffered per subscriber before a slow one is dropped (it reconnects and
/// resumes from its cursor, so nothing is lost).
const BUFFER: usize = 4_096;

pub struct RevocationFeed {
    store: SharedStore,
    sender: broadcast::Sender<Arc<RevocationEvent>>,
    signal: Notify,
    poll_interval: Duration,
}

/// What a new subscriber is sent before live events.
pub enum Catchup {
    /// Resumed: the events after its cursor.
    Events(Vec<RevocationEvent>),
    /// Every revocation in force, and the cursor it is current to.
    Snapshot(Vec<RevocationEvent>, String),
}

impl RevocationFeed {
    /// `poll_interval`: how often to look for entries written by other replicas.
    pub fn new(store: SharedStore, poll_interval: Duration) -> Arc<Self> {
        let (sender, _) = broadcast::channel(BUFFER);
        Arc::new(Self { store, sender, signal: Notify::new(), poll_interval })
    }

    /// Wakes the feed after this replica recorded a revocation.
    pub fn notify(&self) {
        self.signal.notify_one();
    }

    /// Live events from now on. Subscribe before calling [`Self::catch_up`] so that
    /// nothing falls between the two; duplicates are skipped by cursor.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<RevocationEvent>> {
        self.sender.subscribe()
    }

    pub async fn catch_up(&self, cursor: Option<&str>) -> StoreResult<Catchup> {
        if let Some(cursor) = cursor {
            let mut events = Vec::new();
            let mut after = cursor.to_owned();
            loop {
                match self.store.revocations_since(&after, PAGE).await? {
                    FeedPage::Gap => break,
                    FeedPage::Events(page) => {
                        let full = page.len() == PAGE;
                        if let Some(last) = page.last() {
                            after = last.cursor.clone();
                        }
                        events.extend(page);
                        if !full {
                            return Ok(Catchup::Events(events));
                        }
                    }
                }
            }
        }
        let (events, cursor) = self.store.revocation_snapshot().await?;
        Ok(Catchup::Snapshot(events, cursor))
    }

    /// Follows the store and broadcasts. Runs for the life of the process.
    pub async fn run(self: Arc<Self>) {
        let mut cursor = loop {
            match self.store.revocation_snapshot().await {
                Ok((_, cursor)) => break cursor,
                Err(err) => {
                    tracing::warn!(error = %err, "revocation feed: store unavailable, retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        };
        loop {
            match self.store.revocations_since(&cursor, PAGE).await {
                Ok(FeedPage::Events(events)) if !events.is_empty() => {
                    for event in events {
                        cursor = event.cursor.clone();
                        // No subscribers is fine: the send fails and nothing is lost.
                        let _ = self.sender.send(Arc::new(event));
                    }
                    continue;
                }
                Ok(FeedPage::Events(_)) => {}
                Ok(FeedPage::Gap) => {
                    // The store was reset or trimmed past us: start over from now.
                    // Subscribers resuming from older cursors get snapshots.
                    tracing::warn!("revocation feed: cursor lost, resynchronising");
                    if let Ok((_, now)) = self.store.revocation_snapshot().await {
                        cursor = now;
                    }
                }
                Err(err) => tracing::warn!(error = %err, "revocation feed: store unavailable"),
            }
            let _ = tokio::time::timeout(self.poll_interval, self.signal.notified()).await;
        }
    }
}
