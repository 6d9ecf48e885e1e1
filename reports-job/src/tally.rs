//! Counting what the calls got: a 2xx, a 401 after the client's one retry, or anything
//! else (another status, no token, no answer).

use std::ops::AddAssign;

use reqwest::{Response, StatusCode};
use resource_server::client::ClientError;

/// What one call got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// 401 although the client renewed its token and tried again: the token is not
    /// accepted at all (wrong audience, wrong issuer, a clock far off).
    Unauthorized,
    /// Any other status, no token from the auth server, or no answer.
    Failed,
}

impl Outcome {
    pub fn of(result: &Result<Response, ClientError>) -> Self {
        match result {
            Ok(response) if response.status().is_success() => Outcome::Ok,
            Ok(response) if response.status() == StatusCode::UNAUTHORIZED => Outcome::Unauthorized,
            _ => Outcome::Failed,
        }
    }
}

/// Calls counted by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub ok: u64,
    pub unauthorized: u64,
    pub failed: u64,
}

impl Tally {
    pub fn count(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Ok => self.ok += 1,
            Outcome::Unauthorized => self.unauthorized += 1,
            Outcome::Failed => self.failed += 1,
        }
    }

    pub fn calls(&self) -> u64 {
        self.ok + self.unauthorized + self.failed
    }

    /// Every call got a 2xx.
    pub fn all_ok(&self) -> bool {
        self.ok == self.calls()
    }
}

impl AddAssign for Tally {
    fn add_assign(&mut self, other: Self) {
        self.ok += other.ok;
        self.unauthorized += other.unauthorized;
        self.failed += other.failed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_adds() {
        let mut run = Tally::default();
        for outcome in [Outcome::Ok, Outcome::Ok, Outcome::Unauthorized, Outcome::Failed] {
            run.count(outcome);
        }
        assert_eq!(run, Tally { ok: 2, unauthorized: 1, failed: 1 });
        assert!(!run.all_ok());
        let mut total = Tally { ok: 1, ..Tally::default() };
        assert!(total.all_ok());
        total += run;
        assert_eq!((total.calls(), total.ok), (5, 3));
        assert!(Tally::default().all_ok(), "no call, no failure");
    }
}
