use std::process::ExitCode;

use auth_server::setup::config::Settings;
use auth_server::setup::startup::Application;

#[actix_web::main]
async fn main() -> ExitCode {
    // `auth-server admin ...` is the admin CLI; the server's settings are not read.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if auth_server::admin_cli::is_invoked(&args) {
        return auth_server::admin_cli::run(args).await;
    }
    if let Some(code) = server_kit::probe::run_if_invoked("AUTH_OPS_BIND", auth_server::setup::config::DEFAULT_OPS_BIND)
    {
        return code;
    }
    return_large_allocations_to_the_os();
    let settings = Settings::load();
    let _log_writer = server_kit::telemetry::init(settings.log_format);
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(err) => {
            let err = shared_claims::error_chain(&err);
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

/// glibc serves a freed block larger than its (self-adjusting) mmap threshold from the
/// heap next time and keeps it: each thread that ever ran Argon2 would then hold on to
/// 19 MiB. A fixed threshold keeps such blocks mmapped, so they go back to the OS when
/// freed and the server's memory at rest stays small.
fn return_large_allocations_to_the_os() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning, and glibc makes it thread-safe.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}
