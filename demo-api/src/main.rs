//! The `resource-server` binary: the demo API behind bearer-token checks.

use std::process::ExitCode;

use resource_server_demo::app::Application;
use resource_server_demo::settings::Settings;

#[actix_web::main]
async fn main() -> ExitCode {
    if let Some(code) =
        server_kit::probe::run_if_invoked("RS_OPS_BIND", resource_server_demo::settings::DEFAULT_OPS_BIND)
    {
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
    tracing::info!("operational endpoints on http://{}", app.ops_addr());
    match app.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("server failed: {err}");
            ExitCode::FAILURE
        }
    }
}
