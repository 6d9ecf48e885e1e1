//! Waiting for something that becomes true eventually, with a deadline instead of a
//! sleep-and-hope: the one polling loop every crate's tests share.

pub use shared_claims::poll::{poll_until, poll_until_ok, try_poll_until, wait_until};
