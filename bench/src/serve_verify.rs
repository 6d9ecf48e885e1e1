//! Ceiling: an actix-web route that only verifies the bearer token with the resource
//! server's library (`Verifier::verify`, local mode with the auth server's published
//! keys, its default verified-token cache), and answers 200 or 401. No revocation
//! view, no claims rendering, no middleware: what `/api/me` costs beyond this is the
//! resource server's own overhead.

use std::net::TcpListener;

use actix_web::http::header::AUTHORIZATION;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use resource_server::verify::{KeySet, Verifier};

pub async fn serve(bind: &str, jwks_file: &str, issuer: &str, audience: &str) -> std::io::Result<()> {
    let document = std::fs::read(jwks_file)?;
    let keys = KeySet::from_jwks_json(&document).map_err(std::io::Error::other)?;
    let verifier = Verifier::builder(audience).local_with_keys(issuer, keys);
    let listener = TcpListener::bind(bind)?;
    println!("listening on http://{}", listener.local_addr()?);
    HttpServer::new(move || {
        App::new().app_data(web::Data::new(verifier.clone())).route("/verify", web::get().to(verify))
    })
    .listen(listener)?
    .run()
    .await
}

async fn verify(req: HttpRequest, verifier: web::Data<Verifier>) -> HttpResponse {
    let token = req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    match token {
        Some(token) if verifier.verify(token).await.is_ok() => HttpResponse::Ok().finish(),
        _ => HttpResponse::Unauthorized().finish(),
    }
}
