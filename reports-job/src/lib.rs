//! The reports job: an example service that calls another service as itself. Every
//! `REPORTS_INTERVAL_MS` it calls `GET /api/documents` on the documents API
//! `REPORTS_CONCURRENCY` times at once, with access tokens of its own client (the
//! client credentials grant) kept and renewed by
//! [`resource_server::client::ServiceClient`], and logs one line per run; on SIGTERM
//! or SIGINT, or after `REPORTS_RUNS` runs, it logs a summary and exits.
//!
//! ```text
//! main            Settings::load, telemetry, ServiceClient::builder(..).build()
//! Job::run        every interval: run_once, until the runs are done or a signal comes
//!   run_once      CONCURRENCY × client.get(documents) at once → Tally
//! exit code       0 when every call got a 2xx, 1 otherwise (or when it cannot start)
//! ```

pub mod job;
pub mod settings;
pub mod tally;
