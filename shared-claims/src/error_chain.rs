//! An error with its causes in one line, for logs and start-up messages: errors keep
//! their causes as [`std::error::Error::source`] rather than in their own text.

use std::error::Error;

/// `err` and each of its causes, outermost first, joined with `": "`. A cause that
/// reads exactly like the error it caused (a wrapper that shows its source's text,
/// as some library errors do) is written once.
pub fn error_chain(err: &(dyn Error + 'static)) -> String {
    let mut last = err.to_string();
    let mut text = last.clone();
    let mut cause = err.source();
    while let Some(next) = cause {
        let next_text = next.to_string();
        if next_text != last {
            text.push_str(": ");
            text.push_str(&next_text);
        }
        last = next_text;
        cause = next.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn joins_every_cause() {
        let err = Outer(std::io::Error::other("inner"));
        assert_eq!(error_chain(&err), "outer: inner");
        assert_eq!(error_chain(&std::io::Error::other("alone")), "alone");
    }

    #[derive(Debug, thiserror::Error)]
    #[error("{0}")]
    struct ShowsItsSource(#[source] std::io::Error);

    #[test]
    fn a_cause_that_repeats_its_wrapper_is_written_once() {
        let err = Outer(std::io::Error::other(ShowsItsSource(std::io::Error::other("refused"))));
        assert_eq!(error_chain(&err), "outer: refused");
    }
}
