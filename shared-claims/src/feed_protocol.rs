//! The revocation feed's wire protocol, shared by the auth server that serves it and
//! the resource servers that follow it: Server-Sent Events (HTML Living Standard
//! §9.2) at [`PATH`], announced in the RFC 8414 metadata under [`METADATA_KEY`].
//!
//! ```text
//! GET /oauth2/revocations?keepalive=<s>   Basic client credentials, Last-Event-ID
//!
//! retry: 1000                                          reconnection time, ms
//! catch-up, one of:
//!   revocation     notice                       id     each event after Last-Event-ID
//!   snapshot-begin {}                                  the reader starts a new view
//!   snapshot-page  {"revocations":[notice,...]}        bounded pages
//!   snapshot-end   {"revocations":<total>}      id     complete: swap the view in
//! : keepalive                                          at once: the catch-up is over
//! then live:
//!   revocation     notice                       id     one revocation
//!   : keepalive                                        every keepalive period
//! ```
//!
//! Each `id` is a cursor the reader sends back as `Last-Event-ID` when it reconnects.
//! A reader trusts a new connection only once it has caught up (a complete snapshot,
//! or the first keepalive), so a view that went stale is never trusted again before
//! the revocations it missed are in. Older auth servers send the snapshot whole, as
//! one [`event::SNAPSHOT`].

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The feed's path on the auth server.
pub const PATH: &str = "/oauth2/revocations";

/// The RFC 8414 metadata member that announces the feed.
pub const METADATA_KEY: &str = "revocation_feed_endpoint";

/// The query parameter with which a reader asks for a keepalive period, in whole
/// seconds.
pub const KEEPALIVE_PARAM: &str = "keepalive";

/// The keepalive period when the reader asks for none.
pub const DEFAULT_KEEPALIVE: Duration = Duration::from_secs(5);

/// The shortest period a reader may ask for; shorter requests are raised to it.
pub const MIN_KEEPALIVE: Duration = Duration::from_secs(1);

/// The longest period a reader may ask for; longer requests are cut to it.
pub const MAX_KEEPALIVE: Duration = Duration::from_secs(30);

/// The keepalive: a comment-only block.
pub const KEEPALIVE_COMMENT: &str = ": keepalive\n\n";

/// Event types (the SSE `event` field).
pub mod event {
    /// One revocation; data: a [`crate::RevocationNotice`].
    pub const REVOCATION: &str = "revocation";
    /// A new view begins; data: `{}`.
    pub const SNAPSHOT_BEGIN: &str = "snapshot-begin";
    /// Part of the view; data: a [`super::SnapshotPage`].
    pub const SNAPSHOT_PAGE: &str = "snapshot-page";
    /// The view is complete; data: a [`super::SnapshotEnd`]; carries the cursor.
    pub const SNAPSHOT_END: &str = "snapshot-end";
    /// The whole view in one event, as older auth servers send it; data: a
    /// [`super::SnapshotPage`]; carries the cursor.
    pub const SNAPSHOT: &str = "snapshot";
}

/// The data of a `snapshot-page` (and of an older server's `snapshot`). Readers that
/// must tolerate notices they cannot read parse the list leniently instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotPage<T> {
    pub revocations: Vec<T>,
}

/// The data of a `snapshot-end`: how many notices the pages carried in all, so a
/// reader can tell a complete view from one that lost a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotEnd {
    pub revocations: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keepalive_bounds_hold_the_default() {
        assert!(MIN_KEEPALIVE <= DEFAULT_KEEPALIVE && DEFAULT_KEEPALIVE <= MAX_KEEPALIVE);
        assert!(KEEPALIVE_COMMENT.starts_with(':') && KEEPALIVE_COMMENT.ends_with("\n\n"));
    }

    #[test]
    fn snapshot_data_has_the_documented_shape() {
        let end = serde_json::to_value(SnapshotEnd { revocations: 3 }).unwrap();
        assert_eq!(end, serde_json::json!({"revocations": 3}));
        let page: SnapshotPage<serde_json::Value> = serde_json::from_str(r#"{"revocations":[{"a":1}]}"#).unwrap();
        assert_eq!(page.revocations.len(), 1);
    }
}
