//! A secret string (a password, a client secret, a key) that cannot be printed by
//! accident: one type for every party.

use std::fmt;
use std::str::FromStr;

/// Holds a credential (a user's password, a client secret, `RS_CLIENT_SECRET`). `Debug` and `Display` print
/// `[redacted]`, so a settings struct or an error can be logged whole without leaking
/// it; the value is reached only through [`Secret::expose`], which is easy to grep for.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself. Call it only where the value is sent to its one recipient.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `candidate` is this secret, compared without an early exit so the time
    /// taken does not tell where they differ (lengths are not secret).
    pub fn matches(&self, candidate: &str) -> bool {
        let (ours, theirs) = (self.0.as_bytes(), candidate.as_bytes());
        let difference = ours.iter().zip(theirs).fold(0u8, |acc, (a, b)| std::hint::black_box(acc | (a ^ b)));
        ours.len() == theirs.len() && difference == 0
    }
}

/// Equality of secrets is constant-time too: see [`Secret::matches`].
impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.matches(&other.0)
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Settings files and JSON bodies carry secrets as plain strings.
impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        <String as serde::Deserialize>::deserialize(deserializer).map(Secret::new)
    }
}

impl FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_only_the_same_value() {
        let secret = Secret::new("s3cret-value");
        assert!(secret.matches("s3cret-value"));
        assert!(!secret.matches("s3cret-valuE"));
        assert!(!secret.matches("s3cret-value-longer"));
        assert!(!secret.matches(""));
        assert_eq!(secret, Secret::new("s3cret-value"));
        assert_ne!(secret, Secret::new("other"));
    }

    #[test]
    fn never_prints_the_value() {
        let secret = Secret::new("hunter2");
        assert!(!format!("{secret:?} {secret}").contains("hunter2"));
        assert_eq!(secret.expose(), "hunter2");
    }
}
