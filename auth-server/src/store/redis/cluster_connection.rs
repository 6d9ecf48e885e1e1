//! A Redis Cluster connection that follows failovers.
//!
//! The cluster client re-reads the slot map when a node answers `MOVED`, but when a
//! primary dies it goes on reconnecting to the dead address: the slots of a killed
//! primary stayed unreachable long after its replica had taken them over. So after a
//! failed command the connection is rebuilt from the seed nodes, which reads the
//! current slot map: in the background, at most once per [`REBUILD_INTERVAL`].
//! Requests meanwhile go on with the current connection and fail fast (503 with
//! `Retry-After`), and the first after a successful rebuild reaches the new primary.

use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::RoutingInfo;
use redis::{Cmd, ErrorKind, RedisError, RedisResult, ServerErrorKind, Value};

/// The least time between two rebuilds: about the time a cluster needs to notice a
/// dead primary and promote a replica is several of these.
const REBUILD_INTERVAL: Duration = Duration::from_secs(1);

/// The client, to rebuild from, and the connection in use.
pub(super) struct ClusterHandle {
    client: ClusterClient,
    current: RwLock<ClusterConnection>,
    last_rebuild: Mutex<Option<Instant>>,
}

impl ClusterHandle {
    pub(super) async fn connect(client: ClusterClient) -> RedisResult<Arc<Self>> {
        let connection = client.get_async_connection().await?;
        Ok(Arc::new(Self { client, current: RwLock::new(connection), last_rebuild: Mutex::new(None) }))
    }

    /// The connection in use (a handle on it: cloning is cheap).
    pub(super) fn connection(&self) -> ClusterConnection {
        self.current.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Sends `cmd` by its key's slot.
    pub(super) async fn send(self: &Arc<Self>, cmd: &Cmd) -> RedisResult<Value> {
        let reply = redis::aio::ConnectionLike::req_packed_command(&mut self.connection(), cmd).await;
        self.observe(reply)
    }

    /// Sends `pipeline` (one slot) by its keys' slot.
    pub(super) async fn send_pipeline(
        self: &Arc<Self>,
        pipeline: &redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisResult<Vec<Value>> {
        let reply =
            redis::aio::ConnectionLike::req_packed_commands(&mut self.connection(), pipeline, offset, count).await;
        self.observe(reply)
    }

    /// Sends `cmd` where `routing` says.
    pub(super) async fn route(self: &Arc<Self>, cmd: Cmd, routing: RoutingInfo) -> RedisResult<Value> {
        let reply = self.connection().route_command(cmd, routing).await;
        self.observe(reply)
    }

    fn observe<T>(self: &Arc<Self>, reply: RedisResult<T>) -> RedisResult<T> {
        if let Err(err) = &reply {
            if points_at_topology(err) {
                self.rebuild_soon();
            }
        }
        reply
    }

    /// Starts a rebuild unless one started less than [`REBUILD_INTERVAL`] ago.
    fn rebuild_soon(self: &Arc<Self>) {
        {
            let mut last = self.last_rebuild.lock().unwrap_or_else(PoisonError::into_inner);
            if last.is_some_and(|at| at.elapsed() < REBUILD_INTERVAL) {
                return;
            }
            *last = Some(Instant::now());
        }
        let handle = Arc::clone(self);
        tokio::spawn(async move {
            match handle.client.get_async_connection().await {
                Ok(connection) => {
                    *handle.current.write().unwrap_or_else(PoisonError::into_inner) = connection;
                    tracing::info!("reconnected to the Redis Cluster");
                }
                Err(err) => {
                    tracing::warn!(error = %shared_claims::error_chain(&err), "could not reconnect to the Redis Cluster")
                }
            }
        });
    }
}

/// Whether `err` may come from a topology change (a node gone, a slot moving): any
/// failure to reach a node or to hear from it, and the cluster's own "not now"
/// answers; not a command's error reply.
fn points_at_topology(err: &RedisError) -> bool {
    match err.kind() {
        ErrorKind::Server(kind) => {
            matches!(
                kind,
                ServerErrorKind::ClusterDown
                    | ServerErrorKind::TryAgain
                    | ServerErrorKind::MasterDown
                    | ServerErrorKind::ReadOnly
            )
        }
        _ => true,
    }
}
