//! Process faults, the same for every process of a stack: an auth-server replica, a
//! resource server or the redis-server.
//!
//! ```text
//! AuthServer::start / ResourceServer::start / RedisServer::start_persistent
//! p.kill()              SIGKILL, reaped: mid-request, nothing flushed
//! p.terminate(bound)    SIGTERM, waits up to `bound` for the exit (then kills)
//! p.pause() / resume()  SIGSTOP / SIGCONT: sockets stay open, nothing answers
//! p.restart()           the same settings, the same address and data
//! Relay                 link faults: cut, delay, one direction held (see `relay`)
//! ```
//!
//! Every process belongs to the value that started it and is killed when that value
//! drops, also when the test panics (a paused one too: SIGKILL needs no SIGCONT); a
//! test process that dies without unwinding takes its children with it
//! (`PR_SET_PDEATHSIG`).

use std::future::Future;
use std::process::ExitStatus;
use std::time::Duration;

use crate::{AuthServer, RedisServer, ResourceServer};

/// A process of the stack under test that a fault test may kill, pause or restart.
pub trait StackProcess {
    /// Sends a raw signal to the running process, if it runs.
    fn signal(&mut self, signal: libc::c_int);

    /// SIGKILL: the process dies at once, in the middle of whatever it did; reaped
    /// before this returns, so its port is free.
    fn kill(&mut self);

    /// SIGTERM, then waits up to `timeout` for the exit: its status, or `None` if it
    /// still ran (it is killed then).
    fn terminate(&mut self, timeout: Duration) -> impl Future<Output = Option<ExitStatus>>;

    /// Starts it again with the same settings, on the same address and data; panics,
    /// saying why, if it does not come up.
    fn restart(&mut self) -> impl Future<Output = ()>;

    /// SIGSTOP: the process keeps its sockets (connections succeed, the kernel queues
    /// requests) but does nothing until [`Self::resume`]: a hung process.
    fn pause(&mut self) {
        self.signal(libc::SIGSTOP);
    }

    /// SIGCONT after [`Self::pause`].
    fn resume(&mut self) {
        self.signal(libc::SIGCONT);
    }
}

impl StackProcess for AuthServer {
    fn signal(&mut self, signal: libc::c_int) {
        AuthServer::signal(self, signal);
    }

    fn kill(&mut self) {
        self.stop();
    }

    async fn terminate(&mut self, timeout: Duration) -> Option<ExitStatus> {
        AuthServer::terminate(self, timeout).await
    }

    async fn restart(&mut self) {
        AuthServer::restart(self).await;
    }
}

impl StackProcess for ResourceServer {
    fn signal(&mut self, signal: libc::c_int) {
        ResourceServer::signal(self, signal);
    }

    fn kill(&mut self) {
        self.stop();
    }

    async fn terminate(&mut self, timeout: Duration) -> Option<ExitStatus> {
        ResourceServer::terminate(self, timeout).await
    }

    async fn restart(&mut self) {
        ResourceServer::restart(self).await;
    }
}

impl StackProcess for RedisServer {
    fn signal(&mut self, signal: libc::c_int) {
        RedisServer::signal(self, signal);
    }

    fn kill(&mut self) {
        RedisServer::kill(self);
    }

    async fn terminate(&mut self, timeout: Duration) -> Option<ExitStatus> {
        RedisServer::terminate(self, timeout).await
    }

    async fn restart(&mut self) {
        RedisServer::restart(self).await;
    }
}
