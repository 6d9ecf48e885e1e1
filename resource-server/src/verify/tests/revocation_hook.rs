//! The revocation hook is consulted on every request, cache hits included.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use shared_claims::AccessClaims;

use super::refused;
use crate::test_support::{claims, key_set, TestKey, AUDIENCE, ISSUER};
use crate::verify::{Revocation, RevocationCheck, Verifier, VerifyError};

#[derive(Default)]
struct RevokedJtis(Mutex<HashSet<String>>, Mutex<bool>);

impl RevocationCheck for RevokedJtis {
    fn check(&self, claims: &AccessClaims) -> Revocation {
        if *self.1.lock().unwrap() {
            Revocation::Unknown
        } else if self.0.lock().unwrap().contains(&claims.jti) {
            Revocation::Revoked
        } else {
            Revocation::NotRevoked
        }
    }
}

#[actix_web::test]
async fn revocation_is_consulted_on_cache_hits() {
    let revoked = Arc::new(RevokedJtis::default());
    let verifier =
        Verifier::builder(AUDIENCE).revocation(revoked.clone()).local_with_keys(ISSUER, key_set(&[TestKey::shared()]));
    let token = TestKey::shared().access_token(&claims());
    let accepted = verifier.verify(&token).await.unwrap();
    verifier.verify(&token).await.unwrap();
    assert_eq!(verifier.metrics().cache_hits(), 1);

    revoked.0.lock().unwrap().insert(accepted.jti.clone());
    assert_eq!(refused(&verifier, &token).await, VerifyError::Revoked);

    revoked.0.lock().unwrap().clear();
    *revoked.1.lock().unwrap() = true;
    assert!(matches!(refused(&verifier, &token).await, VerifyError::Unavailable(_)));
}
