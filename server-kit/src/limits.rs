//! Connection limits of the public listeners: a client gets [`CLIENT_REQUEST_TIMEOUT`]
//! to send a request head (then 408), an idle keep-alive connection is closed after
//! [`KEEP_ALIVE`], and each worker holds at most [`MAX_CONNECTIONS`] connections (more
//! wait in the listen backlog). Request bodies have their own deadline
//! ([`crate::body_deadline`]).

use std::time::Duration;

pub const CLIENT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
pub const CLIENT_DISCONNECT_TIMEOUT: Duration = Duration::from_secs(1);
pub const KEEP_ALIVE: Duration = Duration::from_secs(5);
pub const MAX_CONNECTIONS: usize = 10_000;
