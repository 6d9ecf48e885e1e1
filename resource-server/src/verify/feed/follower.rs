//! The task that keeps one Server-Sent Events connection (HTML Living Standard §9.2)
//! open to the auth server's revocation feed, applies what arrives, and reconnects
//! with `Last-Event-ID` so that nothing is lost across a disconnect: the auth server
//! resumes after that id, or sends a fresh snapshot when it no longer can.
//!
//! ```text
//! follow
//!   loop
//!     ├─ endpoint known?    no → discover_endpoint (metadata; absent → error log, wait)
//!     ├─ connect            200 text/event-stream, else error (401/403: credentials)
//!     ├─ connect            ?keepalive=<what the staleness bound needs>
//!     ├─ read_stream        chunk() until closed, failed, or no complete event
//!     │                     for idle_timeout
//!     │    └─ per chunk     parse → handle_event (apply, cursor) → observe; contact
//!     │                     only when the chunk completed an event or keepalive,
//!     │                     and only once the connection has caught up (a
//!     │                     complete snapshot, or the first keepalive, which the
//!     │                     auth server sends right after the events it resumed)
//!     │                     an event that may have lost a revocation (unreadable
//!     │                     notice or snapshot, snapshot with unreadable notices,
//!     │                     an oversized event, a paged snapshot cut short):
//!     │                     view unsynced (local mode: 503), cursor cleared, stream
//!     │                     ended → the next connection gets a fresh snapshot
//!     └─ sleep              Backoff::next_delay_jittered (reset once bytes arrive)
//! ```
//!
//! Nothing here blocks the executor, and no token or secret is logged (the
//! credentials only ever go into the `Authorization` header).

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use reqwest::{Client, Response, StatusCode, Url};
use shared_claims::feed_protocol as wire;
use shared_claims::unix_now;
use tokio::task::JoinHandle;

use super::apply::{apply_event, Applied, SnapshotInProgress};
use super::sse::{SseEvent, SseParser, SseTooLarge};
use super::Feed;
use crate::verify::backoff::Backoff;
use crate::verify::discovery::discover;
use crate::verify::{AuthServerUrls, ClientCredentials, FetchError};

/// Largest event accepted. The auth server pages its snapshot into events of about
/// a thousand notices; this leaves room for an older one that sends it whole (about
/// 100 000 revocations).
const MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;
/// How often metadata is read again when it announces no feed.
const ABSENT_RECHECK: Duration = Duration::from_secs(60);

pub(crate) struct FollowerConfig {
    /// A client without an overall timeout (the stream is meant to stay open);
    /// every step is bounded by `idle_timeout` instead.
    pub client: Client,
    pub urls: AuthServerUrls,
    pub credentials: ClientCredentials,
    pub retry_initial: Duration,
    pub retry_max: Duration,
    /// A connection without a complete event or keepalive this long is dropped and
    /// reopened (the auth server sends a keepalive comment every `keepalive`, so a
    /// silent one is dead).
    pub idle_timeout: Duration,
    /// The keepalive period asked of the auth server (`?keepalive=`, whole seconds).
    pub keepalive: Duration,
}

