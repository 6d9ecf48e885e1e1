//! Resident memory (`VmRSS` of `/proc/<pid>/status`) of the processes under test: read
//! at rest, and sampled for the peak while a load runs.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// `VmRSS` in KiB, or `None` if the process is gone.
pub fn vm_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Samples the RSS of some processes every `interval` until stopped; keeps the peak.
pub struct PeakSampler {
    stop: Arc<AtomicBool>,
    peaks: Arc<Mutex<BTreeMap<u32, u64>>>,
    task: tokio::task::JoinHandle<()>,
}

impl PeakSampler {
    pub fn start(pids: Vec<u32>, interval: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peaks = Arc::new(Mutex::new(BTreeMap::new()));
        let task = tokio::spawn({
            let (stop, peaks) = (stop.clone(), peaks.clone());
            async move {
                while !stop.load(Ordering::Relaxed) {
                    for &pid in &pids {
                        if let Some(kib) = vm_rss_kib(pid) {
                            let mut peaks = peaks.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                            let peak = peaks.entry(pid).or_insert(0);
                            *peak = (*peak).max(kib);
                        }
                    }
                    tokio::time::sleep(interval).await;
                }
            }
        });
        Self { stop, peaks, task }
    }

    /// Peak KiB by pid.
    pub async fn finish(self) -> BTreeMap<u32, u64> {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        let peaks = self.peaks.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        peaks.clone()
    }
}
