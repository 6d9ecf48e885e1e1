//! The revocations in force, as a resource server knows them: applied from the auth
//! server's revocation feed (a snapshot replaces everything, a notice adds one) and
//! consulted for every token. Framework-free and clock-free: every method that depends
//! on time takes `now` (Unix seconds), so tests choose the time.
//!
//! ```text
//! replace(snapshot, now)   build new maps outside the lock, swap them in
//! apply(notice, now)       insert (never weakening what is held), then prune if due
//! prune(now)               drop entries past expires_at + grace; O(1) when none is due
//! check(claims)            len == 0 → NotRevoked without touching the lock;
//!                          else a read lock and four hash lookups: jti and sid by
//!                          digest (hashed only when that kind holds any), sub, client_id
//! key_revoked(kid)         the same for emergency key revocations
//! ```
//!
//! Memory is bounded by the unexpired revocations: each notice carries the time after
//! which every token it covers has expired (`expires_at`), and the entry is forgotten
//! then. Reads take a `std::sync::RwLock` read guard for four hash lookups and never
//! hold it across an `.await`; writes are rare (one per revocation) and short.
//!
//! Token and session revocations are the many (one per logout or RFC 7009 call), so
//! they are kept small: not the id but a fixed 16-byte [`Digest`] of it. A bucket is
//! then the digest and the 8-byte time, 24 bytes, plus the hash table's 1 control
//! byte; the table fills at most 7/8 of its buckets before doubling, so an entry costs
//! 25 / 0.875 ≈ 29 to 25 / 0.4375 ≈ 57 bytes, about 49 at 300 000. Keyed by the `String`
//! itself, a bucket was 33 bytes and each 22-character id had its own 32-byte heap
//! block: 70 to 107 bytes an entry. User, client and key revocations are few and keep
//! their names.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use shared_claims::{AccessClaims, Revocation, RevocationNotice};

use super::{RevocationCheck, RevocationStatus};

/// The revocations in force, queried by `jti`, `sid`, `sub` + `iat`, `client_id` +
/// `iat` and `kid`.
#[derive(Debug, Default)]
pub struct RevocationList {
    entries: RwLock<Entries>,
    /// Revocations held, readable without the lock: the empty fast path.
    len: AtomicUsize,
    /// Seconds an entry is kept past its `expires_at`: the clock-skew leeway a verifier
    /// grants on `exp`, during which a covered token could otherwise still pass.
    grace_secs: i64,
}

/// The first 16 bytes of an id's SHA-256: what identifies a revoked `jti` or `sid`.
/// Two ids share one with a probability of about n² / 2¹²⁹ (10⁻²⁷ for 300 000 ids);
/// should it ever happen, a token is refused, never accepted.
type Digest = [u8; 16];

fn digest(id: &str) -> Digest {
    let full = openssl::sha::sha256(id.as_bytes());
    let mut out = [0; 16];
    out.copy_from_slice(&full[..16]);
    out
}

/// Every map is keyed by the revoked identifier (its [`Digest`] for the two kinds that
/// come by the hundred thousand); values hold the Unix time at which the entry may be
/// forgotten (`expires_at + grace`).
#[derive(Debug)]
struct Entries {
    /// `Revocation::Token` (RFC 7009 on an access token).
    jti: HashMap<Digest, i64>,
    /// `Revocation::Session`: every token of one login.
    sid: HashMap<Digest, i64>,
    /// `Revocation::User`: user tokens of `sub` issued before a cut-off.
    user: HashMap<String, Cutoff>,
    /// `Revocation::Client`: every token of a deleted client issued before a cut-off.
    client: HashMap<String, Cutoff>,
    /// `Revocation::Key`: every token signed by `kid`.
    kid: HashMap<String, i64>,
    /// The earliest `forget_at` held (`i64::MAX` when empty), so that pruning costs
    /// nothing until something is due.
    next_forget: i64,
}

#[derive(Debug, Clone, Copy)]
struct Cutoff {
    /// Tokens with `iat < before` are revoked.
    before: i64,
    forget_at: i64,
}

impl Default for Entries {
    fn default() -> Self {
        Self {
            jti: HashMap::new(),
            sid: HashMap::new(),
            user: HashMap::new(),
            client: HashMap::new(),
            kid: HashMap::new(),
            next_forget: i64::MAX,
        }
    }
}

impl RevocationList {
    /// An empty list that forgets entries exactly at their `expires_at`.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty list that keeps entries `grace_secs` past their `expires_at`: use the
    /// verifier's leeway on `exp`, or a covered token could pass in that window.
    pub fn with_grace(grace_secs: i64) -> Self {
        Self { grace_secs: grace_secs.max(0), ..Self::default() }
    }

