//! A refresh whose rotation is in doubt: the store failed to answer the rotation, but
//! may have committed it before its reply was lost (Redis killed mid-request). The
//! grant holds the successor `jti` it asked the store to keep, so reading the session
//! back tells what happened:
//!
//! ```text
//! settle ─► store.session(sid) every POLL, each read bounded, for at most BOUND
//!   ├─ refresh_jti == our successor ─► Some(session): the rotation happened
//!   ├─ anything else (old jti, another successor, no session) ─► None: it did not
//!   └─ no answer within BOUND ─► None: unknown, reported as unavailable
//! ```

use std::time::Duration;

use tokio::time::{sleep, timeout, Instant};

use crate::store::{Session, SessionStore};

/// How long a refresh waits for the store to come back and say what happened. Short:
/// the client is waiting, and a client that gets 503 retries anyway.
pub(crate) const BOUND: Duration = Duration::from_secs(2);
/// Pause between reads while the store does not answer.
const POLL: Duration = Duration::from_millis(50);

/// The session as our rotation left it, if the store shows that rotation committed
/// (its `refresh_jti` is `new_jti`); `None` when it certainly did not, or when the
/// store did not answer within [`BOUND`].
pub(crate) async fn settle<S: SessionStore + ?Sized>(store: &S, sid: &str, new_jti: &str) -> Option<Session> {
    let deadline = Instant::now() + BOUND;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match timeout(left, store.session(sid)).await {
            Ok(Ok(session)) => return session.filter(|s| s.refresh_jti == new_jti),
            Ok(Err(err)) => {
                tracing::debug!(error = %shared_claims::error_chain(&err), "refresh in doubt: store still unavailable")
            }
            Err(_) => return None,
        }
        if Instant::now() + POLL >= deadline {
            return None;
        }
        sleep(POLL).await;
    }
}
