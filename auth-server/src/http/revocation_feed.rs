//! `GET /oauth2/revocations`: the revocation feed as Server-Sent Events (HTML Living
//! Standard §9.2). Callers authenticate with HTTP Basic as a client holding
//! `introspect` (resource servers do).
//!
//! Events: `snapshot` (every revocation in force; the reader replaces its view) and
//! `revocation` (one notice), each with an `id` the reader sends back as
//! `Last-Event-ID` when it reconnects. A comment line every few seconds lets the
//! reader tell a quiet feed from a dead one.

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use shared_claims::{OAuthError, RevocationNotice, RevocationSnapshot};
use tokio::sync::{broadcast, mpsc};

use super::client_request::authenticate;
use super::metrics::Metrics;
use super::{AppState, OAuthResponseError};
use crate::feed::Catchup;
use crate::form::FormParams;
use crate::introspection;
use crate::store::RevocationEvent;

/// How often a quiet feed says it is alive; well under the resource servers'
/// staleness bound (`RS_REVOCATION_MAX_STALENESS`, 30 s by default).
pub const KEEPALIVE: Duration = Duration::from_secs(5);

pub async fn get_revocations(
    req: HttpRequest,
    state: web::Data<AppState>,
    metrics: web::Data<Arc<Metrics>>,
) -> Result<HttpResponse, OAuthResponseError> {
    let authority = &state.authority;
    let caller = authenticate(&req, &FormParams::default(), authority).await?;
    introspection::authorize_caller(&caller)?;

    let last_event_id = req.headers().get("last-event-id").and_then(|v| v.to_str().ok()).filter(|v| !v.is_empty());
    let live = authority.feed.subscribe();
    let catchup = authority.feed.catch_up(last_event_id).await.map_err(OAuthError::temporarily_unavailable)?;

    let (sender, receiver) = mpsc::channel::<Bytes>(64);
    let subscribers = metrics.feed_subscribers.clone();
    tokio::spawn(async move {
        subscribers.inc();
        stream_events(catchup, live, sender).await;
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

async fn stream_events(
    catchup: Catchup,
    mut live: broadcast::Receiver<Arc<RevocationEvent>>,
    sender: mpsc::Sender<Bytes>,
) {
    let mut sent = HashSet::new();
    let first = match catchup {
        Catchup::Events(events) => {
            let mut chunk = String::from("retry: 1000\n\n");
            for event in &events {
                sent.insert(event.cursor.clone());
                chunk.push_str(&revocation_event(event));
            }
            chunk
        }
        Catchup::Snapshot(events, cursor) => format!("retry: 1000\n\n{}", snapshot_event(&events, &cursor)),
    };
    if sender.send(Bytes::from(first)).await.is_err() {
        return;
    }
    let mut keepalive = tokio::time::interval(KEEPALIVE);
    keepalive.tick().await;
    loop {
        let chunk = tokio::select! {
            received = live.recv() => match received {
                Ok(event) if sent.remove(&event.cursor) => continue,
                Ok(event) => revocation_event(&event),
                // Too slow to keep up, or shutting down: close; the reader
                // reconnects with its cursor and loses nothing.
                Err(broadcast::error::RecvError::Lagged(_)) | Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = keepalive.tick() => ": keepalive\n\n".to_owned(),
            _ = sender.closed() => return,
        };
        if sender.send(Bytes::from(chunk)).await.is_err() {
            return;
        }
    }
}

fn notice(event: &RevocationEvent) -> RevocationNotice {
    RevocationNotice { revocation: event.revocation.clone(), expires_at: event.expires_at }
}

fn revocation_event(event: &RevocationEvent) -> String {
    let data = serde_json::to_string(&notice(event)).unwrap_or_default();
    format!("id: {}\nevent: revocation\ndata: {data}\n\n", event.cursor)
}

fn snapshot_event(events: &[RevocationEvent], cursor: &str) -> String {
    let snapshot = RevocationSnapshot { revocations: events.iter().map(notice).collect() };
    let data = serde_json::to_string(&snapshot).unwrap_or_default();
    format!("id: {cursor}\nevent: snapshot\ndata: {data}\n\n")
}
