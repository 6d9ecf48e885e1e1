//! The documents API's URL for a request to `/api/{tail}`, built so that nothing in
//! the browser's path can leave the API's `/api/` tree or add a query or fragment.
//!
//! The raw (still percent-encoded) path is split on `/`; each segment is decoded and
//! refused when it is a dot segment (RFC 3986 §5.2.4 would remove it and climb out of
//! `/api/`) or holds a character that would end the path or the segment (`?`, `#`,
//! `/`, `\`, which some servers treat as `/`) or a control character. The segments are
//! then re-encoded one by one, and the raw query is passed on as it came.

use oauth2::url::Url;
use percent_encoding::percent_decode_str;

/// Why a path cannot be forwarded.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Refused;

/// `api_base` + `/api/` + the segments of `raw_path` after its `/api/`, with `raw_query`.
pub(crate) fn upstream_url(api_base: &Url, raw_path: &str, raw_query: Option<&str>) -> Result<Url, Refused> {
    let tail = raw_path.strip_prefix("/api/").ok_or(Refused)?;
    let mut segments = Vec::new();
    for raw in tail.split('/') {
        let decoded = percent_decode_str(raw).decode_utf8().map_err(|_| Refused)?;
        let bad_char = |c: char| matches!(c, '/' | '\\' | '?' | '#') || c.is_control();
        if decoded == "." || decoded == ".." || decoded.chars().any(bad_char) {
            return Err(Refused);
        }
        segments.push(decoded);
    }
    let mut url = api_base.clone();
    let prefix = format!("{}/api/", api_base.path().trim_end_matches('/'));
    url.path_segments_mut()
        .map_err(|()| Refused)?
        .pop_if_empty()
        .push("api")
        .extend(segments.iter().map(|s| s.as_ref()));
    url.set_query(raw_query.filter(|q| !q.is_empty()));
    url.set_fragment(None);
    // Whatever the checks above missed, the answer goes to the API's `/api/` or nowhere.
    if url.origin() != api_base.origin() || !url.path().starts_with(&prefix) {
        return Err(Refused);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(path: &str, query: Option<&str>) -> Result<String, Refused> {
        let base = Url::parse("http://127.0.0.1:8081").unwrap();
        upstream_url(&base, path, query).map(String::from)
    }

    #[test]
    fn ordinary_paths_and_queries_pass_unchanged() {
        assert_eq!(build("/api/me", None).unwrap(), "http://127.0.0.1:8081/api/me");
        assert_eq!(build("/api/documents/", None).unwrap(), "http://127.0.0.1:8081/api/documents/");
        assert_eq!(
            build("/api/documents/a%20b", Some("q=x%26y&n=1")).unwrap(),
            "http://127.0.0.1:8081/api/documents/a%20b?q=x%26y&n=1"
        );
        let based = upstream_url(&Url::parse("http://h:1/base/").unwrap(), "/api/x", None).unwrap();
        assert_eq!(based.as_str(), "http://h:1/base/api/x");
    }

    #[test]
    fn escapes_are_refused() {
        for path in [
            "/api/..",
            "/api/../admin",
            "/api/.",
            "/api/%2e%2e/admin",
            "/api/%2E%2e",
            "/api/.%2e/admin",
            "/api/docs/%2e",
            "/api/..%5Cadmin",
            "/api/a\\b",
            "/api/docs%3Fa=b",
            "/api/docs%23",
            "/api/a%2Fb",
            "/api/a%0Ab",
            "/api/a%00",
            "/api/%ff",
            "/admin",
        ] {
            assert_eq!(build(path, None), Err(Refused), "{path}");
        }
    }
}
