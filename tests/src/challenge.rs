//! Reading a `WWW-Authenticate` challenge (RFC 9110 §11.6.1, RFC 6750 §3) into its scheme
//! and auth-params, so tests compare parameters rather than header spellings.
//!
//! ```text
//! challenge  = auth-scheme [ 1*SP #auth-param ]
//! auth-param = token BWS "=" BWS ( token / quoted-string )
//! ```

use std::collections::BTreeMap;

/// One challenge: the scheme as sent and its parameters (names lower-cased, values
/// unquoted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub scheme: String,
    pub params: BTreeMap<String, String>,
}

impl Challenge {
    /// Parses a header value holding one challenge; `Err` says what is wrong.
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        let (scheme, mut rest) = value.split_once(' ').unwrap_or((value, ""));
        if scheme.is_empty() || !scheme.bytes().all(is_tchar) {
            return Err(format!("bad auth-scheme in {value:?}"));
        }
        let mut params = BTreeMap::new();
        loop {
            rest = rest.trim_start_matches([' ', ',']);
            if rest.is_empty() {
                break;
            }
            let (name, after) =
                rest.split_once('=').ok_or_else(|| format!("an auth-param without `=` in {value:?}"))?;
            let name = name.trim();
            if name.is_empty() || !name.bytes().all(is_tchar) {
                return Err(format!("bad auth-param name {name:?} in {value:?}"));
            }
            let after = after.trim_start();
            let (param, remainder) = match after.strip_prefix('"') {
                Some(quoted) => unquote(quoted).ok_or_else(|| format!("an unterminated quoted-string in {value:?}"))?,
                None => {
                    let end = after.find([',', ' ']).unwrap_or(after.len());
                    (after[..end].to_owned(), &after[end..])
                }
            };
            if params.insert(name.to_ascii_lowercase(), param).is_some() {
                return Err(format!("auth-param {name:?} repeated in {value:?}"));
            }
            rest = remainder;
        }
        Ok(Challenge { scheme: scheme.to_owned(), params })
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

/// The quoted-string starting after its opening quote: its value and the rest.
fn unquote(text: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return Some((value, &text[at + 1..])),
            '\\' => value.push(chars.next()?.1),
            c => value.push(c),
        }
    }
    None
}

/// RFC 9110 §5.6.2 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_scheme_and_params() {
        let c = Challenge::parse(r#"Bearer realm="api", error="insufficient_scope", scope="a b""#).unwrap();
        assert_eq!(c.scheme, "Bearer");
        assert_eq!(c.param("realm"), Some("api"));
        assert_eq!(c.param("error"), Some("insufficient_scope"));
        assert_eq!(c.param("scope"), Some("a b"));
        let bare = Challenge::parse(r#"Bearer realm="say \"hi\", ok""#).unwrap();
        assert_eq!(bare.params.len(), 1);
        assert_eq!(bare.param("realm"), Some(r#"say "hi", ok"#));
        let token = Challenge::parse("Basic realm=x").unwrap();
        assert_eq!(token.param("realm"), Some("x"));
    }

    #[test]
    fn refuses_broken_challenges() {
        assert!(Challenge::parse(r#"Bearer realm="open"#).is_err());
        assert!(Challenge::parse(r#"Bearer realm="a", realm="b""#).is_err());
        assert!(Challenge::parse("Bearer realm").is_err());
        assert!(Challenge::parse("").is_err());
    }
}
