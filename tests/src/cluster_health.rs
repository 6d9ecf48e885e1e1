//! Whether a Redis Cluster has settled, judged from what each live node says: its
//! `CLUSTER INFO`, its `CLUSTER NODES` and, for a replica, whether its replication
//! link is up. The cluster has settled when every live node
//!
//! - says `cluster_state:ok` with all 16384 slots ok,
//! - sees every slot served by a live primary that it does not suspect,
//! - agrees with the others on who serves which slots,
//!
//! and, when replicas are required (a freshly formed cluster), when it knows all six
//! nodes, three of them primaries each followed by a replica, and every replica's
//! link to its primary is up.

use std::collections::{BTreeSet, HashMap};

use crate::cluster_view::NodeEntry;
use crate::key_slot::SLOTS;

/// A cluster of this many primaries, each with one replica.
pub const PRIMARIES: usize = 3;
pub const NODES: usize = 2 * PRIMARIES;

/// What one live node said.
pub struct NodeReport {
    pub port: u16,
    /// The fields of `CLUSTER INFO`.
    pub info: HashMap<String, String>,
    /// `CLUSTER NODES`.
    pub view: Vec<NodeEntry>,
    /// `master_link_status` of `INFO replication`, asked of replicas only.
    pub link: Option<String>,
}

/// Whether the node that answered `view` is a replica, by its own account.
pub fn answered_by_a_replica(view: &[NodeEntry]) -> bool {
    view.iter().any(|entry| entry.is_myself() && entry.is_replica())
}

/// `Ok` when the reports of every live node (on `live`) show a settled cluster;
/// otherwise the first reason why not.
pub fn verdict(reports: &[NodeReport], live: &BTreeSet<u16>, replicas: bool) -> Result<(), String> {
    let mut agreed: Option<(u16, Vec<(u16, u16)>)> = None;
    for report in reports {
        let port = report.port;
        let field = |name: &str| report.info.get(name).map_or("?", String::as_str).to_owned();
        let all_slots = SLOTS.to_string();
        if field("cluster_state") != "ok" || field("cluster_slots_ok") != all_slots {
            return Err(format!(
                "node {port}: cluster_state {}, {} of {all_slots} slots ok",
                field("cluster_state"),
                field("cluster_slots_ok")
            ));
        }
        for entry in report.view.iter().filter(|entry| entry.slot_count() > 0) {
            if !live.contains(&entry.port) || entry.is_failing() {
                return Err(format!("node {port} sees slots served by {}, which is down", entry.port));
            }
        }
        let serving = serving(&report.view);
        match &agreed {
            None => agreed = Some((port, serving)),
            Some((first, theirs)) if *theirs != serving => {
                return Err(format!("node {port} sees slots served as {serving:?}, node {first} as {theirs:?}"));
            }
            Some(_) => {}
        }
        if replicas {
            replicated(report)?;
        }
    }
    Ok(())
}

/// Every primary followed by a replica, and this node, if a replica, linked up.
fn replicated(report: &NodeReport) -> Result<(), String> {
    let (port, view) = (report.port, &report.view);
    let primaries: Vec<&NodeEntry> = view.iter().filter(|entry| entry.slot_count() > 0).collect();
    if view.len() != NODES || primaries.len() != PRIMARIES {
        return Err(format!("node {port} knows {} nodes, {} of them primaries", view.len(), primaries.len()));
    }
    for primary in primaries {
        let followed = view
            .iter()
            .any(|entry| entry.is_replica() && entry.primary_id.as_ref() == Some(&primary.id) && !entry.is_failing());
        if !followed {
            return Err(format!("node {port} sees no replica of {}", primary.port));
        }
    }
    if answered_by_a_replica(view) && report.link.as_deref() != Some("up") {
        return Err(format!("replica {port}: master_link_status {:?}", report.link));
    }
    Ok(())
}

