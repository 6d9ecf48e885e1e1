//! Where the machine's CPU went during a case: the server under test, Redis, the load
//! generator (this process), everything else, and idle, each as a share of the
//! machine's capacity (wall time × CPUs). A ratio to a ceiling below 1.0 is explained
//! by these shares: the ceilings have the whole machine, a case shares it with its
//! load generator and the kernel's loopback work.

use serde::{Deserialize, Serialize};

/// CPU time of the server under test, Redis, this process and the machine at one
/// instant, in clock ticks (`None`: not there or unreadable).
pub struct CpuSnapshot {
    server: Option<u64>,
    redis: Option<u64>,
    generator: Option<u64>,
    /// Busy and total ticks of all CPUs.
    machine: Option<(u64, u64)>,
}

/// Shares of the machine's CPU capacity over one case, 0.0 to 1.0 each.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CpuShares {
    pub server: Option<f64>,
    pub redis: Option<f64>,
    pub generator: f64,
    /// Busy time not spent in the processes above: other processes, and kernel work
    /// not charged to any of them.
    pub other: f64,
    pub idle: f64,
}

impl CpuSnapshot {
    pub fn take(server: Option<u32>, redis: Option<u32>) -> Self {
        let of = |pid: Option<u32>| pid.and_then(|pid| process_ticks(&format!("/proc/{pid}/stat")));
        CpuSnapshot {
            server: of(server),
            redis: of(redis),
            generator: process_ticks("/proc/self/stat"),
            machine: machine_ticks(),
        }
    }

    /// The shares since `before`, a snapshot of the same processes.
    pub fn shares_since(&self, before: &CpuSnapshot) -> Option<CpuShares> {
        let (busy_now, total_now) = self.machine?;
        let (busy_then, total_then) = before.machine?;
        let total = total_now.checked_sub(total_then).filter(|t| *t > 0)? as f64;
        let share = |now: Option<u64>, then: Option<u64>| Some(now?.checked_sub(then?)? as f64 / total);
        let server = share(self.server, before.server);
        let redis = share(self.redis, before.redis);
        let generator = share(self.generator, before.generator)?;
        let busy = busy_now.checked_sub(busy_then)? as f64 / total;
        let other = busy - server.unwrap_or(0.0) - redis.unwrap_or(0.0) - generator;
        Some(CpuShares { server, redis, generator, other: other.max(0.0), idle: (1.0 - busy).max(0.0) })
    }
}

/// utime + stime of a `/proc/<pid>/stat`, in clock ticks.
fn process_ticks(path: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    // The command name (field 2) may hold spaces; the fields after its `)` are fixed.
    let after_name = &text[text.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    // Fields 3.. start here; utime and stime are fields 14 and 15.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// (busy, total) ticks over all CPUs: `/proc/stat`'s `cpu` line, idle and iowait
/// counted as not busy.
fn machine_ticks() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    let values: Vec<u64> = line.split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user).
    let total: u64 = values.iter().take(8).sum();
    let idle = values.get(3)? + values.get(4).copied().unwrap_or(0);
    Some((total - idle, total))
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[test]
    fn reads_this_process_and_the_machine() {
        let before = CpuSnapshot::take(Some(std::process::id()), None);
        // Burn some CPU so the figures move.
        let started = Instant::now();
        let mut x = 0u64;
        while started.elapsed().as_millis() < 200 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        assert_ne!(x, 7);
        let after = CpuSnapshot::take(Some(std::process::id()), None);
        let shares = after.shares_since(&before).unwrap();
        assert!(shares.server.unwrap() > 0.0, "this process used CPU");
        assert!(shares.redis.is_none());
        assert!(shares.generator > 0.0);
        assert!((0.0..=1.0).contains(&shares.idle) && shares.other >= 0.0);
    }
}
