//! The signing-key lifecycle as pure rules: given the stored key set and the time,
//! what (if anything) should change. No I/O, no clock of its own, no framework;
//! [`super::KeyRing`] applies the answer with the store's compare-and-set.
//!
//! States ([`KeyState`]) and their invariants (the next key is in the JWKS before it
//! signs anything; a retired key stays there until every access token it signed has
//! expired):
//!
//! | state       | in the JWKS | verifies          | signs | leaves when                          |
//! |-------------|-------------|-------------------|-------|--------------------------------------|
//! | `next`      | yes         | nothing yet       | no    | promoted, once published for [`KeyPolicy::publish_lead`] and the active key is due |
//! | `active`    | yes         | access, refresh   | yes   | retired by that promotion (exactly one active key); removed at once instead when it never signed anything |
//! | `retired`   | yes         | access, refresh   | no    | withdrawn [`KeyPolicy::retention`] after `retired_at` (its access tokens have expired) |
//! | `withdrawn` | no          | refresh (here only) | no  | removed [`KeyPolicy::keep`] after `retired_at` (its refresh tokens have expired) |
//!
//! Resource servers verify access tokens only, so a key is published only as long
//! as an access token it signed can live; refresh tokens are verified by the auth
//! server alone, against its own (possibly longer) key set. The JWKS lists the
//! active key first, then `next` keys, then retired keys, most recently retired
//! first: a verifier that keeps only the first N keys of a JWKS (ours keep 64) keeps
//! the ones new tokens need.
//!
//! The timeline with the defaults (interval I = 30 d, lead L = 390 s, access tokens
//! 300 s so retention R = 390 s, refresh tokens 1 d so keep K = 1 d + 90 s):
//!
//! ```text
//! time ─►  a            a+I-L          a+I          a+I+R          a+I+K
//! key A    active ──────────────────────┤ retired ────┤ withdrawn ───┤ removed
//! key B                  next ──────────┤ active ─────────────────────────── …
//! ```
//!
//! Bounds (why rotations cannot grow the set without limit):
//! - a key that never signed anything (see [`plan_first_signature`]) leaves the set
//!   as soon as it is superseded: a storm of manual rotations with no token issued
//!   in between leaves one key, not one per rotation;
//! - at most [`MAX_PUBLISHED_KEYS`] keys are published: a manual rotation that would
//!   publish one more is refused ([`RotationRefused`]), and the automatic lifecycle
//!   waits with its next key (the active key signs a little longer);
//! - at most [`MAX_KEPT_KEYS`] keys are kept: beyond, the oldest withdrawn keys go
//!   (sessions whose refresh token one of them signed must log in again).
//!
//! Emergency revocation and manual rotation are also planned here
//! ([`plan_revocation`], [`plan_rotation`]); they skip the pre-publication wait by
//! design (resource servers refetch the JWKS on an unknown `kid`, rate-limited).

use crate::store::{KeyState, SigningKeyRecord};

/// Most keys published at once. Resource servers keep the first 64 keys of a JWKS
/// (in the order published); a quarter of that leaves room for third-party
/// verifiers with smaller limits.
pub(crate) const MAX_PUBLISHED_KEYS: usize = 16;

/// Most keys kept at once (published or withdrawn): every replica parses and, with
/// Redis, decrypts each of them whenever the set changes.
pub(crate) const MAX_KEPT_KEYS: usize = 64;

/// The numbers the rules run on, all in seconds, from the configured settings. Two
/// margins enter the lead and the retention: the refresh interval
/// (`AUTH_KEY_REFRESH_INTERVAL`: a replica may sign with a just-retired key, or serve
/// a JWKS without a just-published one, for up to this long) and the clock skew
/// tolerated between replicas and resource servers (`AUTH_CLOCK_SKEW`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPolicy {
    /// How long a key stays active (`AUTH_KEY_ROTATION_INTERVAL`).
    pub rotation_interval: i64,
    /// How long a `next` key is published before it may sign: the JWKS `max-age`
    /// (`AUTH_JWKS_MAX_AGE`) + refresh interval + clock skew, so a resource
    /// server honouring `Cache-Control` holds it before the first token it signs.
    pub publish_lead: i64,
    /// How long a retired key stays published: the access-token lifetime +
    /// refresh interval + clock skew. The last access token it signed was
    /// signed at most one refresh interval after `retired_at` (a replica that had not
    /// reloaded yet) and lives the access-token lifetime; the skew covers the clocks
    /// of the replica that stamped `retired_at`, the one that signed and the
    /// verifier. The JWKS `max-age` adds nothing here: a cache can only hold a key
    /// *longer* than the JWKS lists it, never lack one the JWKS still lists once it
    /// held it, and every cache filled while the key signed holds it. (`max-age`
    /// matters before a key signs: [`Self::publish_lead`].)
    pub retention: i64,
    /// How long a retired key is kept to verify refresh tokens: the longest token
    /// lifetime + refresh interval + clock skew, at least [`Self::retention`]. Also
    /// how long an emergency revocation of a key is remembered: as long as a token
    /// it signed could be presented.
    pub keep: i64,
    /// How often each replica re-reads the set and ticks (`AUTH_KEY_REFRESH_INTERVAL`).
    pub refresh_interval: i64,
}

