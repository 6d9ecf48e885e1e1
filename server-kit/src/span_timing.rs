//! How long each debug-level span lasted (a store call, a signature, a password
//! check), logged as it closes: one INFO line `span closed` with the span's name and
//! `elapsed_us` (wall time from creation to close, waits included), written inside
//! the span that was current then, so it carries the request's id. Debug spans exist
//! only when `RUST_LOG` enables them; at the default level this costs nothing.

use std::time::Instant;

use tracing::span::{Attributes, Id};
use tracing::{Level, Metadata, Subscriber};
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// The layer to add to the subscriber, seeing only debug-level spans.
pub(crate) fn layer<S>() -> impl Layer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    SpanTiming.with_filter(filter_fn(is_debug_span))
}

fn is_debug_span(metadata: &Metadata<'_>) -> bool {
    metadata.is_span() && *metadata.level() == Level::DEBUG
}

struct SpanTiming;

/// When the span was created, kept in its extensions.
struct Opened(Instant);

impl<S> Layer<S> for SpanTiming
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, _attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(Opened(Instant::now()));
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        // Read and release the extensions before logging: the line is a new event.
        let Some(opened) = span.extensions().get::<Opened>().map(|opened| opened.0) else { return };
        let elapsed_us = u64::try_from(opened.elapsed().as_micros()).unwrap_or(u64::MAX);
        tracing::info!(span = span.name(), elapsed_us, "span closed");
    }
}
