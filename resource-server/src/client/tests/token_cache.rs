//! The token cache with a stand-in token source and a clock moved by hand: renewal
//! times, the single flight, shared failures and the backoff, with no waiting on real
//! time.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::{join, join_all, BoxFuture};
use shared_claims::poll::wait_until;
use tokio::sync::Semaphore;

use crate::client::error::TokenError;
use crate::client::metrics::ClientMetrics;
use crate::client::token_cache::{Clock, TokenCache, TokenSource};
use crate::client::token_response::IssuedToken;
use crate::Secret;

const LIFETIME: Duration = Duration::from_secs(60);
/// A tenth of [`LIFETIME`].
const MARGIN: Duration = Duration::from_secs(6);
/// The cache's first backoff after a failure.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const DEADLINE: Duration = Duration::from_secs(10);
const CALLERS: usize = 50;

struct FakeSource {
    fetches: AtomicUsize,
    failure: Mutex<Option<TokenError>>,
    gated: AtomicBool,
    gate: Semaphore,
}

impl Default for FakeSource {
    fn default() -> Self {
        Self {
            fetches: AtomicUsize::new(0),
            failure: Mutex::new(None),
            gated: AtomicBool::new(false),
            gate: Semaphore::new(0),
        }
    }
}

impl FakeSource {
    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    fn fail(&self, failure: Option<TokenError>) {
        *self.failure.lock().unwrap() = failure;
    }

    fn close_gate(&self) {
        self.gated.store(true, Ordering::SeqCst);
    }

    fn open_gate(&self) {
        self.gated.store(false, Ordering::SeqCst);
        self.gate.add_permits(CALLERS * 2);
    }

    async fn issue(&self) -> Result<IssuedToken, TokenError> {
        let number = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
        if self.gated.load(Ordering::SeqCst) {
            self.gate.acquire().await.unwrap().forget();
        }
        match self.failure.lock().unwrap().clone() {
            Some(error) => Err(error),
            None => Ok(IssuedToken { value: Secret::new(format!("t{number}")), lifetime: LIFETIME }),
        }
    }
}

struct Shared(Arc<FakeSource>);

impl TokenSource for Shared {
    fn fetch(&self) -> BoxFuture<'_, Result<IssuedToken, TokenError>> {
        Box::pin(self.0.issue())
    }
}

struct ManualClock(Mutex<Instant>);

