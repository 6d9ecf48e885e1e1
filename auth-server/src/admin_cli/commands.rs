//! What each command asks of the admin API, and how its answer is shown. The mapping
//! from a command to a request ([`plan`]) is pure, so it is tested without a server.

use std::io::BufRead;

use reqwest::Method;
use serde_json::{json, Value};

use super::api::{segment, AdminApi};
use super::args::{Cli, ClientCommand, Command, KeyCommand, Page, UserCommand};
use super::offline;
use super::render::{render, Shape};
use super::secrets::{client_secret, SecretInput};
use super::CliError;
use shared_claims::Secret;

/// What a successful command prints: `stdout`, and a note for stderr.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Outcome {
    pub stdout: String,
    pub note: Option<String>,
}

/// How an answer is shown to a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Show {
    Table(Shape),
    /// A line saying what was done (the answer is empty: 204).
    Done(String),
}

/// One admin API request.
pub(super) struct Call {
    pub method: Method,
    pub path: String,
    pub body: Option<Value>,
    pub show: Show,
}

/// Runs `cli`; secrets come from `secret_env` (the admin client's) and `input`.
pub(super) async fn execute<R: BufRead>(
    cli: Cli,
    input: &mut SecretInput<R>,
    secret_env: Option<String>,
) -> Result<Outcome, CliError> {
    match cli.command {
        Command::HashPassword => return Ok(line(offline::hash_password(input)?)),
        Command::HashClientSecret => {
            let (hash, note) = offline::hash_client_secret(input)?;
            return Ok(Outcome { note, ..line(hash) });
        }
        _ => {}
    }
    let url = cli.url.ok_or_else(|| CliError::Usage("give the server's URL: --url or AUTH_ADMIN_URL".into()))?;
    let client_id = cli
        .client_id
        .ok_or_else(|| CliError::Usage("give the admin client: --client-id or AUTH_ADMIN_CLIENT_ID".into()))?;
    // Every secret is read before the first request, so prompts come together.
    let secret = client_secret(secret_env, input, &client_id)?;
    let password = match &cli.command {
        Command::Users(UserCommand::Create { username, .. } | UserCommand::SetPassword { username }) => {
            Some(input.read_new(&format!("password of {username}"))?)
        }
        _ => None,
    };
    let api = AdminApi::login(&url, &client_id, &secret).await?;
    if let Command::Users(UserCommand::List(page)) = &cli.command {
        let answer = list_users(&api, page).await?;
        return Ok(show_page(&answer, cli.json));
    }
    let call = plan(cli.command, password)?;
    let answer = api.call(call.method, &call.path, call.body.as_ref()).await?;
    Ok(show(&call.show, &answer, cli.json))
}

