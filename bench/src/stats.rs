//! Latency percentiles from the raw samples of a run.

use serde::{Deserialize, Serialize};

/// Milliseconds.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Latency {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub samples: usize,
}

impl Latency {
    /// `None` without samples. Sorts `samples_us` in place.
    pub fn of_micros(samples_us: &mut [u32]) -> Option<Self> {
        if samples_us.is_empty() {
            return None;
        }
        samples_us.sort_unstable();
        let ms = |us: u32| f64::from(us) / 1000.0;
        Some(Self {
            p50_ms: ms(percentile(samples_us, 50.0)),
            p99_ms: ms(percentile(samples_us, 99.0)),
            max_ms: ms(samples_us[samples_us.len() - 1]),
            samples: samples_us.len(),
        })
    }
}

/// Nearest-rank percentile of sorted samples.
pub fn percentile(sorted: &[u32], pct: f64) -> u32 {
    let rank = ((pct / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let sorted: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&sorted, 50.0), 50);
        assert_eq!(percentile(&sorted, 99.0), 99);
        assert_eq!(percentile(&[7], 99.0), 7);
    }
}