impl KeyPolicy {
    /// The policy for a rotation interval, the JWKS `max-age`, the access-token
    /// lifetime, the longest token lifetime (refresh tokens are JWS too, verified by
    /// the auth server only), the refresh interval and the clock skew.
    pub fn new(
        rotation_interval: i64,
        jwks_max_age: i64,
        access_ttl: i64,
        longest_token_lifetime: i64,
        refresh_interval: i64,
        clock_skew: i64,
    ) -> Self {
        let refresh_interval = refresh_interval.max(1);
        let margin = refresh_interval.saturating_add(clock_skew.max(0));
        let retention = access_ttl.max(0).saturating_add(margin);
        Self {
            rotation_interval: rotation_interval.max(1),
            publish_lead: jwks_max_age.max(0).saturating_add(margin),
            retention,
            keep: longest_token_lifetime.max(0).saturating_add(margin).max(retention),
            refresh_interval,
        }
    }
}

/// Which key becomes active.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Successor {
    /// This published `next` key.
    Next(String),
    /// A freshly generated key (none was waiting).
    Fresh,
}

/// One change to the key set, applied whole by [`apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Transition {
    /// Restores the invariants of a damaged set: extra active keys retire, and
    /// retired keys without a `retired_at` get one (now), so their removal is
    /// computed from a safe date.
    Repair { retire: Vec<String>, stamp: Vec<String> },
    /// `successor` becomes active; `retire` (the active key, if any) retires now.
    Activate { successor: Successor, retire: Option<String> },
    /// A fresh key is published as `next`.
    PublishNext,
    /// Retired keys whose every access token has expired leave the JWKS; they are
    /// kept (withdrawn) while refresh tokens they signed may be presented.
    Withdraw { kids: Vec<String> },
    /// Retired or withdrawn keys whose every token has expired leave the set (or the
    /// oldest withdrawn keys beyond [`MAX_KEPT_KEYS`]).
    Remove { kids: Vec<String> },
    /// The active key `kid` may sign from now on: recorded before its first token
    /// leaves the server, so a key without it provably signed nothing.
    FirstSignature { kid: String },
    /// Emergency: `kid` leaves the set now; when it was active, `successor` takes
    /// over in the same change.
    Revoke { kid: String, successor: Option<Successor> },
}

impl Transition {
    /// Whether [`apply`] needs a freshly generated key for this change.
    pub(crate) fn needs_fresh_key(&self) -> bool {
        matches!(
            self,
            Transition::PublishNext
                | Transition::Activate { successor: Successor::Fresh, .. }
                | Transition::Revoke { successor: Some(Successor::Fresh), .. }
        )
    }
}

/// The automatic lifecycle: the one transition due at `now`, most urgent first
/// (repair, a missing active key, promotion, publication, removal), or `None`.
/// Applying it and asking again converges in a few steps.
pub(crate) fn plan(keys: &[SigningKeyRecord], now: i64, policy: &KeyPolicy) -> Option<Transition> {
    if let Some(repair) = plan_repair(keys) {
        return Some(repair);
    }
    let Some(active) = keys.iter().find(|k| k.state == KeyState::Active) else {
        return Some(Transition::Activate { successor: successor(keys, None), retire: None });
    };
    let due = active.activated_at.unwrap_or(active.created_at).saturating_add(policy.rotation_interval);
    match oldest_next(keys, None) {
        Some(next) => {
            let published_long_enough = now >= next.created_at.saturating_add(policy.publish_lead);
            if now >= due && published_long_enough {
                return Some(Transition::Activate {
                    successor: Successor::Next(next.kid.clone()),
                    retire: Some(active.kid.clone()),
                });
            }
        }
        // At `due - lead`, or at once when the interval is shorter than the lead;
        // while the JWKS is full, later (the active key signs a little longer).
        None if now >= due.saturating_sub(policy.publish_lead) && published(keys) < MAX_PUBLISHED_KEYS => {
            return Some(Transition::PublishNext)
        }
        None => {}
    }
    let since_retired =
        |k: &SigningKeyRecord, period: i64| k.retired_at.is_some_and(|at| now >= at.saturating_add(period));
    let mut removed: Vec<&SigningKeyRecord> = keys
        .iter()
        .filter(|k| matches!(k.state, KeyState::Retired | KeyState::Withdrawn) && since_retired(k, policy.keep))
        .collect();
    // Over the bound: the oldest withdrawn keys go too.
    let mut withdrawn: Vec<&SigningKeyRecord> =
        keys.iter().filter(|k| k.state == KeyState::Withdrawn && !since_retired(k, policy.keep)).collect();
    withdrawn.sort_by(|a, b| (a.retired_at, &a.kid).cmp(&(b.retired_at, &b.kid)));
    let excess = keys.len().saturating_sub(removed.len()).saturating_sub(MAX_KEPT_KEYS);
    removed.extend(withdrawn.into_iter().take(excess));
    if !removed.is_empty() {
        return Some(Transition::Remove { kids: removed.into_iter().map(|k| k.kid.clone()).collect() });
    }
    let withdrawn: Vec<String> = keys
        .iter()
        .filter(|k| k.state == KeyState::Retired && since_retired(k, policy.retention))
        .map(|k| k.kid.clone())
        .collect();
    (!withdrawn.is_empty()).then_some(Transition::Withdraw { kids: withdrawn })
}

