//! Entry points for the fuzz targets in `fuzz/`: the crate-private parsers of
//! untrusted bytes, behind thin wrappers. Built only with the `fuzzing` feature.

use super::feed;
use super::jose_header::{self, JoseHeader};
use super::VerifyError;

/// The checked JOSE header of local verification: `(typ, kid)`.
pub fn jose_header(segment: &str) -> Result<(String, String), VerifyError> {
    JoseHeader::parse(segment).map(|header| (header.typ, header.kid))
}

/// Introspection mode's key-independent pre-checks: the token's `kid`, if any.
pub fn precheck_jws(token: &str) -> Result<Option<String>, VerifyError> {
    jose_header::precheck_jws(token)
}

/// One dispatched event-stream event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: String,
    pub data: String,
    pub last_event_id: String,
}

impl From<feed::SseEvent> for SseEvent {
    fn from(event: feed::SseEvent) -> Self {
        Self { event: event.event, data: event.data, last_event_id: event.last_event_id }
    }
}

/// The revocation feed's incremental `text/event-stream` parser.
pub struct SseParser {
    inner: feed::SseParser,
    events: Vec<feed::SseEvent>,
}

impl SseParser {
    pub fn new(max_event_bytes: usize) -> Self {
        Self { inner: feed::SseParser::new(max_event_bytes), events: Vec::new() }
    }

    /// Feeds one chunk and appends the events it completes; `Err(limit)` when the
    /// stream broke the size limit.
    pub fn push(&mut self, chunk: &[u8], events: &mut Vec<SseEvent>) -> Result<(), usize> {
        let result = self.inner.push(chunk, &mut self.events).map_err(|too_large| too_large.0);
        events.extend(self.events.drain(..).map(SseEvent::from));
        result
    }

    pub fn messages(&self) -> u64 {
        self.inner.messages()
    }

    pub fn retry(&self) -> Option<std::time::Duration> {
        self.inner.retry()
    }
}
