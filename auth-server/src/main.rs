use std::process::ExitCode;

use auth_server::config::Settings;
use auth_server::startup::Application;
use clap::Parser;

#[actix_web::main]
async fn main() -> ExitCode {
    let settings = Settings::parse();
    auth_server::telemetry::init(&settings.log_format);
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(err) => {
            tracing::error!("cannot start: {err}");
            eprintln!("auth-server: cannot start: {err}");
            return ExitCode::FAILURE;
        }
    };
    match app.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("auth-server: {err}");
            ExitCode::FAILURE
        }
    }
}
