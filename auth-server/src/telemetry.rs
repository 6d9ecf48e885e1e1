//! Logging: `RUST_LOG` filters (default `info`), `LOG_FORMAT` picks text or JSON.

use tracing_subscriber::EnvFilter;

pub fn init(format: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only for a terminal: log files and collectors get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_ansi(ansi);
    // A second init (tests embedding the app) is harmless: keep the first.
    let _ = if format == "json" { builder.json().try_init() } else { builder.try_init() };
}
