//! Revocations confirmed by replicas before they are acknowledged.
//!
//! Redis replicates asynchronously: a primary answers a write before any replica has
//! it, and when that primary dies and a replica takes over, the last writes it answered
//! can be gone. For a revocation that would mean a revoked token silently valid again.
//! So a revocation is written on a connection of its own, followed by `WAIT`, which
//! returns once that many replicas hold every write this connection made (or the
//! timeout passes). Fewer acknowledgements than asked fail the call: the caller answers
//! 503 and the client retries (a revocation is idempotent), instead of a 200 for a
//! revocation a failover could lose. `WAIT` blocks the connection it is sent on, hence
//! the separate connection: other requests never queue behind it.
//!
//! A primary with fewer replicas connected than asked (one has died, or has just been
//! promoted in place of a dead primary, and none has come back yet) is waited on for
//! those it has, and a warning is logged: refusing every revocation until a replica
//! returns would turn one lost node into an outage of revocation. A disconnected
//! replica misses the writes meanwhile, and once it has been away longer than
//! `cluster-replica-validity-factor` allows, the cluster no longer promotes it; before
//! that, losing the primary too (a second failure) can lose those revocations.

use std::time::Duration;

use super::connection::{Connection, RedisTarget};
use super::unavailable;
use crate::store::{StoreError, StoreResult};

/// How long a revocation waits for its replicas. Replication takes well under a
/// millisecond when the replicas are up; this bounds the wait when one is not.
const WAIT_TIMEOUT: Duration = Duration::from_millis(500);

/// The separate connection and how many replicas must confirm.
pub(super) struct ReplicaAcks {
    connection: Connection,
    replicas: u32,
}

impl ReplicaAcks {
    /// `None` when no replica need confirm (`replicas` is 0).
    pub(super) async fn open(target: &RedisTarget, replicas: u32) -> StoreResult<Option<Self>> {
        if replicas == 0 {
            return Ok(None);
        }
        Ok(Some(Self { connection: Connection::open(target).await?, replicas }))
    }

    /// The connection to write on, then to [`Self::confirm`] on.
    pub(super) fn connection(&self) -> Connection {
        self.connection.clone()
    }

    /// Waits until the replicas of the primary holding `key` have every write made on
    /// `connection`; an error if fewer than asked confirm in time.
    pub(super) async fn confirm(&self, connection: &mut Connection, key: &str) -> StoreResult<()> {
        let connected = connection.connected_replicas(key).await.map_err(unavailable)?;
        let asked = self.replicas.min(connected);
        if asked < self.replicas {
            tracing::warn!(
                connected,
                wanted = self.replicas,
                "the revocations' primary has fewer replicas than REDIS_WAIT_REPLICAS: revocations are confirmed by those it has"
            );
        }
        if asked == 0 {
            return Ok(());
        }
        let confirmed = connection.wait_for_replicas(key, asked, WAIT_TIMEOUT).await.map_err(unavailable)?;
        if confirmed < asked {
            return Err(StoreError::Unavailable(
                format!(
                    "the revocation was confirmed by {confirmed} of {asked} replicas within {} ms",
                    WAIT_TIMEOUT.as_millis()
                )
                .into(),
            ));
        }
        Ok(())
    }
}
