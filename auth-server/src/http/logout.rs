//! `GET` and `POST /oauth2/logout`: ends the browser's login session at the auth
//! server, in the shape of OpenID Connect RP-initiated logout (`client_id`,
//! `post_logout_redirect_uri`, `state`; `id_token_hint` is accepted and ignored, as
//! no ID tokens are issued).
//!
//! A GET only asks: signing out takes a POST of the confirmation form with its CSRF
//! token, so a cross-site page cannot sign the user out.
//!
//! ```text
//! GET  ─► "Sign out of <issuer>?" page: hidden client_id, post_logout_redirect_uri,
//!         state, csrf (cookie and field)
//! POST ─► CSRF cookie == field? no: the page again, nothing changed
//!      ─► login_session::end (revokes every sid it lists, on the feed, then deletes it;
//!         a failure keeps both the record and the cookie, so signing out again finishes)
//!      ─► clear the cookie
//!      ─► post_logout_redirect_uri registered for client_id (exact)? 303 there (+ state)
//!         else the "You are signed out" page
//! ```

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::cookies::{Cookie, CookiePolicy};
use super::csrf;
use super::form_body::read_form;
use super::login_page::{base_path, html, logout_form, message_page, LogoutForm};
use super::AppState;
use crate::oauth::authorization_request::{parse_parameters, redirect_url};
use crate::oauth::form::FormParams;
use crate::oauth::login_session;
use crate::store::ClientStore;

/// Asks the user to confirm signing out (query parameters).
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
        (status = 200, description = "The confirmation page: a form that POSTs these parameters with a CSRF token; nothing is changed yet", content_type = "text/html"),
    )
)]
pub(super) async fn get_logout(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    // Unreadable parameters are no reason to refuse: the page asks without them.
    let params = parse_parameters(req.query_string().as_bytes()).unwrap_or_default();
    confirmation(&state, &params, StatusCode::OK).await
}

/// Ends the login session (the confirmation form).
#[utoipa::path(
    post,
    path = "/oauth2/logout",
    tag = "browser",
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "`csrf` (as the confirmation page sends it), `client_id`, `post_logout_redirect_uri`, `state`"),
    responses(
        (status = 200, description = "Signed out: a page (no registered redirect given)", content_type = "text/html"),
        (status = 303, description = "Signed out: to the registered `post_logout_redirect_uri`"),
        (status = 403, description = "Missing or mismatched CSRF token: the confirmation page again, nothing changed", content_type = "text/html"),
        (status = 503, description = "The store is unreachable: a page with `Retry-After`; the login session and its cookie are kept", content_type = "text/html"),
    )
)]
pub(super) async fn post_logout(req: HttpRequest, payload: web::Payload, state: web::Data<AppState>) -> HttpResponse {
    let params = read_form(&req, payload, &[]).await.unwrap_or_default();
    if !csrf::matches(&req, CookiePolicy::for_issuer(state.authority.issuer()), &params) {
        tracing::info!("logout refused: CSRF token missing or mismatched");
        return confirmation(&state, &params, StatusCode::FORBIDDEN).await;
    }
    logout(&req, &state, &params).await
}

/// The parameters the confirmation form carries to the POST.
const CARRIED: [&str; 3] = ["client_id", "post_logout_redirect_uri", "state"];

/// "Sign out of <issuer>?", naming the client when one is given, with a form that
/// POSTs the parameters back with a CSRF token.
async fn confirmation(state: &AppState, params: &FormParams, status: StatusCode) -> HttpResponse {
    let authority = &state.authority;
    let cookies = CookiePolicy::for_issuer(authority.issuer());
    let client = match params.get("client_id") {
        Some(client_id) => authority.clients.client(client_id).await.ok().flatten(),
        None => None,
    };
    let parameters: Vec<(String, String)> =
        CARRIED.iter().filter_map(|name| params.get(name).map(|v| ((*name).to_owned(), v.to_owned()))).collect();
    let mut response = html(status);
    let csrf = csrf::token_for_form(cookies, &mut response);
    response.body(logout_form(&LogoutForm {
        base: &base_path(authority.issuer()),
        issuer: authority.issuer(),
        client_name: client.as_ref().map(|c| c.shown_name()),
        parameters: &parameters,
        csrf: &csrf,
    }))
}

async fn logout(req: &HttpRequest, state: &AppState, params: &FormParams) -> HttpResponse {
    let authority = &state.authority;
    let cookies = CookiePolicy::for_issuer(authority.issuer());
    if let Some(cookie) = cookies.read(req, Cookie::LoginSession) {
        if let Err(err) = login_session::end(authority, &cookie, shared_claims::unix_now()).await {
            // The cookie is kept, so that signing out again can finish the job.
            tracing::error!(error = %err, "logout failed");
            let mut response = if err.status() == 503 {
                let mut response = html(StatusCode::SERVICE_UNAVAILABLE);
                response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("1")));
                response
            } else {
                html(StatusCode::INTERNAL_SERVER_ERROR)
            };
            return response.body(message_page(
                &base_path(authority.issuer()),
                "Sign-out failed",
                "The server could not sign you out now. Please try again.",
            ));
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
    cookies.clear(&mut response, Cookie::LoginCsrf);
    response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
    match destination {
        Some(url) => response.insert_header((header::LOCATION, url)).finish(),
        None => response.body(message_page(
            &base_path(authority.issuer()),
            "You are signed out",
            "You can close this window.",
        )),
    }
}
