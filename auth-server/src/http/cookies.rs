//! The browser cookies of the authorization endpoint: the login session and the
//! login form's CSRF token. Both HttpOnly and SameSite=Lax (the authorization request
//! arrives by a cross-site navigation, which Lax still sends cookies with). Under an
//! https issuer both are Secure and `__Host-` prefixed, which pins them to this host
//! and Path=/ (RFC 6265bis §4.1.3.2); over plain http (local development) the prefix
//! would be refused, so the CSRF cookie is narrowed to Path=/oauth2 instead.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponseBuilder};

/// The cookies' names and attributes, fixed by the issuer's scheme.
#[derive(Debug, Clone, Copy)]
pub(super) struct CookiePolicy {
    secure: bool,
}

/// Which of the two cookies.
#[derive(Debug, Clone, Copy)]
pub(super) enum Cookie {
    LoginSession,
    LoginCsrf,
}

/// How long a login form may sit before it is submitted.
const CSRF_MAX_AGE: i64 = 3_600;

impl CookiePolicy {
    pub(super) fn for_issuer(issuer: &str) -> Self {
        Self { secure: issuer.starts_with("https://") }
    }

    pub(super) fn name(self, cookie: Cookie) -> &'static str {
        match (cookie, self.secure) {
            (Cookie::LoginSession, false) => "as_session",
            (Cookie::LoginSession, true) => "__Host-as_session",
            (Cookie::LoginCsrf, false) => "as_login_csrf",
            (Cookie::LoginCsrf, true) => "__Host-as_login_csrf",
        }
    }

    fn attributes(self, cookie: Cookie) -> String {
        let path = match (cookie, self.secure) {
            (Cookie::LoginCsrf, false) => "/oauth2",
            _ => "/",
        };
        let max_age = match cookie {
            Cookie::LoginCsrf => format!("; Max-Age={CSRF_MAX_AGE}"),
            // Until the browser closes; the store ends it earlier if idle.
            Cookie::LoginSession => String::new(),
        };
        let secure = if self.secure { "; Secure" } else { "" };
        format!("Path={path}{max_age}; HttpOnly; SameSite=Lax{secure}")
    }

    /// The value the browser sent, if any (the first, should it send several).
    pub(super) fn read(self, req: &HttpRequest, cookie: Cookie) -> Option<String> {
        let name = self.name(cookie);
        req.headers()
            .get_all(header::COOKIE)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(n, _)| *n == name)
            .map(|(_, value)| value.trim_matches('"').to_owned())
    }

    /// Adds a `Set-Cookie` that sets `value` (base64url, so no quoting is needed).
    pub(super) fn set(self, response: &mut HttpResponseBuilder, cookie: Cookie, value: &str) {
        let line = format!("{}={value}; {}", self.name(cookie), self.attributes(cookie));
        if let Ok(line) = HeaderValue::from_str(&line) {
            response.append_header((header::SET_COOKIE, line));
        }
    }

    /// Adds a `Set-Cookie` that removes the cookie.
    pub(super) fn clear(self, response: &mut HttpResponseBuilder, cookie: Cookie) {
        let attributes = self.attributes(cookie).replace(&format!("; Max-Age={CSRF_MAX_AGE}"), "");
        let line = format!("{}=; {attributes}; Max-Age=0", self.name(cookie));
        if let Ok(line) = HeaderValue::from_str(&line) {
            response.append_header((header::SET_COOKIE, line));
        }
    }
}
