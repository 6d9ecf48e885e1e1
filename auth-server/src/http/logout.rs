//! `GET` and `POST /oauth2/logout`: ends the browser's login session at the auth
//! server, in the shape of OpenID Connect RP-initiated logout (`client_id`,
//! `post_logout_redirect_uri`, `state`; `id_token_hint` is accepted and ignored, as
//! no ID tokens are issued).
//!
//! ```text
//! logout ─► login_session::end (revokes every sid it created, on the feed)
//!        ─► clear the cookie
//!        ─► post_logout_redirect_uri registered for client_id (exact)? 303 there (+ state)
//!           else the "You are signed out" page
//! ```

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::cookies::{Cookie, CookiePolicy};
use super::form_body::read_form;
use super::login_page::{html, message_page};
use super::AppState;
use crate::oauth::authorization_request::{parse_parameters, redirect_url};
use crate::oauth::form::FormParams;
use crate::oauth::login_session;
use crate::store::ClientStore;

/// Ends the login session (query parameters).
#[utoipa::path(
    get,
    path = "/oauth2/logout",
    tag = "browser",
    params(
        ("client_id" = Option<String>, Query, description = "The client asking"),
        ("post_logout_redirect_uri" = Option<String>, Query, description = "One of the client's `post_logout_redirect_uris`, exactly"),
        ("state" = Option<String>, Query, description = "Appended to the redirect"),
        ("id_token_hint" = Option<String>, Query, description = "Ignored"),
    ),
    responses(
        (status = 200, description = "Signed out: a page (no registered redirect given)", content_type = "text/html"),
        (status = 303, description = "Signed out: to the registered `post_logout_redirect_uri`"),
    )
)]
pub(super) async fn get_logout(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    // Unreadable parameters are no reason to keep a session: sign out anyway.
    let params = parse_parameters(req.query_string().as_bytes()).unwrap_or_default();
    logout(&req, &state, &params).await
}

/// Ends the login session (form parameters).
#[utoipa::path(
    post,
    path = "/oauth2/logout",
    tag = "browser",
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "`client_id`, `post_logout_redirect_uri`, `state` (all optional)"),
    responses(
        (status = 200, description = "Signed out: a page (no registered redirect given)", content_type = "text/html"),
        (status = 303, description = "Signed out: to the registered `post_logout_redirect_uri`"),
    )
)]
pub(super) async fn post_logout(req: HttpRequest, payload: web::Payload, state: web::Data<AppState>) -> HttpResponse {
    let params = read_form(&req, payload, &[]).await.unwrap_or_default();
    logout(&req, &state, &params).await
}

async fn logout(req: &HttpRequest, state: &AppState, params: &FormParams) -> HttpResponse {
    let authority = &state.authority;
    let cookies = CookiePolicy::for_issuer(authority.issuer());
    if let Some(cookie) = cookies.read(req, Cookie::LoginSession) {
        if let Err(err) = login_session::end(authority, &cookie).await {
            // The cookie is kept, so that signing out again can finish the job.
            tracing::error!(error = %err, "logout failed");
            let status =
                if err.status() == 503 { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::INTERNAL_SERVER_ERROR };
            return html(status)
                .body(message_page("Sign-out failed", "The server could not sign you out now. Please try again."));
        }
    }
    let destination = match (params.get("client_id"), params.get("post_logout_redirect_uri")) {
        (Some(client_id), Some(uri)) => match authority.clients.client(client_id).await {
            Ok(Some(client)) if client.post_logout_redirect_uris.iter().any(|r| r == uri) => {
                let state_param: Vec<(&str, &str)> = params.get("state").map(|s| ("state", s)).into_iter().collect();
                Some(if state_param.is_empty() { uri.to_owned() } else { redirect_url(uri, &state_param) })
            }
            _ => None,
        },
        _ => None,
    };
    let mut response = match &destination {
        Some(_) => HttpResponse::SeeOther(),
        None => html(StatusCode::OK),
    };
    cookies.clear(&mut response, Cookie::LoginSession);
    response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
    match destination {
        Some(url) => response.insert_header((header::LOCATION, url)).finish(),
        None => response.body(message_page("You are signed out", "You can close this window.")),
    }
}
