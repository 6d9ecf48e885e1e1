//! Authorization codes in Redis: one hash per code, `as:{code:<sha256>}`, expiring
//! with the code. Fields: `record` (JSON), `expires_at` and, once redeemed, `used`.
//!
//! ```text
//! put_code     MULTI: DEL + HSET + EXPIREAT expires_at
//! redeem_code  REDEEM_CODE script: check expiry, mark used, in one step
//! ```

use async_trait::async_trait;

use super::{from_json, keys, to_json, unavailable, RedisStore};
use crate::store::{AuthorizationCode, CodeStore, Redeemed, StoreResult};

#[async_trait]
impl CodeStore for RedisStore {
    async fn put_code(&self, code_hash: &str, code: &AuthorizationCode) -> StoreResult<()> {
        let key = keys::code(code_hash);
        redis::pipe()
            .atomic()
            .cmd("DEL")
            .arg(&key)
            .ignore()
            .cmd("HSET")
            .arg(&key)
            .arg("record")
            .arg(to_json("authorization code", code)?)
            .arg("expires_at")
            .arg(code.expires_at)
            .ignore()
            .cmd("EXPIREAT")
            .arg(&key)
            .arg(code.expires_at)
            .ignore()
            .query_async::<()>(&mut self.connection())
            .await
            .map_err(unavailable)
    }

    async fn redeem_code(&self, code_hash: &str, now: i64) -> StoreResult<Option<Redeemed>> {
        let reply: Vec<String> = self
            .inner
            .scripts
            .redeem_code
            .key(keys::code(code_hash))
            .arg(now)
            .invoke_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        let mut reply = reply.into_iter();
        let outcome = reply.next();
        let record: Option<AuthorizationCode> = from_json("authorization code", reply.next())?;
        Ok(match (outcome.as_deref(), record) {
            (Some("first"), Some(code)) => Some(Redeemed::First(code)),
            (Some("used"), Some(code)) => Some(Redeemed::AlreadyUsed(code)),
            _ => None,
        })
    }
}