impl ManualClock {
    fn now(&self) -> Instant {
        *self.0.lock().unwrap()
    }

    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

struct Setup {
    cache: TokenCache,
    source: Arc<FakeSource>,
    clock: Arc<ManualClock>,
    metrics: Arc<ClientMetrics>,
}

fn setup() -> Setup {
    let source = Arc::new(FakeSource::default());
    let clock = Arc::new(ManualClock(Mutex::new(Instant::now())));
    let read = clock.clone();
    let now: Clock = Arc::new(move || read.now());
    let metrics = Arc::new(ClientMetrics::default());
    let cache = TokenCache::new(Box::new(Shared(source.clone())), now, metrics.clone());
    Setup { cache, source, clock, metrics }
}

fn refused() -> TokenError {
    TokenError::Refused { status: 401, error: Some("invalid_client".into()), description: None }
}

/// Runs `callers` concurrently with the source's gate closed, and opens it once
/// `fetches` token requests have reached the source: every caller has been polled by
/// then (`join_all` polls them all before the opener), so each is either the one
/// renewing or waiting for it.
async fn with_gate<F: std::future::Future>(setup: &Setup, fetches: usize, callers: Vec<F>) -> Vec<F::Output> {
    setup.source.close_gate();
    let opener = async {
        wait_until(DEADLINE, "the renewal to reach the token source", || setup.source.fetches() == fetches).await;
        setup.source.open_gate();
    };
    join(join_all(callers), opener).await.0
}

fn value(token: &crate::client::cached_token::CachedToken) -> &str {
    token.value().expose()
}

#[tokio::test]
async fn a_fresh_token_is_reused() {
    let s = setup();
    let first = s.cache.token().await.unwrap();
    s.clock.advance(LIFETIME - MARGIN - Duration::from_millis(1));
    let again = s.cache.token().await.unwrap();
    assert!(Arc::ptr_eq(&first, &again));
    assert_eq!(s.source.fetches(), 1);
    assert_eq!(s.metrics.token_requests(), 1);
}

#[tokio::test]
async fn a_token_is_renewed_before_it_expires() {
    let s = setup();
    let first = s.cache.token().await.unwrap();
    s.clock.advance(LIFETIME - MARGIN);
    assert!(first.is_usable(s.clock.now()), "still valid when its renewal is due");
    let second = s.cache.token().await.unwrap();
    assert_eq!((value(&first), value(&second)), ("t1", "t2"));
    assert_eq!(s.source.fetches(), 2);
}

#[tokio::test]
async fn many_callers_of_an_expired_token_cause_one_renewal() {
    let s = setup();
    s.cache.token().await.unwrap();
    s.clock.advance(LIFETIME * 2);
    let results = with_gate(&s, 2, (0..CALLERS).map(|_| s.cache.token()).collect()).await;
    let tokens: Vec<_> = results.into_iter().map(Result::unwrap).collect();
    assert!(tokens.iter().all(|token| Arc::ptr_eq(token, &tokens[0])), "one token for every caller");
    assert_eq!(value(&tokens[0]), "t2");
    assert_eq!(s.source.fetches(), 2, "one request for the first token, one renewal");
}

#[tokio::test]
async fn a_failed_renewal_reaches_every_caller_waiting_for_it() {
    let s = setup();
    s.source.fail(Some(refused()));
    let results = with_gate(&s, 1, (0..CALLERS).map(|_| s.cache.token()).collect()).await;
    for result in results {
        assert_eq!(result.unwrap_err().oauth_error(), Some("invalid_client"));
    }
    assert_eq!(s.source.fetches(), 1, "the waiters took the failure instead of trying again each");
    assert_eq!((s.metrics.token_requests(), s.metrics.token_request_failures()), (1, 1));
}

#[tokio::test]
async fn after_a_failure_the_next_attempt_waits_for_the_backoff() {
    let s = setup();
    s.source.fail(Some(refused()));
    assert!(s.cache.token().await.is_err());
    s.source.fail(None);
    s.clock.advance(FIRST_BACKOFF - Duration::from_millis(1));
    assert_eq!(s.cache.token().await.unwrap_err(), refused(), "within the backoff: the last failure");
    assert_eq!(s.source.fetches(), 1);
    s.clock.advance(Duration::from_millis(1));
    assert_eq!(value(&s.cache.token().await.unwrap()), "t2");
    assert_eq!(s.source.fetches(), 2);
}

#[tokio::test]
async fn the_backoff_doubles_and_resets_on_success() {
    let s = setup();
    s.source.fail(Some(refused()));
    assert!(s.cache.token().await.is_err());
    s.clock.advance(FIRST_BACKOFF);
    assert!(s.cache.token().await.is_err());
    assert_eq!(s.source.fetches(), 2);
    s.clock.advance(FIRST_BACKOFF);
    assert!(s.cache.token().await.is_err());
    assert_eq!(s.source.fetches(), 2, "the second failure waits twice as long");
    s.clock.advance(FIRST_BACKOFF);
    s.source.fail(None);
    assert!(s.cache.token().await.is_ok());
    assert_eq!(s.source.fetches(), 3);
}

#[tokio::test]
async fn a_failed_renewal_keeps_the_old_token_until_it_expires() {
    let s = setup();
    let first = s.cache.token().await.unwrap();
    s.clock.advance(LIFETIME - MARGIN);
    s.source.fail(Some(refused()));
    let kept = s.cache.token().await.unwrap();
    assert!(Arc::ptr_eq(&first, &kept), "the renewal failed, the token is still valid");
    assert_eq!(s.source.fetches(), 2);
    s.clock.advance(MARGIN);
    assert_eq!(s.cache.token().await.unwrap_err(), refused(), "expired: the failure shows");
}

#[tokio::test]
async fn only_the_current_token_is_invalidated() {
    let s = setup();
    let first = s.cache.token().await.unwrap();
    assert!(s.cache.invalidate(&first));
    let second = s.cache.token().await.unwrap();
    assert_eq!(value(&second), "t2");
    assert!(!s.cache.invalidate(&first), "an old token's refusal changes nothing");
    let third = s.cache.token().await.unwrap();
    assert!(Arc::ptr_eq(&second, &third));
    assert_eq!(s.source.fetches(), 2);
}

#[tokio::test]
async fn many_refusals_of_one_token_cause_one_renewal() {
    let s = setup();
    let refused_token = s.cache.token().await.unwrap();
    let callers = (0..CALLERS)
        .map(|_| async {
            s.cache.invalidate(&refused_token);
            s.cache.token().await
        })
        .collect();
    let results = with_gate(&s, 2, callers).await;
    assert!(results.into_iter().all(|token| value(&token.unwrap()) == "t2"));
    assert_eq!(s.source.fetches(), 2);
}
