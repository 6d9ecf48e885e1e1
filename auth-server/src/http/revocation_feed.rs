//! `GET /oauth2/revocations`: the revocation feed as Server-Sent Events (HTML Living
//! Standard §9.2). Callers authenticate with HTTP Basic as a client holding
//! `introspect` (resource servers do), and see only the revocations that concern an
//! audience they serve (plus user- and key-level ones, which concern every server).
//!
//! The events, the keepalive and their order are in [`shared_claims::feed_protocol`].
//! A keepalive comment lets the reader tell a quiet feed from a dead one; the reader
//! may ask for its period with `?keepalive=<seconds>` (bounded). The first one follows
//! the catch-up (the events after `Last-Event-ID`, or the snapshot) at once: it tells a
//! reader that was cut off that its view is current again.
//! Streams per client are capped; past the cap the answer is 503 with `Retry-After`.

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use shared_claims::feed_protocol::{self as wire, SnapshotEnd, SnapshotPage};
use shared_claims::{OAuthError, RevocationNotice};
use tokio::sync::{broadcast, mpsc};

use super::client_request::authenticate;
use super::metrics::Metrics;
use super::openapi::schemas::OAuthErrorBody;
use super::{AppState, OAuthResponseError};
use crate::oauth::feed::{Catchup, RevocationFeed};
use crate::oauth::form::FormParams;
use crate::oauth::introspection;
use crate::store::{ClientRecord, RevocationEvent};

/// The revocation feed, as Server-Sent Events; see `shared_claims::feed_protocol`.
#[utoipa::path(
    get,
    path = "/oauth2/revocations",
    tag = "oauth",
    security(("client_basic" = [])),
    params(
        ("keepalive" = Option<u64>, Query, description = "Seconds between keepalive comments; default 5,
            raised to 1 and cut to 30"),
        ("Last-Event-ID" = Option<String>, Header, description = "The `id` of the last event read: the stream \
            resumes after it, or starts with a snapshot when it is too old"),
    ),
    responses(
        (status = 200, description = "An endless event stream: `revocation` events, or a `snapshot-begin`,
            `snapshot-page`s and a `snapshot-end`, then `: keepalive` comments and live `revocation` events",
            content_type = "text/event-stream", body = String),
        (status = 400, description = "`invalid_request`: `keepalive` is not a whole number", body = OAuthErrorBody),
        (status = 401, description = "`invalid_client`", body = OAuthErrorBody),
        (status = 403, description = "`access_denied`: the caller is not a confidential client holding \
            `introspect`", body = OAuthErrorBody),
        (status = 503, description = "`temporarily_unavailable`, with `Retry-After`: the client holds as many \
            streams as it may, or the store is unreachable", body = OAuthErrorBody),
    )
)]
pub(super) async fn get_revocations(
    req: HttpRequest,
    state: web::Data<AppState>,
    metrics: web::Data<Arc<Metrics>>,
) -> Result<HttpResponse, OAuthResponseError> {
    let authority = &state.authority;
    let caller = authenticate(&req, &FormParams::default(), authority).await?;
    introspection::authorize_caller(&caller)?;
    let keepalive = requested_keepalive(req.query_string())?;
    let Some(slot) = authority.feed.streams.try_open(&caller.client_id) else {
        return Err(OAuthError::temporarily_unavailable(format_args!(
            "client {} holds as many revocation feed streams as it may",
            caller.client_id
        ))
        .into());
    };

    let last_event_id = req.headers().get("last-event-id").and_then(|v| v.to_str().ok()).filter(|v| !v.is_empty());
    let live = authority.feed.subscribe();
    let catchup = authority.feed.catch_up(last_event_id).await.map_err(OAuthError::temporarily_unavailable)?;

    let (sender, receiver) = mpsc::channel::<Bytes>(64);
    let subscribers = metrics.feed_subscribers.clone();
    let stream = FeedStream { feed: authority.feed.clone(), caller, keepalive, sender };
    tokio::spawn(async move {
        let _slot = slot;
        subscribers.inc();
        stream.run(catchup, live).await;
        subscribers.dec();
    });
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (Ok::<_, Infallible>(chunk), receiver))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(body))
}

