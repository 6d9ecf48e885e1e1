//! The revocation feed's `text/event-stream` parser (HTML Living Standard §9.2.6),
//! fed as the network would: the stream cut into chunks at fuzzer-chosen points.
//!
//! Must hold: no panic; where the chunk boundaries fall changes nothing (events,
//! message count, retry, whether the size limit was hit); no event field is larger
//! than the limit; the events, written out again as an event stream, parse back the
//! same.

#![no_main]

use libfuzzer_sys::fuzz_target;
use resource_server::verify::fuzzing::{SseEvent, SseParser};

/// Room enough for the re-serialised events.
const LARGE: usize = 1 << 20;

struct Outcome {
    events: Vec<SseEvent>,
    refused: bool,
    messages: u64,
    retry: Option<std::time::Duration>,
}

fn parse<'a>(chunks: impl IntoIterator<Item = &'a [u8]>, limit: usize) -> Outcome {
    let mut parser = SseParser::new(limit);
    let mut events = Vec::new();
    let mut refused = false;
    for chunk in chunks {
        if parser.push(chunk, &mut events).is_err() {
            refused = true;
            break;
        }
    }
    Outcome { events, refused, messages: parser.messages(), retry: parser.retry() }
}

fuzz_target!(|data: &[u8]| {
    // [limit selector, number of cuts, 2 bytes per cut..., stream...]
    let [limit, cuts, rest @ ..] = data else { return };
    let limit = 8 + usize::from(*limit) * 4;
    let cuts = usize::from(cuts % 8);
    if rest.len() < cuts * 2 {
        return;
    }
    let (cut_bytes, stream) = rest.split_at(cuts * 2);
    let mut points: Vec<usize> =
        cut_bytes.chunks(2).map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])) % (stream.len() + 1)).collect();
    points.sort_unstable();
    let mut chunks = Vec::new();
    let mut start = 0;
    for &point in &points {
        chunks.push(&stream[start..point]);
        start = point;
    }
    chunks.push(&stream[start..]);

    let whole = parse([stream], limit);
    let split = parse(chunks.iter().copied(), limit);
    assert_eq!(whole.events, split.events, "chunk boundaries changed the events: {points:?}");
    assert_eq!(whole.refused, split.refused, "chunk boundaries changed the size verdict: {points:?}");
    if !whole.refused {
        assert_eq!(whole.messages, split.messages);
        assert_eq!(whole.retry, split.retry);
    }
    for event in &whole.events {
        assert!(event.data.len() <= limit && event.event.len() <= limit && event.last_event_id.len() <= limit);
        assert!(!event.event.is_empty());
        assert!(!event.event.contains(['\r', '\n']) && !event.last_event_id.contains(['\r', '\n', '\0']));
    }
    let again = parse([serialise(&whole.events).as_bytes()], LARGE);
    assert!(!again.refused);
    assert_eq!(again.events, whole.events, "events did not survive a write and a re-read");
});

fn serialise(events: &[SseEvent]) -> String {
    let mut out = String::new();
    for event in events {
        out.push_str(&format!("id: {}\nevent: {}\n", event.last_event_id, event.event));
        for line in event.data.split('\n') {
            out.push_str(&format!("data: {line}\n"));
        }
        out.push('\n');
    }
    out
}