    /// Replaces the whole view with a snapshot (the feed's `snapshot` event). Notices
    /// already past their `expires_at` (plus grace) at `now` are not kept.
    pub fn replace<'a>(&self, notices: impl IntoIterator<Item = &'a RevocationNotice>, now: i64) {
        let mut fresh = Entries::default();
        for notice in notices {
            fresh.insert(notice, self.forget_at(notice), now);
        }
        let mut entries = self.write();
        *entries = fresh;
        self.len.store(entries.len(), Ordering::Release);
    }

    /// An empty view to fill page by page (a paged snapshot) and then swap in whole
    /// with [`Self::install`], so the view in use never holds half a snapshot.
    pub(crate) fn stage(&self) -> StagedView {
        StagedView { entries: Entries::default(), grace_secs: self.grace_secs }
    }

    /// Replaces the whole view with a completed [`StagedView`].
    pub(crate) fn install(&self, staged: StagedView) {
        let mut entries = self.write();
        *entries = staged.entries;
        self.len.store(entries.len(), Ordering::Release);
    }

    /// Adds one revocation (the feed's `revocation` event). A later revocation of the
    /// same thing never weakens an earlier one: the later cut-off and the later expiry
    /// win. Returns whether the notice is in force at `now` (false: already expired,
    /// nothing kept). Prunes expired entries when some are due.
    pub fn apply(&self, notice: &RevocationNotice, now: i64) -> bool {
        let mut entries = self.write();
        let kept = entries.insert(notice, self.forget_at(notice), now);
        if entries.next_forget <= now {
            entries.prune(now);
        }
        self.len.store(entries.len(), Ordering::Release);
        kept
    }

    /// Forgets every entry whose tokens have all expired by `now`. Cheap when nothing
    /// is due (a read lock and one comparison). Returns how many were dropped.
    pub fn prune(&self, now: i64) -> usize {
        if self.read().next_forget > now {
            return 0;
        }
        let mut entries = self.write();
        let before = entries.len();
        entries.prune(now);
        self.len.store(entries.len(), Ordering::Release);
        before - entries.len()
    }

    /// Forgets everything (e.g. a verifier that stops trusting a feed it cannot follow).
    pub fn clear(&self) {
        let mut entries = self.write();
        *entries = Entries::default();
        self.len.store(0, Ordering::Release);
    }

    /// Revocations held, expired or not yet pruned included.
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a token with these claims is revoked: by its `jti`, by its session
    /// `sid`, or as a user token (`sid` present) of `sub` issued before a cut-off.
    /// The same rule as [`Revocation::covers`], answered with hash lookups and no
    /// allocation; an id is hashed only when its kind holds any revocation.
    pub fn revokes(&self, jti: &str, sid: Option<&str>, sub: &str, issued_at: i64) -> bool {
        if self.is_empty() {
            return false;
        }
        let entries = self.read();
        let held = |map: &HashMap<Digest, i64>, id: &str| !map.is_empty() && map.contains_key(&digest(id));
        held(&entries.jti, jti)
            || sid.is_some_and(|sid| {
                held(&entries.sid, sid) || entries.user.get(sub).is_some_and(|cutoff| issued_at < cutoff.before)
            })
    }

    /// Whether a token of `client_id` issued at `issued_at` is revoked by a client
    /// revocation (the client was deleted): the rule of [`Revocation::covers`] for
    /// `Revocation::Client`, user and client tokens alike.
    pub fn revokes_client(&self, client_id: &str, issued_at: i64) -> bool {
        !self.is_empty() && self.read().client.get(client_id).is_some_and(|cutoff| issued_at < cutoff.before)
    }

    fn forget_at(&self, notice: &RevocationNotice) -> i64 {
        notice.expires_at.saturating_add(self.grace_secs)
    }

    fn read(&self) -> RwLockReadGuard<'_, Entries> {
        // The maps stay consistent even if a writer panicked mid-way (each insert is a
        // single HashMap call), so a poisoned lock is still usable.
        self.entries.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Entries> {
        self.entries.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A view being assembled from a paged snapshot; not consulted until installed.
#[derive(Debug)]
pub(crate) struct StagedView {
    entries: Entries,
    grace_secs: i64,
}

impl StagedView {
    /// Adds a notice of the snapshot (one already expired at `now` is skipped).
    pub(crate) fn add(&mut self, notice: &RevocationNotice, now: i64) {
        let forget_at = notice.expires_at.saturating_add(self.grace_secs);
        self.entries.insert(notice, forget_at, now);
    }
}

impl RevocationCheck for RevocationList {
    /// Never [`RevocationStatus::Unknown`]: a bare list has no notion of staleness.
    fn check(&self, claims: &AccessClaims) -> RevocationStatus {
        let revoked = self.revokes(&claims.jti, claims.sid.as_deref(), &claims.sub, claims.iat)
            || self.revokes_client(&claims.client_id, claims.iat);
        if revoked {
            RevocationStatus::Revoked
        } else {
            RevocationStatus::NotRevoked
        }
    }

    fn key_revoked(&self, kid: &str) -> bool {
        !self.is_empty() && self.read().kid.contains_key(kid)
    }
}

impl Entries {
    fn len(&self) -> usize {
        self.jti.len() + self.sid.len() + self.user.len() + self.client.len() + self.kid.len()
    }

    /// Returns whether the notice is kept (not already expired at `now`).
    fn insert(&mut self, notice: &RevocationNotice, forget_at: i64, now: i64) -> bool {
        if forget_at <= now {
            return false;
        }
        match &notice.revocation {
            Revocation::Token { jti } => later(&mut self.jti, digest(jti), forget_at),
            Revocation::Session { sid } => later(&mut self.sid, digest(sid), forget_at),
            Revocation::Key { kid } => later_named(&mut self.kid, kid, forget_at),
            Revocation::User { sub, before } => later_cutoff(&mut self.user, sub, *before, forget_at),
            Revocation::Client { client_id, before } => later_cutoff(&mut self.client, client_id, *before, forget_at),
        }
        self.next_forget = self.next_forget.min(forget_at);
        true
    }

    fn prune(&mut self, now: i64) {
        let live = |forget_at: &i64| *forget_at > now;
        self.jti.retain(|_, at| live(at));
        self.sid.retain(|_, at| live(at));
        self.kid.retain(|_, at| live(at));
        self.user.retain(|_, cutoff| live(&cutoff.forget_at));
        self.client.retain(|_, cutoff| live(&cutoff.forget_at));
        let times = self.jti.values().chain(self.sid.values()).chain(self.kid.values()).copied();
        let cutoffs = self.user.values().chain(self.client.values()).map(|c| c.forget_at);
        self.next_forget = times.chain(cutoffs).min().unwrap_or(i64::MAX);
    }
}

/// The later cut-off and the later expiry win.
fn later_cutoff(map: &mut HashMap<String, Cutoff>, key: &str, before: i64, forget_at: i64) {
    let cutoff = map.entry(key.to_owned()).or_insert(Cutoff { before, forget_at });
    cutoff.before = cutoff.before.max(before);
    cutoff.forget_at = cutoff.forget_at.max(forget_at);
}

/// The later expiry wins.
fn later(map: &mut HashMap<Digest, i64>, key: Digest, forget_at: i64) {
    let at = map.entry(key).or_insert(forget_at);
    *at = (*at).max(forget_at);
}

/// [`later`] for a map keyed by name: allocates the name only when it is new.
fn later_named(map: &mut HashMap<String, i64>, key: &str, forget_at: i64) {
    match map.get_mut(key) {
        Some(at) => *at = (*at).max(forget_at),
        None => {
            map.insert(key.to_owned(), forget_at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_claims::{Audience, ScopeSet};

    const NOW: i64 = 1_700_000_000;

    fn notice(revocation: Revocation, expires_at: i64) -> RevocationNotice {
        RevocationNotice { revocation, expires_at }
    }

    fn token(jti: &str) -> Revocation {
        Revocation::Token { jti: jti.into() }
    }

    fn claims(jti: &str, sid: Option<&str>, sub: &str, iat: i64) -> AccessClaims {
        claims_of("c", jti, sid, sub, iat)
    }

    fn claims_of(client_id: &str, jti: &str, sid: Option<&str>, sub: &str, iat: i64) -> AccessClaims {
        AccessClaims {
            iss: "iss".into(),
            sub: sub.into(),
            aud: Audience::One("api".into()),
            exp: iat + 300,
            iat,
            nbf: None,
            jti: jti.into(),
            client_id: client_id.into(),
            scope: ScopeSet::new(),
            sid: sid.map(Into::into),
        }
    }

    #[test]
    fn answers_by_jti_sid_and_user_cutoff_like_covers() {
        let list = RevocationList::new();
        let revocations = [
            token("j1"),
            Revocation::Session { sid: "s1".into() },
            Revocation::User { sub: "bob".into(), before: NOW },
            Revocation::Client { client_id: "gone".into(), before: NOW },
        ];
        for revocation in &revocations {
            assert!(list.apply(&notice(revocation.clone(), NOW + 300), NOW));
        }
        let cases = [
            claims("j1", None, "alice", NOW),
            claims("j2", None, "alice", NOW),
            claims("j2", Some("s1"), "alice", NOW),
            claims("j2", Some("s2"), "alice", NOW),
            claims("j2", Some("s2"), "bob", NOW - 1),
            claims("j2", Some("s2"), "bob", NOW),
            claims("j2", None, "bob", NOW - 1),
            claims_of("gone", "j3", Some("s3"), "alice", NOW - 1),
            claims_of("gone", "j3", None, "gone", NOW - 1),
            claims_of("gone", "j3", Some("s3"), "alice", NOW),
            claims_of("kept", "j3", None, "gone", NOW - 1),
        ];
        for claims in &cases {
            let expected = revocations.iter().any(|r| r.covers_claims(claims));
            let status = if expected { RevocationStatus::Revoked } else { RevocationStatus::NotRevoked };
            assert_eq!(list.check(claims), status, "{claims:?}");
        }
    }

    #[test]
    fn a_snapshot_replaces_the_view_and_skips_expired_notices() {
        let list = RevocationList::new();
        list.apply(&notice(token("old"), NOW + 60), NOW);
        let snapshot = [notice(token("new"), NOW + 60), notice(token("gone"), NOW - 1)];
        list.replace(&snapshot, NOW);
        assert_eq!(list.len(), 1);
        assert!(list.revokes("new", None, "a", NOW));
        assert!(!list.revokes("old", None, "a", NOW));
        assert!(!list.revokes("gone", None, "a", NOW));
    }

    #[test]
    fn expired_entries_are_pruned_on_apply_and_on_demand() {
        let list = RevocationList::new();
        for i in 0..1000 {
            list.apply(&notice(token(&format!("j{i}")), NOW + 10), NOW);
        }
        list.apply(&notice(Revocation::Key { kid: "k".into() }, NOW + 100), NOW);
        assert_eq!(list.len(), 1001);
        assert_eq!(list.prune(NOW + 9), 0, "nothing is due yet");
        // Applying anything after the expiry drops the expired entries.
        list.apply(&notice(token("late"), NOW + 100), NOW + 10);
        assert_eq!(list.len(), 2);
        assert!(list.key_revoked("k"));
        assert_eq!(list.prune(NOW + 100), 2);
        assert!(list.is_empty());
        assert!(!list.key_revoked("k"));
        assert!(!list.apply(&notice(token("dead"), NOW), NOW), "already expired: not kept");
        assert!(list.is_empty());
    }

    #[test]
    fn grace_keeps_entries_through_the_exp_leeway() {
        let list = RevocationList::with_grace(5);
        list.apply(&notice(token("j"), NOW + 10), NOW);
        assert_eq!(list.prune(NOW + 14), 0);
        assert!(list.revokes("j", None, "a", NOW));
        assert_eq!(list.prune(NOW + 15), 1);
    }

    #[test]
    fn a_later_revocation_never_weakens_an_earlier_one() {
        let list = RevocationList::new();
        let user = |before, expires_at| notice(Revocation::User { sub: "bob".into(), before }, expires_at);
        list.apply(&user(NOW, NOW + 300), NOW);
        list.apply(&user(NOW - 100, NOW + 10), NOW);
        assert!(list.revokes("j", Some("s"), "bob", NOW - 1));
        assert_eq!(list.prune(NOW + 299), 0);
        assert_eq!(list.len(), 1);
        list.apply(&notice(token("j"), NOW + 300), NOW);
        list.apply(&notice(token("j"), NOW + 5), NOW);
        assert_eq!(list.prune(NOW + 6), 0);
    }

    #[test]
    fn ids_are_told_apart_by_digest_and_kinds_stay_separate() {
        let list = RevocationList::new();
        for i in 0..10_000 {
            list.apply(&notice(token(&format!("jti-{i}")), NOW + 60), NOW);
        }
        list.apply(&notice(Revocation::Session { sid: "shared".into() }, NOW + 60), NOW);
        assert_eq!(list.len(), 10_001);
        assert!((0..10_000).all(|i| list.revokes(&format!("jti-{i}"), None, "a", NOW)));
        assert!((10_000..20_000).all(|i| !list.revokes(&format!("jti-{i}"), None, "a", NOW)));
        assert!(!list.revokes("shared", None, "a", NOW), "a session id is not a token id");
        assert!(list.revokes("other", Some("shared"), "a", NOW));
        assert!(!list.revokes("other", Some("jti-1"), "a", NOW), "a token id is not a session id");
    }

    #[test]
    fn a_token_or_session_entry_is_a_24_byte_bucket() {
        // What the per-entry arithmetic in the module comment rests on.
        assert_eq!(std::mem::size_of::<(Digest, i64)>(), 24);
        assert_ne!(digest("a"), digest("b"));
        assert_eq!(digest("a"), digest("a"));
    }

    #[test]
    fn keys_are_separate_from_claims() {
        let list = RevocationList::new();
        list.apply(&notice(Revocation::Key { kid: "key-1".into() }, NOW + 60), NOW);
        assert!(list.key_revoked("key-1"));
        assert!(!list.key_revoked("key-2"));
        assert_eq!(list.check(&claims("key-1", Some("key-1"), "key-1", NOW)), RevocationStatus::NotRevoked);
        list.clear();
        assert!(!list.key_revoked("key-1"));
    }
}