/// The keep-alive period the reader asked for, within our bounds; the default when
/// it asked for none. A value that is not a number of seconds is refused.
fn requested_keepalive(query: &str) -> Result<Duration, OAuthError> {
    let mut keepalive = wire::DEFAULT_KEEPALIVE;
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if name == wire::KEEPALIVE_PARAM {
            let secs: u64 = value
                .parse()
                .map_err(|_| OAuthError::invalid_request("keepalive must be a whole number of seconds"))?;
            keepalive = Duration::from_secs(secs).clamp(wire::MIN_KEEPALIVE, wire::MAX_KEEPALIVE);
        }
    }
    Ok(keepalive)
}

/// One subscriber's stream.
struct FeedStream {
    feed: Arc<RevocationFeed>,
    caller: ClientRecord,
    keepalive: Duration,
    sender: mpsc::Sender<Bytes>,
}

impl FeedStream {
    async fn run(self, catchup: Catchup, mut live: broadcast::Receiver<Arc<RevocationEvent>>) {
        let mut sent = HashSet::new();
        if !self.send("retry: 1000\n\n".to_owned()).await {
            return;
        }
        match catchup {
            Catchup::Events(events) => {
                let mut chunk = String::new();
                for event in &events {
                    sent.insert(event.cursor.clone());
                    if event.visible_to(&self.caller) {
                        chunk.push_str(&revocation_event(event));
                    }
                }
                if !chunk.is_empty() && !self.send(chunk).await {
                    return;
                }
            }
            Catchup::Snapshot { cursor } => {
                if !self.send_snapshot(&cursor).await {
                    return;
                }
            }
        }
        // The first tick is immediate: the keepalive that ends the catch-up.
        let mut keepalive = tokio::time::interval(self.keepalive);
        loop {
            let chunk = tokio::select! {
                received = live.recv() => match received {
                    Ok(event) if sent.remove(&event.cursor) => continue,
                    Ok(event) if !event.visible_to(&self.caller) => continue,
                    Ok(event) => revocation_event(&event),
                    // Too slow to keep up, or shutting down: close; the reader
                    // reconnects with its cursor and loses nothing.
                    Err(broadcast::error::RecvError::Lagged(_)) | Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = keepalive.tick() => wire::KEEPALIVE_COMMENT.to_owned(),
                _ = self.sender.closed() => return,
            };
            if !self.send(chunk).await {
                return;
            }
        }
    }

    /// Sends the snapshot page by page. A store failure midway ends the stream: the
    /// reader, lacking `snapshot-end`, keeps nothing of it and reconnects.
    async fn send_snapshot(&self, cursor: &str) -> bool {
        if !self.send(format!("event: {}\ndata: {{}}\n\n", wire::event::SNAPSHOT_BEGIN)).await {
            return false;
        }
        let mut page = None;
        let mut total = 0usize;
        loop {
            let read = match self.feed.snapshot_page(page.as_deref()).await {
                Ok(read) => read,
                Err(err) => {
                    tracing::warn!(error = %shared_claims::error_chain(&err), "revocation feed: snapshot read failed; closing the stream");
                    return false;
                }
            };
            let notices: Vec<RevocationNotice> =
                read.events.iter().filter(|e| e.visible_to(&self.caller)).map(notice).collect();
            if !notices.is_empty() {
                total += notices.len();
                let data = serde_json::to_string(&SnapshotPage { revocations: notices }).unwrap_or_default();
                if !self.send(format!("event: {}\ndata: {data}\n\n", wire::event::SNAPSHOT_PAGE)).await {
                    return false;
                }
            }
            match read.next {
                Some(next) => page = Some(next),
                None => break,
            }
        }
        let end = serde_json::to_string(&SnapshotEnd { revocations: total }).unwrap_or_default();
        self.send(format!("id: {cursor}\nevent: {}\ndata: {end}\n\n", wire::event::SNAPSHOT_END)).await
    }

    async fn send(&self, chunk: String) -> bool {
        self.sender.send(Bytes::from(chunk)).await.is_ok()
    }
}

fn notice(event: &RevocationEvent) -> RevocationNotice {
    RevocationNotice { revocation: event.revocation.clone(), expires_at: event.expires_at }
}

fn revocation_event(event: &RevocationEvent) -> String {
    let data = serde_json::to_string(&notice(event)).unwrap_or_default();
    format!("id: {}\nevent: {}\ndata: {data}\n\n", event.cursor, wire::event::REVOCATION)
}
