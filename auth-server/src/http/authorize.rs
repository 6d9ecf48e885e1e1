//! `GET` and `POST /oauth2/authorize`: the authorization code flow's front channel
//! (RFC 6749 §4.1.1, RFC 7636, RFC 9207).
//!
//! ```text
//! GET  ─► validate ─┬─ Page error: error page (never a redirect)
//!                   ├─ Redirect error: 302 to the client with error, state, iss
//!                   └─ login session stands (and no prompt=login): code_issuance::issue ─► 302
//!                      else prompt=none: login_required; else the login form (CSRF cookie)
//! POST ─► CSRF cookie == field? (403 page) ─► validate again ─► user_login::check_password
//!         ─┬─ refused / throttled: the form again, one generic message
//!          └─ success: login_session::open (cookie) ─► code_issuance::issue ─► 303
//! ```

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use shared_claims::{unix_now, Secret};

use super::cookies::{Cookie, CookiePolicy};
use super::form_body::read_form;
use super::login_page::{html, login_form, message_page, LoginForm};
use super::AppState;
use crate::crypto::{constant_time_eq, random_token};
use crate::oauth::authority::Authority;
use crate::oauth::authorization_request::{
    parse_parameters, validate, AuthorizationRequest, AuthorizeError, AuthorizeErrorCode, Prompt,
};
use crate::oauth::user_login::{check_password, LoginOutcome};
use crate::oauth::{code_issuance, login_session};
use server_kit::trusted_proxies::client_address;

/// Random bytes of a login form's CSRF token.
const CSRF_BYTES: usize = 32;

const WRONG_CREDENTIALS: &str = "The username or password is incorrect.";
const THROTTLED: &str = "Too many failed sign-in attempts. Please wait a minute and try again.";

/// Starts the authorization code flow: the login form, or a code at once within a
/// login session.
#[utoipa::path(
    get,
    path = "/oauth2/authorize",
    tag = "browser",
    params(
        ("response_type" = String, Query, description = "`code`"),
        ("client_id" = String, Query, description = "A client registered for `authorization_code`"),
        ("redirect_uri" = String, Query, description = "One of the client's `redirect_uris`, exactly"),
        ("code_challenge" = String, Query, description = "PKCE (RFC 7636): BASE64URL(SHA-256(verifier))"),
        ("code_challenge_method" = String, Query, description = "`S256` (`plain` is refused)"),
        ("scope" = Option<String>, Query, description = "Default: the client's scopes"),
        ("state" = Option<String>, Query, description = "Returned unchanged"),
        ("prompt" = Option<String>, Query, description = "`login` forces the form; `none` never shows it"),
        ("resource" = Option<Vec<String>>, Query, description = "RFC 8707: narrows the audience"),
    ),
    responses(
        (status = 200, description = "The login form (HTML)", content_type = "text/html"),
        (status = 302, description = "To the redirect URI with `code`, `state`, `iss`, or with `error` (RFC 6749 §4.1.2)"),
        (status = 400, description = "Unknown client, unregistered redirect URI or a repeated parameter: an error page, never a redirect", content_type = "text/html"),
    )
)]
pub(super) async fn get_authorize(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let authority = &state.authority;
    let cookies = CookiePolicy::for_issuer(authority.issuer());
    let params = match parse_parameters(req.query_string().as_bytes()) {
        Ok(params) => params,
        Err(err) => return refuse(authority, err, StatusCode::FOUND),
    };
    let request = match validate(&authority.clients, &params).await {
        Ok(request) => request,
        Err(err) => return refuse(authority, err, StatusCode::FOUND),
    };
    if request.prompt != Prompt::Login {
        if let Some(cookie) = cookies.read(&req, Cookie::LoginSession) {
            let now = unix_now();
            match login_session::resume(authority, &cookie, now).await {
                Ok(Some((login, user))) => {
                    return match code_issuance::issue(authority, &request, &login, &user, now).await {
                        Ok(url) => redirect(StatusCode::FOUND, &url),
                        Err(err) => refuse(authority, AuthorizeError::from_oauth(&err), StatusCode::FOUND),
                    };
                }
                Ok(None) => {}
                Err(err) => return refuse(authority, AuthorizeError::from_oauth(&err), StatusCode::FOUND),
            }
        }
        if request.prompt == Prompt::None {
            let err = request.error(AuthorizeErrorCode::LoginRequired, "the user is not signed in");
            return refuse(authority, err, StatusCode::FOUND);
        }
    }
    show_form(&req, cookies, &request, "", None, StatusCode::OK)
}

