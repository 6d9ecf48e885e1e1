//! Ceiling: RSA-2048 signatures and verifications per second on every core, read from
//! `openssl speed -multi N -seconds S rsa2048`.

use std::process::Command;

#[derive(Debug, Clone, Copy)]
pub struct RsaSpeed {
    pub sign_per_sec: f64,
    pub verify_per_sec: f64,
}

pub fn rsa2048(processes: usize, seconds: u64) -> Result<RsaSpeed, String> {
    let output = Command::new("openssl")
        .args(["speed", "-multi", &processes.to_string(), "-seconds", &seconds.to_string(), "rsa2048"])
        .output()
        .map_err(|e| format!("cannot run openssl: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    parse(&text).ok_or_else(|| format!("no `rsa 2048 bits` summary in openssl's output:\n{text}"))
}

/// The summary line is `rsa 2048 bits <sign s> <verify s> [<encr s> <decr s>] <sign/s> <verify/s> ...`
/// under a header naming the columns; the last such line is the combined figure.
fn parse(text: &str) -> Option<RsaSpeed> {
    let header = text.lines().rfind(|l| l.contains("sign/s") && l.contains("verify/s"))?;
    let names: Vec<&str> = header.split_whitespace().collect();
    let line = text
        .lines()
        .rfind(|l| l.trim_start().starts_with("rsa 2048 bits") || l.trim_start().starts_with("rsa  2048 bits"))?;
    let values: Vec<&str> = line.split_whitespace().skip(3).collect();
    if values.len() != names.len() {
        return None;
    }
    let column = |name: &str| -> Option<f64> {
        let at = names.iter().position(|n| *n == name)?;
        values[at].trim_end_matches('s').parse().ok()
    };
    Some(RsaSpeed { sign_per_sec: column("sign/s")?, verify_per_sec: column("verify/s")? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_openssl3_summary() {
        let text = "                   sign    verify    encrypt   decrypt   sign/s verify/s  encr./s  decr./s\n\
                    rsa 2048 bits 0.000557s 0.000016s 0.000017s 0.000554s   1794.8  62347.1  58710.6   1803.4\n";
        let speed = parse(text).unwrap();
        assert_eq!(speed.sign_per_sec, 1794.8);
        assert_eq!(speed.verify_per_sec, 62347.1);
    }
}
