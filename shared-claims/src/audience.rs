//! The `aud` claim (RFC 7519 §4.1.3): one string or an array of strings.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    /// A single audience is printed as a plain string, the form most verifiers expect.
    pub fn from_list(mut values: Vec<String>) -> Self {
        if values.len() == 1 {
            Audience::One(values.remove(0))
        } else {
            Audience::Many(values)
        }
    }

    pub fn contains(&self, audience: &str) -> bool {
        match self {
            Audience::One(value) => value == audience,
            Audience::Many(values) => values.iter().any(|v| v == audience),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let slice: &[String] = match self {
            Audience::One(value) => std::slice::from_ref(value),
            Audience::Many(values) => values,
        };
        slice.iter().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_string_or_an_array() {
        let one: Audience = serde_json::from_str("\"api\"").unwrap();
        assert!(one.contains("api") && !one.contains("other"));
        let many: Audience = serde_json::from_str("[\"a\",\"b\"]").unwrap();
        assert!(many.contains("b") && !many.contains("c"));
        assert!(serde_json::from_str::<Audience>("3").is_err());
    }

    #[test]
    fn a_single_audience_prints_as_a_string() {
        let aud = Audience::from_list(vec!["api".into()]);
        assert_eq!(serde_json::to_string(&aud).unwrap(), "\"api\"");
        let aud = Audience::from_list(vec!["a".into(), "b".into()]);
        assert_eq!(serde_json::to_string(&aud).unwrap(), "[\"a\",\"b\"]");
        assert_eq!(aud.iter().collect::<Vec<_>>(), ["a", "b"]);
    }
}
