//! An auth server on a chosen store, with its private Redis when it needs one: what
//! the store-dependent tests parametrise over. Started relayed, it stands behind a
//! [`Relay`] whose URL is the issuer and what clients use, so it can be restarted on a
//! new port without the issuer changing or another process taking its address.

use std::fmt;
use std::sync::Arc;

use crate::{
    ApiClient, AuthOptions, AuthServer, OAuthClient, RedisCluster, RedisServer, Relay, ResourceOptions, ResourceServer,
    TlsFiles, Verify,
};

/// Where the auth server keeps its state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Store {
    /// No `REDIS_URL`: the in-memory store, gone on restart.
    Embedded,
    /// A private `redis-server`.
    Redis,
    /// A private `redis-server` on a TLS port only (`rediss://`), its certificate
    /// signed by a CA made for the test, which the auth server is told to trust.
    RedisTls,
    /// A private Redis Cluster (`REDIS_CLUSTER_URLS`): three primaries, three replicas.
    RedisCluster,
    /// The same cluster, every link TLS.
    RedisClusterTls,
}

impl fmt::Display for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Store::Embedded => "embedded",
            Store::Redis => "redis",
            Store::RedisTls => "redis-tls",
            Store::RedisCluster => "redis-cluster",
            Store::RedisClusterTls => "redis-cluster-tls",
        })
    }
}

/// An auth server and the Redis or Redis Cluster it uses, if any. The server is
/// dropped (killed) before its Redis.
pub struct AuthStack {
    pub auth: AuthServer,
    /// The Redis of [`Store::Redis`] and [`Store::RedisTls`].
    pub redis: Option<RedisServer>,
    /// The cluster of [`Store::RedisCluster`] and [`Store::RedisClusterTls`].
    pub cluster: Option<RedisCluster>,
    /// What `auth` was started with: replicas start from the same.
    options: AuthOptions,
    /// In front of `auth` when started with [`Self::start_relayed`]: its URL is the
    /// issuer and the base URL of [`Self::client`].
    relay: Option<Relay>,
}

impl AuthStack {
    /// Starts the default bootstrap on `store`.
    pub async fn start(store: Store) -> Self {
        Self::start_with(store, |options| options).await
    }

    /// Starts on `store` with the options `configure` makes of the defaults.
    pub async fn start_with(store: Store, configure: impl FnOnce(AuthOptions) -> AuthOptions) -> Self {
        Self::start_inner(store, configure, None).await
    }

    /// Like [`Self::start_with`], behind a [`Relay`] whose URL is the issuer
    /// (`AUTH_ISSUER`) and [`Self::base_url`]: [`Self::restart_auth`] then restarts the
    /// server on a new port and re-routes, so nothing can take the issuer's address.
    pub async fn start_relayed(store: Store, configure: impl FnOnce(AuthOptions) -> AuthOptions) -> Self {
        let relay = Relay::start().await;
        Self::start_inner(store, configure, Some(relay)).await
    }

    async fn start_inner(
        store: Store,
        configure: impl FnOnce(AuthOptions) -> AuthOptions,
        relay: Option<Relay>,
    ) -> Self {
        let (redis, cluster) = match store {
            Store::Embedded => (None, None),
            Store::Redis => (Some(RedisServer::start().await), None),
            Store::RedisTls => (Some(RedisServer::start_tls(&Arc::new(TlsFiles::generate())).await), None),
            Store::RedisCluster => (None, Some(RedisCluster::start().await)),
            Store::RedisClusterTls => (None, Some(RedisCluster::start_tls(&Arc::new(TlsFiles::generate())).await)),
        };
        let options = match (&redis, &cluster) {
            (Some(redis), _) => AuthOptions::redis(redis),
            (None, Some(cluster)) => AuthOptions::redis_cluster(cluster),
            (None, None) => AuthOptions::embedded(),
        };
        let mut options = configure(options);
        if let Some(relay) = &relay {
            options = options.env("AUTH_ISSUER", relay.url());
        }
        let auth = AuthServer::start(options.clone()).await;
        if let Some(relay) = &relay {
            relay.route_to(auth.addr());
        }
        AuthStack { auth, redis, cluster, options, relay }
    }

    /// Restarts the auth server with the same settings and store. Relayed: on a new
    /// port, the relay then routing to it; otherwise on the same address (which fails,
    /// saying so, if another process took it meanwhile).
    pub async fn restart_auth(&mut self) {
        match &self.relay {
            Some(relay) => {
                self.auth.restart_on_new_port().await;
                relay.route_to(self.auth.addr());
            }
            None => self.auth.restart().await,
        }
    }

    /// Stops the auth server; relayed, the relay also closes every connection and
    /// refuses new ones until [`Self::restart_auth`].
    pub fn stop_auth(&mut self) {
        self.auth.stop();
        if let Some(relay) = &self.relay {
            relay.cut();
        }
    }

    /// Another auth-server process with the same settings, store (and key-encryption
    /// key) and issuer as `auth`, on its own port: a replica behind one Redis (or
    /// cluster). Only meaningful on a Redis store; `configure` may change settings on top.
    pub async fn start_replica(&self, configure: impl FnOnce(AuthOptions) -> AuthOptions) -> AuthServer {
        assert!(self.redis.is_some() || self.cluster.is_some(), "replicas share a Redis store");
        let options = self.options.clone().env("AUTH_ISSUER", self.issuer());
        AuthServer::start(configure(options)).await
    }

    /// The issuer of the tokens: `AUTH_ISSUER` if set, else the server's own URL.
    pub fn issuer(&self) -> String {
        self.options.setting("AUTH_ISSUER").unwrap_or_else(|| self.auth.base_url())
    }

    /// An OAuth client for this auth server (through the relay, if relayed).
    pub fn client(&self) -> OAuthClient {
        OAuthClient::new(self.base_url())
    }

    /// The auth server's operational endpoints (`/metrics`); never relayed.
    pub fn ops_url(&self) -> String {
        self.auth.ops_url()
    }

    /// Where clients and resource servers reach the auth server: the relay's URL if
    /// relayed, else the server's own.
    pub fn base_url(&self) -> String {
        match &self.relay {
            Some(relay) => relay.url(),
            None => self.auth.base_url(),
        }
    }
}

/// An auth server and one resource server following it: the design's two diagrams,
/// one per [`Verify`] mode.
pub struct ApiStack {
    /// Dropped first: the resource server stops before its auth server.
    pub resource: ResourceServer,
    pub stack: AuthStack,
    /// The auth server's client (token endpoint, revocation).
    pub client: OAuthClient,
    /// The resource server's demo API.
    pub api: ApiClient,
}

impl ApiStack {
    /// The default bootstrap on the embedded store and a resource server in `verify` mode.
    pub async fn start(verify: Verify) -> Self {
        Self::start_with(Store::Embedded, verify, |options| options).await
    }

    /// An auth server on `store` configured by `configure`, and a resource server in
    /// `verify` mode following it.
    pub async fn start_with(store: Store, verify: Verify, configure: impl FnOnce(AuthOptions) -> AuthOptions) -> Self {
        let stack = AuthStack::start_with(store, configure).await;
        let resource = ResourceServer::start(ResourceOptions::new(stack.base_url()).verify(verify)).await;
        let client = stack.client();
        let api = resource.api();
        ApiStack { resource, stack, client, api }
    }
}
