//! The store's one connection: to a single Redis node, or to a Redis Cluster.
//!
//! Both are multiplexed (one socket per node, shared by every request) and reconnect
//! by themselves, and both implement [`ConnectionLike`], so the rest of the store sends
//! commands without knowing which it has. In a cluster every command goes to the
//! primary holding its key's slot; that is why each script and each pipeline touches
//! keys of one hash tag only ([`super::keys`]), and why reads of many keys in
//! different slots are sent as concurrent single commands ([`super::RedisStore::get_each`]).
//!
//! TLS: a `rediss://` URL. The server's certificate is checked against the system's
//! trust store (OpenSSL's: `SSL_CERT_FILE` / `SSL_CERT_DIR` point it at another bundle),
//! hostname included.

use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr};
use redis::{Cmd, Pipeline, RedisFuture, RedisResult, Value};

use super::cluster_connection::ClusterHandle;
use crate::store::{StoreError, StoreResult};

/// How long one command may take before the store counts as unavailable, and how long
/// one connection attempt may take. Short, so that while Redis is unreachable every
/// store call fails within about a second (callers answer 503 with `Retry-After`)
/// instead of requests piling up behind it; Redis answers in well under a
/// millisecond when it is there.
const RESPONSE_TIMEOUT: Duration = Duration::from_millis(700);
const CONNECTION_TIMEOUT: Duration = Duration::from_millis(300);
/// Over TLS a connection also builds its TLS connector, which reads the system's CA
/// bundle each time (about 100 ms on a loaded host), then runs the handshake.
const TLS_CONNECTION_TIMEOUT: Duration = Duration::from_secs(2);
/// One connection attempt per reconnection, no retries: the connection manager's
/// retries (with exponential backoff) happen while callers wait on them, for seconds.
/// The next call after a failed attempt tries again.
const CONNECTION_RETRIES: usize = 0;
/// In a cluster a command may meet a moved slot (`MOVED`, `ASK`) or a primary that
/// has just failed; the client then refreshes its slot map and retries, within one
/// overall deadline per command, so a caller still hears within about a second.
const CLUSTER_RETRIES: u32 = 3;
const CLUSTER_RETRY_WAIT_MS: (u64, u64) = (10, 200);
const CLUSTER_OVERALL_TIMEOUT: Duration = Duration::from_millis(1_200);

/// Where the store's data lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RedisTarget {
    /// One Redis node (`REDIS_URL`).
    Node(String),
    /// Some nodes of a Redis Cluster (`REDIS_CLUSTER_URLS`); the others are found
    /// from them.
    Cluster(Vec<String>),
}

impl RedisTarget {
    /// How many replicas confirm a revocation unless `REDIS_WAIT_REPLICAS` says
    /// otherwise: one in a cluster, whose failover promotes a replica; none on a single
    /// node, which has no failover of its own.
    pub fn default_wait_replicas(&self) -> u32 {
        match self {
            RedisTarget::Node(_) => 0,
            RedisTarget::Cluster(_) => 1,
        }
    }

    /// How long one connection attempt may take.
    fn connection_timeout(&self) -> Duration {
        let tls = match self {
            RedisTarget::Node(url) => url.starts_with("rediss://"),
            RedisTarget::Cluster(urls) => urls.iter().any(|url| url.starts_with("rediss://")),
        };
        if tls {
            TLS_CONNECTION_TIMEOUT
        } else {
            CONNECTION_TIMEOUT
        }
    }

    /// The setting the target came from, for error messages.
    pub(super) fn setting(&self) -> &'static str {
        match self {
            RedisTarget::Node(_) => "REDIS_URL",
            RedisTarget::Cluster(_) => "REDIS_CLUSTER_URLS",
        }
    }
}

/// A handle on the shared connection; cheap to clone.
#[derive(Clone)]
pub(super) enum Connection {
    Node(ConnectionManager),
    Cluster(Arc<ClusterHandle>),
}

