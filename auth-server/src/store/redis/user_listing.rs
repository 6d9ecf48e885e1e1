//! Listing users in pages: `SCAN` with `MATCH` over the user record keys
//! ([`keys::USER_PATTERN`]).
//!
//! There is deliberately no index of all users: one key naming every user would sit in
//! one hash slot, apart from the users' own slots, and no script could keep it in step
//! with a user record (the one-slot rule of multi-key scripts). `SCAN` gives what a
//! listing needs: every user present for the whole walk is returned at least once (a
//! rehash may return one twice); users created or deleted meanwhile may or may not be;
//! the order is unspecified. In a Redis Cluster each primary holds part of the
//! keyspace, so a listing would scan each primary in turn.
//!
//! `SCAN`'s `COUNT` is a hint: a call may return a few more keys than asked. Keys found
//! beyond the page's `limit` are carried in the cursor and returned first on the next
//! page, so no page is larger than asked and nothing found is skipped.
//!
//! The cursor: `"<scan cursor>"`, then the carried keys, separated by spaces (an
//! escaped username holds none). A scan cursor of `0` means the scan is over.

use super::{from_json, keys, unavailable, RedisStore};
use crate::store::{StoreResult, UserPage, UserRecord};

/// `SCAN` calls one page makes at most: in a keyspace of many sessions and few users a
/// page may then hold fewer users than asked (even none), but its work stays bounded.
const MAX_SCANS_PER_PAGE: usize = 64;
/// The smallest `COUNT` asked of `SCAN`, so a small page does not take a call per bucket.
const MIN_SCAN_COUNT: usize = 16;

/// Where a listing stands.
#[derive(Debug, PartialEq, Eq)]
struct Position {
    /// `None` once `SCAN` has handed back cursor 0.
    scan: Option<u64>,
    /// Keys found but not yet returned.
    carried: Vec<String>,
}

impl Position {
    fn start() -> Self {
        Position { scan: Some(0), carried: Vec::new() }
    }

    /// `None` for anything [`Self::encode`] could not have written.
    fn parse(cursor: &str) -> Option<Self> {
        let mut parts = cursor.split(' ');
        let scan: u64 = parts.next()?.parse().ok()?;
        let carried: Vec<String> = parts.map(str::to_owned).collect();
        if !carried.iter().all(|key| keys::is_user_key(key)) {
            return None;
        }
        Some(Position { scan: (scan != 0).then_some(scan), carried })
    }

    /// `None` when the listing is over.
    fn encode(&self) -> Option<String> {
        if self.scan.is_none() && self.carried.is_empty() {
            return None;
        }
        let mut cursor = self.scan.unwrap_or(0).to_string();
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
        let Some(mut position) = cursor.map_or(Some(Position::start()), Position::parse) else {
            return Ok(None);
        };
        let mut found = std::mem::take(&mut position.carried);
        let mut scans = 0;
        while let Some(scan) = position.scan.filter(|_| found.len() < limit && scans < MAX_SCANS_PER_PAGE) {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(scan)
                .arg("MATCH")
                .arg(keys::USER_PATTERN)
                .arg("COUNT")
                .arg((limit - found.len()).max(MIN_SCAN_COUNT))
                .arg("TYPE")
                .arg("string")
                .query_async(&mut self.connection())
                .await
                .map_err(unavailable)?;
            found.extend(keys);
            position.scan = (next != 0).then_some(next);
            scans += 1;
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
        let mut pipe = redis::pipe();
        for key in keys {
            pipe.cmd("GET").arg(key);
        }
        let texts: Vec<Option<String>> = pipe.query_async(&mut self.connection()).await.map_err(unavailable)?;
        let mut users = Vec::with_capacity(texts.len());
        for text in texts {
            if let Some(user) = from_json::<UserRecord>("user record", text)? {
                users.push(user);
            }
        }
        Ok(users)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let position = Position { scan: Some(42), carried: vec![keys::user("a b"), keys::user("c}")] };
        let cursor = position.encode().expect("not over");
        assert_eq!(Position::parse(&cursor), Some(position));
        let scan_over = Position { scan: None, carried: vec![keys::user("z")] };
        assert_eq!(Position::parse(&scan_over.encode().expect("not over")), Some(scan_over));
        assert_eq!(Position { scan: None, carried: Vec::new() }.encode(), None);
    }

    #[test]
    fn foreign_cursors_are_refused() {
        for cursor in ["", "x", "-1", "1 as:{s:abc}", "1 as:{u:a}:sessions", "1  as:{u:a}"] {
            assert_eq!(Position::parse(cursor), None, "{cursor:?}");
        }
    }
}
