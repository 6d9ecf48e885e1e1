//! Listing users in pages: `SCAN` with `MATCH` over the user record keys
//! ([`keys::USER_PATTERN`]).
//!
//! There is deliberately no index of all users: one key naming every user would sit in
//! one hash slot, apart from the users' own slots, and no script could keep it in step
//! with a user record (the one-slot rule of multi-key scripts). `SCAN` gives what a
//! listing needs: every user present for the whole walk is returned at least once (a
//! rehash may return one twice); users created or deleted meanwhile may or may not be;
//! the order is unspecified.
//!
//! In a Redis Cluster each primary holds part of the keyspace, so a listing scans each
//! primary in turn, in the order of the lowest slot each holds. The cursor names the
//! primary by that slot, not by address, so that after a failover the replica that
//! took over the slot is the one asked. A `SCAN` cursor is only meaningful to the node
//! that made it: a listing that spans a failover may repeat or miss some users of that
//! primary, like a listing that spans a rehash.
//!
//! `SCAN`'s `COUNT` is a hint: a call may return a few more keys than asked. Keys found
//! beyond the page's `limit` are carried in the cursor and returned first on the next
//! page, so no page is larger than asked and nothing found is skipped.
//!
//! The cursor: `"<scan cursor>"`, then the carried keys, separated by spaces (an
//! escaped username holds none); a scan cursor of `0` means the scan is over. In a
//! cluster `"<slot>/<scan cursor>"`, where `0` is the start of that primary's scan and
//! `-` the end of the last one.

use redis::cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr};
use redis::Value;

use super::connection::Connection;
use super::{from_json, keys, unavailable, RedisStore};
use crate::store::{StoreError, StoreResult, UserPage, UserRecord};

/// `SCAN` calls one page makes at most: in a keyspace of many sessions and few users a
/// page may then hold fewer users than asked (even none), but its work stays bounded.
const MAX_SCANS_PER_PAGE: usize = 64;
/// The smallest `COUNT` asked of `SCAN`, so a small page does not take a call per bucket.
const MIN_SCAN_COUNT: usize = 16;

/// The number of hash slots of a Redis Cluster.
const SLOTS: u16 = 16_384;

/// Where a listing stands.
#[derive(Debug, PartialEq, Eq)]
struct Position {
    /// In a cluster, the primary being scanned, named by the lowest slot it held when
    /// its scan began.
    slot: Option<u16>,
    /// `None` once `SCAN` has handed back cursor 0.
    scan: Option<u64>,
    /// Keys found but not yet returned.
    carried: Vec<String>,
}

impl Position {
    fn start(cluster: bool) -> Self {
        Position { slot: cluster.then_some(0), scan: Some(0), carried: Vec::new() }
    }

    /// `None` for anything [`Self::encode`] could not have written (a cursor of the
    /// other topology included).
    fn parse(cursor: &str, cluster: bool) -> Option<Self> {
        let mut parts = cursor.split(' ');
        let head = parts.next()?;
        let (slot, scan) = match (head.split_once('/'), cluster) {
            // A primary's scan starts at 0 too: there, `-` marks the end.
            (Some((slot, scan)), true) => {
                let slot = slot.parse::<u16>().ok().filter(|slot| *slot < SLOTS)?;
                (Some(slot), if scan == "-" { None } else { Some(scan.parse::<u64>().ok()?) })
            }
            (None, false) => (None, Some(head.parse::<u64>().ok()?).filter(|scan| *scan != 0)),
            _ => return None,
        };
        let carried: Vec<String> = parts.map(str::to_owned).collect();
        if !carried.iter().all(|key| keys::is_user_key(key)) {
            return None;
        }
        Some(Position { slot, scan, carried })
    }

    /// `None` when the listing is over.
    fn encode(&self) -> Option<String> {
        if self.scan.is_none() && self.carried.is_empty() {
            return None;
        }
        let mut cursor = match (self.slot, self.scan) {
            (Some(slot), Some(scan)) => format!("{slot}/{scan}"),
            (Some(slot), None) => format!("{slot}/-"),
            (None, scan) => scan.unwrap_or(0).to_string(),
        };
        for key in &self.carried {
            cursor.push(' ');
            cursor.push_str(key);
        }
        Some(cursor)
    }
}

