//! Local mode: fetching, coalesced and rate-limited refetching, refresh per max-age,
//! surviving outages, withdrawn keys.

use shared_claims::poll::wait_until;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::{join_all, BoxFuture};
use tokio::sync::Semaphore;

use super::{refused, DEADLINE};
use crate::test_support::{access_header, claims, claims_for, key_set, TestKey, AUDIENCE, ISSUER};
use crate::verify::{FetchError, FetchedKeys, KeySet, KeySource, RefreshPolicy, Verifier, VerifyError};

/// A key source that serves a scripted sequence of key sets (the last one repeats),
/// counts fetches and can hold them at a gate.
struct ScriptedSource {
    script: Vec<Option<KeySet>>,
    max_age: Option<Duration>,
    fetches: AtomicUsize,
    gate: Option<Semaphore>,
}

impl ScriptedSource {
    fn new(script: Vec<Option<KeySet>>) -> Self {
        Self { script, max_age: None, fetches: AtomicUsize::new(0), gate: None }
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

impl KeySource for ScriptedSource {
    fn fetch(&self) -> BoxFuture<'_, Result<FetchedKeys, FetchError>> {
        Box::pin(async move {
            let n = self.fetches.fetch_add(1, Ordering::SeqCst);
            if let (Some(gate), true) = (&self.gate, n > 0) {
                let _permit = gate.acquire().await;
            }
            match self.script.get(n).or(self.script.last()).cloned().flatten() {
                Some(keys) => Ok(FetchedKeys { issuer: ISSUER.into(), keys, max_age: self.max_age }),
                None => Err(FetchError::Status(503)),
            }
        })
    }
}

fn patient_policy() -> RefreshPolicy {
    RefreshPolicy { min_refetch_interval: Duration::from_secs(3600), ..RefreshPolicy::default() }
}

async fn started(source: &Arc<ScriptedSource>, policy: RefreshPolicy) -> Verifier {
    let verifier = Verifier::builder(AUDIENCE).refresh_policy(policy).local_with_source(source.clone()).unwrap();
    wait_until(DEADLINE, "the first key set", || verifier.is_ready()).await;
    verifier
}

#[actix_web::test]
async fn an_unknown_kid_triggers_one_coalesced_refetch() {
    let (one, two) = (TestKey::shared(), TestKey::other());
    let mut source = ScriptedSource::new(vec![Some(key_set(&[one])), Some(key_set(&[one, two]))]);
    source.gate = Some(Semaphore::new(0));
    let source = Arc::new(source);
    let verifier = started(&source, patient_policy()).await;

    let tokens: Vec<String> = (0..50).map(|i| two.access_token(&claims_for(&format!("user{i}"), ""))).collect();
    let requests = join_all(tokens.iter().map(|t| verifier.verify(t)));
    let opener = async {
        wait_until(DEADLINE, "the refetch to start", || source.fetches() == 2).await;
        source.gate.as_ref().unwrap().add_permits(100);
    };
    let (results, ()) = tokio::join!(requests, opener);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(source.fetches(), 2, "one initial fetch and one refetch for 50 waiting requests");
}

#[actix_web::test]
async fn a_flood_of_random_kids_is_rate_limited() {
    let source = Arc::new(ScriptedSource::new(vec![Some(key_set(&[TestKey::shared()]))]));
    let verifier = started(&source, patient_policy()).await;
    let tokens: Vec<String> =
        (0..100).map(|i| TestKey::other().sign(&access_header(&format!("random-{i}")), &claims())).collect();
    // Refused either way: 401 for the kids checked against the one refetch, 503 for
    // those met after it, in the same interval (see the next test).
    let results = join_all(tokens.iter().map(|t| verifier.verify(t))).await;
    for result in &results {
        let err = result.as_ref().unwrap_err();
        assert!(matches!(err, VerifyError::UnknownKey | VerifyError::Unavailable(_)), "{err:?}");
    }
    assert_eq!(results[0].as_ref().unwrap_err(), &VerifyError::UnknownKey, "the first one triggered the refetch");
    for (token, first) in tokens.iter().zip(&results) {
        assert_eq!(&refused(&verifier, token).await, first.as_ref().unwrap_err(), "the same answer again");
    }
    assert_eq!(source.fetches(), 2, "at most one refetch per interval");
}

#[actix_web::test]
async fn refreshes_per_max_age_and_keeps_the_last_good_set_on_failure() {
    let mut source = ScriptedSource::new(vec![Some(key_set(&[TestKey::shared()])), None]);
    source.max_age = Some(Duration::ZERO);
    let source = Arc::new(source);
    let policy = RefreshPolicy {
        min_max_age: Duration::from_millis(20),
        retry_initial: Duration::from_millis(20),
        retry_max: Duration::from_millis(20),
        ..patient_policy()
    };
    let verifier = started(&source, policy).await;
    wait_until(DEADLINE, "failed refreshes", || source.fetches() >= 4).await;
    assert!(verifier.is_ready());
    verifier.verify(&TestKey::shared().access_token(&claims())).await.unwrap();
}

#[actix_web::test]
async fn a_withdrawn_key_stops_cached_tokens() {
    let (one, two) = (TestKey::shared(), TestKey::other());
    let source = Arc::new(ScriptedSource::new(vec![Some(key_set(&[one])), Some(key_set(&[two]))]));
    let verifier = started(&source, RefreshPolicy { min_refetch_interval: Duration::ZERO, ..patient_policy() }).await;
    let old = one.access_token(&claims());
    verifier.verify(&old).await.unwrap();
    // A token under the new key makes the verifier refetch: key-1 is gone.
    verifier.verify(&two.access_token(&claims())).await.unwrap();
    assert_eq!(refused(&verifier, &old).await, VerifyError::UnknownKey);
}

#[actix_web::test]
async fn without_any_key_set_the_answer_is_unavailable() {
    let source = Arc::new(ScriptedSource::new(vec![None]));
    let verifier = Verifier::builder(AUDIENCE).local_with_source(source.clone()).unwrap();
    assert!(!verifier.is_ready());
    let err = refused(&verifier, &TestKey::shared().access_token(&claims())).await;
    assert!(matches!(err, VerifyError::Unavailable(_)), "{err:?}");
    assert_eq!(err.to_bearer_error().status(), 503);
}

/// S6: a flood of random kids spends the one refetch of the interval, but a genuine
/// new kid arriving in that interval is not refused 401 without a refresh: it waits
/// (lock released) for the next refetch allowed, which judges it, coalesced with any
/// other kid waiting meanwhile. A kid already found absent keeps its 401 at once.
#[actix_web::test]
async fn a_new_kid_met_while_rate_limited_waits_for_the_next_refetch() {
    let (one, two) = (TestKey::shared(), TestKey::other());
    let source =
        Arc::new(ScriptedSource::new(vec![Some(key_set(&[one])), Some(key_set(&[one])), Some(key_set(&[one, two]))]));
    let interval = Duration::from_millis(400);
    let verifier = started(&source, RefreshPolicy { min_refetch_interval: interval, ..patient_policy() }).await;
    let attack = two.sign(&access_header("random-1"), &claims());
    assert_eq!(refused(&verifier, &attack).await, VerifyError::UnknownKey, "the first unknown kid: refetch, then 401");
    let refetched = std::time::Instant::now();
    assert_eq!(source.fetches(), 2);
    assert_eq!(refused(&verifier, &attack).await, VerifyError::UnknownKey, "checked absent: 401 at once");
    assert!(refetched.elapsed() < interval);

    let genuine = two.access_token(&claims());
    let other_random = two.sign(&access_header("random-2"), &claims());
    let known = one.access_token(&claims());
    // `join!` first polls its futures in order: by the time this one runs, the two
    // above have each run until they wait for the next refetch allowed.
    let known_meanwhile = async {
        verifier.verify(&known).await.unwrap();
        refetched.elapsed()
    };
    let (new_kid, random, known_at) =
        tokio::join!(verifier.verify(&genuine), verifier.verify(&other_random), known_meanwhile);
    assert!(known_at < interval, "a known kid never waits: nothing holds a lock meanwhile ({known_at:?})");
    new_kid.unwrap();
    assert!(refetched.elapsed() >= interval, "waited for the interval: {:?}", refetched.elapsed());
    assert_eq!(random.unwrap_err(), VerifyError::UnknownKey);
    assert_eq!(source.fetches(), 3, "one refetch for both waiting kids");
}

/// With a rate limit longer than a request should wait, a never-checked kid met
/// within it gets 503 (no verdict), not 401.
#[actix_web::test]
async fn a_new_kid_met_within_a_long_rate_limit_is_unavailable() {
    let (one, two) = (TestKey::shared(), TestKey::other());
    let source = Arc::new(ScriptedSource::new(vec![Some(key_set(&[one])), Some(key_set(&[one]))]));
    let verifier = started(&source, patient_policy()).await;
    let attack = two.sign(&access_header("random-1"), &claims());
    assert_eq!(refused(&verifier, &attack).await, VerifyError::UnknownKey);
    let err = refused(&verifier, &two.access_token(&claims())).await;
    assert!(matches!(err, VerifyError::Unavailable(_)), "{err:?}");
    assert_eq!(err.to_bearer_error().status(), 503);
    assert_eq!(refused(&verifier, &attack).await, VerifyError::UnknownKey);
    assert_eq!(source.fetches(), 2);
}

#[actix_web::test]
async fn a_failed_refetch_for_an_unknown_kid_is_unavailable() {
    let source = Arc::new(ScriptedSource::new(vec![Some(key_set(&[TestKey::shared()])), None]));
    let verifier = started(&source, patient_policy()).await;
    let err = refused(&verifier, &TestKey::other().access_token(&claims())).await;
    assert!(matches!(err, VerifyError::Unavailable(_)), "{err:?}");
    assert_eq!(source.fetches(), 2);
    verifier.verify(&TestKey::shared().access_token(&claims())).await.unwrap();
}
