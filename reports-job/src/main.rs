//! The `reports-job` binary: see the crate's documentation.

use std::process::ExitCode;

use reports_job::job::Job;
use reports_job::settings::{Settings, SettingsError};
use resource_server::client::ServiceClient;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let settings = Settings::load();
    let _log_writer = server_kit::telemetry::init(settings.log_format);
    let job = match start(&settings) {
        Ok(job) => job,
        Err(err) => {
            tracing::error!("cannot start: {}", shared_claims::error_chain(err.as_ref()));
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(
        api_url = %settings.api_url,
        client_id = %settings.client_id,
        concurrency = settings.concurrency,
        interval_ms = settings.interval_ms,
        runs = settings.runs,
        "reports job started"
    );
    let summary = job.run(server_kit::shutdown::signal()).await;
    job.log_summary(&summary);
    if summary.tally.all_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn start(settings: &Settings) -> Result<Job, Box<dyn std::error::Error>> {
    settings.validate()?;
    let secret = settings.client_secret.clone().ok_or(SettingsError::MissingClientSecret)?;
    let mut builder = ServiceClient::builder(settings.client_id.clone(), secret)
        .auth_url(settings.auth_url.clone())
        .scope(settings.scope.clone());
    if let Some(issuer) = settings.issuer.as_deref().filter(|issuer| !issuer.is_empty()) {
        builder = builder.issuer(issuer);
    }
    let client = builder.build()?;
    Ok(Job::new(client, settings.documents_url()?, settings.concurrency, settings.interval(), settings.runs))
}