impl RedisStore {
    pub(super) async fn scan_users(&self, cursor: Option<&str>, limit: usize) -> StoreResult<Option<UserPage>> {
        let limit = limit.max(1);
        let mut connection = self.connection();
        let cluster = connection.is_cluster();
        let Some(mut position) = cursor.map_or(Some(Position::start(cluster)), |c| Position::parse(c, cluster)) else {
            return Ok(None);
        };
        let mut found = std::mem::take(&mut position.carried);
        let mut scans = 0;
        while let Some(scan) = position.scan.filter(|_| found.len() < limit && scans < MAX_SCANS_PER_PAGE) {
            let mut command = redis::cmd("SCAN");
            command
                .arg(scan)
                .arg("MATCH")
                .arg(keys::USER_PATTERN)
                .arg("COUNT")
                .arg((limit - found.len()).max(MIN_SCAN_COUNT))
                .arg("TYPE")
                .arg("string");
            let (next, keys): (u64, Vec<String>) = match (&mut connection, position.slot) {
                (Connection::Cluster(cluster), Some(slot)) => {
                    let routing = RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(Route::new(
                        slot,
                        SlotAddr::Master,
                    )));
                    let reply = cluster.route(command, routing).await.map_err(unavailable)?;
                    redis::from_redis_value(reply).map_err(|e| unavailable(e.into()))?
                }
                _ => command.query_async(&mut connection).await.map_err(unavailable)?,
            };
            found.extend(keys);
            position.scan = (next != 0).then_some(next);
            scans += 1;
            // This primary is done: on to the next one, so that a scan at its end
            // means the listing's end.
            if let (None, Some(slot)) = (position.scan, position.slot) {
                if let Some(next) = next_primary(&mut connection, slot).await? {
                    (position.slot, position.scan) = (Some(next), Some(0));
                }
            }
        }
        position.carried = found.split_off(found.len().min(limit));
        let users = self.read_users(&found).await?;
        Ok(Some(UserPage { users, next: position.encode() }))
    }

    /// The records under `keys`, in order; a key gone meanwhile (deleted) is skipped.
    async fn read_users(&self, keys: &[String]) -> StoreResult<Vec<UserRecord>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let reads = keys.iter().map(|key| redis::cmd("GET").arg(key).to_owned()).collect();
        let texts: Vec<Option<String>> = self.query_each(reads).await?;
        let mut users = Vec::with_capacity(texts.len());
        for text in texts {
            if let Some(user) = from_json::<UserRecord>("user record", text)? {
                users.push(user);
            }
        }
        Ok(users)
    }
}

/// The lowest slot of the primary after the one whose lowest slot is `current`, in
/// the order of their lowest slots; `None` after the last. From `CLUSTER SLOTS`:
/// `[[start, end, [host, port, node id, ...], replicas...], ...]`.
async fn next_primary(connection: &mut Connection, current: u16) -> StoreResult<Option<u16>> {
    let ranges: Vec<Value> = redis::cmd("CLUSTER").arg("SLOTS").query_async(connection).await.map_err(unavailable)?;
    let mut lowest_by_node: Vec<(String, u16)> = Vec::new();
    for range in ranges {
        let bad = || StoreError::Unavailable("CLUSTER SLOTS answered in an unexpected form".into());
        let Value::Array(range) = range else { return Err(bad()) };
        let (Some(start), Some(Value::Array(primary))) = (range.first(), range.get(2)) else { return Err(bad()) };
        let start: u16 = redis::from_redis_value_ref(start).map_err(|e| unavailable(e.into()))?;
        let node: String = primary
            .get(2)
            .map(redis::from_redis_value_ref)
            .transpose()
            .map_err(|e| unavailable(e.into()))?
            .ok_or_else(bad)?;
        match lowest_by_node.iter_mut().find(|(id, _)| *id == node) {
            Some((_, lowest)) => *lowest = (*lowest).min(start),
            None => lowest_by_node.push((node, start)),
        }
    }
    Ok(lowest_by_node.into_iter().map(|(_, lowest)| lowest).filter(|lowest| *lowest > current).min())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        for slot in [None, Some(0), Some(5461)] {
            let cluster = slot.is_some();
            for scan in [42, if cluster { 0 } else { 1 }] {
                let position = Position { slot, scan: Some(scan), carried: vec![keys::user("a b"), keys::user("c}")] };
                let cursor = position.encode().expect("not over");
                assert_eq!(Position::parse(&cursor, cluster), Some(position));
            }
            let scan_over = Position { slot, scan: None, carried: vec![keys::user("z")] };
            assert_eq!(Position::parse(&scan_over.encode().expect("not over"), cluster), Some(scan_over));
            assert_eq!(Position { slot, scan: None, carried: Vec::new() }.encode(), None);
        }
    }

    #[test]
    fn foreign_cursors_are_refused() {
        for cursor in ["", "x", "-1", "1 as:{s:abc}", "1 as:{u:a}:sessions", "1  as:{u:a}", "0/1"] {
            assert_eq!(Position::parse(cursor, false), None, "{cursor:?}");
        }
        for cursor in ["1", "x/1", "16384/1", "-1/1", "1/x", "1/1 as:{s:abc}"] {
            assert_eq!(Position::parse(cursor, true), None, "{cursor:?}");
        }
    }
}