impl Connection {
    /// Connects now, so that an unreachable Redis fails start-up rather than the first
    /// request.
    pub(super) async fn open(target: &RedisTarget) -> StoreResult<Self> {
        // The URLs may hold a password: errors never echo them.
        let invalid = |e: redis::RedisError| {
            StoreError::Unavailable(format!("{} is not a valid Redis URL ({:?})", target.setting(), e.kind()).into())
        };
        match target {
            RedisTarget::Node(url) => {
                let client = redis::Client::open(url.as_str()).map_err(invalid)?;
                let config = ConnectionManagerConfig::new()
                    .set_response_timeout(Some(RESPONSE_TIMEOUT))
                    .set_connection_timeout(Some(target.connection_timeout()))
                    .set_number_of_retries(CONNECTION_RETRIES);
                let manager = ConnectionManager::new_with_config(client, config).await.map_err(super::unavailable)?;
                Ok(Connection::Node(manager))
            }
            RedisTarget::Cluster(urls) => {
                let client = ClusterClientBuilder::new(urls.iter().map(String::as_str))
                    .connection_timeout(target.connection_timeout())
                    .response_timeout(RESPONSE_TIMEOUT)
                    .overall_response_timeout(Some(CLUSTER_OVERALL_TIMEOUT))
                    .retries(CLUSTER_RETRIES)
                    .min_retry_wait(CLUSTER_RETRY_WAIT_MS.0)
                    .max_retry_wait(CLUSTER_RETRY_WAIT_MS.1)
                    .build()
                    .map_err(invalid)?;
                let handle = ClusterHandle::connect(client).await.map_err(super::unavailable)?;
                Ok(Connection::Cluster(handle))
            }
        }
    }

    pub(super) fn is_cluster(&self) -> bool {
        matches!(self, Connection::Cluster(_))
    }

    /// `WAIT`, sent to the primary that holds `key` (in a cluster, the node of its
    /// slot): how many of its replicas hold every write made on this connection.
    pub(super) async fn wait_for_replicas(&mut self, key: &str, replicas: u32, timeout: Duration) -> RedisResult<u32> {
        let mut command = redis::cmd("WAIT");
        command.arg(replicas).arg(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX));
        self.query_primary_of(key, command).await
    }

    /// How many replicas the primary that holds `key` has connected now (`ROLE`:
    /// `["master", offset, [[host, port, offset], ...]]`).
    pub(super) async fn connected_replicas(&mut self, key: &str) -> RedisResult<u32> {
        let (_role, _offset, replicas): (String, i64, Vec<Value>) =
            self.query_primary_of(key, redis::cmd("ROLE")).await?;
        Ok(u32::try_from(replicas.len()).unwrap_or(u32::MAX))
    }

    /// `command`, which names no key, sent to the primary holding `key`.
    async fn query_primary_of<T: redis::FromRedisValue>(&mut self, key: &str, command: Cmd) -> RedisResult<T> {
        match self {
            Connection::Node(manager) => command.query_async(manager).await,
            Connection::Cluster(cluster) => {
                let primary = Route::with_key(key, SlotAddr::Master);
                let routing = RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(primary));
                let reply = cluster.route(command, routing).await?;
                Ok(redis::from_redis_value(reply)?)
            }
        }
    }
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Connection::Node(c) => c.req_packed_command(cmd),
            Connection::Cluster(c) => {
                let c = Arc::clone(c);
                Box::pin(async move { c.send(cmd).await })
            }
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Connection::Node(c) => c.req_packed_commands(pipeline, offset, count),
            Connection::Cluster(c) => {
                let c = Arc::clone(c);
                Box::pin(async move { c.send_pipeline(pipeline, offset, count).await })
            }
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Connection::Node(c) => c.get_db(),
            // A cluster has database 0 only.
            Connection::Cluster(_) => 0,
        }
    }
}
