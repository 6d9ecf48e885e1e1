//! The revocation hook is consulted on every request, cache hits included; a
//! [`RevocationList`] can be injected directly, without a feed.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use shared_claims::{unix_now, AccessClaims, Revocation, RevocationNotice};

use super::refused;
use crate::test_support::{claims, key_set, TestKey, AUDIENCE, ISSUER};
use crate::verify::{RevocationCheck, RevocationList, RevocationStatus, Verifier, VerifyError};

#[derive(Default)]
struct RevokedJtis(Mutex<HashSet<String>>, Mutex<bool>);

impl RevocationCheck for RevokedJtis {
    fn check(&self, claims: &AccessClaims) -> RevocationStatus {
        if *self.1.lock().unwrap() {
            RevocationStatus::Unknown
        } else if self.0.lock().unwrap().contains(&claims.jti) {
            RevocationStatus::Revoked
        } else {
            RevocationStatus::NotRevoked
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

#[actix_web::test]
async fn an_injected_list_refuses_by_jti_session_user_and_key() {
    let list = Arc::new(RevocationList::new());
    let verifier = Verifier::builder(AUDIENCE)
        .revocation(list.clone())
        .local_with_keys(ISSUER, key_set(&[TestKey::shared(), TestKey::other()]));
    let token_with = |key: &TestKey, edit: &dyn Fn(&mut Value)| {
        let mut claims = claims();
        edit(&mut claims);
        key.access_token(&claims)
    };
    let by_jti = token_with(TestKey::shared(), &|c| c["jti"] = "j".into());
    let by_sid = token_with(TestKey::shared(), &|c| c["sid"] = "s".into());
    let by_user = token_with(TestKey::shared(), &|c| c["sub"] = "bob".into());
    let by_key = token_with(TestKey::other(), &|_| {});
    for token in [&by_jti, &by_sid, &by_user, &by_key] {
        verifier.verify(token).await.unwrap(); // now cached
    }
    let expires_at = unix_now() + 300;
    let revocations = [
        Revocation::Token { jti: "j".into() },
        Revocation::Session { sid: "s".into() },
        Revocation::User { sub: "bob".into(), before: unix_now() + 1 },
        Revocation::Key { kid: TestKey::other().kid().into() },
    ];
    for revocation in revocations {
        list.apply(&RevocationNotice { revocation, expires_at }, unix_now());
    }
    for token in [&by_jti, &by_sid, &by_user, &by_key] {
        assert_eq!(refused(&verifier, token).await, VerifyError::Revoked);
    }
    verifier.verify(&TestKey::shared().access_token(&claims())).await.unwrap();
}
