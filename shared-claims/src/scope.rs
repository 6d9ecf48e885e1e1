//! Scope sets (RFC 6749 §3.3): space-delimited, case-sensitive, order-free.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A set of scope tokens. Kept sorted so that its printed form is canonical.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeSet(BTreeSet<String>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("scope contains a character outside RFC 6749 section 3.3")]
    InvalidCharacter,
    #[error("scope contains an empty token (repeated or edge spaces)")]
    EmptyToken,
}

impl ScopeSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses the space-delimited form of RFC 6749 §3.3:
    /// `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`, tokens separated by one space.
    pub fn parse(value: &str) -> Result<Self, ScopeError> {
        if value.is_empty() {
            return Ok(Self::default());
        }
        value.split(' ').map(Self::check_token).collect()
    }

    fn check_token(token: &str) -> Result<String, ScopeError> {
        if token.is_empty() {
            return Err(ScopeError::EmptyToken);
        }
        let valid = token.bytes().all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b));
        if valid {
            Ok(token.to_owned())
        } else {
            Err(ScopeError::InvalidCharacter)
        }
    }

    /// Builds a set from individual tokens, checking each one.
    pub fn from_tokens<I, S>(tokens: I) -> Result<Self, ScopeError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        tokens.into_iter().map(|t| Self::check_token(t.as_ref())).collect()
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.contains(scope)
    }

    pub fn is_subset(&self, other: &ScopeSet) -> bool {
        self.0.is_subset(&other.0)
    }

    pub fn intersection(&self, other: &ScopeSet) -> ScopeSet {
        ScopeSet(self.0.intersection(&other.0).cloned().collect())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl FromIterator<String> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = String>>(iter: I) -> Self {
        ScopeSet(iter.into_iter().collect())
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, token) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(token)?;
        }
        Ok(())
    }
}

impl Serialize for ScopeSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ScopeSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        ScopeSet::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_canonically() {
        let set = ScopeSet::parse("b a c").unwrap();
        assert_eq!(set.to_string(), "a b c");
        assert_eq!(set.len(), 3);
        assert!(set.contains("a") && !set.contains("d"));
    }

    #[test]
    fn empty_string_is_empty_set() {
        assert!(ScopeSet::parse("").unwrap().is_empty());
        assert_eq!(ScopeSet::new().to_string(), "");
    }

    #[test]
    fn duplicates_collapse() {
        assert_eq!(ScopeSet::parse("a a").unwrap().len(), 1);
    }

    #[test]
    fn rejects_bad_separators_and_characters() {
        assert_eq!(ScopeSet::parse("a  b"), Err(ScopeError::EmptyToken));
        assert_eq!(ScopeSet::parse(" a"), Err(ScopeError::EmptyToken));
        assert_eq!(ScopeSet::parse("a\"b"), Err(ScopeError::InvalidCharacter));
        assert_eq!(ScopeSet::parse("a\\b"), Err(ScopeError::InvalidCharacter));
        assert_eq!(ScopeSet::parse("a\tb"), Err(ScopeError::InvalidCharacter));
        assert_eq!(ScopeSet::parse("é"), Err(ScopeError::InvalidCharacter));
    }

    #[test]
    fn subset_and_intersection() {
        let all = ScopeSet::parse("read write admin").unwrap();
        let some = ScopeSet::parse("read write").unwrap();
        assert!(some.is_subset(&all));
        assert!(!all.is_subset(&some));
        assert_eq!(all.intersection(&some), some);
    }

    #[test]
    fn serde_uses_the_space_delimited_form() {
        let set = ScopeSet::parse("x y").unwrap();
        assert_eq!(serde_json::to_string(&set).unwrap(), "\"x y\"");
        let back: ScopeSet = serde_json::from_str("\"y x\"").unwrap();
        assert_eq!(back, set);
        assert!(serde_json::from_str::<ScopeSet>("\"x  y\"").is_err());
    }

    #[test]
    fn from_tokens_checks_each_token() {
        assert!(ScopeSet::from_tokens(["a", "b"]).is_ok());
        assert!(ScopeSet::from_tokens(["a b"]).is_err());
    }
}
