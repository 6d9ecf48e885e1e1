//! The lifecycle rules, one case per rule and edge, then a simulation that drives
//! the planner through several rotations and checks the lifecycle's invariants at
//! every step.

use super::*;

/// Interval 1000 s, lead 100 s, retention (published) and keep 1500 s: small
/// numbers, same rules. [`SPLIT`] keeps keys longer than it publishes them.
const POLICY: KeyPolicy =
    KeyPolicy { rotation_interval: 1_000, publish_lead: 100, retention: 1_500, keep: 1_500, refresh_interval: 30 };

/// Access tokens 300 s, refresh tokens 3000 s (margins included).
const SPLIT: KeyPolicy = KeyPolicy { retention: 300, keep: 3_000, ..POLICY };

fn key(kid: &str, state: KeyState, created_at: i64) -> SigningKeyRecord {
    SigningKeyRecord {
        kid: kid.into(),
        state,
        private_pem: String::new(),
        created_at,
        activated_at: (state != KeyState::Next).then_some(created_at),
        retired_at: None,
        // Fixture keys past `next` have signed tokens, unless a test says otherwise.
        signed_at: (state != KeyState::Next).then_some(created_at),
    }
}

fn unsigned(record: SigningKeyRecord) -> SigningKeyRecord {
    SigningKeyRecord { signed_at: None, ..record }
}

fn withdrawn(kid: &str, retired_at: i64) -> SigningKeyRecord {
    SigningKeyRecord { state: KeyState::Withdrawn, ..retired(kid, retired_at) }
}

fn kids(keys: &[SigningKeyRecord]) -> Vec<&str> {
    keys.iter().map(|k| k.kid.as_str()).collect()
}

fn active(kid: &str, activated_at: i64) -> SigningKeyRecord {
    key(kid, KeyState::Active, activated_at)
}

fn next(kid: &str, created_at: i64) -> SigningKeyRecord {
    key(kid, KeyState::Next, created_at)
}

fn retired(kid: &str, retired_at: i64) -> SigningKeyRecord {
    SigningKeyRecord { retired_at: Some(retired_at), ..key(kid, KeyState::Retired, 0) }
}

fn activate_next(kid: &str, retire: &str) -> Transition {
    Transition::Activate { successor: Successor::Next(kid.into()), retire: Some(retire.into()) }
}

fn state_of(keys: &[SigningKeyRecord], kid: &str) -> Option<KeyState> {
    keys.iter().find(|k| k.kid == kid).map(|k| k.state)
}

#[test]
fn policy_adds_refresh_interval_and_skew_to_lead_and_retention() {
    let policy = KeyPolicy::new(2_592_000, 300, 300, 86_400, 30, 60);
    assert_eq!(
        policy,
        KeyPolicy {
            rotation_interval: 2_592_000,
            publish_lead: 390,
            retention: 390,
            keep: 86_490,
            refresh_interval: 30
        }
    );
    assert_eq!(
        KeyPolicy::new(0, -5, -1, -1, 0, -1),
        KeyPolicy { rotation_interval: 1, publish_lead: 1, retention: 1, keep: 1, refresh_interval: 1 }
    );
    // Keys are never kept shorter than they are published.
    assert_eq!(KeyPolicy::new(1_000, 0, 600, 60, 30, 60).keep, 690);
    // The margins are the configured ones.
    let tight = KeyPolicy::new(1_000, 10, 300, 3_600, 5, 2);
    assert_eq!((tight.publish_lead, tight.retention, tight.keep, tight.refresh_interval), (17, 307, 3_607, 5));
}

#[test]
fn an_empty_set_gets_a_fresh_active_key() {
    let plan = plan(&[], 0, &POLICY);
    assert_eq!(plan, Some(Transition::Activate { successor: Successor::Fresh, retire: None }));
    assert!(plan.is_some_and(|t| t.needs_fresh_key()));
}

#[test]
fn a_set_without_an_active_key_promotes_its_oldest_next_key() {
    let keys = [next("n2", 5), next("n1", 3), retired("r", 1)];
    let expected = Transition::Activate { successor: Successor::Next("n1".into()), retire: None };
    assert_eq!(plan(&keys, 4, &POLICY), Some(expected));
}

