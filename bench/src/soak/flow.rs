//! One simulated user, in a loop until the soak ends. Each iteration is a login
//! session from start to end, paced so the whole soak stays at a modest, steady rate:
//!
//! ```text
//! login (password grant, replica n % 2)
//!   ─► GET /api/me on every resource server (2 local, 1 introspecting)
//!   ─► GET /api/documents (every 4th iteration also POST /api/documents)
//!   ─► REFRESH_STEPS × (refresh_token grant on alternating replicas ─► GET /api/me)
//!   ─► one ending, in turn:
//!        revoke-access   RFC 7009 on the access token ─► every RS refuses it (401)
//!                        ─► the session still refreshes ─► logout (revoke refresh)
//!        logout          RFC 7009 on the refresh token ─► every RS refuses its access
//!                        token ─► the refresh token is refused (400 invalid_grant)
//!        reuse           refresh, then present the spent token again (400, reuse)
//!                        ─► the successor is refused too ─► every RS refuses the
//!                        successor's access token
//! ```
//!
//! Every session ends revoked, so the user's live sessions stay bounded however long
//! the soak runs.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::client::{Answer, Client};
use super::tally::Tally;
use crate::http1;
use crate::oauth;
use crate::topology::Service;

pub const PUBLIC_CLIENT: &str = "soak-web";
const REFRESH_STEPS: usize = 3;
/// How long a revocation may take to reach a resource server before it counts as an
/// unexpected acceptance (propagation is milliseconds; this is far beyond it).
const PROPAGATION_DEADLINE: Duration = Duration::from_secs(5);
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// What the workers talk to.
pub struct Stack {
    /// The auth-server replicas, addressed directly.
    pub auths: Vec<Service>,
    /// Resource servers: the local-mode ones, then the introspecting one.
    pub resource_servers: Vec<Service>,
}

/// What an answer must be to count as expected.
#[derive(Clone, Copy)]
struct Expect {
    status: u16,
    error: Option<&'static str>,
}

const OK: Expect = Expect { status: 200, error: None };
const CREATED: Expect = Expect { status: 201, error: None };
const INVALID_GRANT: Expect = Expect { status: 400, error: Some("invalid_grant") };

struct Tokens {
    access: String,
    refresh: String,
}

pub struct User {
    stack: Arc<Stack>,
    tally: Arc<Tally>,
    client: Client,
    username: String,
    password: String,
    pace: Duration,
    deadline: Instant,
}

impl User {
    pub fn new(
        stack: Arc<Stack>,
        tally: Arc<Tally>,
        username: String,
        password: String,
        pace: Duration,
        deadline: Instant,
    ) -> Self {
        Self { stack, tally, client: Client::default(), username, password, pace, deadline }
    }

    /// Runs iterations until the deadline; `offset` staggers the users.
    pub async fn run(mut self, offset: usize) {
        let mut n = offset;
        while Instant::now() < self.deadline {
            // An iteration that met an unexpected answer stops there; the next starts afresh.
            let _ = self.iteration(n).await;
            n += 1;
        }
    }

