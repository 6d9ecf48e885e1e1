//! Revocations and their feed in the embedded store: the revocations in force keyed
//! by what they revoke, and a bounded log of recent events for readers to resume from.

use std::ops::Bound;

use async_trait::async_trait;

use super::{MemoryStore, FEED_LENGTH};
use crate::store::{FeedPage, Revocation, RevocationEvent, RevocationStore, SnapshotPage, StoreResult};

impl MemoryStore {
    fn cursor(&self, seq: u64) -> String {
        format!("{}-{seq}", self.epoch)
    }

    fn parse_cursor(&self, cursor: &str) -> Option<u64> {
        // Untrusted (`Last-Event-ID`): digits only, and within `u64`.
        let (epoch, seq) = cursor.rsplit_once('-')?;
        let digits = !seq.is_empty() && seq.bytes().all(|b| b.is_ascii_digit());
        (epoch == self.epoch && digits).then(|| seq.parse().ok()).flatten()
    }
}

#[async_trait]
impl RevocationStore for MemoryStore {
    async fn revoke(
        &self,
        revocation: &Revocation,
        audiences: &[String],
        expires_at: i64,
    ) -> StoreResult<Option<RevocationEvent>> {
        let now = shared_claims::unix_now();
        let mut state = self.state();
        state.forget_expired_revocations(now);
        let key = revocation.key();
        if let Some(existing) = state.revocations.get(&key) {
            if existing.expires_at > now
                && existing.expires_at >= expires_at
                && covers_as_much(&existing.revocation, revocation)
            {
                return Ok(None);
            }
        }
        state.feed_seq += 1;
        let event = RevocationEvent {
            cursor: self.cursor(state.feed_seq),
            revocation: revocation.clone(),
            expires_at,
            audiences: audiences.to_vec(),
        };
        // A user or client may be revoked twice; the later cut-off wins.
        let keep_existing = state.revocations.get(&key).is_some_and(|e| later_or_equal(&e.revocation, revocation));
        if !keep_existing {
            state.revocations.insert(key, event.clone());
        }
        let seq = state.feed_seq;
        state.feed.push_back((seq, event.clone()));
        while state.feed.len() > FEED_LENGTH {
            state.feed.pop_front();
        }
        Ok(Some(event))
    }

    async fn is_revoked(
        &self,
        jti: &str,
        sid: Option<&str>,
        subject: &str,
        client_id: &str,
        issued_at: i64,
    ) -> StoreResult<bool> {
        let now = shared_claims::unix_now();
        let state = self.state();
        let keys = [
            Some(Revocation::Token { jti: jti.to_owned() }.key()),
            sid.map(|sid| Revocation::Session { sid: sid.to_owned() }.key()),
            Some(Revocation::User { sub: subject.to_owned(), before: 0 }.key()),
            Some(Revocation::Client { client_id: client_id.to_owned(), before: 0 }.key()),
        ];
        Ok(keys.iter().flatten().any(|key| {
            state
                .revocations
                .get(key)
                .is_some_and(|e| e.expires_at > now && e.revocation.covers(jti, sid, subject, client_id, issued_at))
        }))
    }

    async fn revocations_since(&self, cursor: &str, limit: usize) -> StoreResult<FeedPage> {
        let Some(after) = self.parse_cursor(cursor) else {
            return Ok(FeedPage::Gap);
        };
        let state = self.state();
        let oldest = state.feed.front().map_or(state.feed_seq.saturating_add(1), |(seq, _)| *seq);
        // The cursor is untrusted: no arithmetic on it that could overflow.
        if after > state.feed_seq || after.saturating_add(1) < oldest {
            return Ok(FeedPage::Gap);
        }
        let events = state.feed.iter().filter(|(seq, _)| *seq > after).take(limit).map(|(_, e)| e.clone()).collect();
        Ok(FeedPage::Events(events))
    }

    async fn revocation_feed_head(&self) -> StoreResult<String> {
        Ok(self.cursor(self.state().feed_seq))
    }

    async fn revocation_snapshot_page(&self, page: Option<&str>, limit: usize) -> StoreResult<SnapshotPage> {
        let now = shared_claims::unix_now();
        let state = self.state();
        let start = page.map_or(Bound::Unbounded, Bound::Excluded);
        let mut range = state.revocations.range::<str, _>((start, Bound::Unbounded));
        let mut events = Vec::new();
        let mut last = None;
        for (key, event) in range.by_ref().take(limit.max(1)) {
            last = Some(key);
            if event.expires_at > now {
                events.push(RevocationEvent { cursor: String::new(), ..event.clone() });
            }
        }
        let next = if range.next().is_some() { last.cloned() } else { None };
        Ok(SnapshotPage { events, next })
    }
}

/// Whether `existing` already revokes at least what `new` does.
/// Whether `existing` revokes everything `new` would: the same thing, and for a user
/// or client a cut-off at least as late.
fn covers_as_much(existing: &Revocation, new: &Revocation) -> bool {
    match (existing, new) {
        (Revocation::User { .. }, Revocation::User { .. }) | (Revocation::Client { .. }, Revocation::Client { .. }) => {
            later_or_equal(existing, new)
        }
        _ => existing == new,
    }
}

fn later_or_equal(existing: &Revocation, new: &Revocation) -> bool {
    match (existing, new) {
        (Revocation::User { before: a, .. }, Revocation::User { before: b, .. })
        | (Revocation::Client { before: a, .. }, Revocation::Client { before: b, .. }) => a >= b,
        _ => false,
    }
}
