//! The admin API's bodies: the media-type check and JSON reader of
//! `http::admin::json`, into each request type, then the rules its handler applies.
//!
//! Must hold: no panic; every refusal is a 400 `invalid_request` with a bounded
//! description (it is sent back to the caller); an accepted client registration,
//! shown as the admin API shows it, registers again to the same client; accepted
//! scopes survive a write and a re-read.

#![no_main]

use auth_server::admin::clients::{ClientView, NewClient};
use auth_server::admin::passwords::{check_new_password, NewPassword};
use auth_server::admin::users::{NewUser, UserPatch};
use auth_server::admin::AdminError;
use auth_server::http::{admin_check_media_type, admin_parse_body};
use auth_server::oauth::client_registration::ClientSpec;
use libfuzzer_sys::fuzz_target;
use shared_claims::ScopeSet;

/// What an error description may reach; the body itself may be 64 KiB.
const MAX_DESCRIPTION: usize = 1024;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, body)) = data.split_first() else { return };
    match kind % 5 {
        0 => new_user(body),
        1 => user_patch(body),
        2 => new_password(body),
        3 => new_client(body),
        _ => media_type(body),
    }
});

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Option<T> {
    admin_parse_body(body).map_err(refused).ok()
}

fn refused(err: AdminError) {
    assert_eq!(err.status(), 400, "{err:?}");
    let description = err.to_string();
    assert!(description.len() <= MAX_DESCRIPTION, "a {} byte error description", description.len());
}

fn new_user(body: &[u8]) {
    let Some(new) = parse::<NewUser>(body) else { return };
    let _ = check_new_password(&new.password).map_err(refused);
    if auth_server::oauth::validation::check_username(&new.username).is_ok() {
        if let Ok(scopes) = ScopeSet::from_tokens(&new.scopes) {
            scopes_round_trip(&scopes);
        }
    }
}

fn user_patch(body: &[u8]) {
    let Some(patch) = parse::<UserPatch>(body) else { return };
    if let Some(Ok(scopes)) = patch.scopes.as_ref().map(ScopeSet::from_tokens) {
        scopes_round_trip(&scopes);
    }
}

fn new_password(body: &[u8]) {
    if let Some(new) = parse::<NewPassword>(body) {
        let _ = check_new_password(&new.password).map_err(refused);
    }
}

fn new_client(body: &[u8]) {
    let Some(new) = parse::<NewClient>(body) else { return };
    let Some(view) = register(new) else { return };
    let shown = serde_json::to_vec(&view).expect("a view serialises");
    let again: NewClient = admin_parse_body(&shown).expect("a shown client is a valid registration body");
    assert_eq!(register(again).as_ref(), Some(&view), "a shown client registers differently");
}

/// The client as registered and shown; a confidential client gets a fixed secret
/// (the server generates one).
fn register(new: NewClient) -> Option<ClientView> {
    let spec = ClientSpec {
        client_secret_hash: (!new.public).then(|| "0".repeat(64)),
        client_id: new.client_id,
        public: new.public,
        client_secret: None,
        grant_types: new.grant_types,
        scopes: new.scopes,
        audiences: new.audiences,
        serves: new.serves,
        redirect_uris: new.redirect_uris,
        post_logout_redirect_uris: new.post_logout_redirect_uris,
        display_name: new.display_name,
    };
    let record = spec.into_record().ok()?;
    Some(ClientView::from(&record))
}

fn scopes_round_trip(scopes: &ScopeSet) {
    let tokens: Vec<&str> = scopes.iter().collect();
    assert_eq!(&ScopeSet::from_tokens(&tokens).expect("granted scopes parse again"), scopes);
}

fn media_type(raw: &[u8]) {
    let Ok(content_type) = std::str::from_utf8(raw) else { return };
    if admin_check_media_type(content_type).is_ok() {
        let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        assert!(essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json")));
    }
}
