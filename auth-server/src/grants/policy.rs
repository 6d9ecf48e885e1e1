//! What a token may carry: scopes (RFC 6749 §3.3) and audiences (RFC 8707).

use shared_claims::{ErrorCode, OAuthError, ScopeSet};

use crate::store::ClientRecord;

/// Resolves the `scope` parameter against what may be granted. Absent: everything
/// allowed. Present: must be a subset, or the request is `invalid_scope`.
pub(crate) fn grant_scope(requested: Option<&str>, allowed: &ScopeSet) -> Result<ScopeSet, OAuthError> {
    let Some(requested) = requested else {
        return Ok(allowed.clone());
    };
    let requested = ScopeSet::parse(requested).map_err(|e| OAuthError::invalid_scope(e.to_string()))?;
    if requested.is_subset(allowed) {
        Ok(requested)
    } else {
        Err(OAuthError::invalid_scope("the requested scope exceeds what may be granted"))
    }
}

/// The audiences of a client's tokens: its registered `audiences`, narrowed by
/// `resource` parameters. Empty means "the issuer itself" (tokens for the admin API).
pub(crate) fn audiences(client: &ClientRecord, resources: &[String]) -> Result<Vec<String>, OAuthError> {
    if resources.is_empty() {
        return Ok(client.audiences.clone());
    }
    if let Some(unknown) = resources.iter().find(|r| !client.audiences.contains(r)) {
        return Err(OAuthError::new(ErrorCode::InvalidTarget, "a requested resource is not allowed for this client")
            .with_detail(format!("resource {unknown:?}")));
    }
    let mut narrowed = Vec::with_capacity(resources.len());
    for resource in resources {
        if !narrowed.contains(resource) {
            narrowed.push(resource.clone());
        }
    }
    Ok(narrowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(s: &str) -> ScopeSet {
        ScopeSet::parse(s).unwrap()
    }

    #[test]
    fn scope_defaults_to_everything_allowed_and_narrows() {
        let allowed = set("a b");
        assert_eq!(grant_scope(None, &allowed).unwrap(), allowed);
        assert_eq!(grant_scope(Some("a"), &allowed).unwrap(), set("a"));
        assert_eq!(grant_scope(Some("a c"), &allowed).unwrap_err().body().error, "invalid_scope");
        assert_eq!(grant_scope(Some("a  b"), &allowed).unwrap_err().body().error, "invalid_scope");
    }

    #[test]
    fn resources_narrow_the_audience() {
        let client = ClientRecord {
            client_id: "c".into(),
            secret_sha256: None,
            grant_types: vec![],
            scopes: ScopeSet::new(),
            audiences: vec!["x".into(), "y".into()],
            serves: vec![],
            registration: String::new(),
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            display_name: None,
        };
        assert_eq!(audiences(&client, &[]).unwrap(), ["x", "y"]);
        assert_eq!(audiences(&client, &["y".into()]).unwrap(), ["y"]);
        assert_eq!(audiences(&client, &["y".into(), "x".into(), "y".into()]).unwrap(), ["y", "x"]);
        assert_eq!(audiences(&client, &["z".into()]).unwrap_err().body().error, "invalid_target");
    }
}
