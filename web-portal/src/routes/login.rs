//! `GET /login`: the start of the authorization code flow (RFC 6749 §4.1.1) with PKCE
//! (RFC 7636). The `state` and the code verifier travel sealed in the short-lived
//! pre-login cookie (see `login_ticket`); the server keeps nothing.

use actix_web::http::header::{CACHE_CONTROL, LOCATION, SET_COOKIE};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::message_page;
use crate::app::AppState;
use crate::cookies::CookieKind;
use crate::login_ticket::PendingLogin;

pub(crate) async fn get_login(state: web::Data<AppState>) -> HttpResponse {
    let provider = match state.discovery.provider().await {
        Ok(provider) => provider,
        Err(err) => {
            tracing::warn!(error = %err, "cannot start a sign-in");
            return unavailable();
        }
    };
    let Some(start) = provider.start_authorization() else {
        tracing::warn!("the authorization server announces no authorization_endpoint");
        return unavailable();
    };
    let pending = PendingLogin { state: start.state, verifier: start.verifier };
    let Some(cookie) = state.tickets.seal(&pending).and_then(|id| state.cookies.set(CookieKind::Login, &id)) else {
        return unavailable();
    };
    HttpResponse::Found()
        .insert_header((LOCATION, start.url.as_str()))
        .insert_header((SET_COOKIE, cookie))
        .insert_header((CACHE_CONTROL, "no-store"))
        .finish()
}

fn unavailable() -> HttpResponse {
    message_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Sign-in unavailable",
        "Signing in is not possible right now. Please try again later.",
    )
}
