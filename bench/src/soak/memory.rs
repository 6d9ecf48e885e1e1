//! Resident memory over time (`VmRSS` of every process, sampled every few seconds)
//! and the flatness verdict.
//!
//! **Flat after warm-up** means: the mean RSS over the last third of the run is at
//! most [`GROWTH_LIMIT`] (10%) above the mean over the middle third, or at most
//! [`NOISE_FLOOR_MIB`] (1 MiB) above it. The first third is warm-up: caches fill
//! (verified tokens, introspection answers), the revocation views grow until records
//! start expiring (one access-token lifetime), allocator arenas settle. After that,
//! everything the servers keep is bounded by design, so the middle and last thirds
//! should match. 10% of a 20 MiB process over a third of a 10-minute run at ~40
//! requests/s is about 260 bytes kept per request: a per-request leak of that size or
//! more fails the verdict, while allocator and page-level noise (a few percent, or a
//! few hundred KiB for a small process like Redis) does not.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::rss::vm_rss_kib;
use crate::topology::Service;

pub const GROWTH_LIMIT: f64 = 0.10;
pub const NOISE_FLOOR_MIB: f64 = 1.0;

/// RSS samples of every process, at common instants.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Series {
    /// Seconds from the start of the soak.
    pub times_s: Vec<f64>,
    pub processes: Vec<ProcessSeries>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProcessSeries {
    pub name: String,
    /// MiB at each of `times_s`; `None` when the process was gone.
    pub rss_mib: Vec<Option<f64>>,
}

/// One process's verdict.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flatness {
    pub process: String,
    /// The first sample (start of the load).
    pub start_mib: Option<f64>,
    /// Means over the middle and the last third.
    pub warm_mib: Option<f64>,
    pub end_mib: Option<f64>,
    /// The last sample.
    pub last_mib: Option<f64>,
    pub growth_pct: Option<f64>,
    pub flat: bool,
}

/// Samples every `interval` until `until`.
pub async fn sample(processes: Vec<Service>, start: Instant, until: Instant, interval: Duration) -> Series {
    let mut series = Series {
        times_s: Vec::new(),
        processes: processes.iter().map(|p| ProcessSeries { name: p.name.clone(), rss_mib: Vec::new() }).collect(),
    };
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let now = Instant::now();
        series.times_s.push(now.duration_since(start).as_secs_f64());
        for (process, row) in processes.iter().zip(&mut series.processes) {
            row.rss_mib.push(vm_rss_kib(process.pid).map(|kib| kib as f64 / 1024.0));
        }
        if now >= until {
            return series;
        }
    }
}

impl Series {
    pub fn verdicts(&self) -> Vec<Flatness> {
        let end = self.times_s.last().copied().unwrap_or(0.0);
        self.processes.iter().map(|p| flatness(&self.times_s, p, end)).collect()
    }
}

fn flatness(times: &[f64], process: &ProcessSeries, end: f64) -> Flatness {
    let third = end / 3.0;
    let mean_between = |from: f64, to: f64| {
        let values: Vec<f64> = times
            .iter()
            .zip(&process.rss_mib)
            .filter(|(t, _)| **t >= from && **t <= to)
            .filter_map(|(_, v)| *v)
            .collect();
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    };
    let warm = mean_between(third, 2.0 * third);
    let late = mean_between(2.0 * third, end);
    let growth_pct = match (warm, late) {
        (Some(w), Some(l)) if w > 0.0 => Some((l - w) / w * 100.0),
        _ => None,
    };
    let flat = match (warm, late) {
        (Some(w), Some(l)) => l <= w * (1.0 + GROWTH_LIMIT) || l - w <= NOISE_FLOOR_MIB,
        _ => false,
    };
    // A process that died during the soak is not flat, whatever its samples said.
    let alive = process.rss_mib.last().is_some_and(Option::is_some);
    Flatness {
        process: process.name.clone(),
        start_mib: process.rss_mib.first().copied().flatten(),
        warm_mib: warm,
        end_mib: late,
        last_mib: process.rss_mib.last().copied().flatten(),
        growth_pct,
        flat: flat && alive,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(values: &[f64]) -> (Vec<f64>, ProcessSeries) {
        let times = (0..values.len()).map(|i| i as f64).collect();
        (times, ProcessSeries { name: "p".into(), rss_mib: values.iter().map(|v| Some(*v)).collect() })
    }

    #[test]
    fn warm_up_growth_does_not_count_and_late_growth_does() {
        // Grows in the first third, then steady: flat.
        let (t, p) = series(&[10.0, 20.0, 30.0, 40.0, 40.0, 41.0, 40.0, 41.0, 40.0, 41.0]);
        let verdict = flatness(&t, &p, 9.0);
        assert!(verdict.flat, "{verdict:?}");
        // Keeps growing: not flat.
        let (t, p) = series(&[40.0, 44.0, 48.0, 52.0, 56.0, 60.0, 64.0, 68.0, 72.0, 76.0]);
        assert!(!flatness(&t, &p, 9.0).flat);
        // A small process moving by less than the noise floor: flat.
        let (t, p) = series(&[4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.6, 4.6, 4.8, 4.8]);
        assert!(flatness(&t, &p, 9.0).flat);
    }

    #[test]
    fn a_process_gone_is_not_flat() {
        let (t, mut p) = series(&[10.0; 10]);
        p.rss_mib[9] = None;
        assert!(!flatness(&t, &p, 9.0).flat);
    }
}
