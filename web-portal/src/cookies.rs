//! The portal's two cookies, each carrying an opaque value (RFC 6265bis):
//!
//! - the session cookie (`portal_session`): `HttpOnly; SameSite=Strict; Path=/`, so no
//!   script reads it and no cross-site request carries it (CSRF);
//! - the pre-login cookie (`portal_login`): `HttpOnly; SameSite=Lax; Path=/`, lives
//!   only while a sign-in is under way, and carries it sealed. Lax because the callback is a cross-site
//!   top-level navigation from the authorization server, which a Strict cookie would
//!   miss.
//!
//! Under https both are `Secure` with the `__Host-` prefix (bound to this host, path
//! `/`, never set over plain http).

use actix_web::http::header::{HeaderValue, COOKIE};
use actix_web::HttpRequest;

/// Which of the portal's cookies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CookieKind {
    Session,
    Login,
}

/// Pre-login cookies live this long: the time a user may take on the login page.
pub(crate) const LOGIN_MAX_AGE_SECS: u64 = 600;

/// The names and attributes of the portal's cookies for one deployment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cookies {
    secure: bool,
}

impl Cookies {
    pub(crate) fn new(secure: bool) -> Self {
        Self { secure }
    }

    pub(crate) fn name(&self, kind: CookieKind) -> &'static str {
        match (kind, self.secure) {
            (CookieKind::Session, false) => "portal_session",
            (CookieKind::Session, true) => "__Host-portal_session",
            (CookieKind::Login, false) => "portal_login",
            (CookieKind::Login, true) => "__Host-portal_login",
        }
    }

    fn attributes(&self, kind: CookieKind) -> String {
        let same_site = match kind {
            CookieKind::Session => "Strict",
            CookieKind::Login => "Lax",
        };
        let secure = if self.secure { "; Secure" } else { "" };
        format!("Path=/; HttpOnly; SameSite={same_site}{secure}")
    }

    /// `Set-Cookie` carrying `id`. The session cookie is a browser-session cookie (the
    /// server-side session bounds its life); the pre-login one expires on its own.
    pub(crate) fn set(&self, kind: CookieKind, id: &str) -> Option<HeaderValue> {
        let max_age = match kind {
            CookieKind::Session => String::new(),
            CookieKind::Login => format!("; Max-Age={LOGIN_MAX_AGE_SECS}"),
        };
        let value = format!("{}={id}; {}{max_age}", self.name(kind), self.attributes(kind));
        HeaderValue::from_str(&value).ok()
    }

    /// `Set-Cookie` that deletes the cookie.
    pub(crate) fn clear(&self, kind: CookieKind) -> HeaderValue {
        let value = format!("{}=; {}; Max-Age=0", self.name(kind), self.attributes(kind));
        HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("portal_session=; Max-Age=0"))
    }

    /// The value of the request's cookie of `kind`, if it sent exactly one that looks
    /// like one of our ids.
    pub(crate) fn read(&self, req: &HttpRequest, kind: CookieKind) -> Option<String> {
        let name = self.name(kind);
        let mut found = req
            .headers()
            .get_all(COOKIE)
            .filter_map(|header| header.to_str().ok())
            .flat_map(|header| header.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .filter(|(key, _)| *key == name)
            .map(|(_, value)| value);
        let (Some(value), None) = (found.next(), found.next()) else { return None };
        let max_len = match kind {
            CookieKind::Session => 64,
            CookieKind::Login => crate::login_ticket::MAX_TICKET_LEN,
        };
        let plausible = !value.is_empty()
            && value.len() <= max_len
            && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        plausible.then(|| value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn text(value: HeaderValue) -> String {
        value.to_str().unwrap().to_owned()
    }

    #[test]
    fn the_session_cookie_is_http_only_and_strict() {
        let cookies = Cookies::new(false);
        let set = text(cookies.set(CookieKind::Session, "abc").unwrap());
        assert_eq!(set, "portal_session=abc; Path=/; HttpOnly; SameSite=Strict");
        let cleared = text(cookies.clear(CookieKind::Session));
        assert_eq!(cleared, "portal_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    }

    #[test]
    fn the_login_cookie_is_lax_and_short_lived() {
        let set = text(Cookies::new(false).set(CookieKind::Login, "xyz").unwrap());
        assert_eq!(set, "portal_login=xyz; Path=/; HttpOnly; SameSite=Lax; Max-Age=600");
    }

    #[test]
    fn https_cookies_are_secure_host_cookies() {
        let cookies = Cookies::new(true);
        let set = text(cookies.set(CookieKind::Session, "abc").unwrap());
        assert_eq!(set, "__Host-portal_session=abc; Path=/; HttpOnly; SameSite=Strict; Secure");
        let login = text(cookies.set(CookieKind::Login, "xyz").unwrap());
        assert!(login.starts_with("__Host-portal_login=xyz; Path=/; HttpOnly; SameSite=Lax; Secure"), "{login}");
        assert!(text(cookies.clear(CookieKind::Login)).contains("; Secure; Max-Age=0"));
    }

    #[test]
    fn reads_exactly_one_plausible_id() {
        let cookies = Cookies::new(false);
        let read = |header: &str| {
            cookies.read(&TestRequest::default().insert_header((COOKIE, header)).to_http_request(), CookieKind::Session)
        };
        assert_eq!(read("a=1; portal_session=abc_-9; b=2").as_deref(), Some("abc_-9"));
        assert_eq!(read("portal_session=a; portal_session=b"), None, "two values: neither is trusted");
        assert_eq!(read("portal_session="), None);
        assert_eq!(read("portal_session=a b"), None);
        assert_eq!(read(&format!("portal_session={}", "x".repeat(65))), None);
        assert_eq!(read("portal_login=abc"), None);
        assert_eq!(cookies.read(&TestRequest::default().to_http_request(), CookieKind::Session), None);
    }
}