/// Submits the login form.
#[utoipa::path(
    post,
    path = "/oauth2/authorize",
    tag = "browser",
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "`username`, `password`, `csrf` and the authorization request's parameters, as the login form sends them"),
    responses(
        (status = 303, description = "Signed in: to the redirect URI with `code`, `state`, `iss`; sets the login session cookie"),
        (status = 400, description = "Wrong credentials: the form again with one generic message; or a refused request (error page)", content_type = "text/html"),
        (status = 403, description = "Missing or mismatched CSRF token: nothing is checked or counted", content_type = "text/html"),
        (status = 429, description = "Too many failed attempts: the form again", content_type = "text/html"),
    )
)]
pub(super) async fn post_authorize(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let authority = &state.authority;
    let cookies = CookiePolicy::for_issuer(authority.issuer());
    let form = match read_form(&req, payload, &["resource"]).await {
        Ok(form) => form,
        Err(err) => {
            let message = err.body().error_description.unwrap_or("The form could not be read.").to_owned();
            return refuse(authority, AuthorizeError::Page { status: 400, message }, StatusCode::SEE_OTHER);
        }
    };
    let csrf_cookie = cookies.read(&req, Cookie::LoginCsrf);
    let csrf_matches = match (csrf_cookie.as_deref(), form.get("csrf")) {
        (Some(cookie), Some(field)) => !cookie.is_empty() && constant_time_eq(cookie.as_bytes(), field.as_bytes()),
        _ => false,
    };
    if !csrf_matches {
        tracing::info!("login form refused: CSRF token missing or mismatched");
        return html(StatusCode::FORBIDDEN).body(message_page(
            "Sign-in form expired",
            "This sign-in form has expired or did not come from this site. Go back to the application and sign in again.",
        ));
    }
    let request = match validate(&authority.clients, &form).await {
        Ok(request) => request,
        Err(err) => return refuse(authority, err, StatusCode::SEE_OTHER),
    };
    let username = form.get("username").unwrap_or("");
    let Some(password) = form.get("password") else {
        let message = "Enter your username and password.";
        return show_form(&req, cookies, &request, username, Some(message), StatusCode::BAD_REQUEST);
    };
    let address = client_address(&req, &state.trusted_proxies);
    let user = match check_password(authority, username, Secret::new(password), address).await {
        Ok(LoginOutcome::Success(user)) => user,
        Ok(LoginOutcome::Refused) => {
            return show_form(&req, cookies, &request, username, Some(WRONG_CREDENTIALS), StatusCode::BAD_REQUEST)
        }
        Ok(LoginOutcome::Throttled) => {
            return show_form(&req, cookies, &request, username, Some(THROTTLED), StatusCode::TOO_MANY_REQUESTS)
        }
        Err(err) => return refuse(authority, AuthorizeError::from_oauth(&err), StatusCode::SEE_OTHER),
    };
    let now = unix_now();
    let previous = cookies.read(&req, Cookie::LoginSession);
    let opened = login_session::open(authority, &user, now, previous.as_deref()).await;
    let (cookie, login) = match opened {
        Ok(opened) => opened,
        Err(err) => return refuse(authority, AuthorizeError::from_oauth(&err), StatusCode::SEE_OTHER),
    };
    tracing::info!(client_id = %request.client.client_id, "login at the authorization endpoint");
    match code_issuance::issue(authority, &request, &login, &user, now).await {
        Ok(url) => {
            let mut response = HttpResponse::SeeOther();
            cookies.set(&mut response, Cookie::LoginSession, &cookie);
            cookies.clear(&mut response, Cookie::LoginCsrf);
            no_store(&mut response);
            response.insert_header((header::LOCATION, url)).finish()
        }
        Err(err) => refuse(authority, AuthorizeError::from_oauth(&err), StatusCode::SEE_OTHER),
    }
}

/// The login form, with a CSRF token: the browser's current one if it looks like
/// ours (so two tabs both work), else a new one.
fn show_form(
    req: &HttpRequest,
    cookies: CookiePolicy,
    request: &AuthorizationRequest,
    username: &str,
    error: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let csrf = cookies
        .read(req, Cookie::LoginCsrf)
        .filter(|c| c.len() == 43 && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .unwrap_or_else(|| random_token(CSRF_BYTES));
    let body = login_form(&LoginForm {
        client_name: request.client.shown_name(),
        parameters: &request.parameters,
        csrf: &csrf,
        username,
        error,
    });
    let mut response = html(status);
    cookies.set(&mut response, Cookie::LoginCsrf, &csrf);
    response.body(body)
}

/// An error page, or the error sent back to the client.
fn refuse(authority: &Authority, err: AuthorizeError, redirect_status: StatusCode) -> HttpResponse {
    match err {
        AuthorizeError::Page { status, message } => {
            tracing::info!(reason = %message, "authorization request refused");
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
            let mut response = html(status);
            if status == StatusCode::SERVICE_UNAVAILABLE {
                response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("1")));
            }
            response.body(message_page("Sign-in request refused", &message))
        }
        AuthorizeError::Redirect(redirect_err) => {
            tracing::info!(error = redirect_err.code.as_str(), "authorization request refused");
            redirect(redirect_status, &redirect_err.url(authority.issuer()))
        }
    }
}

fn redirect(status: StatusCode, url: &str) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    no_store(&mut response);
    response.insert_header((header::LOCATION, url)).finish()
}

fn no_store(response: &mut actix_web::HttpResponseBuilder) {
    response
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header((header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")));
}