#[test]
fn nothing_happens_until_the_next_key_must_be_published() {
    let keys = [active("a", 0)];
    assert_eq!(plan(&keys, 0, &POLICY), None);
    assert_eq!(plan(&keys, 899, &POLICY), None);
    assert_eq!(plan(&keys, 900, &POLICY), Some(Transition::PublishNext));
    assert!(Transition::PublishNext.needs_fresh_key());
}

#[test]
fn an_active_key_without_activation_date_counts_from_its_creation() {
    let keys = [SigningKeyRecord { activated_at: None, ..active("a", 50) }];
    assert_eq!(plan(&keys, 949, &POLICY), None);
    assert_eq!(plan(&keys, 950, &POLICY), Some(Transition::PublishNext));
}

#[test]
fn an_interval_shorter_than_the_lead_publishes_at_once() {
    let policy = KeyPolicy { rotation_interval: 50, ..POLICY };
    assert_eq!(plan(&[active("a", 10)], 10, &policy), Some(Transition::PublishNext));
    // ...and promotes once the next key has been published for the whole lead.
    let keys = [active("a", 10), next("n", 10)];
    assert_eq!(plan(&keys, 60, &policy), None, "due, but published only 50 s");
    assert_eq!(plan(&keys, 110, &policy), Some(activate_next("n", "a")));
}

#[test]
fn promotion_waits_for_both_the_due_date_and_the_lead() {
    // Published at the right time: promoted exactly when due.
    let keys = [active("a", 0), next("n", 900)];
    assert_eq!(plan(&keys, 999, &POLICY), None);
    assert_eq!(plan(&keys, 1_000, &POLICY), Some(activate_next("n", "a")));
    // Published late (say the servers were down): waits for the lead.
    let late = [active("a", 0), next("n", 1_200)];
    assert_eq!(plan(&late, 1_299, &POLICY), None);
    assert_eq!(plan(&late, 1_300, &POLICY), Some(activate_next("n", "a")));
}

#[test]
fn the_oldest_of_several_next_keys_is_promoted_and_no_other_is_published() {
    let keys = [active("a", 0), next("young", 950), next("old", 900)];
    assert_eq!(plan(&keys, 920, &POLICY), None, "a next key exists: nothing to publish");
    assert_eq!(plan(&keys, 1_000, &POLICY), Some(activate_next("old", "a")));
}

#[test]
fn a_retired_key_is_removed_exactly_when_its_last_token_has_expired() {
    let keys = [active("a", 2_000), retired("r", 1_000), retired("s", 1_200)];
    assert_eq!(plan(&keys, 2_499, &POLICY), None);
    assert_eq!(plan(&keys, 2_500, &POLICY), Some(Transition::Remove { kids: vec!["r".into()] }));
    let both = plan(&[active("a", 2_000), retired("r", 1_000), retired("s", 1_200)], 2_800, &POLICY);
    assert_eq!(both, Some(Transition::Remove { kids: vec!["r".into(), "s".into()] }));
}

#[test]
fn promotion_comes_before_removal() {
    let keys = [active("a", 0), next("n", 900), retired("r", -1_500)];
    assert_eq!(plan(&keys, 1_000, &POLICY), Some(activate_next("n", "a")));
    let after = apply(&keys, &activate_next("n", "a"), 1_000, None);
    assert_eq!(plan(&after, 1_000, &POLICY), Some(Transition::Remove { kids: vec!["r".into()] }));
}

