//! What one node of a Redis Cluster says about the cluster: the `field:value` lines of
//! `CLUSTER INFO` (and `INFO`), and the table of `CLUSTER NODES`, one line per node:
//!
//! ```text
//! <id> <ip:port@bus-port[,hostname]> <flags> <primary id or -> <ping-sent> <pong-recv>
//!     <config-epoch> <link-state> <slot or first-last> ...
//! ```
//!
//! Slots being moved (`[slot->-id]`, `[slot-<-id]`) are not owned yet and are left out.

use std::collections::HashMap;
use std::ops::RangeInclusive;

/// The `field:value` lines of an `INFO`-style reply; other lines are skipped.
pub fn info_fields(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|line| line.trim().split_once(':'))
        .map(|(field, value)| (field.to_owned(), value.to_owned()))
        .collect()
}

/// One node as the answering node sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeEntry {
    pub id: String,
    pub port: u16,
    /// `myself`, `master`, `slave`, `fail?`, `fail`, `handshake`, `noaddr`, ...
    pub flags: Vec<String>,
    /// The primary a replica follows.
    pub primary_id: Option<String>,
    /// Whether the answering node's bus link to it is up.
    pub connected: bool,
    pub slots: Vec<RangeInclusive<u16>>,
}

impl NodeEntry {
    pub fn is_primary(&self) -> bool {
        self.has_flag("master")
    }

    pub fn is_replica(&self) -> bool {
        self.has_flag("slave")
    }

    /// Suspected (`fail?`) or agreed (`fail`) to have failed.
    pub fn is_failing(&self) -> bool {
        self.has_flag("fail") || self.has_flag("fail?")
    }

    pub fn is_myself(&self) -> bool {
        self.has_flag("myself")
    }

    fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }

    /// How many slots it serves.
    pub fn slot_count(&self) -> usize {
        self.slots.iter().map(|range| range.clone().count()).sum()
    }
}

/// Parses a `CLUSTER NODES` reply.
pub fn parse_nodes(text: &str) -> Result<Vec<NodeEntry>, String> {
    text.lines().filter(|line| !line.trim().is_empty()).map(parse_node).collect()
}

fn parse_node(line: &str) -> Result<NodeEntry, String> {
    let bad = |what: &str| format!("{what} in the CLUSTER NODES line {line:?}");
    let fields: Vec<&str> = line.split_whitespace().collect();
    if fields.len() < 8 {
        return Err(bad("too few fields"));
    }
    // `ip:port@bus-port[,hostname]`
    let address = fields[1].split(['@', ',']).next().unwrap_or_default();
    let port = address.rsplit_once(':').and_then(|(_, port)| port.parse().ok()).ok_or_else(|| bad("no port"))?;
    let slots = fields[8..]
        .iter()
        .filter(|slot| !slot.starts_with('['))
        .map(|slot| {
            let (first, last) = slot.split_once('-').unwrap_or((slot, slot));
            match (first.parse(), last.parse()) {
                (Ok(first), Ok(last)) => Ok(first..=last),
                _ => Err(bad("a bad slot")),
            }
        })
        .collect::<Result<_, _>>()?;
    Ok(NodeEntry {
        id: fields[0].to_owned(),
        port,
        flags: fields[2].split(',').map(str::to_owned).collect(),
        primary_id: (fields[3] != "-").then(|| fields[3].to_owned()),
        connected: fields[7] == "connected",
        slots,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NODES: &str = "\
fbc87dc1 127.0.0.1:24104@25204 slave 5cb7fcd5 0 1796465725577 4 connected
5cb7fcd5 127.0.0.1:24101@25201 myself,master - 0 1796465725000 1 connected 0-5460 [5461->-54d70fa9]
54d70fa9 127.0.0.1:24102@25202,node-b master,fail - 1796465725 1796465725577 2 disconnected 5461-10921 10922
";

    #[test]
    fn reads_roles_links_and_slots() {
        let nodes = parse_nodes(NODES).unwrap();
        assert_eq!(nodes.len(), 3);
        let replica = &nodes[0];
        assert!(replica.is_replica() && !replica.is_primary());
        assert_eq!((replica.port, replica.primary_id.as_deref(), replica.slot_count()), (24104, Some("5cb7fcd5"), 0));
        let me = &nodes[1];
        assert!(me.is_myself() && me.is_primary() && me.connected && !me.is_failing());
        assert_eq!(me.slots, [0..=5460], "a slot being migrated is not listed");
        let failed = &nodes[2];
        assert_eq!(failed.port, 24102);
        assert!(failed.is_failing() && !failed.connected);
        assert_eq!(failed.slot_count(), 5462);
    }

    #[test]
    fn reads_info_fields() {
        let fields = info_fields("# Cluster\r\ncluster_state:ok\r\ncluster_slots_ok:16384\r\n");
        assert_eq!(fields["cluster_state"], "ok");
        assert_eq!(fields["cluster_slots_ok"], "16384");
    }

    #[test]
    fn refuses_a_truncated_line() {
        assert!(parse_nodes("abc 127.0.0.1:1@2 master").is_err());
    }
}
