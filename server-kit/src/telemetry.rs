//! Logging set-up: `RUST_LOG` filter (default `info`), text or JSON lines on stdout
//! (`LOG_FORMAT`). In JSON, each line carries the fields of its spans (the request
//! id of [`crate::request_trace`] among them).
//!
//! Debug-level spans (a store call, an RS256 signature, a password check) are timed
//! by `span_timing` when `RUST_LOG` enables them (e.g.
//! `info,auth_server=debug`), so the log shows where a request's time went.

use std::io::IsTerminal;

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

/// Installs the global subscriber. Colours only on a terminal and without `NO_COLOR`.
/// A second call (tests embedding an app) keeps the first subscriber.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal();
    let registry = tracing_subscriber::registry().with(filter).with(crate::span_timing::layer());
    let _ = match format {
        LogFormat::Text => registry.with(fmt::layer().with_target(false).with_ansi(ansi)).try_init(),
        LogFormat::Json => registry.with(fmt::layer().json().with_target(false)).try_init(),
    };
}