#[test]
fn extra_active_keys_and_undated_retired_keys_are_repaired_first() {
    let undated = SigningKeyRecord { retired_at: None, ..retired("r", 0) };
    let keys = [active("old", 10), active("new", 20), undated];
    let repair = Transition::Repair { retire: vec!["old".into()], stamp: vec!["r".into()] };
    assert_eq!(plan(&keys, 30, &POLICY), Some(repair.clone()));
    assert!(!repair.needs_fresh_key());
    let repaired = apply(&keys, &repair, 30, None);
    assert_eq!(state_of(&repaired, "old"), Some(KeyState::Retired));
    assert_eq!(state_of(&repaired, "new"), Some(KeyState::Active));
    assert!(repaired.iter().filter(|k| k.state == KeyState::Retired).all(|k| k.retired_at == Some(30)));
    assert!(is_consistent(&repaired));
    assert_eq!(plan(&repaired, 30, &POLICY), None);
}

#[test]
fn manual_rotation_promotes_a_waiting_key_at_once_or_generates_one() {
    let keys = [active("a", 0), next("n", 990)];
    assert_eq!(plan_rotation(&keys), Ok(activate_next("n", "a")), "no wait for the lead");
    let fresh = Transition::Activate { successor: Successor::Fresh, retire: Some("a".into()) };
    assert_eq!(plan_rotation(&[active("a", 0), retired("r", 0)]), Ok(fresh));
    assert_eq!(plan_rotation(&[]), Ok(Transition::Activate { successor: Successor::Fresh, retire: None }));
}

#[test]
fn revocation_plans() {
    let keys = [active("a", 0), next("n", 900), retired("r", 0)];
    assert_eq!(plan_revocation(&keys, "unknown"), None);
    let revoke = |kid: &str, successor| Some(Transition::Revoke { kid: kid.into(), successor });
    assert_eq!(plan_revocation(&keys, "a"), revoke("a", Some(Successor::Next("n".into()))));
    assert_eq!(plan_revocation(&keys, "n"), revoke("n", None));
    assert_eq!(plan_revocation(&keys, "r"), revoke("r", None));
    let lone = [active("a", 0)];
    assert_eq!(plan_revocation(&lone, "a"), revoke("a", Some(Successor::Fresh)));
    assert!(plan_revocation(&lone, "a").is_some_and(|t| t.needs_fresh_key()));
}

#[test]
fn applying_an_activation_dates_both_keys() {
    let keys = [active("a", 0), next("n", 900)];
    let after = apply(&keys, &activate_next("n", "a"), 1_000, None);
    assert_eq!(after.len(), 2);
    assert_eq!((after[0].state, after[0].retired_at), (KeyState::Retired, Some(1_000)));
    assert_eq!((after[1].state, after[1].activated_at, after[1].created_at), (KeyState::Active, Some(1_000), 900));
    assert!(is_consistent(&after));
}

#[test]
fn applying_with_a_fresh_key_sets_its_state_and_dates() {
    let fresh = SigningKeyRecord { activated_at: Some(1), retired_at: Some(2), ..key("f", KeyState::Retired, 1) };
    let published = apply(&[active("a", 0)], &Transition::PublishNext, 900, Some(fresh.clone()));
    let f = &published[1];
    assert_eq!((f.state, f.created_at, f.activated_at, f.retired_at), (KeyState::Next, 900, None, None));

    let rotate = Transition::Activate { successor: Successor::Fresh, retire: Some("a".into()) };
    let rotated = apply(&[active("a", 0)], &rotate, 50, Some(fresh));
    assert_eq!(state_of(&rotated, "a"), Some(KeyState::Retired));
    let f = &rotated[1];
    assert_eq!((f.state, f.created_at, f.activated_at, f.retired_at), (KeyState::Active, 50, Some(50), None));
}

#[test]
fn removal_touches_retired_keys_only() {
    let keys = [active("a", 0), next("n", 0), retired("r", 0)];
    let remove = Transition::Remove { kids: vec!["a".into(), "n".into(), "r".into()] };
    let after = apply(&keys, &remove, 5_000, None);
    assert_eq!(after.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(), ["a", "n"]);
}