/// Why a manual rotation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{published} signing keys are published, the most allowed ({MAX_PUBLISHED_KEYS}): the retired ones may still \
     verify live access tokens, and resource servers keep a bounded number of keys; retry once the oldest \
     retired key is withdrawn (its access tokens have expired), or revoke a key"
)]
pub struct RotationRefused {
    pub published: usize,
}

/// The keys in the JWKS: `next`, `active` and `retired`.
pub(crate) fn published(keys: &[SigningKeyRecord]) -> usize {
    keys.iter().filter(|k| is_published(k.state)).count()
}

/// Whether a key in `state` is listed in the JWKS.
pub(crate) fn is_published(state: KeyState) -> bool {
    state != KeyState::Withdrawn
}

/// Recording that the active key `kid` signs: `None` when it is no longer the
/// active key (the caller re-reads the set and signs with the one that is) or was
/// already recorded.
pub(crate) fn plan_first_signature(keys: &[SigningKeyRecord], kid: &str) -> Option<Transition> {
    keys.iter()
        .any(|k| k.kid == kid && k.state == KeyState::Active && k.signed_at.is_none())
        .then(|| Transition::FirstSignature { kid: kid.to_owned() })
}

/// Manual rotation (`POST /admin/keys/rotate`): the oldest `next` key becomes active
/// at once, else a fresh key; the active key retires (or leaves, when it never
/// signed). Skips the pre-publication wait. Refused when it would publish more than
/// [`MAX_PUBLISHED_KEYS`] keys: a fresh key while the active one, which signed,
/// stays published as retired.
pub(crate) fn plan_rotation(keys: &[SigningKeyRecord]) -> Result<Transition, RotationRefused> {
    let active = keys.iter().find(|k| k.state == KeyState::Active);
    let successor = successor(keys, None);
    let grows = successor == Successor::Fresh && active.is_some_and(|k| k.signed_at.is_some());
    let published = published(keys);
    if grows && published >= MAX_PUBLISHED_KEYS {
        return Err(RotationRefused { published });
    }
    Ok(Transition::Activate { successor, retire: active.map(|k| k.kid.clone()) })
}

/// Emergency revocation of `kid`, or `None` when no such key is in the set. An
/// active key is replaced in the same change by the oldest other `next` key, else a
/// fresh one, so the set never lacks an active key.
pub(crate) fn plan_revocation(keys: &[SigningKeyRecord], kid: &str) -> Option<Transition> {
    let key = keys.iter().find(|k| k.kid == kid)?;
    let successor = (key.state == KeyState::Active).then(|| successor(keys, Some(kid)));
    Some(Transition::Revoke { kid: kid.to_owned(), successor })
}

