//! `GET /callback`: the authorization response (RFC 6749 §4.1.2, RFC 9207) turned
//! into a session.
//!
//! ```text
//! pre-login cookie -> pending login (unsealed, not expired) -> state matches (constant time)
//!   -> iss names our server (RFC 9207 §2.4) -> error? show it
//!   -> Provider::exchange_code (client_secret_basic, code_verifier)
//!   -> any session this browser had: forgotten, its refresh token revoked
//!   -> Session stored under a fresh random id -> session cookie
//!   -> a same-site page that moves on to `/`
//! ```
//!
//! The session cookie is `SameSite=Strict`, and a browser does not send a Strict
//! cookie on the rest of a redirect chain that began on another site (the
//! authorization server). So the callback does not redirect: it answers a small page
//! of our own whose `<meta http-equiv="refresh">` starts a new, same-site navigation
//! to `/`, whose request carries the cookie. (The page's own `fetch` calls carry it in
//! any case, being same-site; the navigation matters for anything served by `/`
//! itself.)

use std::sync::Arc;

use actix_web::http::header::{CONTENT_TYPE, SET_COOKIE};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::message_page;
use crate::app::AppState;
use crate::cookies::CookieKind;
use crate::provider::TokenError;
use crate::session::Session;

#[derive(Debug, Deserialize)]
pub(crate) struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
}

const CONTINUE_PAGE: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
    <meta http-equiv=\"refresh\" content=\"0;url=/\"><title>Signed in</title>\
    <link rel=\"stylesheet\" href=\"/static/app.css\"></head>\
    <body><main class=\"card\"><p>Signed in. <a href=\"/\">Continue to the portal</a></p></main></body></html>\n";

pub(crate) async fn get_callback(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let mut response = complete(&req, &state).await;
    // Whatever happened, the pre-login cookie has served its purpose.
    response.headers_mut().append(SET_COOKIE, state.cookies.clear(CookieKind::Login));
    response
}

async fn complete(req: &HttpRequest, state: &AppState) -> HttpResponse {
    let query = match web::Query::<CallbackQuery>::from_query(req.query_string()) {
        Ok(query) => query.into_inner(),
        Err(_) => return failed(StatusCode::BAD_REQUEST, "The sign-in response was malformed."),
    };
    let pending = state.cookies.read(req, CookieKind::Login).and_then(|ticket| state.tickets.open(&ticket));
    let Some(pending) = pending else {
        return failed(StatusCode::BAD_REQUEST, "This sign-in has expired or was already used. Please sign in again.");
    };
    let state_matches = query.state.as_deref().is_some_and(|got| pending.state.matches(got));
    if !state_matches {
        tracing::warn!("authorization response with a wrong state refused");
        return failed(StatusCode::BAD_REQUEST, "The sign-in response did not match this browser's sign-in.");
    }
    let provider = match state.discovery.provider().await {
        Ok(provider) => provider,
        Err(err) => {
            tracing::warn!(error = %err, "cannot complete a sign-in");
            return failed(StatusCode::SERVICE_UNAVAILABLE, "Signing in is not possible right now.");
        }
    };
    // RFC 9207 §2.4: error responses too, so a mix-up cannot show another server's
    // error as ours.
    if !provider.accepts_iss(query.iss.as_deref()) {
        tracing::warn!("authorization response from an unexpected issuer refused (RFC 9207)");
        return failed(StatusCode::BAD_REQUEST, "The sign-in response came from an unexpected server.");
    }
    if let Some(error) = query.error {
        // Only the RFC 6749 §4.1.2.1 code is shown, and only if it looks like one.
        let code = if error.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') { error } else { "error".to_owned() };
        tracing::info!(error = %code, "the authorization server refused the sign-in");
        return failed(StatusCode::BAD_REQUEST, &format!("The sign-in was not completed ({code})."));
    }
    let Some(code) = query.code else {
        return failed(StatusCode::BAD_REQUEST, "The sign-in response carried no code.");
    };
    let issued = match provider.exchange_code(&state.http, &code, &pending.verifier).await {
        Ok(issued) => issued,
        Err(TokenError::InvalidGrant) => {
            // The code was used, expired or is not ours: the browser's request was bad.
            tracing::info!("code exchange refused (invalid_grant)");
            return failed(StatusCode::BAD_REQUEST, "The sign-in could not be completed. Please sign in again.");
        }
        Err(err) => {
            tracing::warn!(error = %err, "code exchange failed");
            return failed(StatusCode::BAD_GATEWAY, "The sign-in could not be completed. Please sign in again.");
        }
    };
    // Signing in over an existing session replaces it: the old one is forgotten and
    // its refresh token revoked, so it cannot live on unseen.
    let old = state.cookies.read(req, CookieKind::Session).and_then(|id| {
        let old = state.sessions.get(&id);
        state.sessions.remove(&id);
        old
    });
    if let Some(refresh_token) = match old {
        Some(old) => old.refresh_token().await,
        None => None,
    } {
        if let Err(why) = provider.revoke(&state.http, &refresh_token).await {
            tracing::warn!(error = %why, "revoking the replaced session's refresh token failed");
        }
    }
    let session = Arc::new(Session::new(issued));
    let Some(cookie) = state.sessions.insert(session).and_then(|id| state.cookies.set(CookieKind::Session, &id)) else {
        return failed(StatusCode::INTERNAL_SERVER_ERROR, "The sign-in could not be completed.");
    };
    tracing::info!("signed in");
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((SET_COOKIE, cookie))
        .body(CONTINUE_PAGE)
}

fn failed(status: StatusCode, message: &str) -> HttpResponse {
    message_page(status, "Sign-in failed", message)
}