    async fn iteration(&mut self, n: usize) -> Option<()> {
        let replicas = self.stack.auths.len();
        let servers = self.stack.resource_servers.len();
        let mut tokens = self.login(n % replicas).await?;
        for rs in 0..servers {
            self.api_me("api /api/me", rs, &tokens.access, OK).await?;
        }
        let rs = n % servers;
        let addr = self.stack.resource_servers[rs].addr;
        let list = oauth::get_bearer(addr, "/api/documents", &tokens.access);
        self.call("api GET /api/documents", addr, &list, OK).await?;
        if n.is_multiple_of(4) {
            let auth = format!("Authorization: Bearer {}", tokens.access);
            let body = format!(r#"{{"title":"soak {n}","content":"written by iteration {n}"}}"#);
            let create = http1::request(
                "POST",
                addr,
                "/api/documents",
                &[&auth, "Content-Type: application/json"],
                body.as_bytes(),
            );
            self.call("api POST /api/documents", addr, &create, CREATED).await?;
        }
        for step in 0..REFRESH_STEPS {
            tokens = self.refresh("refresh", (n + step + 1) % replicas, &tokens.refresh, OK).await?;
            self.api_me("api /api/me", (n + step) % servers, &tokens.access, OK).await?;
        }
        match n % 3 {
            0 => self.end_by_access_revocation(n, tokens).await,
            1 => self.end_by_logout(n, tokens).await,
            _ => self.end_by_reuse(n, tokens).await,
        }
    }

    async fn end_by_access_revocation(&mut self, n: usize, tokens: Tokens) -> Option<()> {
        self.revoke("revoke access token", n % self.stack.auths.len(), &tokens.access, "access_token").await?;
        self.until_refused_everywhere(&tokens.access).await;
        let tokens = self
            .refresh("refresh after access revocation", (n + 1) % self.stack.auths.len(), &tokens.refresh, OK)
            .await?;
        self.api_me("api /api/me", n % self.stack.resource_servers.len(), &tokens.access, OK).await?;
        self.revoke("revoke refresh token (logout)", n % self.stack.auths.len(), &tokens.refresh, "refresh_token")
            .await?;
        self.until_refused_everywhere(&tokens.access).await;
        Some(())
    }

    async fn end_by_logout(&mut self, n: usize, tokens: Tokens) -> Option<()> {
        self.revoke("revoke refresh token (logout)", n % self.stack.auths.len(), &tokens.refresh, "refresh_token")
            .await?;
        self.until_refused_everywhere(&tokens.access).await;
        self.refresh("refresh after logout", (n + 1) % self.stack.auths.len(), &tokens.refresh, INVALID_GRANT).await;
        Some(())
    }

    async fn end_by_reuse(&mut self, n: usize, tokens: Tokens) -> Option<()> {
        let replicas = self.stack.auths.len();
        let successor = self.refresh("refresh", n % replicas, &tokens.refresh, OK).await?;
        self.refresh("refresh reusing a spent token", (n + 1) % replicas, &tokens.refresh, INVALID_GRANT).await;
        self.refresh("refresh after reuse detection", n % replicas, &successor.refresh, INVALID_GRANT).await;
        self.until_refused_everywhere(&successor.access).await;
        Some(())
    }

    async fn login(&mut self, replica: usize) -> Option<Tokens> {
        let addr = self.stack.auths[replica].addr;
        let form = [
            ("grant_type", "password"),
            ("username", self.username.as_str()),
            ("password", self.password.as_str()),
            ("client_id", PUBLIC_CLIENT),
            ("scope", "documents:read documents:write"),
        ];
        let request = oauth::post_form(addr, "/oauth2/token", None, &form);
        let answer = self.call("login (password grant)", addr, &request, OK).await?;
        self.tokens("login (password grant)", &answer)
    }

    /// A `refresh_token` grant; `Some` with the new tokens only when 200 was expected.
    async fn refresh(&mut self, step: &'static str, replica: usize, refresh: &str, expect: Expect) -> Option<Tokens> {
        let addr = self.stack.auths[replica].addr;
        let form = [("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", PUBLIC_CLIENT)];
        let request = oauth::post_form(addr, "/oauth2/token", None, &form);
        let answer = self.call(step, addr, &request, expect).await?;
        if expect.status == 200 {
            self.tokens(step, &answer)
        } else {
            None
        }
    }

    async fn revoke(&mut self, step: &'static str, replica: usize, token: &str, hint: &str) -> Option<Answer> {
        let addr = self.stack.auths[replica].addr;
        let form = [("token", token), ("token_type_hint", hint), ("client_id", PUBLIC_CLIENT)];
        let request = oauth::post_form(addr, "/oauth2/revoke", None, &form);
        self.call(step, addr, &request, OK).await
    }

    async fn api_me(&mut self, step: &'static str, rs: usize, access: &str, expect: Expect) -> Option<Answer> {
        let addr = self.stack.resource_servers[rs].addr;
        let request = oauth::get_bearer(addr, "/api/me", access);
        self.call(step, addr, &request, expect).await
    }

    /// Polls every resource server with a revoked access token until it answers 401
    /// `invalid_token`. A 200 before that is the revocation still on its way (expected,
    /// counted apart); still 200 after [`PROPAGATION_DEADLINE`] is unexpected.
    async fn until_refused_everywhere(&mut self, access: &str) {
        for rs in 0..self.stack.resource_servers.len() {
            let addr = self.stack.resource_servers[rs].addr;
            let request = oauth::get_bearer(addr, "/api/me", access);
            let since = Instant::now();
            loop {
                match self.client.send(addr, &request).await {
                    Ok(a)
                        if a.status == 401
                            && oauth::json_string(&a.body, "error").as_deref() == Some("invalid_token") =>
                    {
                        self.tally.record("api with a revoked token", Some(a.status), &a.body, Some(a.micros), true);
                        break;
                    }
                    Ok(a) if a.status == 200 && since.elapsed() < PROPAGATION_DEADLINE => {
                        self.tally.record(
                            "api with a revoked token, before propagation",
                            Some(200),
                            b"",
                            Some(a.micros),
                            true,
                        );
                    }
                    Ok(a) if a.status == 200 => {
                        self.tally.record("api with a revoked token, after 5 s", Some(200), b"", Some(a.micros), false);
                        break;
                    }
                    Ok(a) => {
                        self.tally.record("api with a revoked token", Some(a.status), &a.body, Some(a.micros), false);
                        break;
                    }
                    Err(why) => {
                        self.tally.record("api with a revoked token", None, why.as_bytes(), None, false);
                        break;
                    }
                }
                tokio::time::sleep(POLL_INTERVAL).await;
            }
            tokio::time::sleep(self.pace).await;
        }
    }

    /// Sends, records, paces. `None` when the answer was not the one expected (or the
    /// soak is over), which ends the iteration.
    async fn call(&mut self, step: &'static str, addr: SocketAddr, request: &[u8], expect: Expect) -> Option<Answer> {
        if Instant::now() >= self.deadline {
            return None;
        }
        let result = self.client.send(addr, request).await;
        let answer = match result {
            Ok(answer) => answer,
            Err(why) => {
                self.tally.record(step, None, why.as_bytes(), None, false);
                tokio::time::sleep(self.pace).await;
                return None;
            }
        };
        let error = oauth::json_string(&answer.body, "error");
        let expected = answer.status == expect.status && (expect.error.is_none() || error.as_deref() == expect.error);
        self.tally.record(step, Some(answer.status), &answer.body, Some(answer.micros), expected);
        tokio::time::sleep(self.pace).await;
        expected.then_some(answer)
    }

    fn tokens(&self, step: &'static str, answer: &Answer) -> Option<Tokens> {
        let access = oauth::json_string(&answer.body, "access_token");
        let refresh = oauth::json_string(&answer.body, "refresh_token");
        match (access, refresh) {
            (Some(access), Some(refresh)) => Some(Tokens { access, refresh }),
            _ => {
                self.tally.record(
                    step,
                    Some(answer.status),
                    b"no access_token and refresh_token in the answer",
                    None,
                    false,
                );
                None
            }
        }
    }
}
