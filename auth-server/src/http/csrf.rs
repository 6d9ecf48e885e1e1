//! The CSRF token of the forms served here (login, continue, sign out): a random
//! value in the pre-login CSRF cookie and the same value in the form's hidden `csrf`
//! field (double submit). A cross-site page can make the browser send the cookie but
//! can neither read it nor set the field to match.

use actix_web::{HttpRequest, HttpResponseBuilder};

use super::cookies::{Cookie, CookiePolicy};
use crate::crypto::{constant_time_eq, random_token};
use crate::oauth::form::FormParams;

/// Random bytes of a CSRF token.
const CSRF_BYTES: usize = 32;

/// A new token for a form about to be rendered, set in the cookie on `response`.
/// Never the browser's current cookie: under an http issuer a sibling host can plant
/// that cookie (no `__Host-` prefix there), and adopting it would let the planter
/// forge the form. The cost: of two forms open at once, only the newer one submits.
pub(super) fn token_for_form(cookies: CookiePolicy, response: &mut HttpResponseBuilder) -> String {
    let csrf = random_token(CSRF_BYTES);
    cookies.set(response, Cookie::LoginCsrf, &csrf);
    csrf
}

/// Whether the form's `csrf` field equals the cookie (compared in constant time).
pub(super) fn matches(req: &HttpRequest, cookies: CookiePolicy, form: &FormParams) -> bool {
    match (cookies.read(req, Cookie::LoginCsrf).as_deref(), form.get("csrf")) {
        (Some(cookie), Some(field)) => !cookie.is_empty() && constant_time_eq(cookie.as_bytes(), field.as_bytes()),
        _ => false,
    }
}
