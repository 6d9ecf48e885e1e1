//! `POST /logout` (with the CSRF header): ends the session everywhere.
//!
//! ```text
//! session cookie -> forget the session -> revoke its refresh token (RFC 7009: the
//! server revokes the whole session, access tokens included) -> clear the cookie
//! -> {"redirect": end_session_endpoint?client_id&post_logout_redirect_uri}
//! ```
//!
//! The page follows `redirect` itself (a `fetch` cannot hand a cross-site redirect to
//! the window), so the authorization server's login session ends too and the browser
//! comes back to the portal's front page.

use actix_web::http::header::SET_COOKIE;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::app::AppState;
use crate::cookies::CookieKind;

pub(crate) async fn post_logout(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let session = state.cookies.read(&req, CookieKind::Session).and_then(|id| {
        let session = state.sessions.get(&id);
        state.sessions.remove(&id);
        session
    });
    let provider = state.discovery.provider().await.ok();
    if let (Some(session), Some(provider)) = (session, &provider) {
        if let Some(refresh_token) = session.refresh_token().await {
            match provider.revoke(&state.http, &refresh_token).await {
                Ok(()) => tracing::info!("signed out: refresh token revoked"),
                Err(why) => tracing::warn!(error = %why, "signed out, but revoking the refresh token failed"),
            }
        }
    }
    let redirect = provider.map_or_else(|| "/".to_owned(), |provider| provider.end_session_url());
    HttpResponse::Ok()
        .insert_header((SET_COOKIE, state.cookies.clear(CookieKind::Session)))
        .json(json!({ "redirect": redirect }))
}
