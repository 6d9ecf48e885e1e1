//! An incremental parser of the `text/event-stream` format (HTML Living Standard
//! §9.2.6, "Interpreting an event stream"), fed with whatever chunks the network
//! delivers: a line, a field or a CRLF pair may be split anywhere.
//!
//! ```text
//! push(chunk)
//!   ├─ split into lines at LF, CR or CRLF   (a CR ending a chunk may pair with the
//!   │                                        LF starting the next)
//!   └─ per line (UTF-8, replacement on errors; BOM dropped before the first line):
//!        ""            → dispatch: last_event_id ← id buffer; skip if no data;
//!                        strip one trailing LF from data; type defaults to "message"
//!        ":..."        → comment (keepalive), ignored
//!        "name:value"  → one leading space of value dropped; "name" alone → value ""
//!          event  → event type buffer        data  → append value + LF
//!          id     → id buffer (unless NUL)   retry → reconnection time (digits only)
//! ```
//!
//! At the end of a stream an unfinished event is discarded (§9.2.6): a new connection
//! takes a new parser. Every buffer is bounded, so a hostile or broken stream costs
//! at most `max_event_bytes` of memory before it is refused.

use std::time::Duration;

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SseEvent {
    /// The `event` field, `message` when the event named none.
    pub event: String,
    /// The `data` lines joined with LF.
    pub data: String,
    /// The stream's last event ID when this event was dispatched (an `id` persists
    /// across events until the next `id` field): the cursor to resume after it.
    pub last_event_id: String,
}

/// The stream broke a limit; the connection should be dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an event-stream event is larger than {0} bytes")]
pub(crate) struct SseTooLarge(pub usize);

#[derive(Debug)]
pub(crate) struct SseParser {
    /// The current, unfinished line.
    line: Vec<u8>,
    /// The last chunk ended with CR: a LF at the start of the next ends no new line.
    after_cr: bool,
    /// No line completed yet: a leading byte order mark is dropped.
    at_start: bool,
    event_type: String,
    data: String,
    id_buffer: String,
    last_event_id: String,
    retry: Option<Duration>,
    max_event_bytes: usize,
    /// Blank lines seen: each ends an event or a comment-only block (a keepalive).
    messages: u64,
    /// Blocks of comments only, without data: keepalives.
    keepalives: u64,
    /// The block under way holds a comment line.
    comment_in_block: bool,
}

impl SseParser {
    /// `max_event_bytes` bounds one line plus the data gathered for one event.
    pub(crate) fn new(max_event_bytes: usize) -> Self {
        Self {
            line: Vec::new(),
            after_cr: false,
            at_start: true,
            event_type: String::new(),
            data: String::new(),
            id_buffer: String::new(),
            last_event_id: String::new(),
            retry: None,
            max_event_bytes,
            messages: 0,
            keepalives: 0,
            comment_in_block: false,
        }
    }

    /// How many complete messages (events, keepalives, any block ended by a blank
    /// line) the stream has delivered: what tells a live stream from one trickling
    /// bytes that never make an event.
    pub(crate) fn messages(&self) -> u64 {
        self.messages
    }

    /// How many keepalives (comment-only blocks) the stream has delivered. The auth
    /// server sends its first one right after the catch-up of a new connection.
    pub(crate) fn keepalives(&self) -> u64 {
        self.keepalives
    }

    /// The reconnection time the stream asked for with `retry:`, if any.
    pub(crate) fn retry(&self) -> Option<Duration> {
        self.retry
    }