/// Who serves what: `(first slot, port)` of every slot range, in slot order.
fn serving(view: &[NodeEntry]) -> Vec<(u16, u16)> {
    let mut ranges: Vec<(u16, u16)> =
        view.iter().flat_map(|entry| entry.slots.iter().map(|range| (*range.start(), entry.port))).collect();
    ranges.sort_unstable();
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster_view::{info_fields, parse_nodes};

    /// Primaries on 1, 2, 3 (slot ranges as `redis-cli --cluster create` makes them),
    /// replicas on 4, 5, 6; `me` marked `myself`, `flags` added to port `on`.
    fn view(me: u16, on: u16, flags: &str) -> Vec<NodeEntry> {
        let lines = [
            "a 127.0.0.1:1@11 master - 0 0 1 connected 0-5460",
            "b 127.0.0.1:2@12 master - 0 0 2 connected 5461-10922",
            "c 127.0.0.1:3@13 master - 0 0 3 connected 10923-16383",
            "d 127.0.0.1:4@14 slave a 0 0 1 connected",
            "e 127.0.0.1:5@15 slave b 0 0 2 connected",
            "f 127.0.0.1:6@16 slave c 0 0 3 connected",
        ];
        let text: Vec<String> = lines
            .iter()
            .map(|line| {
                let port: u16 = line[12..13].parse().unwrap();
                let mut fields: Vec<String> = line.split(' ').map(str::to_owned).collect();
                if port == me {
                    fields[2] = format!("myself,{}", fields[2]);
                }
                if port == on && !flags.is_empty() {
                    fields[2] = format!("{},{flags}", fields[2]);
                }
                fields.join(" ")
            })
            .collect();
        parse_nodes(&text.join("\n")).unwrap()
    }

    fn report(port: u16, view: Vec<NodeEntry>) -> NodeReport {
        let info = info_fields("cluster_state:ok\ncluster_slots_ok:16384\n");
        let link = answered_by_a_replica(&view).then(|| "up".to_owned());
        NodeReport { port, info, view, link }
    }

    fn all_live() -> BTreeSet<u16> {
        (1..=6).collect()
    }

    #[test]
    fn a_formed_cluster_has_settled() {
        let reports: Vec<NodeReport> = (1..=6).map(|port| report(port, view(port, 0, ""))).collect();
        assert_eq!(verdict(&reports, &all_live(), true), Ok(()));
    }

    #[test]
    fn a_dead_or_suspected_primary_or_a_disagreement_has_not() {
        let mut live = all_live();
        live.remove(&2);
        let reports: Vec<NodeReport> = [1, 3].map(|port| report(port, view(port, 0, ""))).into();
        let why = verdict(&reports, &live, false).unwrap_err();
        assert!(why.contains("served by 2"), "{why}");

        let suspected = [report(1, view(1, 3, "fail?"))];
        assert!(verdict(&suspected, &all_live(), false).unwrap_err().contains("served by 3"));

        let mut moved = view(2, 0, "");
        moved[0].slots.clear();
        moved[3].slots = vec![0..=5460];
        let disagreeing = [report(1, view(1, 0, "")), report(2, moved)];
        assert!(verdict(&disagreeing, &all_live(), false).unwrap_err().contains("node 1 as"));

        let mut not_ok = report(1, view(1, 0, ""));
        not_ok.info.insert("cluster_state".into(), "fail".into());
        assert!(verdict(&[not_ok], &all_live(), false).unwrap_err().contains("cluster_state fail"));
    }

    #[test]
    fn replicas_must_follow_every_primary_and_be_linked_up() {
        let mut orphan = view(1, 0, "");
        orphan[3].primary_id = Some("b".into());
        let why = verdict(&[report(1, orphan)], &all_live(), true).unwrap_err();
        assert!(why.contains("no replica of 1"), "{why}");

        let mut syncing = report(4, view(4, 0, ""));
        syncing.link = Some("down".into());
        assert!(verdict(&[syncing], &all_live(), true).unwrap_err().contains("master_link_status"));
        let mut syncing = report(4, view(4, 0, ""));
        syncing.link = Some("down".into());
        assert_eq!(verdict(&[syncing], &all_live(), false), Ok(()), "not asked after a failover");
    }
}
