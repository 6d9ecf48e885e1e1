//! A private Redis Cluster per test: six `redis-server` nodes, three primaries each
//! followed by one replica, on free ports of 127.0.0.1 (a client port and a cluster
//! bus port each), each in its own temp dir, joined by `redis-cli --cluster create`.
//! Optionally every link is TLS: clients, the cluster bus and replication.
//!
//! ```text
//! RedisCluster::start()         6 × RedisServer::start_with(cluster node)
//!                               redis-cli --cluster create … --cluster-replicas 1
//!                               poll: every node says ok and knows all 16384 slots,
//!                               3 primaries each with a replica in sync, one view
//! kill_primary_of_key(key)      SIGKILL the primary serving the key's slot
//! wait_until_healthy()          poll: a replica promoted, every slot served by a
//!                               live primary nobody suspects, on every live node
//! Drop                          every node killed (each RedisServer's own drop)
//! ```
//!
//! Every wait is a poll with a deadline; a failure names what was last seen.

use std::collections::BTreeSet;
use std::io::ErrorKind;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;

use crate::cluster_health::{answered_by_a_replica, verdict, NodeReport, NODES};
use crate::cluster_view::{info_fields, parse_nodes, NodeEntry};
use crate::poll::poll_until_ok;
use crate::process::die_with_parent;
use crate::redis::{RedisOptions, RedisServer};
use crate::resp::{self, Connection, Endpoint, Reply};
use crate::tls::TlsFiles;

/// How long the nodes may take to agree on a formed cluster, and a replica to take
/// over from a killed primary (node timeout 1.5 s, then an election): generous, for
/// a loaded machine.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long one `redis-cli` run may take.
const CLI_TIMEOUT: Duration = Duration::from_secs(60);
/// Between two looks at a cluster that has not settled yet.
const PAUSE: Duration = Duration::from_millis(100);

/// A running cluster; every node is killed on drop.
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
    /// Ports of the nodes killed by [`Self::kill_primary_of_key`]; they stay down.
    killed: BTreeSet<u16>,
    tls: Option<Arc<TlsFiles>>,
}

impl RedisCluster {
    /// Starts a 3-primary, 3-replica cluster and waits until it is formed. Panics,
    /// saying what is missing, if `redis-server` or `redis-cli` is not installed.
    pub async fn start() -> Self {
        Self::start_with(None).await
    }

    /// Like [`Self::start`], every node speaking TLS only with the certificate of
    /// `tls`, to clients and to each other.
    pub async fn start_tls(tls: &Arc<TlsFiles>) -> Self {
        Self::start_with(Some(Arc::clone(tls))).await
    }

    async fn start_with(tls: Option<Arc<TlsFiles>>) -> Self {
        let mut options = RedisOptions::default().cluster_node();
        if let Some(tls) = &tls {
            options = options.tls(tls);
        }
        let nodes = join_all((0..NODES).map(|_| RedisServer::start_with(options.clone()))).await;
        let cluster = RedisCluster { nodes, killed: BTreeSet::new(), tls };
        let mut create = vec!["--cluster".to_owned(), "create".to_owned()];
        create.extend(cluster.nodes.iter().map(|node| format!("127.0.0.1:{}", node.port())));
        create.extend(["--cluster-replicas", "1", "--cluster-yes"].map(str::to_owned));
        let created = cluster.run_cli(cluster.nodes[0].port(), &create).await;
        if let Err(why) = poll_until_ok(SETTLE_TIMEOUT, || cluster.settled(true)).await {
            let within = format!("within {SETTLE_TIMEOUT:?}");
            panic!("the cluster did not form {within}: {why}\nredis-cli --cluster create said:\n{created}");
        }
        cluster
    }

