//! The signing-key lifecycle as pure rules: given the stored key set and the time,
//! what (if anything) should change. No I/O, no clock of its own, no framework;
//! [`super::KeyRing`] applies the answer with the store's compare-and-set.
//!
//! States ([`KeyState`]) and their invariants (the contract: "Rotation publishes the
//! next key in the JWKS before it signs anything and keeps a retired key in the JWKS
//! until every token it signed has expired"):
//!
//! | state     | in the JWKS | signs | leaves when                                      |
//! |-----------|-------------|-------|--------------------------------------------------|
//! | `next`    | yes         | no    | promoted, once published for [`KeyPolicy::publish_lead`] and the active key is due |
//! | `active`  | yes         | yes   | retired by that promotion (exactly one active key) |
//! | `retired` | yes         | no    | removed [`KeyPolicy::retention`] after `retired_at` |
//!
//! The timeline with the defaults (interval I = 30 d, lead L = 390 s, retention
//! R = 30 d + 90 s):
//!
//! ```text
//! time ─►  a            a+I-L          a+I                          a+I+R
//! key A    active ──────────────────────┤ retired ──────────────────────┤ removed
//! key B                  next ──────────┤ active ─────────────────────────────── …
//! key C                                                  next (at a+2I-L) ┤ active …
//! ```
//!
//! Emergency revocation and manual rotation are also planned here
//! ([`plan_revocation`], [`plan_rotation`]); they skip the pre-publication wait by
//! design (resource servers refetch the JWKS on an unknown `kid`, rate-limited).

use crate::store::{KeyState, SigningKeyRecord};

/// Clock skew tolerated between the auth server's replicas and resource servers.
pub const CLOCK_SKEW: i64 = 60;

/// How often every replica re-reads the key set (and ticks the lifecycle): a
/// replica may sign with a just-retired key, or serve a JWKS without a just-published
/// one, for up to this long, so the lead and the retention both include it.
pub const REFRESH_INTERVAL: i64 = 30;

/// The numbers the rules run on, all in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPolicy {
    /// How long a key stays active (`AUTH_KEY_ROTATION_INTERVAL`).
    pub rotation_interval: i64,
    /// How long a `next` key is published before it may sign: the JWKS `max-age`
    /// (`AUTH_JWKS_MAX_AGE`) + [`REFRESH_INTERVAL`] + [`CLOCK_SKEW`], so a resource
    /// server honouring `Cache-Control` holds it before the first token it signs.
    pub publish_lead: i64,
    /// How long a retired key stays published: the longest lifetime of a token it
    /// could have signed + [`REFRESH_INTERVAL`] + [`CLOCK_SKEW`].
    pub retention: i64,
    /// How often each replica re-reads the set and ticks ([`REFRESH_INTERVAL`]).
    pub refresh_interval: i64,
}

impl KeyPolicy {
    /// The policy for a rotation interval, the JWKS `max-age` and the longest token
    /// lifetime (`max(AUTH_ACCESS_TTL, AUTH_REFRESH_MAX_TTL)`: refresh tokens are JWS
    /// too, and a refresh token's `exp` is at most its session's absolute end).
    pub fn new(rotation_interval: i64, jwks_max_age: i64, longest_token_lifetime: i64) -> Self {
        Self::with_timing(rotation_interval, jwks_max_age, longest_token_lifetime, REFRESH_INTERVAL, CLOCK_SKEW)
    }

    /// Like [`Self::new`] with another refresh interval and clock skew: for
    /// deployments with tighter clocks, and for tests that watch a whole rotation.
    pub fn with_timing(
        rotation_interval: i64,
        jwks_max_age: i64,
        longest_token_lifetime: i64,
        refresh_interval: i64,
        clock_skew: i64,
    ) -> Self {
        let refresh_interval = refresh_interval.max(1);
        let margin = refresh_interval.saturating_add(clock_skew.max(0));
        Self {
            rotation_interval: rotation_interval.max(1),
            publish_lead: jwks_max_age.max(0).saturating_add(margin),
            retention: longest_token_lifetime.max(0).saturating_add(margin),
            refresh_interval,
        }
    }

    /// How long after a key stops signing a token it signed may still be presented:
    /// also how long an emergency revocation of it must be remembered.
    pub fn retention_for(longest_token_lifetime: i64) -> i64 {
        longest_token_lifetime.max(0).saturating_add(REFRESH_INTERVAL + CLOCK_SKEW)
    }
}