#[test]
fn applying_a_revocation_removes_the_key_and_keeps_one_active() {
    let keys = [active("a", 0), next("n", 900), retired("r", 0)];
    let after =
        apply(&keys, &Transition::Revoke { kid: "a".into(), successor: Some(Successor::Next("n".into())) }, 7, None);
    assert_eq!(state_of(&after, "a"), None);
    assert_eq!(state_of(&after, "n"), Some(KeyState::Active));
    assert!(is_consistent(&after));

    let fresh = key("f", KeyState::Next, 0);
    let after = apply(
        &[active("a", 0)],
        &Transition::Revoke { kid: "a".into(), successor: Some(Successor::Fresh) },
        7,
        Some(fresh),
    );
    assert_eq!(after.iter().map(|k| (k.kid.as_str(), k.state)).collect::<Vec<_>>(), [("f", KeyState::Active)]);

    let after = apply(&keys, &Transition::Revoke { kid: "r".into(), successor: None }, 7, None);
    assert_eq!(after.len(), 2);
    assert!(is_consistent(&after));
}

#[test]
fn a_stale_transition_never_yields_a_consistent_looking_wrong_set() {
    // The next key vanished between planning and applying: no active key remains,
    // which `is_consistent` refuses, so the caller re-plans instead of saving.
    let after = apply(&[active("a", 0)], &activate_next("gone", "a"), 1_000, None);
    assert!(!is_consistent(&after));
}

#[test]
fn consistency_means_one_active_key_and_unique_kids() {
    assert!(is_consistent(&[active("a", 0), next("n", 0), retired("r", 0)]));
    assert!(!is_consistent(&[]));
    assert!(!is_consistent(&[next("n", 0)]));
    assert!(!is_consistent(&[active("a", 0), active("b", 0)]));
    assert!(!is_consistent(&[active("a", 0), retired("a", 0)]));
}

/// Drives the planner through four rotations, ticking every 10 s with a fake key
/// generator, and checks at every step: exactly one active key; no key signs before
/// it was published for the lead; every key that signed at `t` stays published until
/// `t + longest token lifetime`; retired keys do not pile up.
#[test]
fn simulation_keeps_the_key_invariants_at_every_step() {
    let token_lifetime = 1_400; // retention 1500 = lifetime + 100 of margin
    let mut keys = vec![active("k0", 0)];
    let mut generated = 1;
    // For each kid, the last time it signed.
    let mut last_signed: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    let mut promotions = 0;
    let mut now = 0;
    while now <= 4_500 {
        for _ in 0..5 {
            let Some(transition) = plan(&keys, now, &POLICY) else { break };
            let fresh = transition.needs_fresh_key().then(|| {
                generated += 1;
                key(&format!("k{generated}"), KeyState::Next, now)
            });
            if let Transition::Activate { successor: Successor::Next(kid), .. } = &transition {
                let created = keys.iter().find(|k| &k.kid == kid).map_or(i64::MAX, |k| k.created_at);
                assert!(now - created >= POLICY.publish_lead, "{kid} signs {}s after publication", now - created);
                promotions += 1;
            }
            keys = apply(&keys, &transition, now, fresh);
            assert!(is_consistent(&keys), "at {now}: {keys:?}");
        }
        assert_eq!(plan(&keys, now, &POLICY), None, "converged within one tick");
        let signer = keys.iter().find(|k| k.state == KeyState::Active).map(|k| k.kid.clone()).unwrap_or_default();
        if let Some(first) = plan_first_signature(&keys, &signer) {
            keys = apply(&keys, &first, now, None);
        }
        last_signed.insert(signer, now);
        for (kid, signed) in &last_signed {
            if now < signed + token_lifetime {
                assert!(
                    state_of(&keys, kid).is_some(),
                    "{kid} gone at {now}, its token lives until {}",
                    signed + token_lifetime
                );
            }
        }
        assert!(keys.len() <= 4, "at {now}: {keys:?}");
        now += 10;
    }
    assert_eq!(promotions, 4);
    assert!(keys.iter().any(|k| k.state == KeyState::Retired));
    assert!(state_of(&keys, "k0").is_none(), "the first key was removed in time");
}

