//! An auth server on a chosen store, with its private Redis when it needs one: what
//! the store-dependent tests parametrise over.

use std::fmt;

use crate::{AuthOptions, AuthServer, OAuthClient, RedisServer};

/// Where the auth server keeps its state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Store {
    /// No `REDIS_URL`: the in-memory store, gone on restart.
    Embedded,
    /// A private `redis-server`.
    Redis,
}

impl fmt::Display for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Store::Embedded => "embedded",
            Store::Redis => "redis",
        })
    }
}

/// An auth server and, for [`Store::Redis`], the Redis it uses. The server is dropped
/// (killed) before its Redis.
pub struct AuthStack {
    pub auth: AuthServer,
    pub redis: Option<RedisServer>,
}

impl AuthStack {
    /// Starts the default bootstrap on `store`.
    pub async fn start(store: Store) -> Self {
        Self::start_with(store, |options| options).await
    }

    /// Starts on `store` with the options `configure` makes of the defaults.
    pub async fn start_with(store: Store, configure: impl FnOnce(AuthOptions) -> AuthOptions) -> Self {
        let redis = match store {
            Store::Embedded => None,
            Store::Redis => Some(RedisServer::start().await),
        };
        let options = match &redis {
            Some(redis) => AuthOptions::redis(redis),
            None => AuthOptions::embedded(),
        };
        let auth = AuthServer::start(configure(options)).await;
        AuthStack { auth, redis }
    }

    /// An OAuth client for this auth server.
    pub fn client(&self) -> OAuthClient {
        OAuthClient::new(self.auth.base_url())
    }

    pub fn base_url(&self) -> String {
        self.auth.base_url()
    }
}