/// The key set after `transition` at `now`. `fresh` is the generated key when
/// [`Transition::needs_fresh_key`]; its state and dates are set here. A transition
/// naming keys that are gone changes only what it still can (the caller re-plans
/// on every compare-and-set attempt, so this is defensive).
pub(crate) fn apply(
    keys: &[SigningKeyRecord],
    transition: &Transition,
    now: i64,
    fresh: Option<SigningKeyRecord>,
) -> Vec<SigningKeyRecord> {
    let mut keys = keys.to_vec();
    match transition {
        Transition::Repair { retire, stamp } => {
            for key in keys.iter_mut() {
                if retire.contains(&key.kid) {
                    retire_key(key, now);
                } else if stamp.contains(&key.kid) && matches!(key.state, KeyState::Retired | KeyState::Withdrawn) {
                    key.retired_at = Some(now);
                }
            }
        }
        Transition::Activate { successor, retire } => {
            if let Some(retire) = retire {
                keys.iter_mut().filter(|k| &k.kid == retire && k.state == KeyState::Active).for_each(|k| {
                    retire_key(k, now);
                });
                // No token can need a key that never signed: it leaves at once.
                keys.retain(|k| !(&k.kid == retire && k.state == KeyState::Retired && k.signed_at.is_none()));
            }
            activate(&mut keys, successor, now, fresh);
        }
        Transition::PublishNext => {
            if let Some(mut fresh) = fresh {
                fresh.state = KeyState::Next;
                fresh.created_at = now;
                fresh.activated_at = None;
                fresh.retired_at = None;
                fresh.signed_at = None;
                keys.push(fresh);
            }
        }
        Transition::Withdraw { kids } => {
            keys.iter_mut().filter(|k| k.state == KeyState::Retired && kids.contains(&k.kid)).for_each(|k| {
                k.state = KeyState::Withdrawn;
            });
        }
        Transition::Remove { kids } => {
            keys.retain(|k| !(matches!(k.state, KeyState::Retired | KeyState::Withdrawn) && kids.contains(&k.kid)))
        }
        Transition::FirstSignature { kid } => {
            keys.iter_mut().filter(|k| &k.kid == kid && k.state == KeyState::Active).for_each(|k| {
                k.signed_at.get_or_insert(now);
            });
        }
        Transition::Revoke { kid, successor } => {
            keys.retain(|k| &k.kid != kid);
            if let Some(successor) = successor {
                activate(&mut keys, successor, now, fresh);
            }
        }
    }
    keys
}

/// Whether `keys` may be saved: exactly one active key, and no `kid` twice.
pub(crate) fn is_consistent(keys: &[SigningKeyRecord]) -> bool {
    let active = keys.iter().filter(|k| k.state == KeyState::Active).count();
    let mut kids: Vec<&str> = keys.iter().map(|k| k.kid.as_str()).collect();
    kids.sort_unstable();
    kids.dedup();
    active == 1 && kids.len() == keys.len()
}

/// A damaged set's repair: more than one active key (only the most recently
/// activated keeps signing), or retired keys with no `retired_at`.
fn plan_repair(keys: &[SigningKeyRecord]) -> Option<Transition> {
    let mut active: Vec<&SigningKeyRecord> = keys.iter().filter(|k| k.state == KeyState::Active).collect();
    active.sort_by_key(|k| (k.activated_at.unwrap_or(k.created_at), k.created_at));
    let retire: Vec<String> = active.iter().rev().skip(1).map(|k| k.kid.clone()).collect();
    let stamp: Vec<String> = keys
        .iter()
        .filter(|k| matches!(k.state, KeyState::Retired | KeyState::Withdrawn) && k.retired_at.is_none())
        .map(|k| k.kid.clone())
        .collect();
    (!retire.is_empty() || !stamp.is_empty()).then_some(Transition::Repair { retire, stamp })
}

/// The oldest `next` key (other than `except`), else a fresh one.
fn successor(keys: &[SigningKeyRecord], except: Option<&str>) -> Successor {
    oldest_next(keys, except).map_or(Successor::Fresh, |k| Successor::Next(k.kid.clone()))
}

fn oldest_next<'a>(keys: &'a [SigningKeyRecord], except: Option<&str>) -> Option<&'a SigningKeyRecord> {
    keys.iter()
        .filter(|k| k.state == KeyState::Next && Some(k.kid.as_str()) != except)
        .min_by(|a, b| (a.created_at, &a.kid).cmp(&(b.created_at, &b.kid)))
}

fn retire_key(key: &mut SigningKeyRecord, now: i64) {
    key.state = KeyState::Retired;
    key.retired_at = Some(now);
}

fn activate(keys: &mut Vec<SigningKeyRecord>, successor: &Successor, now: i64, fresh: Option<SigningKeyRecord>) {
    match successor {
        Successor::Next(kid) => {
            keys.iter_mut().filter(|k| &k.kid == kid && k.state == KeyState::Next).for_each(|k| {
                k.state = KeyState::Active;
                k.activated_at = Some(now);
            });
        }
        Successor::Fresh => {
            if let Some(mut fresh) = fresh {
                fresh.state = KeyState::Active;
                fresh.created_at = now;
                fresh.activated_at = Some(now);
                fresh.retired_at = None;
                fresh.signed_at = None;
                keys.push(fresh);
            }
        }
    }
}

#[cfg(test)]
mod tests;
