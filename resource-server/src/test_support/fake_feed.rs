//! The stand-in auth server's revocation feed: Server-Sent Events like the real one
//! (a snapshot, or the events after `Last-Event-ID`, then live events and keepalive
//! comments), with CRLF line endings, and switches a test can pull: go silent (accept
//! and hang, the way a dead peer looks), refuse connections, drop every stream.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::web::Bytes;
use actix_web::HttpResponse;
use serde_json::{json, Value};
use tokio::sync::{broadcast, mpsc};

/// How often a live stream sends `: keepalive`.
const KEEPALIVE: Duration = Duration::from_millis(100);
/// What every stream starts with, before its catch-up.
const PREAMBLE: &str = "retry: 50\r\n\r\n";
/// How long [`FeedMode::SlowCatchUp`] holds the catch-up back after the preamble.
const CATCH_UP_DELAY: Duration = Duration::from_millis(300);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedMode {
    /// Serve normally.
    Live,
    /// Accept connections but send nothing at all, not even keepalives.
    Silent,
    /// Answer 503.
    Refuse,
    /// Send a byte of an event that never ends, every few milliseconds: busy, but
    /// never a complete event (nor a keepalive).
    Trickle,
    /// Serve normally, but a new stream's catch-up (snapshot or resumed events)
    /// comes `CATCH_UP_DELAY` after its `retry:` preamble, as on a slow link.
    SlowCatchUp,
}

/// How the snapshots sent are damaged, to see what the follower makes of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotFault {
    /// Snapshots as the real feed sends them.
    None,
    /// `{"revocations":3}`: not a snapshot at all.
    Unreadable,
    /// Every notice, plus one of a shape no reader knows.
    UnreadableNotice,
    /// One event larger than any reader accepts (17 MiB), sent in pieces.
    Oversized,
    /// A paged snapshot that begins and sends a page but never ends (the stream
    /// stays open with keepalives): a slow or stalled transfer.
    Unfinished,
}

/// What one connection asked for and got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedConnection {
    pub last_event_id: Option<String>,
    /// Resumed after `last_event_id` (true) or sent a snapshot (false).
    pub resumed: bool,
}

pub struct FeedState {
    inner: Mutex<Inner>,
    live: broadcast::Sender<Arc<str>>,
    /// Bumped to end every open stream.
    generation: AtomicU64,
}

struct Inner {
    mode: FeedMode,
    /// Every event published: (cursor, notice). Cursors are 1, 2, 3…
    log: Vec<(u64, Value)>,
    connections: Vec<FeedConnection>,
    snapshot_fault: SnapshotFault,
    /// Send a snapshot even to a connection that could resume (a cursor too old).
    always_snapshot: bool,
}

impl Default for FeedState {
    fn default() -> Self {
        let (live, _) = broadcast::channel(256);
        let inner = Inner {
            mode: FeedMode::Live,
            log: Vec::new(),
            connections: Vec::new(),
            snapshot_fault: SnapshotFault::None,
            always_snapshot: false,
        };
        Self { inner: Mutex::new(inner), live, generation: AtomicU64::new(0) }
    }
}

impl FeedState {
    /// Appends a notice to the feed and sends it to open streams; returns its cursor.
    pub fn publish(&self, notice: Value) -> String {
        let mut inner = self.inner.lock().unwrap();
        let cursor = inner.log.len() as u64 + 1;
        let _ = self.live.send(revocation_event(cursor, &notice).into());
        inner.log.push((cursor, notice));
        cursor.to_string()
    }

    /// Like [`Self::publish`], but open streams get the event garbled (its data is not
    /// JSON), as if damaged on the way; a snapshot or a resumption later carries it
    /// intact.
    pub fn publish_garbled(&self, notice: Value) -> String {
        let mut inner = self.inner.lock().unwrap();
        let cursor = inner.log.len() as u64 + 1;
        let garbled = format!("id: {cursor}\r\nevent: revocation\r\ndata: {{\"type\":\"tok\r\n\r\n");
        let _ = self.live.send(garbled.into());
        inner.log.push((cursor, notice));
        cursor.to_string()
    }

    pub fn set_snapshot_fault(&self, fault: SnapshotFault) {
        self.inner.lock().unwrap().snapshot_fault = fault;
    }

    pub fn set_always_snapshot(&self, always: bool) {
        self.inner.lock().unwrap().always_snapshot = always;
    }

    pub fn set_mode(&self, mode: FeedMode) {
        self.inner.lock().unwrap().mode = mode;
    }

    pub fn drop_connections(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        let _ = self.live.send(Arc::from(""));
    }

    pub fn connections(&self) -> Vec<FeedConnection> {
        self.inner.lock().unwrap().connections.clone()
    }

    fn mode(&self) -> FeedMode {
        self.inner.lock().unwrap().mode
    }

