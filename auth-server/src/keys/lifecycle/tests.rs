//! The lifecycle rules, one case per rule and edge, then a simulation that drives
//! the planner through several rotations and checks the contract's invariants at
//! every step.

use super::*;

/// Interval 1000 s, lead 100 s, retention 1500 s: small numbers, same rules.
const POLICY: KeyPolicy =
    KeyPolicy { rotation_interval: 1_000, publish_lead: 100, retention: 1_500, refresh_interval: 30 };

fn key(kid: &str, state: KeyState, created_at: i64) -> SigningKeyRecord {
    SigningKeyRecord {
        kid: kid.into(),
        state,
        private_pem: String::new(),
        created_at,
        activated_at: (state != KeyState::Next).then_some(created_at),
        retired_at: None,
    }
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
    let policy = KeyPolicy::new(2_592_000, 300, 2_592_000);
    assert_eq!(
        policy,
        KeyPolicy { rotation_interval: 2_592_000, publish_lead: 390, retention: 2_592_090, refresh_interval: 30 }
    );
    assert_eq!(KeyPolicy::retention_for(300), 390);
    assert_eq!(
        KeyPolicy::new(0, -5, -1),
        KeyPolicy { rotation_interval: 1, publish_lead: 90, retention: 90, refresh_interval: 30 }
    );
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
    assert_eq!(plan_rotation(&keys), activate_next("n", "a"), "no wait for the lead");
    let fresh = Transition::Activate { successor: Successor::Fresh, retire: Some("a".into()) };
    assert_eq!(plan_rotation(&[active("a", 0), retired("r", 0)]), fresh);
    assert_eq!(plan_rotation(&[]), Transition::Activate { successor: Successor::Fresh, retire: None });
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
fn simulation_keeps_the_contract_at_every_step() {
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
