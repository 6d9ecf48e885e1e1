//! The verifier's behaviour end to end, without HTTP in local mode and against a
//! stand-in auth server for discovery, JWKS and introspection.

mod attack_tokens;
mod introspection_mode;
mod issuer_behind_gateway;
mod key_refresh;
mod revocation_feed;
mod revocation_hook;

use std::time::Duration;

use super::{Verifier, VerifyError};

const DEADLINE: Duration = Duration::from_secs(10);

async fn refused(verifier: &Verifier, token: &str) -> VerifyError {
    match verifier.verify(token).await {
        Ok(_) => panic!("token accepted"),
        Err(err) => err,
    }
}
