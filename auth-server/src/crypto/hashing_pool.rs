//! A fixed pool of threads for Argon2id, so that password hashing never runs on the
//! request executor, never more at once than there are threads, and each thread keeps
//! one working-memory buffer (19 MiB at our parameters) instead of allocating and
//! faulting in a fresh one per login. A thread idle for [`IDLE_RELEASE`] frees its
//! buffer, so the server's memory at rest stays small.
//!
//! The queue in front of the threads is bounded: when it is full the work is refused
//! at once ([`PoolError::Busy`], answered 503), so a flood of logins costs the flooder
//! rather than every queued user.

use std::time::Duration;

use argon2::Block;
use crossbeam_channel::{bounded, RecvTimeoutError, Sender, TrySendError};

const IDLE_RELEASE: Duration = Duration::from_secs(10);

/// Argon2's working memory, owned by one pool thread.
pub(crate) type Memory = Vec<Block>;

type Job = Box<dyn FnOnce(&mut Memory) + Send>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PoolError {
    #[error("too many password checks are waiting")]
    Busy,
    #[error("the password hashing threads are gone")]
    Closed,
}

pub(crate) struct HashingPool {
    jobs: Sender<Job>,
}

impl HashingPool {
    /// `threads` hashing threads, and room for `queue` waiting jobs.
    pub(crate) fn new(threads: usize, queue: usize) -> std::io::Result<Self> {
        let (jobs, waiting) = bounded::<Job>(queue.max(1));
        for index in 0..threads.max(1) {
            let waiting = waiting.clone();
            std::thread::Builder::new().name(format!("argon2-{index}")).spawn(move || {
                let mut memory = Memory::new();
                loop {
                    match waiting.recv_timeout(IDLE_RELEASE) {
                        Ok(job) => job(&mut memory),
                        Err(RecvTimeoutError::Timeout) => memory = Memory::new(),
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
            })?;
        }
        Ok(Self { jobs })
    }

    /// Runs `work` on a pool thread with that thread's memory. A caller that goes
    /// away does not cancel queued work; its result is dropped.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Memory) -> T + Send + 'static,
    ) -> Result<T, PoolError> {
        self.submit(work)?.await.map_err(|_| PoolError::Closed)
    }

    /// Queues `work` now, or refuses it when the queue is full.
    fn submit<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Memory) -> T + Send + 'static,
    ) -> Result<tokio::sync::oneshot::Receiver<T>, PoolError> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |memory| {
            let _ = done.send(work(memory));
        });
        self.jobs.try_send(job).map_err(|err| match err {
            TrySendError::Full(_) => PoolError::Busy,
            TrySendError::Disconnected(_) => PoolError::Closed,
        })?;
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_work_and_refuses_when_full() {
        let pool = HashingPool::new(1, 1).unwrap();
        assert_eq!(pool.run(|memory| memory.len() + 41).await, Ok(41));

        // Hold the only thread, fill the one queue slot: the next job is refused.
        let (started, has_started) = std::sync::mpsc::channel::<()>();
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let busy = pool
            .submit(move |_| {
                started.send(()).unwrap();
                hold.recv().is_ok()
            })
            .unwrap();
        has_started.recv().unwrap();
        let queued = pool.submit(|_| 1).unwrap();
        assert_eq!(pool.submit(|_| 2).err(), Some(PoolError::Busy));
        release.send(()).unwrap();
        assert_eq!(busy.await, Ok(true));
        assert_eq!(queued.await, Ok(1));
    }
}
