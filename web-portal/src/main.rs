//! The `web-portal` binary: the documents portal and its one-page UI.

use std::process::ExitCode;

use web_portal::app::Application;
use web_portal::settings::Settings;

#[actix_web::main]
async fn main() -> ExitCode {
    // The portal serves /readyz on its one listener.
    if let Some(code) = server_kit::probe::run_if_invoked("PORTAL_BIND", web_portal::settings::DEFAULT_BIND) {
        return code;
    }
    let settings = Settings::load();
    let _log_writer = server_kit::telemetry::init(settings.log_format);
    let app = match Application::build(&settings) {
        Ok(app) => app,
        Err(err) => {
            tracing::error!("cannot start: {err}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!("listening on http://{}", app.local_addr());
    tracing::info!(public_url = %settings.public_url, "browsers reach the portal at its public URL");
    match app.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("server failed: {err}");
            ExitCode::FAILURE
        }
    }
}
