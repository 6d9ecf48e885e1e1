//! Stopping on SIGTERM (what `docker compose stop` and orchestrators send) or
//! Ctrl-C: the server stops accepting and in-flight requests get a short grace
//! period ([`DRAIN_TIMEOUT`]); each server closes what it holds open for longer (the
//! auth server's revocation feed streams) itself.

use std::time::Duration;

/// How long in-flight requests may take to finish once shutdown starts; whatever is
/// still open then is closed. Well inside the usual 10 s before a SIGKILL.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(1);

/// Resolves on the first SIGTERM or SIGINT.
pub async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = terminate.recv() => tracing::info!("SIGTERM received: shutting down"),
                    _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received: shutting down"),
                }
                return;
            }
            Err(err) => tracing::warn!(error = %err, "cannot listen for SIGTERM; only Ctrl-C stops the server"),
        }
    }
    if tokio::signal::ctrl_c().await.is_ok() {
        tracing::info!("SIGINT received: shutting down");
    } else {
        std::future::pending::<()>().await;
    }
}
