//! The demo documents API served by the `resource-server` binary: the verifier library
//! (`resource_server::verify`, `resource_server::actix`) behind settings from the
//! environment, logging, operations endpoints and graceful shutdown.

// Request paths must not panic on input, and no lock may be held across an await.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![deny(clippy::await_holding_lock)]

pub mod app;
pub mod settings;
