//! What the private Redis says about itself. Commands per operation: `INFO
//! commandstats` read before and after a case, the delta of calls divided by the
//! requests the case sent. Commands that scripts run count too (Redis counts them by
//! name like any other), so a Lua step is its `evalsha` plus what it called. And the
//! size of the data set (keys, memory), to describe a state.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use crate::resp::Redis;

/// Calls by command name (lower case, as Redis reports them).
#[derive(Debug, Clone, Default)]
pub struct CommandStats(pub BTreeMap<String, u64>);

impl CommandStats {
    pub fn read(redis: SocketAddr) -> Result<Self, String> {
        let mut connection = Redis::connect(redis).map_err(|e| format!("redis {redis}: {e}"))?;
        let reply = connection.command(&["INFO", "commandstats"]).map_err(|e| e.to_string())?;
        Ok(Self::parse(&reply.text().unwrap_or_default()))
    }

    /// Lines `cmdstat_<name>:calls=N,usec=...`; the `info` calls are the reading
    /// itself and are left out.
    pub fn parse(text: &str) -> Self {
        let calls = text
            .lines()
            .filter_map(|line| {
                let (name, fields) = line.strip_prefix("cmdstat_")?.split_once(':')?;
                let calls = fields.split(',').find_map(|f| f.strip_prefix("calls="))?.parse().ok()?;
                (name != "info").then(|| (name.to_owned(), calls))
            })
            .collect();
        Self(calls)
    }

    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// What was called since `before`.
    pub fn since(&self, before: &CommandStats) -> CommandStats {
        let delta = self
            .0
            .iter()
            .map(|(name, calls)| (name.clone(), calls.saturating_sub(before.0.get(name).copied().unwrap_or(0))))
            .filter(|(_, calls)| *calls > 0)
            .collect();
        CommandStats(delta)
    }
}

/// Keys held and `used_memory` in MiB.
pub fn dataset(redis: SocketAddr) -> Result<(u64, f64), String> {
    let mut connection = Redis::connect(redis).map_err(|e| format!("redis {redis}: {e}"))?;
    let keys = match connection.command(&["DBSIZE"]).map_err(|e| e.to_string())? {
        crate::resp::Reply::Int(n) => u64::try_from(n).unwrap_or(0),
        other => return Err(format!("DBSIZE answered {other:?}")),
    };
    let info = connection.command(&["INFO", "memory"]).map_err(|e| e.to_string())?.text().unwrap_or_default();
    let bytes: f64 = info
        .lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or("INFO memory has no used_memory")?;
    Ok((keys, bytes / 1024.0 / 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_calls_and_leaves_info_out() {
        let text =
            "# Commandstats\r\ncmdstat_hget:calls=10,usec=5,usec_per_call=0.50,rejected_calls=0,failed_calls=0\r\n\
                    cmdstat_info:calls=3,usec=9,usec_per_call=3.00,rejected_calls=0,failed_calls=0\r\n\
                    cmdstat_evalsha:calls=4,usec=40,usec_per_call=10.00,rejected_calls=0,failed_calls=0\r\n";
        let before = CommandStats::parse(text);
        assert_eq!(before.total(), 14);
        let after = CommandStats::parse(&text.replace("calls=10,", "calls=25,"));
        let delta = after.since(&before);
        assert_eq!(delta.0.into_iter().collect::<Vec<_>>(), vec![("hget".to_owned(), 15)]);
    }
}