    /// `GET /revocations` after the caller's credentials were checked.
    pub fn respond(self: &Arc<Self>, last_event_id: Option<String>) -> HttpResponse {
        let (first, receiver) = {
            let mut inner = self.inner.lock().unwrap();
            if inner.mode == FeedMode::Refuse {
                return HttpResponse::ServiceUnavailable().finish();
            }
            // Catch-up and subscription under one lock: no gap, no duplicate.
            let after = last_event_id.as_deref().and_then(|id| id.parse::<u64>().ok());
            let resumable = after.filter(|after| *after <= inner.log.len() as u64 && !inner.always_snapshot);
            let mut first = String::from(PREAMBLE);
            match resumable {
                Some(after) => {
                    for (cursor, notice) in inner.log.iter().filter(|(cursor, _)| *cursor > after) {
                        first.push_str(&revocation_event(*cursor, notice));
                    }
                }
                None => first.push_str(&snapshot_event(&inner.log, inner.snapshot_fault)),
            }
            inner.connections.push(FeedConnection { last_event_id, resumed: resumable.is_some() });
            (first, self.live.subscribe())
        };
        let (sender, body) = mpsc::channel::<Bytes>(64);
        tokio::spawn(stream(self.clone(), first, receiver, sender));
        let body = futures_util::stream::unfold(body, |mut body| async move {
            body.recv().await.map(|chunk| (Ok::<_, Infallible>(chunk), body))
        });
        HttpResponse::Ok().content_type("text/event-stream").streaming(body)
    }
}

async fn stream(
    state: Arc<FeedState>,
    first: String,
    mut live: broadcast::Receiver<Arc<str>>,
    sender: mpsc::Sender<Bytes>,
) {
    let generation = state.generation.load(Ordering::SeqCst);
    let open = || state.generation.load(Ordering::SeqCst) == generation && !sender.is_closed();
    let mut pending = Some(first);
    let mut slow_catch_up = state.mode() == FeedMode::SlowCatchUp;
    let mut keepalive = tokio::time::interval(KEEPALIVE);
    loop {
        if state.mode() == FeedMode::Trickle {
            if sender.send(Bytes::from_static(b"event: revocation\r\ndata: ")).await.is_err() {
                return;
            }
            while state.mode() == FeedMode::Trickle && open() {
                if sender.send(Bytes::from_static(b"x")).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            return;
        }
        while state.mode() == FeedMode::Silent {
            if !open() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let mut chunk = match pending.take() {
            Some(chunk) => chunk,
            None => tokio::select! {
                event = live.recv() => match event {
                    Ok(event) if event.is_empty() => {
                        if !open() {
                            return; // drop_connections
                        }
                        continue;
                    }
                    Ok(event) => event.to_string(),
                    Err(_) => return,
                },
                _ = keepalive.tick() => ": keepalive\r\n\r\n".to_owned(),
            },
        };
        if !open() || state.mode() == FeedMode::Silent {
            // A chunk held back by silence is sent once the feed speaks again.
            if open() {
                pending = Some(chunk);
                continue;
            }
            return;
        }
        if std::mem::take(&mut slow_catch_up) {
            if let Some(catch_up) = chunk.strip_prefix(PREAMBLE) {
                if sender.send(Bytes::from_static(PREAMBLE.as_bytes())).await.is_err() {
                    return;
                }
                tokio::time::sleep(CATCH_UP_DELAY).await;
                chunk = catch_up.to_owned();
            }
        }
        // Large events go in pieces, as a network delivers them.
        for piece in Bytes::from(chunk).chunks(1 << 20) {
            if sender.send(Bytes::copy_from_slice(piece)).await.is_err() {
                return;
            }
        }
    }
}

fn revocation_event(cursor: u64, notice: &Value) -> String {
    format!("id: {cursor}\r\nevent: revocation\r\ndata: {notice}\r\n\r\n")
}

fn snapshot_event(log: &[(u64, Value)], fault: SnapshotFault) -> String {
    let mut notices: Vec<Value> = log.iter().map(|(_, notice)| notice.clone()).collect();
    let cursor = log.last().map_or(0, |(cursor, _)| *cursor);
    if fault == SnapshotFault::Unfinished {
        let page = json!({ "revocations": notices });
        return format!("event: snapshot-begin\r\ndata: {{}}\r\n\r\nevent: snapshot-page\r\ndata: {page}\r\n\r\n");
    }
    let data = match fault {
        SnapshotFault::None => json!({ "revocations": notices }),
        SnapshotFault::Unreadable => json!({ "revocations": 3 }),
        SnapshotFault::UnreadableNotice => {
            notices.push(json!({"type": "from-the-future", "expires_at": "soon"}));
            json!({ "revocations": notices })
        }
        SnapshotFault::Oversized => {
            notices.push(json!({"type": "token", "jti": "x".repeat(17 << 20), "expires_at": 0}));
            json!({ "revocations": notices })
        }
        SnapshotFault::Unfinished => unreachable!("answered above"),
    };
    format!("id: {cursor}\r\nevent: snapshot\r\ndata: {data}\r\n\r\n")
}