    /// Parses `chunk` and appends every event it completes to `events`.
    pub(crate) fn push(&mut self, chunk: &[u8], events: &mut Vec<SseEvent>) -> Result<(), SseTooLarge> {
        let mut rest = chunk;
        if self.after_cr && !rest.is_empty() {
            self.after_cr = false;
            if rest[0] == b'\n' {
                rest = &rest[1..];
            }
        }
        while let Some(at) = rest.iter().position(|&b| b == b'\n' || b == b'\r') {
            self.extend_line(&rest[..at])?;
            let ended_by_cr = rest[at] == b'\r';
            rest = &rest[at + 1..];
            if ended_by_cr {
                match rest.first() {
                    Some(b'\n') => rest = &rest[1..],
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
            self.end_line(events)?;
        }
        self.extend_line(rest)
    }

    fn extend_line(&mut self, bytes: &[u8]) -> Result<(), SseTooLarge> {
        if self.line.len() + bytes.len() + self.data.len() > self.max_event_bytes {
            return Err(SseTooLarge(self.max_event_bytes));
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    fn end_line(&mut self, events: &mut Vec<SseEvent>) -> Result<(), SseTooLarge> {
        let raw = std::mem::take(&mut self.line);
        let mut line = String::from_utf8_lossy(&raw);
        // A replacement character takes three bytes where the invalid byte took one:
        // bound the decoded line as well, or an `event` or `id` value could grow past
        // the limit.
        if line.len() + self.data.len() > self.max_event_bytes {
            return Err(SseTooLarge(self.max_event_bytes));
        }
        if std::mem::take(&mut self.at_start) {
            if let Some(stripped) = line.strip_prefix('\u{FEFF}') {
                line = stripped.to_owned().into();
            }
        }
        if line.is_empty() {
            self.dispatch(events);
            return Ok(());
        }
        if line.starts_with(':') {
            self.comment_in_block = true;
            return Ok(());
        }
        let (name, value) = match line.split_once(':') {
            Some((name, value)) => (name, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_ref(), ""),
        };
        match name {
            "event" => value.clone_into(&mut self.event_type),
            "data" => {
                if self.data.len() + value.len() + 1 > self.max_event_bytes {
                    return Err(SseTooLarge(self.max_event_bytes));
                }
                self.data.push_str(value);
                self.data.push('\n');
            }
            "id" if !value.contains('\0') => value.clone_into(&mut self.id_buffer),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                // Too many digits to fit is still "digits only": saturate.
                self.retry = Some(Duration::from_millis(value.parse().unwrap_or(u64::MAX)));
            }
            _ => {} // unknown fields are ignored (§9.2.6)
        }
        Ok(())
    }

    fn dispatch(&mut self, events: &mut Vec<SseEvent>) {
        self.messages += 1;
        let comment_only = std::mem::take(&mut self.comment_in_block);
        self.last_event_id.clone_from(&self.id_buffer);
        let mut data = std::mem::take(&mut self.data);
        let event_type = std::mem::take(&mut self.event_type);
        if data.is_empty() {
            if comment_only {
                self.keepalives += 1;
            }
            return;
        }
        if data.ends_with('\n') {
            data.pop();
        }
        let event = if event_type.is_empty() { "message".to_owned() } else { event_type };
        events.push(SseEvent { event, data, last_event_id: self.last_event_id.clone() });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: usize = 1 << 20;

    fn event(event: &str, data: &str, id: &str) -> SseEvent {
        SseEvent { event: event.into(), data: data.into(), last_event_id: id.into() }
    }

    fn parse_chunks(chunks: &[&[u8]]) -> (Vec<SseEvent>, SseParser) {
        let mut parser = SseParser::new(LIMIT);
        let mut events = Vec::new();
        for chunk in chunks {
            parser.push(chunk, &mut events).unwrap();
        }
        (events, parser)
    }

    /// Mixed line endings, comments, multi-line data, id persistence, retry, a BOM,
    /// an event without data and an unfinished one at the end.
    const STREAM: &[u8] = b"\xEF\xBB\xBFretry: 1000\r\n\r\n\
        : keepalive\n\n\
        id: 7\r\nevent: snapshot\r\ndata: {\"revocations\":[]}\r\n\r\n\
        event: revocation\rdata: line one\rdata:line two\rdata\r\r\
        data:  two spaces\nid\n\n\
        : keepalive\r\n\r\n\
        id: 9\nevent: ignored-without-data\n\n\
        data: unfinished";

    fn expected() -> Vec<SseEvent> {
        vec![
            event("snapshot", "{\"revocations\":[]}", "7"),
            event("revocation", "line one\nline two\n", "7"),
            event("message", " two spaces", ""),
        ]
    }

    #[test]
    fn parses_a_stream_in_one_chunk() {
        let (events, parser) = parse_chunks(&[STREAM]);
        assert_eq!(events, expected());
        assert_eq!(parser.retry(), Some(Duration::from_millis(1000)));
        assert_eq!(parser.last_event_id, "9", "an event without data still moves the last event id");
        assert_eq!(parser.messages(), 7, "every block ended by a blank line, the unfinished one excepted");
        assert_eq!(parser.keepalives(), 2, "comment-only blocks; not `retry:` nor an event without data");
    }

    #[test]
    fn chunk_boundaries_anywhere_change_nothing() {
        for at in 0..=STREAM.len() {
            let (events, parser) = parse_chunks(&[&STREAM[..at], &STREAM[at..]]);
            assert_eq!(events, expected(), "split at byte {at}");
            assert_eq!(parser.keepalives(), 2, "split at byte {at}");
        }
        for (first, second) in [(1, 2), (10, 11), (40, 90), (60, 61)] {
            let (events, _) = parse_chunks(&[&STREAM[..first], &STREAM[first..second], &STREAM[second..]]);
            assert_eq!(events, expected(), "split at {first} and {second}");
        }
        let bytes: Vec<&[u8]> = STREAM.chunks(1).collect();
        assert_eq!(parse_chunks(&bytes).0, expected(), "one byte at a time");
    }

    #[test]
    fn a_cr_at_the_end_of_a_chunk_pairs_with_a_following_lf_only() {
        let (events, _) = parse_chunks(&[b"data: a\r", b"", b"\n\r", b"\ndata: b\r", b"\r"]);
        assert_eq!(events, [event("message", "a", ""), event("message", "b", "")]);
    }

    #[test]
    fn a_comment_beside_data_is_not_a_keepalive() {
        let (events, parser) = parse_chunks(&[b":note\ndata: x\n\nretry: 5\n\n"]);
        assert_eq!(events, [event("message", "x", "")]);
        assert_eq!((parser.messages(), parser.keepalives()), (2, 0));
    }

    #[test]
    fn odd_fields_are_ignored() {
        let stream = b"retry: soon\nid: a\0b\nfoo: bar\n:comment\ndata:x\n\n";
        let (events, parser) = parse_chunks(&[stream]);
        assert_eq!(events, [event("message", "x", "")]);
        assert_eq!(parser.retry(), None);
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        let (events, _) = parse_chunks(&[b"data: \xFF\xFE ok\n\n"]);
        assert_eq!(events, [event("message", "\u{FFFD}\u{FFFD} ok", "")]);
    }

    #[test]
    fn a_line_that_grows_when_decoded_is_bounded_too() {
        // Found by fuzzing: each invalid byte decodes to a three-byte U+FFFD, so an
        // `event` line within the limit as bytes made an event type beyond it.
        let mut parser = SseParser::new(12);
        let mut events = Vec::new();
        assert_eq!(parser.push(b"event:\xf2\xf2s\xff\xff\rdata\n\r", &mut events), Err(SseTooLarge(12)));
        assert!(events.is_empty(), "{events:?}");
    }

    #[test]
    fn oversized_lines_and_events_are_refused() {
        let mut parser = SseParser::new(16);
        let mut events = Vec::new();
        assert!(parser.push(b"data: 0123456789", &mut events).is_ok());
        assert_eq!(parser.push(b"abcdef", &mut events), Err(SseTooLarge(16)));
        let mut parser = SseParser::new(16);
        let many_lines = b"data: 0123\ndata: 4567\ndata: 89ab\n";
        assert!(parser.push(many_lines, &mut events).is_err(), "data gathered across lines counts");
    }
}
