//! Signing keys: list them with their states and dates, rotate now. The rotation
//! itself is [`KeyRing::rotate`](crate::keys::KeyRing::rotate); this only shapes the
//! answer, which never carries private key material.

use serde::Serialize;

use super::AdminError;
use crate::authority::Authority;
use crate::store::{KeyState, SigningKeyRecord};

/// A signing key as the admin API shows it: its `kid`, state and dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyView {
    pub kid: String,
    pub state: KeyState,
    pub created_at: i64,
    pub activated_at: Option<i64>,
    pub retired_at: Option<i64>,
}

impl From<&SigningKeyRecord> for KeyView {
    fn from(key: &SigningKeyRecord) -> Self {
        Self {
            kid: key.kid.clone(),
            state: key.state,
            created_at: key.created_at,
            activated_at: key.activated_at,
            retired_at: key.retired_at,
        }
    }
}

/// The stored key set, oldest first.
pub async fn list_keys(authority: &Authority) -> Result<Vec<KeyView>, AdminError> {
    let (_, records) = authority.store.signing_keys().await?;
    Ok(views(&records))
}

/// Rotates now; when this returns, this replica signs with the new key.
pub async fn rotate_keys(authority: &Authority) -> Result<Vec<KeyView>, AdminError> {
    let records = authority.tokens.keys().rotate(shared_claims::unix_now()).await?;
    Ok(views(&records))
}

fn views(records: &[SigningKeyRecord]) -> Vec<KeyView> {
    let mut views: Vec<KeyView> = records.iter().map(KeyView::from).collect();
    views.sort_by(|a, b| (a.created_at, &a.kid).cmp(&(b.created_at, &b.kid)));
    views
}
