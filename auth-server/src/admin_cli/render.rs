//! What each answer of the admin API looks like as a table. Reads the API's JSON
//! loosely: a member missing from an answer shows as an empty cell, never a failure.

use serde_json::Value;

use super::table::{table, utc};

/// The kinds of answers the CLI prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    User,
    Users,
    Sessions,
    Client,
    Clients,
    Keys,
}

pub(super) fn render(shape: Shape, answer: &Value) -> String {
    match shape {
        Shape::User => users(std::slice::from_ref(answer)),
        Shape::Users => users(items(&answer["users"])),
        Shape::Sessions => sessions(items(answer)),
        Shape::Client => created_client(answer),
        Shape::Clients => clients(items(answer)),
        Shape::Keys => keys(items(answer)),
    }
}

fn users(users: &[Value]) -> String {
    let rows = users.iter().map(|u| vec![text(&u["username"]), yes_no(&u["disabled"]), list(&u["scopes"])]);
    table(&["USERNAME", "DISABLED", "SCOPES"], &rows.collect::<Vec<_>>())
}

fn sessions(sessions: &[Value]) -> String {
    let rows = sessions.iter().map(|s| {
        vec![
            text(&s["sid"]),
            text(&s["client_id"]),
            time(&s["created_at"]),
            time(&s["last_used"]),
            time(&s["idle_expires_at"]),
            time(&s["expires_at"]),
            text(&s["scope"]),
        ]
    });
    let header = ["SID", "CLIENT", "CREATED (UTC)", "LAST USED", "IDLE END", "END", "SCOPE"];
    table(&header, &rows.collect::<Vec<_>>())
}

fn clients(clients: &[Value]) -> String {
    let rows = clients.iter().map(|c| {
        vec![
            text(&c["client_id"]),
            yes_no(&c["public"]),
            list(&c["grant_types"]),
            list(&c["scopes"]),
            list(&c["audiences"]),
            list(&c["serves"]),
            list(&c["redirect_uris"]),
            list(&c["post_logout_redirect_uris"]),
            text(&c["display_name"]),
        ]
    });
    let header = [
        "CLIENT_ID",
        "PUBLIC",
        "GRANT TYPES",
        "SCOPES",
        "AUDIENCES",
        "SERVES",
        "REDIRECT URIS",
        "LOGOUT REDIRECT URIS",
        "NAME",
    ];
    table(&header, &rows.collect::<Vec<_>>())
}

/// The client, and its secret: the only time the server shows it.
fn created_client(client: &Value) -> String {
    let mut out = clients(std::slice::from_ref(client));
    if let Some(secret) = client["client_secret"].as_str() {
        out.push_str(&format!("\nclient_secret: {secret}\n(shown once: the server keeps only its hash)\n"));
    }
    out
}

fn keys(keys: &[Value]) -> String {
    let rows = keys.iter().map(|k| {
        vec![
            text(&k["kid"]),
            text(&k["state"]),
            time(&k["created_at"]),
            time(&k["activated_at"]),
            time(&k["retired_at"]),
        ]
    });
    table(&["KID", "STATE", "CREATED (UTC)", "ACTIVATED", "RETIRED"], &rows.collect::<Vec<_>>())
}

fn items(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn yes_no(value: &Value) -> String {
    match value.as_bool() {
        Some(true) => "yes".into(),
        Some(false) => "no".into(),
        None => String::new(),
    }
}

/// A JSON list as space-separated words (how OAuth writes scopes, RFC 6749 §3.3).
fn list(value: &Value) -> String {
    items(value).iter().map(text).collect::<Vec<_>>().join(" ")
}

fn time(value: &Value) -> String {
    value.as_i64().map(utc).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_page_of_users() {
        let page = json!({"users": [
            {"username": "alice", "scopes": ["documents:read", "documents:write"], "disabled": false},
            {"username": "bob", "scopes": [], "disabled": true}
        ], "next_cursor": null});
        assert_eq!(
            render(Shape::Users, &page),
            "USERNAME  DISABLED  SCOPES\nalice     no        documents:read documents:write\nbob       yes\n"
        );
        let one = json!({"username": "carol", "scopes": ["documents:read"], "disabled": false});
        assert_eq!(render(Shape::User, &one), "USERNAME  DISABLED  SCOPES\ncarol     no        documents:read\n");
    }

    #[test]
    fn keys_with_dates_and_gaps() {
        let keys = json!([{"kid": "k1", "state": "active", "created_at": 0, "activated_at": 60, "retired_at": null}]);
        assert_eq!(
            render(Shape::Keys, &keys),
            "KID  STATE   CREATED (UTC)        ACTIVATED            RETIRED\n\
             k1   active  1970-01-01 00:00:00  1970-01-01 00:01:00\n"
        );
    }

    #[test]
    fn a_created_client_shows_its_secret_once() {
        let created = json!({"client_id": "svc", "public": false, "grant_types": ["client_credentials"],
            "scopes": [], "audiences": ["api"], "serves": ["svc"], "client_secret": "s3cret"});
        let out = render(Shape::Client, &created);
        assert!(
            out.starts_with("CLIENT_ID  PUBLIC  GRANT TYPES         SCOPES  AUDIENCES  SERVES  REDIRECT URIS"),
            "{out}"
        );
        assert!(out.contains("svc        no      client_credentials          api        svc\n"), "{out}");
        assert!(out.contains("client_secret: s3cret"), "{out}");
        let public = json!({"client_id": "web", "public": true, "grant_types": ["password"]});
        assert!(!render(Shape::Client, &public).contains("client_secret"));
        let portal = json!({"client_id": "web-portal", "public": false, "grant_types": ["authorization_code"],
            "redirect_uris": ["http://localhost:8090/callback"], "post_logout_redirect_uris": ["http://localhost:8090/"],
            "display_name": "Web portal"});
        let out = render(Shape::Clients, &json!([portal]));
        assert!(out.contains("http://localhost:8090/callback  http://localhost:8090/  Web portal\n"), "{out}");
    }

    #[test]
    fn sessions_and_unexpected_answers() {
        let sessions = json!([{"sid": "s1", "client_id": "web-app", "created_at": 0, "last_used": 0,
            "expires_at": 86400, "idle_expires_at": 3600, "scope": "documents:read"}]);
        let out = render(Shape::Sessions, &sessions);
        assert!(out.lines().nth(1).unwrap().starts_with("s1   web-app  1970-01-01 00:00:00"), "{out}");
        assert!(out.contains("1970-01-02 00:00:00  documents:read"), "{out}");
        assert_eq!(
            render(Shape::Clients, &Value::Null),
            "CLIENT_ID  PUBLIC  GRANT TYPES  SCOPES  AUDIENCES  SERVES  REDIRECT URIS  LOGOUT REDIRECT URIS  NAME\n"
        );
    }
}
