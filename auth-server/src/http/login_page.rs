//! The HTML of the authorization endpoint: the login form, the sign-out
//! confirmation, error and signed-out pages, and their stylesheet. No JavaScript and
//! nothing inline, so the Content Security Policy allows only our own stylesheet. No `form-action` directive: some
//! browsers apply it to the redirect that follows the POST, which goes to the client.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, HttpResponseBuilder};
use server_kit::html::escape;

/// Where the stylesheet is served, below the issuer's path.
pub(super) const STYLESHEET_PATH: &str = "/oauth2/assets/login.css";

/// The issuer's path without a trailing slash: `""` for `https://example.com`,
/// `"/auth"` for `https://example.com/auth`. The pages' links start with it, so they
/// still work behind a proxy that serves the auth server under a path prefix.
pub(super) fn base_path(issuer: &str) -> String {
    url::Url::parse(issuer).map(|url| url.path().trim_end_matches('/').to_owned()).unwrap_or_default()
}

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'";

const STYLESHEET: &str = "\
body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1d2129;margin:0}
main{max-width:22rem;margin:4rem auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002}
h1{font-size:1.3rem;margin:0 0 1rem}
label{display:block;margin:1rem 0 .3rem;font-weight:600}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}
button{margin-top:1.5rem;width:100%;padding:.6rem;font-size:1rem;background:#1f5fbf;color:#fff;border:0;border-radius:4px}
[role=alert]{background:#fdecea;color:#8a1c12;padding:.6rem;border-radius:4px}
";

/// An HTML answer with the headers every page here carries: nothing framed, cached,
/// sniffed or leaked through the Referer.
pub(super) fn html(status: StatusCode) -> HttpResponseBuilder {
    let mut response = HttpResponse::build(status);
    response
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")))
        .insert_header((header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
        .insert_header((header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header((header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")));
    response
}

/// `GET /oauth2/assets/login.css`.
#[utoipa::path(
    get,
    path = "/oauth2/assets/login.css",
    tag = "browser",
    responses((status = 200, description = "The login page's stylesheet", content_type = "text/css")),
)]
pub(super) async fn get_login_css() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8")))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .body(STYLESHEET)
}

/// What the login form shows.
pub(super) struct LoginForm<'a> {
    /// [`base_path`] of the issuer.
    pub base: &'a str,
    pub client_name: &'a str,
    /// The authorization request's parameters, carried as hidden inputs.
    pub parameters: &'a [(String, String)],
    pub csrf: &'a str,
    /// Echoed after a failed attempt.
    pub username: &'a str,
    pub error: Option<&'a str>,
}

pub(super) fn login_form(form: &LoginForm<'_>) -> String {
    let hidden = hidden_inputs(form.parameters);
    let alert = form.error.map(|e| format!("<p role=\"alert\">{}</p>\n", escape(e))).unwrap_or_default();
    let client = escape(form.client_name);
    let body = format!(
        "<h1>Sign in to continue to {client}</h1>\n{alert}<form method=\"post\" action=\"{base}/oauth2/authorize\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n{hidden}\
         <label for=\"username\">Username</label>\n\
         <input type=\"text\" id=\"username\" name=\"username\" value=\"{username}\" autocomplete=\"username\" \
         autocapitalize=\"none\" spellcheck=\"false\" required autofocus>\n\
         <label for=\"password\">Password</label>\n\
         <input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required>\n\
         <button type=\"submit\">Sign in</button>\n</form>",
        base = escape(form.base),
        csrf = escape(form.csrf),
        username = escape(form.username),
    );
    page(form.base, "Sign in", &body)
}

/// What the "Continue as" page shows.
pub(super) struct ContinueForm<'a> {
    /// [`base_path`] of the issuer.
    pub base: &'a str,
    pub client_name: &'a str,
    /// The user of the login session.
    pub username: &'a str,
    /// The authorization request's parameters, carried as hidden inputs.
    pub parameters: &'a [(String, String)],
    pub csrf: &'a str,
    /// The same request with `prompt=login`.
    pub another_account: &'a str,
}

pub(super) fn continue_form(form: &ContinueForm<'_>) -> String {
    let body = format!(
        "<h1>Continue as {username} to {client}?</h1>\n<form method=\"post\" action=\"{base}/oauth2/authorize\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n\
         <input type=\"hidden\" name=\"continue_as\" value=\"{username}\">\n{hidden}\
         <button type=\"submit\">Continue as {username}</button>\n</form>\n\
         <p><a href=\"{another}\">Use another account</a></p>",
        username = escape(form.username),
        client = escape(form.client_name),
        csrf = escape(form.csrf),
        hidden = hidden_inputs(form.parameters),
        another = escape(form.another_account),
        base = escape(form.base),
    );
    page(form.base, "Continue", &body)
}

/// What the sign-out confirmation shows.
pub(super) struct LogoutForm<'a> {
    /// [`base_path`] of the issuer.
    pub base: &'a str,
    pub issuer: &'a str,
    /// The client asking, when one was named.
    pub client_name: Option<&'a str>,
    /// The logout request's parameters, carried as hidden inputs.
    pub parameters: &'a [(String, String)],
    pub csrf: &'a str,
}

pub(super) fn logout_form(form: &LogoutForm<'_>) -> String {
    let asking =
        form.client_name.map(|name| format!("<p>{} asks to sign you out.</p>\n", escape(name))).unwrap_or_default();
    let body = format!(
        "<h1>Sign out of {issuer}?</h1>\n{asking}<form method=\"post\" action=\"{base}/oauth2/logout\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n{hidden}\
         <button type=\"submit\">Sign out</button>\n</form>",
        issuer = escape(form.issuer),
        csrf = escape(form.csrf),
        hidden = hidden_inputs(form.parameters),
        base = escape(form.base),
    );
    page(form.base, "Sign out", &body)
}

/// The parameters as hidden inputs, one a line.
fn hidden_inputs(parameters: &[(String, String)]) -> String {
    parameters
        .iter()
        .map(|(name, value)| format!("<input type=\"hidden\" name=\"{}\" value=\"{}\">\n", escape(name), escape(value)))
        .collect()
}

/// A page with a heading and one paragraph (errors, signed out).
pub(super) fn message_page(base: &str, title: &str, message: &str) -> String {
    page(base, title, &format!("<h1>{}</h1>\n<p>{}</p>", escape(title), escape(message)))
}

fn page(base: &str, title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n<title>{}</title>\n\
         <link rel=\"stylesheet\" href=\"{}{STYLESHEET_PATH}\">\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n",
        escape(title),
        escape(base),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_shown_is_escaped() {
        let parameters = vec![("state".to_owned(), "\"><script>x</script>".to_owned())];
        let html = login_form(&LoginForm {
            base: "",
            client_name: "<b>App</b>",
            parameters: &parameters,
            csrf: "c",
            username: "a\"b",
            error: Some("<i>"),
        });
        assert!(!html.contains("<script>") && !html.contains("<b>") && !html.contains("<i>"), "{html}");
        assert!(html.contains("value=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;\""), "{html}");
        assert!(html.contains("value=\"a&quot;b\""), "{html}");
        assert!(html.contains("<p role=\"alert\">&lt;i&gt;</p>"), "{html}");
    }
}

#[cfg(test)]
mod base_path_tests {
    use super::*;

    #[test]
    fn links_follow_the_issuers_path() {
        assert_eq!(base_path("https://example.com"), "");
        assert_eq!(base_path("https://example.com/"), "");
        assert_eq!(base_path("https://example.com/auth"), "/auth");
        assert_eq!(base_path("https://example.com/auth/"), "/auth");
        let html = message_page("/auth", "t", "m");
        assert!(html.contains("href=\"/auth/oauth2/assets/login.css\""), "{html}");
    }
}