/// Why a connection ended or could not be opened. Never carries a credential.
#[derive(Debug, thiserror::Error)]
enum FeedError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(
        "the revocation feed refused our client (HTTP {0}): check the client id and secret \
         (RS_CLIENT_ID, RS_CLIENT_SECRET) and that the client holds the `introspect` scope"
    )]
    Refused(u16),
    #[error("the revocation feed did not answer with text/event-stream")]
    NotEventStream,
    #[error("nothing received for {0:?}")]
    Idle(Duration),
    #[error(transparent)]
    TooLarge(#[from] SseTooLarge),
    #[error("the revocation feed sent {0}: a revocation may have been lost; resynchronising from a fresh snapshot")]
    Unreadable(&'static str),
}

impl From<reqwest::Error> for FeedError {
    fn from(err: reqwest::Error) -> Self {
        FeedError::Fetch(err.into())
    }
}

pub(crate) fn spawn_follower(
    feed: Arc<Feed>,
    config: FollowerConfig,
    runtime: &tokio::runtime::Handle,
) -> JoinHandle<()> {
    runtime.spawn(follow(feed, config))
}

async fn follow(feed: Arc<Feed>, config: FollowerConfig) {
    let mut backoff = Backoff::new(config.retry_initial, config.retry_max);
    let mut endpoint: Option<Url> = None;
    let mut cursor: Option<String> = None;
    let mut failures: u32 = 0;
    let mut retry_hint: Option<Duration> = None;
    loop {
        let url = match endpoint.clone() {
            Some(url) => url,
            None => match discover_endpoint(&feed, &config).await {
                Ok(url) => {
                    endpoint = Some(url.clone());
                    url
                }
                Err(err) => {
                    failures += 1;
                    report(failures, &err, "cannot discover the revocation feed");
                    tokio::time::sleep(backoff.next_delay_jittered()).await;
                    continue;
                }
            },
        };
        let ended = match connect(&config, &url, cursor.as_deref(), config.keepalive).await {
            Ok(response) => {
                failures = 0;
                feed.metrics.feed.set_connected(true);
                tracing::debug!(resuming = cursor.is_some(), "revocation feed connected");
                let mut stream = Stream { cursor: &mut cursor, backoff: &mut backoff, retry_hint: &mut retry_hint };
                let ended = read_stream(&feed, response, &mut stream, config.idle_timeout).await;
                feed.metrics.feed.set_connected(false);
                ended
            }
            Err(err) => {
                // The endpoint may have moved: read the metadata again next time.
                endpoint = None;
                Err(err)
            }
        };
        // The stream's `retry:` applies when the server closed it, not to our own
        // timeouts or failures (those follow the backoff alone).
        let hint = if ended.is_ok() { retry_hint } else { None };
        match ended {
            Ok(()) => {
                failures = 0;
                tracing::info!("revocation feed closed by the authorization server; reconnecting");
            }
            // A quiet connection replaced on schedule: not worth a warning (a peer that
            // is really gone fails the reconnection, and that is reported).
            Err(err @ FeedError::Idle(_)) => {
                tracing::debug!(error = %err, "revocation feed connection idle; reopening")
            }
            Err(err) => {
                failures += 1;
                report(failures, &err, "revocation feed connection failed");
            }
        }
        feed.metrics.feed.reconnect();
        tokio::time::sleep(reconnect_delay(&mut backoff, hint, config.retry_max)).await;
    }
}

/// Our backoff, but no sooner than the reconnection time the stream asked for with
/// `retry:` (HTML §9.2.6), itself capped by `retry_max` so that a server hint cannot
/// push us past the staleness bound.
fn reconnect_delay(backoff: &mut Backoff, retry_hint: Option<Duration>, retry_max: Duration) -> Duration {
    let ours = backoff.next_delay_jittered();
    retry_hint.map_or(ours, |hint| ours.max(hint.min(retry_max)))
}

/// What a connection updates for the next one.
struct Stream<'a> {
    /// The id of the last event handled: sent back as `Last-Event-ID`.
    cursor: &'a mut Option<String>,
    /// Reset once bytes arrive: the connection worked.
    backoff: &'a mut Backoff,
    /// The stream's `retry:` field, if it sent one.
    retry_hint: &'a mut Option<Duration>,
}

/// Logs a failure as a warning the 1st, 2nd, 4th, 8th… time in a row, and at debug
/// level otherwise: visible, without a line every few seconds during an outage (the
/// staleness warning says what matters).
fn report(failures: u32, err: &dyn std::fmt::Display, what: &str) {
    if failures.is_power_of_two() {
        tracing::warn!(error = %err, failures, "{what}");
    } else {
        tracing::debug!(error = %err, failures, "{what}");
    }
}