/// The request of every command but `users list` and the offline ones.
pub(super) fn plan(command: Command, password: Option<Secret>) -> Result<Call, CliError> {
    let call = |method, path: String, body, show| Ok(Call { method, path, body, show });
    let user = |name: &str| format!("/admin/users/{}", segment(name));
    let password = || {
        password.as_ref().map(|p| p.expose().to_owned()).ok_or_else(|| CliError::Usage("no password was read".into()))
    };
    match command {
        Command::Users(command) => match command {
            UserCommand::Create { username, scopes } => {
                let body = json!({"username": username, "password": password()?, "scopes": scopes});
                call(Method::POST, "/admin/users".into(), Some(body), Show::Table(Shape::User))
            }
            UserCommand::Show { username } => call(Method::GET, user(&username), None, Show::Table(Shape::User)),
            UserCommand::Disable { username } => {
                call(Method::PATCH, user(&username), Some(json!({"disabled": true})), Show::Table(Shape::User))
            }
            UserCommand::Enable { username } => {
                call(Method::PATCH, user(&username), Some(json!({"disabled": false})), Show::Table(Shape::User))
            }
            UserCommand::SetPassword { username } => {
                let done =
                    Show::Done(format!("password of {username} set; its earlier sessions and tokens are revoked"));
                call(Method::PUT, format!("{}/password", user(&username)), Some(json!({"password": password()?})), done)
            }
            UserCommand::Sessions { username } => {
                call(Method::GET, format!("{}/sessions", user(&username)), None, Show::Table(Shape::Sessions))
            }
            UserCommand::RevokeSessions { username } => {
                let done = Show::Done(format!("every session of {username} revoked"));
                call(Method::DELETE, format!("{}/sessions", user(&username)), None, done)
            }
            UserCommand::List(_) => Err(CliError::Usage("users list is not a single request".into())),
        },
        Command::Clients(command) => match command {
            ClientCommand::Create {
                client_id,
                public,
                grant_types,
                scopes,
                audiences,
                serves,
                redirect_uris,
                post_logout_redirect_uris,
                display_name,
            } => {
                let body = json!({"client_id": client_id, "public": public, "grant_types": grant_types,
                    "scopes": scopes, "audiences": audiences, "serves": serves, "redirect_uris": redirect_uris,
                    "post_logout_redirect_uris": post_logout_redirect_uris, "display_name": display_name});
                call(Method::POST, "/admin/clients".into(), Some(body), Show::Table(Shape::Client))
            }
            ClientCommand::List => call(Method::GET, "/admin/clients".into(), None, Show::Table(Shape::Clients)),
            ClientCommand::Delete { client_id } => {
                let done = Show::Done(format!("client {client_id} deleted; every token issued to it is revoked"));
                call(Method::DELETE, format!("/admin/clients/{}", segment(&client_id)), None, done)
            }
        },
        Command::Keys(command) => match command {
            KeyCommand::List => call(Method::GET, "/admin/keys".into(), None, Show::Table(Shape::Keys)),
            KeyCommand::Rotate => call(Method::POST, "/admin/keys/rotate".into(), None, Show::Table(Shape::Keys)),
            KeyCommand::Revoke { kid } => {
                call(Method::POST, format!("/admin/keys/{}/revoke", segment(&kid)), None, Show::Table(Shape::Keys))
            }
        },
        Command::HashPassword | Command::HashClientSecret => Err(CliError::Usage("an offline command".into())),
    }
}

/// One page when `page` names one; else every page, as one answer of the API's shape.
async fn list_users(api: &AdminApi, page: &Page) -> Result<Value, CliError> {
    if page.limit.is_some() || page.cursor.is_some() {
        return api.call(Method::GET, &users_path(page.limit, page.cursor.as_deref()), None).await;
    }
    let mut users = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let answer = api.call(Method::GET, &users_path(None, cursor.as_deref()), None).await?;
        users.extend(answer["users"].as_array().cloned().unwrap_or_default());
        match answer["next_cursor"].as_str() {
            Some(next) if Some(next) != cursor.as_deref() => cursor = Some(next.to_owned()),
            Some(_) => return Err(CliError::Refused("the server repeated a cursor: the listing stopped".into())),
            None => return Ok(json!({"users": users, "next_cursor": null})),
        }
    }
}

pub(super) fn users_path(limit: Option<u16>, cursor: Option<&str>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    if let Some(limit) = limit {
        query.append_pair("limit", &limit.to_string());
    }
    if let Some(cursor) = cursor {
        query.append_pair("cursor", cursor);
    }
    match query.finish() {
        query if query.is_empty() => "/admin/users".into(),
        query => format!("/admin/users?{query}"),
    }
}

pub(super) fn show(show: &Show, answer: &Value, json: bool) -> Outcome {
    match (json, show) {
        (true, _) if answer.is_null() => Outcome::default(),
        (true, _) => line(answer.to_string()),
        (false, Show::Table(shape)) => Outcome { stdout: render(*shape, answer), note: None },
        (false, Show::Done(message)) => line(message.clone()),
    }
}

/// A page of users, and where the next starts when there is one.
fn show_page(answer: &Value, json: bool) -> Outcome {
    let mut outcome = show(&Show::Table(Shape::Users), answer, json);
    if let (false, Some(next)) = (json, answer["next_cursor"].as_str()) {
        outcome.stdout.push_str(&format!("next page: --cursor {next}\n"));
    }
    outcome
}

