//! `auth-server admin`, the real binary's command line, against a real auth server:
//! a user created with its password on standard input logs in; listing, showing,
//! sessions, key rotation and revocation work; and the exit codes a script relies on
//! (1 refused, 2 usage, 3 unreachable or not authenticated) hold.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tests::bootstrap::*;
use tests::{binaries, ports, AuthStack, Store};
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::support::*;

/// Far above what one command takes; a hung command fails the test instead of hanging it.
const COMMAND_DEADLINE: Duration = Duration::from_secs(60);
const CAROL: &str = "carol";
const CAROL_PASSWORD: &str = "carol-password-123";

/// How the CLI reaches the server.
struct Admin {
    url: String,
    secret: String,
}

/// One run of the CLI.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }
}

impl Admin {
    fn of(stack: &AuthStack) -> Self {
        Admin { url: stack.base_url(), secret: OPS_SECRET.into() }
    }

    /// `auth-server admin <args>` with `stdin`, the admin client's settings in the
    /// environment (and nothing else of ours).
    async fn run(&self, args: &[&str], stdin: &str) -> Run {
        let mut command = Command::new(binaries::path("auth-server"));
        command
            .arg("admin")
            .args(args)
            .env_clear()
            .env("AUTH_ADMIN_URL", &self.url)
            .env("AUTH_ADMIN_CLIENT_ID", OPS)
            .env("AUTH_ADMIN_CLIENT_SECRET", &self.secret)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("run auth-server admin");
        let mut input = child.stdin.take().expect("piped stdin");
        input.write_all(stdin.as_bytes()).await.expect("write stdin");
        drop(input);
        let output = tokio::time::timeout(COMMAND_DEADLINE, child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("auth-server admin {args:?} did not finish within {COMMAND_DEADLINE:?}"))
            .expect("wait for auth-server admin");
        Run {
            code: output.status.code().expect("exited, not killed"),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    async fn ok(&self, args: &[&str], stdin: &str) -> Run {
        let run = self.run(args, stdin).await;
        assert_eq!(run.code, 0, "auth-server admin {args:?}: {run:?}");
        run
    }
}

fn active_kid(keys: &Value) -> String {
    let keys = keys.as_array().unwrap_or_else(|| panic!("a key list: {keys}"));
    let active: Vec<&Value> = keys.iter().filter(|k| k["state"] == "active").collect();
    assert_eq!(active.len(), 1, "one active key: {keys:?}");
    active[0]["kid"].as_str().expect("a kid").to_owned()
}

on_both_stores! {
    /// Create a user (password on stdin), list and show it, log in as it, rotate the
    /// signing key, list keys, end its sessions.
    async fn an_operator_manages_a_user_and_the_keys(store: Store) {
        let stack = AuthStack::start(store).await;
        let client = stack.client();
        let admin = Admin::of(&stack);

        let created = admin.ok(&["users", "create", CAROL, "--scope", READ], &format!("{CAROL_PASSWORD}\n")).await;
        assert!(created.stdout.starts_with("USERNAME  DISABLED  SCOPES\ncarol     no        documents:read"), "{created:?}");

        let listed = admin.ok(&["users", "list", "--json"], "").await.json();
        let mut names: Vec<&str> = listed["users"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
        names.sort();
        assert_eq!(names, [ALICE, BOB, CAROL], "{listed}");
        assert_eq!(listed["next_cursor"], Value::Null);
        let page = admin.ok(&["users", "list", "--limit", "1"], "").await;
        assert!(page.stdout.contains("next page: --cursor "), "three users, pages of one: {page:?}");
        let table = admin.ok(&["users", "list"], "").await;
        assert!(table.stdout.lines().any(|l| l.starts_with("carol ")), "{table:?}");
        let shown = admin.ok(&["users", "show", CAROL, "--json"], "").await.json();
        assert_eq!(shown, serde_json::json!({"username": CAROL, "scopes": [READ], "disabled": false}));
        assert!(!format!("{listed}{shown}").contains("argon2"), "never a password hash");

        let login = client.token_password(WEB_APP, CAROL, CAROL_PASSWORD, None).await;
        let refresh = login.refresh_token().to_owned();
        let sessions = admin.ok(&["users", "sessions", CAROL, "--json"], "").await.json();
        assert_eq!(sessions.as_array().map(Vec::len), Some(1), "{sessions}");

        let before = active_kid(&admin.ok(&["keys", "list", "--json"], "").await.json());
        let rotated = active_kid(&admin.ok(&["keys", "rotate", "--json"], "").await.json());
        assert_ne!(rotated, before, "a new active key");
        let keys = admin.ok(&["keys", "list"], "").await;
        assert!(keys.stdout.lines().any(|l| l.starts_with(&rotated) && l.contains(" active ")), "{keys:?}");

        let revoked = admin.ok(&["users", "revoke-sessions", CAROL], "").await;
        assert_eq!(revoked.stdout, "every session of carol revoked\n");
        assert_oauth_error(&client.token_refresh(WEB_APP, &refresh).await, 400, "invalid_grant");
        let sessions = admin.ok(&["users", "sessions", CAROL, "--json"], "").await.json();
        assert_eq!(sessions, serde_json::json!([]));
    }
}

/// 1 when the server refuses, 2 for a usage error, 3 when the server cannot be
/// reached or refuses the admin client; the offline hash needs no server at all.
#[tokio::test]
async fn exit_codes_tell_a_script_what_happened() {
    let stack = AuthStack::start(Store::Embedded).await;
    let admin = Admin::of(&stack);

    let missing = admin.run(&["users", "show", "nobody"], "").await;
    assert_eq!(missing.code, 1, "{missing:?}");
    assert!(missing.stderr.contains("404 not_found"), "{missing:?}");
    let twice = admin.run(&["users", "create", ALICE], "another-password-1\n").await;
    assert_eq!(twice.code, 1, "{twice:?}");
    assert!(twice.stderr.contains("409 conflict"), "{twice:?}");

    assert_eq!(admin.run(&["users", "frobnicate"], "").await.code, 2);
    let no_password = admin.run(&["users", "create", "dave"], "").await;
    assert_eq!(no_password.code, 2, "no password on stdin: {no_password:?}");

    let wrong_secret = Admin { url: admin.url.clone(), secret: "not-the-secret".into() };
    let refused = wrong_secret.run(&["keys", "list"], "").await;
    assert_eq!(refused.code, 3, "{refused:?}");
    assert!(refused.stderr.contains("invalid_client"), "{refused:?}");
    assert!(!refused.stderr.contains("not-the-secret"), "the secret is never printed: {refused:?}");

    let nowhere = Admin { url: format!("http://127.0.0.1:{}", ports::free_port()), secret: OPS_SECRET.into() };
    let unreachable = nowhere.run(&["users", "list"], "").await;
    assert_eq!(unreachable.code, 3, "{unreachable:?}");
    assert!(unreachable.stderr.contains("cannot reach"), "{unreachable:?}");

    let hash = nowhere.ok(&["hash-password"], "correct horse battery\n").await;
    assert!(hash.stdout.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash:?}");
}