/// The feed URL from the RFC 8414 metadata (`revocation_feed_endpoint`). When the
/// metadata has none, says so clearly, once, and waits before looking again: this
/// auth server cannot push revocations, and local mode stays not ready.
async fn discover_endpoint(feed: &Feed, config: &FollowerConfig) -> Result<Url, FeedError> {
    loop {
        let metadata = tokio::time::timeout(config.idle_timeout, discover(&config.client, &config.urls))
            .await
            .map_err(|_| FeedError::Idle(config.idle_timeout))??;
        match metadata.revocation_feed_endpoint.as_deref() {
            Some(value) => {
                if feed.health.is_absent() {
                    tracing::info!("the authorization server now announces a revocation feed");
                    feed.health.set_absent(false);
                }
                return Ok(config.urls.endpoint(Some(value), wire::METADATA_KEY, &metadata.issuer)?);
            }
            None => {
                if !feed.health.is_absent() {
                    feed.health.set_absent(true);
                    tracing::error!(
                        metadata_url = %config.urls.metadata_url(),
                        "the authorization server announces no revocation_feed_endpoint: revocations \
                         cannot be followed; in local mode this server stays not ready and answers 503"
                    );
                }
                tokio::time::sleep(ABSENT_RECHECK).await;
            }
        }
    }
}

async fn connect(
    config: &FollowerConfig,
    url: &Url,
    cursor: Option<&str>,
    keepalive: Duration,
) -> Result<Response, FeedError> {
    let mut url = url.clone();
    url.query_pairs_mut().append_pair(wire::KEEPALIVE_PARAM, &keepalive.as_secs().max(1).to_string());
    let mut request = config
        .client
        .get(url)
        .header(AUTHORIZATION, config.credentials.basic_authorization())
        .header(ACCEPT, "text/event-stream")
        .header(CACHE_CONTROL, "no-store");
    // A cursor that cannot be a header value is dropped: we get a snapshot instead.
    if let Some(value) = cursor.and_then(|cursor| HeaderValue::from_str(cursor).ok()) {
        request = request.header("last-event-id", value);
    }
    let response = tokio::time::timeout(config.idle_timeout, request.send())
        .await
        .map_err(|_| FeedError::Idle(config.idle_timeout))??;
    match response.status() {
        StatusCode::OK => {}
        status @ (StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) => return Err(FeedError::Refused(status.as_u16())),
        status => return Err(FetchError::Status(status.as_u16()).into()),
    }
    let content_type = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("text/event-stream") {
        return Err(FeedError::NotEventStream);
    }
    Ok(response)
}

/// Reads until the stream ends (`Ok`) or fails. A new connection counts as contact
/// only once it has caught up: a complete snapshot, or the first keepalive (the auth
/// server sends one right after the events it resumed with, and the `retry:` block
/// before them is not one). Otherwise a stale view would be trusted again on the
/// stream's first bytes, before the revocations missed meanwhile are in. Each chunk's
/// events are applied before the contact is recorded. Only complete events and
/// keepalives count: a stream that trickles bytes of an event that never ends is as
/// dead as a silent one.
async fn read_stream(
    feed: &Feed,
    response: Response,
    stream: &mut Stream<'_>,
    idle_timeout: Duration,
) -> Result<(), FeedError> {
    let mut snapshot = None;
    let ended = read_events(feed, response, stream, &mut snapshot, idle_timeout).await;
    let lost = match &ended {
        Err(FeedError::TooLarge(_)) => true,
        // A paged snapshot was under way: the view in use misses what the gap that
        // caused it lost, and resuming after the old cursor would never bring it.
        _ => snapshot.is_some(),
    };
    if lost {
        feed.health.mark_unsynced();
        *stream.cursor = None;
        feed.observe(Instant::now());
    }
    ended
}