#[test]
fn a_retired_key_leaves_the_jwks_when_its_access_tokens_expired_and_the_set_when_its_refresh_tokens_did() {
    let policy = KeyPolicy { rotation_interval: 100_000, ..SPLIT };
    let keys = [active("a", 2_000), retired("r", 1_000)];
    assert_eq!(plan(&keys, 1_299, &policy), None);
    let withdraw = Transition::Withdraw { kids: vec!["r".into()] };
    assert_eq!(plan(&keys, 1_300, &policy), Some(withdraw.clone()));
    let after = apply(&keys, &withdraw, 1_300, None);
    assert_eq!(state_of(&after, "r"), Some(KeyState::Withdrawn));
    assert_eq!(after[1].retired_at, Some(1_000), "the retirement date stays: removal counts from it");
    assert_eq!(published(&after), 1);
    assert!(is_consistent(&after));
    assert_eq!(plan(&after, 3_999, &policy), None, "kept for the refresh tokens it signed");
    let remove = Transition::Remove { kids: vec!["r".into()] };
    assert_eq!(plan(&after, 4_000, &policy), Some(remove.clone()));
    assert_eq!(kids(&apply(&after, &remove, 4_000, None)), ["a"]);
    // A retired key whose refresh tokens are also dead (the server was down) goes at once.
    assert_eq!(plan(&keys, 4_000, &policy), Some(remove));
}

#[test]
fn only_published_states_are_counted_as_published() {
    let keys = [active("a", 0), next("n", 0), retired("r", 0), withdrawn("w", 0)];
    assert_eq!(published(&keys), 3);
    assert!(!is_published(KeyState::Withdrawn));
    assert!(is_consistent(&keys));
}

#[test]
fn a_superseded_key_that_never_signed_leaves_at_once() {
    // Manually, with a fresh successor or a waiting next key...
    let keys = [unsigned(active("a", 0)), retired("r", 0)];
    let rotation = plan_rotation(&keys).unwrap();
    let f = key("f", KeyState::Next, 0);
    assert_eq!(kids(&apply(&keys, &rotation, 10, Some(f))), ["r", "f"]);
    let keys = [unsigned(active("a", 0)), next("n", 5)];
    assert_eq!(kids(&apply(&keys, &plan_rotation(&keys).unwrap(), 10, None)), ["n"]);
    // ...and automatically (a quiet server signed nothing for a whole interval).
    let keys = [unsigned(active("a", 0)), next("n", 900)];
    let promoted = apply(&keys, &plan(&keys, 1_000, &POLICY).unwrap(), 1_000, None);
    assert_eq!(kids(&promoted), ["n"]);
    assert!(is_consistent(&promoted));
    // A key that signed is retired and stays published.
    let keys = [active("a", 0), next("n", 900)];
    let promoted = apply(&keys, &plan(&keys, 1_000, &POLICY).unwrap(), 1_000, None);
    assert_eq!(state_of(&promoted, "a"), Some(KeyState::Retired));
}

#[test]
fn a_first_signature_is_recorded_once_and_only_for_the_active_key() {
    let keys = [unsigned(active("a", 0)), next("n", 0)];
    let first = plan_first_signature(&keys, "a");
    assert_eq!(first, Some(Transition::FirstSignature { kid: "a".into() }));
    let after = apply(&keys, &first.unwrap(), 42, None);
    assert_eq!(after[0].signed_at, Some(42));
    assert_eq!(plan_first_signature(&after, "a"), None, "already recorded");
    assert_eq!(plan_first_signature(&keys, "n"), None, "a next key does not sign");
    assert_eq!(plan_first_signature(&keys, "gone"), None);
    // Applied after the key stopped being active (a lost race), it changes nothing.
    let retired_now = [retired("a", 40)];
    assert_eq!(apply(&retired_now, &Transition::FirstSignature { kid: "a".into() }, 42, None), retired_now);
}

