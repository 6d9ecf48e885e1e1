//! Several resource servers following one auth server, and the two questions the
//! revocation tests ask of all of them: does each accept this token now, and does
//! each refuse it before a deadline (polling, never sleeping on a guess).

use std::time::Duration;

use futures_util::future::join_all;

use crate::api::Credentials;
use crate::poll::poll_until_ok;
use crate::{ApiClient, Reply, ResourceOptions, ResourceServer, Verify};

/// How long a revocation may take to reach every resource server.
pub const REVOCATION_DEADLINE: Duration = Duration::from_secs(10);

/// Resource servers, each named by its mode and position (`local-1`, `introspect-1`).
pub struct Fleet {
    members: Vec<Member>,
}

struct Member {
    name: String,
    server: ResourceServer,
    api: ApiClient,
}

impl Fleet {
    /// Starts `local` local-mode and `introspect` introspection-mode servers against
    /// the auth server at `auth_url`, concurrently.
    pub async fn start(auth_url: &str, local: usize, introspect: usize) -> Self {
        let modes =
            std::iter::repeat_n(Verify::Local, local).chain(std::iter::repeat_n(Verify::Introspect, introspect));
        let options: Vec<(String, ResourceOptions)> = modes
            .enumerate()
            .map(|(index, verify)| {
                let position = if verify == Verify::Local { index + 1 } else { index + 1 - local };
                (format!("{}-{position}", verify.name()), ResourceOptions::new(auth_url).verify(verify))
            })
            .collect();
        Self::start_each(options).await
    }

    /// Starts one server per `(name, options)`, concurrently.
    pub async fn start_each(options: Vec<(String, ResourceOptions)>) -> Self {
        let servers = join_all(options.into_iter().map(|(name, options)| async move {
            let server = ResourceServer::start(options).await;
            let api = server.api();
            Member { name, server, api }
        }))
        .await;
        Fleet { members: servers }
    }

    /// Adds the servers of `other` to this fleet.
    pub fn absorb(&mut self, other: Fleet) {
        self.members.extend(other.members);
    }

    /// The server called `name` (to stop, restart or read the log of one of them).
    pub fn server(&mut self, name: &str) -> &mut ResourceServer {
        let member = self.members.iter_mut().find(|m| m.name == name);
        &mut member.unwrap_or_else(|| panic!("no resource server {name}")).server
    }

    /// Asserts that every server answers `GET /api/me` with 200 for `token` now.
    pub async fn assert_all_accept(&self, token: &str, what: &str) {
        let replies = join_all(self.members.iter().map(|m| m.api.me(Credentials::Bearer(token)))).await;
        for (member, reply) in self.members.iter().zip(replies) {
            assert_eq!(reply.status, 200, "{} must accept {what}: {reply:?}", member.name);
        }
    }

    /// Polls every server until each refuses `token` with 401 `invalid_token`, within
    /// `deadline` (each server on its own clock, concurrently). Panics naming every
    /// server that still accepted it, with its last answer.
    pub async fn await_all_refuse(&self, token: &str, what: &str, deadline: Duration) {
        let outcomes = join_all(self.members.iter().map(|m| await_refusal(&m.api, token, deadline))).await;
        let late: Vec<String> = self
            .members
            .iter()
            .zip(outcomes)
            .filter_map(|(member, outcome)| {
                outcome.err().map(|last| format!("{}: HTTP {} {}", member.name, last.status, last.text()))
            })
            .collect();
        assert!(late.is_empty(), "{what} was still not refused after {deadline:?} by:\n{}", late.join("\n"));
    }
}

/// Polls `api` until it refuses `token` with 401 `invalid_token`; the refusal, or the
/// last answer.
pub async fn await_refusal(api: &ApiClient, token: &str, deadline: Duration) -> Result<Reply, Reply> {
    poll_until_ok(deadline, || async move {
        let reply = api.me(Credentials::Bearer(token)).await;
        if reply.status == 401 && reply.json["error"] == "invalid_token" {
            Ok(reply)
        } else {
            Err(reply)
        }
    })
    .await
}