fn line(text: String) -> Outcome {
    Outcome { stdout: format!("{text}\n"), note: None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn command(args: &[&str]) -> Command {
        Cli::try_parse_from(std::iter::once("auth-server admin").chain(args.iter().copied())).unwrap().command
    }

    fn planned(args: &[&str], password: Option<&str>) -> Call {
        plan(command(args), password.map(Secret::new)).unwrap()
    }

    #[test]
    fn user_commands_map_to_their_requests() {
        let create = planned(&["users", "create", "carol", "--scope", "documents:read"], Some("pw-123456"));
        assert_eq!((create.method, create.path.as_str()), (Method::POST, "/admin/users"));
        assert_eq!(
            create.body,
            Some(json!({"username": "carol", "password": "pw-123456", "scopes": ["documents:read"]}))
        );
        let disable = planned(&["users", "disable", "bo b/x"], None);
        assert_eq!((disable.method, disable.path.as_str()), (Method::PATCH, "/admin/users/bo%20b%2Fx"));
        assert_eq!(disable.body, Some(json!({"disabled": true})));
        assert_eq!(planned(&["users", "enable", "a"], None).body, Some(json!({"disabled": false})));
        let set = planned(&["users", "set-password", "a"], Some("new-password"));
        assert_eq!((set.method, set.path.as_str()), (Method::PUT, "/admin/users/a/password"));
        assert_eq!(set.body, Some(json!({"password": "new-password"})));
        let revoke = planned(&["users", "revoke-sessions", "a"], None);
        assert_eq!((revoke.method, revoke.path.as_str()), (Method::DELETE, "/admin/users/a/sessions"));
        assert_eq!(planned(&["users", "sessions", "a"], None).show, Show::Table(Shape::Sessions));
        assert!(plan(command(&["users", "create", "a"]), None).is_err(), "never without a password");
    }

    #[test]
    fn client_and_key_commands_map_to_their_requests() {
        let create = planned(
            &["clients", "create", "svc", "--grant-type", "client_credentials", "--scope", "documents:read"],
            None,
        );
        assert_eq!(
            create.body,
            Some(json!({"client_id": "svc", "public": false, "grant_types": ["client_credentials"],
                "scopes": ["documents:read"], "audiences": [], "serves": [], "redirect_uris": [],
                "post_logout_redirect_uris": [], "display_name": null}))
        );
        let portal = planned(
            &[
                "clients",
                "create",
                "web-portal",
                "--grant-type",
                "authorization_code",
                "--redirect-uri",
                "http://localhost:8090/callback",
                "--post-logout-redirect-uri",
                "http://localhost:8090/",
                "--display-name",
                "Web portal",
            ],
            None,
        );
        let body = portal.body.unwrap();
        assert_eq!(body["redirect_uris"], json!(["http://localhost:8090/callback"]));
        assert_eq!(body["post_logout_redirect_uris"], json!(["http://localhost:8090/"]));
        assert_eq!(body["display_name"], json!("Web portal"));
        assert_eq!(planned(&["clients", "delete", "svc"], None).path, "/admin/clients/svc");
        assert_eq!(planned(&["keys", "rotate"], None).method, Method::POST);
        assert_eq!(planned(&["keys", "revoke", "k-1_x"], None).path, "/admin/keys/k%2D1%5Fx/revoke");
    }

    #[test]
    fn listing_paths_carry_limit_and_cursor() {
        assert_eq!(users_path(None, None), "/admin/users");
        assert_eq!(users_path(Some(5), Some("a+b/=")), "/admin/users?limit=5&cursor=a%2Bb%2F%3D");
    }

    #[test]
    fn json_is_the_answer_and_tables_are_for_people() {
        let user = json!({"username": "a", "scopes": [], "disabled": false});
        assert_eq!(show(&Show::Table(Shape::User), &user, true).stdout, format!("{user}\n"));
        assert_eq!(show(&Show::Done("done".into()), &Value::Null, true), Outcome::default());
        assert_eq!(show(&Show::Done("done".into()), &Value::Null, false).stdout, "done\n");
        let page = json!({"users": [user], "next_cursor": "abc"});
        assert!(show_page(&page, false).stdout.ends_with("next page: --cursor abc\n"));
        assert_eq!(show_page(&page, true).stdout, format!("{page}\n"));
    }
}
