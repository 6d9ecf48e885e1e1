//! Logging set-up: `RUST_LOG` filter (default `info`), text or JSON lines on stdout
//! (`LOG_FORMAT`). In JSON, each line carries the fields of its spans (the request
//! id of [`crate::request_trace`] among them).
//!
//! Debug-level spans (a store call, an RS256 signature, a password check) are timed:
//! when `RUST_LOG` enables them (e.g. `info,auth_server=debug`), each one writes a
//! line as it closes with `time.busy` and `time.idle`, under the request's span, so
//! the log shows where a request's time went. At the default level they cost nothing.

use std::io::IsTerminal;

use tracing::{Level, Metadata};
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer as _};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Installs the global subscriber. Colours only on a terminal and without `NO_COLOR`.
/// A second call (tests embedding an app) keeps the first subscriber.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal();
    let registry = tracing_subscriber::registry().with(filter);
    // Events go to the first writer; a second one sees only debug spans and writes
    // nothing but their close.
    let _ = match format {
        LogFormat::Text => registry
            .with(fmt::layer().with_target(false).with_ansi(ansi))
            .with(
                fmt::layer()
                    .with_target(false)
                    .with_ansi(ansi)
                    .with_span_events(FmtSpan::CLOSE)
                    .with_filter(filter_fn(is_timed_span)),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(fmt::layer().json().with_target(false))
            .with(
                fmt::layer()
                    .json()
                    .with_target(false)
                    .with_span_events(FmtSpan::CLOSE)
                    .with_filter(filter_fn(is_timed_span)),
            )
            .try_init(),
    };
}

/// The spans whose close is logged with its timing: debug-level spans. Events and the
/// per-request span (info, which has its own access-log line) are left to the other
/// writer.
fn is_timed_span(metadata: &Metadata<'_>) -> bool {
    metadata.is_span() && *metadata.level() == Level::DEBUG
}
