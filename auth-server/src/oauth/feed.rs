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
//! one without, or whose cursor the store no longer reaches, gets a snapshot first,
//! read from the store in bounded pages ([`RevocationFeed::snapshot_page`]) so that
//! neither the store read nor an event grows with the number of revocations in force.
//!
//! [`RevocationFeed::close`] (at shutdown) stops the task and ends every
//! subscription: streams finish, and readers reconnect (to another replica) with
//! their cursor, losing nothing.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{broadcast, Notify};
use tokio_util::sync::CancellationToken;

use crate::oauth::stream_slots::StreamSlots;
use crate::store::{FeedPage, RevocationEvent, SharedStore, SnapshotPage, StoreResult};

/// Events read from the store at once, and revocations per snapshot page.
pub(crate) const PAGE: usize = 1_000;
/// Longest `Last-Event-ID` taken as a cursor; anything longer is not one of ours.
const MAX_CURSOR_LEN: usize = 64;
/// Events buffered per subscriber before a slow one is dropped (it reconnects and
/// resumes from its cursor, so nothing is lost).
const BUFFER: usize = 4_096;
/// Wait after a failed store read before the next, so an outage is not hammered.
const ERROR_BACKOFF: Duration = Duration::from_millis(500);

pub struct RevocationFeed {
    store: SharedStore,
    /// `None` once closed: dropping the sender ends every subscription.
    sender: Mutex<Option<broadcast::Sender<Arc<RevocationEvent>>>>,
    signal: Notify,
    poll_interval: Duration,
    /// Open streams per subscribing client, capped.
    pub streams: StreamSlots,
    closed: CancellationToken,
}

/// What a new subscriber is sent before live events.
pub enum Catchup {
    /// Resumed: the events after its cursor.
    Events(Vec<RevocationEvent>),
    /// Every revocation in force, read page by page with [`RevocationFeed::snapshot_page`]
    /// after this call; then the feed from `cursor`.
    Snapshot { cursor: String },
}

impl RevocationFeed {
    /// `poll_interval`: how often to look for entries written by other replicas.
    pub fn new(store: SharedStore, poll_interval: Duration) -> Arc<Self> {
        let (sender, _) = broadcast::channel(BUFFER);
        Arc::new(Self {
            store,
            sender: Mutex::new(Some(sender)),
            signal: Notify::new(),
            poll_interval,
            streams: StreamSlots::default(),
            closed: CancellationToken::new(),
        })
    }

    /// Stops [`Self::run`] and ends every subscription (their receivers report
    /// `Closed`); later subscriptions end at once.
    pub fn close(&self) {
        self.closed.cancel();
        self.sender.lock().unwrap_or_else(PoisonError::into_inner).take();
    }

    /// Wakes the feed after this replica recorded a revocation.
    pub fn notify(&self) {
        self.signal.notify_one();
    }

    /// Live events from now on. Subscribe before calling [`Self::catch_up`] so that
    /// nothing falls between the two; duplicates are skipped by cursor.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<RevocationEvent>> {
        match &*self.sender.lock().unwrap_or_else(PoisonError::into_inner) {
            Some(sender) => sender.subscribe(),
            // Closed: a receiver whose sender is already gone.
            None => broadcast::channel(1).1,
        }
    }

    fn broadcast(&self, event: RevocationEvent) {
        if let Some(sender) = &*self.sender.lock().unwrap_or_else(PoisonError::into_inner) {
            // No subscribers is fine: the send fails and nothing is lost.
            let _ = sender.send(Arc::new(event));
        }
    }

    /// What a subscriber with `cursor` (its untrusted `Last-Event-ID`) needs first.
    /// A cursor that cannot be one of ours gets a snapshot, like a lost one.
    pub async fn catch_up(&self, cursor: Option<&str>) -> StoreResult<Catchup> {
        if let Some(cursor) = cursor.filter(|c| !c.is_empty() && c.len() <= MAX_CURSOR_LEN) {
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
        Ok(Catchup::Snapshot { cursor: self.store.revocation_feed_head().await? })
    }

    /// One page of a snapshot: `page` is `None` first, then the previous page's `next`.
    pub async fn snapshot_page(&self, page: Option<&str>) -> StoreResult<SnapshotPage> {
        self.store.revocation_snapshot_page(page, PAGE).await
    }

    /// Follows the store and broadcasts, until [`Self::close`].
    pub async fn run(self: Arc<Self>) {
        let closed = self.closed.clone();
        closed.run_until_cancelled(self.follow()).await;
    }

    async fn follow(&self) {
        let mut cursor = loop {
            match self.store.revocation_feed_head().await {
                Ok(cursor) => break cursor,
                Err(err) => {
                    tracing::warn!(error = %shared_claims::error_chain(&err), "revocation feed: store unavailable, retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        };
        loop {
            let mut wait = self.poll_interval;
            match self.store.revocations_since(&cursor, PAGE).await {
                Ok(FeedPage::Events(events)) if !events.is_empty() => {
                    for event in events {
                        cursor = event.cursor.clone();
                        self.broadcast(event);
                    }
                    continue;
                }
                Ok(FeedPage::Events(_)) => {}
                Ok(FeedPage::Gap) => {
                    // The store was reset or trimmed past us: start over from now.
                    // Subscribers resuming from older cursors get snapshots.
                    tracing::warn!("revocation feed: cursor lost, resynchronising");
                    if let Ok(now) = self.store.revocation_feed_head().await {
                        cursor = now;
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %shared_claims::error_chain(&err), "revocation feed: store unavailable");
                    wait = wait.max(ERROR_BACKOFF);
                }
            }
            let _ = tokio::time::timeout(wait, self.signal.notified()).await;
        }
    }
}