async fn read_events(
    feed: &Feed,
    mut response: Response,
    stream: &mut Stream<'_>,
    snapshot: &mut Option<SnapshotInProgress>,
    idle_timeout: Duration,
) -> Result<(), FeedError> {
    let mut parser = SseParser::new(MAX_EVENT_BYTES);
    let mut events = Vec::new();
    let mut last_message = Instant::now();
    let mut caught_up = false;
    loop {
        let wait = idle_timeout.saturating_sub(last_message.elapsed());
        let chunk = match tokio::time::timeout(wait, response.chunk()).await {
            Err(_) => return Err(FeedError::Idle(idle_timeout)),
            Ok(Err(err)) => return Err(err.into()),
            Ok(Ok(None)) => return Ok(()),
            Ok(Ok(Some(chunk))) => chunk,
        };
        let messages = parser.messages();
        let parsed = parser.push(&chunk, &mut events);
        let now = unix_now();
        for event in events.drain(..) {
            match handle_event(feed, &event, stream.cursor, snapshot, now) {
                Ok(Caught::Up) => caught_up = true,
                Ok(Caught::NotYet) => {}
                Err(err) => {
                    // The rest of this stream comes after the gap: drop it. The next
                    // connection sends no cursor, so the auth server sends a snapshot.
                    feed.observe(Instant::now());
                    return Err(err);
                }
            }
        }
        parsed?;
        caught_up |= parser.keepalives() > 0;
        if !caught_up || parser.messages() == messages {
            continue;
        }
        last_message = Instant::now();
        feed.health.contact(last_message);
        feed.metrics.feed.contact();
        feed.observe(last_message);
        // Only a connection that delivered a usable view counts as working: one that
        // keeps sending an unreadable snapshot is retried with a growing delay.
        if feed.health.is_synced() {
            stream.backoff.reset();
        }
        if parser.retry().is_some() {
            *stream.retry_hint = parser.retry();
        }
    }
}

/// Whether an event completed the catch-up of its connection.
#[derive(Debug, PartialEq, Eq)]
enum Caught {
    /// A complete snapshot: the view is the auth server's.
    Up,
    NotYet,
}

