//! The machine a run came from, recorded with its figures (absolute numbers on shared
//! machines drift; the ratios are what travels).

use std::process::Command;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub memory_gib: f64,
    pub kernel: String,
    pub rustc: String,
    pub node: String,
    pub openssl: String,
    pub date_utc: String,
    /// `/proc/loadavg`'s 1-, 5- and 15-minute figures when the run started.
    pub load_at_start: String,
    pub load_at_end: String,
}

impl Machine {
    pub fn read() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map_or_else(|| "unknown".to_owned(), |(_, v)| v.trim().to_owned());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let mem_kib: f64 = meminfo
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        Self {
            cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
            cpu_model,
            memory_gib: (mem_kib / 1024.0 / 1024.0 * 10.0).round() / 10.0,
            kernel: first_line(std::fs::read_to_string("/proc/sys/kernel/osrelease").ok()),
            rustc: command_line("rustc", &["--version"]),
            node: command_line("node", &["--version"]),
            openssl: command_line("openssl", &["version"]),
            date_utc: command_line("date", &["-u", "+%Y-%m-%dT%H:%M:%SZ"]),
            load_at_start: load_average(),
            load_at_end: String::new(),
        }
    }
}

pub fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

fn command_line(program: &str, args: &[&str]) -> String {
    let output = Command::new(program).args(args).output().ok();
    first_line(output.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()))
}

fn first_line(text: Option<String>) -> String {
    text.and_then(|t| t.lines().next().map(|l| l.trim().to_owned()))
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}
