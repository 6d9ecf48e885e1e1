//! The key rotations of the soak: at given moments, an `ops` token (client_credentials)
//! and `POST /admin/keys/rotate` on one replica, each on the next replica in turn, so
//! the other replica and every resource server have to pick the new key up themselves.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::client::Client;
use super::flow::Stack;
use super::tally::Tally;
use crate::http1;
use crate::oauth::{self, Client as OAuthClient};

pub const OPS: OAuthClient = OAuthClient { id: "soak-ops", secret: "soak-ops-secret" };

/// One rotation as it happened.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rotation {
    /// Seconds from the start of the soak.
    pub at_s: f64,
    pub replica: String,
    pub status: Option<u16>,
    /// The active key after it.
    pub active_kid: Option<String>,
}

/// Rotates at each of `at` (from `start`), on replicas in turn.
pub async fn run(stack: Arc<Stack>, tally: Arc<Tally>, start: Instant, at: Vec<Duration>) -> Vec<Rotation> {
    let mut client = Client::default();
    let mut done = Vec::new();
    for (i, offset) in at.into_iter().enumerate() {
        tokio::time::sleep_until((start + offset).into()).await;
        let replica = &stack.auths[i % stack.auths.len()];
        let addr = replica.addr;
        let form = [("grant_type", "client_credentials"), ("scope", "admin")];
        let token_request = oauth::post_form(addr, "/oauth2/token", Some(&OPS), &form);
        let mut rotation = Rotation {
            at_s: start.elapsed().as_secs_f64(),
            replica: replica.name.clone(),
            status: None,
            active_kid: None,
        };
        let token = match client.send(addr, &token_request).await {
            Ok(a) => {
                let ok = a.status == 200;
                tally.record("ops token (client_credentials)", Some(a.status), &a.body, Some(a.micros), ok);
                oauth::json_string(&a.body, "access_token").filter(|_| ok)
            }
            Err(why) => {
                tally.record("ops token (client_credentials)", None, why.as_bytes(), None, false);
                None
            }
        };
        if let Some(token) = token {
            let auth = format!("Authorization: Bearer {token}");
            let request = http1::request("POST", addr, "/admin/keys/rotate", &[&auth], b"");
            match client.send(addr, &request).await {
                Ok(a) => {
                    rotation.status = Some(a.status);
                    rotation.active_kid = active_kid(&a.body);
                    tally.record("POST /admin/keys/rotate", Some(a.status), &a.body, Some(a.micros), a.status == 200);
                }
                Err(why) => tally.record("POST /admin/keys/rotate", None, why.as_bytes(), None, false),
            }
        }
        println!(
            "  key rotation {} on {} at {:.0} s: HTTP {} → active kid {}",
            i + 1,
            rotation.replica,
            rotation.at_s,
            rotation.status.map_or_else(|| "none".to_owned(), |s| s.to_string()),
            rotation.active_kid.as_deref().unwrap_or("?")
        );
        done.push(rotation);
    }
    done
}

/// The `kid` of the key in state `active` in the admin API's answer (a list of keys,
/// or an object holding one under `keys`).
fn active_kid(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let keys = value.as_array().or_else(|| value.get("keys")?.as_array())?;
    keys.iter()
        .find(|k| k.get("state").and_then(|s| s.as_str()) == Some("active"))
        .and_then(|k| k.get("kid")?.as_str().map(str::to_owned))
}
