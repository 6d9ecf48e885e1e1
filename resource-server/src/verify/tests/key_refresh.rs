//! Local mode: fetching, coalesced and rate-limited refetching, refresh per max-age,
//! surviving outages, withdrawn keys.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::{join_all, BoxFuture};
use tokio::sync::Semaphore;

use super::{refused, DEADLINE};
use crate::test_support::{access_header, claims, claims_for, key_set, wait_until, TestKey, AUDIENCE, ISSUER};
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
    wait_until("the first key set", DEADLINE, || verifier.is_ready()).await;
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
        wait_until("the refetch to start", DEADLINE, || source.fetches() == 2).await;
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
    for result in join_all(tokens.iter().map(|t| verifier.verify(t))).await {
        assert_eq!(result.unwrap_err(), VerifyError::UnknownKey);
    }
    for token in &tokens {
        assert_eq!(refused(&verifier, token).await, VerifyError::UnknownKey);
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
    wait_until("failed refreshes", DEADLINE, || source.fetches() >= 4).await;
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
