//! Strict `application/x-www-form-urlencoded` parsing for the OAuth endpoints.
//!
//! RFC 6749 §3.2 and §3.1: parameters sent without a value are treated as omitted,
//! and request parameters must not be included more than once. Values must decode to
//! UTF-8 (RFC 6749 Appendix B); anything else is a malformed request, never a
//! lossy guess.

use std::collections::HashMap;

use percent_encoding::percent_decode;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("parameter {0} is repeated")]
    Repeated(String),
    #[error("the form body is not valid UTF-8 after decoding")]
    NotUtf8,
}

/// Decoded form parameters. Names listed in `multi` may repeat (e.g. RFC 8707
/// `resource`); every other repeated name is an error.
#[derive(Debug, Default)]
pub struct FormParams {
    single: HashMap<String, String>,
    multi: HashMap<String, Vec<String>>,
}

impl FormParams {
    pub fn parse(body: &[u8], multi: &[&str]) -> Result<Self, FormError> {
        let mut params = FormParams::default();
        for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &b""[..]),
            };
            let name = decode(name)?;
            let value = decode(value)?;
            if multi.contains(&name.as_str()) {
                if !value.is_empty() {
                    params.multi.entry(name).or_default().push(value);
                }
                continue;
            }
            // §3.1/§3.2: a parameter without a value is as if omitted, so it can
            // neither be repeated nor repeat another.
            if value.is_empty() {
                continue;
            }
            if params.single.contains_key(&name) {
                // The name is echoed in the error: keep what a client controls short.
                return Err(FormError::Repeated(name.chars().take(64).collect()));
            }
            params.single.insert(name, value);
        }
        Ok(params)
    }

    /// The value of `name`; an empty value counts as absent (RFC 6749 §3.2).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.single.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    pub fn get_all(&self, name: &str) -> &[String] {
        self.multi.get(name).map(Vec::as_slice).unwrap_or(&[])
    }
}

fn decode(raw: &[u8]) -> Result<String, FormError> {
    let spaced: Vec<u8> = raw.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect();
    let bytes: Vec<u8> = percent_decode(&spaced).collect();
    String::from_utf8(bytes).map_err(|_| FormError::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_plus_and_percent() {
        let form = FormParams::parse(b"a=x+y&b=%2F%C3%A9&c=", &[]).unwrap();
        assert_eq!(form.get("a"), Some("x y"));
        assert_eq!(form.get("b"), Some("/é"));
        assert_eq!(form.get("c"), None);
        assert_eq!(form.get("d"), None);
    }

    #[test]
    fn refuses_repeats_except_multi_names() {
        assert_eq!(FormParams::parse(b"a=1&a=2", &[]).unwrap_err(), FormError::Repeated("a".into()));
        let form = FormParams::parse(b"resource=x&resource=y", &["resource"]).unwrap();
        assert_eq!(FormParams::parse(b"scope=&scope=x", &[]).unwrap().get("scope"), Some("x"));
        assert_eq!(form.get_all("resource"), ["x", "y"]);
    }

    #[test]
    fn refuses_non_utf8() {
        assert_eq!(FormParams::parse(b"a=%FF", &[]).unwrap_err(), FormError::NotUtf8);
        assert_eq!(FormParams::parse(b"a=\xff", &[]).unwrap_err(), FormError::NotUtf8);
    }
}