/// Applies one event and moves the cursor past it when it was applied in full. An
/// event that may have lost a revocation (an unreadable notice, an unreadable or
/// incomplete snapshot) keeps the cursor from moving, clears it (the next connection
/// gets a fresh snapshot), stops trusting the view, and ends the stream with an error.
fn handle_event(
    feed: &Feed,
    event: &SseEvent,
    cursor: &mut Option<String>,
    snapshot: &mut Option<SnapshotInProgress>,
    now: i64,
) -> Result<Caught, FeedError> {
    let applied = apply_event(&feed.list, snapshot, event, now);
    let metrics = &feed.metrics.feed;
    metrics.set_revocations(feed.list.len());
    let lost = match applied {
        Applied::Snapshot { notices } => {
            feed.health.mark_synced();
            metrics.event_applied();
            tracing::info!(revocations = notices, "revocation feed snapshot applied");
            None
        }
        Applied::SnapshotBegun => {
            // Sent to a connection that resumed from a cursor, a snapshot means the
            // auth server could not resume it: the view may lack revocations made
            // since, so it is not trusted until the snapshot is complete.
            if cursor.is_some() {
                feed.health.mark_unsynced();
            }
            tracing::debug!("revocation feed: snapshot started");
            None
        }
        Applied::SnapshotPage { notices } => {
            tracing::trace!(notices, "revocation feed: snapshot page");
            None
        }
        Applied::Revocation { key } => {
            metrics.event_applied();
            if key {
                tracing::warn!("revocation feed: a signing key was revoked; tokens signed by it are refused");
            } else {
                tracing::debug!("revocation feed: revocation applied");
            }
            None
        }
        Applied::PartialSnapshot { notices, skipped } => {
            metrics.event_skipped();
            tracing::warn!(
                revocations = notices,
                skipped,
                "revocation feed snapshot held notices we cannot read: the readable ones are added, \
                 and the view is not trusted until a complete snapshot arrives"
            );
            Some("a snapshot with unreadable notices")
        }
        Applied::BadSnapshot => {
            metrics.event_skipped();
            tracing::warn!(
                "revocation feed: unreadable snapshot; the view is not trusted until a readable one arrives"
            );
            Some("an unreadable snapshot")
        }
        Applied::BadRevocation => {
            metrics.event_skipped();
            tracing::warn!(
                id = %event.last_event_id,
                "revocation feed: unreadable revocation event; the view is not trusted until a fresh snapshot"
            );
            Some("an unreadable revocation event")
        }
        Applied::Ignored => {
            tracing::debug!(event = %event.event, "revocation feed: unknown event type ignored");
            None
        }
    };
    if applied.loses_revocations() {
        feed.health.mark_unsynced();
        *cursor = None;
        return Err(FeedError::Unreadable(lost.unwrap_or("an unreadable event")));
    }
    if applied.advances_cursor() {
        // An empty id resets the cursor (HTML §9.2.6): the next connection sends none.
        *cursor = Some(event.last_event_id.clone()).filter(|id| !id.is_empty());
    }
    Ok(if matches!(applied, Applied::Snapshot { .. }) { Caught::Up } else { Caught::NotYet })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::VerifierMetrics;

    const NOW: i64 = 1_700_000_000;

    fn feed() -> Feed {
        Feed::new(Duration::from_secs(30), 0, super::super::WhenStale::Refuse, Arc::new(VerifierMetrics::default()))
    }

    fn event(kind: &str, data: &str, id: &str) -> SseEvent {
        SseEvent { event: kind.into(), data: data.into(), last_event_id: id.into() }
    }

    /// A feed that applied a snapshot with cursor 1 and was heard from just now.
    fn synced() -> (Feed, Option<String>) {
        let feed = feed();
        let mut cursor = None;
        let caught =
            handle_event(&feed, &event("snapshot", r#"{"revocations":[]}"#, "1"), &mut cursor, &mut None, NOW).unwrap();
        assert_eq!(caught, Caught::Up);
        feed.health.contact(Instant::now());
        assert!(feed.is_live());
        assert_eq!(cursor.as_deref(), Some("1"));
        (feed, cursor)
    }

    #[test]
    fn applied_events_move_the_cursor() {
        let (feed, mut cursor) = synced();
        let notice = format!(r#"{{"type":"token","jti":"j","expires_at":{}}}"#, NOW + 60);
        let caught = handle_event(&feed, &event("revocation", &notice, "2"), &mut cursor, &mut None, NOW).unwrap();
        assert_eq!(caught, Caught::NotYet, "only a complete snapshot (or a keepalive) ends a catch-up");
        assert_eq!(cursor.as_deref(), Some("2"));
        assert!(feed.is_live());
    }

    #[test]
    fn an_unreadable_event_clears_the_cursor_and_the_trust() {
        let bad = [
            event("revocation", "{not json", "2"),
            event("revocation", r#"{"type":"token"}"#, "2"),
            event("snapshot", r#"{"revocations":3}"#, "2"),
            event("snapshot", r#"{"revocations":[{"type":"future"}]}"#, "2"),
        ];
        for bad in bad {
            let (feed, mut cursor) = synced();
            let err = handle_event(&feed, &bad, &mut cursor, &mut None, NOW).unwrap_err();
            assert!(matches!(err, FeedError::Unreadable(_)), "{bad:?}: {err}");
            assert_eq!(cursor, None, "{bad:?}: the next connection asks for a snapshot");
            assert!(!feed.health.is_synced(), "{bad:?}");
            assert!(!feed.is_live(), "{bad:?}: refused until a fresh snapshot");
            handle_event(&feed, &event("snapshot", r#"{"revocations":[]}"#, "3"), &mut cursor, &mut None, NOW).unwrap();
            assert!(feed.is_live(), "{bad:?}: a readable snapshot restores trust");
            assert_eq!(cursor.as_deref(), Some("3"));
        }
    }

    #[test]
    fn an_unknown_event_type_is_ignored_without_moving_the_cursor() {
        let (feed, mut cursor) = synced();
        handle_event(&feed, &event("future-kind", "{}", "7"), &mut cursor, &mut None, NOW).unwrap();
        assert_eq!(cursor.as_deref(), Some("1"));
        assert!(feed.is_live());
    }
}
