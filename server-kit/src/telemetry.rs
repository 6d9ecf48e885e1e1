//! Logging set-up: `RUST_LOG` filter (default `info`), text or JSON lines on stdout
//! (`LOG_FORMAT`). In JSON, each line carries the fields of its spans (the request
//! id of [`crate::request_trace`] among them).
//!
//! Debug-level spans (a store call, an RS256 signature, a password check) are timed
//! by `span_timing` when `RUST_LOG` enables them (e.g.
//! `info,auth_server=debug`), so the log shows where a request's time went.

use std::io::{BufWriter, IsTerminal};

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Keeps the thread that writes the log lines; dropping it writes out what is still
/// queued. Hold it until the process ends.
#[must_use = "dropping it stops the log writer: hold it until the process ends"]
pub struct LogWriter {
    _guard: Option<WorkerGuard>,
}

/// Lines queued for the writer thread at most. The queue's slots are allocated up
/// front (32 bytes each), so the library's default of 128 000 cost 4 MiB at rest.
const QUEUED_LINES: usize = 16_384;

/// Installs the global subscriber. Colours only on a terminal and without `NO_COLOR`.
/// A second call (tests embedding an app) keeps the first subscriber.
///
/// Lines are formatted on the thread that logs them and written to stdout by a thread
/// of their own, in batches: with one access-log line per request, a `write(2)` per
/// line on the request's own thread cost the resource server about a tenth of its
/// CPU. Nothing is dropped: a full queue makes the logging thread wait.
pub fn init(format: LogFormat) -> LogWriter {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal();
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(QUEUED_LINES)
        .thread_name("log-writer")
        .finish(BufWriter::new(std::io::stdout()));
    let registry = tracing_subscriber::registry().with(filter).with(crate::span_timing::layer());
    let installed = match format {
        LogFormat::Text => {
            registry.with(fmt::layer().with_target(false).with_ansi(ansi).with_writer(writer)).try_init()
        }
        LogFormat::Json => registry.with(fmt::layer().json().with_target(false).with_writer(writer)).try_init(),
    };
    LogWriter { _guard: installed.ok().map(|()| guard) }
}
