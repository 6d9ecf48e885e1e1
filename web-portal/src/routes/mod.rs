//! The portal's routes, one file per concern, and what their answers share.

mod api_proxy;
mod api_url;
mod callback;
mod login;
mod logout;
mod pages;

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::http::StatusCode;
use actix_web::middleware::DefaultHeaders;
use actix_web::{web, HttpResponse};
use serde_json::json;
use server_kit::html::escape;

use crate::app::AppState;

/// The page may load its own script, stylesheet and images and call its own origin;
/// nothing inline, no frames, no plugins. No `form-action`: Chrome would apply it to
/// the redirect that follows a form post.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Headers every answer carries unless its handler set them. `no-store` everywhere:
/// after sign-out, the back button must find no private page or API answer in a cache.
/// Under https, browsers are also told to use nothing else for a year (RFC 6797).
pub(crate) fn security_headers(https: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add(("content-security-policy", CONTENT_SECURITY_POLICY))
        .add((CACHE_CONTROL, "no-store"))
        .add(("x-frame-options", "DENY"))
        .add(("x-content-type-options", "nosniff"))
        .add(("referrer-policy", "no-referrer"));
    if https {
        headers.add(("strict-transport-security", "max-age=31536000"))
    } else {
        headers
    }
}

/// Registers the shared state and the routes: `App::new().configure(configure(state))`.
pub(crate) fn configure(state: web::Data<AppState>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(state)
            .route("/", web::get().to(pages::get_index))
            .route("/static/{name}", web::get().to(pages::get_asset))
            .route("/healthz", web::get().to(pages::get_healthz))
            .route("/readyz", web::get().to(pages::get_readyz))
            .route("/login", web::get().to(login::get_login))
            .route("/callback", web::get().to(callback::get_callback))
            .route("/logout", web::post().to(logout::post_logout))
            .service(
                web::resource("/api/{tail:.*}")
                    .app_data(web::PayloadConfig::new(api_proxy::MAX_BODY_BYTES))
                    .to(api_proxy::forward),
            )
            .default_service(web::to(|| async { json_error(StatusCode::NOT_FOUND, "not_found", "no such page") }));
    }
}

/// A JSON error `{"error", "error_description"}`, the shape of the API's own errors.
pub(crate) fn json_error(status: StatusCode, error: &str, description: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({ "error": error, "error_description": description }))
}

/// A small HTML page with a heading, a message and a link back to the front page.
/// Every argument is escaped.
pub(crate) fn message_page(status: StatusCode, title: &str, message: &str) -> HttpResponse {
    let (title, message) = (escape(title), escape(message));
    let body = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <link rel=\"stylesheet\" href=\"/static/app.css\"></head>\
         <body><main class=\"card\"><h1>{title}</h1><p role=\"alert\">{message}</p>\
         <p><a href=\"/\">Back to the portal</a></p></main></body></html>\n"
    );
    HttpResponse::build(status).insert_header((CONTENT_TYPE, "text/html; charset=utf-8")).body(body)
}

#[cfg(test)]
mod tests;
