//! Reading a refusal's `WWW-Authenticate` value (RFC 7235 §4.1): does a `Bearer`
//! challenge in it say `error="invalid_token"` (RFC 6750 §3.1), the one refusal a new
//! token can cure? Clients of resource servers (a service client, a browser app's
//! backend) ask this before they renew a token and retry.

/// Whether the header value holds a `Bearer` challenge whose `error` is
/// `invalid_token`. Scheme and parameter names are case-insensitive, the value may be a
/// token or a quoted string, and several challenges may share the header value.
pub fn is_invalid_token_challenge(header_value: &str) -> bool {
    bearer_error(header_value).any(|error| error == "invalid_token")
}

/// The `error` values of the `Bearer` challenges in one header value.
fn bearer_error(header: &str) -> impl Iterator<Item = String> + '_ {
    let mut lexer = Lexer { rest: header };
    let mut in_bearer = false;
    std::iter::from_fn(move || loop {
        lexer.skip(|c| c == ' ' || c == '\t' || c == ',');
        if lexer.rest.is_empty() {
            return None;
        }
        let Some(name) = lexer.token() else {
            // Not a token (a token68's padding, stray punctuation): step over it.
            lexer.advance(1);
            continue;
        };
        lexer.skip(|c| c == ' ' || c == '\t');
        if !lexer.rest.starts_with('=') {
            in_bearer = name.eq_ignore_ascii_case("bearer");
            continue;
        }
        lexer.advance(1);
        lexer.skip(|c| c == ' ' || c == '\t');
        let value = lexer.value();
        if in_bearer && name.eq_ignore_ascii_case("error") {
            return Some(value);
        }
    })
}

struct Lexer<'a> {
    rest: &'a str,
}

impl<'a> Lexer<'a> {
    fn skip(&mut self, what: impl Fn(char) -> bool) {
        self.rest = self.rest.trim_start_matches(what);
    }

    fn advance(&mut self, bytes: usize) {
        let at = self.rest.char_indices().nth(bytes).map_or(self.rest.len(), |(i, _)| i);
        self.rest = &self.rest[at..];
    }

    /// An RFC 9110 §5.6.2 token.
    fn token(&mut self) -> Option<&'a str> {
        let end = self.rest.find(|c: char| !is_tchar(c)).unwrap_or(self.rest.len());
        let (token, rest) = self.rest.split_at(end);
        self.rest = rest;
        (!token.is_empty()).then_some(token)
    }

    /// A token or a quoted string (RFC 9110 §5.6.4), unescaped.
    fn value(&mut self) -> String {
        let Some(quoted) = self.rest.strip_prefix('"') else {
            return self.token().unwrap_or_default().to_owned();
        };
        let mut value = String::new();
        let mut chars = quoted.char_indices();
        while let Some((at, c)) = chars.next() {
            match c {
                '"' => {
                    self.rest = &quoted[at + 1..];
                    return value;
                }
                '\\' => value.extend(chars.next().map(|(_, escaped)| escaped)),
                c => value.push(c),
            }
        }
        // Unterminated: the rest of the header was the value.
        self.rest = "";
        value
    }
}

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_code_in_a_bearer_challenge() {
        assert!(is_invalid_token_challenge(r#"Bearer realm="documents-api", error="invalid_token""#));
        assert!(is_invalid_token_challenge(r#"Basic realm="x", Bearer error="invalid_token""#));
        assert!(is_invalid_token_challenge(r#"Bearer error="invalid_token"#), "unterminated, to the end");
    }

    #[test]
    fn a_quoted_lookalike_or_another_scheme_is_not_it() {
        assert!(!is_invalid_token_challenge(r#"Bearer realm="error=\"invalid_token\"""#));
        assert!(!is_invalid_token_challenge(r#"Basic error="invalid_token""#));
        assert!(!is_invalid_token_challenge(r#"Bearer error="insufficient_scope", scope="documents:read""#));
    }
}
