//! End-to-end harness: runs the real `auth-server` and `resource-server` binaries and a
//! private `redis-server` as child processes, each on a free port of 127.0.0.1 with its
//! own temp dir and captured log, and talks to them over HTTP like any OAuth client.
//!
//! ```text
//! binaries::path("auth-server")   the workspace built once per test process
//! RedisServer::start()            free port, temp dir, PING until it answers
//! RedisServer::start_tls(&tls)    the same on a TLS port, its certificate from TlsFiles
//! RedisCluster::start()           3 primaries + 3 replicas, formed and settled
//! RedisMonitor::start(&redis)     every command the server runs, for slot checks
//! AuthServer::start(options)      bootstrap TOML, env, "listening on http://ADDR", /readyz
//! ResourceServer::start(options)  the same for the resource server
//! OAuthClient                     token requests (RFC 6749 §4.3, §4.4, §6)
//! Jwks                            metadata -> jwks_uri -> verify an RS256 JWS by `kid`
//! PortalServer::start(options)    the web-portal binary, the same way
//! ReportsJob::start(options)      the reports-job binary: runs, exits, a summary line
//! ChromeDriver::start()           chromedriver on a free port, for browser tests
//! ApiClient, Fleet                the demo API of one or several resource servers
//! AdminClient                     the admin API with an `ops` token
//! attacks::attack_tokens          RFC 8725 forgeries built from a genuine token
//! Relay                           a TCP relay to route, balance, cut, delay or hold links
//! faults::StackProcess            kill, terminate, pause, resume, restart any process
//! heavy::exclusive / heavy::shared keeps the heaviest tests from overlapping
//! ```
//!
//! Every wait has a deadline and ends with the log of whatever did not come up.

// The harness exists to fail tests: a set-up step that cannot succeed panics with
// what went wrong.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod admin;
pub mod api;
pub mod attacks;
pub mod auth;
pub mod binaries;
pub mod bootstrap;
pub mod challenge;
pub mod chromedriver;
pub mod client;
pub mod cluster_health;
pub mod cluster_view;
pub mod faults;
pub mod fleet;
pub mod heavy;
pub mod jwks;
pub mod key_slot;
mod managed;
pub mod poll;
pub mod portal;
pub mod ports;
mod process;
pub mod redis;
pub mod redis_cluster;
pub mod redis_monitor;
pub mod relay;
pub mod reports_job;
pub mod resource;
pub mod resp;
pub mod stack;
pub mod store_contract;
pub mod tls;

pub use admin::AdminClient;
pub use api::{ApiClient, Credentials};
pub use auth::{AuthOptions, AuthServer};
pub use challenge::Challenge;
pub use client::{ClientAuth, OAuthClient, Reply};
pub use fleet::Fleet;
pub use jwks::{Jwks, VerifiedJws};
pub use poll::poll_until;
pub use portal::{port_was_taken, PortalOptions, PortalServer};
pub use redis::{RedisOptions, RedisServer};
pub use redis_cluster::RedisCluster;
pub use redis_monitor::RedisMonitor;
pub use relay::{Direction, Relay};
pub use reports_job::{ReportsJob, ReportsJobOptions};
pub use resource::{ResourceOptions, ResourceServer, Verify};
pub use stack::{ApiStack, AuthStack, Store};
pub use tls::TlsFiles;
