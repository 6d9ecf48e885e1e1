//! Revocations and their feed in the embedded store: the revocations in force keyed
//! by what they revoke, and a bounded log of recent events for readers to resume from.

use async_trait::async_trait;

use super::{MemoryStore, FEED_LENGTH};
use crate::store::{FeedPage, Revocation, RevocationEvent, RevocationStore, StoreResult};

impl MemoryStore {
    fn cursor(&self, seq: u64) -> String {
        format!("{}-{seq}", self.epoch)
    }

    fn parse_cursor(&self, cursor: &str) -> Option<u64> {
        let (epoch, seq) = cursor.rsplit_once('-')?;
        (epoch == self.epoch).then(|| seq.parse().ok()).flatten()
    }
}

#[async_trait]
impl RevocationStore for MemoryStore {
    async fn revoke(&self, revocation: &Revocation, expires_at: i64) -> StoreResult<RevocationEvent> {
        let now = shared_claims::unix_now();
        let mut state = self.state();
        state.revocations.retain(|_, e| e.expires_at > now);
        state.feed_seq += 1;
        let event = RevocationEvent { cursor: self.cursor(state.feed_seq), revocation: revocation.clone(), expires_at };
        let key = revocation.key();
        // A user may be revoked twice; the later cut-off (and life) wins.
        let keep_existing = state.revocations.get(&key).is_some_and(|e| later_or_equal(&e.revocation, revocation));
        if !keep_existing {
            state.revocations.insert(key, event.clone());
        }
        let seq = state.feed_seq;
        state.feed.push_back((seq, event.clone()));
        while state.feed.len() > FEED_LENGTH {
            state.feed.pop_front();
        }
        Ok(event)
    }

    async fn is_revoked(&self, jti: &str, sid: Option<&str>, subject: &str, issued_at: i64) -> StoreResult<bool> {
        let now = shared_claims::unix_now();
        let state = self.state();
        let keys = [
            Some(Revocation::Token { jti: jti.to_owned() }.key()),
            sid.map(|sid| Revocation::Session { sid: sid.to_owned() }.key()),
            Some(Revocation::User { sub: subject.to_owned(), before: 0 }.key()),
        ];
        Ok(keys.iter().flatten().any(|key| {
            state
                .revocations
                .get(key)
                .is_some_and(|e| e.expires_at > now && e.revocation.covers(jti, sid, subject, issued_at))
        }))
    }

    async fn revocations_since(&self, cursor: &str, limit: usize) -> StoreResult<FeedPage> {
        let Some(after) = self.parse_cursor(cursor) else {
            return Ok(FeedPage::Gap);
        };
        let state = self.state();
        let oldest = state.feed.front().map_or(state.feed_seq + 1, |(seq, _)| *seq);
        if after + 1 < oldest || after > state.feed_seq {
            return Ok(FeedPage::Gap);
        }
        let events = state.feed.iter().filter(|(seq, _)| *seq > after).take(limit).map(|(_, e)| e.clone()).collect();
        Ok(FeedPage::Events(events))
    }

    async fn revocation_snapshot(&self) -> StoreResult<(Vec<RevocationEvent>, String)> {
        let now = shared_claims::unix_now();
        let state = self.state();
        let live = state.revocations.values().filter(|e| e.expires_at > now).cloned().collect();
        Ok((live, self.cursor(state.feed_seq)))
    }
}

/// Whether `existing` already revokes at least what `new` does.
fn later_or_equal(existing: &Revocation, new: &Revocation) -> bool {
    match (existing, new) {
        (Revocation::User { before: a, .. }, Revocation::User { before: b, .. }) => a >= b,
        _ => false,
    }
}