/// Drives `rounds` manual rotations through the planner, each followed by a token
/// when `sign_between`; returns the set and the rotations refused.
fn storm(rounds: usize, sign_between: bool) -> (Vec<SigningKeyRecord>, Vec<RotationRefused>) {
    let mut keys = vec![active("k0", 0)];
    let mut refused = Vec::new();
    for round in 1..=rounds {
        let now = round as i64;
        match plan_rotation(&keys) {
            Ok(rotation) => {
                let fresh = rotation.needs_fresh_key().then(|| key(&format!("k{round}"), KeyState::Next, now));
                keys = apply(&keys, &rotation, now, fresh);
                assert!(is_consistent(&keys), "after rotation {round}: {keys:?}");
            }
            Err(why) => refused.push(why),
        }
        if sign_between {
            let signer = keys.iter().find(|k| k.state == KeyState::Active).map(|k| k.kid.clone()).unwrap_or_default();
            if let Some(first) = plan_first_signature(&keys, &signer) {
                keys = apply(&keys, &first, now, None);
            }
        }
    }
    (keys, refused)
}

#[test]
fn a_hundred_manual_rotations_without_tokens_in_between_leave_two_keys() {
    // k0 signed (the admin's token); every later key was superseded unsigned.
    let (keys, refused) = storm(100, false);
    assert!(refused.is_empty());
    assert_eq!(kids(&keys), ["k0", "k100"]);
    assert_eq!((keys[0].state, keys[1].state), (KeyState::Retired, KeyState::Active));
}

#[test]
fn manual_rotations_that_each_signed_stop_at_the_publication_bound() {
    let (keys, refused) = storm(100, true);
    assert_eq!(published(&keys), MAX_PUBLISHED_KEYS);
    assert_eq!(refused.len(), 100 - (MAX_PUBLISHED_KEYS - 1));
    assert_eq!(refused[0], RotationRefused { published: MAX_PUBLISHED_KEYS });
    // Once the oldest retired keys are withdrawn, rotating is allowed again.
    let mut keys = keys;
    let now = 100 + POLICY.retention;
    let quiet = KeyPolicy { rotation_interval: 100_000, ..SPLIT };
    while let Some(transition) = plan(&keys, now, &quiet) {
        keys = apply(&keys, &transition, now, None);
    }
    assert!(published(&keys) < MAX_PUBLISHED_KEYS, "{keys:?}");
    assert!(plan_rotation(&keys).is_ok());
    // A waiting next key is promoted even at the bound: that publishes nothing more.
    let full: Vec<SigningKeyRecord> = (0..MAX_PUBLISHED_KEYS - 2)
        .map(|i| retired(&format!("r{i}"), 0))
        .chain([active("a", 0), next("n", 0)])
        .collect();
    assert_eq!(published(&full), MAX_PUBLISHED_KEYS);
    assert_eq!(plan_rotation(&full), Ok(activate_next("n", "a")));
}

#[test]
fn the_automatic_lifecycle_waits_with_its_next_key_while_the_jwks_is_full() {
    let mut keys: Vec<SigningKeyRecord> = (0..MAX_PUBLISHED_KEYS - 1).map(|i| retired(&format!("r{i}"), 700)).collect();
    keys.push(active("a", 0));
    assert_eq!(plan(&keys, 950, &SPLIT), None, "due for a next key, but the JWKS is full");
    // Once the retired keys are withdrawn (at 700 + 300), the next key is published.
    let later: Vec<SigningKeyRecord> =
        keys.iter().map(|k| if k.state == KeyState::Retired { withdrawn(&k.kid, 700) } else { k.clone() }).collect();
    assert_eq!(plan(&later, 950, &SPLIT), Some(Transition::PublishNext));
}

#[test]
fn kept_keys_are_bounded_oldest_withdrawn_first() {
    let mut keys: Vec<SigningKeyRecord> =
        (0..MAX_KEPT_KEYS as i64 + 2).map(|i| withdrawn(&format!("w{i:03}"), 100 + i)).collect();
    keys.push(active("a", 0));
    let expected = Transition::Remove { kids: vec!["w000".into(), "w001".into(), "w002".into()] };
    assert_eq!(plan(&keys, 200, &SPLIT), Some(expected.clone()));
    let after = apply(&keys, &expected, 200, None);
    assert_eq!(after.len(), MAX_KEPT_KEYS);
    assert_eq!(plan(&after, 200, &SPLIT), None);
}
