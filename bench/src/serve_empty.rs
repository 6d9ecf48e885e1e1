//! Ceiling: an actix-web route that does nothing, served like the resource server
//! (same framework, default worker count).

use std::net::TcpListener;

use actix_web::{web, App, HttpResponse, HttpServer};

pub async fn serve(bind: &str) -> std::io::Result<()> {
    let listener = TcpListener::bind(bind)?;
    println!("listening on http://{}", listener.local_addr()?);
    HttpServer::new(|| App::new().route("/empty", web::get().to(|| async { HttpResponse::Ok().finish() })))
        .listen(listener)?
        .run()
        .await
}
