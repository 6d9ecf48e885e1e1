//! The request patterns of the cases: one request repeated, a pool of requests taken
//! in turn (a distinct token each time), and a refresh-token chain per connection.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::load::Workload;
use crate::oauth;

/// What counts as a successful answer.
#[derive(Debug, Clone, Copy)]
pub enum Accept {
    Status(u16),
    /// 200 with `"active":true` (RFC 7662 answers 200 for inactive tokens too).
    ActiveToken,
}

impl Accept {
    pub fn accepts(self, status: u16, body: &[u8]) -> bool {
        match self {
            Accept::Status(expected) => status == expected,
            Accept::ActiveToken => status == 200 && body.windows(13).any(|w| w == b"\"active\":true"),
        }
    }
}

/// The same request every time.
pub struct Fixed {
    pub request: Vec<u8>,
    pub accept: Accept,
}

impl Fixed {
    pub fn status(request: Vec<u8>, status: u16) -> Self {
        Self { request, accept: Accept::Status(status) }
    }
}

impl Workload for Fixed {
    type State = ();
    fn state(&self, _: usize) {}
    fn next(&self, _: &mut (), out: &mut Vec<u8>) -> bool {
        out.extend_from_slice(&self.request);
        true
    }
    fn answer(&self, _: &mut (), status: u16, body: &[u8]) -> bool {
        self.accept.accepts(status, body)
    }
}

/// Requests taken from a pool in turn, shared by all connections: with a pool larger
/// than the server's verified-token cache, every request is a cache miss.
pub struct Rotating {
    pub requests: Arc<Vec<Vec<u8>>>,
    pub accept: Accept,
    pub next: AtomicUsize,
    /// Stop after one pass instead of going round (revoking each token once).
    pub once: bool,
}

impl Rotating {
    pub fn new(requests: Arc<Vec<Vec<u8>>>, accept: Accept) -> Self {
        Self { requests, accept, next: AtomicUsize::new(0), once: false }
    }

    /// Requests handed out so far (to tell how often the pool went round).
    pub fn taken(&self) -> usize {
        self.next.load(Ordering::Relaxed)
    }
}

impl Workload for Rotating {
    type State = ();
    fn state(&self, _: usize) {}
    fn next(&self, _: &mut (), out: &mut Vec<u8>) -> bool {
        let taken = self.next.fetch_add(1, Ordering::Relaxed);
        if self.once && taken >= self.requests.len() {
            return false;
        }
        out.extend_from_slice(&self.requests[taken % self.requests.len()]);
        true
    }
    fn answer(&self, _: &mut (), status: u16, body: &[u8]) -> bool {
        self.accept.accepts(status, body)
    }
}

/// Wraps a token-endpoint workload and keeps up to `limit` access tokens it was given.
pub struct Capturing<W> {
    pub inner: W,
    pub limit: usize,
    pub tokens: Mutex<Vec<String>>,
}

impl<W> Capturing<W> {
    pub fn new(inner: W, limit: usize) -> Self {
        Self { inner, limit, tokens: Mutex::new(Vec::new()) }
    }

    pub fn take_tokens(&self) -> Vec<String> {
        std::mem::take(&mut *self.tokens.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

impl<W: Workload> Workload for Capturing<W> {
    type State = W::State;
    fn state(&self, connection: usize) -> W::State {
        self.inner.state(connection)
    }
    fn next(&self, state: &mut W::State, out: &mut Vec<u8>) -> bool {
        self.inner.next(state, out)
    }
    fn answer(&self, state: &mut W::State, status: u16, body: &[u8]) -> bool {
        let ok = self.inner.answer(state, status, body);
        if ok {
            let mut tokens = self.tokens.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if tokens.len() < self.limit {
                match oauth::json_string(body, "access_token") {
                    Some(token) => tokens.push(token),
                    None => return false,
                }
            }
        }
        ok
    }
}

/// Builds the request that presents one refresh token.
pub type RefreshRequest = Box<dyn Fn(&str) -> Vec<u8> + Send + Sync>;

/// `refresh_token` grants, one rotating chain per connection: each answer's new
/// refresh token is the next request's (the old one is spent by rotation).
pub struct RefreshChain {
    /// One starting refresh token per connection, from a password login.
    pub seeds: Vec<String>,
    pub build: RefreshRequest,
}

impl Workload for RefreshChain {
    /// The connection's current refresh token; `None` once its chain broke.
    type State = Option<String>;
    fn state(&self, connection: usize) -> Option<String> {
        self.seeds.get(connection).cloned()
    }
    fn next(&self, state: &mut Option<String>, out: &mut Vec<u8>) -> bool {
        match state {
            Some(token) => {
                out.extend_from_slice(&(self.build)(token));
                true
            }
            None => false,
        }
    }
    fn answer(&self, state: &mut Option<String>, status: u16, body: &[u8]) -> bool {
        *state = if status == 200 { oauth::json_string(body, "refresh_token") } else { None };
        state.is_some()
    }
}