/// Which key becomes active.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Successor {
    /// This published `next` key.
    Next(String),
    /// A freshly generated key (none was waiting).
    Fresh,
}

/// One change to the key set, applied whole by [`apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// Restores the invariants of a damaged set: extra active keys retire, and
    /// retired keys without a `retired_at` get one (now), so their removal is
    /// computed from a safe date.
    Repair { retire: Vec<String>, stamp: Vec<String> },
    /// `successor` becomes active; `retire` (the active key, if any) retires now.
    Activate { successor: Successor, retire: Option<String> },
    /// A fresh key is published as `next`.
    PublishNext,
    /// Retired keys whose every token has expired leave the set.
    Remove { kids: Vec<String> },
    /// Emergency: `kid` leaves the set now; when it was active, `successor` takes
    /// over in the same change.
    Revoke { kid: String, successor: Option<Successor> },
}

impl Transition {
    /// Whether [`apply`] needs a freshly generated key for this change.
    pub fn needs_fresh_key(&self) -> bool {
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
pub fn plan(keys: &[SigningKeyRecord], now: i64, policy: &KeyPolicy) -> Option<Transition> {
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
        // At `due - lead`, or at once when the interval is shorter than the lead.
        None if now >= due.saturating_sub(policy.publish_lead) => return Some(Transition::PublishNext),
        None => {}
    }
    let expired: Vec<String> = keys
        .iter()
        .filter(|k| k.state == KeyState::Retired)
        .filter(|k| k.retired_at.is_some_and(|at| now >= at.saturating_add(policy.retention)))
        .map(|k| k.kid.clone())
        .collect();
    (!expired.is_empty()).then_some(Transition::Remove { kids: expired })
}

/// Manual rotation (`POST /admin/keys/rotate`): the oldest `next` key becomes active
/// at once, else a fresh key; the active key retires. Skips the pre-publication wait.
pub fn plan_rotation(keys: &[SigningKeyRecord]) -> Transition {
    let retire = keys.iter().find(|k| k.state == KeyState::Active).map(|k| k.kid.clone());
    Transition::Activate { successor: successor(keys, None), retire }
}

/// Emergency revocation of `kid`, or `None` when no such key is in the set. An
/// active key is replaced in the same change by the oldest other `next` key, else a
/// fresh one, so the set never lacks an active key.
pub fn plan_revocation(keys: &[SigningKeyRecord], kid: &str) -> Option<Transition> {
    let key = keys.iter().find(|k| k.kid == kid)?;
    let successor = (key.state == KeyState::Active).then(|| successor(keys, Some(kid)));
    Some(Transition::Revoke { kid: kid.to_owned(), successor })
}

/// The key set after `transition` at `now`. `fresh` is the generated key when
/// [`Transition::needs_fresh_key`]; its state and dates are set here. A transition
/// naming keys that are gone changes only what it still can (the caller re-plans
/// on every compare-and-set attempt, so this is defensive).
pub fn apply(
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
                } else if stamp.contains(&key.kid) && key.state == KeyState::Retired {
                    key.retired_at = Some(now);
                }
            }
        }
        Transition::Activate { successor, retire } => {
            if let Some(retire) = retire {
                keys.iter_mut().filter(|k| &k.kid == retire && k.state == KeyState::Active).for_each(|k| {
                    retire_key(k, now);
                });
            }
            activate(&mut keys, successor, now, fresh);
        }
        Transition::PublishNext => {
            if let Some(mut fresh) = fresh {
                fresh.state = KeyState::Next;
                fresh.created_at = now;
                fresh.activated_at = None;
                fresh.retired_at = None;
                keys.push(fresh);
            }
        }
        Transition::Remove { kids } => keys.retain(|k| !(k.state == KeyState::Retired && kids.contains(&k.kid))),
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
pub fn is_consistent(keys: &[SigningKeyRecord]) -> bool {
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
    let stamp: Vec<String> =
        keys.iter().filter(|k| k.state == KeyState::Retired && k.retired_at.is_none()).map(|k| k.kid.clone()).collect();
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
                keys.push(fresh);
            }
        }
    }
}

#[cfg(test)]
mod tests;