    /// The URL of every node started, `redis://` or `rediss://`: what a client is
    /// given to discover the cluster.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(RedisServer::url).collect()
    }

    /// The client port of every node started, killed ones included.
    pub fn ports(&self) -> Vec<u16> {
        self.nodes.iter().map(RedisServer::port).collect()
    }

    /// The certificate files, when the cluster speaks TLS.
    pub fn tls(&self) -> Option<&Arc<TlsFiles>> {
        self.tls.as_ref()
    }

    /// The nodes not killed.
    fn live(&self) -> impl Iterator<Item = &RedisServer> {
        self.nodes.iter().filter(|node| !self.killed.contains(&node.port()))
    }

    /// A live node, to ask about the cluster.
    fn any_live(&self) -> &RedisServer {
        self.live().next().expect("a live node")
    }

    /// How the harness reaches the node on `port`.
    pub fn endpoint(&self, port: u16) -> &Endpoint {
        let node = self.nodes.iter().find(|node| node.port() == port).unwrap_or_else(|| panic!("no node on {port}"));
        node.endpoint()
    }

    /// Runs one command on the node on `port` (no redirection) and returns the reply.
    pub async fn command_on(&self, port: u16, args: &[&str]) -> Reply {
        resp::command(self.endpoint(port), args).await.unwrap_or_else(|e| panic!("redis {args:?} on port {port}: {e}"))
    }

    /// The slot of `key`, as the cluster computes it (`CLUSTER KEYSLOT`).
    pub async fn slot_of(&self, key: &str) -> u16 {
        match self.command_on(self.any_live().port(), &["CLUSTER", "KEYSLOT", key]).await {
            Reply::Integer(slot) => u16::try_from(slot).expect("a slot fits u16"),
            other => panic!("CLUSTER KEYSLOT {key}: {other:?}"),
        }
    }

    /// The cluster as a live node sees it.
    async fn view(&self) -> Vec<NodeEntry> {
        let port = self.any_live().port();
        let text = self.command_on(port, &["CLUSTER", "NODES"]).await.expect_text("CLUSTER NODES");
        parse_nodes(&text).unwrap_or_else(|why| panic!("{why}"))
    }

    /// The ports of the primaries serving slots, in slot order.
    pub async fn primaries(&self) -> Vec<u16> {
        let mut primaries: Vec<(u16, u16)> = self
            .view()
            .await
            .iter()
            .filter(|node| node.is_primary() && !node.is_failing() && node.slot_count() > 0)
            .map(|node| (*node.slots[0].start(), node.port))
            .collect();
        primaries.sort_unstable();
        primaries.into_iter().map(|(_, port)| port).collect()
    }

    /// The port of the primary serving `key`'s slot.
    pub async fn primary_of_key(&self, key: &str) -> u16 {
        let slot = self.slot_of(key).await;
        let view = self.view().await;
        let owner = view.iter().find(|node| node.is_primary() && node.slots.iter().any(|range| range.contains(&slot)));
        owner.unwrap_or_else(|| panic!("no primary serves slot {slot} of {key}: {view:?}")).port
    }

    /// The port of a replica following the primary on `primary_port`.
    pub async fn replica_of(&self, primary_port: u16) -> u16 {
        let view = self.view().await;
        let primary = view.iter().find(|node| node.port == primary_port).expect("the primary is known");
        let replica = view.iter().find(|node| node.is_replica() && node.primary_id.as_ref() == Some(&primary.id));
        replica.unwrap_or_else(|| panic!("no replica follows {primary_port}: {view:?}")).port
    }

    /// Kills (SIGKILL) the primary serving `key`'s slot and returns its port. The node
    /// stays down; [`Self::wait_until_healthy`] waits for its replica to take over.
    pub async fn kill_primary_of_key(&mut self, key: &str) -> u16 {
        let port = self.primary_of_key(key).await;
        let node = self.nodes.iter_mut().find(|node| node.port() == port).expect("the primary is one of ours");
        node.kill();
        self.killed.insert(port);
        port
    }

    /// Waits until every live node says the cluster is ok and that each slot is served
    /// by a live primary that no node suspects: after a kill, a replica has been
    /// promoted. Panics with what was last seen after the deadline.
    pub async fn wait_until_healthy(&self) {
        if let Err(why) = poll_until_ok(SETTLE_TIMEOUT, || self.settled(false)).await {
            panic!("the cluster was not healthy within {SETTLE_TIMEOUT:?}: {why}");
        }
    }

    /// Runs `redis-cli -c` (following redirections) with `args` against a live node
    /// and returns its output, trimmed. Panics if it fails.
    pub async fn cli(&self, args: &[&str]) -> String {
        self.cli_on(self.any_live().port(), args).await
    }

    /// Like [`Self::cli`], starting at the node on `port`.
    pub async fn cli_on(&self, port: u16, args: &[&str]) -> String {
        let mut all = vec!["-c".to_owned()];
        all.extend(args.iter().map(|arg| (*arg).to_owned()));
        self.run_cli(port, &all).await.trim().to_owned()
    }

    /// Runs `redis-cli` against the node on `port` (over TLS if the cluster speaks
    /// it); its stdout, or a panic with everything it printed.
    async fn run_cli(&self, port: u16, args: &[String]) -> String {
        let mut command = std::process::Command::new("redis-cli");
        command.args(["-h", "127.0.0.1", "-p", &port.to_string()]);
        if let Some(tls) = &self.tls {
            command.arg("--tls").arg("--cacert").arg(tls.ca_file());
        }
        command.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        die_with_parent(&mut command);
        let mut command = tokio::process::Command::from(command);
        command.kill_on_drop(true);
        let child = match command.spawn() {
            Ok(child) => child,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                panic!("redis-cli not found: install it (apt-get install -y redis-tools)")
            }
            Err(e) => panic!("cannot start redis-cli: {e}"),
        };
        let output = tokio::time::timeout(CLI_TIMEOUT, child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("redis-cli {args:?} did not finish within {CLI_TIMEOUT:?}"))
            .unwrap_or_else(|e| panic!("redis-cli {args:?}: {e}"));
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "redis-cli {args:?} failed ({}):\n{stdout}{stderr}", output.status);
        // redis-cli exits 0 on an error reply to a command; it prints `ERR ...` then.
        assert!(!stdout.starts_with("ERR") && !stdout.contains("\nERR"), "redis-cli {args:?}:\n{stdout}{stderr}");
        stdout
    }

    /// `Ok` once the cluster has settled (`cluster_health`), otherwise why not; with
    /// `replicas`, every primary must have a replica in sync.
    async fn settled(&self, replicas: bool) -> Result<(), String> {
        let outcome = self.check(replicas).await;
        if outcome.is_err() {
            tokio::time::sleep(PAUSE).await;
        }
        outcome
    }

    async fn check(&self, replicas: bool) -> Result<(), String> {
        let live: BTreeSet<u16> = self.live().map(RedisServer::port).collect();
        let mut reports = Vec::new();
        for node in self.live() {
            reports.push(report(node, replicas).await?);
        }
        verdict(&reports, &live, replicas)
    }
}

/// What `node` says about the cluster; a replica's replication link only if asked.
async fn report(node: &RedisServer, replicas: bool) -> Result<NodeReport, String> {
    let port = node.port();
    let mut connection = Connection::connect(node.endpoint()).await.map_err(|e| format!("node {port}: {e}"))?;
    let mut ask = async |args: &[&str]| {
        let reply = connection.command(args).await.map_err(|e| format!("{args:?} on {port}: {e}"))?;
        reply.text().ok_or_else(|| format!("{args:?} on {port}: {reply:?}"))
    };
    let info = info_fields(&ask(&["CLUSTER", "INFO"]).await?);
    let view = parse_nodes(&ask(&["CLUSTER", "NODES"]).await?)?;
    let link = match replicas && answered_by_a_replica(&view) {
        true => info_fields(&ask(&["INFO", "replication"]).await?).remove("master_link_status"),
        false => None,
    };
    Ok(NodeReport { port, info, view, link })
}
